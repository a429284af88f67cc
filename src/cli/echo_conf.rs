//! `echo_supervisord_conf`: prints an annotated sample `supervisord.conf` on stdout (see
//! [`crate::sample`]), e.g. `echo_supervisord_conf > /etc/supervisord.conf`.

use std::io::{ErrorKind, Write};

const USAGE: &str = "Usage: echo_supervisord_conf [-h]\n\n\
Print a sample supervisord.conf, with every section and option and its default, on\n\
standard output. Save it with: echo_supervisord_conf > supervisord.conf\n";

/// Runs `echo_supervisord_conf ARGS`; the exit status.
pub fn main(_argv0: &str, args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        None => {}
        Some("-h" | "--help") => {
            print!("{USAGE}");
            return 0;
        }
        Some(other) => {
            eprint!("echo_supervisord_conf: unexpected argument {other:?}\n{USAGE}");
            return 2;
        }
    }
    let text = crate::sample::sample_config();
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        // `echo_supervisord_conf | head`: the reader has all it wanted.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("echo_supervisord_conf: {e}");
            1
        }
    }
}
