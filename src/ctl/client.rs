//! The client side of one request: connect (unix or TCP, with timeouts), send the request
//! (after `auth` when credentials are set, in the same write), and read the reply, handing
//! each event to the caller as it arrives.
//!
//! Timeouts: TCP connects give up after 10 s. A reply that stays silent for
//! [`reply_timeout`] (30 s, or `SUPERVISORCTL_TIMEOUT` seconds) is abandoned; the server
//! sends a keepalive every 5 s while a slow command waits, so only a hung server trips it.
//! Streams have no timeout: they end on Ctrl-C. Every wait polls the Ctrl-C flag.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::interrupt;
use super::url::{self, Target};
use crate::protocol::{render_request, Outcome, ReplyEvent, ReplyParser, Request};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(200);

/// How long a reply may stay silent.
pub fn reply_timeout() -> Duration {
    std::env::var("SUPERVISORCTL_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .map_or(Duration::from_secs(30), Duration::from_secs_f64)
}

/// Why connecting failed.
#[derive(Debug)]
pub enum ConnectError {
    /// The unix socket does not exist (ENOENT).
    NoSuchFile,
    /// Nobody listens (ECONNREFUSED).
    Refused,
    /// The URL has another scheme or is malformed.
    BadUrl(String),
    /// Anything else.
    Io(io::Error),
}

/// Why a request failed after connecting.
#[derive(Debug)]
pub enum CallError {
    /// The server stayed silent for longer than the timeout.
    Timeout(Duration),
    /// The connection ended before the final line.
    Eof,
    /// The server answered with HTTP: not our protocol.
    Http,
    /// Ctrl-C.
    Interrupted,
    /// A socket error.
    Io(io::Error),
}

/// A connected socket of either kind.
#[derive(Debug)]
pub enum Sock {
    /// Unix socket.
    Unix(UnixStream),
    /// TCP.
    Tcp(TcpStream),
}

impl Sock {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Sock::Unix(s) => s.set_read_timeout(t),
            Sock::Tcp(s) => s.set_read_timeout(t),
        }
    }

    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Sock::Unix(s) => s.set_write_timeout(t),
            Sock::Tcp(s) => s.set_write_timeout(t),
        }
    }

    /// A second handle on the same socket (to shut it down from elsewhere).
    pub fn try_clone(&self) -> io::Result<Sock> {
        Ok(match self {
            Sock::Unix(s) => Sock::Unix(s.try_clone()?),
            Sock::Tcp(s) => Sock::Tcp(s.try_clone()?),
        })
    }

    /// Shuts both directions down, which ends a blocked read on any handle.
    pub fn shutdown(&self) {
        let _ = match self {
            Sock::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Sock::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }
}

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Unix(s) => s.read(buf),
            Sock::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Sock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Unix(s) => s.write(buf),
            Sock::Tcp(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Where to connect and as whom.
#[derive(Debug, Clone)]
pub struct Client {
    /// The URL as configured (used in messages).
    pub serverurl: String,
    /// `username`; when set, every request is preceded by `auth`.
    pub username: Option<String>,
    /// `password`.
    pub password: Option<String>,
}

fn classify(e: io::Error) -> ConnectError {
    match e.raw_os_error() {
        Some(libc::ENOENT) => ConnectError::NoSuchFile,
        Some(libc::ECONNREFUSED) => ConnectError::Refused,
        _ => ConnectError::Io(e),
    }
}

impl Client {
    /// Connects to the server.
    pub fn connect(&self) -> Result<Sock, ConnectError> {
        let stream = match url::parse(&self.serverurl).map_err(ConnectError::BadUrl)? {
            Target::Unix(path) => Sock::Unix(UnixStream::connect(path).map_err(classify)?),
            Target::Tcp { host, port } => {
                let addrs = (host.as_str(), port)
                    .to_socket_addrs()
                    .map_err(ConnectError::Io)?;
                let mut last = None;
                let mut found = None;
                for a in addrs {
                    match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
                        Ok(s) => {
                            found = Some(s);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                match (found, last) {
                    (Some(s), _) => Sock::Tcp(s),
                    (None, Some(e)) => return Err(classify(e)),
                    (None, None) => return Err(ConnectError::Refused),
                }
            }
        };
        let _ = stream.set_write_timeout(Some(reply_timeout()));
        Ok(stream)
    }

    /// Sends `req` on `stream` and reads its reply, calling `on_event` for every body event.
    /// Returns the final outcome. When credentials are set, the `auth` reply is read first;
    /// if it fails, its body goes to `on_event` and its outcome is returned. `ctrl_c`: give
    /// up when Ctrl-C is pressed (threads that must not consume the flag pass false).
    pub fn call(
        &self,
        stream: &mut Sock,
        req: &Request,
        on_event: &mut dyn FnMut(ReplyEvent),
        ctrl_c: bool,
    ) -> Result<Outcome, CallError> {
        self.exchange(stream, req, None, on_event, ctrl_c)
    }

    /// [`Client::call`] for a stream (`tail -f`, `maintail -f`): a `version` request goes
    /// first, in the same write, as the reference's upcheck, and `on_ready` runs once it is
    /// answered. So the caller's banner appears only when the server has accepted the client
    /// (not before `Server requires authentication`), even though a quiet stream sends
    /// nothing.
    pub fn call_stream(
        &self,
        stream: &mut Sock,
        req: &Request,
        on_ready: &mut dyn FnMut(),
        on_event: &mut dyn FnMut(ReplyEvent),
    ) -> Result<Outcome, CallError> {
        self.exchange(stream, req, Some(on_ready), on_event, true)
    }

    fn exchange(
        &self,
        stream: &mut Sock,
        req: &Request,
        on_ready: Option<&mut dyn FnMut()>,
        on_event: &mut dyn FnMut(ReplyEvent),
        ctrl_c: bool,
    ) -> Result<Outcome, CallError> {
        let mut bytes = Vec::new();
        if let Some(user) = &self.username {
            bytes.extend(render_request(&Request::Auth {
                user: user.clone(),
                password: self.password.clone().unwrap_or_default(),
            }));
        }
        if on_ready.is_some() {
            bytes.extend(render_request(&Request::Version));
        }
        bytes.extend(render_request(req));
        stream.write_all(&bytes).map_err(CallError::Io)?;
        let mut reader = Reader::new(stream, false, ctrl_c);
        // Log text may start with anything, so a stream is only checked for HTTP when a
        // reply of ours comes first.
        let log_first = matches!(req, Request::Tail { .. } | Request::MainTail { .. });
        reader.first_bytes = !log_first || self.username.is_some() || on_ready.is_some();
        if self.username.is_some() {
            let o = reader.until_end(on_event)?;
            if !o.is_ok() {
                return Ok(o);
            }
        }
        if let Some(ready) = on_ready {
            let mut body = Vec::new();
            let o = reader.until_end(&mut |ev| body.push(ev))?;
            if !o.is_ok() {
                body.into_iter().for_each(&mut *on_event);
                return Ok(o);
            }
            ready();
        }
        reader.streaming = req.is_streaming();
        reader.until_end(on_event)
    }
}

/// Reads events until a final line, with the silence timeout and Ctrl-C polling.
struct Reader<'a> {
    stream: &'a mut Sock,
    parser: ReplyParser,
    pending: std::collections::VecDeque<ReplyEvent>,
    streaming: bool,
    ctrl_c: bool,
    /// Check the first bytes for an HTTP status line (a server of another protocol).
    first_bytes: bool,
}

impl<'a> Reader<'a> {
    fn new(stream: &'a mut Sock, streaming: bool, ctrl_c: bool) -> Reader<'a> {
        Reader {
            stream,
            parser: ReplyParser::new(),
            pending: Default::default(),
            streaming,
            ctrl_c,
            first_bytes: true,
        }
    }

    fn until_end(&mut self, on_event: &mut dyn FnMut(ReplyEvent)) -> Result<Outcome, CallError> {
        let limit = reply_timeout();
        let mut last_heard = Instant::now();
        let mut buf = [0u8; 16 * 1024];
        loop {
            while let Some(ev) = self.pending.pop_front() {
                match ev {
                    ReplyEvent::End(o) => return Ok(o),
                    ReplyEvent::Keepalive => {}
                    ev => on_event(ev),
                }
            }
            if self.ctrl_c && interrupt::take() {
                return Err(CallError::Interrupted);
            }
            let wait = if self.streaming {
                POLL
            } else {
                let left = limit.saturating_sub(last_heard.elapsed());
                if left.is_zero() {
                    return Err(CallError::Timeout(limit));
                }
                left.min(POLL)
            };
            let _ = self.stream.set_read_timeout(Some(wait));
            match self.stream.read(&mut buf) {
                Ok(0) => return Err(CallError::Eof),
                Ok(n) => {
                    if std::mem::take(&mut self.first_bytes) && buf[..n].starts_with(b"HTTP/") {
                        return Err(CallError::Http);
                    }
                    last_heard = Instant::now();
                    self.pending.extend(self.parser.feed(&buf[..n]));
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
}
