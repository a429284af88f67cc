//! A small HTTP/1.0 client for XML-RPC mode (a Python supervisord): `POST /RPC2` with
//! `Content-Type: text/xml` and `GET /logtail/...` streams, Basic auth when credentials are
//! set, over a connected [`Sock`] (unix or TCP). One request per connection, as HTTP/1.0
//! without keep-alive; the response reader takes the status line, the headers, then a body
//! of `Content-Length` bytes or up to EOF. Everything is bounded: a 64 KiB head, a 64 MiB body.
//!
//! Waits poll the Ctrl-C flag every 200 ms. `silence`: how long the server may stay silent
//! before [`CallError::Timeout`] (`None`: no limit, as the reference's client has none).

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use super::interrupt;
use super::sock::{CallError, Sock};

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 64 << 20;
const POLL: Duration = Duration::from_millis(200);

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The status code (`200`).
    pub status: u16,
    /// The status line as received, without its line end.
    pub status_line: String,
    /// The headers, names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Standard base64 with padding (for the Basic credentials).
pub fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The request head: `METHOD PATH HTTP/1.0` (`HTTP/1.1` for a `GET`: medusa, the
/// Python supervisord's server, streams a log only as a chunked HTTP/1.1 body), `Host`, the Basic credentials when a user name
/// is set (the reference's client sends them only with a password; the Python server needs
/// both), and for a body its type and length.
pub fn request_head(
    method: &str,
    path: &str,
    host: &str,
    credentials: Option<(&str, &str)>,
    body_len: Option<usize>,
) -> Vec<u8> {
    let version = if method == "GET" { "1.1" } else { "1.0" };
    let mut h = format!(
        "{method} {path} HTTP/{version}\r\nHost: {host}\r\nUser-Agent: supervisor-rs supervisorctl\r\n"
    );
    if let Some((user, password)) = credentials {
        let token = base64(format!("{user}:{password}").as_bytes());
        h.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    if let Some(n) = body_len {
        h.push_str(&format!(
            "Content-Type: text/xml\r\nContent-Length: {n}\r\n"
        ));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// Parses a complete head (without the blank line). `None` when it is not an HTTP response.
pub fn parse_head(bytes: &[u8]) -> Option<Head> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next()?.to_string();
    let mut words = status_line.split_whitespace();
    if !words.next()?.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = words.next()?.parse().ok()?;
    let headers = lines
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    Some(Head {
        status,
        status_line,
        headers,
    })
}

/// Where the head ends: the index after `\r\n\r\n` or `\n\n`.
fn head_end(buf: &[u8]) -> Option<usize> {
    (0..buf.len()).find_map(|i| {
        if buf[i..].starts_with(b"\r\n\r\n") {
            Some(i + 4)
        } else if buf[i..].starts_with(b"\n\n") {
            Some(i + 2)
        } else {
            None
        }
    })
}

/// Reads a response from one connection.
pub struct ResponseReader<'a> {
    sock: &'a mut Sock,
    buf: Vec<u8>,
    silence: Option<Duration>,
    ctrl_c: bool,
    eof: bool,
}

impl<'a> ResponseReader<'a> {
    /// A reader on `sock`.
    pub fn new(sock: &'a mut Sock, silence: Option<Duration>, ctrl_c: bool) -> ResponseReader<'a> {
        ResponseReader {
            sock,
            buf: Vec::new(),
            silence,
            ctrl_c,
            eof: false,
        }
    }

    /// Reads more bytes into the buffer; false at EOF.
    fn fill(&mut self, last_heard: &mut Instant) -> Result<bool, CallError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if self.ctrl_c && interrupt::take() {
                return Err(CallError::Interrupted);
            }
            let wait = match self.silence {
                Some(limit) => {
                    let left = limit.saturating_sub(last_heard.elapsed());
                    if left.is_zero() {
                        return Err(CallError::Timeout(limit));
                    }
                    left.min(POLL)
                }
                None => POLL,
            };
            let _ = self.sock.set_read_timeout(Some(wait));
            match self.sock.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    *last_heard = Instant::now();
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(CallError::Io(e)),
            }
        }
    }

    /// Reads the head. `Http` errors stand for replies that are not HTTP at all.
    pub fn head(&mut self) -> Result<Head, CallError> {
        let mut last_heard = Instant::now();
        loop {
            if let Some(end) = head_end(&self.buf) {
                let head = parse_head(&self.buf[..end]).ok_or(CallError::NotHttp)?;
                self.buf.drain(..end);
                return Ok(head);
            }
            if self.buf.len() >= 5 && !self.buf.starts_with(b"HTTP/") {
                return Err(CallError::NotHttp);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(CallError::NotHttp);
            }
            if !self.fill(&mut last_heard)? {
                return Err(if self.buf.is_empty() {
                    CallError::Eof
                } else {
                    CallError::NotHttp
                });
            }
        }
    }

    /// Reads the whole body: `Content-Length` bytes, or up to EOF.
    pub fn body(&mut self, head: &Head) -> Result<Vec<u8>, CallError> {
        let length = head
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok());
        if length.is_some_and(|n| n > MAX_BODY) {
            return Err(CallError::TooLarge);
        }
        let mut last_heard = Instant::now();
        loop {
            match length {
                Some(n) if self.buf.len() >= n => {
                    self.buf.truncate(n);
                    return Ok(std::mem::take(&mut self.buf));
                }
                _ if self.eof => {
                    return match length {
                        Some(_) => Err(CallError::Eof),
                        None => Ok(std::mem::take(&mut self.buf)),
                    }
                }
                _ => {}
            }
            if self.buf.len() > MAX_BODY {
                return Err(CallError::TooLarge);
            }
            self.fill(&mut last_heard)?;
        }
    }

    /// Hands the body to `on_data` as it arrives, until its end or EOF (a stream has no
    /// limit). A chunked body is decoded.
    pub fn stream(&mut self, head: &Head, on_data: &mut dyn FnMut(&[u8])) -> Result<(), CallError> {
        let chunked = head
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let mut last_heard = Instant::now();
        // Chunked: the bytes left in the current chunk (None: a size line comes next).
        let mut left: Option<usize> = None;
        loop {
            if !chunked {
                if !self.buf.is_empty() {
                    on_data(&self.buf);
                    self.buf.clear();
                }
            } else {
                loop {
                    match left {
                        Some(0) => {
                            // The CRLF after a chunk's data.
                            if self.buf.len() < 2 {
                                break;
                            }
                            self.buf.drain(..2);
                            left = None;
                        }
                        Some(n) => {
                            if self.buf.is_empty() {
                                break;
                            }
                            let take = n.min(self.buf.len());
                            on_data(&self.buf[..take]);
                            self.buf.drain(..take);
                            left = Some(n - take);
                        }
                        None => {
                            let Some(i) = self.buf.iter().position(|b| *b == b'\n') else {
                                if self.buf.len() > MAX_HEAD {
                                    return Err(CallError::NotHttp);
                                }
                                break;
                            };
                            let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                            self.buf.drain(..=i);
                            let size = line.split(';').next().unwrap_or("").trim();
                            let size =
                                usize::from_str_radix(size, 16).map_err(|_| CallError::NotHttp)?;
                            if size == 0 {
                                return Ok(());
                            }
                            left = Some(size);
                        }
                    }
                }
            }
            if self.eof || !self.fill(&mut last_heard)? {
                return Ok(());
            }
        }
    }
}

/// Sends `head` and `body` on `sock`.
pub fn send(sock: &mut Sock, head: &[u8], body: &[u8]) -> Result<(), CallError> {
    let mut all = Vec::with_capacity(head.len() + body.len());
    all.extend_from_slice(head);
    all.extend_from_slice(body);
    sock.write_all(&all).map_err(CallError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_like_python() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"u:p"), "dTpw");
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }

    #[test]
    fn heads() {
        let h = parse_head(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\nX-A:  b \r\n\r\n").unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(h.status_line, "HTTP/1.0 200 OK");
        assert_eq!(h.header("content-length"), Some("12"));
        assert_eq!(h.header("x-a"), Some("b"));
        assert!(parse_head(b"HTTP/None 401 Unauthorized\r\n").is_some());
        assert!(parse_head(b"status\n").is_none());
        assert_eq!(head_end(b"HTTP/1.0 200 OK\r\n\r\nbody"), Some(19));
        assert_eq!(head_end(b"HTTP/1.0 200 OK\n\nbody"), Some(17));
        let r = request_head("POST", "/RPC2", "localhost", Some(("u", "p")), Some(3));
        assert_eq!(
            String::from_utf8(r).unwrap(),
            "POST /RPC2 HTTP/1.0\r\nHost: localhost\r\nUser-Agent: supervisor-rs supervisorctl\r\n\
             Authorization: Basic dTpw\r\nContent-Type: text/xml\r\nContent-Length: 3\r\n\r\n"
        );
    }
}
