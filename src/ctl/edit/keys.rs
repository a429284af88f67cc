//! Bytes from a terminal in raw mode to keys: UTF-8 characters, control characters, and the
//! escape sequences of xterm-like terminals (CSI `ESC [`, SS3 `ESC O`, Alt as `ESC` + key).
//! Sequences it does not know are swallowed whole; a lone `ESC` becomes a key only when no
//! byte follows it in time (the caller says so with [`Decoder::timeout`]).

/// One key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character.
    Char(char),
    /// Ctrl and a letter (`Ctrl('a')`), or another control character (`Ctrl('\\')`).
    Ctrl(char),
    /// Alt (or Esc, then) and a character.
    Alt(char),
    /// Return or Ctrl-J.
    Enter,
    /// Tab or Ctrl-I.
    Tab,
    /// Backspace (DEL or Ctrl-H).
    Backspace,
    /// Alt-Backspace.
    AltBackspace,
    /// The Delete key.
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    /// Ctrl-Left (or Alt-Left).
    WordLeft,
    /// Ctrl-Right (or Alt-Right).
    WordRight,
    /// A lone Escape.
    Esc,
}

/// Longest CSI parameter string kept; longer sequences are dropped whole.
const MAX_PARAMS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Ground,
    Esc,
    Csi(Vec<u8>),
    Ss3,
    Utf8 {
        bytes: [u8; 4],
        have: usize,
        need: usize,
    },
    /// Inside a CSI too long to keep: skip to its final byte.
    SkipCsi,
}

/// The decoder. Feed it bytes one at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoder {
    state: State,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder between keys.
    pub fn new() -> Decoder {
        Decoder {
            state: State::Ground,
        }
    }

    /// True in the middle of a sequence (the caller waits briefly, then calls `timeout`).
    pub fn pending(&self) -> bool {
        self.state != State::Ground
    }

    /// No byte came in time: a lone `ESC` is the Escape key; a cut sequence is dropped.
    pub fn timeout(&mut self) -> Option<Key> {
        let was = std::mem::replace(&mut self.state, State::Ground);
        (was == State::Esc).then_some(Key::Esc)
    }

    /// Takes one byte; returns the key it completes, if any.
    pub fn feed(&mut self, b: u8) -> Option<Key> {
        match std::mem::replace(&mut self.state, State::Ground) {
            State::Ground => self.ground(b),
            State::Esc => self.after_esc(b),
            State::Csi(mut params) => {
                if (0x20..=0x3F).contains(&b) {
                    if params.len() >= MAX_PARAMS {
                        self.state = State::SkipCsi;
                    } else {
                        params.push(b);
                        self.state = State::Csi(params);
                    }
                    None
                } else if (0x40..=0x7E).contains(&b) {
                    csi(&params, b)
                } else {
                    // Not a CSI byte: the sequence was broken; read this byte afresh.
                    self.ground(b)
                }
            }
            State::SkipCsi => {
                if (0x20..=0x3F).contains(&b) {
                    self.state = State::SkipCsi;
                    None
                } else if (0x40..=0x7E).contains(&b) {
                    None
                } else {
                    self.ground(b)
                }
            }
            State::Ss3 => match b {
                b'A' => Some(Key::Up),
                b'B' => Some(Key::Down),
                b'C' => Some(Key::Right),
                b'D' => Some(Key::Left),
                b'H' => Some(Key::Home),
                b'F' => Some(Key::End),
                _ => None,
            },
            State::Utf8 {
                mut bytes,
                mut have,
                need,
            } => {
                if b & 0xC0 != 0x80 {
                    // A cut character: drop it and read this byte afresh.
                    return self.ground(b);
                }
                bytes[have] = b;
                have += 1;
                if have < need {
                    self.state = State::Utf8 { bytes, have, need };
                    return None;
                }
                std::str::from_utf8(&bytes[..need])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map(Key::Char)
            }
        }
    }

    fn ground(&mut self, b: u8) -> Option<Key> {
        match b {
            0x1B => {
                self.state = State::Esc;
                None
            }
            b'\r' | b'\n' => Some(Key::Enter),
            b'\t' => Some(Key::Tab),
            0x7F | 0x08 => Some(Key::Backspace),
            0x00 => None,
            0x01..=0x1A => Some(Key::Ctrl(char::from(b'a' + b - 1))),
            0x1C..=0x1F => Some(Key::Ctrl(char::from(b + 0x40))),
            0x20..=0x7E => Some(Key::Char(char::from(b))),
            0xC2..=0xDF => self.utf8(b, 2),
            0xE0..=0xEF => self.utf8(b, 3),
            0xF0..=0xF4 => self.utf8(b, 4),
            _ => None,
        }
    }

    fn utf8(&mut self, lead: u8, need: usize) -> Option<Key> {
        let mut bytes = [0u8; 4];
        bytes[0] = lead;
        self.state = State::Utf8 {
            bytes,
            have: 1,
            need,
        };
        None
    }

    fn after_esc(&mut self, b: u8) -> Option<Key> {
        match b {
            b'[' => {
                self.state = State::Csi(Vec::new());
                None
            }
            b'O' => {
                self.state = State::Ss3;
                None
            }
            0x1B => {
                self.state = State::Esc;
                Some(Key::Esc)
            }
            0x7F | 0x08 => Some(Key::AltBackspace),
            0x20..=0x7E => Some(Key::Alt(char::from(b))),
            _ => self.ground(b),
        }
    }
}

/// The key of a complete CSI sequence: `params` then the final byte.
fn csi(params: &[u8], fin: u8) -> Option<Key> {
    let text = std::str::from_utf8(params).unwrap_or("");
    let mut fields = text.split(';');
    let first = fields.next().unwrap_or("");
    // xterm's modifier field: 3 = Alt, 5 = Ctrl (plus combinations with Shift).
    let modified = matches!(fields.next(), Some("3" | "5" | "7"));
    match fin {
        b'A' => Some(Key::Up),
        b'B' => Some(Key::Down),
        b'C' if modified => Some(Key::WordRight),
        b'D' if modified => Some(Key::WordLeft),
        b'C' => Some(Key::Right),
        b'D' => Some(Key::Left),
        b'H' => Some(Key::Home),
        b'F' => Some(Key::End),
        b'~' => match first {
            "1" | "7" => Some(Key::Home),
            "4" | "8" => Some(Key::End),
            "3" => Some(Key::Delete),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        let mut d = Decoder::new();
        bytes.iter().filter_map(|&b| d.feed(b)).collect()
    }

    #[test]
    fn plain_and_control_keys() {
        assert_eq!(keys(b"ab"), [Key::Char('a'), Key::Char('b')]);
        assert_eq!(
            keys(b"\x01\x05\x17\x03\x04\r\n\t\x7f\x08"),
            [
                Key::Ctrl('a'),
                Key::Ctrl('e'),
                Key::Ctrl('w'),
                Key::Ctrl('c'),
                Key::Ctrl('d'),
                Key::Enter,
                Key::Enter,
                Key::Tab,
                Key::Backspace,
                Key::Backspace
            ]
        );
    }

    #[test]
    fn escape_sequences() {
        assert_eq!(
            keys(b"\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F"),
            [
                Key::Up,
                Key::Down,
                Key::Right,
                Key::Left,
                Key::Home,
                Key::End
            ]
        );
        assert_eq!(
            keys(b"\x1bOH\x1bOF\x1b[1~\x1b[4~\x1b[7~\x1b[8~\x1b[3~"),
            [
                Key::Home,
                Key::End,
                Key::Home,
                Key::End,
                Key::Home,
                Key::End,
                Key::Delete
            ]
        );
        assert_eq!(
            keys(b"\x1b[1;5C\x1b[1;5D\x1bb\x1bf\x1b\x7f"),
            [
                Key::WordRight,
                Key::WordLeft,
                Key::Alt('b'),
                Key::Alt('f'),
                Key::AltBackspace
            ]
        );
        // Unknown sequences vanish whole, even overlong ones.
        assert_eq!(
            keys(b"\x1b[15~x\x1b[200~y"),
            [Key::Char('x'), Key::Char('y')]
        );
        let long = [b"\x1b[".as_slice(), &[b'1'; 100], b"Az"].concat();
        assert_eq!(keys(&long), [Key::Char('z')]);
    }

    #[test]
    fn lone_escape_needs_a_timeout() {
        let mut d = Decoder::new();
        assert_eq!(d.feed(0x1b), None);
        assert!(d.pending());
        assert_eq!(d.timeout(), Some(Key::Esc));
        assert!(!d.pending());
        assert_eq!(d.feed(b'x'), Some(Key::Char('x')));
    }

    #[test]
    fn utf8() {
        assert_eq!(
            keys("é日🚀".as_bytes()),
            [Key::Char('é'), Key::Char('日'), Key::Char('🚀')]
        );
        // A cut character is dropped; the next byte still counts. Invalid bytes vanish.
        assert_eq!(keys(b"\xc3x\xff\xe6\x97"), [Key::Char('x')]);
        // Overlong or surrogate encodings are not characters.
        assert_eq!(keys(b"\xed\xa0\x80a"), [Key::Char('a')]);
    }
}
