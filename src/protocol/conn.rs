//! The per-connection state machine of the control server (pure: bytes in, bytes out, time
//! as a value). The daemon's loop owns the socket and drives a [`Conn`]:
//!
//! 1. when the socket is readable and [`Conn::wants_read`], read and call [`Conn::feed`]
//!    (or [`Conn::feed_eof`] on a zero-byte read);
//! 2. call [`Conn::next_request`] until it returns `None`; for each request, push body lines
//!    (now or later, as processes change state) and end it with [`Conn::finish`];
//! 3. when [`Conn::wants_write`], write from [`Conn::output`] and [`Conn::consume`] what was
//!    written;
//! 4. arm a timer for [`Conn::next_deadline`] and call [`Conn::on_timer`] when it fires;
//! 5. after each step, when [`Conn::may_resume`], read once more and hand what came to
//!    [`Conn::resume`]; then drop the socket when [`Conn::should_close`].
//!
//! Bounds: the input buffer never holds more than one maximal line plus one read; past the
//! output high-water mark no new request is taken and no input is read; a line longer than
//! the limit is answered with an error and the connection closes without buffering it. A
//! client that sends nothing, or stops reading, is dropped after the idle timeout.
//! `auth` and `help` are answered here; every other request goes to the daemon.

use super::auth::Credentials;
use super::fault::{exit, Fault, Outcome};
use super::help;
use super::outbuf::OutBuf;
use super::reply;
use super::request::{parse_request, ProtoError, Request, MAX_LINE};
use super::results::ResultLine;
use crate::time::Mono;

/// Tunable bounds of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line, in bytes.
    pub max_line: usize,
    /// Output bytes queued above which no new request is taken and no input read.
    pub high_water: usize,
    /// A connection with no request in progress and no input for this long is dropped; so
    /// is one whose pending output makes no progress for this long.
    pub idle_ms: u64,
    /// While a request is in progress and nothing else was sent, a keepalive line goes out
    /// this often.
    pub keepalive_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: MAX_LINE,
            high_water: 256 * 1024,
            idle_ms: 60_000,
            keepalive_ms: 5_000,
        }
    }
}

/// What the first line of a connection looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    /// Our text protocol.
    Text,
    /// An HTTP request line (`GET / HTTP/1.1`): an XML-RPC client or a browser.
    Http,
}

/// Tells the protocols apart from the first line: an upper-case HTTP method and a space.
/// Command words are lower-case, so nothing valid is mistaken for HTTP. This is the hook
/// for answering a second protocol on the same sockets later.
pub fn sniff(first_line: &[u8]) -> Sniff {
    const METHODS: &[&[u8]] = &[
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"TRACE ",
        b"CONNECT ",
    ];
    if METHODS.iter().any(|m| first_line.starts_with(m)) {
        Sniff::Http
    } else {
        Sniff::Text
    }
}

const HTTP_REPLY: &[u8] = b"HTTP/1.0 501 Not Implemented\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Connection: close\r\n\
\r\n\
This supervisord speaks the supervisor-rs text protocol, not XML-RPC over HTTP.\n\
Use supervisor-rs's supervisorctl, or send a command line such as \"status\".\n";

/// The body line sent when credentials are missing or wrong.
pub const AUTH_REQUIRED: &str = "Server requires authentication";

#[derive(Debug)]
struct InFlight {
    streaming: bool,
    outcome: Outcome,
}

/// One client connection. See the module docs for how the loop drives it.
#[derive(Debug)]
pub struct Conn {
    limits: Limits,
    auth: Option<Credentials>,
    authed: bool,
    sniffed: bool,
    inbuf: Vec<u8>,
    /// A line outgrew `max_line`; its bytes are discarded and an error is owed.
    overlong: bool,
    peer_eof: bool,
    out: OutBuf,
    in_flight: Option<InFlight>,
    /// Close once the output is flushed; read nothing more.
    closing: bool,
    /// `closing` only because a reply ended with nothing more received: the loop may look
    /// once more for bytes that arrived meanwhile ([`Conn::may_resume`]).
    soft_close: bool,
    /// Close now, dropping pending output (timeouts).
    dead: bool,
    last_input: Mono,
    keepalive_at: Mono,
    wrote_since_tick: bool,
    /// When pending output was first seen not draining; reset by progress.
    stall_since: Option<Mono>,
    progressed: bool,
}

impl Conn {
    /// A new connection with default limits; `auth` is `Some` when the server requires
    /// credentials.
    pub fn new(auth: Option<Credentials>, now: Mono) -> Conn {
        Conn::with_limits(auth, Limits::default(), now)
    }

    /// A new connection with custom limits.
    pub fn with_limits(auth: Option<Credentials>, limits: Limits, now: Mono) -> Conn {
        Conn {
            limits,
            auth,
            authed: false,
            sniffed: false,
            inbuf: Vec::new(),
            overlong: false,
            peer_eof: false,
            out: OutBuf::default(),
            in_flight: None,
            closing: false,
            soft_close: false,
            dead: false,
            last_input: now,
            keepalive_at: now,
            wrote_since_tick: false,
            stall_since: None,
            progressed: false,
        }
    }

    /// Bytes read from the socket.
    pub fn feed(&mut self, data: &[u8], now: Mono) {
        if self.closing || self.dead || self.overlong {
            return;
        }
        self.last_input = now;
        self.inbuf.extend_from_slice(data);
        // Only the line being assembled can be overlong: complete lines are checked when
        // parsed. Allow one byte for a CR before the LF.
        let start = self
            .inbuf
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        if self.inbuf.len() - start > self.limits.max_line + 1 {
            self.inbuf.truncate(start);
            self.overlong = true;
        }
    }

    /// The peer closed its sending side (a read returned 0 bytes). Requests already received
    /// are still answered; streams keep going until the socket fails.
    pub fn feed_eof(&mut self) {
        self.peer_eof = true;
    }

    /// True when the loop should read from the socket.
    pub fn wants_read(&self) -> bool {
        !self.closing
            && !self.dead
            && !self.peer_eof
            && !self.overlong
            && self.inbuf.len() <= self.limits.max_line
            && self.pending() <= self.limits.high_water
    }

    /// True when output is waiting to be written.
    pub fn wants_write(&self) -> bool {
        !self.dead && self.pending() > 0
    }

    /// The bytes waiting to be written.
    pub fn output(&self) -> &[u8] {
        self.out.unsent()
    }

    /// Marks `n` bytes of [`Conn::output`] as written.
    pub fn consume(&mut self, n: usize) {
        self.out.consume(n);
        if n > 0 {
            self.stall_since = None;
            self.progressed = true;
        }
    }

    /// True when the loop should close the socket and drop this connection.
    pub fn should_close(&self) -> bool {
        self.dead || (self.closing && self.pending() == 0)
    }

    /// True when the connection is about to close only because its last reply is out and
    /// no further request had arrived. Bytes may have arrived since the last read (a
    /// pipelined request beyond one read, or one split across writes): the loop reads once
    /// more and hands anything it finds to [`Conn::resume`]; it closes on nothing or EOF.
    pub fn may_resume(&self) -> bool {
        self.soft_close && self.closing && !self.dead && !self.peer_eof && self.pending() == 0
    }

    /// Bytes found by the last look of [`Conn::may_resume`]: they are requests, and the
    /// connection stays open for them.
    pub fn resume(&mut self, data: &[u8], now: Mono) {
        if self.may_resume() && !data.is_empty() {
            self.closing = false;
            self.soft_close = false;
            self.feed(data, now);
        }
    }

    /// True when a complete request (or an error owed) waits to be taken by
    /// [`Conn::next_request`] now.
    fn request_ready(&self) -> bool {
        !self.closing
            && !self.dead
            && self.in_flight.is_none()
            && self.pending() <= self.limits.high_water
            && (self.overlong
                || self.inbuf.contains(&b'\n')
                || (self.peer_eof && !self.inbuf.is_empty()))
    }

    /// True while a request handed out by [`Conn::next_request`] is unfinished.
    pub fn in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// True when a streaming request may push more data without passing the high-water
    /// mark. A stream should not read more of its file until this is true again.
    pub fn stream_has_room(&self) -> bool {
        !self.dead && !self.closing && self.pending() < self.limits.high_water
    }

    fn pending(&self) -> usize {
        self.out.pending()
    }

    /// The next request for the daemon, or `None` (nothing complete, a reply in progress,
    /// output above the high-water mark, or closing). Errors, `auth` and `help` are answered
    /// here and never returned.
    pub fn next_request(&mut self, now: Mono) -> Option<Request> {
        loop {
            if self.closing || self.dead || self.in_flight.is_some() {
                return None;
            }
            if self.pending() > self.limits.high_water {
                return None;
            }
            let Some(line) = self.take_line() else {
                if self.overlong {
                    self.fail(ProtoError::Syntax("request line too long".into()));
                } else if self.peer_eof {
                    self.closing = true;
                }
                return None;
            };
            if !std::mem::replace(&mut self.sniffed, true) && sniff(&line) == Sniff::Http {
                self.out.extend_from_slice(HTTP_REPLY);
                self.closing = true;
                return None;
            }
            if is_blank(&line) {
                continue;
            }
            if let Some(req) = self.handle_line(&line) {
                self.in_flight = Some(InFlight {
                    streaming: req.is_streaming(),
                    outcome: Outcome::ok(),
                });
                self.keepalive_at = now.plus(ms(self.limits.keepalive_ms));
                self.wrote_since_tick = false;
                self.stall_since = None;
                return Some(req);
            }
        }
    }

    /// Answers what can be answered here; returns the request for the daemon otherwise.
    fn handle_line(&mut self, line: &[u8]) -> Option<Request> {
        let gate_open = self.auth.is_none() || self.authed;
        match parse_request(line) {
            Err(e @ ProtoError::Syntax(_)) => self.fail(e),
            Err(_) if !gate_open => self.unauthorized(),
            Err(e) => {
                self.queue_reply(&e.lines(), &e.outcome());
                self.after_reply();
            }
            Ok(Request::Auth { user, password }) => {
                let ok = match &self.auth {
                    None => true,
                    Some(c) => c.check(&user, &password),
                };
                if ok {
                    self.authed = true;
                    self.out
                        .extend_from_slice(&reply::render_end(&Outcome::ok()));
                } else {
                    self.unauthorized();
                }
            }
            Ok(_) if !gate_open => self.unauthorized(),
            Ok(Request::Help { topic }) => {
                let text = help::help_output(&topic);
                reply::push_body_text(self.out.queue(), text.as_bytes());
                self.out
                    .extend_from_slice(&reply::render_end(&Outcome::ok()));
                self.after_reply();
            }
            Ok(req) => return Some(req),
        }
        None
    }

    /// Takes the next LF-terminated line (without LF), or at EOF the unterminated rest.
    fn take_line(&mut self) -> Option<Vec<u8>> {
        if let Some(i) = self.inbuf.iter().position(|b| *b == b'\n') {
            let mut line: Vec<u8> = self.inbuf.drain(..=i).collect();
            line.pop();
            return Some(line);
        }
        if self.peer_eof && !self.inbuf.is_empty() {
            return Some(std::mem::take(&mut self.inbuf));
        }
        None
    }

    /// Queues an error for a malformed request and closes after flushing it.
    fn fail(&mut self, e: ProtoError) {
        self.queue_reply(&e.lines(), &e.outcome());
        self.overlong = false;
        self.inbuf.clear();
        self.closing = true;
        self.soft_close = false;
    }

    fn unauthorized(&mut self) {
        let o = Outcome::failed(Fault::Unauthorized, exit::GENERIC);
        self.queue_reply(&[AUTH_REQUIRED.to_string()], &o);
        self.inbuf.clear();
        self.closing = true;
        self.soft_close = false;
    }

    fn queue_reply(&mut self, lines: &[String], outcome: &Outcome) {
        for l in lines {
            reply::push_body_line(self.out.queue(), l.as_bytes());
        }
        self.out.extend_from_slice(&reply::render_end(outcome));
    }

    /// The close policy: after a reply, the connection ends unless another request is
    /// already waiting (pipelining) or partly received (a request split across reads).
    /// `nc` therefore sees the connection end with the answer. The close is soft: the loop
    /// looks once more for bytes that arrived meanwhile ([`Conn::may_resume`]).
    fn after_reply(&mut self) {
        while let Some(i) = self.inbuf.iter().position(|b| *b == b'\n') {
            if !is_blank(&self.inbuf[..i]) {
                return;
            }
            self.inbuf.drain(..=i);
        }
        let waiting = self.overlong || !is_blank(&self.inbuf);
        if !waiting {
            self.closing = true;
            self.soft_close = !self.peer_eof;
        }
    }

    /// Pushes one body line of the reply in progress (an LF inside splits it into lines).
    pub fn push_line(&mut self, line: &[u8]) {
        if self.accepting_output() {
            for piece in line.split(|b| *b == b'\n') {
                reply::push_body_line(self.out.queue(), piece);
            }
            self.wrote_since_tick = true;
        }
    }

    /// Pushes text the way supervisorctl prints a value: each line of `text`, where a final
    /// newline ends the last line (used for `tail` output and help texts).
    pub fn push_text(&mut self, text: &[u8]) {
        if self.accepting_output() {
            reply::push_body_text(self.out.queue(), text);
            self.wrote_since_tick = true;
        }
    }

    /// Pushes streamed bytes (`tail -f`): complete lines, then any unfinished line as a
    /// partial frame. Check [`Conn::stream_has_room`] before reading more of the file.
    pub fn push_stream(&mut self, data: &[u8]) {
        if self.accepting_output() && !data.is_empty() {
            reply::push_stream_data(self.out.queue(), data);
            self.wrote_since_tick = true;
        }
    }

    /// Pushes a result line and folds its exit-code effect into the reply's outcome.
    pub fn push_result(&mut self, r: &ResultLine) {
        self.push_line(r.text.as_bytes());
        self.absorb(r.effect);
    }

    /// Folds an exit-code effect into the reply's outcome ("last writer wins").
    pub fn absorb(&mut self, effect: Option<Outcome>) {
        if let Some(f) = self.in_flight.as_mut() {
            f.outcome.absorb(effect);
        }
    }

    /// Ends the reply in progress with the outcome accumulated by [`Conn::push_result`] and
    /// [`Conn::absorb`].
    pub fn finish(&mut self) {
        if let Some(f) = self.in_flight.take() {
            self.end(f.outcome);
        }
    }

    /// Ends the reply in progress with an explicit outcome.
    pub fn finish_with(&mut self, outcome: Outcome) {
        if self.in_flight.take().is_some() {
            self.end(outcome);
        }
    }

    fn end(&mut self, outcome: Outcome) {
        if self.closing || self.dead {
            return;
        }
        self.out.extend_from_slice(&reply::render_end(&outcome));
        self.after_reply();
    }

    fn accepting_output(&self) -> bool {
        self.in_flight.is_some() && !self.closing && !self.dead
    }

    /// When [`Conn::on_timer`] should next run.
    pub fn next_deadline(&self) -> Option<Mono> {
        if self.dead || self.should_close() {
            return None;
        }
        if self.request_ready() {
            // Requests are waiting (found by a last look before closing): take them now.
            return Some(self.last_input);
        }
        let idle = ms(self.limits.idle_ms);
        let mut at = match self.in_flight {
            Some(_) => self.keepalive_at,
            None => self.last_input.plus(idle),
        };
        if let Some(s) = self.stall_since {
            at = at.min(s.plus(idle));
        }
        Some(at)
    }

    /// Timers: keepalives while a request runs, the idle timeout, and the stalled-output
    /// timeout.
    pub fn on_timer(&mut self, now: Mono) {
        if self.dead {
            return;
        }
        let idle = ms(self.limits.idle_ms);
        if std::mem::take(&mut self.progressed) {
            self.last_input = self.last_input.max(now);
        }
        if self.pending() > 0 {
            match self.stall_since {
                None => self.stall_since = Some(now),
                Some(s) if now >= s.plus(idle) => {
                    self.dead = true;
                    return;
                }
                Some(_) => {}
            }
        }
        match self.in_flight {
            Some(_) => {
                if now >= self.keepalive_at {
                    if !self.wrote_since_tick && self.pending() == 0 {
                        self.out.extend_from_slice(reply::KEEPALIVE);
                    }
                    self.wrote_since_tick = false;
                    self.keepalive_at = now.plus(ms(self.limits.keepalive_ms));
                }
            }
            None => {
                if now >= self.last_input.plus(idle) {
                    self.dead = true;
                }
            }
        }
    }

    /// True once `auth` succeeded (or no credentials are required).
    pub fn is_authed(&self) -> bool {
        self.auth.is_none() || self.authed
    }

    /// True when the request in progress is a stream (`tail -f`).
    pub fn is_streaming(&self) -> bool {
        self.in_flight.as_ref().is_some_and(|f| f.streaming)
    }
}

fn ms(v: u64) -> std::time::Duration {
    std::time::Duration::from_millis(v)
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

#[cfg(test)]
#[path = "conn_tests.rs"]
mod tests;
