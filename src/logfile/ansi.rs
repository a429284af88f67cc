//! `strip_ansi`: removes terminal escape sequences from child output the way the
//! reference's `stripEscapes` does (a fact, observed in supervisor/dispatchers.py): from
//! each `ESC [` drop everything up to and including the next byte in
//! `H f A B C D R s u J K h l p m`; an unterminated sequence is dropped to the end.
//!
//! The reference applies this per read, so a sequence split across two reads leaks its
//! tail. [`AnsiStripper`] carries the state between calls and so handles splits; the
//! free function [`strip_ansi`] is the one-shot (reference) form.

const TERMINATORS: &[u8] = b"HfABCDRsuJKhlpm";

/// Where the stripper is between calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Copying bytes.
    #[default]
    Text,
    /// The previous chunk ended with ESC (held back, not yet emitted).
    Esc,
    /// Inside `ESC [ ...`, dropping bytes until a terminator.
    Seq,
}

/// A stateful stripper for one output stream.
#[derive(Debug, Clone, Default)]
pub struct AnsiStripper {
    state: State,
}

impl AnsiStripper {
    /// A stripper in the text state.
    pub fn new() -> AnsiStripper {
        AnsiStripper::default()
    }

    /// Strips `data`, continuing any sequence begun in an earlier chunk.
    pub fn strip(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len());
        for &b in data {
            self.state = match (self.state, b) {
                (State::Text, 0x1b) => State::Esc,
                (State::Text, b) => {
                    out.push(b);
                    State::Text
                }
                (State::Esc, b'[') => State::Seq,
                (State::Esc, 0x1b) => {
                    out.push(0x1b);
                    State::Esc
                }
                (State::Esc, b) => {
                    out.extend_from_slice(&[0x1b, b]);
                    State::Text
                }
                (State::Seq, b) if TERMINATORS.contains(&b) => State::Text,
                (State::Seq, _) => State::Seq,
            };
        }
        out
    }

    /// Emits anything held back (a trailing ESC) at end of stream.
    pub fn finish(&mut self) -> Vec<u8> {
        let held = if self.state == State::Esc {
            vec![0x1b]
        } else {
            Vec::new()
        };
        self.state = State::Text;
        held
    }
}

/// One-shot stripping of a complete buffer (the reference's behaviour per read).
pub fn strip_ansi(data: &[u8]) -> Vec<u8> {
    let mut s = AnsiStripper::new();
    let mut out = s.strip(data);
    out.extend(s.finish());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_like_the_reference() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"plain", b"plain"),
            (b"\x1b[31mred\x1b[0m", b"red"),
            (b"a\x1b[1;32;40mb\x1b[Kc", b"abc"),
            (b"\x1b[2J\x1b[Hhome", b"home"),
            (b"cut \x1b[12", b"cut "),
            (b"lone \x1b here", b"lone \x1b here"),
            (b"end\x1b", b"end\x1b"),
            (b"\x1b\x1b[mX", b"\x1bX"),
            // `[` itself is not a terminator; the first terminator after ESC[ ends it.
            (b"\x1b[[mX", b"X"),
            (b"\x1b[?25hshown", b"shown"),
            (b"x\x1b]0;title\x07y", b"x\x1b]0;title\x07y"),
        ];
        for (input, want) in cases {
            assert_eq!(
                strip_ansi(input),
                want.to_vec(),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn split_sequences_across_chunks() {
        let whole = b"a\x1b[1;31mred\x1b[0m\x1b\x1bz";
        for cut in 0..=whole.len() {
            let mut s = AnsiStripper::new();
            let mut out = s.strip(&whole[..cut]);
            out.extend(s.strip(&whole[cut..]));
            out.extend(s.finish());
            assert_eq!(out, strip_ansi(whole), "cut at {cut}");
        }
        assert_eq!(strip_ansi(whole), b"ared\x1b\x1bz");
    }
}
