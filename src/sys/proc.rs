//! Processes: reaping and wait statuses, signalling, identity, privileges, umask,
//! sessions and the daemon's detaching fork.

use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{cvt, last_errno};

/// How a child ended: the state machine's own type (stopped/continued children are never
/// reported, as no WUNTRACED is passed).
pub use crate::process::wait_status::WaitStatus;

/// Decodes a raw `waitpid` status; `None` for stopped/continued reports.
fn decode(status: libc::c_int) -> Option<WaitStatus> {
    match WaitStatus::from_raw(status) {
        WaitStatus::Other(_) => None,
        ws => Some(ws),
    }
}

fn waitpid(pid: i32, flags: libc::c_int) -> io::Result<Option<(i32, WaitStatus)>> {
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: `status` is a live, writable int.
        let r = unsafe { libc::waitpid(pid, &mut status, flags) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            return Ok(None);
        }
        match decode(status) {
            Some(ws) => return Ok(Some((r, ws))),
            None if flags & libc::WNOHANG != 0 => return Ok(None),
            None => continue,
        }
    }
}

/// `waitpid(-1, WNOHANG)` until nothing more is ready (0) or there are no children
/// (ECHILD). Any child of this process is reaped, including orphans adopted as PID 1.
pub fn reap() -> Vec<(i32, WaitStatus)> {
    let mut out = Vec::new();
    while let Ok(Some(entry)) = waitpid(-1, libc::WNOHANG) {
        out.push(entry);
    }
    out
}

/// Waits for one specific child: `block=false` returns `Ok(None)` while it still runs.
pub fn wait_pid(pid: i32, block: bool) -> io::Result<Option<WaitStatus>> {
    if pid <= 0 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let flags = if block { 0 } else { libc::WNOHANG };
    Ok(waitpid(pid, flags)?.map(|(_, ws)| ws))
}

/// `kill(pid, sig)`. `pid` must be positive: 0 and negative pids address process
/// groups (use [`killpg`]) and -1 would signal everything we may signal.
pub fn kill(pid: i32, sig: i32) -> io::Result<()> {
    if pid <= 0 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: integer arguments only.
    cvt(unsafe { libc::kill(pid, sig) }).map(drop)
}

/// `killpg(pgid, sig)`. `pgid` must be above 1 (0 is our own group, 1 is init's).
pub fn killpg(pgid: i32, sig: i32) -> io::Result<()> {
    if pgid <= 1 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: integer arguments only.
    cvt(unsafe { libc::killpg(pgid, sig) }).map(drop)
}

/// This process's pid.
pub fn getpid() -> i32 {
    std::process::id() as i32
}

/// The parent's pid.
pub fn getppid() -> i32 {
    // SAFETY: getppid cannot fail.
    unsafe { libc::getppid() }
}

/// Real uid.
pub fn getuid() -> u32 {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() }
}

/// Effective uid.
pub fn geteuid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

/// Real gid.
pub fn getgid() -> u32 {
    // SAFETY: getgid cannot fail.
    unsafe { libc::getgid() }
}

/// Effective gid.
pub fn getegid() -> u32 {
    // SAFETY: getegid cannot fail.
    unsafe { libc::getegid() }
}

/// Why [`drop_privileges`] failed; `Display` gives the reference's text.
#[derive(Debug)]
pub enum PrivilegeError {
    /// `setgroups` failed.
    Setgroups(io::Error),
    /// `setgid` failed.
    Setgid(io::Error),
    /// `setuid` failed.
    Setuid(io::Error),
}

impl fmt::Display for PrivilegeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivilegeError::Setgroups(_) => f.write_str("Could not set groups of effective user"),
            PrivilegeError::Setgid(_) => f.write_str("Could not set group id of effective user"),
            PrivilegeError::Setuid(e) => write!(f, "Could not set user id: {e}"),
        }
    }
}

impl std::error::Error for PrivilegeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PrivilegeError::Setgroups(e)
            | PrivilegeError::Setgid(e)
            | PrivilegeError::Setuid(e) => Some(e),
        }
    }
}

/// setgroups(groups), setgid(gid), setuid(uid), in that order (the order matters: after
/// setuid we could no longer change groups). The reference puts the primary gid first in
/// `groups`; callers pass it that way. The threads of this process must not be running
/// other code that depends on the uid (the daemon is single-threaded).
pub fn drop_privileges(uid: u32, gid: u32, groups: &[u32]) -> Result<(), PrivilegeError> {
    // SAFETY: `groups` is a live slice of gid_t (u32) and its length is passed with it.
    cvt(unsafe { libc::setgroups(groups.len(), groups.as_ptr()) })
        .map_err(PrivilegeError::Setgroups)?;
    // SAFETY: integer argument only.
    cvt(unsafe { libc::setgid(gid) }).map_err(PrivilegeError::Setgid)?;
    // SAFETY: integer argument only.
    cvt(unsafe { libc::setuid(uid) }).map_err(PrivilegeError::Setuid)?;
    Ok(())
}

/// Sets the umask, returning the previous one.
pub fn umask(mask: u32) -> u32 {
    // SAFETY: integer argument only; umask cannot fail.
    unsafe { libc::umask(mask as libc::mode_t) as u32 }
}

/// `setsid()`: a new session and process group led by this process; returns its id.
pub fn setsid() -> io::Result<i32> {
    // SAFETY: no arguments.
    cvt(unsafe { libc::setsid() })
}

/// Changes the working directory (std's `set_current_dir`, named like the syscall).
pub fn chdir(path: &Path) -> io::Result<()> {
    std::env::set_current_dir(path)
}

/// Ignores SIGPIPE again, as the Rust runtime set it at startup: a write to a closed pipe or
/// socket then fails with EPIPE instead of killing the process. Needed after a failed
/// [`exec`], which resets SIGPIPE to its default just before the exec.
pub fn ignore_sigpipe() {
    // SAFETY: installing SIG_IGN for SIGPIPE passes no handler code and no memory; it only
    // changes the disposition the runtime had set, back to that value.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Replaces this process's image, as std's `Command::exec` did for `upgrade` without its
/// machinery (16 KB of the static daemon): changes to `cwd`, resets SIGPIPE to its default
/// (the runtime ignores it; the new image should start as any program does), then
/// execve(2) of `path` with `argv` (`argv[0]` first) and the environment `env` (`KEY=value`
/// entries). `path` is the absolute `/proc/self/exe` target, so no PATH search is needed.
/// Returns only on failure; the working directory and SIGPIPE may then have changed.
pub fn exec(path: &Path, argv: &[&OsStr], env: &[OsString], cwd: &Path) -> io::Error {
    fn c(s: &OsStr) -> io::Result<CString> {
        CString::new(s.as_bytes()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "nul byte found in provided data",
            )
        })
    }
    fn ptrs(v: &[CString]) -> Vec<*const libc::c_char> {
        v.iter()
            .map(|c| c.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect()
    }
    let strings = (|| {
        let path = c(path.as_os_str())?;
        let argv = argv.iter().map(|a| c(a)).collect::<io::Result<Vec<_>>>()?;
        let env = env.iter().map(|e| c(e)).collect::<io::Result<Vec<_>>>()?;
        Ok::<_, io::Error>((path, argv, env))
    })();
    let (path, argv, env) = match strings {
        Ok(s) => s,
        Err(e) => return e,
    };
    if let Err(e) = chdir(cwd) {
        return e;
    }
    let (argv_p, env_p) = (ptrs(&argv), ptrs(&env));
    // SAFETY: SIG_DFL passes no handler code and no memory; the disposition is what a
    // freshly exec'd program has anyway, and the caller ignores SIGPIPE again on failure.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // SAFETY: `path` is a NUL-terminated string; `argv_p` and `env_p` are null-terminated
    // arrays of pointers into the CStrings `argv` and `env`, all alive across the call.
    // execve only reads them, and returns only on failure.
    unsafe {
        libc::execve(path.as_ptr(), argv_p.as_ptr(), env_p.as_ptr());
    }
    io::Error::last_os_error()
}

/// Which side of [`fork`] we are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fork {
    /// The original process; the child's pid.
    Parent(i32),
    /// The new process.
    Child,
}

/// `fork()` for the daemon's detach. The caller must be single-threaded: the child of a
/// multi-threaded process may only make async-signal-safe calls, and the daemon's child
/// carries on as a normal program. supervisord detaches before it starts anything (signal
/// handling, the loop), so this holds by construction; it is checked when `/proc` can tell,
/// and refused (an `Other` error) when it says there are other threads.
pub fn fork() -> io::Result<Fork> {
    fork_allowed(thread_count())?;
    // SAFETY: the process is single-threaded (documented precondition, checked above when
    // /proc can tell), so the child inherits a consistent heap and may continue running
    // arbitrary Rust code.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(io::Error::from_raw_os_error(last_errno())),
        0 => Ok(Fork::Child),
        pid => Ok(Fork::Parent(pid)),
    }
}

/// Whether to fork given what /proc says about our threads. Unknown counts are trusted:
/// no /proc (chroots, early boot, containers without it) gives an error, and qemu-user
/// reports 0 threads.
fn fork_allowed(threads: io::Result<usize>) -> io::Result<()> {
    match threads {
        Ok(n) if n > 1 => Err(io::Error::other(format!(
            "refusing to fork a process with {n} threads"
        ))),
        _ => Ok(()),
    }
}

/// Number of threads of this process, from /proc/self/stat (field 20).
fn thread_count() -> io::Result<usize> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The command name (field 2) may contain spaces; fields resume after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    rest.split_whitespace()
        .nth(17)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| io::Error::other("cannot parse /proc/self/stat"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_statuses() {
        let cases = [
            (0x0000, Some(WaitStatus::Exited(0))),
            (0x0100, Some(WaitStatus::Exited(1))),
            (0x7f00, Some(WaitStatus::Exited(127))),
            (
                0x000f,
                Some(WaitStatus::Signaled {
                    sig: 15,
                    core: false,
                }),
            ),
            (0x0086, Some(WaitStatus::Signaled { sig: 6, core: true })),
            (0x137f, None), // stopped by SIGSTOP
            (0xffff, None), // continued
        ];
        for (raw, want) in cases {
            assert_eq!(decode(raw), want, "{raw:#x}");
        }
    }

    #[test]
    fn refuses_dangerous_pids() {
        for pid in [0, -1, -42] {
            assert!(kill(pid, 0).is_err());
            assert!(wait_pid(pid, false).is_err());
        }
        assert!(killpg(1, 0).is_err());
        assert!(killpg(0, 0).is_err());
    }

    #[test]
    fn identity() {
        assert_eq!(getpid() as u32, std::process::id());
        assert!(getppid() > 0);
        let _ = (getuid(), geteuid(), getgid(), getegid());
        assert!(kill(getpid(), 0).is_ok());
    }

    #[test]
    fn threads_counted() {
        // The test harness runs tests on threads, so at least one.
        assert!(thread_count().unwrap() >= 1);
    }

    #[test]
    fn fork_refused_only_with_known_other_threads() {
        assert!(fork_allowed(Ok(1)).is_ok());
        let e = fork_allowed(Ok(3)).unwrap_err();
        assert_eq!(e.to_string(), "refusing to fork a process with 3 threads");
        // qemu-user's 0, and no /proc at all: unknown, so trusted.
        assert!(fork_allowed(Ok(0)).is_ok());
        assert!(fork_allowed(Err(io::Error::from_raw_os_error(libc::ENOENT))).is_ok());
        assert!(fork_allowed(Err(io::Error::other("cannot parse /proc/self/stat"))).is_ok());
    }
}
