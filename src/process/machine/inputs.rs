//! What the loop feeds a process machine (`Input`), what it asks the loop to do (`Action`),
//! and the answer a manual command gets (`Outcome`).

use super::{Mood, Pid};
use crate::config::model::LogLevel;
use crate::process::state::State;
use crate::process::wait_status::WaitStatus;

/// Something that happened to the process, fed in by the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Daemon start or group added: spawn if `autostart` and never started.
    AutoStart,
    /// Manual `start`.
    Start,
    /// Manual `stop` (and each process of `stop all`).
    Stop,
    /// Daemon shutdown/restart reached this process: like `Stop`, but BACKOFF gives up (FATAL),
    /// and the mood becomes `ShuttingDown`.
    Shutdown,
    /// Manual `signal`.
    Signal(i32),
    /// The fork for our `Spawn` action succeeded.
    Spawned {
        /// The child's pid.
        pid: Pid,
    },
    /// Our `Spawn` action failed before or at fork; the reference's spawnerr text.
    SpawnFailed {
        /// e.g. `can't find command 'x'`.
        message: String,
    },
    /// `waitpid` reaped our pid.
    Exited {
        /// How it ended.
        status: WaitStatus,
    },
    /// The time [`Process::deadline`] asked for has come.
    Deadline,
    /// A `Kill` action failed.
    KillFailed {
        /// The errno name (`EPERM`, `ESRCH`, ...).
        errno_name: String,
    },
    /// The daemon's mood changed. Back to `Running` re-checks automatic starts.
    Mood(Mood),
    /// Its readiness check passed (`ready=notify|tcp:|http://|exec:|log:`): RUNNING.
    Ready {
        /// What passed, for the log line (`tcp:127.0.0.1:5432 accepted a connection`).
        how: String,
    },
    /// A readiness probe failed; kept for the `ready_timeout` line.
    NotReady {
        /// How it failed (`connection refused`).
        reason: String,
    },
    /// A health probe's outcome while RUNNING (`Err` says how it failed).
    Health(Result<(), String>),
    /// A dependency it waits for (before its spawn) went FATAL: FATAL too.
    DependencyFailed {
        /// The dependency's namespec.
        dependency: String,
    },
}

/// Something the loop must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Build the spawn plan and fork; report `Spawned` or `SpawnFailed`.
    Spawn,
    /// `kill(pid, signal)`, or `kill(-pid, signal)` when `group`.
    Kill {
        /// The process's pid (positive).
        pid: Pid,
        /// Signal number.
        signal: i32,
        /// Signal the process group instead.
        group: bool,
    },
    /// Write a line to the activity log.
    Log {
        /// Level.
        level: LogLevel,
        /// The line, without timestamp or level.
        message: String,
    },
    /// The state changed: emit the PROCESS_STATE event and wake waiting clients. The values
    /// are a snapshot taken at the transition, as the reference renders events eagerly.
    StateChanged {
        /// Old state.
        from: State,
        /// New state.
        to: State,
        /// For EXITED: whether the exit status was in `exitcodes` (event field `expected`).
        expected: bool,
        /// The pid at the transition (event field `pid`, 0 when None).
        pid: Option<Pid>,
        /// The backoff counter at the transition (event field `tries`).
        tries: u32,
    },
    /// The health check changed its verdict: emit PROCESS_HEALTH_(UN)HEALTHY.
    Health {
        /// Healthy again (true) or unhealthy (false).
        healthy: bool,
        /// The last failure (unhealthy) or the check (healthy).
        detail: String,
    },
}

/// The answer to one input. Manual commands map it to faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done (a spawn, a signal or a stop is under way).
    Ok,
    /// Nothing to do for an automatic input (not due, not eligible).
    Ignored,
    /// `start` while STARTING, RUNNING or BACKOFF: ALREADY_STARTED.
    AlreadyStarted,
    /// `stop` outside RUNNING/STARTING/BACKOFF, `signal` outside RUNNING/STARTING/STOPPING:
    /// NOT_RUNNING.
    NotRunning,
    /// `start` while the old instance is still STOPPING: the reference logs WARN
    /// `process 'x' already running` and its wait ends in ABNORMAL_TERMINATION.
    StillStopping,
    /// `start` in UNKNOWN: FAILED with `messages::unknown_process_state`.
    InUnknownState,
    /// FAILED with this text (a kill failed, or there was no pid to signal).
    Failed(String),
}
