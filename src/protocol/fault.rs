//! Fault names, reply outcomes and supervisorctl's exit-code rules (reference 4.3, 5.1).
//!
//! The final line of every reply carries an [`Outcome`]: the exit code supervisorctl returns
//! and the fault that set it. Per-name results fold into an outcome with "last writer wins",
//! exactly like the reference's `exitstatus`, so the daemon and the client agree on codes.

use std::fmt;

/// supervisorctl exit codes (LSB init-script and status codes, reference 4.3).
pub mod exit {
    /// Success.
    pub const SUCCESS: i32 = 0;
    /// Generic failure.
    pub const GENERIC: i32 = 1;
    /// Invalid arguments.
    pub const INVALID_ARGS: i32 = 2;
    /// Unimplemented feature (server without the supervisor interface).
    pub const UNIMPLEMENTED_FEATURE: i32 = 3;
    /// Insufficient privileges; also what the reference returns for a refused connection.
    pub const INSUFFICIENT_PRIVILEGES: i32 = 4;
    /// Not installed (API version mismatch).
    pub const NOT_INSTALLED: i32 = 5;
    /// Program not running (and unix socket missing).
    pub const NOT_RUNNING: i32 = 7;
    /// `status`: some listed process is not running.
    pub const STATUS_NOT_RUNNING: i32 = 3;
    /// `status`: unknown name or no connection.
    pub const STATUS_UNKNOWN: i32 = 4;
}

/// A fault: the reference's XML-RPC fault names, plus `UNAUTHORIZED` for the auth gate and
/// `FORBIDDEN` for access by identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Unknown command.
    UnknownMethod,
    /// Wrong number or kind of parameters.
    IncorrectParameters,
    /// Bad arguments (usage errors, malformed or overlong request lines).
    BadArguments,
    /// Unsupported signature.
    SignatureUnsupported,
    /// supervisord is shutting down.
    ShutdownState,
    /// No such process or group.
    BadName,
    /// Unknown signal.
    BadSignal,
    /// Missing file (command, log file, closed stdin).
    NoFile,
    /// Command not executable.
    NotExecutable,
    /// Other failure; the result text says more.
    Failed,
    /// The process left STARTING or RUNNING while we waited.
    AbnormalTermination,
    /// The process could not be spawned.
    SpawnError,
    /// Already started.
    AlreadyStarted,
    /// Not running.
    NotRunning,
    /// Group already added.
    AlreadyAdded,
    /// Group still has running processes.
    StillRunning,
    /// The configuration could not be re-read.
    CantReread,
    /// Authentication is required, or the credentials were wrong.
    Unauthorized,
    /// The client's identity may not run this request (`readers`/`controllers`).
    Forbidden,
}

const NAMES: &[(Fault, &str, i32)] = &[
    (Fault::UnknownMethod, "UNKNOWN_METHOD", 1),
    (Fault::IncorrectParameters, "INCORRECT_PARAMETERS", 2),
    (Fault::BadArguments, "BAD_ARGUMENTS", 3),
    (Fault::SignatureUnsupported, "SIGNATURE_UNSUPPORTED", 4),
    (Fault::ShutdownState, "SHUTDOWN_STATE", 6),
    (Fault::BadName, "BAD_NAME", 10),
    (Fault::BadSignal, "BAD_SIGNAL", 11),
    (Fault::NoFile, "NO_FILE", 20),
    (Fault::NotExecutable, "NOT_EXECUTABLE", 21),
    (Fault::Failed, "FAILED", 30),
    (Fault::AbnormalTermination, "ABNORMAL_TERMINATION", 40),
    (Fault::SpawnError, "SPAWN_ERROR", 50),
    (Fault::AlreadyStarted, "ALREADY_STARTED", 60),
    (Fault::NotRunning, "NOT_RUNNING", 70),
    (Fault::AlreadyAdded, "ALREADY_ADDED", 90),
    (Fault::StillRunning, "STILL_RUNNING", 91),
    (Fault::CantReread, "CANT_REREAD", 92),
    (Fault::Unauthorized, "UNAUTHORIZED", 401),
    (Fault::Forbidden, "FORBIDDEN", 403),
];

impl Fault {
    /// The fault name as the reference spells it (`BAD_NAME`).
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("FAILED", |e| e.1)
    }

    /// The reference's numeric fault code (`UNAUTHORIZED` and `FORBIDDEN` use HTTP's 401 and
    /// 403).
    pub fn code(self) -> i32 {
        NAMES
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or(30, |e| e.2)
    }

    /// The fault with the reference's numeric code (an XML-RPC `faultCode`); `None` for
    /// codes this version does not know.
    pub fn from_code(code: i32) -> Option<Fault> {
        NAMES.iter().find(|(_, _, c)| *c == code).map(|e| e.0)
    }

    /// Parses a fault name; `None` for names this version does not know.
    pub fn from_name(name: &str) -> Option<Fault> {
        NAMES.iter().find(|(_, n, _)| *n == name).map(|e| e.0)
    }

    /// The exit code a per-process fault sets (reference 4.3): `None` when it is the command's
    /// ignored fault, 7 for SPAWN_ERROR, ABNORMAL_TERMINATION and NOT_RUNNING, 1 otherwise.
    pub fn exit_code(self, ignored: Option<Fault>) -> Option<i32> {
        if Some(self) == ignored {
            return None;
        }
        match self {
            Fault::SpawnError | Fault::AbnormalTermination | Fault::NotRunning => {
                Some(exit::NOT_RUNNING)
            }
            _ => Some(exit::GENERIC),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a reply ended: the exit code supervisorctl returns and the fault that set it.
/// Invariant kept by the constructors: `exit_code == 0` exactly when `fault` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The fault that set the exit code; `None` for success.
    pub fault: Option<Fault>,
    /// supervisorctl's exit code.
    pub exit_code: i32,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome::ok()
    }
}

impl Outcome {
    /// Success, exit code 0.
    pub fn ok() -> Outcome {
        Outcome {
            fault: None,
            exit_code: exit::SUCCESS,
        }
    }

    /// A failure with an explicit exit code. A code of 0 with a fault is turned into
    /// success, so that the final line's word and the exit code never disagree.
    pub fn failed(fault: Fault, exit_code: i32) -> Outcome {
        if exit_code == 0 {
            Outcome::ok()
        } else {
            Outcome {
                fault: Some(fault),
                exit_code,
            }
        }
    }

    /// The outcome a per-process fault produces, or `None` when it leaves the exit code
    /// alone (the command's ignored fault).
    pub fn for_fault(fault: Fault, ignored: Option<Fault>) -> Option<Outcome> {
        fault
            .exit_code(ignored)
            .map(|code| Outcome::failed(fault, code))
    }

    /// "Last writer wins": a result that sets an exit code replaces the current one.
    pub fn absorb(&mut self, effect: Option<Outcome>) {
        if let Some(o) = effect {
            *self = o;
        }
    }

    /// True for exit code 0.
    pub fn is_ok(&self) -> bool {
        self.exit_code == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (f, n, _) in NAMES {
            assert_eq!(f.name(), *n);
            assert_eq!(Fault::from_name(n), Some(*f));
        }
        assert_eq!(Fault::from_name("OK"), None);
        assert_eq!(Fault::BadName.code(), 10);
    }

    #[test]
    fn exit_codes_follow_the_reference_mapping() {
        let cases = [
            (Fault::SpawnError, None, Some(7)),
            (Fault::AbnormalTermination, None, Some(7)),
            (Fault::NotRunning, None, Some(7)),
            (Fault::NotRunning, Some(Fault::NotRunning), None),
            (Fault::AlreadyStarted, Some(Fault::AlreadyStarted), None),
            (Fault::AlreadyStarted, None, Some(1)),
            (Fault::BadName, Some(Fault::AlreadyStarted), Some(1)),
            (Fault::NoFile, None, Some(1)),
        ];
        for (f, ignored, want) in cases {
            assert_eq!(f.exit_code(ignored), want, "{f} ignoring {ignored:?}");
        }
    }

    #[test]
    fn last_writer_wins() {
        let mut o = Outcome::ok();
        o.absorb(Outcome::for_fault(Fault::SpawnError, None));
        assert_eq!(o, Outcome::failed(Fault::SpawnError, 7));
        o.absorb(None);
        assert_eq!(o.exit_code, 7);
        o.absorb(Outcome::for_fault(Fault::BadName, None));
        assert_eq!(o, Outcome::failed(Fault::BadName, 1));
        assert_eq!(Outcome::failed(Fault::Failed, 0), Outcome::ok());
    }
}
