//! Writing to stdout: lines, raw bytes and reply events, as every command prints them. A
//! closed stdout (`| head`) ends the program quietly.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::protocol::fault::exit;
use crate::protocol::ReplyEvent;

/// Whether the last byte written ended a line (the shell's editor starts a fresh one
/// otherwise, instead of drawing over the end of, say, a log without a final newline).
static AT_LINE_START: AtomicBool = AtomicBool::new(true);

/// True when nothing was written yet or the last byte written was a newline.
pub fn at_line_start() -> bool {
    AT_LINE_START.load(Ordering::SeqCst)
}

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
    if let Some(&last) = bytes.last().filter(|_| !newline) {
        AT_LINE_START.store(last == b'\n', Ordering::SeqCst);
    } else if newline {
        AT_LINE_START.store(true, Ordering::SeqCst);
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
