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
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::daemon::access::{Need, Role};
use crate::daemon::io::{Io, Key, Source};
use crate::daemon::sockets::{Server, Sock};
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
/// Connections open at once, at most; fewer when RLIMIT_NOFILE is low (see [`Limits`]).
const MAX_CLIENTS: usize = 1024;
/// How long a connection to a server with credentials may take to authenticate.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a server stays unwatched after `accept` ran out of descriptors, unless a client
/// closes first.
const ACCEPT_PAUSE: Duration = Duration::from_secs(1);
/// The answer to a text client over the cap, in the reply framing.
const REFUSAL_TEXT: &[u8] = b"ERROR: too many connections\n.FAILED 1\n";
/// The answer to an HTTP client over the cap.
const REFUSAL_HTTP: &[u8] = b"HTTP/1.0 503 Service Unavailable\r\n\
Content-Type: text/plain\r\n\
Content-Length: 21\r\n\
Connection: close\r\n\
\r\n\
too many connections\n";
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

/// How many clients the daemon keeps, from its descriptor limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Clients open at once, over all servers.
    pub total: usize,
    /// Clients open at once on one server (less than `total` when there are several
    /// servers, so that flooding one leaves room on the others).
    pub per_server: usize,
    /// A connection whose descriptor number reaches this is refused: the descriptors
    /// above it are kept for spawns, pipes and log files.
    pub fd_ceiling: i64,
}

impl Limits {
    /// The limits for a soft RLIMIT_NOFILE of `nofile` and `servers` servers: at most
    /// min(1024, nofile/4) clients, three quarters of that per server when there are
    /// several, and the top eighth of descriptors (at least 32) never used by a client.
    pub fn for_nofile(nofile: u64, servers: usize) -> Limits {
        let nofile = nofile.min(1 << 20) as usize;
        let total = MAX_CLIENTS.min(nofile / 4).max(1);
        let per_server = if servers > 1 {
            (total * 3 / 4).max(1)
        } else {
            total
        };
        let reserve = (nofile / 8).max(32);
        Limits {
            total,
            per_server,
            fd_ceiling: nofile.saturating_sub(reserve) as i64,
        }
    }
}

impl Limits {
    /// With the configured total (`[supervisord] max_clients`), which may lower the cap or
    /// raise it up to the descriptors that are not kept in reserve.
    pub fn with_total(mut self, configured: Option<u32>) -> Limits {
        if let Some(n) = configured {
            let ceiling = usize::try_from(self.fd_ceiling).unwrap_or(0).max(1);
            self.total = (n as usize).clamp(1, ceiling);
            self.per_server = self.per_server.min(self.total);
        }
        self
    }

    /// The cap of one server: its own `max_clients`, never above the total.
    pub fn for_server(&self, configured: Option<u32>) -> usize {
        configured.map_or(self.per_server, |n| (n as usize).min(self.total))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::for_nofile(1024, 1)
    }
}

/// One client.
#[derive(Debug)]
struct Client {
    codec: Codec,
    /// The server it came in on.
    server: Key,
    /// When it is dropped unless it has authenticated (its server requires credentials).
    auth_by: Option<Mono>,
    follow: Option<Follow>,
    /// The server's credentials (HTTP checks them on every request).
    #[cfg(feature = "xmlrpc")]
    auth: Option<Credentials>,
    /// What its identity allows (`readers`/`controllers`), fixed when it connected.
    role: Role,
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
    limits: Limits,
    /// Servers unwatched after `accept` ran out of descriptors, and until when.
    paused: HashMap<Key, Mono>,
}

impl Control {
    /// Watches the control servers; `max_clients` is `[supervisord] max_clients`.
    pub fn add_servers(
        &mut self,
        servers: Vec<Server>,
        max_clients: Option<u32>,
        io: &mut Io,
    ) -> io::Result<()> {
        let nofile = crate::sys::get_rlimit(crate::sys::Resource::NoFile)
            .map(|(soft, _)| soft)
            .unwrap_or(1024);
        self.limits = Limits::for_nofile(nofile, servers.len()).with_total(max_clients);
        for s in servers {
            io.add(Source::Server(Box::new(s)), Interest::READ)?;
        }
        Ok(())
    }

    /// Accepts pending connections on the server under `key`. A connection over the caps
    /// ([`Limits`]) gets a one-line refusal and is closed at once; when `accept` itself
    /// runs out of descriptors, the server is unwatched until a client closes or for
    /// [`ACCEPT_PAUSE`], so a full descriptor table never spins the loop.
    pub fn accept(&mut self, key: Key, io: &mut Io, now: Mono) {
        for _ in 0..ACCEPTS_PER_WAKE {
            let Some(Source::Server(server)) = io.get(key) else {
                return;
            };
            let sock = match server.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if out_of_descriptors(&e) => {
                    if io.set_interest(key, Interest::NONE) {
                        self.paused.insert(key, now.plus(ACCEPT_PAUSE));
                    }
                    return;
                }
                Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
                Err(_) => return,
            };
            let on_server = self.clients.values().filter(|c| c.server == key).count();
            if self.clients.len() >= self.limits.total
                || on_server >= self.limits.for_server(server.cfg.max_clients)
                || i64::from(sock.as_fd().as_raw_fd()) >= self.limits.fd_ceiling
            {
                refuse(sock);
                continue;
            }
            let auth = match (&server.cfg.username, &server.cfg.password) {
                (Some(u), Some(p)) => Some(Credentials::new(u, p)),
                _ => None,
            };
            let auth_by = auth.as_ref().map(|_| now.plus(AUTH_TIMEOUT));
            let role = match &server.cfg.access {
                None => Role::Control,
                Some(a) => {
                    let peer = crate::sys::peer::peer_cred(&sock).ok();
                    Role::of(Some(a), peer.as_ref(), crate::sys::geteuid())
                }
            };
            if let Ok(k) = io.add(Source::Client(sock), Interest::READ) {
                let codec = Codec::new(auth.clone(), now);
                let client = Client {
                    codec,
                    server: key,
                    auth_by,
                    follow: None,
                    #[cfg(feature = "xmlrpc")]
                    auth,
                    role,
                };
                self.clients.insert(k, client);
            }
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether `key` is a client.
    pub fn is_client(&self, key: Key) -> bool {
        self.clients.contains_key(&key)
    }

    /// Clients connected, over every server and codec.
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// For a text client streaming a reply (`events`): whether its output is below the
    /// high-water mark, as `tail -f` checks before reading more; `None` when it is gone or
    /// no longer streaming.
    pub fn stream_room(&mut self, key: Key) -> Option<bool> {
        let c = self.text(key)?;
        c.is_streaming().then(|| c.stream_has_room())
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
            Codec::Text(conn) => {
                let req = conn.next_request(now);
                if conn.is_authed() {
                    c.auth_by = None;
                }
                req.map(Incoming::Text)
            }
            #[cfg(feature = "xmlrpc")]
            Codec::Http(h) => {
                let req = h.conn.next_request(now)?;
                let authed = match &c.auth {
                    None => true,
                    Some(cred) => req.basic_auth().is_some_and(|(u, p)| cred.check(&u, &p)),
                };
                if authed {
                    c.auth_by = None;
                }
                Some(Incoming::Http(req, authed))
            }
        }
    }

    /// Why the client at `key` may not run `what`, which needs `need`; `None` when it may.
    pub fn refusal(&self, key: Key, need: Need, what: &str) -> Option<String> {
        let role = self
            .clients
            .get(&key)
            .map_or(Role::Stranger(None), |c| c.role);
        role.refusal(need, what)
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
        if !broken && c.codec.may_resume() {
            // The reply is out and nothing more was buffered: look once more, since
            // requests beyond one read, or split across writes, may be waiting.
            let mut buf = [0u8; READ_CHUNK];
            match io.read_client(key, &mut buf) {
                Ok(n) if n > 0 => c.codec.resume(&buf[..n], Mono::now()),
                _ => {}
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
        // A descriptor is free again: watch servers that ran out.
        self.resume_servers(io, None);
    }

    /// Watches again the servers paused after running out of descriptors: all of them, or
    /// (with `now`) those whose pause is over.
    fn resume_servers(&mut self, io: &mut Io, now: Option<Mono>) {
        if self.paused.is_empty() {
            return;
        }
        let due: Vec<Key> = self
            .paused
            .iter()
            .filter(|(_, t)| now.is_none_or(|n| **t <= n))
            .map(|(k, _)| *k)
            .collect();
        for k in due {
            self.paused.remove(&k);
            io.set_interest(k, Interest::READ);
        }
    }

    /// The earliest client timer or follow check.
    pub fn next_deadline(&self) -> Option<Mono> {
        self.clients
            .values()
            .filter_map(|c| c.codec.next_deadline().into_iter().chain(c.auth_by).min())
            .chain(self.next_follow)
            .chain(self.paused.values().copied())
            .min()
    }

    /// Runs due client timers (keepalives, idle and stall timeouts) and follow checks.
    pub fn fire_timers(&mut self, now: Mono, io: &mut Io) {
        self.resume_servers(io, Some(now));
        let late: Vec<Key> = self
            .clients
            .iter()
            .filter(|(_, c)| c.auth_by.is_some_and(|t| t <= now))
            .map(|(k, _)| *k)
            .collect();
        for key in late {
            self.close(key, io);
        }
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
        self.paused.clear();
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

/// Whether `accept` failed for want of descriptors (or memory for one).
fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Answers a connection over the caps and closes it: HTTP gets a 503 when its request line
/// already arrived, anything else one error line in the text protocol's framing. What the
/// client sent is read first, so the close does not reset the connection under the answer.
fn refuse(mut sock: Sock) {
    let mut buf = [0u8; 1024];
    let first = match sock.read(&mut buf) {
        Ok(n) => &buf[..n],
        Err(_) => &[][..],
    };
    let answer = if crate::protocol::conn::sniff(first) == crate::protocol::conn::Sniff::Http {
        REFUSAL_HTTP
    } else {
        REFUSAL_TEXT
    };
    let _ = sock.write(answer);
    for _ in 0..4 {
        if !matches!(sock.read(&mut buf), Ok(n) if n > 0) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Limits;

    #[test]
    fn client_limits_follow_the_descriptor_limit() {
        let l = Limits::for_nofile(256, 2);
        assert_eq!((l.total, l.per_server, l.fd_ceiling), (64, 48, 224));
        let l = Limits::for_nofile(1024, 1);
        assert_eq!((l.total, l.per_server, l.fd_ceiling), (256, 256, 896));
        let l = Limits::for_nofile(1 << 20, 1);
        assert_eq!(l.total, 1024);
        let l = Limits::for_nofile(u64::MAX, 3);
        assert_eq!((l.total, l.per_server), (1024, 768));
        let l = Limits::for_nofile(8, 1);
        assert_eq!((l.total, l.fd_ceiling), (2, 0));
    }
}
