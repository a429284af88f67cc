//! fork/exec of one child from a [`SpawnPlan`].
//!
//! Everything the child needs (argv/envp pointer arrays, the error message prefixes) is
//! built in the parent; after `fork` the child only makes async-signal-safe system calls
//! and never allocates, because another thread of the parent (e.g. a test harness) may
//! have held the allocator lock at the moment of the fork.
//!
//! The child's steps, each a [`Stage`]: `setpgid(0, 0)`; for the daemon's spawns (through
//! [`LowSlots`]) a private descriptor table holding only a few low numbers; every signal
//! disposition back to `SIG_DFL` and an empty mask; the pipes onto fds 0/1/2; every other fd marked
//! close-on-exec; setgroups/setgid/setuid; chdir; umask; execve. A failure writes the
//! reference's lines to fd 2 (the stderr log) when fds are already in place, sends
//! `(stage, errno)` down a close-on-exec status pipe, and `_exit(127)`s. The parent reads
//! that pipe until EOF: EOF with no data means execve succeeded (the kernel closed the
//! pipe). The read is bounded by how long the child takes to reach execve.
//!
//! Signals are blocked in the parent around `fork`, so that a signal arriving before the
//! child has reset its dispositions cannot run the daemon's handler (which writes to the
//! daemon's self-pipe) inside the child.

use std::ffi::{c_char, CStr};
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr;

use super::errno::{errno_code, errno_name_opt};
use super::fd::{pipe, set_blocking, set_nonblocking};
use crate::process::plan::SpawnPlan;

/// Where in the child a spawn failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `setpgid(0, 0)`
    Setpgid,
    /// Resetting the signal mask.
    Signals,
    /// Moving the pipes onto fds 0/1/2.
    Fds,
    /// `setgroups` (reference text: `Could not set groups of effective user`).
    Setgroups,
    /// `setgid` (reference text: `Could not set group id of effective user`).
    Setgid,
    /// `setuid`
    Setuid,
    /// `chdir` (`directory=`)
    Chdir,
    /// `execve`
    Exec,
}

impl Stage {
    const ALL: [Stage; 8] = [
        Stage::Setpgid,
        Stage::Signals,
        Stage::Fds,
        Stage::Setgroups,
        Stage::Setgid,
        Stage::Setuid,
        Stage::Chdir,
        Stage::Exec,
    ];

    fn code(self) -> u32 {
        match self {
            Stage::Setpgid => 1,
            Stage::Signals => 2,
            Stage::Fds => 3,
            Stage::Setgroups => 4,
            Stage::Setgid => 5,
            Stage::Setuid => 6,
            Stage::Chdir => 7,
            Stage::Exec => 8,
        }
    }

    fn from_code(c: u32) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.code() == c)
    }

    /// A short lowercase name for logs (`chdir`, `exec`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Setpgid => "setpgid",
            Stage::Signals => "signals",
            Stage::Fds => "fds",
            Stage::Setgroups => "setgroups",
            Stage::Setgid => "setgid",
            Stage::Setuid => "setuid",
            Stage::Chdir => "chdir",
            Stage::Exec => "exec",
        }
    }
}

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

/// A failure before the child exists (no process to reap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnError {
    /// The process name, for the message.
    pub name: String,
    /// What failed.
    pub kind: SpawnErrorKind,
}

/// Which pre-fork step failed, with its errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnErrorKind {
    /// Creating a pipe.
    Pipe(i32),
    /// `fork` itself.
    Fork(i32),
}

impl SpawnError {
    /// The errno.
    pub fn errno(&self) -> i32 {
        match self.kind {
            SpawnErrorKind::Pipe(e) | SpawnErrorKind::Fork(e) => e,
        }
    }

    /// The reference's `spawnerr:` text.
    pub fn message(&self) -> String {
        let name = &self.name;
        match self.kind {
            SpawnErrorKind::Pipe(libc::EMFILE) => format!("too many open files to spawn '{name}'"),
            SpawnErrorKind::Pipe(e) => format!(
                "unknown error making dispatchers for '{name}': {}",
                errno_code(e)
            ),
            SpawnErrorKind::Fork(libc::EAGAIN) => {
                format!("Too many processes in process table to spawn '{name}'")
            }
            SpawnErrorKind::Fork(e) => {
                format!("unknown error during fork for '{name}': {}", errno_code(e))
            }
        }
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for SpawnError {}

/// Everything the child reads, prepared before fork. Raw pointers point into `plan`,
/// which outlives the fork.
struct Prepared<'a> {
    path: *const c_char,
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    cwd: Option<*const c_char>,
    umask: Option<libc::mode_t>,
    user: Option<(libc::uid_t, libc::gid_t, &'a [libc::gid_t])>,
    msg_setgroups: Vec<u8>,
    msg_setgid: Vec<u8>,
    msg_setuid: Vec<u8>,
    /// The plan's complete `couldn't setuid` line when `user=` cannot be taken on.
    setuid_error: Option<&'a [u8]>,
    msg_chdir: Vec<u8>,
    msg_exec: Vec<u8>,
    stdin: RawFd,
    stdout: RawFd,
    stderr: RawFd,
    status: RawFd,
    /// Set when the child starts on our descriptor table (CLONE_FILES): it first makes a
    /// private copy holding only the descriptors below this number (see [`LowSlots`]).
    unshare_below: Option<libc::c_uint>,
}

const NOT_SPAWNED: &[u8] = b"supervisor: child process was not spawned\n";

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

/// Four descriptor numbers kept low in the daemon's table, holding /dev/null between spawns.
///
/// A child started with a copy of the daemon's table inherits every log file and pipe of
/// every other program, and execve then closes them one by one: the cost of a spawn grew
/// with the number of programs (starting 500 on tmpfs took 492 ms before, ~310 ms after). With these
/// slots the child's four descriptors are first placed at low numbers, the child is started
/// *sharing* our table (no copy), and its first step is `close_range(limit, ~0,
/// CLOSE_RANGE_UNSHARE)`, which gives it a private table holding only the descriptors below
/// `limit`. Taken by `&mut`, so no two spawns use the slots at once.
#[derive(Debug)]
pub struct LowSlots {
    null: OwnedFd,
    slots: [OwnedFd; 4],
    limit: libc::c_uint,
    /// Cleared when clone refused CLONE_FILES with vfork (EINVAL: seen in emulators such as
    /// qemu-user, which turn vfork into fork); spawns then copy the table as before.
    usable: bool,
}

impl LowSlots {
    /// Reserves the slots: the lowest free numbers from 3 up, so call it before the daemon
    /// opens its sockets and logs.
    pub fn reserve() -> std::io::Result<LowSlots> {
        let null = File::options()
            .read(true)
            .write(true)
            .open("/dev/null")?
            .into();
        let dup = |fd: &OwnedFd| -> std::io::Result<OwnedFd> {
            // SAFETY: F_DUPFD_CLOEXEC on an open descriptor returns a new one we own.
            let n = super::cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) })?;
            // SAFETY: `n` was just returned by fcntl and is owned by nobody else.
            Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(n) })
        };
        let slots = [dup(&null)?, dup(&null)?, dup(&null)?, dup(&null)?];
        let top = slots.iter().map(|f| f.as_raw_fd()).max().unwrap_or(3);
        Ok(LowSlots {
            null,
            slots,
            limit: (top + 1) as libc::c_uint,
            usable: true,
        })
    }

    /// The numbers below which the child's private table is copied.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The slots' descriptor numbers (not necessarily contiguous: whatever was lowest).
    pub fn numbers(&self) -> [RawFd; 4] {
        [0, 1, 2, 3].map(|i| self.slots[i].as_raw_fd())
    }

    /// Puts `fds` (close-on-exec) into the slots, or /dev/null back when `None`.
    fn fill(&self, fds: Option<[RawFd; 4]>) -> Result<(), i32> {
        for (i, slot) in self.slots.iter().enumerate() {
            let src = fds.map_or(self.null.as_raw_fd(), |f| f[i]);
            // SAFETY: dup3 between open descriptors; the target is a slot we own, so
            // replacing what it holds affects nothing else.
            if unsafe { libc::dup3(src, slot.as_raw_fd(), libc::O_CLOEXEC) } < 0 {
                return Err(super::last_errno());
            }
        }
        Ok(())
    }
}

/// [`spawn_nowait`] through the daemon's [`LowSlots`]: the cost of a spawn no longer grows
/// with the number of descriptors the daemon holds.
pub fn spawn_with_slots(
    plan: &SpawnPlan,
    name: &str,
    slots: &mut LowSlots,
) -> Result<Child, SpawnError> {
    start(plan, name, Some(slots))
}

fn start(plan: &SpawnPlan, name: &str, slots: Option<&mut LowSlots>) -> Result<Child, SpawnError> {
    let pipe_err = |e: std::io::Error| SpawnError {
        name: name.to_string(),
        kind: SpawnErrorKind::Pipe(e.raw_os_error().unwrap_or(libc::EIO)),
    };
    let stdin_pipe = match plan.stdin_fd {
        Some(_) => None,
        None => Some(pipe().map_err(pipe_err)?),
    };
    let child_stdin = match (&stdin_pipe, plan.stdin_fd) {
        (Some((r, _)), _) => r.as_raw_fd(),
        (None, fd) => fd.unwrap_or(-1),
    };
    let (out_r, out_w) = pipe().map_err(pipe_err)?;
    let err_pipe = if plan.redirect_stderr {
        None
    } else {
        Some(pipe().map_err(pipe_err)?)
    };
    let (status_r, status_w) = pipe().map_err(pipe_err)?;
    let child_stderr = match &err_pipe {
        Some((_, w)) => w.as_raw_fd(),
        None => out_w.as_raw_fd(),
    };
    let mut ends = [
        child_stdin,
        out_w.as_raw_fd(),
        child_stderr,
        status_w.as_raw_fd(),
    ];
    let mut unshare_below = None;
    if let Some(s) = slots.as_deref().filter(|s| s.usable) {
        if s.fill(Some(ends)).is_ok() {
            ends = [0, 1, 2, 3].map(|i| s.slots[i].as_raw_fd());
            unshare_below = Some(s.limit);
        } else {
            // Some slots may hold our pipe ends now: put /dev/null back, spawn the plain way.
            let _ = s.fill(None);
        }
    }
    let mut prep = prepare(plan, [ends[0], ends[1], ends[2]], ends[3]);
    prep.unshare_below = unshare_below;

    let pid = fork_with_signals_blocked(&prep);
    if unshare_below.is_some() {
        if let Some(s) = slots {
            // Our copies of the child's ends must go, or EOF never comes on its pipes.
            // dup3 onto an open slot cannot fail for lack of descriptors.
            let _ = s.fill(None);
            if pid == -libc::EINVAL {
                // No child was created: start it the plain way, now and from now on (these
                // pipes are dropped and made again, once in the daemon's life).
                s.usable = false;
                return start(plan, name, None);
            }
        }
    }
    if pid < 0 {
        return Err(SpawnError {
            name: name.to_string(),
            kind: SpawnErrorKind::Fork(-pid),
        });
    }
    // Parent: close the child's ends so EOF on the status pipe means exec (or exit).
    drop(prep);
    let in_w = stdin_pipe.map(|(r, w)| {
        drop(r);
        w
    });
    drop((out_w, status_w));
    let (err_r, err_w) = match err_pipe {
        Some((r, w)) => (Some(r), Some(w)),
        None => (None, None),
    };
    drop(err_w);
    let _ = set_nonblocking(&status_r);
    // Best effort: a failure here only means a read may block; the fds are still valid.
    if let Some(w) = &in_w {
        let _ = set_nonblocking(w);
    }
    let _ = set_nonblocking(&out_r);
    if let Some(r) = &err_r {
        let _ = set_nonblocking(r);
    }
    Ok(Child {
        pid,
        stdin: in_w,
        stdout: out_r,
        stderr: err_r,
        exec_error: None,
        exec_status: Some(status_r),
    })
}

fn prepare(plan: &SpawnPlan, stdio: [RawFd; 3], status: RawFd) -> Prepared<'_> {
    fn ptrs(v: &[std::ffi::CString]) -> Vec<*const c_char> {
        v.iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(ptr::null()))
            .collect()
    }
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
        stdin: stdio[0],
        stdout: stdio[1],
        stderr: stdio[2],
        status,
        unshare_below: None,
    }
}

/// Starts the child with every signal blocked; it runs [`child_main`] and never returns.
/// Returns the pid, or `-errno` when clone failed.
fn fork_with_signals_blocked(prep: &Prepared<'_>) -> i32 {
    // SAFETY: sigset_t is plain data; all-zero is a valid value that sigfillset overwrites.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live, writable sigset_t values on this stack frame.
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    let pid = clone_vfork(prep);
    let errno = super::last_errno();
    // SAFETY: restores the mask saved above from a live sigset_t.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, ptr::null_mut()) };
    if pid < 0 {
        -errno.max(1)
    } else {
        pid
    }
}

/// Stack of the child between clone and execve: child_main's frames plus a 2 KiB getdents
/// buffer need far less; the rest is margin.
const CHILD_STACK: usize = 128 * 1024;

/// The child's entry point on its own stack.
extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `&Prepared` the parent passed to clone; with CLONE_VFORK the parent
    // is suspended (and the value alive) until this child calls execve or _exit.
    let p = unsafe { &*(arg as *const Prepared<'_>) };
    child_main(p)
}

/// Starts the child the way posix_spawn does: `clone(CLONE_VM | CLONE_VFORK)` shares our
/// memory instead of copying the page tables (the cost of fork that grows with the daemon),
/// and suspends us until the child has exec'd or exited. Returns the pid or -1.
fn clone_vfork(prep: &Prepared<'_>) -> i32 {
    let mut stack = vec![0u8; CHILD_STACK];
    // SAFETY: one past the end of the allocation, which is where a downward-growing stack
    // starts; it is only used as the child's stack pointer, aligned down to 16 bytes below.
    let top = unsafe { stack.as_mut_ptr().add(CHILD_STACK) };
    let top = ((top as usize) & !15) as *mut libc::c_void;
    let files = if prep.unshare_below.is_some() {
        libc::CLONE_FILES
    } else {
        0
    };
    // SAFETY: the child runs child_entry on `stack`, which outlives it: CLONE_VFORK keeps us
    // suspended until the child execs or exits. The child shares our memory but writes only
    // to its own stack, to file descriptors and, through libc, to errno (we are suspended and
    // read errno only when clone failed); all signals are blocked around this call, so no
    // handler of ours can run on the shared memory, and without CLONE_SIGHAND the child's
    // resetting of dispositions does not touch ours. With CLONE_FILES (LowSlots) the child
    // takes a private descriptor table before it changes any descriptor.
    let pid = unsafe {
        libc::clone(
            child_entry,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | files | libc::SIGCHLD,
            prep as *const Prepared<'_> as *mut libc::c_void,
        )
    };
    drop(stack);
    pid
}

/// Reads the status pipe to EOF: nothing means exec succeeded.
fn read_status(status_r: OwnedFd) -> Option<(Stage, i32)> {
    let mut buf = Vec::with_capacity(8);
    // read_to_end retries EINTR and stops at EOF, which comes at execve or _exit.
    let _ = File::from(status_r).read_to_end(&mut buf);
    decode_status(&buf)
}

/// Decodes what the status pipe delivered before EOF: nothing (exec succeeded) or the
/// failing stage and errno.
pub fn decode_status(buf: &[u8]) -> Option<(Stage, i32)> {
    if buf.is_empty() {
        return None;
    }
    let word = |i: usize| -> Option<[u8; 4]> { buf.get(i..i + 4)?.try_into().ok() };
    match (word(0), word(4)) {
        (Some(s), Some(e)) => {
            let stage = Stage::from_code(u32::from_ne_bytes(s)).unwrap_or(Stage::Exec);
            Some((stage, i32::from_ne_bytes(e)))
        }
        _ => Some((Stage::Exec, libc::EIO)),
    }
}

/// The child side of fork. Only async-signal-safe calls, no allocation, no panics.
fn child_main(p: &Prepared<'_>) -> ! {
    // SAFETY: setpgid(0, 0) makes this process a group leader; no memory involved.
    if unsafe { libc::setpgid(0, 0) } != 0 {
        fail(p, Stage::Setpgid, None, false);
    }
    if let Some(limit) = p.unshare_below {
        private_fd_table(p, limit);
    }
    reset_signals(p);
    place_stdio(p);
    mark_all_cloexec();
    if let Some(line) = p.setuid_error {
        fail(p, Stage::Setuid, Some(line), false);
    }
    if let Some((uid, gid, groups)) = p.user {
        // Raw syscalls, not libc's wrappers: those may try to apply the change to every
        // thread of the process (setxid broadcast), and this child shares our memory.
        // SAFETY: `groups` is a live slice of gid_t; its length is passed with it.
        if unsafe { libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) } != 0 {
            fail(p, Stage::Setgroups, Some(&p.msg_setgroups), false);
        }
        // SAFETY: plain integer argument.
        if unsafe { libc::syscall(libc::SYS_setgid, gid) } != 0 {
            fail(p, Stage::Setgid, Some(&p.msg_setgid), false);
        }
        // SAFETY: plain integer argument.
        if unsafe { libc::syscall(libc::SYS_setuid, uid) } != 0 {
            fail(p, Stage::Setuid, Some(&p.msg_setuid), true);
        }
    }
    if let Some(cwd) = p.cwd {
        // SAFETY: `cwd` points into a CString owned by the plan, alive across the fork.
        if unsafe { libc::chdir(cwd) } != 0 {
            fail(p, Stage::Chdir, Some(&p.msg_chdir), true);
        }
    }
    if let Some(mask) = p.umask {
        // SAFETY: plain integer argument; umask cannot fail.
        unsafe { libc::umask(mask) };
    }
    // SAFETY: path, argv and envp point into CStrings owned by the plan, and both arrays
    // are null-terminated (built by `prepare`).
    unsafe { libc::execve(p.path, p.argv.as_ptr(), p.envp.as_ptr()) };
    fail(p, Stage::Exec, Some(&p.msg_exec), true)
}

fn reset_signals(p: &Prepared<'_>) {
    // The kernel's struct sigaction, all zero: SIG_DFL, no flags, empty mask (zero is
    // that on every layout). The raw syscall is used because glibc refuses to touch the
    // two signals it reserves (32, 33), and an *ignored* disposition survives execve.
    let dfl = [0u64; 4];
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: rt_sigaction reads a zeroed kernel sigaction from a live array (no
        // handler to run) and writes nothing (null old-action pointer); 8 is the size of
        // the kernel's signal set. Async-signal-safe.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                dfl.as_ptr(),
                ptr::null_mut::<u64>(),
                8usize,
            )
        };
    }
    // SAFETY: sigset_t is plain data; sigemptyset initialises it.
    let mut empty: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `empty` is a live sigset_t; sigprocmask is async-signal-safe.
    let r = unsafe {
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, ptr::null_mut())
    };
    if r != 0 {
        fail(p, Stage::Signals, None, false);
    }
}

/// dup2 the pipe ends onto 0/1/2. A source that is itself below 3 is first moved up, so
/// an earlier dup2 cannot clobber it (possible only if the daemon's stdio was closed).
fn place_stdio(p: &Prepared<'_>) {
    let mut src = [p.stdin, p.stdout, p.stderr];
    for fd in src.iter_mut() {
        if *fd < 3 {
            // SAFETY: F_DUPFD_CLOEXEC on an open descriptor; no memory involved.
            let moved = unsafe { libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, 3) };
            if moved < 0 {
                fail(p, Stage::Fds, None, false);
            }
            *fd = moved;
        }
    }
    for (target, fd) in (0..).zip(src) {
        // SAFETY: dup2 between open descriptor numbers; the target loses close-on-exec.
        if unsafe { libc::dup2(fd, target) } < 0 {
            fail(p, Stage::Fds, None, false);
        }
    }
}

const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
const CLOSE_RANGE_UNSHARE: libc::c_uint = 1 << 1;

/// Leaves the daemon's table (shared through CLONE_FILES) for a private one holding only the
/// descriptors below `limit`: close_range(2) with CLOSE_RANGE_UNSHARE copies just those
/// (Linux >= 5.9). Older kernels get a full private copy from unshare(2), and execve closes
/// the rest as without slots.
fn private_fd_table(p: &Prepared<'_>, limit: libc::c_uint) {
    // SAFETY: integer arguments only; the table being replaced is ours to leave.
    let r = unsafe { libc::syscall(libc::SYS_close_range, limit, u32::MAX, CLOSE_RANGE_UNSHARE) };
    // SAFETY: as above.
    if r != 0 && unsafe { libc::unshare(libc::CLONE_FILES) } != 0 {
        fail(p, Stage::Fds, None, false);
    }
}

/// Marks every fd >= 3 close-on-exec (the status pipe must stay open until execve, so
/// marking beats closing). Everything the daemon creates is close-on-exec already; this
/// also covers descriptors inherited from whoever started the daemon. close_range(2)
/// does it in one call (Linux >= 5.11); otherwise walk /proc/self/fd with getdents64
/// into a stack buffer. Both paths are async-signal-safe and allocation-free.
fn mark_all_cloexec() {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags; integer arguments.
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if r != 0 {
        mark_all_cloexec_by_walk();
    }
}

/// The fallback of [`mark_all_cloexec`]: walk /proc/self/fd.
fn mark_all_cloexec_by_walk() {
    // SAFETY: the path is a NUL-terminated literal.
    let dir = unsafe {
        libc::open(
            c"/proc/self/fd".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if dir < 0 {
        return;
    }
    #[repr(C, align(8))]
    struct Buf([u8; 2048]);
    let mut buf = Buf([0; 2048]);
    loop {
        // SAFETY: getdents64 writes at most `len` bytes into our 8-aligned stack buffer.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, dir, buf.0.as_mut_ptr(), 2048) };
        if n <= 0 {
            break;
        }
        let mut off = 0usize;
        while off + 19 < n as usize {
            let rec = &buf.0[off..n as usize];
            let reclen = match rec.get(16..18) {
                Some(b) => u16::from_ne_bytes([b[0], b[1]]) as usize,
                None => break,
            };
            if reclen == 0 {
                break;
            }
            if let Some(fd) = parse_fd(rec.get(19..reclen.min(rec.len())).unwrap_or(&[])) {
                if fd >= 3 && fd != dir {
                    // SAFETY: F_SETFD with an int on a descriptor number; a stale number
                    // only yields EBADF.
                    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
                }
            }
            off += reclen;
        }
    }
    // SAFETY: closes the directory descriptor opened above, owned only here.
    unsafe { libc::close(dir) };
}

/// Parses a NUL-terminated decimal fd name; `.`/`..` give None.
fn parse_fd(name: &[u8]) -> Option<RawFd> {
    let mut v: RawFd = 0;
    let mut any = false;
    for &b in name {
        match b {
            0 => break,
            b'0'..=b'9' => {
                v = v.checked_mul(10)?.checked_add((b - b'0') as RawFd)?;
                any = true;
            }
            _ => return None,
        }
    }
    any.then_some(v)
}

/// Reports a child-side failure and exits 127. `msg`: the line (or prefix) for fd 2;
/// `with_errno`: append the errno name (or number) and a newline. Nothing is written
/// to fd 2 before [`place_stdio`] has run (fd 2 would still be the daemon's).
fn fail(p: &Prepared<'_>, stage: Stage, msg: Option<&[u8]>, with_errno: bool) -> ! {
    let errno = super::last_errno();
    if let Some(m) = msg {
        write_all(2, m);
        if with_errno {
            let mut num = [0u8; 12];
            match errno_name_opt(errno) {
                Some(name) => write_all(2, name.as_bytes()),
                None => write_all(2, fmt_int(errno, &mut num)),
            }
            write_all(2, b"\n");
        }
    }
    if !matches!(stage, Stage::Setpgid | Stage::Signals | Stage::Fds) {
        write_all(2, NOT_SPAWNED);
    }
    let mut word = [0u8; 8];
    word[..4].copy_from_slice(&stage.code().to_ne_bytes());
    word[4..].copy_from_slice(&errno.to_ne_bytes());
    write_all(p.status, &word);
    // SAFETY: _exit never returns and runs no atexit handlers or destructors.
    unsafe { libc::_exit(127) }
}

fn write_all(fd: RawFd, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: `data` is a live byte slice; write reads at most `len` bytes from it.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 && super::last_errno() == libc::EINTR {
            continue;
        }
        if n <= 0 {
            return;
        }
        data = data.get(n as usize..).unwrap_or(&[]);
    }
}

/// Decimal text of `n` in `buf`, without allocating.
fn fmt_int(n: i32, buf: &mut [u8; 12]) -> &[u8] {
    let mut i = buf.len();
    let neg = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_error_texts() {
        let e = |kind| SpawnError {
            name: "web".into(),
            kind,
        };
        let cases = [
            (
                SpawnErrorKind::Pipe(libc::EMFILE),
                "too many open files to spawn 'web'",
            ),
            (
                SpawnErrorKind::Pipe(libc::ENFILE),
                "unknown error making dispatchers for 'web': ENFILE",
            ),
            (
                SpawnErrorKind::Fork(libc::EAGAIN),
                "Too many processes in process table to spawn 'web'",
            ),
            (
                SpawnErrorKind::Fork(libc::ENOMEM),
                "unknown error during fork for 'web': ENOMEM",
            ),
        ];
        for (kind, text) in cases {
            assert_eq!(e(kind).to_string(), text);
        }
    }

    #[test]
    fn int_formatting() {
        let mut b = [0u8; 12];
        for (n, s) in [(0, "0"), (41, "41"), (-7, "-7"), (i32::MIN, "-2147483648")] {
            assert_eq!(fmt_int(n, &mut b), s.as_bytes());
        }
    }

    #[test]
    fn fd_names() {
        assert_eq!(parse_fd(b"17\0"), Some(17));
        assert_eq!(parse_fd(b".\0"), None);
        assert_eq!(parse_fd(b"..\0"), None);
        assert_eq!(parse_fd(b"\0"), None);
    }

    #[test]
    fn proc_walk_marks_descriptors_cloexec() {
        use std::os::fd::AsRawFd;
        let (r, w) = crate::sys::pipe().unwrap();
        crate::sys::set_cloexec(&r, false).unwrap();
        crate::sys::set_cloexec(&w, false).unwrap();
        // Harmless for the test process: std creates every fd close-on-exec anyway.
        mark_all_cloexec_by_walk();
        for fd in [&r, &w] {
            // SAFETY: test-only flag query on descriptors owned by this test.
            let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
            assert_ne!(fl & libc::FD_CLOEXEC, 0);
        }
    }

    #[test]
    fn stage_codes_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::from_code(s.code()), Some(s));
        }
        assert_eq!(Stage::from_code(0), None);
    }
}
