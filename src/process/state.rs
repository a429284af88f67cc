//! The process states, with the reference's names and numbers (they appear in `status`
//! output, events and the control protocol), and the three state groups the reference tests
//! against.

/// A process state (reference §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Never started, or stopped by request.
    Stopped,
    /// Spawned; `startsecs` not yet passed.
    Starting,
    /// Up for longer than `startsecs`.
    Running,
    /// A start failed; waiting to retry.
    Backoff,
    /// Stop signal sent; waiting for the exit.
    Stopping,
    /// Exited from RUNNING (expected or not).
    Exited,
    /// Gave up after `startretries`.
    Fatal,
    /// Signalling it failed; we no longer know.
    Unknown,
}

impl State {
    /// Every state, in code order.
    pub const ALL: [State; 8] = [
        State::Stopped,
        State::Starting,
        State::Running,
        State::Backoff,
        State::Stopping,
        State::Exited,
        State::Fatal,
        State::Unknown,
    ];

    /// The reference's numeric code (`statecode` in `status` and events).
    pub fn code(self) -> i32 {
        match self {
            State::Stopped => 0,
            State::Starting => 10,
            State::Running => 20,
            State::Backoff => 30,
            State::Stopping => 40,
            State::Exited => 100,
            State::Fatal => 200,
            State::Unknown => 1000,
        }
    }

    /// The upper-case name (`RUNNING`).
    pub fn name(self) -> &'static str {
        match self {
            State::Stopped => "STOPPED",
            State::Starting => "STARTING",
            State::Running => "RUNNING",
            State::Backoff => "BACKOFF",
            State::Stopping => "STOPPING",
            State::Exited => "EXITED",
            State::Fatal => "FATAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// The state with this code, if any.
    pub fn from_code(code: i32) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    /// RUNNING_STATES: RUNNING, BACKOFF, STARTING ("started" for `start`/`stop` requests).
    pub fn is_running(self) -> bool {
        matches!(self, State::Running | State::Backoff | State::Starting)
    }

    /// STOPPED_STATES: STOPPED, EXITED, FATAL, UNKNOWN (nothing left to wait for).
    pub fn is_stopped(self) -> bool {
        matches!(
            self,
            State::Stopped | State::Exited | State::Fatal | State::Unknown
        )
    }

    /// SIGNALLABLE_STATES: RUNNING, STARTING, STOPPING (a live pid to signal).
    pub fn is_signallable(self) -> bool {
        matches!(self, State::Running | State::Starting | State::Stopping)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::State::{self, *};

    #[test]
    fn codes_names_and_groups() {
        // (state, code, name, running, stopped, signallable)
        let table: &[(State, i32, &str, bool, bool, bool)] = &[
            (Stopped, 0, "STOPPED", false, true, false),
            (Starting, 10, "STARTING", true, false, true),
            (Running, 20, "RUNNING", true, false, true),
            (Backoff, 30, "BACKOFF", true, false, false),
            (Stopping, 40, "STOPPING", false, false, true),
            (Exited, 100, "EXITED", false, true, false),
            (Fatal, 200, "FATAL", false, true, false),
            (Unknown, 1000, "UNKNOWN", false, true, false),
        ];
        assert_eq!(table.len(), State::ALL.len());
        for &(s, code, name, running, stopped, sig) in table {
            assert_eq!(s.code(), code);
            assert_eq!(s.name(), name);
            assert_eq!(s.to_string(), name);
            assert_eq!(State::from_code(code), Some(s));
            assert_eq!(s.is_running(), running, "{name}");
            assert_eq!(s.is_stopped(), stopped, "{name}");
            assert_eq!(s.is_signallable(), sig, "{name}");
        }
        assert_eq!(State::from_code(5), None);
    }
}
