//! Lines typed by the user. One thread reads stdin for the whole process and hands lines
//! over a channel, so that the shell, confirmations and `fg` share stdin without racing,
//! and every wait can poll the Ctrl-C flag.

use std::io::{BufRead, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::interrupt;

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
    let rx = match lines().lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let start = std::time::Instant::now();
    loop {
        if interrupt::take() {
            return Some(Input::Interrupted);
        }
        match rx.recv_timeout(Duration::from_millis(200)) {
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
