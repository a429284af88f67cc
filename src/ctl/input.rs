//! Lines typed by the user. One thread reads stdin for the whole process and hands lines
//! over a channel, so that the shell, confirmations and `fg` share stdin without racing,
//! and every wait can poll the Ctrl-C flag.
//!
//! Except when the shell edits lines on a terminal ([`use_terminal`]): the editor needs the
//! raw bytes, which a thread blocked in `read` would take. Then the main thread reads the
//! terminal itself, polling so that waits still see Ctrl-C: whole lines for confirmations,
//! passwords and `fg` ([`read_line`]), bytes for the editor ([`read_bytes`]). Bytes typed
//! ahead of their reader are kept, in order, for the next one.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::interrupt;
use crate::sys::term;

/// How often a wait looks at the Ctrl-C flag.
const POLL: Duration = Duration::from_millis(200);

/// Bytes asked of one `read` of the terminal.
const CHUNK: usize = 1024;

/// The most typed-ahead bytes kept without a newline; more make a line of their own.
const MAX_AHEAD: usize = 64 * 1024;

/// Set once the terminal is read directly (never reset: the thread is then never started).
static TERMINAL: AtomicBool = AtomicBool::new(false);

/// Bytes read from the terminal that nobody used yet.
static AHEAD: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Reads the terminal on stdin directly from now on. Call before anything reads stdin.
pub fn use_terminal() {
    TERMINAL.store(true, Ordering::SeqCst);
}

fn ahead() -> std::sync::MutexGuard<'static, Vec<u8>> {
    match AHEAD.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// What a read of the terminal gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// Some bytes.
    Bytes(Vec<u8>),
    /// Nothing within the time allowed.
    Timeout,
    /// End of input, or the terminal is gone.
    Eof,
}

/// Bytes from the terminal: those typed ahead first, else what one `read` gives within
/// `limit`.
pub fn read_bytes(limit: Duration) -> Chunk {
    {
        let mut kept = ahead();
        if !kept.is_empty() {
            return Chunk::Bytes(std::mem::take(&mut *kept));
        }
    }
    match term::wait_readable(0, limit) {
        Ok(false) => return Chunk::Timeout,
        Ok(true) => {}
        Err(_) => return Chunk::Eof,
    }
    let mut buf = vec![0u8; CHUNK];
    match term::read(0, &mut buf) {
        Ok(0) => Chunk::Eof,
        Ok(n) => {
            buf.truncate(n);
            Chunk::Bytes(buf)
        }
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Chunk::Timeout,
        Err(_) => Chunk::Eof,
    }
}

/// Gives back bytes a reader did not use (typed after the Enter that ended its line): the
/// next reader gets them first.
pub fn unread(bytes: &[u8]) {
    if !bytes.is_empty() {
        let mut kept = ahead();
        kept.splice(0..0, bytes.iter().copied());
    }
}

/// The first line in `kept` (ended by `\n`, `\r` or `\r\n`), taken out of it.
fn take_line(kept: &mut Vec<u8>) -> Option<String> {
    let end = kept.iter().position(|&b| b == b'\n' || b == b'\r')?;
    let mut used = end + 1;
    if kept[end] == b'\r' && kept.get(used) == Some(&b'\n') {
        used += 1;
    }
    let line = String::from_utf8_lossy(&kept[..end]).into_owned();
    kept.drain(..used);
    Some(line)
}

fn poll_terminal(limit: Option<Duration>) -> Option<Input> {
    let start = Instant::now();
    loop {
        if interrupt::take() {
            return Some(Input::Interrupted);
        }
        {
            let mut kept = ahead();
            if let Some(line) = take_line(&mut kept) {
                return Some(Input::Line(line));
            }
            if kept.len() > MAX_AHEAD {
                let all = std::mem::take(&mut *kept);
                return Some(Input::Line(String::from_utf8_lossy(&all).into_owned()));
            }
        }
        match read_bytes(POLL) {
            Chunk::Bytes(b) => ahead().extend(b),
            Chunk::Eof => {
                // Ctrl-D after some text gives that text as a line, then end of input.
                let rest = std::mem::take(&mut *ahead());
                return Some(if rest.is_empty() {
                    Input::Eof
                } else {
                    Input::Line(String::from_utf8_lossy(&rest).into_owned())
                });
            }
            Chunk::Timeout => {
                if limit.is_some_and(|l| start.elapsed() >= l) {
                    return None;
                }
            }
        }
    }
}

static LINES: OnceLock<Mutex<Receiver<Option<String>>>> = OnceLock::new();

fn lines() -> &'static Mutex<Receiver<Option<String>>> {
    LINES.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            let mut lock = stdin.lock();
            loop {
                let mut line = String::new();
                match lock.read_line(&mut line) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(None);
                        return;
                    }
                    Ok(_) => {
                        if line.ends_with('\n') {
                            line.pop();
                        }
                        if tx.send(Some(line)).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Mutex::new(rx)
    })
}

/// What reading a line gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A line, without its newline.
    Line(String),
    /// End of input.
    Eof,
    /// Ctrl-C.
    Interrupted,
}

/// Prints `prompt` (flushed, no newline) and waits for a line.
pub fn read_line(prompt: &str) -> Input {
    if !prompt.is_empty() {
        let mut out = std::io::stdout();
        let _ = out.write_all(prompt.as_bytes());
        let _ = out.flush();
    }
    poll(None).unwrap_or(Input::Eof)
}

/// Waits up to `limit` (forever when `None`) for a line; `None` on timeout.
pub fn poll(limit: Option<Duration>) -> Option<Input> {
    if TERMINAL.load(Ordering::SeqCst) {
        return poll_terminal(limit);
    }
    let rx = match lines().lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let start = Instant::now();
    loop {
        if interrupt::take() {
            return Some(Input::Interrupted);
        }
        match rx.recv_timeout(POLL) {
            Ok(Some(l)) => return Some(Input::Line(l)),
            Ok(None) | Err(RecvTimeoutError::Disconnected) => return Some(Input::Eof),
            Err(RecvTimeoutError::Timeout) => {
                if limit.is_some_and(|l| start.elapsed() >= l) {
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_any_newline() {
        let mut kept = b"status\rstop a\r\ntail\nrest".to_vec();
        assert_eq!(take_line(&mut kept).as_deref(), Some("status"));
        assert_eq!(take_line(&mut kept).as_deref(), Some("stop a"));
        assert_eq!(take_line(&mut kept).as_deref(), Some("tail"));
        assert_eq!(take_line(&mut kept), None);
        assert_eq!(kept, b"rest");
    }
}
