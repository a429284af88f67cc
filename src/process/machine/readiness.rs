//! The edges of the supervisor-rs keys (#15): readiness, health checks, dependencies that
//! failed, `fatal_retry`, and `ready=exit` tasks. One `impl Process` with the rest of the
//! machine in `machine.rs`; these only run for processes that use the keys.

use super::*;

impl Process {
    /// `ready=exit`: a task that exits with one of its `exitcodes` is done (EXITED, ready);
    /// any other exit is a failed start.
    pub(super) fn task_exited(
        &mut self,
        status: WaitStatus,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Outcome {
        let es = status.code();
        let expected = self.cfg.exitcodes.contains(&es);
        self.laststop = Some(now);
        if !expected {
            self.exitstatus = None;
            self.spawnerr = Some(exit_reason(&status));
            self.enter_backoff(now, out);
            self.pid = None;
            self.log(
                out,
                LogLevel::Warn,
                messages::exited(self.name(), &status, false),
            );
            self.give_up_if_exhausted(now, out);
            return Outcome::Ok;
        }
        self.exitstatus = Some(es);
        self.backoff = 0;
        self.delay = None;
        self.spawnerr = None;
        self.transition(State::Exited, true, out);
        self.pid = None;
        self.log(
            out,
            LogLevel::Info,
            messages::exited(self.name(), &status, true),
        );
        self.restart_if_wanted(now, out);
        Outcome::Ok
    }

    /// STARTING -> RUNNING on readiness.
    pub(super) fn became_ready(&mut self, how: &str, now: Mono, out: &mut Vec<Action>) -> Outcome {
        if !self.awaits_readiness() || self.cfg.supervision.ready == Ready::Exit {
            return Outcome::Ignored;
        }
        if let Some(p) = self.probing.boxed_mut() {
            p.probe_error = None;
        }
        self.become_running(now, out);
        let msg = format!(
            "success: {} entered RUNNING state, ready ({how})",
            self.name()
        );
        self.log(out, LogLevel::Info, msg);
        Outcome::Ok
    }

    /// STARTING past `ready_timeout`: a failed start (STOPPING, then BACKOFF).
    pub(super) fn check_ready_timeout(&mut self, now: Mono, out: &mut Vec<Action>) -> Outcome {
        let Some(due) = self.laststart.and_then(|s| self.ready_deadline(s)) else {
            return Outcome::Ignored;
        };
        if now < due || self.pid.is_none() {
            return Outcome::Ignored;
        }
        let sup = &self.cfg.supervision;
        let why = match (&self.probing.probe_error, &sup.ready) {
            (Some(e), _) => e.clone(),
            (None, Ready::Notify) => "no READY=1".to_string(),
            (None, Ready::Log(_)) => "no matching line".to_string(),
            (None, Ready::Exit) => "still running".to_string(),
            (None, _) => "no answer".to_string(),
        };
        let reason = format!(
            "not ready after {} s ({}: {why})",
            sup.ready_timeout,
            describe_ready(&sup.ready)
        );
        self.log(out, LogLevel::Warn, format!("{}: {reason}", self.name()));
        self.stop_to_restart(reason, now, out)
    }

    /// RUNNING: one health check's outcome.
    pub(super) fn health(
        &mut self,
        result: Result<(), String>,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Outcome {
        let Some(h) = self.cfg.supervision.health.as_ref() else {
            return Outcome::Ignored;
        };
        let reason = match result {
            Ok(()) => {
                let was_unhealthy = match self.probing.boxed_mut() {
                    Some(p) => {
                        p.health_failures = 0;
                        p.probe_error = None;
                        std::mem::take(&mut p.unhealthy)
                    }
                    None => false,
                };
                if was_unhealthy {
                    let detail = h.check.to_string();
                    self.log(
                        out,
                        LogLevel::Info,
                        format!("{}: healthy ({detail})", self.name()),
                    );
                    out.push(Action::Health {
                        healthy: true,
                        detail,
                    });
                }
                return Outcome::Ok;
            }
            Err(r) => r,
        };
        let detail = format!("{}: {reason}", h.check);
        self.probing.probe_error = Some(detail.clone());
        let grace = self
            .running_since
            .is_some_and(|t| now.since(t).as_secs() < h.start_period);
        if grace {
            return Outcome::Ok;
        }
        let probing = &mut *self.probing;
        probing.health_failures = probing.health_failures.saturating_add(1);
        if probing.health_failures < h.retries {
            return Outcome::Ok;
        }
        let n = probing.health_failures;
        probing.unhealthy = true;
        let msg = format!(
            "{}: unhealthy after {n} failed checks ({detail}), restarting",
            self.name()
        );
        self.log(out, LogLevel::Warn, msg);
        out.push(Action::Health {
            healthy: false,
            detail: detail.clone(),
        });
        self.stop_to_restart(format!("unhealthy ({detail})"), now, out)
    }

    /// -> STOPPING with its stopsignal, to be started again after its backoff delay: the exit
    /// counts as a failed start.
    pub(super) fn stop_to_restart(
        &mut self,
        reason: String,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Outcome {
        let Some(pid) = self.pid else {
            return Outcome::Ignored;
        };
        self.probing.fail = Some(reason);
        self.signal_stop(pid, now, out)
    }

    /// STOPPING (to restart) -> BACKOFF.
    pub(super) fn failed_restart(
        &mut self,
        reason: String,
        status: WaitStatus,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Outcome {
        self.laststop = Some(now);
        self.exitstatus = Some(status.code());
        self.running_since = None;
        if let Some(p) = self.probing.boxed_mut() {
            p.health_failures = 0;
        }
        self.spawnerr = Some(reason);
        self.enter_backoff(now, out);
        self.pid = None;
        self.log(out, LogLevel::Info, messages::stopped(self.name(), &status));
        self.give_up_if_exhausted(now, out);
        Outcome::Ok
    }

    /// STARTING (held back, never spawned) -> FATAL.
    pub(super) fn dependency_failed(
        &mut self,
        dependency: &str,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Outcome {
        let why = format!("dependency {dependency} failed");
        self.log(
            out,
            LogLevel::Warn,
            format!("gave up: {}: {why}", self.name()),
        );
        self.spawnerr = Some(why);
        // FATAL as after its own failed starts (fatal_retry tries again).
        self.give_up(now, out);
        Outcome::Ok
    }

    /// FATAL past `fatal_retry`: start again with every retry.
    pub(super) fn fatal_retry(&mut self, now: Mono, out: &mut Vec<Action>) -> Outcome {
        let (Some(due), Some(secs)) = (self.delay, self.cfg.supervision.fatal_retry) else {
            return Outcome::Ignored;
        };
        if now < due || self.mood != Mood::Running || self.want != Want::Up {
            return Outcome::Ignored;
        }
        let msg = format!(
            "{}: leaving FATAL after {secs} s (fatal_retry)",
            self.name()
        );
        self.log(out, LogLevel::Info, msg);
        self.backoff = 0;
        self.spawn(now, out);
        Outcome::Ok
    }

    /// When a started process must be ready by: `startsecs` past the start, or
    /// `ready_timeout` (None when 0: wait forever).
    pub(super) fn ready_deadline(&self, start: Mono) -> Option<Mono> {
        let sup = &self.cfg.supervision;
        match sup.ready {
            Ready::Startsecs => Some(self.running_at(start)),
            _ if sup.ready_timeout == 0 => None,
            _ => Some(start.plus_secs(sup.ready_timeout)),
        }
    }
}

/// How a process's readiness is checked, for messages (`tcp:127.0.0.1:5432`, `notify`).
pub fn describe_ready(ready: &Ready) -> String {
    match ready {
        Ready::Startsecs => "startsecs".into(),
        Ready::Notify => "notify".into(),
        Ready::Check(c) => c.to_string(),
        Ready::Log(p) => format!("log:{}", p.source()),
        Ready::Exit => "exit".into(),
    }
}

/// `exited with 1` or `terminated by SIGKILL`: why a restart is due.
pub(super) fn exit_reason(status: &WaitStatus) -> String {
    match status {
        WaitStatus::Exited(code) => format!("exited with {code}"),
        other => other.describe(),
    }
}
