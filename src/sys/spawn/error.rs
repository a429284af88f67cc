//! What a spawn reports: the child-side [`Stage`] that failed (decoded from the status pipe)
//! or the parent-side [`SpawnError`] when no child was created.

use std::fmt;

use crate::sys::errno::errno_code;

/// Where in the child a spawn failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `setpgid(0, 0)`
    Setpgid,
    /// Resetting signal dispositions and the mask.
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
    pub(super) const ALL: [Stage; 8] = [
        Stage::Setpgid,
        Stage::Signals,
        Stage::Fds,
        Stage::Setgroups,
        Stage::Setgid,
        Stage::Setuid,
        Stage::Chdir,
        Stage::Exec,
    ];

    pub(super) fn code(self) -> u32 {
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
    fn stage_codes_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::from_code(s.code()), Some(s));
        }
        assert_eq!(Stage::from_code(0), None);
    }
}
