//! `echo_supervisord_conf`: prints an annotated sample `supervisord.conf` on stdout
//! (see `supervisor::sample`), e.g. `echo_supervisord_conf > /etc/supervisord.conf`.

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

const USAGE: &str = "Usage: echo_supervisord_conf [-h]\n\n\
Print a sample supervisord.conf, with every section and option and its default, on\n\
standard output. Save it with: echo_supervisord_conf > supervisord.conf\n";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => {}
        Some("-h" | "--help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("echo_supervisord_conf: unexpected argument {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let text = supervisor::sample::sample_config();
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // `echo_supervisord_conf | head`: the reader has all it wanted.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_supervisord_conf: {e}");
            ExitCode::FAILURE
        }
    }
}
