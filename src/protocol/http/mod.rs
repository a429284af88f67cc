//! A sans-IO HTTP/1.0 and HTTP/1.1 server connection, for XML-RPC and the web UI on the
//! control sockets. Like [`super::conn::Conn`] it is pure: bytes in, bytes out, time as a
//! value. The daemon's loop drives an [`HttpConn`]:
//!
//! 1. on an HTTP request line, make one with [`HttpConn::new`] and [`HttpConn::feed`] it the
//!    bytes already read;
//! 2. when the socket is readable and [`HttpConn::wants_read`], read and `feed` (or
//!    [`HttpConn::feed_eof`] on a zero-byte read);
//! 3. call [`HttpConn::next_request`]; answer each request with [`HttpConn::respond`], or
//!    [`HttpConn::start_stream`], [`HttpConn::push_stream`]... [`HttpConn::end_stream`];
//! 4. when [`HttpConn::wants_write`], write from [`HttpConn::output`] and
//!    [`HttpConn::consume`] what was written;
//! 5. arm a timer for [`HttpConn::next_deadline`], call [`HttpConn::on_timer`] when it fires,
//!    and drop the socket when [`HttpConn::should_close`].
//!
//! Requests are parsed only in `next_request` and only while none is in flight, so answers
//! go out in request order and the output does not depend on how reads were split.
//! Bounds: the head is at most `max_head` bytes, a body at most `max_body` (either framing),
//! the input buffer at most `max_head + max_body` plus one read; no input is read while a
//! request is in flight or the output is above `out_high_water`.

use crate::protocol::outbuf::OutBuf;
use crate::time::Mono;

mod message;
mod parse;
#[cfg(test)]
mod tests;

pub use message::{reason, Limits, Request, Response, Version};
use parse::{dechunk, has_token, is_token, parse_head, Chunk, Framing, Partial, Refuse};
pub use parse::{parse_query, percent_decode};

/// What every response says it is; some clients look at it.
const SERVER: &str = "Medusa/1.12";
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

#[derive(Debug, Clone, Copy)]
struct Flight {
    version: Version,
    head_only: bool,
    keep_alive: bool,
    /// A streamed response has begun.
    streaming: bool,
}

/// One HTTP client connection. See the module docs for how the loop drives it.
#[derive(Debug)]
pub struct HttpConn {
    limits: Limits,
    inbuf: Vec<u8>,
    /// Where the search for the end of the head resumes (avoids rescanning).
    head_scan: usize,
    body: Option<Partial>,
    peer_eof: bool,
    out: OutBuf,
    flight: Option<Flight>,
    /// Close once the output is flushed; read nothing more.
    closing: bool,
    /// Close now, dropping pending output (timeouts).
    dead: bool,
    /// The latest time passed in.
    now: Mono,
    /// Start of the current idle wait.
    idle_since: Mono,
    /// Activity happened at a time not passed in (write progress, a response); the idle
    /// wait restarts at the next call that has the time.
    touched: bool,
    /// When bytes of the request being received were first seen.
    request_since: Option<Mono>,
    /// When pending output was first seen not draining; cleared by progress.
    stall_since: Option<Mono>,
}

impl HttpConn {
    /// A new connection with default limits.
    pub fn new(now: Mono) -> HttpConn {
        HttpConn::with_limits(Limits::default(), now)
    }

    /// A new connection with custom limits.
    pub fn with_limits(limits: Limits, now: Mono) -> HttpConn {
        HttpConn {
            limits,
            inbuf: Vec::new(),
            head_scan: 0,
            body: None,
            peer_eof: false,
            out: OutBuf::default(),
            flight: None,
            closing: false,
            dead: false,
            now,
            idle_since: now,
            touched: false,
            request_since: None,
            stall_since: None,
        }
    }

    /// Bytes read from the socket.
    pub fn feed(&mut self, data: &[u8], now: Mono) {
        self.tick(now);
        if self.closing || self.dead || self.peer_eof || data.is_empty() {
            return;
        }
        self.idle_since = now;
        self.inbuf.extend_from_slice(data);
        self.note_request_start();
    }

    /// The peer closed its sending side. Requests already received are still answered.
    pub fn feed_eof(&mut self) {
        self.peer_eof = true;
    }

    /// True when the loop should read from the socket.
    pub fn wants_read(&self) -> bool {
        !self.closing
            && !self.dead
            && !self.peer_eof
            && self.flight.is_none()
            && self.pending() <= self.limits.out_high_water
            && self.inbuf.len() < self.limits.max_head + self.limits.max_body
    }

    /// True when output is waiting to be written.
    pub fn wants_write(&self) -> bool {
        !self.dead && self.pending() > 0
    }

    /// The bytes waiting to be written.
    pub fn output(&self) -> &[u8] {
        self.out.unsent()
    }

    /// Marks `n` bytes of [`HttpConn::output`] as written.
    pub fn consume(&mut self, n: usize) {
        self.out.consume(n);
        if n > 0 {
            self.stall_since = None;
            self.touched = true;
        }
    }

    /// True when the loop should close the socket and drop this connection.
    pub fn should_close(&self) -> bool {
        self.dead || (self.closing && self.pending() == 0)
    }

    /// True while a request handed out by [`HttpConn::next_request`] is unanswered (or its
    /// stream unfinished).
    pub fn in_flight(&self) -> bool {
        self.flight.is_some()
    }

    /// True when a stream may push more without passing the high-water mark.
    pub fn stream_has_room(&self) -> bool {
        !self.dead && !self.closing && self.pending() < self.limits.out_high_water
    }

    fn pending(&self) -> usize {
        self.out.pending()
    }

    /// The next complete request, or `None` (nothing complete, one in flight, output above
    /// the high-water mark, or closing). Malformed requests are answered here and close.
    pub fn next_request(&mut self, now: Mono) -> Option<Request> {
        self.tick(now);
        if self.closing || self.dead || self.flight.is_some() {
            return None;
        }
        if self.pending() > self.limits.out_high_water {
            return None;
        }
        match self.parse() {
            Ok(Some((req, keep_alive))) => {
                self.flight = Some(Flight {
                    version: req.version,
                    head_only: req.is_head(),
                    keep_alive,
                    streaming: false,
                });
                self.request_since = None;
                Some(req)
            }
            Ok(None) => {
                if self.peer_eof {
                    if self.body.is_some() || !self.inbuf.is_empty() {
                        let v = self
                            .body
                            .as_ref()
                            .map_or(Version::Http10, |p| p.req.version);
                        self.refuse(Refuse(400, v));
                    } else {
                        self.closing = true;
                    }
                }
                None
            }
            Err(r) => {
                self.refuse(r);
                None
            }
        }
    }

    /// Advances the parse: a complete request and whether it may keep the connection.
    fn parse(&mut self) -> Result<Option<(Request, bool)>, Refuse> {
        if self.body.is_none() {
            // RFC 9112 2.2: ignore empty lines before a request line.
            let lead = self
                .inbuf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if lead > 0 {
                self.inbuf.drain(..lead);
                self.head_scan = 0;
                if self.inbuf.is_empty() {
                    self.request_since = None;
                }
            }
            let Some(end) = self.find_head_end() else {
                if self.inbuf.len() > self.limits.max_head {
                    return Err(self.head_too_big());
                }
                return Ok(None);
            };
            if end > self.limits.max_head {
                return Err(self.head_too_big());
            }
            let head: Vec<u8> = self.inbuf.drain(..end).collect();
            self.head_scan = 0;
            let p = parse_head(&head, &self.limits)?;
            if p.expect_continue {
                self.out.extend_from_slice(CONTINUE);
            }
            self.body = Some(p.partial);
        }
        let limits = self.limits;
        let p = self.body.as_mut().expect("body state");
        let done = match &mut p.framing {
            Framing::Length(left) => {
                let n = (*left).min(self.inbuf.len());
                p.req.body.extend_from_slice(&self.inbuf[..n]);
                self.inbuf.drain(..n);
                *left -= n;
                *left == 0
            }
            Framing::Chunked(state) => {
                let v = p.req.version;
                let used = dechunk(&self.inbuf, state, &mut p.req.body, &limits)
                    .map_err(|s| Refuse(s, v))?;
                self.inbuf.drain(..used);
                false
            }
        };
        let chunked_done = p.framing == Framing::Chunked(Chunk::Done);
        if done || chunked_done {
            let p = self.body.take().expect("body state");
            return Ok(Some((p.req, p.keep_alive)));
        }
        Ok(None)
    }

    /// The index just past the blank line ending the head, if buffered.
    fn find_head_end(&mut self) -> Option<usize> {
        let buf = &self.inbuf;
        let mut i = self.head_scan;
        while let Some(off) = buf[i..].iter().position(|b| *b == b'\n') {
            let lf = i + off;
            match buf.get(lf + 1) {
                Some(b'\n') => return Some(lf + 2),
                Some(b'\r') => match buf.get(lf + 2) {
                    Some(b'\n') => return Some(lf + 3),
                    Some(_) => i = lf + 1,
                    None => {
                        self.head_scan = lf;
                        return None;
                    }
                },
                Some(_) => i = lf + 1,
                None => {
                    self.head_scan = lf;
                    return None;
                }
            }
        }
        self.head_scan = buf.len();
        None
    }

    /// 414 when the request line alone passes the limit, else 431: decided on the first
    /// `max_head + 1` bytes only, so it does not depend on read boundaries.
    fn head_too_big(&self) -> Refuse {
        let line_end = self.inbuf.iter().position(|b| *b == b'\n');
        let status = match line_end {
            Some(i) if i <= self.limits.max_head => 431,
            _ => 414,
        };
        Refuse(status, Version::Http10)
    }

    /// Queues an error response and closes without reading more.
    fn refuse(&mut self, Refuse(status, version): Refuse) {
        self.inbuf = Vec::new();
        self.body = None;
        self.request_since = None;
        let resp = Response::error(status).with_header("Connection", "close");
        self.render(&resp, version, false, false);
    }

    /// Answers the request in flight with a whole response.
    pub fn respond(&mut self, resp: Response) {
        let Some(f) = self.flight else { return };
        if f.streaming || self.closing || self.dead {
            return;
        }
        self.flight = None;
        self.render(&resp, f.version, f.head_only, f.keep_alive);
        self.after_response();
    }

    fn render(&mut self, resp: &Response, version: Version, head_only: bool, keep_alive: bool) {
        let asks_close = resp
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("connection") && has_token(v, "close"));
        let keep = keep_alive && !asks_close;
        // RFC 9110 6.4.1: these never carry content.
        let no_body = matches!(resp.status, 100..=199 | 204 | 304);
        self.status_line(version, resp.status);
        self.headers(&resp.headers);
        if !no_body {
            self.out
                .extend_from_slice(format!("Content-Length: {}\r\n", resp.body.len()).as_bytes());
        }
        self.connection_header(version, keep);
        self.out.extend_from_slice(b"\r\n");
        if !head_only && !no_body {
            self.out.extend_from_slice(&resp.body);
        }
        if !keep {
            self.closing = true;
            self.inbuf = Vec::new();
        }
    }

    fn status_line(&mut self, version: Version, status: u16) {
        let line = format!("{} {status} {}\r\n", version.as_str(), reason(status));
        self.out.extend_from_slice(line.as_bytes());
        self.out.extend_from_slice(b"Server: ");
        self.out.extend_from_slice(SERVER.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// The caller's headers, minus the framing ones we own, sanitized.
    fn headers(&mut self, headers: &[(String, String)]) {
        const OWNED: &[&str] = &[
            "content-length",
            "transfer-encoding",
            "connection",
            "server",
        ];
        for (name, value) in headers {
            if !is_token(name.as_bytes()) || OWNED.iter().any(|o| name.eq_ignore_ascii_case(o)) {
                continue;
            }
            self.out.extend_from_slice(name.as_bytes());
            self.out.extend_from_slice(b": ");
            // No CR, LF, NUL or other control byte may reach the wire: each becomes a space.
            self.out.extend(value.trim().bytes().map(|b| {
                if (b < 0x20 && b != b'\t') || b == 0x7f {
                    b' '
                } else {
                    b
                }
            }));
            self.out.extend_from_slice(b"\r\n");
        }
    }

    fn connection_header(&mut self, version: Version, keep: bool) {
        match (version, keep) {
            (_, false) => self.out.extend_from_slice(b"Connection: close\r\n"),
            (Version::Http10, true) => self.out.extend_from_slice(b"Connection: keep-alive\r\n"),
            (Version::Http11, true) => {}
        }
    }

    /// Starts a streamed response: chunked for HTTP/1.1, close-delimited for HTTP/1.0.
    pub fn start_stream(&mut self, status: u16, headers: &[(&str, &str)]) {
        let Some(f) = self.flight.as_mut() else {
            return;
        };
        if f.streaming || self.closing || self.dead {
            return;
        }
        f.streaming = true;
        let f = *f;
        let owned: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let asks_close = owned
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("connection") && has_token(v, "close"));
        let chunked = f.version == Version::Http11;
        let keep = chunked && f.keep_alive && !asks_close;
        self.flight.as_mut().expect("flight").keep_alive = keep;
        self.status_line(f.version, status);
        self.headers(&owned);
        if chunked {
            self.out
                .extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        self.connection_header(f.version, keep);
        self.out.extend_from_slice(b"\r\n");
    }

    /// One piece of the stream in progress (empty: nothing).
    pub fn push_stream(&mut self, data: &[u8]) {
        let Some(f) = self.flight else { return };
        if !f.streaming || f.head_only || self.closing || self.dead || data.is_empty() {
            return;
        }
        if f.version == Version::Http11 {
            self.out
                .extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
            self.out.extend_from_slice(data);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.out.extend_from_slice(data);
        }
    }

    /// Ends the stream in progress: the last chunk (HTTP/1.1) or the close (HTTP/1.0).
    pub fn end_stream(&mut self) {
        let Some(f) = self.flight else { return };
        if !f.streaming {
            return;
        }
        self.flight = None;
        if self.closing || self.dead {
            return;
        }
        if f.version == Version::Http11 && !f.head_only {
            self.out.extend_from_slice(b"0\r\n\r\n");
        }
        if f.keep_alive {
            self.after_response();
        } else {
            self.closing = true;
            self.inbuf = Vec::new();
        }
    }

    fn after_response(&mut self) {
        // The next request's clock starts at the next call that has the time.
        self.touched = true;
    }

    /// Starts the receive clock of the next request when its bytes are already waiting
    /// (pipelined) or just arrived.
    fn note_request_start(&mut self) {
        if self.flight.is_none() && self.request_since.is_none() && !self.inbuf.is_empty() {
            self.request_since = Some(self.now);
        }
    }

    /// Takes the time of a call: settles activity whose time was unknown.
    fn tick(&mut self, now: Mono) {
        self.now = self.now.max(now);
        if std::mem::take(&mut self.touched) {
            self.idle_since = self.idle_since.max(now);
            self.note_request_start();
        }
    }

    /// When [`HttpConn::on_timer`] should next run.
    pub fn next_deadline(&self) -> Option<Mono> {
        if self.should_close() {
            return None;
        }
        let mut at: Option<Mono> = None;
        let mut min = |t: Mono| at = Some(at.map_or(t, |a: Mono| a.min(t)));
        if self.pending() > 0 {
            // Unknown since when (consume has no time): first mark it, then time it.
            min(self.stall_since.unwrap_or(self.now).plus(self.limits.stall));
        }
        if self.flight.is_none() && !self.closing {
            match self.request_since {
                Some(s) => min(s.plus(self.limits.stall)),
                None if self.pending() == 0 => min(self.idle_since.plus(self.limits.idle)),
                None => {}
            }
        }
        at
    }

    /// Timers: output stall (drop), a request arriving too slowly (408), keep-alive idle
    /// (close).
    pub fn on_timer(&mut self, now: Mono) {
        self.tick(now);
        if self.dead || self.should_close() {
            return;
        }
        if self.pending() > 0 {
            match self.stall_since {
                None => self.stall_since = Some(now),
                Some(s) if now >= s.plus(self.limits.stall) => {
                    self.dead = true;
                    return;
                }
                Some(_) => {}
            }
        }
        if self.flight.is_some() || self.closing {
            return;
        }
        match self.request_since {
            Some(s) if now >= s.plus(self.limits.stall) => {
                let v = self
                    .body
                    .as_ref()
                    .map_or(Version::Http10, |p| p.req.version);
                self.refuse(Refuse(408, v));
            }
            Some(_) => {}
            None if self.pending() == 0 && now >= self.idle_since.plus(self.limits.idle) => {
                self.dead = true;
            }
            None => {}
        }
    }
}
