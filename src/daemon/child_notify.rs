//! The `$NOTIFY_SOCKET` a `ready=notify` process gets, so daemons written for systemd's
//! `Type=notify` work unchanged: an abstract-namespace datagram socket per spawn (nothing on
//! disk to clean up or to race for), whose datagrams are read with the sender's credentials
//! and accepted only from the program's own user or root. `READY=1` makes the process ready;
//! `STATUS=` text shows in `status`; other assignments are ignored.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

use crate::daemon::procs::ProcId;
use crate::sys;

/// The most bytes of one datagram looked at (systemd's own limit is larger, but the
/// assignments we read are short).
pub const MAX_DATAGRAM: usize = 4096;

/// The most characters of a `STATUS=` text kept for `status`.
pub const MAX_STATUS: usize = 200;

/// A bound notify socket and the value of `$NOTIFY_SOCKET` that reaches it.
#[derive(Debug)]
pub struct Bound {
    /// The socket (non-blocking, close-on-exec, credentials on).
    pub sock: UnixDatagram,
    /// `@supervisor-rs/<daemon pid>/<proc>/<spawn>`.
    pub env_value: String,
}

/// Binds the socket for spawn number `spawn` of process `proc`.
pub fn bind(proc: ProcId, spawn: u64) -> std::io::Result<Bound> {
    let name = format!("supervisor-rs/{}/{proc}/{spawn}", sys::getpid());
    let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    let sock = UnixDatagram::bind_addr(&addr)?;
    sock.set_nonblocking(true)?;
    sys::socket::pass_credentials(&sock)?;
    Ok(Bound {
        sock,
        env_value: format!("@{name}"),
    })
}

/// What one datagram says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Message {
    /// `READY=1` was in it.
    pub ready: bool,
    /// The last `STATUS=` text in it, cleaned of control characters and cut to
    /// [`MAX_STATUS`] characters.
    pub status: Option<String>,
}

/// Reads the newline-separated assignments of one datagram.
pub fn parse(data: &[u8]) -> Message {
    let mut m = Message::default();
    for line in data.split(|&b| b == b'\n') {
        if line == b"READY=1" {
            m.ready = true;
        } else if let Some(text) = line.strip_prefix(b"STATUS=") {
            let text: String = String::from_utf8_lossy(text)
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(MAX_STATUS)
                .collect();
            m.status = Some(text.trim().to_string());
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ready_and_status() {
        assert_eq!(
            parse(b"STATUS=warming up\nMAINPID=4"),
            Message {
                ready: false,
                status: Some("warming up".into())
            }
        );
        assert!(parse(b"READY=1").ready);
        assert!(parse(b"STATUS=x\nREADY=1\n").ready);
        assert!(!parse(b"READY=0\nREADY=10").ready);
        let long = format!("STATUS={}\x1b[31m", "é".repeat(500));
        let s = parse(long.as_bytes()).status.unwrap();
        assert_eq!(s.chars().count(), MAX_STATUS);
        assert!(!s.contains('\x1b'));
    }

    #[test]
    fn a_bound_socket_is_reachable_by_its_env_value() {
        let b = bind(7, 1).unwrap();
        let name = b.env_value.strip_prefix('@').unwrap();
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        UnixDatagram::unbound()
            .unwrap()
            .send_to_addr(b"READY=1", &addr)
            .unwrap();
        let mut buf = [0u8; 64];
        let (n, who) = sys::socket::recv_with_sender(&b.sock, &mut buf).unwrap();
        assert!(parse(&buf[..n]).ready);
        assert_eq!(who.unwrap().uid, sys::geteuid());
    }
}
