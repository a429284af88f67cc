//! The `echo_supervisord_conf` binary: see `supervisor::cli::echo_conf`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let argv0 = args
        .first()
        .map(String::as_str)
        .unwrap_or("echo_supervisord_conf");
    let rest = args.get(1..).unwrap_or(&[]);
    std::process::exit(supervisor::cli::echo_conf::main(argv0, rest));
}
