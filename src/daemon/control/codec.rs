//! A client's codec: the text protocol's [`Conn`] or, with the `xmlrpc` feature, HTTP's
//! [`HttpConn`], chosen by the first bytes of the connection (an upper-case HTTP method and a
//! space mean HTTP). Every call is passed to the codec in use.

use crate::protocol::auth::Credentials;
use crate::protocol::conn::Conn;
#[cfg(feature = "xmlrpc")]
use crate::protocol::http::HttpConn;
use crate::time::Mono;

#[cfg(feature = "xmlrpc")]
use crate::daemon::deferred::Deferred;

/// A client's protocol.
#[derive(Debug)]
pub(super) enum Codec {
    /// Nothing decided yet: the bytes so far (the text `Conn` keeps the idle timer).
    #[cfg(feature = "xmlrpc")]
    Sniffing(Conn, Vec<u8>),
    /// The text protocol.
    Text(Conn),
    /// HTTP.
    #[cfg(feature = "xmlrpc")]
    Http(Box<HttpClient>),
}

/// An HTTP client and the answer it waits for.
#[cfg(feature = "xmlrpc")]
#[derive(Debug)]
pub(super) struct HttpClient {
    pub(super) conn: HttpConn,
    pub(super) deferred: Option<Deferred>,
}

/// How the first bytes of a connection decide its protocol: `None` while they could still
/// begin an HTTP request line.
#[cfg(feature = "xmlrpc")]
fn sniff(buf: &[u8]) -> Option<bool> {
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
    if METHODS.iter().any(|m| buf.starts_with(m)) {
        return Some(true);
    }
    if METHODS.iter().any(|m| m.starts_with(buf)) {
        return None;
    }
    Some(false)
}

impl Codec {
    /// The codec of a new connection: undecided until its first bytes (text only without
    /// the `xmlrpc` feature).
    pub(super) fn new(auth: Option<Credentials>, now: Mono) -> Codec {
        #[cfg(feature = "xmlrpc")]
        return Codec::Sniffing(Conn::new(auth, now), Vec::new());
        #[cfg(not(feature = "xmlrpc"))]
        Codec::Text(Conn::new(auth, now))
    }

    pub(super) fn wants_read(&self) -> bool {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => true,
            Codec::Text(c) => c.wants_read(),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.wants_read(),
        }
    }

    pub(super) fn wants_write(&self) -> bool {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => false,
            Codec::Text(c) => c.wants_write(),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.wants_write(),
        }
    }

    pub(super) fn output(&self) -> &[u8] {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => &[],
            Codec::Text(c) => c.output(),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.output(),
        }
    }

    pub(super) fn consume(&mut self, n: usize) {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => {}
            Codec::Text(c) => c.consume(n),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.consume(n),
        }
    }

    pub(super) fn should_close(&self) -> bool {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(c, _) => c.should_close(),
            Codec::Text(c) => c.should_close(),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.should_close(),
        }
    }

    /// See [`Conn::may_resume`] (the text protocol only).
    pub(super) fn may_resume(&self) -> bool {
        matches!(self, Codec::Text(c) if c.may_resume())
    }

    /// See [`Conn::resume`].
    pub(super) fn resume(&mut self, data: &[u8], now: Mono) {
        match self {
            Codec::Text(c) => c.resume(data, now),
            #[cfg(feature = "xmlrpc")]
            _ => {}
        }
    }

    pub(super) fn in_flight(&self) -> bool {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => false,
            Codec::Text(c) => c.in_flight(),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.in_flight(),
        }
    }

    pub(super) fn next_deadline(&self) -> Option<Mono> {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(c, _) => c.next_deadline(),
            Codec::Text(c) => c.next_deadline(),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.next_deadline(),
        }
    }

    pub(super) fn on_timer(&mut self, now: Mono) {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(c, _) => c.on_timer(now),
            Codec::Text(c) => c.on_timer(now),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.on_timer(now),
        }
    }

    pub(super) fn stream_has_room(&self) -> bool {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => false,
            Codec::Text(c) => c.stream_has_room(),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.stream_has_room(),
        }
    }

    pub(super) fn push_stream(&mut self, data: &[u8]) {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => {}
            Codec::Text(c) => c.push_stream(data),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.push_stream(data),
        }
    }

    pub(super) fn feed(&mut self, data: &[u8], now: Mono) {
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(_, buf) => buf.extend_from_slice(data),
            Codec::Text(c) => c.feed(data, now),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.feed(data, now),
        }
        #[cfg(feature = "xmlrpc")]
        self.decide(now);
    }

    pub(super) fn feed_eof(&mut self, #[allow(unused_variables)] now: Mono) {
        #[cfg(feature = "xmlrpc")]
        if let Codec::Sniffing(_, buf) = self {
            // Whatever came is a (short) text request.
            let buf = std::mem::take(buf);
            self.become_text(&buf, now);
        }
        match self {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => {}
            Codec::Text(c) => c.feed_eof(),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => h.conn.feed_eof(),
        }
    }

    /// Picks the protocol once the first bytes tell.
    #[cfg(feature = "xmlrpc")]
    fn decide(&mut self, now: Mono) {
        let Codec::Sniffing(_, buf) = self else {
            return;
        };
        match sniff(buf) {
            None => {}
            Some(true) => {
                let buf = std::mem::take(buf);
                let mut conn = HttpConn::new(now);
                conn.feed(&buf, now);
                *self = Codec::Http(Box::new(HttpClient {
                    conn,
                    deferred: None,
                }));
            }
            Some(false) => {
                let buf = std::mem::take(buf);
                self.become_text(&buf, now);
            }
        }
    }

    #[cfg(feature = "xmlrpc")]
    fn become_text(&mut self, buf: &[u8], now: Mono) {
        let Codec::Sniffing(conn, _) = self else {
            return;
        };
        let mut conn = std::mem::replace(conn, Conn::new(None, now));
        conn.feed(buf, now);
        *self = Codec::Text(conn);
    }
}
