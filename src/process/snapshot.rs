//! What a process machine carries across `supervisord --upgrade`: its state, counters and
//! times, taken with `Process::snapshot` and put back with `Process::restore`. Times are
//! CLOCK_MONOTONIC milliseconds, which an `exec` of the daemon does not reset.

use crate::process::machine::{Pid, Want};
use crate::process::state::State;
use crate::time::Mono;

/// One process machine's state, without its config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The state.
    pub state: State,
    /// Whether it is wanted up or down.
    pub want: Want,
    /// The running child's pid.
    pub pid: Option<Pid>,
    /// The last spawn (None: never started).
    pub laststart: Option<Mono>,
    /// The last stop.
    pub laststop: Option<Mono>,
    /// The last spawn error.
    pub spawnerr: Option<String>,
    /// The last exit status.
    pub exitstatus: Option<i32>,
    /// The backoff counter.
    pub backoff: u32,
    /// BACKOFF: retry time; STOPPING: SIGKILL time.
    pub delay: Option<Mono>,
    /// Why it is being stopped to start again (its exit then counts as a failed start).
    pub fail: Option<String>,
    /// When it last entered RUNNING.
    pub running_since: Option<Mono>,
    /// The last readiness or health probe failure.
    pub probe_error: Option<String>,
    /// Consecutive health check failures while RUNNING.
    pub health_failures: u32,
    /// Declared unhealthy and not yet seen healthy since.
    pub unhealthy: bool,
}

impl Snapshot {
    /// A process never started: STOPPED, wanted down, no times, no counters.
    pub fn never_started() -> Snapshot {
        Snapshot {
            state: State::Stopped,
            want: Want::Down,
            pid: None,
            laststart: None,
            laststop: None,
            spawnerr: None,
            exitstatus: None,
            backoff: 0,
            delay: None,
            fail: None,
            running_since: None,
            probe_error: None,
            health_failures: 0,
            unhealthy: false,
        }
    }
}
