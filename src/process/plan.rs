//! The spawn plan: everything the child side of `fork` needs, prepared as data in the
//! parent so the child only walks it (no allocation, no formatting after fork).

use std::ffi::CString;

/// What the child does between `fork` and `execve`, in this order: new process group,
/// default signal dispositions and an empty mask, fds 0/1/2 from the pipes, every other fd
/// closed (they are all close-on-exec), setgroups/setgid/setuid, chdir, umask, execve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnPlan {
    /// The resolved executable path passed to execve.
    pub path: CString,
    /// argv, with `argv[0]` as written in `command`.
    pub argv: Vec<CString>,
    /// The complete environment as `KEY=value`.
    pub envp: Vec<CString>,
    /// `directory=`
    pub cwd: Option<CString>,
    /// `umask=`
    pub umask: Option<u32>,
    /// Privileges to drop to (`user=`), when supervisord runs as root.
    pub user: Option<PlanUser>,
    /// Child fd 2 is the stdout pipe (`redirect_stderr=true`).
    pub redirect_stderr: bool,
    /// When set, the child cannot take on `user=` (supervisord is not root, or the uid is
    /// unknown): at the setuid stage it writes these bytes to fd 2 (a complete
    /// `supervisor: couldn't setuid to UID: MSG\n` line), then the `child process was not
    /// spawned` line, and `_exit(127)`s, as the reference does. `user` is None then.
    pub setuid_error: Option<CString>,
    /// The child's fd 0 is this descriptor (an fcgi program's listening socket) instead of
    /// a stdin pipe. Set by the daemon, which owns the descriptor.
    pub stdin_fd: Option<i32>,
}

/// The identity a child switches to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanUser {
    /// uid for setuid
    pub uid: u32,
    /// primary gid for setgid
    pub gid: u32,
    /// supplementary groups for setgroups
    pub groups: Vec<u32>,
}
