//! The `supervisorctl` binary: see `supervisor::ctl`.

fn main() {
    let mut args = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let argv0 = args.next().unwrap_or_else(|| "supervisorctl".into());
    let rest: Vec<String> = args.collect();
    std::process::exit(supervisor::ctl::main(&argv0, &rest));
}
