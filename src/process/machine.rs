//! The per-process state machine: `Process::on(input, now) -> actions`, pure.
//!
//! It owns one process's state (reference §3), its counters and its single deadline. It never
//! forks, signals, logs or reads a clock: it returns [`Action`]s for the event loop
//! (`daemon`) to carry out, and the loop reports back with [`Input`]s. Every transition is one
//! arm of the `match (state, input)` in [`Process::on`], labelled with its edge.
//!
//! Loop contract:
//! - Execute the actions of one call in order, before feeding the next input to this process.
//! - `Spawn`: build the plan (`spawn::build_plan`), fork; then feed `Spawned { pid }` or
//!   `SpawnFailed { message }` (a `build_plan` error, or the fork/pipe spawnerr text).
//! - `Kill`: `kill(pid)` or `kill(-pid)` when `group`; on any error feed
//!   `KillFailed { errno_name }` (ESRCH included: the machine only logs it).
//! - Feed `Exited` when `waitpid` reaps this process's pid, and `Deadline` whenever
//!   `now >= deadline()` (extra `Deadline`s are harmless).

use crate::config::model::{AutoRestart, LogLevel, ProcessConfig, Ready, UNLIMITED_RETRIES};
use crate::config::rare::{Rare, SharedDefault};
use crate::messages;
use crate::process::backoff;
use crate::process::state::State;
use crate::process::wait_status::WaitStatus;
use crate::time::Mono;

/// A process id as the kernel gives it (`pid_t`).
pub type Pid = i32;

/// The daemon's mood (the reference's `SupervisorStates`): one word for the daemon as a
/// whole and for what each process knows of it. Automatic starts (autostart, autorestart,
/// backoff retries) happen only while it is `Running`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mood {
    /// Normal operation.
    Running,
    /// Stopping everything, then starting again with a new config.
    Restarting,
    /// Stopping everything, then exiting.
    ShuttingDown,
}

/// What the supervisor wants for this process, kept apart from what it is. `Up` from every
/// spawn on; `Down` once a stop was requested. An exit counts as a stop (STOPPED) rather than a
/// crash (EXITED) only when `Down`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Keep it running (restart policy applies).
    Up,
    /// A stop was requested.
    Down,
}

/// Which kind of `Kill` was sent last, so a failure is reported with the right words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillKind {
    Stop,
    Signal,
}

/// One supervised process.
#[derive(Debug, Clone)]
pub struct Process {
    cfg: std::sync::Arc<ProcessConfig>,
    state: State,
    want: Want,
    mood: Mood,
    /// Set between `Spawned` and the reap.
    pid: Option<Pid>,
    /// None = never started (the reference's `laststart == 0`).
    laststart: Option<Mono>,
    laststop: Option<Mono>,
    spawnerr: Option<String>,
    exitstatus: Option<i32>,
    /// Failed starts since the last RUNNING (reset on RUNNING, EXITED and giving up).
    backoff: u32,
    /// BACKOFF: retry time. STOPPING: SIGKILL time. Unused in other states.
    delay: Option<Mono>,
    last_kill: KillKind,
    /// When it last entered RUNNING.
    running_since: Option<Mono>,
    /// Readiness and health failures.
    probing: Rare<Probing>,
}

/// What readiness checks and health checks leave behind, which the reference's rules never
/// set: out of line in every [`Process`], boxed at the first write (a reset to the default,
/// through [`Rare::boxed_mut`], needs no box).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Probing {
    /// Why we are stopping it in order to start it again (readiness timeout, unhealthy):
    /// its exit then counts as a failed start.
    fail: Option<String>,
    /// The last readiness or health probe failure.
    probe_error: Option<String>,
    /// Consecutive health check failures while RUNNING.
    health_failures: u32,
    /// Declared unhealthy and not yet seen healthy since.
    unhealthy: bool,
}

impl SharedDefault for Probing {
    fn shared_default() -> &'static Probing {
        static DEFAULT: Probing = Probing {
            fail: None,
            probe_error: None,
            health_failures: 0,
            unhealthy: false,
        };
        &DEFAULT
    }
}

impl Process {
    /// A new process in STOPPED, never started, mood `Running`.
    pub fn new(cfg: impl Into<std::sync::Arc<ProcessConfig>>) -> Process {
        let cfg = cfg.into();
        Process {
            cfg,
            state: State::Stopped,
            want: Want::Down,
            mood: Mood::Running,
            pid: None,
            laststart: None,
            laststop: None,
            spawnerr: None,
            exitstatus: None,
            backoff: 0,
            delay: None,
            last_kill: KillKind::Stop,
            running_since: None,
            probing: Rare::default(),
        }
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &ProcessConfig {
        &self.cfg
    }
    /// The same configuration as shared with its group's config: cloning it copies a
    /// pointer, not the config.
    pub fn shared_config(&self) -> &std::sync::Arc<ProcessConfig> {
        &self.cfg
    }
    /// Gives the process a new configuration (`update` of settings that need no respawn),
    /// keeping its state, pid, counters and deadline: the new values apply from the next
    /// transition.
    pub fn set_config(&mut self, cfg: std::sync::Arc<ProcessConfig>) {
        self.cfg = cfg;
    }
    /// Process name.
    pub fn name(&self) -> &str {
        &self.cfg.name
    }
    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }
    /// Desired state.
    pub fn want(&self) -> Want {
        self.want
    }
    /// The daemon mood this process last heard of.
    pub fn mood(&self) -> Mood {
        self.mood
    }
    /// The live child's pid.
    pub fn pid(&self) -> Option<Pid> {
        self.pid
    }
    /// Why the last start failed (`status` shows it for BACKOFF/FATAL/EXITED).
    pub fn spawnerr(&self) -> Option<&str> {
        self.spawnerr.as_deref()
    }
    /// The last exit status (-1 for a signal death); None after a too-quick exit.
    pub fn exitstatus(&self) -> Option<i32> {
        self.exitstatus
    }
    /// When the last spawn began; None if never started.
    pub fn laststart(&self) -> Option<Mono> {
        self.laststart
    }
    /// When the last child was reaped.
    pub fn laststop(&self) -> Option<Mono> {
        self.laststop
    }
    /// The backoff counter (event field `tries`).
    pub fn backoff(&self) -> u32 {
        self.backoff
    }
    /// BACKOFF: when the next attempt comes.
    pub fn next_try(&self) -> Option<Mono> {
        (self.state == State::Backoff && self.may_retry())
            .then_some(self.delay)
            .flatten()
    }
    /// The last readiness or health probe failure.
    pub fn probe_error(&self) -> Option<&str> {
        self.probing.probe_error.as_deref()
    }
    /// Consecutive failed health checks while RUNNING.
    pub fn health_failures(&self) -> u32 {
        self.probing.health_failures
    }
    /// Declared unhealthy and not seen healthy since.
    pub fn unhealthy(&self) -> bool {
        self.probing.unhealthy
    }
    /// When it last entered RUNNING.
    pub fn running_since(&self) -> Option<Mono> {
        self.running_since
    }
    /// Whether it is ready, as its dependents see it: RUNNING, or for `ready=exit` EXITED
    /// with one of its `exitcodes`.
    pub fn is_ready(&self) -> bool {
        match self.state {
            State::Running => true,
            State::Exited => {
                self.cfg.supervision.ready == Ready::Exit
                    && self
                        .exitstatus
                        .is_some_and(|es| self.cfg.exitcodes.contains(&es))
            }
            _ => false,
        }
    }
    /// Started and waiting for its readiness check (STARTING with a pid, not `startsecs`).
    pub fn awaits_readiness(&self) -> bool {
        self.state == State::Starting
            && self.pid.is_some()
            && self.cfg.supervision.ready != Ready::Startsecs
    }

    /// The earliest time this process wants a [`Input::Deadline`]; None when nothing is due (an
    /// idle RUNNING process has none).
    pub fn deadline(&self) -> Option<Mono> {
        match self.state {
            // STARTING -> RUNNING once up for strictly more than startsecs.
            State::Starting => match (self.pid, self.laststart) {
                (Some(_), Some(start)) => self.ready_deadline(start),
                _ => None,
            },
            State::Backoff if self.may_retry() => self.delay,
            State::Stopping => self.delay,
            // fatal_retry (set only while the daemon runs).
            State::Fatal if self.mood == Mood::Running => self.delay,
            State::Backoff
            | State::Stopped
            | State::Running
            | State::Exited
            | State::Fatal
            | State::Unknown => None,
        }
    }

    /// Feeds one input at time `now`, appending the resulting actions to `out`.
    pub fn on(&mut self, input: Input, now: Mono, out: &mut Vec<Action>) -> Outcome {
        use State::*;
        match (self.state, input) {
            // STOPPED -> STARTING: autostart, first time only, daemon running.
            (Stopped, Input::AutoStart) => self.auto_start(now, out),
            (
                Starting | Running | Backoff | Stopping | Exited | Fatal | Unknown,
                Input::AutoStart,
            ) => Outcome::Ignored,

            // STOPPED/EXITED/FATAL -> STARTING: manual start.
            (Stopped | Exited | Fatal, Input::Start) => {
                self.spawn(now, out);
                Outcome::Ok
            }
            (Starting | Running | Backoff, Input::Start) => Outcome::AlreadyStarted,
            // STOPPING: the old instance still has a pid.
            (Stopping, Input::Start) => {
                self.log(out, LogLevel::Warn, messages::already_running(self.name()));
                Outcome::StillStopping
            }
            (Unknown, Input::Start) => Outcome::InUnknownState,

            // RUNNING/STARTING -> STOPPING: stopsignal (STARTING without a pid, waiting for
            // its dependencies: STOPPED at once).
            (Starting | Running, Input::Stop) => self.send_stop(now, out),
            // STOPPING to restart it: now a plain stop.
            (Stopping, Input::Stop) if self.probing.fail.is_some() => {
                self.probing.fail = None;
                self.want = Want::Down;
                Outcome::Ok
            }
            // BACKOFF -> STOPPED: nothing to signal.
            (Backoff, Input::Stop) => self.stop_in_backoff(out),
            (Stopped | Stopping | Exited | Fatal | Unknown, Input::Stop) => Outcome::NotRunning,

            // RUNNING/STARTING -> STOPPING, as Stop, with no restarts from now on.
            (Starting | Running, Input::Shutdown) => {
                self.mood = Mood::ShuttingDown;
                self.send_stop(now, out)
            }
            // BACKOFF -> FATAL: the reference's give_up during stop_all (no log line).
            (Backoff, Input::Shutdown) => {
                self.mood = Mood::ShuttingDown;
                self.want = Want::Down;
                self.give_up(now, out);
                Outcome::Ok
            }
            (Stopped | Stopping | Exited | Fatal | Unknown, Input::Shutdown) => {
                self.mood = Mood::ShuttingDown;
                if self.state == Stopping {
                    if let Some(p) = self.probing.boxed_mut() {
                        p.fail = None;
                    }
                    self.want = Want::Down;
                }
                Outcome::Ignored
            }

            // RUNNING/STARTING/STOPPING: manual signal, no state change.
            (Starting | Running | Stopping, Input::Signal(sig)) => self.send_signal(sig, out),
            (Stopped | Backoff | Exited | Fatal | Unknown, Input::Signal(_)) => Outcome::NotRunning,

            // STARTING: the fork succeeded (and startsecs=0 means RUNNING at once).
            (Starting, Input::Spawned { pid }) => self.spawned(pid, now, out),
            (
                Stopped | Running | Backoff | Stopping | Exited | Fatal | Unknown,
                Input::Spawned { .. },
            ) => Outcome::Ignored,

            // STARTING -> BACKOFF: spawnerr.
            (Starting, Input::SpawnFailed { message }) => self.spawn_failed(message, now, out),
            (
                Stopped | Running | Backoff | Stopping | Exited | Fatal | Unknown,
                Input::SpawnFailed { .. },
            ) => Outcome::Ignored,

            // STARTING -> BACKOFF: exited before startsecs (or -> RUNNING -> EXITED if the
            // deadline had already passed unnoticed).
            (Starting, Input::Exited { status }) => self.exited_while_starting(status, now, out),
            // RUNNING -> EXITED (-> STARTING when autorestart says so).
            (Running, Input::Exited { status }) => self.exited_while_running(status, now, out),
            // STOPPING -> STOPPED.
            (Stopping, Input::Exited { status }) => self.exited_after_stop(status, now, out),
            // UNKNOWN -> STOPPED or EXITED, by what we wanted.
            (Unknown, Input::Exited { status }) => match self.want {
                Want::Down => self.exited_after_stop(status, now, out),
                Want::Up => self.exited_while_running(status, now, out),
            },
            (Stopped | Backoff | Exited | Fatal, Input::Exited { .. }) => Outcome::Ignored,

            // STARTING -> RUNNING: up for more than startsecs; or -> STOPPING: not ready in
            // time.
            (Starting, Input::Deadline) => match self.cfg.supervision.ready {
                Ready::Startsecs => self.check_started(now, out),
                _ => self.check_ready_timeout(now, out),
            },
            // FATAL -> STARTING: fatal_retry.
            (Fatal, Input::Deadline) => self.fatal_retry(now, out),
            // BACKOFF -> STARTING: retry delay over.
            (Backoff, Input::Deadline) => self.retry(now, out),
            // STOPPING: stopwaitsecs over, SIGKILL (again).
            (Stopping, Input::Deadline) => self.escalate(now, out),
            (Stopped | Running | Exited | Unknown, Input::Deadline) => Outcome::Ignored,

            // RUNNING/STARTING/STOPPING -> UNKNOWN: kill failed (ESRCH: log only).
            (Starting | Running | Stopping, Input::KillFailed { errno_name }) => {
                self.kill_failed(&errno_name, out)
            }
            (Stopped | Backoff | Exited | Fatal | Unknown, Input::KillFailed { .. }) => {
                Outcome::Ignored
            }

            // Any state: mood change; back to Running re-checks automatic starts.
            (
                Stopped | Starting | Running | Backoff | Stopping | Exited | Fatal | Unknown,
                Input::Mood(mood),
            ) => self.set_mood(mood, now, out),

            // STARTING -> RUNNING: the readiness check passed.
            (Starting, Input::Ready { how }) => self.became_ready(&how, now, out),
            (
                Stopped | Running | Backoff | Stopping | Exited | Fatal | Unknown,
                Input::Ready { .. },
            ) => Outcome::Ignored,
            (Starting, Input::NotReady { reason }) => {
                self.probing.probe_error = Some(reason);
                Outcome::Ok
            }
            (
                Stopped | Running | Backoff | Stopping | Exited | Fatal | Unknown,
                Input::NotReady { .. },
            ) => Outcome::Ignored,

            // RUNNING (-> STOPPING -> BACKOFF when unhealthy).
            (Running, Input::Health(result)) => self.health(result, now, out),
            (
                Stopped | Starting | Backoff | Stopping | Exited | Fatal | Unknown,
                Input::Health(_),
            ) => Outcome::Ignored,

            // STARTING (not yet spawned) -> FATAL.
            (Starting, Input::DependencyFailed { dependency }) if self.pid.is_none() => {
                self.dependency_failed(&dependency, now, out)
            }
            (
                Stopped | Starting | Running | Backoff | Stopping | Exited | Fatal | Unknown,
                Input::DependencyFailed { .. },
            ) => Outcome::Ignored,
        }
    }

    /// [`Process::on`] returning its actions, for callers that do not reuse a buffer.
    pub fn step(&mut self, input: Input, now: Mono) -> (Outcome, Vec<Action>) {
        let mut out = Vec::new();
        let outcome = self.on(input, now, &mut out);
        (outcome, out)
    }

    // ---- edges ---------------------------------------------------------------------------

    fn auto_start(&mut self, now: Mono, out: &mut Vec<Action>) -> Outcome {
        if self.cfg.autostart && self.laststart.is_none() && self.mood == Mood::Running {
            self.spawn(now, out);
            Outcome::Ok
        } else {
            Outcome::Ignored
        }
    }

    /// -> STARTING and ask the loop to fork. The backoff counter is kept: only RUNNING,
    /// EXITED and giving up reset it.
    fn spawn(&mut self, now: Mono, out: &mut Vec<Action>) {
        self.want = Want::Up;
        self.spawnerr = None;
        if let Some(p) = self.probing.boxed_mut() {
            p.probe_error = None;
        }
        self.exitstatus = None;
        self.pid = None;
        self.delay = None;
        self.laststart = Some(now);
        self.transition(State::Starting, true, out);
        out.push(Action::Spawn);
    }

    fn spawned(&mut self, pid: Pid, now: Mono, out: &mut Vec<Action>) -> Outcome {
        if self.pid.is_some() {
            return Outcome::Ignored;
        }
        self.pid = Some(pid);
        // A spawn held back for dependencies started its clock only now.
        self.laststart = Some(now);
        self.log(out, LogLevel::Info, messages::spawned(self.name(), pid));
        if self.cfg.supervision.ready != Ready::Startsecs {
            // RUNNING comes with readiness (Input::Ready) or, for `exit`, never.
        } else if self.cfg.startsecs == 0 {
            self.enter_running(now, out);
        } else {
            self.check_started(now, out);
        }
        Outcome::Ok
    }

    fn spawn_failed(&mut self, message: String, now: Mono, out: &mut Vec<Action>) -> Outcome {
        if self.pid.is_some() {
            return Outcome::Ignored;
        }
        self.log(out, LogLevel::Info, messages::spawnerr(&message));
        self.spawnerr = Some(message);
        self.enter_backoff(now, out);
        self.give_up_if_exhausted(now, out);
        Outcome::Ok
    }

    fn check_started(&mut self, now: Mono, out: &mut Vec<Action>) -> Outcome {
        match (self.pid, self.laststart) {
            (Some(_), Some(start)) if now >= self.running_at(start) => {
                self.enter_running(now, out);
                Outcome::Ok
            }
            _ => Outcome::Ignored,
        }
    }

    fn retry(&mut self, now: Mono, out: &mut Vec<Action>) -> Outcome {
        let due = match self.delay {
            Some(d) => now >= d,
            None => true,
        };
        if self.may_retry() && due {
            self.spawn(now, out);
            Outcome::Ok
        } else {
            Outcome::Ignored
        }
    }

    fn exited_while_starting(
        &mut self,
        status: WaitStatus,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Outcome {
        let Some(start) = self.laststart else {
            return Outcome::Ignored;
        };
        if self.pid.is_none() {
            return Outcome::Ignored;
        }
        let ready = &self.cfg.supervision.ready;
        if *ready == Ready::Exit {
            return self.task_exited(status, now, out);
        }
        if *ready == Ready::Startsecs && now >= self.running_at(start) {
            // It did stay up long enough; the deadline just was not fed first.
            self.enter_running(now, out);
            return self.exited_while_running(status, now, out);
        }
        // The project's rule: dying before startsecs is always BACKOFF, never RUNNING first.
        self.laststop = Some(now);
        self.exitstatus = None;
        self.spawnerr = Some(messages::EXITED_TOO_QUICKLY.to_string());
        self.enter_backoff(now, out);
        self.pid = None;
        let msg = messages::exited(self.name(), &status, false);
        self.log(out, LogLevel::Warn, msg);
        self.give_up_if_exhausted(now, out);
        Outcome::Ok
    }

    fn exited_while_running(
        &mut self,
        status: WaitStatus,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Outcome {
        let es = status.code();
        let expected = self.cfg.exitcodes.contains(&es);
        self.laststop = Some(now);
        self.exitstatus = Some(es);
        // With a backoff policy the count survives a short run (a crash loop through
        // RUNNING backs off too); the reference resets it on every exit from RUNNING.
        let reset = match self.cfg.supervision.backoff {
            Some(p) => self
                .running_since
                .is_none_or(|t| now.since(t).as_secs() >= p.reset),
            None => true,
        };
        if reset {
            self.backoff = 0;
        }
        self.delay = None;
        self.running_since = None;
        if let Some(p) = self.probing.boxed_mut() {
            p.health_failures = 0;
        }
        if !expected {
            self.spawnerr = Some(messages::bad_exit_code(es));
        } else if self.cfg.supervision.backoff.is_some() {
            self.spawnerr = None;
        }
        self.transition(State::Exited, expected, out);
        self.pid = None;
        let level = if expected {
            LogLevel::Info
        } else {
            LogLevel::Warn
        };
        self.log(out, level, messages::exited(self.name(), &status, expected));
        if self.cfg.supervision.backoff.is_some() {
            self.spawnerr = Some(exit_reason(&status));
        }
        self.restart_if_wanted(now, out);
        Outcome::Ok
    }

    fn exited_after_stop(
        &mut self,
        status: WaitStatus,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Outcome {
        if let Some(reason) = self.probing.boxed_mut().and_then(|p| p.fail.take()) {
            return self.failed_restart(reason, status, now, out);
        }
        let es = status.code();
        self.laststop = Some(now);
        self.exitstatus = Some(es);
        self.delay = None;
        self.transition(State::Stopped, true, out);
        self.pid = None;
        // A signal death (-1) is never in exitcodes, hence WARN (reference quirk 14).
        let level = if self.cfg.exitcodes.contains(&es) {
            LogLevel::Info
        } else {
            LogLevel::Warn
        };
        self.log(out, level, messages::stopped(self.name(), &status));
        Outcome::Ok
    }

    fn set_mood(&mut self, mood: Mood, now: Mono, out: &mut Vec<Action>) -> Outcome {
        self.mood = mood;
        match (mood, self.state) {
            (Mood::Running, State::Stopped) => self.auto_start(now, out),
            (Mood::Running, State::Exited) => {
                if self.restart_if_wanted(now, out) {
                    Outcome::Ok
                } else {
                    Outcome::Ignored
                }
            }
            _ => Outcome::Ignored,
        }
    }

    // ---- helpers -------------------------------------------------------------------------

    /// EXITED -> STARTING at once when autorestart says so and the daemon is running.
    fn restart_if_wanted(&mut self, now: Mono, out: &mut Vec<Action>) -> bool {
        let unexpected = self
            .exitstatus
            .is_some_and(|es| !self.cfg.exitcodes.contains(&es));
        let policy = match self.cfg.autorestart {
            AutoRestart::Always => true,
            AutoRestart::Never => false,
            AutoRestart::Unexpected => unexpected,
        };
        if !(policy && self.mood == Mood::Running && self.want == Want::Up) {
            return false;
        }
        if self.cfg.supervision.backoff.is_some() {
            // EXITED -> BACKOFF: every automatic restart waits its delay.
            self.enter_backoff(now, out);
            self.give_up_if_exhausted(now, out);
        } else {
            self.spawn(now, out);
        }
        true
    }

    fn enter_running(&mut self, now: Mono, out: &mut Vec<Action>) {
        self.become_running(now, out);
        let msg = messages::success(self.name(), self.cfg.startsecs);
        self.log(out, LogLevel::Info, msg);
    }

    /// -> RUNNING. With a backoff policy the count is kept until `backoff_reset` has passed.
    fn become_running(&mut self, now: Mono, out: &mut Vec<Action>) {
        if self.cfg.supervision.backoff.is_none() {
            self.backoff = 0;
        }
        self.delay = None;
        self.running_since = Some(now);
        if let Some(p) = self.probing.boxed_mut() {
            p.health_failures = 0;
        }
        self.transition(State::Running, true, out);
    }

    /// -> BACKOFF: one more failure, next try after the backoff delay.
    fn enter_backoff(&mut self, now: Mono, out: &mut Vec<Action>) {
        self.backoff = self.backoff.saturating_add(1);
        let policy = self.cfg.supervision.backoff.as_ref();
        let seed = backoff::seed(self.name(), now.0);
        let ms = backoff::delay_ms(policy, self.backoff, seed);
        self.delay = Some(now.plus_ms(ms));
        self.transition(State::Backoff, true, out);
    }

    /// BACKOFF -> FATAL with `gave up:` once the retries are used up.
    fn give_up_if_exhausted(&mut self, now: Mono, out: &mut Vec<Action>) {
        if self.cfg.startretries != UNLIMITED_RETRIES && self.backoff > self.cfg.startretries {
            self.give_up(now, out);
            self.log(out, LogLevel::Info, messages::gave_up(self.name()));
        }
    }

    /// BACKOFF -> FATAL. Resets the counter, so a later manual start gets every retry again.
    /// With `fatal_retry` (and the daemon running) FATAL has a deadline to start again.
    fn give_up(&mut self, now: Mono, out: &mut Vec<Action>) {
        self.backoff = 0;
        self.delay = match (self.cfg.supervision.fatal_retry, self.mood) {
            (Some(secs), Mood::Running) => Some(now.plus_secs(secs)),
            _ => None,
        };
        self.transition(State::Fatal, true, out);
    }

    fn may_retry(&self) -> bool {
        self.mood == Mood::Running
            && (self.cfg.startretries == UNLIMITED_RETRIES || self.backoff <= self.cfg.startretries)
    }

    /// The first instant at which the process has been up strictly longer than startsecs.
    fn running_at(&self, start: Mono) -> Mono {
        Mono(start.plus_secs(self.cfg.startsecs).0.saturating_add(1))
    }

    fn transition(&mut self, to: State, expected: bool, out: &mut Vec<Action>) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        out.push(Action::StateChanged {
            from,
            to,
            expected,
            pid: self.pid,
            tries: self.backoff,
        });
    }

    fn log(&self, out: &mut Vec<Action>, level: LogLevel, message: String) {
        out.push(Action::Log { level, message });
    }
}

mod inputs;
mod readiness;
mod snapshot;
mod stopping;

pub use inputs::{Action, Input, Outcome};

pub use readiness::describe_ready;
use readiness::exit_reason;

#[cfg(test)]
#[path = "machine_tests/mod.rs"]
pub(crate) mod tests;
