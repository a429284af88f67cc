//! The control part: the clients of the control sockets (each a pure codec, [`Conn`] for
//! the text protocol or `HttpConn` for HTTP, plus what it follows), the requests waiting
//! for processes, and the plumbing between a client's socket (owned by `Io`) and its codec.
//! The first bytes of a connection decide its codec: an upper-case HTTP method and a space
//! mean HTTP (XML-RPC, the web page, log tails); anything else is the text protocol. Nothing here blocks: sockets are non-blocking, reads are
//! bounded per wake-up, and output waits in the connection's bounded buffer until the
//! socket is writable. What a request does is in `requests` and `reconfig`; every reply goes
//! out through [`Control::reply`] or the `push_*`/[`Control::finish`] pair.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::daemon::io::{Io, Key, Source};
use crate::daemon::sockets::Server;
use crate::daemon::waits::Wait;
use crate::logfile::tail::read_log;
use crate::protocol::auth::Credentials;
use crate::protocol::conn::Conn;
use crate::protocol::fault::Outcome;
#[cfg(feature = "xmlrpc")]
use crate::protocol::http;
use crate::protocol::request::Request;
use crate::protocol::results::ResultLine;
use crate::sys::poller::Interest;
use crate::time::Mono;
use codec::Codec;

#[cfg(feature = "xmlrpc")]
mod answers;
mod codec;

/// Bytes read from one client per wake-up.
const READ_CHUNK: usize = 16 * 1024;
/// Connections accepted per server per wake-up, so a connection storm cannot starve the
/// rest of the loop.
const ACCEPTS_PER_WAKE: usize = 64;
/// Connections open at once; beyond this new ones are closed at once.
const MAX_CLIENTS: usize = 1024;
/// Bytes a `tail -f` starts with, as the reference's `/logtail`.
const FOLLOW_START: u64 = 1024;
/// Bytes read from a followed file per check.
const FOLLOW_CHUNK: u64 = 64 * 1024;
/// How often followed files are checked while someone follows one.
pub const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// What a `tail -f` / `maintail -f` follows.
#[derive(Debug, Clone)]
struct Follow {
    path: PathBuf,
    /// Bytes already sent.
    offset: u64,
    /// Inode of the file when opened; a change means it was rotated.
    ino: u64,
}

/// One client.
#[derive(Debug)]
struct Client {
    codec: Codec,
    follow: Option<Follow>,
    /// The server's credentials (HTTP checks them on every request).
    #[cfg(feature = "xmlrpc")]
    auth: Option<Credentials>,
}

/// A complete request, in the codec it came in.
#[derive(Debug)]
pub enum Incoming {
    /// A text-protocol request.
    Text(Request),
    /// An HTTP request, and whether it carried the server's credentials (or none were
    /// needed).
    #[cfg(feature = "xmlrpc")]
    Http(http::Request, bool),
}

/// The clients, their waits and follows.
#[derive(Debug, Default)]
pub struct Control {
    clients: HashMap<Key, Client>,
    waits: Vec<Wait>,
    next_follow: Option<Mono>,
}

impl Control {
    /// Watches the control servers.
    pub fn add_servers(&mut self, servers: Vec<Server>, io: &mut Io) -> io::Result<()> {
        for s in servers {
            io.add(Source::Server(Box::new(s)), Interest::READ)?;
        }
        Ok(())
    }

    /// Accepts pending connections on the server under `key`.
    pub fn accept(&mut self, key: Key, io: &mut Io, now: Mono) {
        for _ in 0..ACCEPTS_PER_WAKE {
            let Some(Source::Server(server)) = io.get(key) else {
                return;
            };
            let sock = match server.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            if self.clients.len() >= MAX_CLIENTS {
                continue;
            }
            let auth = match (&server.cfg.username, &server.cfg.password) {
                (Some(u), Some(p)) => Some(Credentials::new(u, p)),
                _ => None,
            };
            if let Ok(k) = io.add(Source::Client(sock), Interest::READ) {
                let codec = Codec::new(auth.clone(), now);
                let client = Client {
                    codec,
                    follow: None,
                    #[cfg(feature = "xmlrpc")]
                    auth,
                };
                self.clients.insert(k, client);
            }
        }
    }

    /// Whether `key` is a client.
    pub fn is_client(&self, key: Key) -> bool {
        self.clients.contains_key(&key)
    }

    /// Reads what the client sent (bounded) into its `Conn`.
    pub fn read(&mut self, key: Key, io: &mut Io, now: Mono) {
        let Some(c) = self.clients.get_mut(&key) else {
            return;
        };
        if !c.codec.wants_read() {
            return;
        }
        let mut buf = [0u8; READ_CHUNK];
        match io.read_client(key, &mut buf) {
            Ok(0) => c.codec.feed_eof(now),
            Ok(n) => c.codec.feed(&buf[..n], now),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => c.codec.feed_eof(now),
        }
    }

    /// The client's next complete request, if any.
    pub fn next_request(&mut self, key: Key, now: Mono) -> Option<Incoming> {
        let c = self.clients.get_mut(&key)?;
        match &mut c.codec {
            #[cfg(feature = "xmlrpc")]
            Codec::Sniffing(..) => None,
            Codec::Text(conn) => conn.next_request(now).map(Incoming::Text),
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => {
                let req = h.conn.next_request(now)?;
                let authed = match &c.auth {
                    None => true,
                    Some(cred) => req.basic_auth().is_some_and(|(u, p)| cred.check(&u, &p)),
                };
                Some(Incoming::Http(req, authed))
            }
        }
    }

    /// Clients with no request in flight (they may have pipelined requests to run).
    pub fn idle(&self) -> Vec<Key> {
        self.clients
            .iter()
            .filter(|(_, c)| !c.codec.in_flight())
            .map(|(k, _)| *k)
            .collect()
    }

    // ----- the reply path --------------------------------------------------------------

    /// Adds a result line to the client's reply.
    pub fn push_result(&mut self, key: Key, line: &ResultLine) {
        if let Some(c) = self.text(key) {
            c.push_result(line);
        }
    }

    fn text(&mut self, key: Key) -> Option<&mut Conn> {
        match self.clients.get_mut(&key).map(|c| &mut c.codec) {
            Some(Codec::Text(c)) => Some(c),
            _ => None,
        }
    }

    /// Adds a plain line to the client's reply.
    pub fn push_line(&mut self, key: Key, line: &[u8]) {
        if let Some(c) = self.text(key) {
            c.push_line(line);
        }
    }

    /// Adds raw text (a log tail) to the client's reply.
    pub fn push_text(&mut self, key: Key, text: &[u8]) {
        if let Some(c) = self.text(key) {
            c.push_text(text);
        }
    }

    /// Ends the client's reply with the outcome its result lines gave, and sends it. For an
    /// HTTP client, sends the deferred XML-RPC answer.
    pub fn finish(&mut self, key: Key, io: &mut Io) {
        match self.clients.get_mut(&key).map(|c| &mut c.codec) {
            Some(Codec::Text(c)) => c.finish(),
            #[cfg(feature = "xmlrpc")]
            Some(Codec::Http(h)) => {
                if let Some(d) = h.deferred.take() {
                    return self.respond(key, d.response(), io);
                }
            }
            _ => {}
        }
        self.flush(key, io);
    }

    /// Ends the client's reply with `outcome`, and sends it.
    pub fn finish_with(&mut self, key: Key, outcome: Outcome, io: &mut Io) {
        if let Some(c) = self.text(key) {
            c.finish_with(outcome);
        }
        self.flush(key, io);
    }

    /// A whole reply of result lines.
    pub fn reply(&mut self, key: Key, lines: &[ResultLine], io: &mut Io) {
        for l in lines {
            self.push_result(key, l);
        }
        self.finish(key, io);
    }

    /// A whole reply of plain lines with `outcome`.
    pub fn reply_lines(&mut self, key: Key, lines: &[String], outcome: Outcome, io: &mut Io) {
        for l in lines {
            self.push_line(key, l.as_bytes());
        }
        self.finish_with(key, outcome, io);
    }

    /// Writes queued output, then closes the connection or updates what is watched.
    pub fn flush(&mut self, key: Key, io: &mut Io) {
        let Some(c) = self.clients.get_mut(&key) else {
            return;
        };
        let mut broken = false;
        while c.codec.wants_write() {
            match io.write(key, c.codec.output()) {
                Ok(0) => break,
                Ok(n) => c.codec.consume(n),
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        if broken || c.codec.should_close() {
            self.close(key, io);
            return;
        }
        let want = Interest {
            read: c.codec.wants_read(),
            write: c.codec.wants_write(),
        };
        if io.get(key).is_some() {
            io.set_interest(key, want);
        }
    }

    /// Drops a client (and what it waited for).
    pub fn close(&mut self, key: Key, io: &mut Io) {
        self.clients.remove(&key);
        self.waits.retain(|w| w.client() != key);
        io.remove(key);
    }

    /// The earliest client timer or follow check.
    pub fn next_deadline(&self) -> Option<Mono> {
        self.clients
            .values()
            .filter_map(|c| c.codec.next_deadline())
            .chain(self.next_follow)
            .min()
    }

    /// Runs due client timers (keepalives, idle and stall timeouts) and follow checks.
    pub fn fire_timers(&mut self, now: Mono, io: &mut Io) {
        let due: Vec<Key> = self
            .clients
            .iter()
            .filter(|(_, c)| c.codec.next_deadline().is_some_and(|d| d <= now))
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            if let Some(c) = self.clients.get_mut(&key) {
                c.codec.on_timer(now);
            }
            self.flush(key, io);
        }
        if self.clients.values().any(|c| c.follow.is_some()) {
            if self.next_follow.is_none_or(|t| t <= now) {
                self.pump_follows(io);
                self.next_follow = Some(now.plus(FOLLOW_POLL));
            }
        } else {
            self.next_follow = None;
        }
    }

    /// Best-effort final flush and close of everything (shutdown or restart): replies such
    /// as `Shut down` get out, and the unix socket files are removed.
    pub fn close_all(&mut self, io: &mut Io) {
        let keys: Vec<Key> = self.clients.keys().copied().collect();
        for key in keys {
            if let Some(c) = self.clients.get_mut(&key) {
                while c.codec.wants_write() {
                    match io.write(key, c.codec.output()) {
                        Ok(n) if n > 0 => c.codec.consume(n),
                        _ => break,
                    }
                }
            }
            self.close(key, io);
        }
        for key in io.keys_where(|s| matches!(s, Source::Server(_))) {
            if let Some(Source::Server(s)) = io.take(key) {
                s.close();
            }
        }
    }

    // ----- waits -----------------------------------------------------------------------

    /// Queues a request that waits for processes.
    pub fn add_wait(&mut self, wait: Wait) {
        self.waits.push(wait);
    }

    /// Takes every wait out (the loop steps them and puts back those not done).
    pub fn take_waits(&mut self) -> Vec<Wait> {
        std::mem::take(&mut self.waits)
    }

    /// Puts back waits not done, ahead of any queued since they were taken.
    pub fn restore_waits(&mut self, mut waits: Vec<Wait>) {
        waits.retain(|w| !w.is_done() && self.clients.contains_key(&w.client()));
        waits.append(&mut self.waits);
        self.waits = waits;
    }

    /// The waits, for their report deadlines.
    pub fn waits(&self) -> &[Wait] {
        &self.waits
    }

    // ----- follows ---------------------------------------------------------------------

    /// Starts following `path` for the client (`tail -f`); false when it does not exist.
    pub fn follow(&mut self, key: Key, path: PathBuf, io: &mut Io) -> bool {
        let Ok(meta) = std::fs::metadata(&path) else {
            return false;
        };
        if let Some(c) = self.clients.get_mut(&key) {
            c.follow = Some(Follow {
                path,
                offset: meta.len().saturating_sub(FOLLOW_START),
                ino: meta.ino(),
            });
        }
        self.pump_follows(io);
        true
    }

    /// Sends what followed files gained since the last check.
    fn pump_follows(&mut self, io: &mut Io) {
        let keys: Vec<Key> = self
            .clients
            .iter()
            .filter(|(_, c)| c.follow.is_some())
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            let Some(c) = self.clients.get_mut(&key) else {
                continue;
            };
            let Some(f) = c.follow.as_mut() else { continue };
            if !c.codec.stream_has_room() {
                continue;
            }
            if let Ok(meta) = std::fs::metadata(&f.path) {
                if meta.ino() != f.ino {
                    // Rotated: start again at the top of the new file.
                    f.ino = meta.ino();
                    f.offset = 0;
                } else if meta.len() < f.offset {
                    // Truncated in place (`clear`, copytruncate): say so, as the reference.
                    f.offset = 0;
                    c.codec.push_stream(b"==> File truncated <==\n");
                }
                if meta.len() > f.offset {
                    let want = (meta.len() - f.offset).min(FOLLOW_CHUNK);
                    if let Ok(data) = read_log(&f.path, f.offset as i64, want as i64) {
                        f.offset += data.len() as u64;
                        c.codec.push_stream(&data);
                    }
                }
            }
            self.flush(key, io);
        }
    }
}
