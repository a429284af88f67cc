//! The `pidproxy` binary: see `supervisor::cli::pidproxy`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let argv0 = args.first().map(String::as_str).unwrap_or("pidproxy");
    let rest = args.get(1..).unwrap_or(&[]);
    std::process::exit(supervisor::cli::pidproxy::main(argv0, rest));
}
