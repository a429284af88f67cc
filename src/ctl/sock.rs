//! The transport both protocols of supervisorctl use: the server's URL, connecting (unix or
//! TCP, with timeouts), the connected socket, the errors, and how long a reply may stay
//! silent. [`super::client`] speaks the text protocol over it, [`super::rpc`] XML-RPC.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::url::{self, Target};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// The server answered an XML-RPC call with an HTTP status other than 200 and 401 (the
    /// status line).
    Http(String),
    /// In XML-RPC mode, a reply that is not HTTP.
    NotHttp,
    /// In XML-RPC mode, a reply bigger than the client accepts.
    TooLarge,
    /// In XML-RPC mode, a reply that does not parse (why).
    BadReply(String),
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
    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
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
    /// True once the server turned out to speak XML-RPC (shared by every clone made for the
    /// same session and server).
    pub xmlrpc: Arc<AtomicBool>,
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
}
