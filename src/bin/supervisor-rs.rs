//! The multi-call binary: acts as `supervisord`, `supervisorctl` or `pidproxy` by the name
//! it runs under, or by its first argument. See `supervisor::cli::multicall`.

fn main() {
    let mut args = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let argv0 = args.next().unwrap_or_else(|| "supervisor-rs".into());
    let rest: Vec<String> = args.collect();
    std::process::exit(supervisor::cli::multicall::main(&argv0, &rest));
}
