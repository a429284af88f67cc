//! The control server's plumbing: accepting connections on the control sockets, moving bytes
//! between each socket and its pure [`Conn`] state machine, and closing connections. Nothing
//! here blocks: sockets are non-blocking, reads are bounded per wake-up, and output waits in
//! the connection's bounded buffer until the socket is writable. What a request does is in
//! `commands`.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use crate::daemon::sockets::{Listener, Server};
use crate::protocol::auth::Credentials;
use crate::protocol::conn::Conn;
use crate::sys::poller::{Interest, Reactor};
use crate::time::Mono;

/// Keys `1..FIRST_DYNAMIC_KEY` name listeners: key = LISTENER_BASE + server index.
pub const LISTENER_BASE: usize = 1;
/// Bytes read from one client per wake-up.
const READ_CHUNK: usize = 16 * 1024;
/// Connections accepted per listener per wake-up, so a connection storm cannot starve the
/// rest of the loop.
const ACCEPTS_PER_WAKE: usize = 64;
/// Connections open at once; beyond this new ones are closed at once.
const MAX_CLIENTS: usize = 1024;

/// A connected client socket.
#[derive(Debug)]
pub enum Sock {
    /// Unix domain.
    Unix(UnixStream),
    /// TCP.
    Tcp(TcpStream),
}

impl Sock {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Sock::Unix(s) => s.as_fd(),
            Sock::Tcp(s) => s.as_fd(),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Unix(s) => s.read(buf),
            Sock::Tcp(s) => s.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Unix(s) => s.write(buf),
            Sock::Tcp(s) => s.write(buf),
        }
    }
}

/// What a `tail -f` / `maintail -f` follows.
#[derive(Debug, Clone)]
pub struct Follow {
    /// The file.
    pub path: PathBuf,
    /// Bytes already sent.
    pub offset: u64,
    /// Inode of the file when opened; a change means it was rotated.
    pub ino: u64,
}

/// One client.
#[derive(Debug)]
pub struct Client {
    /// The socket.
    pub sock: Sock,
    /// The protocol state.
    pub conn: Conn,
    /// What the poller watches for now.
    interest: Interest,
    /// An active stream.
    pub follow: Option<Follow>,
}

/// All control sockets and their clients.
#[derive(Debug, Default)]
pub struct Control {
    /// The listeners.
    pub servers: Vec<Server>,
    /// Clients by poll key.
    pub clients: HashMap<usize, Client>,
}

impl Control {
    /// Control over already-open servers; registers the listeners.
    pub fn new(servers: Vec<Server>, reactor: &Reactor) -> io::Result<Control> {
        for (i, s) in servers.iter().enumerate() {
            reactor.watch(listener_fd(&s.listener), LISTENER_BASE + i, Interest::READ)?;
        }
        Ok(Control {
            servers,
            clients: HashMap::new(),
        })
    }

    /// The server index of a listener key.
    pub fn listener_index(&self, key: usize) -> Option<usize> {
        key.checked_sub(LISTENER_BASE)
            .filter(|i| *i < self.servers.len())
    }

    /// Accepts pending connections on server `idx`, giving each a key from `next_key`.
    pub fn accept(&mut self, idx: usize, reactor: &Reactor, next_key: &mut usize, now: Mono) {
        for _ in 0..ACCEPTS_PER_WAKE {
            let server = &self.servers[idx];
            let accepted = match &server.listener {
                Listener::Unix { listener, .. } => listener.accept().map(|(s, _)| Sock::Unix(s)),
                Listener::Tcp(l) => l.accept().map(|(s, _)| Sock::Tcp(s)),
            };
            let sock = match accepted {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            if self.clients.len() >= MAX_CLIENTS {
                continue;
            }
            let nb = match &sock {
                Sock::Unix(s) => s.set_nonblocking(true),
                Sock::Tcp(s) => s.set_nonblocking(true),
            };
            if nb.is_err() {
                continue;
            }
            let auth = match (&server.cfg.username, &server.cfg.password) {
                (Some(u), Some(p)) => Some(Credentials::new(u, p)),
                _ => None,
            };
            let key = *next_key;
            *next_key += 1;
            if reactor.watch(sock.fd(), key, Interest::READ).is_err() {
                continue;
            }
            self.clients.insert(
                key,
                Client {
                    sock,
                    conn: Conn::new(auth, now),
                    interest: Interest::READ,
                    follow: None,
                },
            );
        }
    }

    /// Reads what the client sent (bounded) into its `Conn`.
    pub fn read_client(&mut self, key: usize, now: Mono) {
        let Some(c) = self.clients.get_mut(&key) else {
            return;
        };
        if !c.conn.wants_read() {
            return;
        }
        let mut buf = [0u8; READ_CHUNK];
        match c.sock.read(&mut buf) {
            Ok(0) => c.conn.feed_eof(),
            Ok(n) => c.conn.feed(&buf[..n], now),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => c.conn.feed_eof(),
        }
    }

    /// Writes queued output, then closes the connection or updates what is watched.
    pub fn flush_client(&mut self, key: usize, reactor: &Reactor) {
        let Some(c) = self.clients.get_mut(&key) else {
            return;
        };
        let mut broken = false;
        while c.conn.wants_write() {
            match c.sock.write(c.conn.output()) {
                Ok(0) => break,
                Ok(n) => c.conn.consume(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        if broken || c.conn.should_close() {
            self.close(key, reactor);
            return;
        }
        let want = Interest {
            read: c.conn.wants_read(),
            write: c.conn.wants_write(),
        };
        if want != c.interest && reactor.modify(c.sock.fd(), key, want).is_ok() {
            c.interest = want;
        }
    }

    /// Drops a client.
    pub fn close(&mut self, key: usize, reactor: &Reactor) {
        if let Some(c) = self.clients.remove(&key) {
            reactor.unwatch(c.sock.fd());
        }
    }

    /// The earliest client timer.
    pub fn next_deadline(&self) -> Option<Mono> {
        self.clients
            .values()
            .filter_map(|c| c.conn.next_deadline())
            .min()
    }

    /// Runs due client timers (keepalives, idle and stall timeouts).
    pub fn fire_timers(&mut self, now: Mono, reactor: &Reactor) {
        let due: Vec<usize> = self
            .clients
            .iter()
            .filter(|(_, c)| c.conn.next_deadline().is_some_and(|d| d <= now))
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            if let Some(c) = self.clients.get_mut(&key) {
                c.conn.on_timer(now);
            }
            self.flush_client(key, reactor);
        }
    }

    /// Best-effort final flush and close of everything (shutdown or restart): replies such
    /// as `Shut down` get out, and the unix socket files are removed.
    pub fn close_all(&mut self, reactor: &Reactor) {
        let keys: Vec<usize> = self.clients.keys().copied().collect();
        for key in keys {
            if let Some(c) = self.clients.get_mut(&key) {
                while c.conn.wants_write() {
                    match c.sock.write(c.conn.output()) {
                        Ok(n) if n > 0 => c.conn.consume(n),
                        _ => break,
                    }
                }
            }
            self.close(key, reactor);
        }
        for s in self.servers.drain(..) {
            reactor.unwatch(listener_fd(&s.listener));
            s.close();
        }
    }
}

fn listener_fd(l: &Listener) -> BorrowedFd<'_> {
    match l {
        Listener::Unix { listener, .. } => listener.as_fd(),
        Listener::Tcp(t) => t.as_fd(),
    }
}
