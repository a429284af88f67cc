//! Writing to stdout: lines, raw bytes and reply events, as every command prints them. A
//! closed stdout (`| head`) ends the program quietly.

use std::io::Write;

use crate::protocol::fault::exit;
use crate::protocol::ReplyEvent;

/// Prints one line on stdout.
pub fn output(line: &str) {
    write_out(line.as_bytes(), true);
}

/// Prints bytes as they are on stdout (same failure handling as [`output`]).
pub fn write_raw(bytes: &[u8]) {
    write_out(bytes, false);
}

fn write_out(bytes: &[u8], newline: bool) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let r = out
        .write_all(bytes)
        .and_then(|_| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|_| out.flush());
    if r.is_err() {
        std::process::exit(exit::GENERIC);
    }
}

/// Prints a reply event as supervisorctl would.
pub fn print_event(ev: ReplyEvent) {
    match ev {
        ReplyEvent::Line(l) => write_out(&l, true),
        ReplyEvent::Partial(p) => write_out(&p, false),
        ReplyEvent::Keepalive | ReplyEvent::End(_) => {}
    }
}
