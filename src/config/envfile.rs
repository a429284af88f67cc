//! `environment_file=`: the `KEY=VALUE` files a spawn reads, parsed the way systemd (v254 and
//! later) reads `EnvironmentFile=`, stricter where systemd silently skips a line.
//!
//! The grammar is systemd's state machine (`src/basic/env-file.c`):
//! - blank lines are skipped; a line whose first non-blank character is `#` or `;` is a
//!   comment (a trailing backslash does not continue it);
//! - `KEY=VALUE`, with blanks around the key and after `=` dropped; an optional `export `
//!   before the key (shell style) is dropped too, and a line `export KEY` alone is ignored;
//! - an unquoted value ends at the end of the line, its trailing blanks are dropped, a
//!   backslash keeps the next character (`\\` is `\`, `\#` is `#`) and a backslash at the end
//!   of the line continues the value on the next one; quotes after the first character are
//!   kept as they are, and so is `#` (no comments after a value);
//! - `'...'` keeps everything up to the next `'`, newlines included, with no escapes;
//! - `"..."` may span lines; a backslash before `"`, `\`, `` ` `` or `$` keeps that
//!   character, a backslash before a newline drops both, before anything else both stay;
//! - after a closing quote, blanks are skipped and what follows is appended (`'a' b` is `ab`);
//! - a later assignment of a key replaces the value and keeps the first position.
//!
//! Where systemd skips a line, this is an error with the line number: a line without `=`
//! (other than `export KEY`), a key that is not a shell variable name
//! (`[A-Za-z_][A-Za-z0-9_]*`), a quote left open at the end of the file, invalid UTF-8 or a
//! NUL byte. Lines are counted by `\n`; `\r\n` is read as `\n`. A UTF-8 byte order mark at
//! the start is skipped. Bounds: [`MAX_FILE_BYTES`], [`MAX_LINE_BYTES`], [`MAX_VARIABLES`].
//!
//! [`parse`] is pure; [`read`] opens the file (following links, refusing anything but a
//! regular file, without blocking on a FIFO) and parses it. Messages never quote the file's
//! text: it usually holds secrets.

use std::fmt;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::model::EnvFilePath;
use super::values::{normpath, PathCtx};

/// Most paths in one `environment_file=`.
pub const MAX_PATHS: usize = 16;
/// Largest file read.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Longest physical line.
pub const MAX_LINE_BYTES: usize = 64 << 10;
/// Most assignments in one file (repeated keys count each time).
pub const MAX_VARIABLES: usize = 4096;

/// Why a file gives no variables: the message, and the line when it is about one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileError {
    /// 1-based line, when the error is about one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for EnvFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for EnvFileError {}

fn at(line: usize, message: impl Into<String>) -> EnvFileError {
    EnvFileError {
        line: Some(line),
        message: message.into(),
    }
}

fn whole(message: impl Into<String>) -> EnvFileError {
    EnvFileError {
        line: None,
        message: message.into(),
    }
}

/// Whether `key` is a shell variable name.
pub fn valid_name(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Systemd's `WHITESPACE` less its newlines, which end lines here.
fn blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Systemd's `NEWLINE`: a lone `\r` ends a line outside quotes too.
fn newline(c: char) -> bool {
    matches!(c, '\n' | '\r')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    PreKey,
    Key,
    PreValue,
    Value,
    ValueEscape,
    Single,
    Double,
    DoubleEscape,
    Comment,
}

/// The assignments so far, in first-definition order.
struct Out {
    pairs: Vec<(String, String)>,
    /// Key to its place in `pairs` (a file may hold thousands).
    index: std::collections::HashMap<String, usize>,
    assignments: usize,
}

impl Out {
    /// Ends one line's assignment that began on `line`: validates the key and stores it.
    fn push(&mut self, line: usize, key: &str, value: String) -> Result<(), EnvFileError> {
        let key = strip_export(key.trim_end_matches(blank));
        if !valid_name(key) {
            return Err(at(
                line,
                "invalid variable name (letters, digits and _ only, not starting with a digit)",
            ));
        }
        self.assignments += 1;
        if self.assignments > MAX_VARIABLES {
            return Err(at(line, format!("more than {MAX_VARIABLES} assignments")));
        }
        match self.index.get(key) {
            Some(&i) => self.pairs[i].1 = value,
            None => {
                self.index.insert(key.to_string(), self.pairs.len());
                self.pairs.push((key.to_string(), value));
            }
        }
        Ok(())
    }
}

/// `export KEY` is `KEY` (the word must be followed by blanks).
fn strip_export(key: &str) -> &str {
    match key.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start_matches([' ', '\t']),
        _ => key,
    }
}

/// Checks the bytes (UTF-8, no NUL, line lengths) and gives the text, without its byte
/// order mark and with `\r\n` read as `\n`.
fn text(data: &[u8]) -> Result<String, EnvFileError> {
    if data.len() > MAX_FILE_BYTES {
        return Err(whole(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    let line_of = |end: usize| 1 + data[..end].iter().filter(|&&b| b == b'\n').count();
    let text =
        std::str::from_utf8(data).map_err(|e| at(line_of(e.valid_up_to()), "invalid UTF-8"))?;
    if let Some(i) = text.find('\0') {
        return Err(at(line_of(i), "NUL byte"));
    }
    for (i, l) in text.split('\n').enumerate() {
        if l.len() > MAX_LINE_BYTES {
            return Err(at(i + 1, format!("longer than {MAX_LINE_BYTES} bytes")));
        }
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(text.replace("\r\n", "\n"))
}

/// The assignments of an environment file's contents, in first-definition order.
pub fn parse(data: &[u8]) -> Result<Vec<(String, String)>, EnvFileError> {
    let text = text(data)?;
    let mut out = Out {
        pairs: Vec::new(),
        index: std::collections::HashMap::new(),
        assignments: 0,
    };
    let mut state = State::PreKey;
    let mut key = String::new();
    let mut value = String::new();
    // Where the value's trailing blanks begin (unquoted values only).
    let mut trailing: Option<usize> = None;
    let mut line = 1;
    // The line the current assignment (or open quote) began on.
    let mut start = 1;
    for c in text.chars() {
        match state {
            State::PreKey => {
                if c == '#' || c == ';' {
                    state = State::Comment;
                } else if !blank(c) {
                    state = State::Key;
                    start = line;
                    key.clear();
                    key.push(c);
                }
            }
            State::Key => {
                if newline(c) {
                    // `export KEY` alone marks a variable for export in a shell: all are.
                    let k = key.trim_end_matches(blank);
                    if !(strip_export(k) != k && valid_name(strip_export(k))) {
                        return Err(at(start, "expected KEY=VALUE"));
                    }
                    state = State::PreKey;
                } else if c == '=' {
                    state = State::PreValue;
                    value.clear();
                    trailing = None;
                } else {
                    key.push(c);
                }
            }
            State::PreValue => {
                if newline(c) {
                    out.push(start, &key, std::mem::take(&mut value))?;
                    state = State::PreKey;
                } else if c == '\'' {
                    state = State::Single;
                } else if c == '"' {
                    state = State::Double;
                } else if c == '\\' {
                    state = State::ValueEscape;
                } else if !blank(c) {
                    state = State::Value;
                    trailing = None;
                    value.push(c);
                }
            }
            State::Value => {
                if newline(c) {
                    if let Some(t) = trailing {
                        value.truncate(t);
                    }
                    out.push(start, &key, std::mem::take(&mut value))?;
                    state = State::PreKey;
                } else if c == '\\' {
                    state = State::ValueEscape;
                    trailing = None;
                } else {
                    if !blank(c) {
                        trailing = None;
                    } else if trailing.is_none() {
                        trailing = Some(value.len());
                    }
                    value.push(c);
                }
            }
            State::ValueEscape => {
                state = State::Value;
                // An escaped newline continues the value; anything else is kept as it is.
                if !newline(c) {
                    value.push(c);
                }
            }
            State::Single => {
                if c == '\'' {
                    state = State::PreValue;
                } else {
                    value.push(c);
                }
            }
            State::Double => {
                if c == '"' {
                    state = State::PreValue;
                } else if c == '\\' {
                    state = State::DoubleEscape;
                } else {
                    value.push(c);
                }
            }
            State::DoubleEscape => {
                state = State::Double;
                if matches!(c, '"' | '\\' | '`' | '$') {
                    value.push(c);
                } else if c != '\n' {
                    value.push('\\');
                    value.push(c);
                }
            }
            State::Comment => {
                if newline(c) {
                    state = State::PreKey;
                }
            }
        }
        if c == '\n' {
            line += 1;
        }
    }
    match state {
        State::PreKey | State::Comment => {}
        State::Key => {
            let k = key.trim_end_matches(blank);
            if !(strip_export(k) != k && valid_name(strip_export(k))) {
                return Err(at(start, "expected KEY=VALUE"));
            }
        }
        State::Single => return Err(at(start, "single quote not closed")),
        State::Double | State::DoubleEscape => return Err(at(start, "double quote not closed")),
        State::Value | State::ValueEscape => {
            if let (State::Value, Some(t)) = (state, trailing) {
                value.truncate(t);
            }
            out.push(start, &key, value)?;
        }
        State::PreValue => out.push(start, &key, value)?,
    }
    Ok(out.pairs)
}

/// Reads and parses the file at `path`, following symbolic links (secrets mounted by
/// Kubernetes are links) but refusing a FIFO, a device or a directory: it is opened
/// non-blocking, and only a regular file of at most [`MAX_FILE_BYTES`] is read. An `optional`
/// file (a `-` path) that does not exist gives no variables.
pub fn read(path: &Path, optional: bool) -> Result<Vec<(String, String)>, EnvFileError> {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path);
    let mut file = match opened {
        Ok(f) => f,
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(whole(e.to_string())),
    };
    let md = file.metadata().map_err(|e| whole(e.to_string()))?;
    if !md.is_file() {
        return Err(whole("not a regular file"));
    }
    if md.len() > MAX_FILE_BYTES as u64 {
        return Err(whole(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    let mut data = Vec::with_capacity(md.len() as usize);
    // One byte more than allowed tells a file that grew since the `fstat`.
    (&mut file)
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|e| whole(e.to_string()))?;
    parse(&data)
}

/// The paths of an `environment_file=` value written in `file` (as the loader names it,
/// relative to `ctx.cwd`): comma-separated, each optionally `-`-prefixed (missing is no
/// error), `~` expanded, relative ones taken from `file`'s directory. Nothing is opened.
pub fn paths(value: &str, file: &Path, ctx: &PathCtx<'_>) -> Result<Vec<EnvFilePath>, String> {
    let abs = ctx.cwd.join(file);
    let dir = normpath(&abs.parent().unwrap_or(Path::new("/")).to_string_lossy());
    let here = PathCtx {
        cwd: Path::new(&dir),
        ..*ctx
    };
    let mut out = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        let (optional, path) = match item.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, item),
        };
        if path.is_empty() {
            return Err(format!(
                "environment_file: empty path in {}",
                crate::pyrepr::str_repr(value)
            ));
        }
        if path.contains('\0') {
            return Err("environment_file: a path contains a NUL byte".into());
        }
        out.push(EnvFilePath {
            path: here.normalize(path),
            optional,
        });
    }
    if out.len() > MAX_PATHS {
        return Err(format!("environment_file: more than {MAX_PATHS} paths"));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "envfile_tests.rs"]
mod tests;
