//! The edges that signal a process: `stop` (stopsignal, then SIGKILL every stopwaitsecs),
//! a stop in BACKOFF, `signal`, and a kill that failed.

use super::*;

impl Process {
    pub(super) fn send_stop(&mut self, now: Mono, out: &mut Vec<Action>) -> Outcome {
        let sig = self.cfg.stopsignal;
        if self.pid.is_none() && self.state == State::Starting {
            // Held back for its dependencies: nothing was spawned.
            self.want = Want::Down;
            self.delay = None;
            self.transition(State::Stopped, true, out);
            return Outcome::Ok;
        }
        let Some(pid) = self.pid else {
            let msg = messages::attempted_kill_not_running(self.name(), sig);
            self.log(out, LogLevel::Debug, msg.clone());
            return Outcome::Failed(msg);
        };
        self.want = Want::Down;
        self.signal_stop(pid, now, out)
    }

    /// -> STOPPING: the stopsignal (to the group with stopasgroup), SIGKILL after
    /// stopwaitsecs.
    pub(super) fn signal_stop(&mut self, pid: Pid, now: Mono, out: &mut Vec<Action>) -> Outcome {
        let sig = self.cfg.stopsignal;
        let group = self.cfg.stopasgroup;
        let msg = messages::killing_with_signal(self.name(), pid, group, sig);
        self.log(out, LogLevel::Debug, msg);
        self.delay = Some(now.plus_secs(self.cfg.stopwaitsecs));
        self.transition(State::Stopping, true, out);
        self.last_kill = KillKind::Stop;
        out.push(Action::Kill {
            pid,
            signal: sig,
            group,
        });
        Outcome::Ok
    }

    pub(super) fn stop_in_backoff(&mut self, out: &mut Vec<Action>) -> Outcome {
        self.log(
            out,
            LogLevel::Debug,
            messages::attempted_kill_in_backoff(self.name()),
        );
        self.want = Want::Down;
        self.delay = None;
        self.transition(State::Stopped, true, out);
        Outcome::Ok
    }

    /// STOPPING past its deadline: SIGKILL, then again every stopwaitsecs while it survives.
    pub(super) fn escalate(&mut self, now: Mono, out: &mut Vec<Action>) -> Outcome {
        let (Some(pid), Some(due)) = (self.pid, self.delay) else {
            return Outcome::Ignored;
        };
        if now < due {
            return Outcome::Ignored;
        }
        self.log(out, LogLevel::Warn, messages::killing(self.name(), pid));
        let group = self.cfg.killasgroup;
        let msg = messages::killing_with_signal(self.name(), pid, group, libc::SIGKILL);
        self.log(out, LogLevel::Debug, msg);
        // At least 1 s between repeats, so stopwaitsecs=0 cannot spin the loop.
        self.delay = Some(now.plus_secs(self.cfg.stopwaitsecs.max(1)));
        self.last_kill = KillKind::Stop;
        out.push(Action::Kill {
            pid,
            signal: libc::SIGKILL,
            group,
        });
        Outcome::Ok
    }

    pub(super) fn send_signal(&mut self, sig: i32, out: &mut Vec<Action>) -> Outcome {
        let Some(pid) = self.pid else {
            let msg = messages::attempted_signal_not_running(self.name(), sig);
            self.log(out, LogLevel::Debug, msg.clone());
            return Outcome::Failed(msg);
        };
        let msg = messages::sending_signal(self.name(), pid, sig);
        self.log(out, LogLevel::Debug, msg);
        self.last_kill = KillKind::Signal;
        out.push(Action::Kill {
            pid,
            signal: sig,
            group: false,
        });
        Outcome::Ok
    }

    pub(super) fn kill_failed(&mut self, errno_name: &str, out: &mut Vec<Action>) -> Outcome {
        let Some(pid) = self.pid else {
            return Outcome::Ignored;
        };
        let name = self.name();
        if errno_name == "ESRCH" {
            // Already dead: the reap will sort it out.
            let msg = match self.last_kill {
                KillKind::Stop => messages::unable_to_kill_esrch(name, pid),
                KillKind::Signal => messages::unable_to_signal_esrch(name, pid),
            };
            self.log(out, LogLevel::Debug, msg);
            return Outcome::Ok;
        }
        let msg = match self.last_kill {
            KillKind::Stop => messages::unknown_problem_killing(name, pid, errno_name),
            KillKind::Signal => messages::unknown_problem_signalling(name, pid, errno_name),
        };
        self.log(out, LogLevel::Critical, msg.clone());
        self.delay = None;
        self.transition(State::Unknown, true, out);
        Outcome::Failed(msg)
    }
}
