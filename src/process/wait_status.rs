//! How a child ended, as `waitpid` reports it, decoded into a value the state machine and the
//! log messages understand. Pure: the loop calls `waitpid` and hands us the raw status.

use crate::signames::signame;

/// The decoded `waitpid` status of a dead child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    /// `exit(code)`.
    Exited(i32),
    /// Killed by signal `sig`; `core` when a core was dumped.
    Signaled {
        /// The signal number.
        sig: i32,
        /// WCOREDUMP.
        core: bool,
    },
    /// Anything else (never seen without WUNTRACED); the raw status.
    Other(i32),
}

impl WaitStatus {
    /// Decodes a raw `waitpid` status word.
    pub fn from_raw(raw: i32) -> WaitStatus {
        if libc::WIFEXITED(raw) {
            WaitStatus::Exited(libc::WEXITSTATUS(raw))
        } else if libc::WIFSIGNALED(raw) {
            WaitStatus::Signaled {
                sig: libc::WTERMSIG(raw),
                core: libc::WCOREDUMP(raw),
            }
        } else {
            WaitStatus::Other(raw)
        }
    }

    /// The reference's "exit status" number: the exit code, or -1 for any other ending. A
    /// signal death is therefore never in `exitcodes`, so it is always unexpected.
    pub fn code(&self) -> i32 {
        match *self {
            WaitStatus::Exited(code) => code,
            WaitStatus::Signaled { .. } | WaitStatus::Other(_) => -1,
        }
    }

    /// The text inside `exited: NAME (...)` and `stopped: NAME (...)`: `exit status 1`,
    /// `terminated by SIGTERM`, `terminated by SIGSEGV (core dumped)`, or
    /// `unknown termination cause 0x007f`.
    pub fn describe(&self) -> String {
        match *self {
            WaitStatus::Exited(code) => format!("exit status {code}"),
            WaitStatus::Signaled { sig, core } => {
                let core = if core { " (core dumped)" } else { "" };
                format!("terminated by {}{core}", signame(sig))
            }
            WaitStatus::Other(raw) => format!("unknown termination cause 0x{raw:04x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WaitStatus::{self, *};

    #[test]
    fn decodes_raw_statuses() {
        let cases: &[(i32, WaitStatus, i32, &str)] = &[
            (0, Exited(0), 0, "exit status 0"),
            (3 << 8, Exited(3), 3, "exit status 3"),
            (127 << 8, Exited(127), 127, "exit status 127"),
            (
                15,
                Signaled {
                    sig: 15,
                    core: false,
                },
                -1,
                "terminated by SIGTERM",
            ),
            (
                11 | 0x80,
                Signaled {
                    sig: 11,
                    core: true,
                },
                -1,
                "terminated by SIGSEGV (core dumped)",
            ),
            (
                0x137f,
                Other(0x137f),
                -1,
                "unknown termination cause 0x137f",
            ),
        ];
        for &(raw, want, code, text) in cases {
            let got = WaitStatus::from_raw(raw);
            assert_eq!(got, want, "raw {raw:#x}");
            assert_eq!(got.code(), code);
            assert_eq!(got.describe(), text);
        }
        assert_eq!(
            Signaled {
                sig: 40,
                core: false
            }
            .describe(),
            "terminated by signal 40"
        );
    }
}
