//! Sockets the daemon opens for probes and for its children's `$NOTIFY_SOCKET`: a TCP connect
//! that never blocks, the result of that connect, and datagrams received with their sender's
//! credentials.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use super::cvt;

/// Starts a TCP connect to `addr` on a new non-blocking, close-on-exec socket. The connect
/// is usually still in progress: the socket becomes writable when it is done, and
/// [`connect_result`] says how it ended.
pub fn connect_nonblocking(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes three ints and returns a new descriptor or -1.
    let raw = cvt(unsafe { libc::socket(family, kind, 0) })?;
    // SAFETY: `raw` was just returned by socket and is owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // sockaddr_storage is large enough and suitably aligned for either family.
    // SAFETY: an all-zero sockaddr_storage is a valid value of this plain C struct.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage, which is aligned for it.
            unsafe { std::ptr::write(std::ptr::from_mut(&mut storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage, which is aligned for it.
            unsafe { std::ptr::write(std::ptr::from_mut(&mut storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    // SAFETY: the pointer and length describe the initialised address in `storage`, which
    // outlives the call; the descriptor is open.
    let r = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            std::ptr::from_ref(&storage).cast(),
            len as libc::socklen_t,
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
    }
    Ok(fd)
}

/// How a non-blocking connect ended (`SO_ERROR`), once its socket became writable.
pub fn connect_result(fd: impl AsFd) -> io::Result<()> {
    let mut err: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `err` and `len` are valid for writes of the sizes given, for the call.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            std::ptr::from_mut(&mut err).cast(),
            &mut len,
        )
    })?;
    if err == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(err))
    }
}

/// Asks the kernel to attach the sender's credentials to every datagram received on `fd`
/// (`SO_PASSCRED`).
pub fn pass_credentials(fd: impl AsFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: `on` is a valid int for the duration of the call.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PASSCRED,
            std::ptr::from_ref(&on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Who sent a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender {
    /// Process id.
    pub pid: i32,
    /// User id.
    pub uid: u32,
}

/// Receives one datagram into `buf` (a longer one is cut, `MSG_TRUNC`), with its sender's
/// credentials when the socket has [`pass_credentials`] on.
pub fn recv_with_sender(fd: impl AsFd, buf: &mut [u8]) -> io::Result<(usize, Option<Sender>)> {
    // u64 elements keep the control buffer aligned for cmsghdr.
    let mut control = [0u64; 16];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is a valid value of this plain C struct.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: msg points at `iov` (over `buf`) and `control`, all live and writable for the
    // call; recvmsg writes at most their stated lengths.
    let n = unsafe {
        libc::recvmsg(
            fd.as_fd().as_raw_fd(),
            &mut msg,
            libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut sender = None;
    // SAFETY: msg was filled in by recvmsg; CMSG_FIRSTHDR/NXTHDR stay within
    // msg_controllen, and an SCM_CREDENTIALS payload is a ucred (read unaligned to be safe).
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_CREDENTIALS {
                let cred: libc::ucred = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                sender = Some(Sender {
                    pid: cred.pid,
                    uid: cred.uid,
                });
            } else if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                // Descriptors nobody asked for: close them (FDSTORE is not supported).
                let len = (*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                let data = libc::CMSG_DATA(c).cast::<libc::c_int>();
                for i in 0..len / std::mem::size_of::<libc::c_int>() {
                    libc::close(std::ptr::read_unaligned(data.add(i)));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok((n as usize, sender))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr as UnixAddr, UnixDatagram};

    #[test]
    fn a_refused_connect_says_so() {
        // Bind then drop a listener to find a port nobody listens on.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let r = connect_nonblocking(&addr).and_then(|fd| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            connect_result(&fd)
        });
        assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::ECONNREFUSED));
    }

    #[test]
    fn a_connect_to_a_listener_succeeds() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = connect_nonblocking(&l.local_addr().unwrap()).unwrap();
        let _ = l.accept().unwrap();
        connect_result(&fd).unwrap();
    }

    #[test]
    fn datagrams_carry_their_senders_credentials() {
        let name = format!("supervisor-rs-test/{}", std::process::id());
        let addr = UnixAddr::from_abstract_name(name.as_bytes()).unwrap();
        let rx = UnixDatagram::bind_addr(&addr).unwrap();
        pass_credentials(&rx).unwrap();
        let tx = UnixDatagram::unbound().unwrap();
        tx.send_to_addr(b"READY=1\nSTATUS=ok", &addr).unwrap();
        let mut buf = [0u8; 64];
        let (n, who) = recv_with_sender(&rx, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=ok");
        let who = who.unwrap();
        assert_eq!(who.pid, std::process::id() as i32);
        assert_eq!(who.uid, crate::sys::geteuid());
        let e = recv_with_sender(&rx, &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }
}
