//! Reply framing: rendering body lines and the final line (server side) and the incremental
//! [`ReplyParser`] (client side).
//!
//! A reply is a sequence of LF-terminated lines. Lines that start with `.` are control lines;
//! a body line that itself starts with `.` is sent with one more `.` in front (dot-stuffing,
//! as in SMTP), so every other body line reaches `nc` users unchanged:
//! - `..text`: the body line `.text`;
//! - `.`: keepalive, sent while a slow command waits (clients ignore it);
//! - `.+bytes`: streamed output with no line end yet (a prompt, a partial log line);
//! - `.NAME CODE`: the final line. `NAME` is `OK` or a fault name, `CODE` the exit code.

use super::fault::{Fault, Outcome};

/// A complete reply (for tests and for replies built in one go).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// Body lines, without line terminators.
    pub body: Vec<Vec<u8>>,
    /// How it ended.
    pub outcome: Outcome,
}

impl Reply {
    /// A reply from text lines.
    pub fn from_lines<S: AsRef<str>>(lines: &[S], outcome: Outcome) -> Reply {
        Reply {
            body: lines
                .iter()
                .map(|l| l.as_ref().as_bytes().to_vec())
                .collect(),
            outcome,
        }
    }
}

/// Appends one body line (without terminator; must not contain LF) to `out`.
pub fn push_body_line(out: &mut Vec<u8>, line: &[u8]) {
    if line.first() == Some(&b'.') {
        out.push(b'.');
    }
    out.extend_from_slice(line);
    out.push(b'\n');
}

/// Appends text as body lines: each `\n`-separated piece is one line. A final `\n` ends the
/// last line rather than starting an empty one.
pub fn push_body_text(out: &mut Vec<u8>, text: &[u8]) {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    for line in text.split(|b| *b == b'\n') {
        push_body_line(out, line);
    }
}

/// Appends streamed data: complete lines as body lines, a trailing incomplete piece as a
/// `.+` line. Replaying the frames on the client prints exactly `data`.
pub fn push_stream_data(out: &mut Vec<u8>, data: &[u8]) {
    let mut rest = data;
    while let Some(i) = rest.iter().position(|b| *b == b'\n') {
        push_body_line(out, &rest[..i]);
        rest = &rest[i + 1..];
    }
    if !rest.is_empty() {
        out.extend_from_slice(b".+");
        out.extend_from_slice(rest);
        out.push(b'\n');
    }
}

/// The keepalive line.
pub const KEEPALIVE: &[u8] = b".\n";

/// Renders the final line, e.g. `.OK 0` or `.BAD_NAME 1`.
pub fn render_end(outcome: &Outcome) -> Vec<u8> {
    let name = match (outcome.exit_code, outcome.fault) {
        (0, _) => "OK",
        (_, Some(f)) => f.name(),
        (_, None) => Fault::Failed.name(),
    };
    format!(".{name} {}\n", outcome.exit_code).into_bytes()
}

/// Renders a whole reply.
pub fn render_reply(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    for line in &reply.body {
        push_body_line(&mut out, line);
    }
    out.extend_from_slice(&render_end(&reply.outcome));
    out
}

/// One thing the client learned from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyEvent {
    /// A body line: print it followed by a newline.
    Line(Vec<u8>),
    /// Output with no newline yet: print it as is.
    Partial(Vec<u8>),
    /// The server is still working.
    Keepalive,
    /// The reply is complete.
    End(Outcome),
}

/// Parses the final line's text (after the `.`); `None` when it is not a final line.
fn parse_end(rest: &[u8]) -> Option<Outcome> {
    let text = std::str::from_utf8(rest).ok()?;
    let mut it = text.split_whitespace();
    let name = it.next()?;
    if !name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return None;
    }
    let code: i32 = it.next()?.parse().ok()?;
    let fault = if name == "OK" {
        None
    } else {
        Some(Fault::from_name(name).unwrap_or(Fault::Failed))
    };
    Some(match fault {
        Some(f) => Outcome::failed(f, code),
        None => Outcome {
            fault: None,
            exit_code: code,
        },
    })
}

/// Incremental client-side parser. Memory is bounded: a body line longer than the limit is
/// handed out in pieces as [`ReplyEvent::Partial`], which prints the same bytes.
#[derive(Debug)]
pub struct ReplyParser {
    buf: Vec<u8>,
    /// True when the buffered bytes continue a body line already partly handed out.
    mid_line: bool,
    limit: usize,
}

impl Default for ReplyParser {
    fn default() -> Self {
        ReplyParser::new()
    }
}

impl ReplyParser {
    /// A parser with a 64 KiB line limit.
    pub fn new() -> ReplyParser {
        ReplyParser::with_limit(64 * 1024)
    }

    /// A parser with a custom line limit (at least 16 bytes).
    pub fn with_limit(limit: usize) -> ReplyParser {
        ReplyParser {
            buf: Vec::new(),
            mid_line: false,
            limit: limit.max(16),
        }
    }

    /// Feeds bytes read from the socket; returns the events they complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ReplyEvent> {
        let mut events = Vec::new();
        for chunk in bytes.split_inclusive(|b| *b == b'\n') {
            self.buf.extend_from_slice(chunk);
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
                let line = std::mem::take(&mut self.buf);
                events.push(self.complete_line(line));
            } else if self.buf.len() > self.limit {
                events.push(self.flush_partial());
            }
        }
        events
    }

    fn complete_line(&mut self, line: Vec<u8>) -> ReplyEvent {
        if std::mem::replace(&mut self.mid_line, false) {
            return ReplyEvent::Line(line);
        }
        match line.first() {
            Some(b'.') => match line.get(1) {
                None => ReplyEvent::Keepalive,
                Some(b'.') => ReplyEvent::Line(line[1..].to_vec()),
                Some(b'+') => ReplyEvent::Partial(line[2..].to_vec()),
                _ => match parse_end(&line[1..]) {
                    Some(o) => ReplyEvent::End(o),
                    // Unknown control lines are reserved; skipping them keeps old clients
                    // working with newer servers.
                    None => ReplyEvent::Keepalive,
                },
            },
            _ => ReplyEvent::Line(line),
        }
    }

    /// Hands out an overlong body line's bytes so far. Control lines are short, so a long
    /// buffer is a body line (possibly dot-stuffed) or a `.+` partial.
    fn flush_partial(&mut self) -> ReplyEvent {
        let mut data = std::mem::take(&mut self.buf);
        if !self.mid_line {
            if data.starts_with(b"..") {
                data.remove(0);
            } else if data.starts_with(b".+") {
                data.drain(..2);
            }
        }
        self.mid_line = true;
        ReplyEvent::Partial(data)
    }

    /// True when no partial line is buffered.
    pub fn is_idle(&self) -> bool {
        self.buf.is_empty() && !self.mid_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8], step: usize) -> Vec<ReplyEvent> {
        let mut p = ReplyParser::new();
        let mut ev = Vec::new();
        for c in bytes.chunks(step.max(1)) {
            ev.extend(p.feed(c));
        }
        ev
    }

    #[test]
    fn renders_with_dot_stuffing_and_final_line() {
        let r = Reply::from_lines(
            &["web   RUNNING", ".hidden", "", ".", "..x"],
            Outcome::failed(Fault::BadName, 4),
        );
        assert_eq!(
            render_reply(&r),
            b"web   RUNNING\n..hidden\n\n..\n...x\n.BAD_NAME 4\n".to_vec()
        );
        assert_eq!(render_end(&Outcome::ok()), b".OK 0\n");
        let odd = Outcome {
            fault: None,
            exit_code: 3,
        };
        assert_eq!(render_end(&odd), b".FAILED 3\n");
    }

    #[test]
    fn parser_round_trips_any_chunking() {
        let r = Reply::from_lines(
            &["a", ".b", "", "..", "tab\there"],
            Outcome::failed(Fault::SpawnError, 7),
        );
        let bytes = render_reply(&r);
        for step in [1, 2, 3, 7, 1000] {
            let ev = parse_all(&bytes, step);
            let mut want: Vec<ReplyEvent> =
                r.body.iter().map(|l| ReplyEvent::Line(l.clone())).collect();
            want.push(ReplyEvent::End(r.outcome));
            assert_eq!(ev, want, "step {step}");
        }
    }

    #[test]
    fn parses_control_lines() {
        let ev = parse_all(
            b".\n.+Password: \n.OK 0\n.NOT_RUNNING 3\n.WEIRD 9\n.zz\n",
            5,
        );
        assert_eq!(
            ev,
            vec![
                ReplyEvent::Keepalive,
                ReplyEvent::Partial(b"Password: ".to_vec()),
                ReplyEvent::End(Outcome::ok()),
                ReplyEvent::End(Outcome::failed(Fault::NotRunning, 3)),
                ReplyEvent::End(Outcome::failed(Fault::Failed, 9)),
                ReplyEvent::Keepalive,
            ]
        );
    }

    #[test]
    fn stream_data_replays_exactly() {
        let data = b"line one\n.dotted\npartial";
        let mut out = Vec::new();
        push_stream_data(&mut out, data);
        assert_eq!(out, b"line one\n..dotted\n.+partial\n".to_vec());
        let mut printed = Vec::new();
        for e in parse_all(&out, 4) {
            match e {
                ReplyEvent::Line(l) => {
                    printed.extend(l);
                    printed.push(b'\n');
                }
                ReplyEvent::Partial(p) => printed.extend(p),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(printed, data.to_vec());
    }

    #[test]
    fn text_body_matches_print_semantics() {
        // supervisorctl prints log data followed by a newline: "hello\n" shows as
        // "hello\n\n", which is the body ["hello", ""].
        let mut out = Vec::new();
        push_body_text(&mut out, b"hello\n\n");
        assert_eq!(out, b"hello\n\n".to_vec());
        let mut out = Vec::new();
        push_body_text(&mut out, b"a\nb");
        assert_eq!(out, b"a\nb\n".to_vec());
    }

    #[test]
    fn overlong_lines_come_out_in_pieces() {
        let mut p = ReplyParser::with_limit(16);
        let mut line = b"..".to_vec();
        line.extend(vec![b'x'; 40]);
        line.push(b'\n');
        line.extend_from_slice(b".OK 0\n");
        let mut printed = Vec::new();
        let mut end = None;
        for c in line.chunks(5) {
            for e in p.feed(c) {
                match e {
                    ReplyEvent::Partial(d) => printed.extend(d),
                    ReplyEvent::Line(d) => {
                        printed.extend(d);
                        printed.push(b'\n');
                    }
                    ReplyEvent::End(o) => end = Some(o),
                    ReplyEvent::Keepalive => {}
                }
            }
        }
        let mut want = b".".to_vec();
        want.extend(vec![b'x'; 40]);
        want.push(b'\n');
        assert_eq!(printed, want);
        assert_eq!(end, Some(Outcome::ok()));
        assert!(p.is_idle());
    }
}
