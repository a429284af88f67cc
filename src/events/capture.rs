//! Capture mode of one output channel (stdout or stderr) when `*_capture_maxbytes` > 0:
//! output between [`BEGIN_TOKEN`] and [`END_TOKEN`] is collected in a bounded buffer and
//! handed out as a `PROCESS_COMMUNICATION_*` payload at the END token. Pure: the daemon feeds
//! the bytes it read and carries out the returned [`Out`]s.
//!
//! Reproduced quirks of the reference, on purpose:
//! - output no longer than the token being looked for stays pending until more output
//!   arrives (so a short last line before exit is never logged);
//! - the capture buffer drops as many bytes from its front as the new piece is long, which
//!   can leave it larger than `maxbytes`, or empty it and keep only the piece.

/// Starts capture mode.
pub const BEGIN_TOKEN: &[u8] = b"<!--XSUPERVISOR:BEGIN-->";
/// Ends capture mode and emits the captured bytes.
pub const END_TOKEN: &[u8] = b"<!--XSUPERVISOR:END-->";

/// What the daemon must do with a channel's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Log a piece of output as usual (child log, main log, `PROCESS_LOG_*` events).
    /// `captured` is whether it came between the tokens; the capture buffer already holds it.
    Log {
        /// The piece of output, tokens removed.
        data: Vec<u8>,
        /// Whether capture mode was on for this piece.
        captured: bool,
    },
    /// An END token closed a capture: emit a `PROCESS_COMMUNICATION_*` event with this data.
    Comm(Vec<u8>),
}

/// The capture-mode scanner for one output channel.
#[derive(Debug, Clone)]
pub struct Capture {
    capturing: bool,
    /// Output not yet examined, or kept because it may start a token.
    pending: Vec<u8>,
    /// The bounded capture buffer.
    captured: Vec<u8>,
    maxbytes: usize,
}

impl Capture {
    /// A scanner outside capture mode with a capture buffer of `maxbytes` (the daemon only
    /// builds one when `*_capture_maxbytes` > 0, as the reference does).
    pub fn new(maxbytes: u64) -> Self {
        Capture {
            capturing: false,
            pending: Vec::new(),
            captured: Vec::new(),
            maxbytes: usize::try_from(maxbytes).unwrap_or(usize::MAX),
        }
    }

    /// Whether capture mode is on (a BEGIN token was seen and its END not yet).
    pub fn capturing(&self) -> bool {
        self.capturing
    }

    /// Returns and clears the output still pending (the reference drops it at exit).
    pub fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// Consumes output read from the channel; returns what to log and emit, in order.
    pub fn feed(&mut self, data: &[u8]) -> Vec<Out> {
        self.feed_with(data, &mut |piece: &[u8]| piece.to_vec())
    }

    /// As [`Capture::feed`], but each non-empty piece goes through `map` before it is logged
    /// and captured. The reference strips ANSI escapes (`strip_ansi`) at exactly this point,
    /// so the capture buffer holds stripped text and its bound applies to that.
    pub fn feed_with(&mut self, data: &[u8], map: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Vec<Out> {
        self.pending.extend_from_slice(data);
        let mut out = Vec::new();
        loop {
            let token = if self.capturing {
                END_TOKEN
            } else {
                BEGIN_TOKEN
            };
            if self.pending.len() <= token.len() {
                break;
            }
            let data = std::mem::take(&mut self.pending);
            match find(&data, token) {
                Some(at) => {
                    self.log(&data[..at], map, &mut out);
                    self.toggle(&mut out);
                    self.pending = data[at + token.len()..].to_vec();
                    if self.pending.is_empty() {
                        break;
                    }
                }
                None => {
                    // Keep a tail that may be the start of a token split across reads.
                    let keep = prefix_at_end(&data, token);
                    let cut = data.len() - keep;
                    self.pending = data[cut..].to_vec();
                    self.log(&data[..cut], map, &mut out);
                    break;
                }
            }
        }
        out
    }

    fn log(&mut self, piece: &[u8], map: &mut dyn FnMut(&[u8]) -> Vec<u8>, out: &mut Vec<Out>) {
        if piece.is_empty() {
            return;
        }
        let data = map(piece);
        if self.capturing {
            if self.captured.len() + data.len() > self.maxbytes {
                let drop = data.len().min(self.captured.len());
                self.captured.drain(..drop);
            }
            self.captured.extend_from_slice(&data);
        }
        out.push(Out::Log {
            data,
            captured: self.capturing,
        });
    }

    fn toggle(&mut self, out: &mut Vec<Out>) {
        self.capturing = !self.capturing;
        if !self.capturing {
            out.push(Out::Comm(std::mem::take(&mut self.captured)));
        }
    }
}

/// The position of the first occurrence of `token` in `data`.
fn find(data: &[u8], token: &[u8]) -> Option<usize> {
    data.windows(token.len()).position(|w| w == token)
}

/// The length of the longest proper prefix of `token` that `data` ends with (0 if none).
fn prefix_at_end(data: &[u8], token: &[u8]) -> usize {
    (1..token.len())
        .rev()
        .find(|&k| data.ends_with(&token[..k]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(data: &[u8], captured: bool) -> Out {
        Out::Log {
            data: data.to_vec(),
            captured,
        }
    }

    fn comm(data: &[u8]) -> Out {
        Out::Comm(data.to_vec())
    }

    #[test]
    fn token_lengths() {
        assert_eq!(BEGIN_TOKEN.len(), 24);
        assert_eq!(END_TOKEN.len(), 22);
    }

    #[test]
    fn plain_text_longer_than_token_passes_through() {
        let mut c = Capture::new(100);
        let text = b"this line is longer than the begin token\n";
        assert_eq!(c.feed(text), vec![log(text, false)]);
        assert!(!c.capturing());
        assert_eq!(c.take_pending(), b"");
    }

    #[test]
    fn short_text_stays_pending_until_more_arrives() {
        let mut c = Capture::new(100);
        // Exactly 24 bytes: not more than the token, so it waits.
        let short = b"twenty-four bytes here!\n";
        assert_eq!(short.len(), 24);
        assert_eq!(c.feed(short), vec![]);
        assert_eq!(
            c.feed(b"x"),
            vec![log(b"twenty-four bytes here!\nx", false)]
        );
        assert_eq!(c.feed(b"hi\n"), vec![]);
        assert_eq!(c.take_pending(), b"hi\n");
        assert_eq!(c.take_pending(), b"");
    }

    #[test]
    fn capture_in_one_feed() {
        let mut c = Capture::new(100);
        let mut input = b"before ".to_vec();
        input.extend_from_slice(BEGIN_TOKEN);
        input.extend_from_slice(b"captured");
        input.extend_from_slice(END_TOKEN);
        input.extend_from_slice(b"after\n");
        assert_eq!(
            c.feed(&input),
            vec![
                log(b"before ", false),
                log(b"captured", true),
                comm(b"captured")
            ]
        );
        assert!(!c.capturing());
        // "after\n" is compared against BEGIN's 24 bytes and stays pending.
        assert_eq!(c.take_pending(), b"after\n");
    }

    #[test]
    fn token_at_start_logs_nothing_before_it() {
        let mut c = Capture::new(100);
        let mut input = BEGIN_TOKEN.to_vec();
        input.extend_from_slice(b"data that is long enough to pass END");
        assert_eq!(
            c.feed(&input),
            vec![log(b"data that is long enough to pass END", true)]
        );
        assert!(c.capturing());
    }

    #[test]
    fn token_split_across_feeds() {
        let mut c = Capture::new(100);
        assert_eq!(
            c.feed(b"some normal output <!--XSUPER"),
            vec![log(b"some normal output ", false)]
        );
        assert!(!c.capturing());
        assert_eq!(
            c.feed(b"VISOR:BEGIN-->inside the capture area"),
            vec![log(b"inside the capture area", true)]
        );
        assert!(c.capturing());
        // END split too.
        assert_eq!(
            c.feed(b"more text<!--XSUPERVISOR:E"),
            vec![log(b"more text", true)]
        );
        assert_eq!(
            c.feed(b"ND-->trailing output after the end"),
            vec![
                comm(b"inside the capture areamore text"),
                log(b"trailing output after the end", false)
            ]
        );
    }

    #[test]
    fn bound_rule_with_maxbytes_ten() {
        // The first 21 bytes of END: kept pending, so the piece before them is logged alone.
        let end_part = &END_TOKEN[..21];
        let mut c = Capture::new(10);

        // 4 bytes into an empty buffer: within the bound, nothing dropped.
        let mut input = BEGIN_TOKEN.to_vec();
        input.extend_from_slice(b"abcd");
        input.extend_from_slice(end_part);
        assert_eq!(c.feed(&input), vec![log(b"abcd", true)]);
        assert_eq!(c.feed(b">!"), vec![comm(b"abcd")]);
        assert_eq!(c.take_pending(), b"!");

        let mut input = BEGIN_TOKEN.to_vec();
        input.extend_from_slice(b"abcdefghijklmnopqrstuvw<");
        let first = b"abcdefghijklmnopqrstuvw";
        assert_eq!(c.feed(&input), vec![log(first, true)]);
        // 0 + 23 > 10: the buffer (shorter than the piece) empties, then holds all 23 bytes.
        assert_eq!(c.captured, first);

        let mut input = b"ab".to_vec();
        input.extend_from_slice(end_part);
        assert_eq!(c.feed(&input), vec![log(b"<ab", true)]);
        // 23 + 3 > 10: drop 3 bytes from the front, then append; still over maxbytes.
        assert_eq!(c.captured, b"defghijklmnopqrstuvw<ab");

        assert_eq!(c.feed(b">z"), vec![comm(b"defghijklmnopqrstuvw<ab")]);
        assert!(c.captured.is_empty());
        assert!(!c.capturing());
        assert_eq!(c.take_pending(), b"z");
    }

    #[test]
    fn two_comm_events_in_a_row() {
        let mut c = Capture::new(100);
        let mut input = Vec::new();
        for payload in [&b"first"[..], b"second"] {
            input.extend_from_slice(BEGIN_TOKEN);
            input.extend_from_slice(payload);
            input.extend_from_slice(END_TOKEN);
        }
        input.extend_from_slice(b"enough trailing text to be logged\n");
        assert_eq!(
            c.feed(&input),
            vec![
                log(b"first", true),
                comm(b"first"),
                log(b"second", true),
                comm(b"second"),
                log(b"enough trailing text to be logged\n", false)
            ]
        );
        assert!(!c.capturing());
    }

    #[test]
    fn empty_capture_emits_empty_comm() {
        let mut c = Capture::new(100);
        let mut input = BEGIN_TOKEN.to_vec();
        input.extend_from_slice(END_TOKEN);
        input.extend_from_slice(b"and then enough text afterwards");
        assert_eq!(
            c.feed(&input),
            vec![comm(b""), log(b"and then enough text afterwards", false)]
        );
    }

    #[test]
    fn feed_with_maps_logged_and_captured_pieces() {
        let mut c = Capture::new(100);
        let mut input = BEGIN_TOKEN.to_vec();
        input.extend_from_slice(b"\x1b[1mbold\x1b[0m");
        input.extend_from_slice(END_TOKEN);
        input.extend_from_slice(b"a tail that is long enough!");
        let mut strip = |p: &[u8]| {
            p.iter()
                .copied()
                .filter(|b| b.is_ascii_lowercase() || *b == b' ' || *b == b'!')
                .collect::<Vec<u8>>()
        };
        assert_eq!(
            c.feed_with(&input, &mut strip),
            vec![
                log(b"mboldm", true),
                comm(b"mboldm"),
                log(b"a tail that is long enough!", false)
            ]
        );
    }

    #[test]
    fn prefix_at_end_finds_longest_proper_prefix() {
        assert_eq!(prefix_at_end(b"abc<!--", BEGIN_TOKEN), 4);
        assert_eq!(prefix_at_end(b"abc<", BEGIN_TOKEN), 1);
        assert_eq!(prefix_at_end(b"abc", BEGIN_TOKEN), 0);
        assert_eq!(prefix_at_end(b"x<!--XSUPERVISOR:BEGIN--", BEGIN_TOKEN), 23);
    }

    /// A tiny deterministic generator, so the split test needs no crate.
    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn how_output_is_split_into_reads_does_not_change_what_is_logged_or_captured() {
        let text = b"start <!--XSUPERVISOR:BEGIN-->one<!--XSUPERVISOR:END--> middle \
            <!--XSUPERVISOR:BEGIN-->two, longer than a token<!--XSUPERVISOR:END--> tail text\n";
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..500 {
            let mut c = Capture::new(1024);
            let (mut logged, mut comms) = (Vec::new(), Vec::new());
            let mut rest = &text[..];
            while !rest.is_empty() {
                let n = (next(&mut seed) % 9 + 1).min(rest.len() as u64) as usize;
                for out in c.feed(&rest[..n]) {
                    match out {
                        Out::Log {
                            data,
                            captured: false,
                        } => logged.extend(data),
                        Out::Log { .. } => {}
                        Out::Comm(d) => comms.push(d),
                    }
                }
                rest = &rest[n..];
            }
            logged.extend(c.take_pending());
            assert_eq!(
                String::from_utf8(logged).unwrap(),
                "start  middle  tail text\n"
            );
            assert_eq!(
                comms,
                [b"one".to_vec(), b"two, longer than a token".to_vec()]
            );
        }
    }
}
