//! The child side of a spawn: everything that runs between clone and execve.
//!
//! The child shares the daemon's memory (CLONE_VM) until execve, and another thread of the
//! parent (e.g. a test harness) may have held the allocator lock at the moment of the
//! clone, so this code makes only async-signal-safe system calls and never allocates: it
//! reads what [`Prepared`] holds and otherwise uses only `core` items and stack arrays.
//!
//! It must not panic either: a panic formats its message (allocating) and unwinds in a
//! process that shares the daemon's memory. The lints below turn every construct that can
//! panic (indexing, unchecked arithmetic, unwrap/expect, explicit panics) into a compile
//! error; should one still escape from a callee, `extern "C"` [`child_entry`] turns it into
//! an abort of the child, never a return into the parent's frames.
#![deny(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use core::ffi::{c_char, c_int, c_uint, c_void};
use core::ptr;
use std::os::fd::RawFd;

use super::Stage;
use crate::sys::errno::errno_name_opt;
use crate::sys::last_errno;

/// Everything the child reads, prepared before the clone by the parent (see `prepare`).
/// Raw pointers point into the plan, which outlives the child's use of them.
pub(super) struct Prepared<'a> {
    pub(super) path: *const c_char,
    /// Null-terminated.
    pub(super) argv: Vec<*const c_char>,
    /// Null-terminated.
    pub(super) envp: Vec<*const c_char>,
    pub(super) cwd: Option<*const c_char>,
    pub(super) umask: Option<libc::mode_t>,
    pub(super) user: Option<(libc::uid_t, libc::gid_t, &'a [libc::gid_t])>,
    pub(super) msg_setgroups: Vec<u8>,
    pub(super) msg_setgid: Vec<u8>,
    pub(super) msg_setuid: Vec<u8>,
    /// The plan's complete `couldn't setuid` line when `user=` cannot be taken on.
    pub(super) setuid_error: Option<&'a [u8]>,
    pub(super) msg_chdir: Vec<u8>,
    pub(super) msg_exec: Vec<u8>,
    pub(super) stdin: RawFd,
    pub(super) stdout: RawFd,
    pub(super) stderr: RawFd,
    pub(super) status: RawFd,
    /// Set when the child starts on our descriptor table (CLONE_FILES): it first makes a
    /// private copy holding only the descriptors below this number (see
    /// [`LowFds`](super::LowFds)).
    pub(super) unshare_below: Option<c_uint>,
}

const NOT_SPAWNED: &[u8] = b"supervisor: child process was not spawned\n";

/// Bytes in the kernel's signal set (`_NSIG / 8`), the size argument rt_sigaction(2) and
/// rt_sigprocmask(2) require: any other value is EINVAL. libc has no constant for it:
/// `libc::sigset_t` is the C library's 128-byte set and `SIGRTMAX()` is a runtime call.
/// _NSIG is 128 on MIPS (arch/mips/include/uapi/asm/signal.h) and 64 on every other Linux
/// architecture (include/uapi/asm-generic/signal.h, arch/x86/include/uapi/asm/signal.h).
#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
pub(super) const KERNEL_SIGSET_BYTES: usize = 16;
#[cfg(not(any(target_arch = "mips", target_arch = "mips64")))]
pub(super) const KERNEL_SIGSET_BYTES: usize = 8;

/// The highest signal number the kernel knows (`_NSIG`; signals are numbered from 1).
const KERNEL_NSIG: c_int = (KERNEL_SIGSET_BYTES * 8) as c_int;

/// The child's entry point on its own stack (see `clone_vfork`).
pub(super) extern "C" fn child_entry(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `&Prepared` the parent passed to clone; with CLONE_VFORK the parent
    // is suspended (and the value alive) until this child calls execve or _exit.
    let p = unsafe { &*(arg as *const Prepared<'_>) };
    child_main(p)
}

/// The child's steps, in order; each failure ends in [`fail`].
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
        switch_user(p, uid, gid, groups);
    }
    if let Some(cwd) = p.cwd {
        // SAFETY: `cwd` points into a CString owned by the plan, alive across the clone.
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

/// setgroups, setgid, setuid. Raw syscalls, not libc's wrappers: those may try to apply the
/// change to every thread of the process (setxid broadcast), and this child shares our memory.
fn switch_user(p: &Prepared<'_>, uid: libc::uid_t, gid: libc::gid_t, groups: &[libc::gid_t]) {
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

/// Every disposition back to SIG_DFL and an empty mask. Raw syscalls: glibc refuses to touch
/// the two signals it reserves (32, 33), and an *ignored* disposition survives execve.
fn reset_signals(p: &Prepared<'_>) {
    // The kernel's struct sigaction, all zero: SIG_DFL, no flags, empty mask (zero is that
    // on every layout). 32 bytes cover the largest layout (handler, flags, restorer, mask).
    let dfl = [0u64; 4];
    for sig in 1..=KERNEL_NSIG {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: rt_sigaction reads a zeroed kernel sigaction from a live array (no handler
        // to run) and writes nothing (null old-action pointer). Async-signal-safe.
        let r = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                dfl.as_ptr(),
                ptr::null_mut::<u64>(),
                KERNEL_SIGSET_BYTES,
            )
        };
        if r != 0 && !sigaction_error_is_harmless(last_errno()) {
            fail(p, Stage::Signals, None, false);
        }
    }
    let empty = [0u8; KERNEL_SIGSET_BYTES];
    // SAFETY: rt_sigprocmask reads a live, empty kernel signal set of the size passed and
    // writes nothing (null old-set pointer). Async-signal-safe.
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            empty.as_ptr(),
            ptr::null_mut::<u8>(),
            KERNEL_SIGSET_BYTES,
        )
    };
    if r != 0 {
        fail(p, Stage::Signals, None, false);
    }
}

/// Whether rt_sigaction failing with `errno` leaves the child clean: EINVAL means the signal
/// cannot be changed at all (SIGKILL/SIGSTOP, or one an emulator such as qemu-user keeps for
/// itself), so no handler or ignored disposition of ours can be left on it. Anything else
/// (EFAULT) would leave a disposition unreset.
pub(super) fn sigaction_error_is_harmless(errno: i32) -> bool {
    errno == libc::EINVAL
}

/// dup2 the pipe ends onto 0/1/2. A source that is itself below 3 is first moved up, so
/// an earlier dup2 cannot clobber it (possible only if the daemon's stdio was closed).
fn place_stdio(p: &Prepared<'_>) {
    let mut src = [p.stdin, p.stdout, p.stderr];
    for fd in &mut src {
        if *fd < 3 {
            // SAFETY: F_DUPFD_CLOEXEC on an open descriptor; no memory involved.
            let moved = unsafe { libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, 3) };
            if moved < 0 {
                fail(p, Stage::Fds, None, false);
            }
            *fd = moved;
        }
    }
    for (fd, target) in src.into_iter().zip([0, 1, 2]) {
        // SAFETY: dup2 between open descriptor numbers; the target loses close-on-exec.
        if unsafe { libc::dup2(fd, target) } < 0 {
            fail(p, Stage::Fds, None, false);
        }
    }
}

const CLOSE_RANGE_CLOEXEC: c_uint = 1 << 2;
const CLOSE_RANGE_UNSHARE: c_uint = 1 << 1;

/// Leaves the daemon's table (shared through CLONE_FILES) for a private one holding only the
/// descriptors below `limit`: close_range(2) with CLOSE_RANGE_UNSHARE copies just those
/// (Linux >= 5.9). Older kernels get a full private copy from unshare(2), and execve closes
/// the rest as without [`LowFds`](super::LowFds).
fn private_fd_table(p: &Prepared<'_>, limit: c_uint) {
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
/// does it in one call (Linux >= 5.11); otherwise walk /proc/self/fd.
fn mark_all_cloexec() {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags; integer arguments.
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if r != 0 {
        mark_all_cloexec_by_walk();
    }
}

/// The fallback of [`mark_all_cloexec`]: walk /proc/self/fd with getdents64 into a stack
/// buffer.
pub(super) fn mark_all_cloexec_by_walk() {
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
    // linux_dirent64 records hold 8-byte fields: keep the buffer aligned for them.
    #[repr(C, align(8))]
    struct Buf([u8; 2048]);
    let mut buf = Buf([0; 2048]);
    loop {
        // SAFETY: getdents64 writes at most `len` bytes into our live stack buffer.
        let n =
            unsafe { libc::syscall(libc::SYS_getdents64, dir, buf.0.as_mut_ptr(), buf.0.len()) };
        let filled = usize::try_from(n).ok().filter(|&n| n > 0);
        let Some(entries) = filled.and_then(|n| buf.0.get(..n)) else {
            break;
        };
        for_each_dirent_fd(entries, |fd| {
            if fd >= 3 && fd != dir {
                // SAFETY: F_SETFD with an int on a descriptor number; a stale number only
                // yields EBADF.
                unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
            }
        });
    }
    // SAFETY: closes the directory descriptor opened above, owned only here.
    unsafe { libc::close(dir) };
}

/// Calls `each` with every descriptor number named in a getdents64 buffer. A
/// `linux_dirent64` record: d_ino (8 bytes), d_off (8), d_reclen (2, at 16), d_type (1),
/// then the NUL-terminated name at 19.
pub(super) fn for_each_dirent_fd(mut rest: &[u8], mut each: impl FnMut(RawFd)) {
    while let Some(&[lo, hi]) = rest.get(16..18) {
        let reclen = usize::from(u16::from_ne_bytes([lo, hi]));
        if reclen == 0 {
            break;
        }
        let Some((record, next)) = rest.split_at_checked(reclen) else {
            break;
        };
        if let Some(fd) = record.get(19..).and_then(parse_fd) {
            each(fd);
        }
        rest = next;
    }
}

/// Parses a NUL-terminated decimal fd name; `.`/`..` give None.
pub(super) fn parse_fd(name: &[u8]) -> Option<RawFd> {
    let digits = name.split(|&b| b == 0).next().filter(|d| !d.is_empty())?;
    digits.iter().try_fold(0 as RawFd, |v, &b| {
        let digit = RawFd::try_from(char::from(b).to_digit(10)?).ok()?;
        v.checked_mul(10)?.checked_add(digit)
    })
}

/// Reports a child-side failure and exits 127. `msg`: the line (or prefix) for fd 2;
/// `with_errno`: append the errno name (or number) and a newline. Nothing is written
/// to fd 2 before [`place_stdio`] has run (fd 2 would still be the daemon's).
fn fail(p: &Prepared<'_>, stage: Stage, msg: Option<&[u8]>, with_errno: bool) -> ! {
    let errno = last_errno();
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
    write_all(p.status, &status_word(stage, errno));
    // SAFETY: _exit never returns and runs no atexit handlers or destructors.
    unsafe { libc::_exit(127) }
}

/// What the status pipe carries on failure: the stage's code, then the errno (native byte
/// order, read back by [`decode_status`](super::decode_status)).
pub(super) fn status_word(stage: Stage, errno: i32) -> [u8; 8] {
    let [a, b, c, d] = stage.code().to_ne_bytes();
    let [e, f, g, h] = errno.to_ne_bytes();
    [a, b, c, d, e, f, g, h]
}

fn write_all(fd: RawFd, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: `data` is a live byte slice; write reads at most `len` bytes from it.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        match usize::try_from(n) {
            Ok(0) => return,
            Ok(written) => data = data.get(written..).unwrap_or(&[]),
            Err(_) if last_errno() == libc::EINTR => continue,
            Err(_) => return,
        }
    }
}

/// Decimal text of `n` in `buf`, without allocating (11 bytes suffice for i32::MIN).
pub(super) fn fmt_int(n: i32, buf: &mut [u8; 12]) -> &[u8] {
    let mut v = n.unsigned_abs();
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        *slot = b"0123456789"
            .get((v % 10) as usize)
            .copied()
            .unwrap_or(b'?');
        start = start.saturating_sub(1);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        start = start.saturating_sub(1);
        if let Some(sign) = buf.get_mut(start) {
            *sign = b'-';
        }
    }
    buf.get(start..).unwrap_or(&[])
}

#[cfg(test)]
mod tests;
