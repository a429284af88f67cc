//! File descriptors: pipe creation (always close-on-exec, atomically), the non-blocking
//! flag, terminals, and pointing fds 0/1/2 at `/dev/null` for the daemon.
//!
//! Every descriptor the daemon creates is close-on-exec from birth (`pipe2(O_CLOEXEC)`
//! here; std opens files and sockets with `O_CLOEXEC`/`SOCK_CLOEXEC`), so nothing leaks
//! into children. Close-on-exec is a descriptor flag (`F_SETFD`), never `F_SETFL`.

use std::ffi::{CString, OsStr};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::cvt;

/// `pipe2(O_CLOEXEC)`: returns `(read end, write end)`, both blocking and close-on-exec.
/// Use [`set_nonblocking`] on the ends the daemon keeps.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: `fds` is a writable array of two ints, as pipe2 requires.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded, so both numbers are fresh descriptors nobody else owns.
    let ends = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok(ends)
}

/// Bytes waiting to be read in a pipe or socket (FIONREAD).
pub fn bytes_readable(fd: impl AsFd) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, which points at `n`.
    cvt(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), libc::FIONREAD, &mut n) })?;
    Ok(n.max(0) as usize)
}

/// Asks the kernel for a pipe buffer of `bytes` (F_SETPIPE_SZ) and returns the size it got.
/// Fails with EPERM above `/proc/sys/fs/pipe-max-size` or the user's pipe quota, unless
/// privileged.
pub fn set_pipe_size(fd: impl AsFd, bytes: usize) -> io::Result<usize> {
    let want = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: F_SETPIPE_SZ takes an int argument; no memory is passed.
    let got = cvt(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_SETPIPE_SZ, want) })?;
    Ok(got.max(0) as usize)
}

/// `splice(2)` of up to `len` bytes from the pipe `from` into `to` at their file positions,
/// without a copy through user space. The daemon does not use it (it refuses `O_APPEND`
/// targets, and our logs are append-only); the benchmark harness measures it as a baseline.
pub fn splice(from: impl AsFd, to: impl AsFd, len: usize) -> io::Result<usize> {
    // SAFETY: null offsets make the kernel use and advance both files' positions; no
    // memory of ours is passed.
    let n = unsafe {
        libc::splice(
            from.as_fd().as_raw_fd(),
            std::ptr::null_mut(),
            to.as_fd().as_raw_fd(),
            std::ptr::null_mut(),
            len,
            0,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// `listen(2)` again on a bound socket, to set its backlog (std picks its own).
pub fn listen(fd: impl AsFd, backlog: i32) -> io::Result<()> {
    // SAFETY: listen takes a descriptor and an int; no memory is passed.
    cvt(unsafe { libc::listen(fd.as_fd().as_raw_fd(), backlog) })?;
    Ok(())
}

/// The pipe's buffer size (F_GETPIPE_SZ).
pub fn pipe_size(fd: impl AsFd) -> io::Result<usize> {
    // SAFETY: F_GETPIPE_SZ takes no argument and only returns an int.
    let got = cvt(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETPIPE_SZ) })?;
    Ok(got.max(0) as usize)
}

/// Sets `O_NONBLOCK` on the open file description behind `fd`.
pub fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    set_status_flag(fd.as_fd().as_raw_fd(), libc::O_NONBLOCK, true)
}

/// Clears `O_NONBLOCK` (e.g. to read a child's output to EOF in a test or a tool).
pub fn set_blocking(fd: impl AsFd) -> io::Result<()> {
    set_status_flag(fd.as_fd().as_raw_fd(), libc::O_NONBLOCK, false)
}

fn set_status_flag(raw: RawFd, flag: libc::c_int, on: bool) -> io::Result<()> {
    // SAFETY: F_GETFL on a descriptor borrowed for this call; no memory is passed.
    let flags = cvt(unsafe { libc::fcntl(raw, libc::F_GETFL) })?;
    let new = if on { flags | flag } else { flags & !flag };
    if new != flags {
        // SAFETY: F_SETFL with an int argument on a borrowed, open descriptor.
        cvt(unsafe { libc::fcntl(raw, libc::F_SETFL, new) })?;
    }
    Ok(())
}

/// Sets or clears `FD_CLOEXEC` (the descriptor flag) on `fd`.
pub fn set_cloexec(fd: impl AsFd, on: bool) -> io::Result<()> {
    let raw = fd.as_fd().as_raw_fd();
    // SAFETY: F_GETFD on a descriptor borrowed for this call.
    let flags = cvt(unsafe { libc::fcntl(raw, libc::F_GETFD) })?;
    let new = if on {
        flags | libc::FD_CLOEXEC
    } else {
        flags & !libc::FD_CLOEXEC
    };
    if new != flags {
        // SAFETY: F_SETFD with an int argument on a borrowed, open descriptor.
        cvt(unsafe { libc::fcntl(raw, libc::F_SETFD, new) })?;
    }
    Ok(())
}

/// Opens the directory `path` (read-only, `O_DIRECTORY`, close-on-exec) for the `*at`
/// calls below. Symbolic links in `path` are followed: the directory is the admin's choice.
pub fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(path)?;
    Ok(OwnedFd::from(dir))
}

/// One path component as a C string: no `/`, no NUL, not empty, `.` or `..` (EINVAL).
fn component(name: &OsStr) -> io::Result<CString> {
    let b = name.as_bytes();
    if b.is_empty() || b == b"." || b == b".." || b.contains(&b'/') {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    CString::new(b).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// `openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)`: `name` is a single component
/// of the directory `dir`; a symbolic link there is never followed (ELOOP; with
/// `O_CREAT|O_EXCL`, EEXIST).
pub fn open_in_dir(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    flags: libc::c_int,
    mode: u32,
) -> io::Result<File> {
    let c = component(name)?;
    let flags = flags | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `c` is a NUL-terminated string that outlives the call; `dir` is a borrowed,
    // open descriptor; the mode is passed as the variadic unsigned int openat expects.
    let fd =
        cvt(unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags, mode as libc::c_uint) })?;
    // SAFETY: openat succeeded, so `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// `renameat(dir, from, dir, to)` within one directory. Neither name is followed if it
/// is a symbolic link: the link itself is moved or replaced.
pub fn renameat(dir: BorrowedFd<'_>, from: &OsStr, to: &OsStr) -> io::Result<()> {
    let (f, t) = (component(from)?, component(to)?);
    let raw = dir.as_raw_fd();
    // SAFETY: both names are NUL-terminated strings that outlive the call; `raw` is a
    // borrowed, open directory descriptor.
    cvt(unsafe { libc::renameat(raw, f.as_ptr(), raw, t.as_ptr()) })?;
    Ok(())
}

/// `unlinkat(dir, name, 0)`: removes the entry itself (a symbolic link, never its target).
pub fn unlinkat(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let c = component(name)?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call; `dir` is a borrowed,
    // open descriptor.
    cvt(unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) })?;
    Ok(())
}

/// A new anonymous memory file (`memfd_create`, close-on-exec): data handed to the next
/// image of this process across an `exec` (see `daemon::upgrade`).
pub fn memfd(name: &str) -> io::Result<File> {
    let c = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call; the flags are constants.
    let fd = cvt(unsafe { libc::memfd_create(c.as_ptr(), libc::MFD_CLOEXEC) })?;
    // SAFETY: memfd_create succeeded, so `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Takes ownership of descriptor `fd`, inherited across `exec` from this process's previous
/// image, and marks it close-on-exec again. Fails (EBADF) when it is not open. Call it only
/// at startup, once per number, for the numbers the previous image listed in its handover:
/// nothing in this image has taken ownership of them (std, signal-hook and the poller open
/// new descriptors, which get other numbers because these are open).
pub fn adopt_inherited(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 3 {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // SAFETY: F_GETFD only inspects the number; an unopened one fails with EBADF.
    cvt(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: `fd` is open (checked above) and, per this function's contract, owned by
    // nothing else in this image: the previous image gave it to us by number.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    set_cloexec(&owned, true)?;
    Ok(owned)
}

/// `isatty(fd)`: true when `fd` is an open terminal. Any number is safe to ask about.
pub fn isatty(fd: RawFd) -> bool {
    // SAFETY: isatty only inspects the descriptor number; an invalid one yields 0/EBADF.
    unsafe { libc::isatty(fd) == 1 }
}

/// Points fds 0, 1 and 2 at `/dev/null` (read-write), as a daemon does after detaching.
/// The targets end up without close-on-exec, like any stdio descriptor.
pub fn redirect_stdio_to_devnull() -> io::Result<()> {
    let null: File = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    let src = null.as_raw_fd();
    for target in 0..=2 {
        if src == target {
            // dup2 onto itself changes nothing, so clear the flag by hand.
            set_cloexec(&null, false)?;
        } else {
            // SAFETY: dup2 between two descriptor numbers; `src` is open (owned by `null`)
            // and replacing 0/1/2 is the purpose of this function. No memory is passed.
            cvt(unsafe { libc::dup2(src, target) })?;
        }
    }
    if src <= 2 {
        // `null` now *is* one of the stdio descriptors: keep it open for good.
        let _ = null.into_raw_fd();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn pipe_is_cloexec_and_blocking() {
        let (r, w) = pipe().unwrap();
        for fd in [&r, &w] {
            // SAFETY: test-only flag queries on descriptors owned by this test.
            let fdfl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
            assert_ne!(fdfl & libc::FD_CLOEXEC, 0);
            // SAFETY: as above.
            let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
            assert_eq!(fl & libc::O_NONBLOCK, 0);
        }
        set_nonblocking(&r).unwrap();
        let mut rf = File::from(r);
        let err = rf.read(&mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        File::from(w).write_all(b"ok").unwrap();
        let mut s = String::new();
        rf.read_to_string(&mut s).unwrap();
        assert_eq!(s, "ok");
    }

    #[test]
    fn pipe_grows() {
        let (r, _w) = pipe().unwrap();
        assert_eq!(pipe_size(&r).unwrap(), 64 * 1024);
        assert!(set_pipe_size(&r, 256 * 1024).unwrap() >= 256 * 1024);
        assert!(pipe_size(&r).unwrap() >= 256 * 1024);
    }

    #[test]
    fn cloexec_toggle() {
        let (r, _w) = pipe().unwrap();
        set_cloexec(&r, false).unwrap();
        // SAFETY: test-only flag query on a descriptor owned by this test.
        let fdfl = unsafe { libc::fcntl(r.as_raw_fd(), libc::F_GETFD) };
        assert_eq!(fdfl & libc::FD_CLOEXEC, 0);
        set_cloexec(&r, true).unwrap();
    }

    #[test]
    fn at_calls_never_follow_the_last_component() {
        let base = std::env::temp_dir().join(format!("svrs-at-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir(&base).unwrap();
        let victim = base.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, base.join("link")).unwrap();
        let dir = open_dir(&base).unwrap();
        let d = dir.as_fd();
        let flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT;
        let e = open_in_dir(d, OsStr::new("link"), flags, 0o600).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
        let e = open_in_dir(d, OsStr::new("link"), flags | libc::O_EXCL, 0o600).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EEXIST));
        for bad in ["", ".", "..", "a/b"] {
            let e = open_in_dir(d, OsStr::new(bad), flags, 0o600).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{bad:?}");
        }
        let mut f = open_in_dir(d, OsStr::new("new"), flags | libc::O_EXCL, 0o600).unwrap();
        f.write_all(b"x").unwrap();
        renameat(d, OsStr::new("new"), OsStr::new("link")).unwrap();
        unlinkat(d, OsStr::new("link")).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(open_dir(&victim).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn isatty_on_pipe_and_bad_fd() {
        let (r, _w) = pipe().unwrap();
        assert!(!isatty(r.as_raw_fd()));
        assert!(!isatty(-1));
    }
}
