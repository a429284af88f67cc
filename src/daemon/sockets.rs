//! The control sockets: `[unix_http_server]` and `[inet_http_server]` listeners, created the
//! way the reference creates them (bind a temporary name, chmod, hard-link into place so a
//! live server is never clobbered, detect and remove a stale socket), and removed at exit.
//! Unlike the reference, the unix socket is bound under a umask that leaves exactly the
//! `chmod` bits, so it never exists with more permissions than configured.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::model::{ServerAddress, ServerConfig};

/// The reference's text when a socket is already served by someone else.
pub const IN_USE: &str = "Another program is already listening on a port that one of our HTTP \
servers is configured to use.  Shut this program down first before starting supervisord.";

/// A bound listening socket.
#[derive(Debug)]
pub enum Bound {
    /// A unix socket at `path` (unlinked when the server closes).
    Unix {
        /// The socket.
        socket: UnixListener,
        /// Its path.
        path: PathBuf,
    },
    /// A TCP socket.
    Tcp(TcpListener),
}

/// One open control server.
#[derive(Debug)]
pub struct Server {
    /// Its configuration (credentials, name).
    pub cfg: ServerConfig,
    /// The listening socket (non-blocking, close-on-exec).
    pub socket: Bound,
}

impl Server {
    /// Removes the unix socket file (at shutdown and before a restart re-binds).
    pub fn close(self) {
        if let Bound::Unix { path, .. } = &self.socket {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Accepts one connection, made non-blocking.
    pub fn accept(&self) -> io::Result<Sock> {
        let sock = match &self.socket {
            Bound::Unix { socket, .. } => socket.accept().map(|(s, _)| Sock::Unix(s))?,
            Bound::Tcp(l) => l.accept().map(|(s, _)| Sock::Tcp(s))?,
        };
        match &sock {
            Sock::Unix(s) => s.set_nonblocking(true)?,
            Sock::Tcp(s) => s.set_nonblocking(true)?,
        }
        Ok(sock)
    }
}

impl AsFd for Server {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.socket {
            Bound::Unix { socket, .. } => socket.as_fd(),
            Bound::Tcp(t) => t.as_fd(),
        }
    }
}

/// A connected client socket.
#[derive(Debug)]
pub enum Sock {
    /// Unix domain.
    Unix(UnixStream),
    /// TCP.
    Tcp(TcpStream),
}

impl AsFd for Sock {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Sock::Unix(s) => s.as_fd(),
            Sock::Tcp(s) => s.as_fd(),
        }
    }
}

impl Sock {
    /// `read(2)`.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Unix(s) => s.read(buf),
            Sock::Tcp(s) => s.read(buf),
        }
    }

    /// `write(2)`.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Unix(s) => s.write(buf),
            Sock::Tcp(s) => s.write(buf),
        }
    }
}

/// Opens every configured server. Errors carry the reference's usage-error texts.
pub fn open_servers(servers: &[ServerConfig]) -> Result<Vec<Server>, String> {
    let mut out: Vec<Server> = Vec::new();
    for cfg in servers {
        let bound = match &cfg.address {
            ServerAddress::Unix { file, chmod, chown } => open_unix(file, *chmod, *chown),
            ServerAddress::Inet { host, port } => open_tcp(host, *port),
        };
        match bound {
            Ok(l) => out.push(Server {
                cfg: cfg.clone(),
                socket: l,
            }),
            Err(e) => {
                for s in out {
                    s.close();
                }
                return Err(e);
            }
        }
    }
    Ok(out)
}

fn open_tcp(host: &str, port: u16) -> Result<Bound, String> {
    let host = if host.is_empty() || host == "*" {
        "0.0.0.0"
    } else {
        host
    };
    let l = TcpListener::bind((host, port)).map_err(|e| bind_error(&e))?;
    l.set_nonblocking(true).map_err(|e| bind_error(&e))?;
    Ok(Bound::Tcp(l))
}

fn bind_error(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EADDRINUSE) => IN_USE.to_string(),
        Some(n) => format!(
            "Cannot open an HTTP server: socket.error reported errno.{} ({n})",
            crate::sys::errno_name(n)
        ),
        None => format!("Cannot open an HTTP server: {e}"),
    }
}

fn open_unix(file: &Path, chmod: u32, chown: Option<(u32, u32)>) -> Result<Bound, String> {
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(format!(".{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    // A few attempts: each failed link either finds a live server (error) or removes a
    // stale socket and tries again.
    for _ in 0..5 {
        // The socket file is created with its final mode: no other user can connect in
        // the moment between `bind` and `chmod`, whatever the launching shell's umask
        // (the daemon has one thread, so the process-wide umask is ours to borrow).
        let saved = crate::sys::umask(!chmod & 0o777);
        let bound = UnixListener::bind(&tmp);
        crate::sys::umask(saved);
        let socket = bound.map_err(|e| bind_error(&e))?;
        let linked = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(chmod))
            .and_then(|_| std::fs::hard_link(&tmp, file));
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                if let Some((uid, gid)) = chown {
                    if let Err(e) = std::os::unix::fs::chown(file, Some(uid), Some(gid)) {
                        let _ = std::fs::remove_file(file);
                        return Err(chown_error(file, uid, gid, &e));
                    }
                }
                socket.set_nonblocking(true).map_err(|e| bind_error(&e))?;
                return Ok(Bound::Unix {
                    socket,
                    path: file.to_path_buf(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if in_use(file) {
                    return Err(IN_USE.to_string());
                }
                eprintln!("Unlinking stale socket {}", file.display());
                let _ = std::fs::remove_file(file);
                std::thread::sleep(Duration::from_millis(300));
            }
            Err(e) => return Err(bind_error(&e)),
        }
    }
    Err(IN_USE.to_string())
}

/// Whether something answers on the unix socket at `path`.
fn in_use(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}

fn chown_error(file: &Path, uid: u32, gid: u32, e: &io::Error) -> String {
    if e.raw_os_error() == Some(libc::EPERM) {
        let me = crate::sys::user::user_by_uid(crate::sys::proc::geteuid())
            .ok()
            .flatten()
            .map(|p| p.name)
            .unwrap_or_default();
        format!(
            "Not permitted to chown {} to uid/gid ({uid}, {gid}); adjust \"sockchown\" value in \
             config file or on command line to values that the current user ({me}) can \
             successfully chown",
            file.display()
        )
    } else {
        format!("Cannot chown {}: {e}", file.display())
    }
}
