//! The reactor: one poller ([`Io`]) watching the signal self-pipe, the control sockets and
//! every child's pipes. Each wake-up collects inputs, feeds them to the parts (the
//! [`Supervisor`]'s process machines and daemon machine, the [`Control`] waits, the event
//! [`Bus`]), and carries out the effects they return. The poll timeout is the time to the
//! earliest deadline of any part and infinite when none is due, so an idle daemon never
//! wakes.

use std::time::Duration;

use crate::config::model::{Config, ServerAddress};
use crate::daemon::bus::{self, Bus};
use crate::daemon::control::{Control, Incoming};
use crate::daemon::io::{Io, Key, Origin, Read, Source};
use crate::daemon::lifecycle::Effect as LifeEffect;
use crate::daemon::output::{self, ReadResult};
use crate::daemon::procs::{Proc, ProcId, Stream};
use crate::daemon::reload::{Reload, Reloader};
use crate::daemon::sd_notify::Notifier;
use crate::daemon::sockets::{self, Server};
use crate::daemon::startup::Launch;
use crate::daemon::state_file::Boot;
use crate::daemon::supervisor::{Cx, Supervisor};
use crate::daemon::waits::{Effect as WaitEffect, Wait};
use crate::events::types::{Event, Kind};
use crate::logfile::activity::Logger;
use crate::logfile::syslog::Syslog;
use crate::messages;
use crate::process::machine::{Input, Mood, Outcome};
use crate::sys;
use crate::sys::poller::Ready;
use crate::time::Mono;

/// Steps of a pure machine carried out per wake-up before the loop polls again; each step
/// either makes progress (a level stopped, a group added) or returns nothing, so this only
/// bounds a bug.
const STEPS_PER_WAKE: usize = 256;

/// Why the loop ended.
#[derive(Debug)]
pub enum Exit {
    /// SIGTERM/SIGINT/SIGQUIT or `shutdown`: everything is stopped; exit 0.
    Shutdown,
    /// SIGHUP or `reload`: everything is stopped; start again with this config and these
    /// control servers (the old ones handed over, new addresses bound before the reload was
    /// accepted).
    Restart(Box<Config>, Vec<Server>),
}

/// The running daemon: its parts and the config in force.
pub struct Daemon {
    pub(super) config: Config,
    pub(super) log: Logger,
    pub(super) io: Io,
    pub(super) sup: Supervisor,
    pub(super) control: Control,
    pub(super) bus: Bus,
    /// The reloader, the last `reread`'s config and a restart's.
    pub(super) reload: Reload,
    syslog: Syslog,
    /// What systemd is told (`$NOTIFY_SOCKET`).
    notify: Notifier,
    /// Restarts in place so far (`metrics`).
    reloads: u64,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("mood", &self.sup.lifecycle().mood())
            .finish()
    }
}

/// What `Daemon::into_parts` hands back across a restart.
#[derive(Debug)]
pub struct Kept {
    /// The poller with the signal pipe (control sockets closed).
    pub io: Io,
    /// The activity log.
    pub log: Logger,
    /// The spawn descriptors.
    pub low_fds: Option<sys::spawn::LowFds>,
    /// The pools' serial and tick clock.
    pub bus: Bus,
    /// The sd_notify socket and its policy (READY after a restart, the watchdog cadence).
    pub notify: Notifier,
    /// Restarts in place so far (SIGHUP, `reload`).
    pub reloads: u64,
    /// How the daemon was started, for `upgrade`.
    pub launch: Option<Launch>,
}

impl Daemon {
    /// Sets up the loop over the parts.
    pub fn new(config: Config, sup: Supervisor, kept: Kept, reloader: Reloader) -> Daemon {
        Daemon {
            config,
            log: kept.log,
            io: kept.io,
            sup,
            control: Control::default(),
            bus: kept.bus,
            reload: Reload::new(reloader, kept.launch),
            syslog: Syslog::new(),
            notify: kept.notify,
            reloads: kept.reloads,
        }
    }

    /// Restarts in place so far.
    pub(super) fn reloads(&self) -> u64 {
        self.reloads
    }

    /// Watches the control servers.
    pub fn serve(&mut self, servers: Vec<crate::daemon::sockets::Server>) -> std::io::Result<()> {
        self.control
            .add_servers(servers, self.config.supervisord.max_clients, &mut self.io)
    }

    /// Gives back what outlives a restart; closes the control sockets after a last flush of
    /// pending replies, and every child pipe.
    pub fn into_parts(mut self) -> Kept {
        self.control.close_all(&mut self.io);
        for key in self.io.keys_where(|s| !matches!(s, Source::Signals(_))) {
            self.io.remove(key);
        }
        Kept {
            io: self.io,
            log: self.log,
            low_fds: self.sup.into_low_fds(),
            bus: self.bus,
            notify: self.notify,
            reloads: self.reloads,
            launch: self.reload.take_launch(),
        }
    }

    /// Runs until shutdown or restart.
    pub fn run(&mut self) -> Exit {
        self.bus.start(&self.config.groups, &mut self.log);
        let now = Mono::now();
        // Children that exited while an upgrade exec'd are zombies no signal announced.
        self.reap(now);
        self.sup.load_wishes(&mut self.log);
        for id in self.sup.procs().start_order() {
            self.boot(id, now);
        }
        // Config loaded, control sockets bound, autostart programs spawned.
        self.notify.ready(&mut self.log);
        loop {
            let now = Mono::now();
            self.notify.fire(now, &mut self.log);
            for id in self.sup.due(now) {
                self.feed(id, Input::Deadline, now);
            }
            {
                let mut cx = Cx {
                    io: &mut self.io,
                    log: &mut self.log,
                    bus: &mut self.bus,
                };
                self.sup.run_probes(now, &mut cx);
            }
            self.read_batches(now);
            let _ = self
                .bus
                .fire_ticks(sys::wall_clock_ms() / 1000, &mut self.log);
            if let Some(exit) = self.step_lifecycle(now) {
                self.notify_status();
                self.pump_live();
                self.sup.save_wishes(&mut self.log);
                return exit;
            }
            self.after_wake(now);
            self.bus.dispatch(
                self.sup.procs_mut(),
                &mut self.io,
                &self.config.supervisord.identifier,
                &mut self.log,
            );
            self.notify_status();
            self.pump_live();
            // Once per wake-up, so `stop all` writes the state file once.
            self.sup.save_wishes(&mut self.log);
            let timeout = self.next_deadline().map(|d| d.since(Mono::now()));
            match self.io.wait(timeout) {
                Ok(ready) => {
                    for r in &ready {
                        self.dispatch(*r);
                    }
                    self.io.recycle(ready);
                }
                Err(e) => {
                    self.log.critical(&messages::poll_failed(&e));
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }

    /// `STATUS=` for systemd when a process changed state (never from a timer).
    fn notify_status(&mut self) {
        if self.sup.take_states_changed() {
            let states = self.sup.procs().iter().map(|(_, p)| p.machine.state());
            self.notify.status(states, &mut self.log);
        }
    }

    /// One readiness report, resolved to its source with one match.
    fn dispatch(&mut self, r: Ready) {
        let now = Mono::now();
        match self.io.get(r.key) {
            None => {}
            Some(Source::Signals(_)) => {
                for sig in self.io.signals() {
                    self.on_signal(sig, now);
                }
            }
            Some(Source::Server(_)) => self.control.accept(r.key, &mut self.io, now),
            Some(Source::Client(_)) => {
                if r.readable {
                    self.control.read(r.key, &mut self.io, now);
                }
                self.service_client(r.key, now);
            }
            Some(Source::Output(_)) => self.output_ready(r.key, now),
            Some(Source::ExecStatus { .. }) => {
                let _ = self.read_pipe(r.key, now);
            }
            Some(Source::Probe { .. }) => {
                let mut cx = Cx {
                    io: &mut self.io,
                    log: &mut self.log,
                    bus: &mut self.bus,
                };
                self.sup.probe_io(r.key, now, &mut cx);
            }
            Some(Source::Notify { .. }) => {
                let mut cx = Cx {
                    io: &mut self.io,
                    log: &mut self.log,
                    bus: &mut self.bus,
                };
                self.sup.notify_readable(r.key, now, &mut cx);
            }
            Some(Source::Stdin { proc, .. }) => {
                let proc = *proc;
                match self.sup.procs_mut().get_mut(proc) {
                    Some(p) if p.listener.is_some() => bus::write_listener(p, r.key, &mut self.io),
                    Some(p) => self.io.write_stdin(r.key, &mut p.stdin_out),
                    None => {}
                }
            }
        }
    }

    /// Control work after each wake-up: waiting requests, client timers, followed logs, and
    /// requests pipelined behind a finished one.
    fn after_wake(&mut self, now: Mono) {
        self.step_waits(now);
        self.control.fire_timers(now, &mut self.io);
        for key in self.control.idle() {
            self.service_client(key, now);
        }
    }

    /// Takes the client's complete requests and runs them, then flushes its output.
    pub(super) fn service_client(&mut self, key: Key, now: Mono) {
        while let Some(req) = self.control.next_request(key, now) {
            match req {
                Incoming::Text(req) => self.handle_request(key, req, now),
                #[cfg(feature = "xmlrpc")]
                Incoming::Http(req, authed) => self.http_request(key, req, authed, now),
            }
        }
        self.sup.save_wishes(&mut self.log);
        self.control.flush(key, &mut self.io);
    }

    // ----- the one read path ---------------------------------------------------------

    /// A readable output pipe: read now, unless it trickles and waits for the next batch.
    fn output_ready(&mut self, key: Key, now: Mono) {
        if !self.io.park_if_trickling(key, now) {
            let _ = self.read_pipe(key, now);
        }
    }

    /// Reads once from a pipe and delivers what it gave; returns the read's size (0 for
    /// nothing or a close).
    fn read_pipe(&mut self, key: Key, now: Mono) -> ReadResult {
        let result = match self.io.read(key) {
            Read::Data(origin, data) => {
                let n = data.len();
                let ready = deliver(
                    origin,
                    data,
                    &mut self.sup,
                    &mut self.bus,
                    &mut self.log,
                    &self.syslog,
                );
                self.io.note_read(key, n, now);
                if let Some((id, how)) = ready {
                    self.feed(id, Input::Ready { how }, now);
                }
                ReadResult::Data(n)
            }
            Read::Empty => ReadResult::Empty,
            Read::Closed(_) => ReadResult::Eof,
        };
        result
    }

    /// Reads every parked pipe whose time is up, all in this one wake-up. A pipe that still
    /// trickles stays parked for the next batch without touching the poll set (a read and a
    /// write per batch, nothing per line); one that went quiet, or filled up like a fast
    /// writer, goes back to the poll set and is read as soon as it is readable.
    fn read_batches(&mut self, now: Mono) {
        let due = self.io.due_batches(now);
        if due.is_empty() {
            return;
        }
        for key in due {
            let result = self.read_pipe(key, now);
            self.io.after_batch(key, &result, now);
        }
        self.io.reschedule_batches();
    }

    /// Reads everything already in the pipes of `proc` (the child is dead: whatever it wrote
    /// is in the pipe now), so its output is logged before its exit.
    fn drain(&mut self, proc: ProcId, now: Mono) {
        for key in self.io.pipes_of(proc) {
            // Bounded: a grandchild that keeps the pipe open and writes forever is left to
            // the normal loop after this many reads.
            for _ in 0..1024 {
                if !matches!(self.read_pipe(key, now), ReadResult::Data(_)) {
                    break;
                }
            }
        }
    }

    /// Closes the pipes of a process that is being removed, after reading what they hold.
    pub(super) fn close_pipes(&mut self, proc: ProcId) {
        self.drain(proc, Mono::now());
        for key in self.io.pipes_of(proc) {
            self.io.remove(key);
        }
        if let Some(key) = self.sup.procs().get(proc).and_then(|p| p.stdin) {
            self.io.remove(key);
        }
    }

    // ----- processes -------------------------------------------------------------------

    /// Starts `id` the way the state file and its `autostart` say (daemon start, group
    /// added).
    pub(super) fn boot(&mut self, id: ProcId, now: Mono) {
        match self.sup.boot(id) {
            Boot::Auto => {
                self.feed(id, Input::AutoStart, now);
            }
            Boot::Start => {
                self.feed(id, Input::Start, now);
            }
            Boot::Skip => {}
        }
    }

    /// Feeds one input to a process and carries out what it asks.
    pub(super) fn feed(&mut self, id: ProcId, input: Input, now: Mono) -> Outcome {
        let mut cx = Cx {
            io: &mut self.io,
            log: &mut self.log,
            bus: &mut self.bus,
        };
        self.sup.feed(id, input, now, &mut cx)
    }

    fn reap(&mut self, now: Mono) {
        for (pid, status) in sys::proc::reap() {
            let Some(id) = self.sup.procs_mut().take_pid(pid) else {
                let mut cx = Cx {
                    io: &mut self.io,
                    log: &mut self.log,
                    bus: &mut self.bus,
                };
                if !self.sup.probe_exited(pid, &status, now, &mut cx) {
                    self.log.info(&messages::reaped_unknown(pid, &status));
                }
                continue;
            };
            // What its pipes hold is read (bounded), then they are closed with its
            // exec-status pipe and stdin: a background grandchild that keeps them open is
            // not ours to read, and must not pin two descriptors per restart.
            self.drain(id, now);
            for key in self.io.pipes_of(id) {
                self.io.remove(key);
            }
            if let Some(p) = self.sup.procs_mut().get_mut(id) {
                p.counters.on_exit(status.code());
                self.bus.listener_exited(p, &mut self.io, &mut self.log);
                if let Some(key) = p.stdin.take() {
                    self.io.remove(key);
                }
                p.stdin_out = Vec::new();
                // Not running: no log descriptors (the next spawn opens them again).
                p.close_logs();
            }
            self.sup.release_fcgi(id, &mut self.log);
            self.sup.process_ended(id, &mut self.io);
            self.feed(id, Input::Exited { status }, now);
        }
    }

    /// Steps every waiting request and carries out its effects.
    pub(super) fn step_waits(&mut self, now: Mono) {
        let mut waits = self.control.take_waits();
        for w in waits.iter_mut() {
            self.run_wait(w, now);
        }
        self.control.restore_waits(waits);
    }

    /// Steps one wait until a step returns nothing.
    pub(super) fn run_wait(&mut self, w: &mut Wait, now: Mono) {
        let key = w.client();
        for _ in 0..STEPS_PER_WAKE {
            let effects = w.step(self.sup.procs(), now);
            if effects.is_empty() {
                return;
            }
            for e in effects {
                match e {
                    WaitEffect::Stop(id) => {
                        if let Outcome::Failed(msg) = self.feed(id, Input::Stop, now) {
                            w.stop_failed(id, &msg);
                        }
                    }
                    WaitEffect::Log(line) => self.log.info(&line),
                    WaitEffect::Line(line) => self.control.push_result(key, &line),
                    WaitEffect::AddGroup(name) => {
                        let Some(cfg) = w.config().cloned() else {
                            continue;
                        };
                        if let Some(g) = cfg.groups.iter().find(|g| g.name == name) {
                            self.add_group(&cfg, g, now);
                        }
                    }
                    WaitEffect::RemoveGroup(name) => self.remove_group(&name),
                    WaitEffect::ApplyMembers { group, changes, up } => {
                        if let Some(cfg) = w.config().cloned() {
                            self.apply_members(&cfg, &group, &changes, &up, now);
                        }
                    }
                    WaitEffect::Start(names) => self.begin_start(key, &names, now),
                    WaitEffect::Finish => self.finish(key, now),
                    #[cfg(feature = "xmlrpc")]
                    WaitEffect::Verdicts(v) => self.control.verdicts(key, self.sup.procs(), &v),
                    #[cfg(not(feature = "xmlrpc"))]
                    WaitEffect::Verdicts(_) => {}
                }
            }
        }
    }

    /// A wait's reply is complete; a multicall goes on with its next call.
    fn finish(&mut self, key: Key, now: Mono) {
        // A start or stop by hand is on disk before its reply leaves.
        self.sup.save_wishes(&mut self.log);
        #[cfg(feature = "xmlrpc")]
        if let Some(state) = self.control.take_multicall(key) {
            let _ = self.multicall_step(key, state, now);
            return;
        }
        let _ = now;
        self.control.finish(key, &mut self.io);
    }

    fn next_deadline(&mut self) -> Option<Mono> {
        let procs = self.sup.procs();
        let reports = self
            .control
            .waits()
            .iter()
            .filter_map(|w| w.next_report(procs))
            .min();
        let now = Mono::now();
        let tick = self.bus.next_tick(sys::wall_clock_ms(), now);
        self.sup
            .earliest_deadline()
            .into_iter()
            .chain(self.sup.lifecycle().deadline())
            .chain(reports)
            .chain(self.io.batch_due())
            .chain(self.control.next_deadline())
            .chain(tick)
            .chain(self.notify.deadline())
            .chain(self.sup.probe_deadline())
            .min()
    }

    // ----- signals, shutdown, restart ---------------------------------------------------

    fn on_signal(&mut self, sig: i32, now: Mono) {
        match sig {
            libc::SIGTERM | libc::SIGINT | libc::SIGQUIT => {
                self.log.warn(&messages::received_exit_request(sig));
                self.stop_all(Mood::ShuttingDown, now);
            }
            libc::SIGHUP => {
                if self.sup.lifecycle().mood() == Mood::ShuttingDown {
                    self.log.warn(&messages::ignored_restart_request(sig));
                    return;
                }
                self.log.warn(&messages::received_restart_request(sig));
                let _ = self.request_restart(now);
            }
            libc::SIGUSR2 => {
                self.log.info(&messages::received_log_reopen_request(sig));
                self.reopen_logs();
                self.log.info(messages::LOGREOPEN);
            }
            libc::SIGCHLD => {
                self.reap(now);
                self.log.debug(&messages::received_child_quit(sig));
            }
            _ => {}
        }
    }

    /// Re-reads the config; on success stops everything and restarts with it, on failure
    /// keeps running the current config (the reference dies here). The control sockets
    /// the new config adds are bound first: a config whose sockets cannot be bound is
    /// refused like any other broken config, and the old sockets keep serving. An address
    /// the daemon already serves is handed over at the restart, never bound twice.
    pub(super) fn request_restart(&mut self, now: Mono) -> Result<(), String> {
        let cfg = match self.reload.read() {
            Ok(cfg) => cfg,
            Err(e) => {
                self.log.error(&messages::reload_failed(&e));
                return Err(e);
            }
        };
        // A restart already under way keeps its config if this one is refused.
        let (old_cfg, mut old_bound) = match self.reload.take_pending() {
            Some((c, b)) => (Some(c), b),
            None => (None, Vec::new()),
        };
        let serving = self.serving();
        let mut bound = Vec::new();
        let mut fresh = Vec::new();
        for s in &cfg.servers {
            if serving.iter().any(|a| same_address(a, &s.address)) {
                continue;
            }
            match old_bound
                .iter()
                .position(|b| same_address(&b.cfg.address, &s.address))
            {
                Some(i) => bound.push(old_bound.swap_remove(i)),
                None => fresh.push(s.clone()),
            }
        }
        match sockets::open_servers(&fresh) {
            Ok(b) => bound.extend(b),
            Err(e) => {
                let e = format!("could not open the control sockets: {e}");
                self.log.error(&messages::reload_failed(&e));
                old_bound.extend(bound);
                if let Some(c) = old_cfg {
                    self.reload.set_pending(c, old_bound);
                } else {
                    for s in old_bound {
                        s.close();
                    }
                }
                return Err(e);
            }
        }
        for s in old_bound {
            s.close();
        }
        self.reload.set_pending(cfg, bound);
        if self.sup.lifecycle().mood() != Mood::ShuttingDown {
            self.notify.reloading(&mut self.log);
        }
        self.stop_all(Mood::Restarting, now);
        Ok(())
    }

    /// The addresses of the control servers being served.
    fn serving(&self) -> Vec<ServerAddress> {
        let keys = self.io.keys_where(|s| matches!(s, Source::Server(_)));
        keys.iter()
            .filter_map(|k| match self.io.get(*k) {
                Some(Source::Server(s)) => Some(s.cfg.address.clone()),
                _ => None,
            })
            .collect()
    }

    /// The control servers of `cfg` for a restart: the ones bound in advance, the old ones
    /// for an address that stays (taken out of the poller, so closing the old servers does
    /// not remove them), and, should one be missing, a fresh bind.
    fn restart_servers(&mut self, cfg: &Config, mut bound: Vec<Server>) -> Vec<Server> {
        let mut out = Vec::new();
        for s in &cfg.servers {
            if let Some(i) = bound
                .iter()
                .position(|b| same_address(&b.cfg.address, &s.address))
            {
                out.push(bound.swap_remove(i));
                continue;
            }
            let old = self.io.keys_where(
                |src| matches!(src, Source::Server(o) if same_address(&o.cfg.address, &s.address)),
            );
            if let Some(Source::Server(mut o)) = old.first().and_then(|k| self.io.take(*k)) {
                if let ServerAddress::Unix { file, chmod, .. } = &s.address {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::Permissions::from_mode(*chmod);
                    let _ = std::fs::set_permissions(file, mode);
                }
                o.cfg = s.clone();
                out.push(*o);
                continue;
            }
            match sockets::open_servers(std::slice::from_ref(s)) {
                Ok(b) => out.extend(b),
                Err(e) => self
                    .log
                    .critical(&format!("could not open the control sockets: {e}")),
            }
        }
        for s in bound {
            s.close();
        }
        out
    }

    /// SIGUSR2: reopens the activity log and every child log.
    fn reopen_logs(&mut self) {
        self.log.reopen();
        for id in self.sup.procs().ids() {
            // A process that is not running has its logs closed; they open again by path.
            if let Some(p) = self
                .sup
                .procs_mut()
                .get_mut(id)
                .filter(|p| p.machine.pid().is_some())
            {
                for log in p.logs.iter_mut() {
                    if let Some(f) = log.file.as_mut() {
                        let _ = f.reopen();
                    }
                }
            }
        }
    }

    /// Starts stopping everything, level by level in descending priority.
    pub(super) fn stop_all(&mut self, goal: Mood, now: Mono) {
        if goal == Mood::ShuttingDown {
            self.notify.stopping(&mut self.log);
        }
        let (life, procs) = self.sup.lifecycle_mut();
        let effects = life.stop(goal, procs, now);
        self.life_effects(effects, now);
    }

    /// Drives the daemon machine; the exit once everything is stopped.
    fn step_lifecycle(&mut self, now: Mono) -> Option<Exit> {
        for _ in 0..STEPS_PER_WAKE {
            let (life, procs) = self.sup.lifecycle_mut();
            let effects = life.step(procs, now);
            if effects.is_empty() {
                return None;
            }
            if let Some(exit) = self.life_effects(effects, now) {
                return Some(exit);
            }
        }
        None
    }

    fn life_effects(&mut self, effects: Vec<LifeEffect>, now: Mono) -> Option<Exit> {
        for e in effects {
            match e {
                LifeEffect::LeaveRunning => self.bus.emit(Event::supervisor(false), &mut self.log),
                LifeEffect::Mood(mood) => {
                    for id in self.sup.procs().ids() {
                        self.feed(id, Input::Mood(mood), now);
                    }
                }
                LifeEffect::Shutdown(ids) => {
                    for id in ids {
                        self.feed(id, Input::Shutdown, now);
                    }
                }
                LifeEffect::Log(line) => self.log.info(&line),
                LifeEffect::Done(mood) => {
                    for id in self.sup.procs().ids() {
                        self.drain(id, now);
                    }
                    return Some(match (mood, self.reload.take_pending()) {
                        (Mood::Restarting, Some((cfg, bound))) => {
                            let servers = self.restart_servers(&cfg, bound);
                            Exit::Restart(Box::new(cfg), servers)
                        }
                        (_, pending) => {
                            for s in pending.into_iter().flat_map(|(_, b)| b) {
                                s.close();
                            }
                            Exit::Shutdown
                        }
                    });
                }
            }
        }
        None
    }
}

/// Whether two control-server addresses are the same socket (a unix path, or a host and
/// port), whatever their other settings.
/// `ready=log:REGEX`: whether this output completes a matching line (while the process
/// waits for readiness).
fn ready_line(p: &mut Proc, stream: Stream, data: &[u8]) -> Option<String> {
    if !p.machine.awaits_readiness() {
        return None;
    }
    let crate::config::model::Ready::Log(pattern) = &p.machine.config().supervision.ready else {
        return None;
    };
    let partial = &mut p.readiness.ready_lines[stream as usize];
    pattern
        .scan(partial, data)
        .then(|| format!("log:{} matched {}", pattern.source(), stream.name()))
}

fn same_address(a: &ServerAddress, b: &ServerAddress) -> bool {
    match (a, b) {
        (ServerAddress::Unix { file: f, .. }, ServerAddress::Unix { file: g, .. }) => f == g,
        (ServerAddress::Inet { host: h, port: p }, ServerAddress::Inet { host: i, port: q }) => {
            h == i && p == q
        }
        _ => false,
    }
}

/// Hands bytes read from a pipe to where they go: a child's output to its logs (a
/// listener's stdout to its protocol), raising the events that asks for; an exec-status
/// report to the activity log. A line that makes a `ready=log:` process ready is returned,
/// for the caller to feed.
fn deliver(
    origin: Origin,
    data: &[u8],
    sup: &mut Supervisor,
    bus: &mut Bus,
    log: &mut Logger,
    syslog: &Syslog,
) -> Option<(ProcId, String)> {
    match origin {
        Origin::ExecStatus(id) => {
            let (stage, errno) = sys::spawn::decode_status(data)?;
            let name = sup
                .procs()
                .get(id)
                .map(|p| p.machine.name().to_string())
                .unwrap_or_default();
            log.debug(&messages::failed_before_exec(
                &name,
                stage.name(),
                sys::errno_name(errno),
            ));
            None
        }
        Origin::Output(id, stream) => {
            let p = sup.procs_mut().get_mut(id)?;
            if stream == Stream::Stdout && p.listener.is_some() {
                bus.listener_output(p, data, log);
                return None;
            }
            let log_events = bus.wants(Kind::ProcessLog(stream));
            for e in output::deliver(p, stream, data, log, syslog, log_events) {
                bus.emit(e, log);
            }
            ready_line(p, stream, data).map(|how| (id, how))
        }
    }
}
