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

use crate::time::Mono;
use std::time::Duration;

/// Tunable bounds of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Request line plus headers, in bytes.
    pub max_head: usize,
    /// Decoded request body, in bytes.
    pub max_body: usize,
    /// Header fields in one request.
    pub max_headers: usize,
    /// Output bytes queued above which no input is read and no request taken.
    pub out_high_water: usize,
    /// A keep-alive connection with nothing in progress is closed after this long.
    pub idle: Duration,
    /// A started request must arrive completely within this long (else 408), and pending
    /// output that makes no progress for this long drops the connection.
    pub stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Browsers' heads with cookies stay well under 8 KiB; XML-RPC's are tiny.
            max_head: 16 * 1024,
            // system.multicall and form posts are small; this only caps memory.
            max_body: 2 * 1024 * 1024,
            max_headers: 100,
            // Same as the text protocol's connection.
            out_high_water: 256 * 1024,
            idle: Duration::from_secs(60),
            stall: Duration::from_secs(30),
        }
    }
}

/// The protocol version of a request (and of its response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0.
    Http10,
    /// HTTP/1.1 (also used for HTTP/1.2 and later minors, as RFC 9110 says).
    Http11,
}

impl Version {
    fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// One complete request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (case-sensitive).
    pub method: String,
    /// The request target, raw.
    pub target: String,
    /// The percent-decoded path, without query (`*` for `OPTIONS *`, empty for the
    /// authority form).
    pub path: String,
    /// The decoded query pairs (`+` is a space); a key without `=` has an empty value.
    pub query: Vec<(String, String)>,
    /// The protocol version.
    pub version: Version,
    /// Header fields in order, names as sent, values trimmed (folded lines joined).
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The user and password of `Authorization: Basic base64(user:pass)`.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let v = self.header("authorization")?;
        let (scheme, token) = v.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = base64_decode(token.trim_matches(' '))?;
        let text = String::from_utf8(raw).ok()?;
        let (user, pass) = text.split_once(':')?;
        Some((user.to_string(), pass.to_string()))
    }

    /// The first query value for `key`.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// True for `HEAD` (its response carries no body).
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// A whole response. `Content-Length`, `Connection` and `Server` are added when rendered
/// (a `Connection: close` here makes the connection close after it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields (with `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The body (not sent for `HEAD`).
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a `Content-Type`.
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    /// An XML-RPC answer (`text/xml`, as the reference sends).
    pub fn xml(body: Vec<u8>) -> Response {
        Response::new(200, "text/xml", body)
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Medusa's HTML error page for `status`.
    pub fn error(status: u16) -> Response {
        let body = format!(
            "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n\
             <h1>Error response</h1>\r\n<p>Error code {status}.\r\n\
             <p>Message: {}.\r\n</body>\r\n",
            reason(status)
        );
        Response::new(status, "text/html", body.into_bytes())
    }

    /// 401 with the challenge the reference sends; like its auth handler, the connection
    /// closes (the request body was not wanted).
    pub fn unauthorized() -> Response {
        Response::error(401)
            .with_header("WWW-Authenticate", "Basic realm=\"default\"")
            .with_header("Connection", "close")
    }

    /// 404.
    pub fn not_found() -> Response {
        Response::error(404)
    }

    /// A redirect (`301`, `302`, `303`...) to `location`.
    pub fn redirect(status: u16, location: &str) -> Response {
        Response::new(status, "text/html", Vec::new()).with_header("Location", location)
    }
}

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// What every response says it is; some clients look at it.
const SERVER: &str = "Medusa/1.12";
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
/// Longest chunk-size line (with extensions) accepted.
const MAX_CHUNK_LINE: usize = 4096;

/// A request refused while parsing: the status, and the version to answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refuse(u16, Version);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk-size line.
    Size,
    /// This many data bytes to go.
    Data(usize),
    /// Reading the CRLF after a chunk's data.
    DataEnd,
    /// Skipping trailer lines; bytes seen so far.
    Trailer(usize),
    /// The last chunk and the trailers are in.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// This many body bytes to go.
    Length(usize),
    Chunked(Chunk),
}

/// A request whose head is parsed and whose body is arriving.
#[derive(Debug)]
struct Partial {
    req: Request,
    keep_alive: bool,
    framing: Framing,
}

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
    out: Vec<u8>,
    out_pos: usize,
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
            out: Vec::new(),
            out_pos: 0,
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
        &self.out[self.out_pos..]
    }

    /// Marks `n` bytes of [`HttpConn::output`] as written.
    pub fn consume(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out.len());
        if n > 0 {
            self.stall_since = None;
            self.touched = true;
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        } else if self.out_pos > 64 * 1024 {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
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
        self.out.len() - self.out_pos
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

/// A parsed head: the request so far, and whether to send `100 Continue`.
struct Head {
    partial: Partial,
    expect_continue: bool,
}

fn parse_head(head: &[u8], limits: &Limits) -> Result<Head, Refuse> {
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let line = lines.next().unwrap_or(b"");
    let bad = |v| Refuse(400, v);
    let mut parts = line.split(|b| *b == b' ');
    let (Some(method), Some(target), Some(vers), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(Version::Http10));
    };
    let version = parse_version(vers)?;
    if !is_token(method) || target.is_empty() || target.iter().any(|b| *b <= b' ' || *b == 0x7f) {
        return Err(bad(version));
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in lines {
        if l.is_empty() {
            continue;
        }
        if l.iter().any(|b| *b == b'\r' || *b == 0) {
            return Err(bad(version));
        }
        if matches!(l[0], b' ' | b'\t') {
            // Obsolete line folding: joined with a space, as RFC 9112 5.2 allows (and
            // Medusa did).
            let Some(last) = headers.last_mut() else {
                return Err(bad(version));
            };
            let more = String::from_utf8_lossy(trim_ows(l));
            if !more.is_empty() {
                if !last.1.is_empty() {
                    last.1.push(' ');
                }
                last.1.push_str(&more);
            }
            continue;
        }
        let colon = l.iter().position(|b| *b == b':').ok_or(bad(version))?;
        let name = &l[..colon];
        // A space before the colon is a smuggling vector (RFC 9112 5.1): refuse it.
        if !is_token(name) {
            return Err(bad(version));
        }
        if headers.len() >= limits.max_headers {
            return Err(Refuse(431, version));
        }
        headers.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(trim_ows(&l[colon + 1..])).into_owned(),
        ));
    }
    let all = |name: &'static str| field_values(&headers, name);
    let mut length: Option<u64> = None;
    for v in all("content-length") {
        for piece in v.split(',') {
            let piece = piece.trim_matches([' ', '\t']);
            if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(version));
            }
            // Too many digits for u64 is certainly too large.
            let n = piece.parse::<u64>().unwrap_or(u64::MAX);
            if length.is_some_and(|l| l != n) {
                return Err(bad(version));
            }
            length = Some(n);
        }
    }
    let codings: Vec<String> = all("transfer-encoding")
        .flat_map(|v| v.split(','))
        .map(|c| c.trim_matches([' ', '\t']).to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    let te_present = all("transfer-encoding").next().is_some();
    let framing = if te_present {
        if length.is_some() {
            return Err(bad(version));
        }
        if codings.iter().any(|c| c != "chunked") {
            return Err(Refuse(501, version));
        }
        // Exactly one "chunked" (RFC 9112 6.3: it must be final and applied once).
        if codings.len() != 1 {
            return Err(bad(version));
        }
        Framing::Chunked(Chunk::Size)
    } else {
        let n = length.unwrap_or(0);
        if n > limits.max_body as u64 {
            return Err(Refuse(413, version));
        }
        Framing::Length(n as usize)
    };
    let has_body = !matches!(framing, Framing::Length(0));
    let mut expect_continue = false;
    // RFC 9110 10.1.1: an HTTP/1.0 expectation is ignored.
    if version == Version::Http11 {
        if let Some(e) = all("expect").next() {
            if !e.eq_ignore_ascii_case("100-continue") {
                return Err(Refuse(417, version));
            }
            expect_continue = has_body;
        }
    }
    let conn: Vec<&str> = all("connection").collect();
    let keep_alive = match version {
        Version::Http11 => !conn.iter().any(|v| has_token(v, "close")),
        Version::Http10 => {
            conn.iter().any(|v| has_token(v, "keep-alive"))
                && !conn.iter().any(|v| has_token(v, "close"))
        }
    };
    let target = String::from_utf8_lossy(target).into_owned();
    let (path, query) = split_target(&target);
    Ok(Head {
        partial: Partial {
            req: Request {
                method: String::from_utf8_lossy(method).into_owned(),
                path,
                query,
                target,
                version,
                headers,
                body: Vec::new(),
            },
            keep_alive,
            framing,
        },
        expect_continue,
    })
}

fn parse_version(v: &[u8]) -> Result<Version, Refuse> {
    let bad = Err(Refuse(400, Version::Http10));
    let Some(rest) = v.strip_prefix(b"HTTP/") else {
        return bad;
    };
    let [major, b'.', minor] = rest else {
        return bad;
    };
    if !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return bad;
    }
    match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(Refuse(505, Version::Http10)),
    }
}

/// Decodes chunked framing from `buf` into `body`; returns the bytes used.
fn dechunk(
    buf: &[u8],
    state: &mut Chunk,
    body: &mut Vec<u8>,
    limits: &Limits,
) -> Result<usize, u16> {
    let mut i = 0;
    loop {
        match *state {
            Chunk::Done => return Ok(i),
            Chunk::Size => {
                let Some(off) = buf[i..].iter().position(|b| *b == b'\n') else {
                    if buf.len() - i > MAX_CHUNK_LINE {
                        return Err(400);
                    }
                    return Ok(i);
                };
                if off > MAX_CHUNK_LINE {
                    return Err(400);
                }
                let line = &buf[i..i + off];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                i += off + 1;
                let size = parse_chunk_size(line)?;
                if size > (limits.max_body - body.len()) as u64 {
                    return Err(413);
                }
                *state = if size == 0 {
                    Chunk::Trailer(0)
                } else {
                    Chunk::Data(size as usize)
                };
            }
            Chunk::Data(left) => {
                let n = left.min(buf.len() - i);
                body.extend_from_slice(&buf[i..i + n]);
                i += n;
                if n < left {
                    *state = Chunk::Data(left - n);
                    return Ok(i);
                }
                *state = Chunk::DataEnd;
            }
            Chunk::DataEnd => match &buf[i..] {
                [b'\n', ..] => {
                    i += 1;
                    *state = Chunk::Size;
                }
                [b'\r', b'\n', ..] => {
                    i += 2;
                    *state = Chunk::Size;
                }
                [] | [b'\r'] => return Ok(i),
                _ => return Err(400),
            },
            Chunk::Trailer(seen) => {
                let Some(off) = buf[i..].iter().position(|b| *b == b'\n') else {
                    if seen + (buf.len() - i) > limits.max_head {
                        return Err(431);
                    }
                    return Ok(i);
                };
                if seen + off + 1 > limits.max_head {
                    return Err(431);
                }
                let line = &buf[i..i + off];
                i += off + 1;
                *state = if line.is_empty() || line == b"\r" {
                    Chunk::Done
                } else {
                    Chunk::Trailer(seen + off + 1)
                };
            }
        }
    }
}

/// `1a;ext=x` → 26. Extensions are ignored; too many digits is 413 (too big anyway).
fn parse_chunk_size(line: &[u8]) -> Result<u64, u16> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(400);
    }
    let rest = trim_ows(&line[digits..]);
    if !rest.is_empty() && rest[0] != b';' {
        return Err(400);
    }
    if digits > 15 {
        return Err(413);
    }
    let mut n = 0u64;
    for b in &line[..digits] {
        n = n * 16 + (*b as char).to_digit(16).expect("hex digit") as u64;
    }
    Ok(n)
}

/// `/a%20b?x=1&y` → (`/a b`, [(x, 1), (y, "")]). The absolute form's path is used.
fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let (mut path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    path = path.split('#').next().unwrap_or("");
    if let Some(after) = path
        .strip_prefix("http://")
        .or_else(|| path.strip_prefix("https://"))
    {
        path = after.find('/').map_or("/", |i| &after[i..]);
    } else if !path.starts_with('/') && path != "*" {
        path = "";
    }
    let query = query.split('#').next().unwrap_or("");
    (percent_decode(path, false), parse_query(query))
}

/// `a=1&b=x+y` → [(a, 1), (b, "x y")]: a query string or an
/// `application/x-www-form-urlencoded` body. A key without `=` has an empty value.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Decodes `%XY` (a malformed escape stays literal) and, in queries, `+` as a space.
pub fn percent_decode(s: &str, plus_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: &u8| (*c as char).to_digit(16);
        match b[i] {
            b'%' => match (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 (RFC 4648), padded or not; anything else is `None`.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let data = match b {
        [rest @ .., b'=', b'='] if b.len() % 4 == 0 => rest,
        [rest @ .., b'='] if b.len() % 4 == 0 => rest,
        _ => b,
    };
    if data.len() % 4 == 1 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for group in data.chunks(4) {
        let mut n = 0u32;
        for (k, c) in group.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * k);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..group.len() - 1]);
    }
    Some(out)
}

/// The values of every field named `name` (case-insensitive).
fn field_values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// RFC 9110 token characters.
fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
}

fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// True when the comma-separated list `value` holds `token` (case-insensitive).
fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim_matches([' ', '\t']).eq_ignore_ascii_case(token))
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
