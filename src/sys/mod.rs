//! The only place `unsafe` is allowed: thin wrappers over system calls. Every function here
//! is safe to call; each `unsafe` block says why it is sound. Policy (what to log, when to
//! retry) lives in the callers; these wrappers only translate return values into
//! `io::Result`s and owned types.
//!
//! - [`fd`]: pipes and descriptor flags.
//! - [`mod@spawn`]: fork/exec of a child from a [`crate::process::plan::SpawnPlan`].
//! - [`proc`]: waiting, signalling, identity and privileges.
//! - [`limits`]: resource limits (`minfds`, `minprocs`).
//! - [`clock`]: wall clock, local time and host name.
//! - [`user`]: passwd/group lookups.
//! - [`random`]: random bytes.
//! - [`socket`]: non-blocking TCP connects and datagrams with their sender's credentials.
//! - [`errno`]: errno names and messages.
//! - [`term`]: the terminal: echo, raw mode, width, unbuffered input.
//! - [`usage`]: the daemon's resident memory and open descriptors (`metrics`).
//! - [`poller`]: a safe face for `polling::Poller`.
//! - [`peer`]: the credentials of a unix socket's peer.

pub mod clock;
pub mod errno;
pub mod fd;
pub mod limits;
pub mod peer;
pub mod proc;
pub mod random;
pub mod socket;
pub mod spawn;
pub mod term;
pub mod usage;
pub mod user;

pub use clock::{hostname, localtime, wall_clock_ms};
pub use errno::{errno_code, errno_name, strerror};
pub use fd::{isatty, pipe, redirect_stdio_to_devnull, set_blocking, set_cloexec, set_nonblocking};
pub use limits::{get_rlimit, set_rlimit, Resource, RLIM_INFINITY};
pub use proc::{
    chdir, drop_privileges, fork, getegid, geteuid, getgid, getpid, getppid, getuid, kill, killpg,
    reap, setsid, umask, wait_pid, Fork, PrivilegeError, WaitStatus,
};
pub use spawn::{spawn, Child, SpawnError, Stage};

pub mod poller;

/// CLOCK_MONOTONIC in milliseconds.
pub fn monotonic_ms() -> u64 {
    monotonic_us() / 1000
}

/// CLOCK_MONOTONIC in microseconds (sd_notify's `MONOTONIC_USEC=`).
pub fn monotonic_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000 + (ts.tv_nsec as u64) / 1_000
}

/// Turns a C return value (`-1` = failure with errno set) into an `io::Result`.
fn cvt(r: libc::c_int) -> std::io::Result<libc::c_int> {
    if r == -1 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// The errno of the last failed call, as a number.
fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
