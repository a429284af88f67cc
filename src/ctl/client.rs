//! The client side of one request: connect (unix or TCP, with timeouts), send the request
//! (after `auth` when credentials are set, in the same write), and read the reply, handing
//! each event to the caller as it arrives.
//!
//! Timeouts: TCP connects give up after 10 s. A reply that stays silent for
//! [`reply_timeout`] (30 s, or `SUPERVISORCTL_TIMEOUT` seconds) is abandoned; the server
//! sends a keepalive every 5 s while a slow command waits, so only a hung server trips it.
//! Streams have no timeout: they end on Ctrl-C. Every wait polls the Ctrl-C flag.
//!
//! Two protocols: our text protocol, and XML-RPC over HTTP for a Python supervisord
//! ([`super::rpc`]). Which one a server speaks is found out on the first request, without
//! a round trip: the text request starts with [`PROBE`], a line of blanks our daemon ignores,
//! and ends with an empty line. An HTTP server sees a complete request head whose request
//! line is the probe and answers at once with `HTTP/1.x 400` (or `401`). A reply that
//! starts with `HTTP/` therefore switches the [`Client`] to XML-RPC mode, for this request
//! (on a new connection) and, through the shared [`Client::xmlrpc`] flag, for the rest of
//! the session. Anything else unexpected keeps the existing error paths.

use std::io::{self, Read, Write};
#[cfg(feature = "xmlrpc")]
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::interrupt;
pub use super::sock::{reply_timeout, CallError, Client, ConnectError, Sock};
use crate::protocol::{render_request, Outcome, ReplyEvent, ReplyParser, Request};

const POLL: Duration = Duration::from_millis(200);

/// The first line of every text-protocol connection: tab, space, tab. Our daemon ignores it
/// (a line of blanks); for an HTTP server it is a request line with a method and a path
/// (medusa, the Python supervisord's server, drops a request line without exactly one
/// space without an answer, and some of ours have none or several).
pub const PROBE: &[u8] = b"\t \t\r\n";

/// A reply of ours that starts with `HTTP/` (only log text can) is held back until its
/// final line proves it ours, up to this many bytes.
const HOLD_LIMIT: usize = 1 << 20;

impl Client {
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
        mut on_ready: Option<&mut dyn FnMut()>,
        on_event: &mut dyn FnMut(ReplyEvent),
        ctrl_c: bool,
    ) -> Result<Outcome, CallError> {
        #[cfg(feature = "xmlrpc")]
        if self.xmlrpc.load(Ordering::SeqCst) {
            let first = stream.try_clone().ok();
            return super::rpc::exchange(self, first, req, on_ready, on_event, ctrl_c);
        }
        let ready = on_ready.as_mut().map(|r| &mut **r as &mut dyn FnMut());
        match self.exchange_text(stream, req, ready, on_event, ctrl_c) {
            // An HTTP server (a Python supervisord): it has closed this connection; XML-RPC
            // goes on new ones. Without the feature, the HTTP error is the answer.
            #[cfg(feature = "xmlrpc")]
            Err(CallError::Http(_)) => {
                stream.shutdown();
                self.xmlrpc.store(true, Ordering::SeqCst);
                super::rpc::exchange(self, None, req, on_ready, on_event, ctrl_c)
            }
            r => r,
        }
    }

    fn exchange_text(
        &self,
        stream: &mut Sock,
        req: &Request,
        on_ready: Option<&mut dyn FnMut()>,
        on_event: &mut dyn FnMut(ReplyEvent),
        ctrl_c: bool,
    ) -> Result<Outcome, CallError> {
        let mut bytes = PROBE.to_vec();
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
        // CRLF line ends and an empty line: a complete request head for an HTTP server.
        let bytes = crlf(&bytes);
        stream.write_all(&bytes).map_err(CallError::Io)?;
        let mut reader = Reader::new(stream, false, ctrl_c);
        // Log text may start with anything, so when it comes first a reply that starts with
        // `HTTP/` is held back until its final line shows it is ours.
        let log_first = matches!(req, Request::Tail { .. } | Request::MainTail { .. });
        reader.first_bytes = !log_first || self.username.is_some() || on_ready.is_some();
        reader.hold_http = !reader.first_bytes;
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

/// `bytes` (LF-terminated lines) with CRLF line ends and one more CRLF.
fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for &b in bytes {
        if b == b'\n' && out.last() != Some(&b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out.extend_from_slice(b"\r\n");
    out
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
    /// When the first bytes (log text) start with `HTTP/`: hold the events back until the
    /// final line; an EOF before it means an HTTP server answered.
    hold_http: bool,
    held: Option<(Vec<ReplyEvent>, usize)>,
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
            hold_http: false,
            held: None,
        }
    }

    fn until_end(&mut self, on_event: &mut dyn FnMut(ReplyEvent)) -> Result<Outcome, CallError> {
        let limit = reply_timeout();
        let mut last_heard = Instant::now();
        let mut buf = [0u8; 16 * 1024];
        loop {
            while let Some(ev) = self.pending.pop_front() {
                if let (Some((held, size)), false) =
                    (&mut self.held, matches!(ev, ReplyEvent::End(_)))
                {
                    if let ReplyEvent::Line(b) | ReplyEvent::Partial(b) = &ev {
                        *size += b.len();
                    }
                    held.push(ev);
                    if *size > HOLD_LIMIT {
                        self.release(on_event);
                    }
                    continue;
                }
                match ev {
                    ReplyEvent::End(o) => {
                        self.release(on_event);
                        return Ok(o);
                    }
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
                Ok(0) if self.held.is_some() => return Err(CallError::Http(String::new())),
                Ok(0) => return Err(CallError::Eof),
                Ok(n) => {
                    let http = buf[..n].starts_with(b"HTTP/");
                    if std::mem::take(&mut self.first_bytes) && http {
                        return Err(CallError::Http(String::new()));
                    }
                    if std::mem::take(&mut self.hold_http) && http {
                        self.held = Some((Vec::new(), 0));
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

    /// Hands the held-back events on: the reply is ours after all.
    fn release(&mut self, on_event: &mut dyn FnMut(ReplyEvent)) {
        if let Some((held, _)) = self.held.take() {
            held.into_iter()
                .filter(|e| !matches!(e, ReplyEvent::Keepalive))
                .for_each(on_event);
        }
    }
}
