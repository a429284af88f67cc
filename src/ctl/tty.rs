//! The terminal side of the shell's line editor ([`super::edit`]): raw mode while a line is
//! edited (cooked again before the line is run, so commands, confirmations and `fg` see the
//! terminal as usual), bytes from [`super::input`] to keys to the editor, its output to
//! stdout. The width is asked again for every key, so a resized window is drawn right from
//! the next key on.

use std::io::Write;
use std::time::Duration;

use super::edit::keys::{Decoder, Key};
use super::edit::line::{Completer, Editor, Outcome};
use super::input::{self, Chunk, Input};
use super::interrupt;
use crate::sys::term::{self, RawMode};

/// How long the rest of an escape sequence may take after its `ESC`.
const ESC_WAIT: Duration = Duration::from_millis(50);

/// How often the wait for a key looks at the SIGINT flag.
const POLL: Duration = Duration::from_millis(200);

/// True when the shell can edit lines: stdin and stdout are terminals, and `TERM` is not
/// `dumb` (Emacs' shell buffers and the like, which interpret no escape sequences).
pub fn available() -> bool {
    crate::sys::isatty(0)
        && crate::sys::isatty(1)
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

fn columns() -> usize {
    term::columns(1).unwrap_or(80)
}

/// Writes the editor's output; false when stdout is gone.
fn show(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return true;
    }
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|_| out.flush()).is_ok()
}

/// One line being read.
struct Session<'a> {
    editor: Editor,
    /// None only while suspended (or when raw mode could not be entered again).
    raw: Option<RawMode>,
    completer: &'a mut dyn Completer,
}

impl Session<'_> {
    /// Applies a key; `Some` when the line is over.
    fn key(&mut self, key: Key) -> Option<Input> {
        let (outcome, out) = self.editor.key(key, columns(), self.completer);
        if !show(&out) {
            return Some(Input::Eof);
        }
        match outcome {
            Outcome::Editing => None,
            Outcome::Line(l) => Some(Input::Line(l)),
            Outcome::Eof => Some(Input::Eof),
            Outcome::Suspend => {
                self.raw = None;
                term::suspend();
                self.raw = RawMode::enter(0).ok();
                (!show(&self.editor.draw(columns()))).then_some(Input::Eof)
            }
        }
    }
}

/// Reads one line with the editor: `prompt`, Up/Down through `history` (oldest first), Tab
/// through `completer`. Ctrl-C (or SIGINT) cancels the line and starts a new one; Ctrl-D on
/// an empty line is end of input. Falls back to a plain line when raw mode fails.
pub fn read_line(prompt: &str, history: &[String], completer: &mut dyn Completer) -> Input {
    let Ok(raw) = RawMode::enter(0) else {
        return input::read_line(prompt);
    };
    // A Ctrl-C that a finished command did not see is not meant for this line.
    let _ = interrupt::take();
    let mut s = Session {
        editor: Editor::new(prompt, history),
        raw: Some(raw),
        completer,
    };
    if !show(&s.editor.draw(columns())) {
        return Input::Eof;
    }
    let mut decoder = Decoder::new();
    loop {
        if interrupt::take() {
            if let Some(done) = s.key(Key::Ctrl('c')) {
                return done;
            }
        }
        let wait = if decoder.pending() { ESC_WAIT } else { POLL };
        match input::read_bytes(wait) {
            Chunk::Timeout => {
                if let Some(done) = decoder.timeout().and_then(|k| s.key(k)) {
                    return done;
                }
            }
            Chunk::Eof => return Input::Eof,
            Chunk::Bytes(bytes) => {
                for (i, &b) in bytes.iter().enumerate() {
                    if let Some(done) = decoder.feed(b).and_then(|k| s.key(k)) {
                        // Typed after Enter: the next reader's.
                        input::unread(&bytes[i + 1..]);
                        return done;
                    }
                }
            }
        }
    }
}
