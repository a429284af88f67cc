//! Who is at the other end of a unix stream socket: `SO_PEERCRED` (uid, gid, pid) and
//! `SO_PEERGROUPS` (the supplementary groups). The kernel records both when the peer calls
//! `connect(2)`, so they describe the process that connected, atomically, whatever it did
//! since (exited, passed the descriptor on, changed its ids); nothing is looked up and
//! nothing can race with pid reuse, unlike reading `/proc/PID/status` afterwards.

use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// Most supplementary groups asked for (the kernel's `NGROUPS_MAX`), so a hostile peer
/// cannot make the daemon allocate more.
const MAX_GROUPS: usize = 65536;

/// The credentials of a unix socket's peer, as of its `connect(2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCred {
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// pid (in the daemon's pid namespace; 0 when the peer is in none the daemon sees).
    pub pid: i32,
    /// Supplementary groups; empty when the kernel cannot tell (before Linux 4.13).
    pub groups: Vec<u32>,
}

/// `getsockopt(SO_PEERCRED)` and `getsockopt(SO_PEERGROUPS)` on a connected unix socket.
/// An error from `SO_PEERCRED` is returned; `SO_PEERGROUPS` missing (ENOPROTOOPT on old
/// kernels) leaves `groups` empty, so only the primary gid counts.
pub fn peer_cred(sock: impl AsFd) -> io::Result<PeerCred> {
    let fd = sock.as_fd().as_raw_fd();
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `fd` is borrowed from a live descriptor; `cred` is a writable ucred and `len`
    // holds its exact size, so the kernel writes at most that many bytes into it.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    super::cvt(r)?;
    if len as usize != std::mem::size_of::<libc::ucred>() {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    Ok(PeerCred {
        uid: cred.uid,
        gid: cred.gid,
        pid: cred.pid,
        groups: peer_groups(fd).unwrap_or_default(),
    })
}

/// `SO_PEERGROUPS`: tries a small buffer first; on ERANGE the kernel says how many bytes it
/// needs, and one more try with that size (bounded by [`MAX_GROUPS`]) is made.
fn peer_groups(fd: libc::c_int) -> io::Result<Vec<u32>> {
    let mut want = 32usize;
    for _ in 0..2 {
        let mut buf: Vec<libc::gid_t> = vec![0; want];
        let mut len = (want * std::mem::size_of::<libc::gid_t>()) as libc::socklen_t;
        // SAFETY: `fd` is a live descriptor; `buf` is a writable array of `len` bytes,
        // and the kernel writes no more than `len` bytes (it reports ERANGE instead).
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_PEERGROUPS,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        };
        let n = len as usize / std::mem::size_of::<libc::gid_t>();
        if r == 0 {
            buf.truncate(n.min(want));
            return Ok(buf);
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ERANGE) || n <= want || n > MAX_GROUPS {
            return Err(e);
        }
        want = n;
    }
    Err(io::Error::from_raw_os_error(libc::ERANGE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn a_socketpair_peer_is_this_process() {
        let (a, _b) = UnixStream::pair().unwrap();
        let c = peer_cred(&a).unwrap();
        assert_eq!(c.uid, crate::sys::geteuid());
        assert_eq!(c.gid, crate::sys::getegid());
        assert_eq!(c.pid, crate::sys::getpid());
    }

    #[test]
    fn a_socket_that_is_no_unix_socket_fails() {
        let (r, _w) = crate::sys::pipe().unwrap();
        assert!(peer_cred(&r).is_err());
    }
}
