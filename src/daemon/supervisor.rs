//! The supervision part: the process table, the daemon-level machine, the fcgi sockets and
//! the spawner. [`Supervisor::feed`] gives one input to one process machine and carries out
//! the actions it returns (spawn, kill, log, state change); the outcome of an action that
//! feeds the machine again (a failed kill) is merged into the outcome returned, never
//! dropped.

use crate::config::model::Ready;
use crate::config::model::{Config, LogLevel};
use crate::daemon::bus::{Bus, Transition};
use crate::daemon::child_notify;
use crate::daemon::depends::{self, Gate};
use crate::daemon::fcgi::FcgiSockets;
use crate::daemon::io::{ChildPipes, Io, Source};
use crate::daemon::lifecycle::Lifecycle;
use crate::daemon::output;
use crate::daemon::probes::{self, Finished, Probes, Purpose, Want};
use crate::daemon::procs::{ProcId, Procs};
use crate::daemon::spawner::Spawner;
use crate::daemon::state_file::{Boot, Manual, Wanted};
use crate::events::types::{Event, Kind};
use crate::logfile::activity::Logger;
use crate::process::machine::{Action, Input, Outcome};
use crate::process::spawn::{build_plan, SpawnContext};
use crate::process::state::State as PState;
use crate::process::state::State;
use crate::process::wait_status::WaitStatus;
use crate::sys;
use crate::sys::poller::Interest;
use crate::sys::poller::Key;
use crate::time::Mono;

/// The parts a process machine's actions reach.
#[derive(Debug)]
pub struct Cx<'a> {
    /// Where a child's pipes go.
    pub io: &'a mut Io,
    /// The activity log.
    pub log: &'a mut Logger,
    /// Where state changes go.
    pub bus: &'a mut Bus,
}

/// Sends signals for the machines; a seam so a test can make `kill` fail.
pub type Killer = fn(pid: i32, signal: i32, group: bool) -> std::io::Result<()>;

fn kill(pid: i32, signal: i32, group: bool) -> std::io::Result<()> {
    if group {
        sys::proc::killpg(pid, signal)
    } else {
        sys::proc::kill(pid, signal)
    }
}

/// The processes and what acts on them.
#[derive(Debug)]
pub struct Supervisor {
    procs: Procs,
    lifecycle: Lifecycle,
    fcgi: FcgiSockets,
    spawner: Spawner,
    killer: Killer,
    /// The earliest deadline of any process machine; `None` when a machine may have changed
    /// since it was computed. Kept so that a wake-up (a chatty child's pipe) costs nothing
    /// per idle program.
    deadline: Option<Option<Mono>>,
    /// A process changed state, or processes were added or removed, since the last
    /// [`Supervisor::take_states_changed`] (the sd_notify `STATUS=` line is due a look).
    states_changed: bool,
    /// Processes whose spawn waits for their dependencies (`depends_on`), STARTING without
    /// a pid.
    held: Vec<ProcId>,
    /// Inside [`Supervisor::release`]: a nested feed does not start another pass.
    releasing: bool,
    /// Readiness and health probes.
    probes: Probes,
    /// Processes whose state changed since the probes were last told what to probe.
    probes_stale: Vec<ProcId>,
    /// Processes came or went (or changed config): every process is looked at again.
    probes_all_stale: bool,
    /// What was started or stopped by hand (`state_file`).
    manual: Manual,
}

impl Supervisor {
    /// Supervision of `procs` under `config`.
    pub fn new(
        config: &Config,
        procs: Procs,
        fcgi: FcgiSockets,
        low_fds: Option<sys::spawn::LowFds>,
    ) -> Supervisor {
        Supervisor {
            procs,
            lifecycle: Lifecycle::new(),
            fcgi,
            spawner: Spawner::new(config, low_fds),
            killer: kill,
            deadline: None,
            states_changed: true,
            held: Vec::new(),
            releasing: false,
            probes: Probes::default(),
            probes_stale: Vec::new(),
            probes_all_stale: true,
            manual: Manual::new(config.supervisord.state_file.clone()),
        }
    }

    /// Reads the state file (a broken one is logged and ignored) and forgets the processes
    /// the config no longer has.
    pub fn load_wishes(&mut self, log: &mut Logger) {
        let procs = &self.procs;
        let known = |name: &str| procs.iter().any(|(_, p)| p.namespec() == name);
        if let Err(e) = self.manual.load(known) {
            log.error(&e);
        }
    }

    /// A start (`Up`) or stop (`Down`) of `id` by hand, kept when there is a state file.
    pub fn wish(&mut self, id: ProcId, wanted: Wanted) {
        if let Some(p) = self.procs.get(id) {
            self.manual.record(&p.namespec(), wanted);
        }
    }

    /// The processes of a `stop` (or the stop half of a `restart`) by hand.
    pub fn wish_stopped(&mut self, items: &[crate::daemon::names::Item]) {
        for id in items.iter().filter_map(|it| it.proc) {
            self.wish(id, Wanted::Down);
        }
    }

    /// How `id` begins at startup or when its group is added. A process that was started
    /// before (one an upgrade handed over) keeps its state.
    pub fn boot(&self, id: ProcId) -> Boot {
        match self.procs.get(id) {
            Some(p) if p.machine.laststart().is_none() => {
                self.manual.boot(&p.namespec(), p.cfg().autostart)
            }
            _ => Boot::Skip,
        }
    }

    /// Writes the state file if the wishes changed since it was last written.
    pub fn save_wishes(&mut self, log: &mut Logger) {
        if let Err(e) = self.manual.save() {
            log.error(&e);
        }
    }

    /// Replaces how signals are sent (tests).
    pub fn set_killer(&mut self, killer: Killer) {
        self.killer = killer;
    }

    /// Gives the spawn descriptors back (they outlive a restart).
    pub fn into_low_fds(self) -> Option<sys::spawn::LowFds> {
        self.spawner.into_low_fds()
    }

    /// The process table.
    pub fn procs(&self) -> &Procs {
        &self.procs
    }

    /// The process table, mutably. Machines change only through [`Supervisor::feed`]; a
    /// caller that adds or removes processes calls [`Supervisor::procs_changed`].
    pub fn procs_mut(&mut self) -> &mut Procs {
        &mut self.procs
    }

    /// Processes were added or removed: their deadlines must be looked at again.
    pub fn procs_changed(&mut self) {
        self.deadline = None;
        self.probes_all_stale = true;
        self.states_changed = true;
    }

    /// Whether a state changed (or processes came or went) since the last call.
    pub fn take_states_changed(&mut self) -> bool {
        std::mem::take(&mut self.states_changed)
    }

    /// The daemon-level machine.
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// The daemon-level machine, mutably.
    pub fn lifecycle_mut(&mut self) -> (&mut Lifecycle, &Procs) {
        (&mut self.lifecycle, &self.procs)
    }

    /// The fcgi sockets.
    pub fn fcgi_mut(&mut self) -> &mut FcgiSockets {
        &mut self.fcgi
    }

    /// What spawn planning needs to know about the daemon.
    pub fn spawn_context(&self) -> SpawnContext<'_> {
        self.spawner.context()
    }

    /// Feeds one input to a process and carries out the resulting actions. A failed kill is
    /// fed back at once and its outcome replaces an `Ok`. Then processes held back for
    /// their dependencies are looked at again.
    pub fn feed(&mut self, id: ProcId, input: Input, now: Mono, cx: &mut Cx<'_>) -> Outcome {
        let outcome = self.feed_one(id, input, now, cx);
        self.release(now, cx);
        outcome
    }

    /// Spawns the held processes whose dependencies are now ready, fails those with a FATAL
    /// dependency, and forgets those that left STARTING (stopped while waiting), until a
    /// pass changes nothing.
    fn release(&mut self, now: Mono, cx: &mut Cx<'_>) {
        if self.releasing || self.held.is_empty() {
            return;
        }
        self.releasing = true;
        loop {
            let mut progressed = false;
            for id in self.held.clone() {
                let waiting = self.procs.get(id).is_some_and(|p| {
                    p.machine.state() == State::Starting && p.machine.pid().is_none()
                });
                let gate = if waiting {
                    depends::gate(&self.procs, id)
                } else {
                    Gate::Open
                };
                if let Gate::Wait(text) = gate {
                    if let Some(p) = self.procs.get_mut(id) {
                        if p.readiness.waiting.as_ref() != Some(&text) {
                            p.readiness.waiting = Some(text);
                            self.states_changed = true;
                        }
                    }
                    continue;
                }
                self.held.retain(|&h| h != id);
                if let Some(r) = self.procs.get_mut(id).and_then(|p| p.readiness.boxed_mut()) {
                    r.waiting = None;
                }
                progressed = true;
                match gate {
                    Gate::Open if waiting => self.spawn(id, now, cx),
                    Gate::Failed(dependency) => {
                        self.feed_one(id, Input::DependencyFailed { dependency }, now, cx);
                    }
                    _ => {}
                }
            }
            if !progressed {
                break;
            }
        }
        self.releasing = false;
    }

    fn feed_one(&mut self, id: ProcId, input: Input, now: Mono, cx: &mut Cx<'_>) -> Outcome {
        let mut actions = Vec::new();
        let mut outcome = match self.procs.get_mut(id) {
            Some(p) => p.machine.on(input, now, &mut actions),
            None => return Outcome::Ignored,
        };
        self.deadline = None;
        for a in actions {
            if let Some(nested) = self.execute(id, a, now, cx) {
                outcome = merge(outcome, nested);
            }
        }
        outcome
    }

    /// Carries out one action; the outcome of an input it fed back, if any.
    fn execute(
        &mut self,
        id: ProcId,
        action: Action,
        now: Mono,
        cx: &mut Cx<'_>,
    ) -> Option<Outcome> {
        match action {
            Action::Spawn => {
                self.spawn(id, now, cx);
                None
            }
            Action::Kill { pid, signal, group } => {
                let err = (self.killer)(pid, signal, group).err()?;
                let errno_name = sys::errno_name(err.raw_os_error().unwrap_or(0)).to_string();
                Some(self.feed(id, Input::KillFailed { errno_name }, now, cx))
            }
            Action::Log { level, message } => {
                cx.log.log(level, &message);
                // Debug lines (signals sent) are not part of the lifecycle.
                if level >= LogLevel::Info {
                    if let Some(p) = self.procs.get_mut(id).filter(|p| p.cfg().log_lifecycle) {
                        output::write_lifecycle(p, level, &message, cx.log);
                    }
                }
                None
            }
            Action::StateChanged {
                from,
                to,
                expected,
                pid,
                tries,
            } => {
                self.states_changed = true;
                self.probes_stale.push(id);
                let p = self.procs.get_mut(id)?;
                p.counters.on_transition(to);
                if (to.is_stopped() || to == State::Backoff) && p.machine.laststop().is_some() {
                    p.stop_wall_ms = Some(sys::wall_clock_ms());
                }
                let t = Transition {
                    from,
                    to,
                    expected,
                    pid,
                    tries,
                };
                cx.bus.emit_state(p, &t, cx.log);
                None
            }
            Action::Health { healthy, detail } => {
                let p = self.procs.get(id)?;
                if cx.bus.wants(Kind::ProcessHealth(healthy)) {
                    let pid = p.machine.pid().unwrap_or(0);
                    let event = Event::health(p.machine.name(), p.group(), pid, healthy, &detail);
                    cx.bus.emit(event, cx.log);
                }
                None
            }
        }
    }

    fn spawn(&mut self, id: ProcId, now: Mono, cx: &mut Cx<'_>) {
        match depends::gate(&self.procs, id) {
            Gate::Open => {}
            Gate::Wait(text) => {
                if !self.held.contains(&id) {
                    self.held.push(id);
                    if let Some(p) = self.procs.get_mut(id) {
                        cx.log.info(&format!("{}: {text}", p.namespec()));
                        p.readiness.waiting = Some(text);
                    }
                    // Starting a process starts what it depends on.
                    for dep in depends::to_start(&self.procs, id) {
                        self.feed_one(dep, Input::Start, now, cx);
                    }
                }
                return;
            }
            Gate::Failed(dependency) => {
                self.feed_one(id, Input::DependencyFailed { dependency }, now, cx);
                return;
            }
        }
        let Some(cfg) = self
            .procs
            .get(id)
            .map(|p| p.machine.shared_config().clone())
        else {
            return;
        };
        let mut plan = match build_plan(&cfg, &self.spawn_context()) {
            Ok(p) => p,
            Err(message) => {
                self.feed(id, Input::SpawnFailed { message }, now, cx);
                return;
            }
        };
        let mut lines = Vec::new();
        let socket = match self.procs.get(id) {
            Some(p) => self.fcgi.acquire(p.group(), id, &mut lines),
            None => None,
        };
        for l in lines {
            cx.log.info(&l);
        }
        match socket {
            Some(Ok(fd)) => plan.stdin_fd = Some(fd),
            Some(Err(message)) => {
                self.release_fcgi(id, cx.log);
                self.feed(id, Input::SpawnFailed { message }, now, cx);
                return;
            }
            None => {}
        }
        let Some(p) = self.procs.get_mut(id) else {
            return;
        };
        for (level, msg) in output::open_logs(p) {
            cx.log.log(level, &msg);
        }
        p.spawns += 1;
        if let Some(r) = p.readiness.boxed_mut() {
            r.notify_status = None;
            r.ready_lines = Default::default();
        }
        if p.cfg().supervision.ready == Ready::Notify {
            match child_notify::bind(id, p.spawns) {
                Ok(b) => {
                    set_env(&mut plan.envp, "NOTIFY_SOCKET", &b.env_value);
                    let src = Source::Notify {
                        proc: id,
                        sock: b.sock,
                    };
                    p.readiness.notify = cx.io.add(src, Interest::READ).ok();
                }
                Err(e) => cx.log.critical(&format!(
                    "{}: could not create its notify socket: {e}",
                    p.namespec()
                )),
            }
        }
        let started = self.spawner.start(&plan, &cfg.name);
        let child = match started {
            Ok(c) => c,
            Err(e) => {
                p.close_logs();
                if let Some(key) = p.readiness.boxed_mut().and_then(|r| r.notify.take()) {
                    cx.io.remove(key);
                }
                self.release_fcgi(id, cx.log);
                let message = e.message();
                self.feed(id, Input::SpawnFailed { message }, now, cx);
                return;
            }
        };
        let pid = child.pid;
        let listener = p.listener.is_some();
        let pipes = ChildPipes {
            stdout: child.stdout,
            stderr: child.stderr,
            exec_status: child.exec_status,
            listener,
        };
        for problem in cx.io.add_child_pipes(id, pipes) {
            cx.log.critical(&problem);
        }
        p.stdin_out.clear();
        p.stdin = child.stdin.and_then(|fd| {
            let src = Source::Stdin {
                proc: id,
                file: std::fs::File::from(fd),
            };
            cx.io.add(src, Interest::NONE).ok()
        });
        p.start_wall_ms = Some(sys::wall_clock_ms());
        if let Some(l) = p.listener.as_mut() {
            crate::daemon::bus::listener_spawned(l);
        }
        self.procs.set_pid(id, pid);
        // A new pid is a new instance to probe, even when the state did not change (a
        // held spawn is STARTING before and after).
        self.probes_stale.push(id);
        self.feed(id, Input::Spawned { pid }, now, cx);
    }

    /// A process no longer holds its group's fcgi socket (it exited, or did not start).
    pub fn release_fcgi(&mut self, id: ProcId, log: &mut Logger) {
        let Some(p) = self.procs.get(id) else {
            return;
        };
        let mut lines = Vec::new();
        self.fcgi.release(p.group(), id, &mut lines);
        for l in lines {
            log.info(&l);
        }
    }

    // ---- probes and notify sockets -------------------------------------------------------

    /// The earliest time a probe starts or times out.
    pub fn probe_deadline(&self) -> Option<Mono> {
        self.probes.deadline()
    }

    /// Tells the probes what to probe (after state changes), starts the due ones, times
    /// out the late ones, and feeds what finished.
    pub fn run_probes(&mut self, now: Mono, cx: &mut Cx<'_>) {
        for _ in 0..8 {
            // Only the processes whose state changed, so a restart costs the same with 1
            // program or 1000; the whole table after processes came or went.
            let mut ids = std::mem::take(&mut self.probes_stale);
            if std::mem::take(&mut self.probes_all_stale) {
                ids.extend(self.probes.procs());
                ids.extend(self.procs.iter().map(|(id, _)| id));
            }
            crate::sort::sort(&mut ids);
            ids.dedup();
            for id in ids {
                let want = self.procs.get(id).and_then(probe_want);
                self.probes.sync(id, want, cx.io);
            }
            let Supervisor {
                procs,
                spawner,
                probes,
                ..
            } = self;
            // An exec probe runs as its program would, with the probe's command; its stderr
            // joins its stdout, whose tail explains a failure.
            let mut exec_start =
                |proc: ProcId, command: &str| -> Result<(i32, std::fs::File), String> {
                    let p = procs.get(proc).ok_or("process gone")?;
                    let mut cfg = p.cfg().clone();
                    cfg.command = command.to_string();
                    cfg.redirect_stderr = true;
                    let plan = build_plan(&cfg, &spawner.context())?;
                    let child = spawner.start(&plan, &cfg.name).map_err(|e| e.message())?;
                    Ok((child.pid, std::fs::File::from(child.stdout)))
                };
            let finished = probes.run(now, cx.io, &mut exec_start);
            if finished.is_empty() {
                break;
            }
            for f in finished {
                self.probe_finished(f, now, cx);
            }
        }
    }

    /// A probe's socket or pipe is ready.
    pub fn probe_io(&mut self, key: Key, now: Mono, cx: &mut Cx<'_>) {
        if let Some(f) = self.probes.io_ready(key, now, cx.io) {
            self.probe_finished(f, now, cx);
        }
    }

    /// Whether a reaped pid was an exec probe (then it is dealt with).
    pub fn probe_exited(
        &mut self,
        pid: i32,
        status: &WaitStatus,
        now: Mono,
        cx: &mut Cx<'_>,
    ) -> bool {
        match self.probes.exited(pid, status, now, cx.io) {
            Some(Some(f)) => {
                self.probe_finished(f, now, cx);
                true
            }
            Some(None) => true,
            None => false,
        }
    }

    fn probe_finished(&mut self, f: Finished, now: Mono, cx: &mut Cx<'_>) {
        let input = match (f.purpose, f.result) {
            (Purpose::Ready, Ok(how)) => Input::Ready { how },
            (Purpose::Ready, Err(reason)) => Input::NotReady { reason },
            (Purpose::Health, Ok(_)) => Input::Health(Ok(())),
            (Purpose::Health, Err(why)) => Input::Health(Err(why)),
        };
        self.feed(f.proc, input, now, cx);
    }

    /// Datagrams on a process's notify socket.
    pub fn notify_readable(&mut self, key: Key, now: Mono, cx: &mut Cx<'_>) {
        let Some(Source::Notify { proc, sock }) = cx.io.get(key) else {
            return;
        };
        let id = *proc;
        let mut ready = false;
        let mut status = None;
        let expected_uid = self
            .procs
            .get(id)
            .and_then(|p| p.cfg().uid)
            .unwrap_or_else(sys::geteuid);
        let mut buf = vec![0u8; child_notify::MAX_DATAGRAM];
        // Bounded: a flood is read on the next wake-ups.
        for _ in 0..32 {
            let Ok((n, sender)) = sys::socket::recv_with_sender(sock, &mut buf) else {
                break;
            };
            let allowed = sender.is_some_and(|s| s.uid == expected_uid || s.uid == 0);
            if !allowed {
                let uid = sender.map_or(-1, |s| i64::from(s.uid));
                cx.log
                    .debug(&format!("notify datagram from uid {uid} ignored"));
                continue;
            }
            let m = child_notify::parse(&buf[..n]);
            ready |= m.ready;
            if m.status.is_some() {
                status = m.status;
            }
        }
        if let Some(text) = status {
            if let Some(p) = self.procs.get_mut(id) {
                p.readiness.notify_status = Some(text);
            }
        }
        if ready {
            let how = "notify: READY=1".to_string();
            self.feed(id, Input::Ready { how }, now, cx);
        }
    }

    /// A process was reaped or removed: its notify socket closes and its probes stop.
    pub fn process_ended(&mut self, id: ProcId, io: &mut Io) {
        let notify = self.procs.get_mut(id).and_then(|p| p.readiness.boxed_mut());
        if let Some(key) = notify.and_then(|r| r.notify.take()) {
            io.remove(key);
        }
        self.probes.forget(id, io);
        self.probes_stale.push(id);
    }

    /// Processes whose machine deadline has come.
    pub fn due(&mut self, now: Mono) -> Vec<ProcId> {
        if self.earliest_deadline().is_none_or(|d| d > now) {
            return Vec::new();
        }
        self.procs
            .iter()
            .filter(|(_, p)| p.machine.deadline().is_some_and(|d| d <= now))
            .map(|(id, _)| id)
            .collect()
    }

    /// The earliest machine deadline, scanning the processes only after a machine changed.
    pub fn earliest_deadline(&mut self) -> Option<Mono> {
        if let Some(d) = self.deadline {
            return d;
        }
        let d = self
            .procs
            .iter()
            .filter_map(|(_, p)| p.machine.deadline())
            .min();
        self.deadline = Some(d);
        d
    }
}

/// What a process wants probed now: its readiness check while STARTING with a pid, its
/// health check while RUNNING.
fn probe_want(p: &crate::daemon::procs::Proc) -> Option<Want> {
    let m = &p.machine;
    let sup = &p.cfg().supervision;
    let pid = m.pid()?;
    match m.state() {
        PState::Starting if m.awaits_readiness() => match &sup.ready {
            Ready::Check(check) => Some(Want {
                purpose: Purpose::Ready,
                pid,
                check: check.clone(),
                interval: sup.ready_interval,
                timeout: probes::READY_PROBE_TIMEOUT_SECS,
                first_at: m.laststart()?,
            }),
            _ => None,
        },
        PState::Running => {
            let h = sup.health.as_ref()?;
            Some(Want {
                purpose: Purpose::Health,
                pid,
                check: h.check.clone(),
                interval: h.interval,
                timeout: h.timeout,
                first_at: m.running_since()?.plus_secs(h.interval),
            })
        }
        _ => None,
    }
}

/// Sets `KEY=value` in a spawn plan's environment, replacing an inherited one.
fn set_env(envp: &mut Vec<std::ffi::CString>, key: &str, value: &str) {
    let prefix = format!("{key}=");
    envp.retain(|e| !e.as_bytes().starts_with(prefix.as_bytes()));
    if let Ok(c) = std::ffi::CString::new(format!("{key}={value}")) {
        envp.push(c);
    }
}

/// The outcome of an input whose actions fed the machine again: a nested failure wins over
/// a success, so the request that caused it hears of it.
fn merge(outer: Outcome, nested: Outcome) -> Outcome {
    match (outer, nested) {
        (Outcome::Ok | Outcome::Ignored, f @ Outcome::Failed(_)) => f,
        (outer, _) => outer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_failure_is_not_dropped() {
        let failed = Outcome::Failed("boom".into());
        assert_eq!(merge(Outcome::Ok, failed.clone()), failed);
        assert_eq!(merge(Outcome::Ignored, failed.clone()), failed);
        assert_eq!(merge(Outcome::Ok, Outcome::Ok), Outcome::Ok);
        assert_eq!(merge(Outcome::NotRunning, failed), Outcome::NotRunning);
    }
}
