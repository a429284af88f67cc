//! The `supervisord` binary: see `supervisor::cli::supervisord`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let argv0 = args.first().map(String::as_str).unwrap_or("supervisord");
    let rest = args.get(1..).unwrap_or(&[]);
    std::process::exit(supervisor::cli::supervisord::main(argv0, rest));
}
