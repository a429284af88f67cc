//! Starting one child from a [`SpawnPlan`]: the parent side.
//!
//! Everything the child needs (argv/envp pointer arrays, the error message prefixes) is
//! built here before the clone; the child side (`child.rs`) then only makes async-signal-safe
//! system calls and never allocates, because another thread of the parent (e.g. a test
//! harness) may have held the allocator lock at the moment of the clone.
//!
//! The child's steps, each a [`Stage`]: `setpgid(0, 0)`; for the daemon's spawns (through
//! [`LowFds`]) a private descriptor table holding only a few low numbers; every signal
//! disposition back to `SIG_DFL` and an empty mask; the pipes onto fds 0/1/2; every other
//! fd marked close-on-exec; setgroups/setgid/setuid; chdir; umask; execve. A failure writes
//! the reference's lines to fd 2 (the stderr log) when fds are already in place, sends
//! `(stage, errno)` down a close-on-exec status pipe, and `_exit(127)`s. The parent reads
//! that pipe until EOF: EOF with no data means execve succeeded (the kernel closed the
//! pipe). The read is bounded by how long the child takes to reach execve.
//!
//! Signals are blocked in the parent around the clone, so that a signal arriving before the
//! child has reset its dispositions cannot run the daemon's handler (which writes to the
//! daemon's self-pipe) inside the child. The child runs on a guarded stack of its own
//! (`stack.rs`).

mod child;
mod error;
mod low_fds;
mod stack;

use std::ffi::{c_char, CStr};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr;

use super::fd::{pipe, set_blocking, set_nonblocking};
use crate::process::plan::SpawnPlan;
use child::Prepared;
pub use error::{decode_status, SpawnError, SpawnErrorKind, Stage};
pub use low_fds::LowFds;
use stack::ChildStack;

/// A started child. The process exists even when `exec_error` is set: it has written its
/// error to the stderr pipe and exited 127, and must be reaped like any other child.
#[derive(Debug)]
pub struct Child {
    /// The child's pid (also its process group id).
    pub pid: i32,
    /// Write end of the child's stdin pipe (non-blocking, close-on-exec); `None` when the
    /// plan gave the child a descriptor of ours as fd 0.
    pub stdin: Option<OwnedFd>,
    /// Read end of the child's stdout pipe (non-blocking, close-on-exec).
    pub stdout: OwnedFd,
    /// Read end of the stderr pipe; `None` with `redirect_stderr`.
    pub stderr: Option<OwnedFd>,
    /// The stage and errno at which the child failed before execve, if it did (filled in by
    /// [`spawn`]; [`spawn_nowait`] leaves it for the caller to read from `exec_status`).
    pub exec_error: Option<(Stage, i32)>,
    /// With [`spawn_nowait`]: the read end of the close-on-exec status pipe (non-blocking).
    /// EOF means execve succeeded; 8 bytes are a failure for [`decode_status`].
    pub exec_status: Option<OwnedFd>,
}

/// Starts `plan` as a child process and waits until it has exec'd (or failed). `name` is the
/// process name used in error texts. Returns `Err` only when no process was created (pipe or
/// fork failure); a failure inside the child is reported through [`Child::exec_error`].
pub fn spawn(plan: &SpawnPlan, name: &str) -> Result<Child, SpawnError> {
    let mut child = spawn_nowait(plan, name)?;
    child.wait_exec();
    Ok(child)
}

impl Child {
    /// Blocks until the child has exec'd or failed, and fills in `exec_error` from the
    /// status pipe (which it consumes). Nothing to do when it was already read.
    pub fn wait_exec(&mut self) {
        if let Some(fd) = self.exec_status.take() {
            let _ = set_blocking(&fd);
            self.exec_error = read_status(fd);
        }
    }
}

/// Like [`spawn`], but returns as soon as the child exists: the daemon watches
/// [`Child::exec_status`] in its poll loop instead of waiting for each child to exec, so
/// starting hundreds of programs is bounded by fork, not by scheduling each child in turn.
pub fn spawn_nowait(plan: &SpawnPlan, name: &str) -> Result<Child, SpawnError> {
    start(plan, name, None)
}

/// [`spawn_nowait`] through the daemon's [`LowFds`]: the cost of a spawn no longer grows
/// with the number of descriptors the daemon holds.
pub fn spawn_with_low_fds(
    plan: &SpawnPlan,
    name: &str,
    low_fds: &mut LowFds,
) -> Result<Child, SpawnError> {
    start(plan, name, Some(low_fds))
}

/// Makes the pipes and starts the child on them.
fn start(plan: &SpawnPlan, name: &str, low_fds: Option<&mut LowFds>) -> Result<Child, SpawnError> {
    let error = |kind| SpawnError {
        name: name.to_string(),
        kind,
    };
    let pipes = Pipes::new(plan)
        .map_err(|e| error(SpawnErrorKind::Pipe(e.raw_os_error().unwrap_or(libc::EIO))))?;
    let pid = clone_child(plan, pipes.child_ends(), low_fds)
        .map_err(|errno| error(SpawnErrorKind::Fork(errno)))?;
    Ok(pipes.into_child(pid))
}

/// The pipes of one spawn, both ends of each until the child exists.
struct Pipes {
    /// `None` when the plan gives the child a descriptor of ours as fd 0.
    stdin: Option<(OwnedFd, OwnedFd)>,
    /// Used for fd 0 when there is no stdin pipe.
    stdin_fd: Option<RawFd>,
    stdout: (OwnedFd, OwnedFd),
    /// `None` with `redirect_stderr` (fd 2 is the stdout pipe too).
    stderr: Option<(OwnedFd, OwnedFd)>,
    status: (OwnedFd, OwnedFd),
}

impl Pipes {
    fn new(plan: &SpawnPlan) -> std::io::Result<Pipes> {
        let stdin = match plan.stdin_fd {
            Some(_) => None,
            None => Some(pipe()?),
        };
        let stdout = pipe()?;
        let stderr = if plan.redirect_stderr {
            None
        } else {
            Some(pipe()?)
        };
        Ok(Pipes {
            stdin,
            stdin_fd: plan.stdin_fd,
            stdout,
            stderr,
            status: pipe()?,
        })
    }

    /// The descriptors the child gets as 0, 1, 2 and its status pipe.
    fn child_ends(&self) -> [RawFd; 4] {
        let stdin = match &self.stdin {
            Some((r, _)) => r.as_raw_fd(),
            None => self.stdin_fd.unwrap_or(-1),
        };
        let stdout = self.stdout.1.as_raw_fd();
        let stderr = self.stderr.as_ref().map_or(stdout, |(_, w)| w.as_raw_fd());
        [stdin, stdout, stderr, self.status.1.as_raw_fd()]
    }

    /// Closes the child's ends (so EOF on the status pipe means exec or exit) and keeps
    /// ours, non-blocking.
    fn into_child(self, pid: libc::pid_t) -> Child {
        let stdin = self.stdin.map(|(_, w)| w);
        let stdout = self.stdout.0;
        let stderr = self.stderr.map(|(r, _)| r);
        let status = self.status.0;
        // Best effort: a failure here only means a read may block; the fds are still valid.
        for fd in [
            Some(&status),
            stdin.as_ref(),
            Some(&stdout),
            stderr.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            let _ = set_nonblocking(fd);
        }
        Child {
            pid,
            stdin,
            stdout,
            stderr,
            exec_error: None,
            exec_status: Some(status),
        }
    }
}

/// Starts the child on `ends`, through `low_fds` when they can be used. Returns the pid or
/// the errno.
fn clone_child(
    plan: &SpawnPlan,
    ends: [RawFd; 4],
    low_fds: Option<&mut LowFds>,
) -> Result<libc::pid_t, i32> {
    if let Some(low) = low_fds.filter(|l| l.usable) {
        match clone_on_low_fds(plan, ends, low) {
            // No child was created: start it the plain way, now and from now on.
            Some(Err(libc::EINVAL)) => low.usable = false,
            Some(result) => return result,
            None => {}
        }
    }
    clone_with_signals_blocked(&prepare(plan, ends, None))
}

/// Moves the child's ends into `low` and starts the child sharing our descriptor table.
/// `None` when the ends could not be moved (no child was started).
fn clone_on_low_fds(
    plan: &SpawnPlan,
    ends: [RawFd; 4],
    low: &LowFds,
) -> Option<Result<libc::pid_t, i32>> {
    let placed = low.fill(Some(ends));
    if placed.is_ok() {
        let prep = prepare(plan, low.numbers(), Some(low.limit()));
        let result = clone_with_signals_blocked(&prep);
        // Our copies of the child's ends must go, or EOF never comes on its pipes. dup3 onto
        // an open descriptor cannot fail for lack of descriptors.
        let _ = low.fill(None);
        return Some(result);
    }
    // Some may hold our pipe ends now: put /dev/null back, and spawn the plain way.
    let _ = low.fill(None);
    None
}

/// Everything the child reads, built before the clone: `ends` are its fds 0, 1, 2 and the
/// status pipe; `unshare_below` as in [`Prepared`].
fn prepare(
    plan: &SpawnPlan,
    ends: [RawFd; 4],
    unshare_below: Option<libc::c_uint>,
) -> Prepared<'_> {
    fn ptrs(v: &[std::ffi::CString]) -> Vec<*const c_char> {
        v.iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(ptr::null()))
            .collect()
    }
    let [stdin, stdout, stderr, status] = ends;
    let uid = plan.user.as_ref().map(|u| u.uid).unwrap_or(0);
    let setuid_prefix = format!("supervisor: couldn't setuid to {uid}: ");
    let argv0 = plan
        .argv
        .first()
        .map(|a| a.as_bytes())
        .unwrap_or(plan.path.as_bytes());
    let mut msg_exec = b"supervisor: couldn't exec ".to_vec();
    msg_exec.extend_from_slice(argv0);
    msg_exec.extend_from_slice(b": ");
    let mut msg_chdir = b"supervisor: couldn't chdir to ".to_vec();
    msg_chdir.extend_from_slice(plan.cwd.as_deref().map(CStr::to_bytes).unwrap_or(b""));
    msg_chdir.extend_from_slice(b": ");
    Prepared {
        path: plan.path.as_ptr(),
        argv: ptrs(&plan.argv),
        envp: ptrs(&plan.envp),
        cwd: plan.cwd.as_ref().map(|c| c.as_ptr()),
        umask: plan.umask.map(|m| m as libc::mode_t),
        user: plan
            .user
            .as_ref()
            .map(|u| (u.uid, u.gid, u.groups.as_slice())),
        msg_setgroups: format!("{setuid_prefix}Could not set groups of effective user\n")
            .into_bytes(),
        msg_setgid: format!("{setuid_prefix}Could not set group id of effective user\n")
            .into_bytes(),
        msg_setuid: setuid_prefix.into_bytes(),
        setuid_error: plan.setuid_error.as_deref().map(CStr::to_bytes),
        msg_chdir,
        msg_exec,
        stdin,
        stdout,
        stderr,
        status,
        unshare_below,
    }
}

/// Starts the child with every signal blocked; it runs [`child::child_entry`] and never
/// returns. Returns the pid, or the errno when no child was created.
fn clone_with_signals_blocked(prep: &Prepared<'_>) -> Result<libc::pid_t, i32> {
    let stack = ChildStack::new().map_err(|e| e.raw_os_error().unwrap_or(libc::ENOMEM))?;
    // SAFETY: sigset_t is plain data; all-zero is a valid value that sigfillset overwrites.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live, writable sigset_t values on this stack frame.
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    let pid = clone_vfork(prep, &stack);
    let errno = super::last_errno();
    // SAFETY: restores the mask saved above from a live sigset_t.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, ptr::null_mut()) };
    if pid < 0 {
        Err(errno.max(1))
    } else {
        Ok(pid)
    }
}

/// Starts the child the way posix_spawn does: `clone(CLONE_VM | CLONE_VFORK)` shares our
/// memory instead of copying the page tables (the cost of fork that grows with the daemon),
/// and suspends us until the child has exec'd or exited. Returns the pid or -1.
fn clone_vfork(prep: &Prepared<'_>, stack: &ChildStack) -> libc::pid_t {
    let files = if prep.unshare_below.is_some() {
        libc::CLONE_FILES
    } else {
        0
    };
    // SAFETY: the child runs child_entry on `stack`, which outlives it: CLONE_VFORK keeps us
    // suspended until the child execs or exits. The child shares our memory but writes only
    // to its own stack (guarded below, see `ChildStack`), to file descriptors and, through
    // libc, to errno (we are suspended and read errno only when clone failed); all signals
    // are blocked around this call, so no handler of ours can run on the shared memory, and
    // without CLONE_SIGHAND the child's resetting of dispositions does not touch ours. With
    // CLONE_FILES (LowFds) the child takes a private descriptor table before it changes any
    // descriptor.
    unsafe {
        libc::clone(
            child::child_entry,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_VFORK | files | libc::SIGCHLD,
            prep as *const Prepared<'_> as *mut libc::c_void,
        )
    }
}

/// Reads the status pipe to EOF: nothing means exec succeeded.
fn read_status(status_r: OwnedFd) -> Option<(Stage, i32)> {
    let mut buf = Vec::with_capacity(8);
    // read_to_end retries EINTR and stops at EOF, which comes at execve or _exit.
    let _ = File::from(status_r).read_to_end(&mut buf);
    decode_status(&buf)
}
