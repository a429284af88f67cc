//! The event-listener protocol as seen from supervisord: the listener's stdout is parsed
//! into state changes and results. Pure: the daemon feeds the bytes it read and carries out
//! the returned [`Note`]s (log lines, rebuffering the in-flight event).
//!
//! The protocol (reference §6): a listener starts ACKNOWLEDGED and announces itself with
//! `READY\n` (READY). supervisord writes one event (BUSY, see [`Listener::sent`]); the
//! listener answers `RESULT <len>\n` followed by `<len>` bytes of result, which the result
//! handler judges, and the listener is ACKNOWLEDGED again. Anything unexpected sends it to
//! UNKNOWN, where it stays until it is respawned.
//!
//! Reproduced quirks of the reference, on purpose:
//! - the length on the result line is whatever follows its first 7 bytes; the `RESULT `
//!   prefix itself is never checked;
//! - the pass that reads the result line does not also collect result bytes, so
//!   `RESULT 0\n` on its own completes nothing until some later byte arrives;
//! - every state change made here is reported, including a change to the same state.
//!
//! Deviation: a negative length (Python's `int()` accepts one) counts as 0. The reference
//! then slices with a negative count and recurses until Python's recursion limit, which
//! closes the channel; waiting for zero bytes is the sane reading.

use crate::config::model::LogLevel;
use crate::messages;
use crate::pyrepr::decode_or_undecodable;

/// A listener's protocol state, as the reference's `EventListenerStates`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerState {
    /// Spawned, or its last result was handled; waiting for `READY\n`.
    Acknowledged,
    /// Said `READY\n`; may be sent an event.
    Ready,
    /// An event was written to it; waiting for its result.
    Busy,
    /// Broke the protocol; gets no more events until it is respawned.
    Unknown,
}

impl ListenerState {
    /// The name the reference prints in its log lines and status output.
    pub fn name(self) -> &'static str {
        match self {
            ListenerState::Acknowledged => "ACKNOWLEDGED",
            ListenerState::Ready => "READY",
            ListenerState::Busy => "BUSY",
            ListenerState::Unknown => "UNKNOWN",
        }
    }
}

/// What a result handler decided about a complete result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The event was handled; it is done.
    Processed,
    /// The listener refused the event (the reference's `RejectEvent`); it goes back to the
    /// head of the pool's buffer.
    Rejected,
    /// The handler failed (any other exception in the reference); the event is rebuffered
    /// and the listener goes UNKNOWN.
    Error,
}

/// The reference's default result handler: a result of exactly `OK` means processed,
/// anything else rejected.
pub fn default_handler(result: &[u8]) -> Verdict {
    if result == b"OK" {
        Verdict::Processed
    } else {
        Verdict::Rejected
    }
}

/// Something [`Listener::feed`] observed, in the order of the reference's log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The parser changed the listener's state (possibly to the same state).
    Changed {
        /// The state before.
        from: ListenerState,
        /// The state after.
        to: ListenerState,
    },
    /// The handler accepted the result; the in-flight event is done.
    Processed,
    /// The handler rejected the result; the in-flight event must be rebuffered.
    Rejected,
    /// The handler failed; the in-flight event must be rebuffered.
    HandlerError,
    /// The result line's length did not parse; the text is the line as the reference
    /// prints it. The in-flight event must be rebuffered.
    BadResultLine(String),
}

impl Note {
    /// Whether the daemon must put the in-flight event back at the head of the pool's
    /// buffer (the reference notifies `EventRejectedEvent` in these cases).
    pub fn rebuffers(&self) -> bool {
        matches!(
            self,
            Note::Rejected | Note::HandlerError | Note::BadResultLine(_)
        )
    }

    /// The activity-log lines for this note about listener process `name`, as
    /// The activity-log lines for this note, with their levels.
    pub fn log_lines(&self, name: &str) -> Vec<(LogLevel, String)> {
        match self {
            Note::Changed { from, to } => {
                let mut lines = vec![(
                    LogLevel::Debug,
                    messages::listener_state_change(name, from.name(), to.name()),
                )];
                if *to == ListenerState::Unknown {
                    lines.push((LogLevel::Warn, messages::listener_entered_unknown(name)));
                }
                lines
            }
            Note::Processed => vec![(LogLevel::Debug, messages::event_processed(name))],
            Note::Rejected => vec![(LogLevel::Warn, messages::event_rejected(name))],
            Note::HandlerError => vec![(LogLevel::Warn, messages::event_caused_error(name))],
            Note::BadResultLine(text) => {
                vec![(LogLevel::Warn, messages::bad_result_line(name, text))]
            }
        }
    }
}

/// The reference only skips this many bytes of the result line before the length; it
/// never checks that they are `RESULT `.
const RESULT_PREFIX_LEN: usize = b"RESULT ".len();
const READY_TOKEN: &[u8] = b"READY\n";

/// The protocol parser for one listener process, alive from spawn to exit.
#[derive(Debug, Clone)]
pub struct Listener {
    state: ListenerState,
    /// Stdout bytes not yet consumed.
    buffer: Vec<u8>,
    /// Result bytes gathered so far while BUSY.
    result: Vec<u8>,
    /// The announced result length, once the result line has been read.
    resultlen: Option<usize>,
}

impl Default for Listener {
    fn default() -> Self {
        Self::new()
    }
}

impl Listener {
    /// A freshly spawned listener: ACKNOWLEDGED, nothing buffered.
    pub fn new() -> Self {
        Listener {
            state: ListenerState::Acknowledged,
            buffer: Vec::new(),
            result: Vec::new(),
            resultlen: None,
        }
    }

    /// The current protocol state.
    pub fn state(&self) -> ListenerState {
        self.state
    }

    /// The daemon wrote an event to the listener: READY becomes BUSY. The reference sets
    /// the state directly here, so there is no note and no log line. In any other state
    /// this does nothing (the daemon only sends to READY listeners).
    pub fn sent(&mut self) {
        debug_assert_eq!(
            self.state,
            ListenerState::Ready,
            "event sent to a non-READY listener"
        );
        if self.state == ListenerState::Ready {
            self.state = ListenerState::Busy;
        }
    }

    /// A new spawn: ACKNOWLEDGED with nothing buffered.
    pub fn reset(&mut self) {
        *self = Listener::new();
    }

    /// Consumes `data` read from the listener's stdout. `handler` judges each complete
    /// result. Returns what happened, in log order.
    pub fn feed(&mut self, data: &[u8], handler: &mut dyn FnMut(&[u8]) -> Verdict) -> Vec<Note> {
        self.buffer.extend_from_slice(data);
        let mut notes = Vec::new();
        // Each pass is one call of the reference's recursive state handler.
        while !self.buffer.is_empty() && self.step(handler, &mut notes) {}
        notes
    }

    /// One pass over the buffer; returns whether to go again (when the buffer is not empty).
    fn step(&mut self, handler: &mut dyn FnMut(&[u8]) -> Verdict, notes: &mut Vec<Note>) -> bool {
        match self.state {
            ListenerState::Unknown => {
                self.buffer.clear();
                false
            }
            ListenerState::Acknowledged => {
                if self.buffer.len() < READY_TOKEN.len() {
                    return false;
                }
                if self.buffer.starts_with(READY_TOKEN) {
                    self.change(ListenerState::Ready, notes);
                    self.buffer.drain(..READY_TOKEN.len());
                } else {
                    self.change(ListenerState::Unknown, notes);
                    self.buffer.clear();
                }
                true
            }
            ListenerState::Ready => {
                // Output while no event is outstanding: the reference is strict about it.
                self.change(ListenerState::Unknown, notes);
                self.buffer.clear();
                false
            }
            ListenerState::Busy => match self.resultlen {
                None => {
                    let Some(pos) = self.buffer.iter().position(|&b| b == b'\n') else {
                        return false;
                    };
                    let line: Vec<u8> = self.buffer.drain(..=pos).take(pos).collect();
                    let len_text = line.get(RESULT_PREFIX_LEN..).unwrap_or(&[]);
                    match parse_py_int(len_text) {
                        Some(n) => {
                            self.resultlen = Some(n);
                            true
                        }
                        None => {
                            notes.push(Note::BadResultLine(
                                decode_or_undecodable(&line).into_owned(),
                            ));
                            self.change(ListenerState::Unknown, notes);
                            self.buffer.clear();
                            false
                        }
                    }
                }
                Some(len) => {
                    let needed = len.saturating_sub(self.result.len());
                    let take = needed.min(self.buffer.len());
                    self.result.extend(self.buffer.drain(..take));
                    if self.result.len() >= len {
                        let result = std::mem::take(&mut self.result);
                        self.resultlen = None;
                        self.handle_result(handler(&result), notes);
                    }
                    true
                }
            },
        }
    }

    fn handle_result(&mut self, verdict: Verdict, notes: &mut Vec<Note>) {
        let (note, next) = match verdict {
            Verdict::Processed => (Note::Processed, ListenerState::Acknowledged),
            Verdict::Rejected => (Note::Rejected, ListenerState::Acknowledged),
            Verdict::Error => (Note::HandlerError, ListenerState::Unknown),
        };
        notes.push(note);
        self.change(next, notes);
    }

    fn change(&mut self, to: ListenerState, notes: &mut Vec<Note>) {
        notes.push(Note::Changed {
            from: self.state,
            to,
        });
        self.state = to;
    }
}

/// Python's `int(bytes)` in base 10, as a byte count: ASCII whitespace around, an optional
/// sign, digits with single underscores between them. Negative values give 0 (see the
/// module docs); values beyond `usize` saturate, which waits forever as the reference
/// would for that many bytes.
fn parse_py_int(text: &[u8]) -> Option<usize> {
    // Python's isspace for bytes: space, \t, \n, \v, \f, \r.
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = text.iter().position(|b| !is_space(b))?;
    let end = text.iter().rposition(|b| !is_space(b))? + 1;
    let mut body = &text[start..end];
    let mut negative = false;
    if let Some((&sign, rest)) = body.split_first() {
        if sign == b'+' || sign == b'-' {
            negative = sign == b'-';
            body = rest;
        }
    }
    let mut value: usize = 0;
    let mut prev_digit = false;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                value = value
                    .saturating_mul(10)
                    .saturating_add(usize::from(b - b'0'));
                prev_digit = true;
            }
            // An underscore must sit between two digits.
            b'_' if prev_digit && body.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                prev_digit = false;
            }
            _ => return None,
        }
    }
    if !prev_digit {
        return None;
    }
    Some(if negative { 0 } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(l: &mut Listener, data: &[u8]) -> Vec<Note> {
        l.feed(data, &mut default_handler)
    }

    fn changed(from: ListenerState, to: ListenerState) -> Note {
        Note::Changed { from, to }
    }

    use ListenerState::{Acknowledged, Busy, Ready, Unknown};

    /// A listener that has said READY and been sent an event.
    fn busy() -> Listener {
        let mut l = Listener::new();
        feed(&mut l, b"READY\n");
        l.sent();
        assert_eq!(l.state(), Busy);
        l
    }

    #[test]
    fn state_names() {
        assert_eq!(Acknowledged.name(), "ACKNOWLEDGED");
        assert_eq!(Ready.name(), "READY");
        assert_eq!(Busy.name(), "BUSY");
        assert_eq!(Unknown.name(), "UNKNOWN");
    }

    #[test]
    fn ready_handshake() {
        let mut l = Listener::new();
        assert_eq!(l.state(), Acknowledged);
        assert_eq!(feed(&mut l, b"READY\n"), vec![changed(Acknowledged, Ready)]);
        assert_eq!(l.state(), Ready);
    }

    #[test]
    fn ready_handshake_split_across_feeds() {
        let mut l = Listener::new();
        assert_eq!(feed(&mut l, b"REA"), vec![]);
        assert_eq!(l.state(), Acknowledged);
        assert_eq!(feed(&mut l, b"DY\n"), vec![changed(Acknowledged, Ready)]);
        assert_eq!(l.state(), Ready);
    }

    #[test]
    fn garbage_instead_of_ready_goes_unknown() {
        let mut l = Listener::new();
        // Five bytes are not enough to decide.
        assert_eq!(feed(&mut l, b"hello"), vec![]);
        let notes = feed(&mut l, b" world\n");
        assert_eq!(notes, vec![changed(Acknowledged, Unknown)]);
        assert_eq!(l.state(), Unknown);
        assert!(!notes[0].rebuffers());
    }

    #[test]
    fn data_while_ready_goes_unknown() {
        let mut l = Listener::new();
        let notes = feed(&mut l, b"READY\nx");
        assert_eq!(
            notes,
            vec![changed(Acknowledged, Ready), changed(Ready, Unknown)]
        );
        assert_eq!(l.state(), Unknown);
    }

    #[test]
    fn sent_moves_ready_to_busy_silently() {
        let mut l = Listener::new();
        feed(&mut l, b"READY\n");
        l.sent();
        assert_eq!(l.state(), Busy);
    }

    #[test]
    fn result_ok_in_one_feed() {
        let mut l = busy();
        let notes = feed(&mut l, b"RESULT 2\nOK");
        assert_eq!(notes, vec![Note::Processed, changed(Busy, Acknowledged)]);
        assert_eq!(l.state(), Acknowledged);
        assert!(!notes.iter().any(Note::rebuffers));
    }

    #[test]
    fn result_ok_byte_by_byte() {
        let mut l = busy();
        let input = b"RESULT 2\nOK";
        let mut all = Vec::new();
        for (i, b) in input.iter().enumerate() {
            let notes = feed(&mut l, std::slice::from_ref(b));
            if i + 1 < input.len() {
                assert_eq!(notes, vec![], "byte {i}");
                assert_eq!(l.state(), Busy);
            }
            all.extend(notes);
        }
        assert_eq!(all, vec![Note::Processed, changed(Busy, Acknowledged)]);
        assert_eq!(l.state(), Acknowledged);
    }

    #[test]
    fn result_fail_is_rejected_and_rebuffers() {
        let mut l = busy();
        let notes = feed(&mut l, b"RESULT 4\nFAIL");
        assert_eq!(notes, vec![Note::Rejected, changed(Busy, Acknowledged)]);
        assert!(notes[0].rebuffers());
        assert_eq!(l.state(), Acknowledged);
    }

    #[test]
    fn result_then_ready_in_same_feed() {
        let mut l = busy();
        let notes = feed(&mut l, b"RESULT 2\nOKREADY\n");
        assert_eq!(
            notes,
            vec![
                Note::Processed,
                changed(Busy, Acknowledged),
                changed(Acknowledged, Ready)
            ]
        );
        assert_eq!(l.state(), Ready);
    }

    #[test]
    fn result_zero_waits_for_more_bytes() {
        let mut l = busy();
        assert_eq!(feed(&mut l, b"RESULT 0\n"), vec![]);
        assert_eq!(l.state(), Busy);
        assert_eq!(l.resultlen, Some(0));
        let mut seen = Vec::new();
        let notes = l.feed(b"READY\n", &mut |r: &[u8]| {
            seen.push(r.to_vec());
            default_handler(r)
        });
        assert_eq!(seen, vec![Vec::<u8>::new()]);
        assert_eq!(
            notes,
            vec![
                Note::Rejected,
                changed(Busy, Acknowledged),
                changed(Acknowledged, Ready)
            ]
        );
        assert_eq!(l.state(), Ready);
    }

    #[test]
    fn result_prefix_is_not_checked() {
        let mut l = busy();
        let notes = feed(&mut l, b"XXXXXXX5\nHELLO");
        assert_eq!(notes, vec![Note::Rejected, changed(Busy, Acknowledged)]);
    }

    #[test]
    fn bad_result_line() {
        let mut l = busy();
        let notes = feed(&mut l, b"RESULT x\nOK");
        assert_eq!(
            notes,
            vec![
                Note::BadResultLine("RESULT x".to_owned()),
                changed(Busy, Unknown)
            ]
        );
        assert!(notes[0].rebuffers());
        assert_eq!(l.state(), Unknown);
        assert_eq!(
            notes[0].log_lines("lst"),
            vec![(
                LogLevel::Warn,
                "lst: bad result line: 'RESULT x'".to_owned()
            )]
        );
    }

    #[test]
    fn undecodable_result_line() {
        let mut l = busy();
        let notes = feed(&mut l, b"RESULT \xff'\n");
        assert_eq!(
            notes,
            vec![
                Note::BadResultLine("Undecodable: b\"RESULT \\xff'\"".to_owned()),
                changed(Busy, Unknown)
            ]
        );
    }

    #[test]
    fn handler_error_goes_unknown_and_rebuffers() {
        let mut l = busy();
        let notes = l.feed(b"RESULT 2\nOK", &mut |_: &[u8]| Verdict::Error);
        assert_eq!(notes, vec![Note::HandlerError, changed(Busy, Unknown)]);
        assert!(notes[0].rebuffers());
        assert_eq!(l.state(), Unknown);
    }

    #[test]
    fn data_after_unknown_is_ignored() {
        let mut l = Listener::new();
        feed(&mut l, b"garbage");
        assert_eq!(l.state(), Unknown);
        assert_eq!(feed(&mut l, b"READY\n"), vec![]);
        assert_eq!(l.state(), Unknown);
        assert!(l.buffer.is_empty());
    }

    #[test]
    fn reset_starts_over() {
        let mut l = busy();
        feed(&mut l, b"RESULT 5\nab");
        l.reset();
        assert_eq!(l.state(), Acknowledged);
        assert_eq!(feed(&mut l, b"READY\n"), vec![changed(Acknowledged, Ready)]);
    }

    #[test]
    fn log_lines_render_the_reference_texts() {
        assert_eq!(
            changed(Busy, Acknowledged).log_lines("l"),
            vec![(LogLevel::Debug, "l: BUSY -> ACKNOWLEDGED".to_owned())]
        );
        assert_eq!(
            changed(Ready, Unknown).log_lines("l"),
            vec![
                (LogLevel::Debug, "l: READY -> UNKNOWN".to_owned()),
                (
                    LogLevel::Warn,
                    "l: has entered the UNKNOWN state and will no longer receive events, this \
                     usually indicates the process violated the eventlistener protocol"
                        .to_owned()
                )
            ]
        );
        assert_eq!(
            Note::Processed.log_lines("l"),
            vec![(LogLevel::Debug, "l: event was processed".to_owned())]
        );
        assert_eq!(
            Note::Rejected.log_lines("l"),
            vec![(LogLevel::Warn, "l: event was rejected".to_owned())]
        );
        assert_eq!(
            Note::HandlerError.log_lines("l"),
            vec![(LogLevel::Warn, "l: event caused an error".to_owned())]
        );
    }

    #[test]
    fn python_int_parsing() {
        assert_eq!(parse_py_int(b"5"), Some(5));
        assert_eq!(parse_py_int(b" +12 \t"), Some(12));
        assert_eq!(parse_py_int(b"1_000"), Some(1000));
        assert_eq!(parse_py_int(b"007"), Some(7));
        assert_eq!(parse_py_int(b"-3"), Some(0));
        assert_eq!(
            parse_py_int(b"99999999999999999999999999"),
            Some(usize::MAX)
        );
        for bad in [
            &b""[..],
            b" ",
            b"+",
            b"_1",
            b"1_",
            b"1__0",
            b"1 2",
            b"0x10",
            b"5\0",
        ] {
            assert_eq!(parse_py_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn how_replies_are_split_into_reads_does_not_change_what_they_mean() {
        // What a listener writes between two events (it answers only after it got one):
        // READY, an OK, a FAIL, an OK, then a bad result line.
        let writes: [&[u8]; 5] = [
            b"READY\n",
            b"RESULT 2\nOKREADY\n",
            b"RESULT 4\nFAILREADY\n",
            b"RESULT 2\nOKREADY\n",
            b"xx\n",
        ];
        let run = |split: &mut dyn FnMut(usize) -> usize| {
            let mut l = Listener::new();
            let mut notes = Vec::new();
            for w in writes {
                let mut rest = w;
                while !rest.is_empty() {
                    let n = split(rest.len());
                    notes.extend(l.feed(&rest[..n], &mut default_handler));
                    rest = &rest[n..];
                }
                // The daemon sends the next event once the listener is READY.
                if l.state() == Ready {
                    l.sent();
                }
            }
            notes
        };
        let whole = run(&mut |len| len);
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..300 {
            let notes = run(&mut |len| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                ((seed % 5) as usize + 1).min(len)
            });
            assert_eq!(notes, whole);
        }
        assert_eq!(whole.iter().filter(|n| **n == Note::Processed).count(), 2);
        assert_eq!(whole.iter().filter(|n| **n == Note::Rejected).count(), 1);
        assert!(whole.contains(&Note::BadResultLine("xx".into())));
        assert_eq!(whole.last(), Some(&changed(Busy, Unknown)));
    }
}
