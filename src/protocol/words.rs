//! Splitting a request line into words and quoting words back (pure).
//!
//! The rules (also in `PROTOCOL.md`): words are separated by runs of spaces or tabs. A word is
//! made of plain characters and double-quoted parts, shell-like: `a"b c"d` is the one word
//! `ab cd`. A backslash escapes the next character, inside or outside quotes: `\\`, `\"`,
//! `\ ` (space), `\n`, `\r`, `\t` and `\xHH` (one byte, so any UTF-8 text can be spelled out).
//! Raw control characters other than tab are refused, so a name can never smuggle a line
//! break or a terminal escape through the protocol. [`quote`] always produces a word that
//! [`split`] reads back unchanged.

use std::fmt;

/// Why a line could not be split into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordError {
    /// A `"` was opened and never closed.
    UnterminatedQuote,
    /// A backslash ended the line or was followed by a character with no meaning.
    BadEscape,
    /// A raw control character (other than tab) or NUL appeared in the line.
    ControlCharacter(u8),
    /// The decoded word is not valid UTF-8.
    NotUtf8,
}

impl fmt::Display for WordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WordError::UnterminatedQuote => write!(f, "unterminated double quote"),
            WordError::BadEscape => write!(f, "bad backslash escape"),
            WordError::ControlCharacter(b) => write!(f, "control character 0x{b:02x} in request"),
            WordError::NotUtf8 => write!(f, "request is not valid UTF-8"),
        }
    }
}

/// Splits one request line (without its line terminator) into words.
pub fn split(line: &[u8]) -> Result<Vec<String>, WordError> {
    let mut words = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut in_word = false;
    let mut in_quotes = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        i += 1;
        match b {
            b'\\' => {
                let (byte, used) = unescape(&line[i..])?;
                cur.push(byte);
                i += used;
                in_word = true;
            }
            b'"' => {
                in_quotes = !in_quotes;
                in_word = true;
            }
            b' ' | b'\t' if !in_quotes => {
                if in_word {
                    words.push(finish(&mut cur)?);
                    in_word = false;
                }
            }
            b'\t' => cur.push(b),
            b if b < 0x20 || b == 0x7f => return Err(WordError::ControlCharacter(b)),
            b => {
                cur.push(b);
                in_word = true;
            }
        }
    }
    if in_quotes {
        return Err(WordError::UnterminatedQuote);
    }
    if in_word {
        words.push(finish(&mut cur)?);
    }
    Ok(words)
}

fn finish(cur: &mut Vec<u8>) -> Result<String, WordError> {
    String::from_utf8(std::mem::take(cur)).map_err(|_| WordError::NotUtf8)
}

/// Decodes the escape after a backslash: returns the byte and how many input bytes it used.
fn unescape(rest: &[u8]) -> Result<(u8, usize), WordError> {
    match rest.first() {
        Some(b'\\') => Ok((b'\\', 1)),
        Some(b'"') => Ok((b'"', 1)),
        Some(b' ') => Ok((b' ', 1)),
        Some(b'n') => Ok((b'\n', 1)),
        Some(b'r') => Ok((b'\r', 1)),
        Some(b't') => Ok((b'\t', 1)),
        Some(b'x') => {
            let hex = rest.get(1..3).ok_or(WordError::BadEscape)?;
            let text = std::str::from_utf8(hex).map_err(|_| WordError::BadEscape)?;
            let v = u8::from_str_radix(text, 16).map_err(|_| WordError::BadEscape)?;
            Ok((v, 3))
        }
        _ => Err(WordError::BadEscape),
    }
}

/// True when `word` can be sent as is: non-empty and made only of printable characters other
/// than space, `"` and `\`.
fn is_plain(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && c != '"' && c != '\\')
}

/// Renders `word` so that [`split`] returns it unchanged: as is when it is plain, otherwise in
/// double quotes with `\\`, `\"`, `\n`, `\r`, `\t` and `\xHH` escapes for control characters.
pub fn quote(word: &str) -> String {
    if is_plain(word) {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Joins words into one request line (without the line terminator), quoting as needed.
pub fn join(words: &[&str]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(line: &str) -> Result<Vec<String>, WordError> {
        split(line.as_bytes())
    }

    #[test]
    fn splits_plain_and_quoted_words() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   \t ", &[]),
            ("status", &["status"]),
            ("  start  web\tdb  ", &["start", "web", "db"]),
            ("a\"b c\"d", &["ab cd"]),
            ("\"\"", &[""]),
            ("x \"\" y", &["x", "", "y"]),
            ("\"a\\\"b\"", &["a\"b"]),
            ("a\\ b", &["a b"]),
            ("\"tab\there\"", &["tab\there"]),
            ("\"\\n\\r\\t\\\\\"", &["\n\r\t\\"]),
            ("\\xc3\\xa9t\\xc3\\xa9", &["été"]),
            ("été g:*", &["été", "g:*"]),
        ];
        for (line, want) in cases {
            let got = s(line).unwrap();
            assert_eq!(got, want.to_vec(), "line {line:?}");
        }
    }

    #[test]
    fn refuses_malformed_lines() {
        let cases: &[(&[u8], WordError)] = &[
            (b"start \"web", WordError::UnterminatedQuote),
            (b"start web\\", WordError::BadEscape),
            (b"start \\q", WordError::BadEscape),
            (b"start \\x4", WordError::BadEscape),
            (b"start \\xzz", WordError::BadEscape),
            (b"start \x1b[2J", WordError::ControlCharacter(0x1b)),
            (b"start a\x00b", WordError::ControlCharacter(0)),
            (b"start \r", WordError::ControlCharacter(b'\r')),
            (b"start \xff\xfe", WordError::NotUtf8),
            (b"start \\xff", WordError::NotUtf8),
        ];
        for (line, want) in cases {
            assert_eq!(split(line), Err(want.clone()), "line {line:?}");
        }
    }

    #[test]
    fn quote_round_trips_every_awkward_word() {
        let words = [
            "web",
            "g:*",
            "",
            "a b",
            "quote\"in",
            "back\\slash",
            "line\nbreak",
            "cr\rret",
            "\x1b[31m",
            "\u{85}next-line",
            "été",
            "-f",
            ".dot",
            "\t",
        ];
        for w in words {
            let line = join(&["start", w, "x"]);
            assert!(!line.contains('\n'), "{line:?}");
            assert_eq!(
                s(&line).unwrap(),
                vec!["start".to_string(), w.to_string(), "x".to_string()],
                "word {w:?} rendered as {line:?}"
            );
        }
        assert_eq!(quote("web"), "web");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("\x01"), "\"\\x01\"");
    }
}
