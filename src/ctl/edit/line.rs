//! The line editor as a pure state machine: keys go in, the line, the cursor and the bytes
//! to write to the terminal come out. No I/O: the terminal's width is passed with each key,
//! completion asks a [`Completer`].
//!
//! The line is drawn on one terminal row, `\r`, the prompt, the visible part of the line,
//! erase to the end of the row, then `\r` and a move right to the cursor. A line wider than
//! the row scrolls sideways so that the cursor stays visible; the last column is never
//! written, so the terminal never wraps (which is what corrupts a naive redraw). Keys and
//! their meanings follow readline's emacs mode.

use super::keys::Key;
use super::width::{char_width, str_width, width};

/// The longest line the editor holds, in characters (more is refused with a bell).
pub const MAX_CHARS: usize = 16 * 1024;

/// Above this many completions, the list is shown only after a `y` (readline's
/// `completion-query-items`).
const QUERY_ITEMS: usize = 100;

/// Characters that end the word being completed: readline's defaults as Python sets them,
/// less `:`, `*` and `-`, which supervisorctl makes part of a word (`group:name`, `group:*`).
const DELIMS: &str = " \t\n`~!@#$%^&()=+[{]}\\|;'\",<>/?";

const BELL: &[u8] = b"\x07";
const CLEAR_SCREEN: &[u8] = b"\x1b[H\x1b[2J";

/// What completes a word.
pub trait Completer {
    /// Candidates for `word`, the text between the last delimiter and the cursor, given
    /// the line up to the cursor. Each candidate replaces the word whole; supervisorctl's
    /// end with a space.
    fn complete(&mut self, line: &str, word: &str) -> Vec<String>;
}

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still editing.
    Editing,
    /// Enter: the line (the editor is spent).
    Line(String),
    /// Ctrl-D on an empty line.
    Eof,
    /// Ctrl-Z: the caller restores the terminal, stops the process, and on return puts
    /// raw mode back and writes [`Editor::draw`].
    Suspend,
}

/// One line being edited.
#[derive(Debug, Clone)]
pub struct Editor {
    prompt: String,
    buf: Vec<char>,
    /// Cursor, an index into `buf`.
    pos: usize,
    /// The history as given (oldest first).
    base: Vec<String>,
    /// The history with this line's edits to its entries, and the new line last.
    scratch: Vec<String>,
    /// Which entry of `scratch` is shown.
    shown: usize,
    /// The previous key was Tab (a second Tab lists the completions).
    last_tab: bool,
    /// What Ctrl-U, Ctrl-K, Ctrl-W and Alt-D cut last (Ctrl-Y puts it back).
    killed: Vec<char>,
    /// Completions waiting for the answer to "Display all N possibilities?".
    query: Option<Vec<String>>,
    /// Ctrl-R's search through the history, while it lasts.
    search: Option<Search>,
}

/// A reverse incremental search (readline's `reverse-search-history`).
#[derive(Debug, Clone)]
struct Search {
    /// What is searched for.
    text: Vec<char>,
    /// The history entry found last.
    at: Option<usize>,
    /// The last step found nothing.
    failed: bool,
    /// The line and cursor before the search, for Ctrl-G.
    saved: (Vec<char>, usize),
}

impl Editor {
    /// An empty line after `prompt`; Up walks `history` (oldest first) back from its end.
    pub fn new(prompt: &str, history: &[String]) -> Editor {
        let mut scratch = history.to_vec();
        scratch.push(String::new());
        Editor {
            prompt: prompt.to_string(),
            buf: Vec::new(),
            pos: 0,
            base: history.to_vec(),
            shown: scratch.len() - 1,
            scratch,
            last_tab: false,
            killed: Vec::new(),
            query: None,
            search: None,
        }
    }

    /// The line as it is now.
    pub fn line(&self) -> String {
        self.buf.iter().collect()
    }

    /// The cursor, in characters from the start of the line.
    pub fn cursor(&self) -> usize {
        self.pos
    }

    /// The bytes that draw the prompt and the line on the current row, for a terminal
    /// `cols` wide.
    pub fn draw(&self, cols: usize) -> Vec<u8> {
        self.render(cols).0
    }

    /// [`Editor::draw`]'s bytes, and the column the cursor ends in.
    fn render(&self, cols: usize) -> (Vec<u8>, usize) {
        // The last column is never written (no pending wrap, no scroll).
        let room = cols.max(2) - 1;
        let prompt: Vec<char> = match &self.search {
            Some(s) => format!(
                "({}reverse-i-search)`{}': ",
                if s.failed { "failed " } else { "" },
                s.text.iter().collect::<String>()
            )
            .chars()
            .collect(),
            None => self.prompt.chars().collect(),
        };
        let mut p0 = 0;
        if width(&prompt) >= room {
            // A prompt too wide for the row keeps its end, half the row at most.
            while p0 < prompt.len() && width(&prompt[p0..]) > room / 2 {
                p0 += 1;
            }
        }
        let prompt = &prompt[p0..];
        let avail = room - width(prompt);
        // The first visible character: as far left as the cursor allows.
        let mut start = 0;
        let mut before = width(&self.buf[..self.pos]);
        while before > avail && start < self.pos {
            before -= char_width(self.buf[start]);
            start += 1;
        }
        while start < self.pos && char_width(self.buf[start]) == 0 {
            start += 1;
        }
        let mut end = start;
        let mut used = 0;
        while end < self.buf.len() && used + char_width(self.buf[end]) <= avail {
            used += char_width(self.buf[end]);
            end += 1;
        }
        let mut out = Vec::with_capacity(cols + 16);
        out.push(b'\r');
        out.extend(prompt.iter().collect::<String>().as_bytes());
        out.extend(self.buf[start..end].iter().collect::<String>().as_bytes());
        out.extend(b"\x1b[K\r");
        let col = width(prompt) + width(&self.buf[start..self.pos]);
        if col > 0 {
            out.extend(format!("\x1b[{col}C").as_bytes());
        }
        (out, col)
    }

    /// Applies one key; returns what it did and the bytes to write.
    pub fn key(
        &mut self,
        key: Key,
        cols: usize,
        completer: &mut dyn Completer,
    ) -> (Outcome, Vec<u8>) {
        if let Some(items) = self.query.take() {
            self.last_tab = false;
            let mut out = b"\r\n".to_vec();
            if matches!(key, Key::Char('y' | 'Y' | ' ')) {
                out.extend(listing(&items, cols));
            }
            out.extend(self.draw(cols));
            return (Outcome::Editing, out);
        }
        if self.search.is_some() {
            if let Some(done) = self.search_key(key, cols) {
                self.last_tab = false;
                return done;
            }
        }
        let tab = key == Key::Tab;
        let r = self.apply(key, cols, completer);
        self.last_tab = tab;
        r
    }

    fn apply(
        &mut self,
        key: Key,
        cols: usize,
        completer: &mut dyn Completer,
    ) -> (Outcome, Vec<u8>) {
        let redraw = |ed: &Editor| (Outcome::Editing, ed.draw(cols));
        match key {
            Key::Enter => {
                self.pos = self.buf.len();
                let mut out = self.draw(cols);
                out.extend(b"\r\n");
                (Outcome::Line(self.line()), out)
            }
            Key::Ctrl('c') => {
                self.pos = self.buf.len();
                let (mut out, col) = self.render(cols);
                // `^C` after the line, or on a row of its own when it would reach the
                // last column.
                if col + 3 > cols {
                    out.extend(b"\r\n");
                }
                out.extend(b"^C\r\n");
                self.buf.clear();
                self.pos = 0;
                self.scratch = self.base.clone();
                self.scratch.push(String::new());
                self.shown = self.scratch.len() - 1;
                out.extend(self.draw(cols));
                (Outcome::Editing, out)
            }
            Key::Ctrl('d') if self.buf.is_empty() => (Outcome::Eof, Vec::new()),
            Key::Ctrl('d') | Key::Delete => {
                let next = self.next(self.pos);
                self.buf.drain(self.pos..next);
                redraw(self)
            }
            Key::Backspace => {
                let prev = self.prev(self.pos);
                self.buf.drain(prev..self.pos);
                self.pos = prev;
                redraw(self)
            }
            Key::Ctrl('b') | Key::Left => {
                self.pos = self.prev(self.pos);
                redraw(self)
            }
            Key::Ctrl('f') | Key::Right => {
                self.pos = self.next(self.pos);
                redraw(self)
            }
            Key::Ctrl('a') | Key::Home => {
                self.pos = 0;
                redraw(self)
            }
            Key::Ctrl('e') | Key::End => {
                self.pos = self.buf.len();
                redraw(self)
            }
            Key::Alt('b') | Key::WordLeft => {
                self.pos = self.word_left();
                redraw(self)
            }
            Key::Alt('f') | Key::WordRight => {
                self.pos = self.word_right();
                redraw(self)
            }
            Key::Ctrl('w') => {
                let mut p = self.pos;
                while p > 0 && self.buf[p - 1].is_whitespace() {
                    p -= 1;
                }
                while p > 0 && !self.buf[p - 1].is_whitespace() {
                    p -= 1;
                }
                self.cut(p, self.pos);
                redraw(self)
            }
            Key::AltBackspace => {
                let p = self.word_left();
                self.cut(p, self.pos);
                redraw(self)
            }
            Key::Alt('d') => {
                let p = self.word_right();
                self.cut(self.pos, p);
                redraw(self)
            }
            Key::Ctrl('u') => {
                self.cut(0, self.pos);
                redraw(self)
            }
            Key::Ctrl('k') => {
                self.cut(self.pos, self.buf.len());
                redraw(self)
            }
            Key::Ctrl('y') => {
                let text = self.killed.clone();
                self.insert(&text, cols)
            }
            Key::Ctrl('p') | Key::Up => self.show_entry(self.shown.checked_sub(1), cols),
            Key::Ctrl('n') | Key::Down => {
                let next = Some(self.shown + 1).filter(|&n| n < self.scratch.len());
                self.show_entry(next, cols)
            }
            Key::Ctrl('l') => {
                let mut out = CLEAR_SCREEN.to_vec();
                out.extend(self.draw(cols));
                (Outcome::Editing, out)
            }
            Key::Ctrl('z') => (Outcome::Suspend, b"\r\n".to_vec()),
            Key::Ctrl('r') => {
                self.search = Some(Search {
                    text: Vec::new(),
                    at: None,
                    failed: false,
                    saved: (self.buf.clone(), self.pos),
                });
                redraw(self)
            }
            Key::Tab => self.complete(cols, completer),
            Key::Char(c) => self.insert(&[c], cols),
            _ => (Outcome::Editing, Vec::new()),
        }
    }

    /// A key during Ctrl-R: characters and Backspace change what is searched for, Ctrl-R
    /// finds an older match, Ctrl-G (or Ctrl-C, Esc) puts the line back as it was. Any
    /// other key ends the search with the match as the line, and then does what it does
    /// (`None`: Enter runs the match, Left starts editing it).
    fn search_key(&mut self, key: Key, cols: usize) -> Option<(Outcome, Vec<u8>)> {
        let mut s = self.search.take()?;
        let newest = self.base.len();
        let before = match key {
            Key::Char(c) => {
                s.text.push(c);
                // The match so far may still match.
                s.at.map_or(newest, |a| a + 1)
            }
            Key::Backspace => {
                s.text.pop();
                s.at = None;
                newest
            }
            Key::Ctrl('r') => s.at.unwrap_or(newest),
            Key::Ctrl('g' | 'c') | Key::Esc => {
                (self.buf, self.pos) = s.saved;
                return Some((Outcome::Editing, self.draw(cols)));
            }
            _ => return None,
        };
        let needle: String = s.text.iter().collect();
        let found = (!needle.is_empty())
            .then(|| {
                self.base[..before.min(newest)]
                    .iter()
                    .enumerate()
                    .rev()
                    .find_map(|(i, e)| e.find(&needle).map(|b| (i, e[..b].chars().count())))
            })
            .flatten();
        let mut out = Vec::new();
        match found {
            Some((i, col)) => {
                s.at = Some(i);
                s.failed = false;
                self.buf = self.base[i].chars().collect();
                self.pos = col;
            }
            None if needle.is_empty() => {
                s.failed = false;
            }
            None => {
                s.failed = true;
                out.extend(BELL);
            }
        }
        self.search = Some(s);
        out.extend(self.draw(cols));
        Some((Outcome::Editing, out))
    }

    fn insert(&mut self, text: &[char], cols: usize) -> (Outcome, Vec<u8>) {
        if self.buf.len() + text.len() > MAX_CHARS {
            return (Outcome::Editing, BELL.to_vec());
        }
        self.buf.splice(self.pos..self.pos, text.iter().copied());
        self.pos += text.len();
        (Outcome::Editing, self.draw(cols))
    }

    /// Removes `from..to` into the kill buffer.
    fn cut(&mut self, from: usize, to: usize) {
        if from < to {
            self.killed = self.buf.drain(from..to).collect();
            self.pos = from;
        }
    }

    fn show_entry(&mut self, which: Option<usize>, cols: usize) -> (Outcome, Vec<u8>) {
        let Some(which) = which else {
            return (Outcome::Editing, BELL.to_vec());
        };
        self.scratch[self.shown] = self.line();
        self.shown = which;
        self.buf = self.scratch[which].chars().collect();
        self.pos = self.buf.len();
        (Outcome::Editing, self.draw(cols))
    }

    /// The start of the character before `p` (combining marks go with their base).
    fn prev(&self, mut p: usize) -> usize {
        if p > 0 {
            p -= 1;
            while p > 0 && char_width(self.buf[p]) == 0 {
                p -= 1;
            }
        }
        p
    }

    /// The end of the character at `p`, with its combining marks.
    fn next(&self, mut p: usize) -> usize {
        if p < self.buf.len() {
            p += 1;
            while p < self.buf.len() && char_width(self.buf[p]) == 0 {
                p += 1;
            }
        }
        p
    }

    /// The start of the word before the cursor (letters and digits, as readline's words).
    fn word_left(&self) -> usize {
        let mut p = self.pos;
        while p > 0 && !self.buf[p - 1].is_alphanumeric() {
            p -= 1;
        }
        while p > 0 && self.buf[p - 1].is_alphanumeric() {
            p -= 1;
        }
        p
    }

    /// The end of the word after the cursor.
    fn word_right(&self) -> usize {
        let mut p = self.pos;
        while p < self.buf.len() && !self.buf[p].is_alphanumeric() {
            p += 1;
        }
        while p < self.buf.len() && self.buf[p].is_alphanumeric() {
            p += 1;
        }
        p
    }

    /// Tab: one candidate replaces the word; several extend it to their common prefix,
    /// and a second Tab in a row lists them; none rings the bell.
    fn complete(&mut self, cols: usize, completer: &mut dyn Completer) -> (Outcome, Vec<u8>) {
        let mut start = self.pos;
        while start > 0 && !DELIMS.contains(self.buf[start - 1]) {
            start -= 1;
        }
        let before: String = self.buf[..self.pos].iter().collect();
        let word: String = self.buf[start..self.pos].iter().collect();
        let mut found = completer.complete(&before, &word);
        crate::sort::sort(&mut found);
        found.dedup();
        let replacement: Vec<char> = match found.as_slice() {
            [] => return (Outcome::Editing, BELL.to_vec()),
            [one] => one.chars().collect(),
            _ => common_prefix(&found),
        };
        if replacement.len() > self.pos - start || found.len() == 1 {
            if self.buf.len() - (self.pos - start) + replacement.len() > MAX_CHARS {
                return (Outcome::Editing, BELL.to_vec());
            }
            self.buf
                .splice(start..self.pos, replacement.iter().copied());
            self.pos = start + replacement.len();
            return (Outcome::Editing, self.draw(cols));
        }
        if !self.last_tab {
            return (Outcome::Editing, BELL.to_vec());
        }
        if found.len() > QUERY_ITEMS {
            let mut out = b"\r\n".to_vec();
            out.extend(format!("Display all {} possibilities? (y or n)", found.len()).as_bytes());
            self.query = Some(found);
            return (Outcome::Editing, out);
        }
        let mut out = b"\r\n".to_vec();
        out.extend(listing(&found, cols));
        out.extend(self.draw(cols));
        (Outcome::Editing, out)
    }
}

/// The longest prefix all of `items` share, in characters.
fn common_prefix(items: &[String]) -> Vec<char> {
    let mut prefix: Vec<char> = items[0].chars().collect();
    for s in &items[1..] {
        let n = prefix
            .iter()
            .zip(s.chars())
            .take_while(|(a, b)| **a == *b)
            .count();
        prefix.truncate(n);
    }
    prefix
}

/// The completions in columns, sorted down the columns as readline shows them, each row
/// ending with `\r\n`. Columns are two wider than the longest candidate with its trailing
/// space (readline's spacing), which is not shown.
fn listing(items: &[String], cols: usize) -> Vec<u8> {
    let colw = items.iter().map(|s| str_width(s)).max().unwrap_or(0) + 2;
    let shown: Vec<&str> = items.iter().map(|s| s.trim_end_matches(' ')).collect();
    let per_row = (cols.saturating_sub(1) / colw).max(1);
    let rows = shown.len().div_ceil(per_row);
    let mut out = Vec::new();
    for r in 0..rows {
        let mut line = String::new();
        let mut c = 0;
        while let Some(s) = shown.get(c * rows + r) {
            let last = shown.get((c + 1) * rows + r).is_none();
            line.push_str(s);
            if !last {
                line.extend(std::iter::repeat_n(' ', colw - str_width(s)));
            }
            c += 1;
        }
        out.extend(line.as_bytes());
        out.extend(b"\r\n");
    }
    out
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
