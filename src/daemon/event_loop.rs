//! The loop: one poller watching the signal self-pipe and every child's output pipes (and,
//! through `control`, the control sockets). Each wake-up collects inputs, feeds them to the
//! process state machines, and carries out the actions they return. Timers are the machines'
//! own deadlines plus the shutdown progress line; the poll timeout is the time to the earliest
//! one and infinite when none is due, so an idle daemon never wakes.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use crate::config::model::Config;
use crate::daemon::commands::{Wait, FOLLOW_POLL_MS};
use crate::daemon::control::Control;
use crate::daemon::fcgi::FcgiSockets;
use crate::daemon::output::{self, Channel, ReadResult, READ_CHUNK};
use crate::daemon::procs::{Procs, SlotId, Stream};
use crate::daemon::signals::SignalPipe;
use crate::daemon::sockets::Server;
use crate::events::pool::Bus;
use crate::events::types::{Event, Kind};
use crate::logfile::activity::Logger;
use crate::logfile::syslog::Syslog;
use crate::messages;
use crate::process::machine::{Action, Input, Mood, Outcome};
use crate::process::order::{self, Step, StopSequencer};
use crate::process::spawn::{build_plan, SpawnContext};
use crate::process::state::State;
use crate::sys;
use crate::sys::poller::{Interest, Reactor, Ready};
use crate::time::Mono;

/// Poll key of the signal self-pipe.
const SIGNAL_KEY: usize = 0;
/// Keys below this are reserved for fixed sources (signal pipe, control listeners).
pub const FIRST_DYNAMIC_KEY: usize = 1 << 20;
/// How often shutdown says which processes it is still waiting for.
const WAIT_LOG_SECS: u64 = 3;

/// Why the loop ended.
#[derive(Debug)]
pub enum Exit {
    /// SIGTERM/SIGINT/SIGQUIT or `shutdown`: everything is stopped; exit 0.
    Shutdown,
    /// SIGHUP or `reload`: everything is stopped; start again with this config.
    Restart(Box<Config>),
}

/// What the daemon is doing overall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonMood {
    /// Supervising.
    Running,
    /// Stopping everything, then exiting.
    Shutdown,
    /// Stopping everything, then restarting with a new config.
    Restart,
}

/// Who the daemon is, for the spawn-time permission checks.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Effective uid.
    pub euid: u32,
    /// Effective gid.
    pub egid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

/// Reloads the configuration for SIGHUP/`reload`. Supplied by `daemon::run`.
pub type Reloader = Box<dyn FnMut() -> Result<Config, String>>;

/// The running daemon.
pub struct Daemon {
    /// The configuration in force.
    pub config: Config,
    /// The activity log.
    pub logger: Logger,
    /// The processes.
    pub procs: Procs,
    /// What the daemon is doing.
    pub mood: DaemonMood,
    pub(crate) reactor: Reactor,
    signals: SignalPipe,
    /// Low descriptor slots that keep a spawn's cost independent of our open descriptors.
    slots: Option<sys::spawn::LowSlots>,
    /// The earliest deadline of any process machine; `None` when a machine may have changed
    /// since it was computed. Kept so that a wake-up (a chatty child's pipe) costs nothing
    /// per idle program.
    proc_deadline: Option<Option<Mono>>,
    /// When the parked pipes are next read (the earliest `parked_until`), for the same reason.
    batch_due: Option<Mono>,
    syslog: Syslog,
    channels: HashMap<usize, Channel>,
    /// Status pipes of children that have not exec'd yet.
    exec_watch: HashMap<usize, (SlotId, File)>,
    pub(crate) next_key: usize,
    stopper: Option<StopSequencer<SlotId>>,
    next_wait_log: Option<Mono>,
    pending_config: Option<Config>,
    pub(crate) reloader: Reloader,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) identity: Identity,
    buf: Vec<u8>,
    ready: Vec<Ready>,
    /// Control sockets and clients.
    pub(crate) control: Control,
    /// Requests waiting for processes.
    pub(crate) waits: Vec<Wait>,
    /// The config of the last `reread` (what `add` and `avail` see).
    pub(crate) loaded: Option<Config>,
    /// When followed log files are next checked.
    next_follow: Option<Mono>,
    /// Listener pools, the global event serial (kept across reloads) and the tick clock.
    pub(crate) bus: Bus,
    /// Listener stdins waiting for room: (poll key, slot). Rarely more than a few.
    pub(crate) stdin_watch: Vec<(usize, SlotId)>,
    /// The sockets of `[fcgi-program:x]` groups.
    pub fcgi: FcgiSockets,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon").field("mood", &self.mood).finish()
    }
}

impl Daemon {
    /// Sets up the loop for `config`. The logger is already open; `procs` built. The last
    /// three come back from [`Daemon::into_parts`] across a reload.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Config,
        logger: Logger,
        procs: Procs,
        signals: SignalPipe,
        servers: Vec<Server>,
        reloader: Reloader,
        slots: Option<sys::spawn::LowSlots>,
        bus: Bus,
    ) -> std::io::Result<Daemon> {
        let reactor = Reactor::new()?;
        reactor.watch(signals.fd(), SIGNAL_KEY, Interest::READ)?;
        let control = Control::new(servers, &reactor)?;
        Ok(Daemon {
            control,
            waits: Vec::new(),
            loaded: None,
            next_follow: None,
            config,
            logger,
            procs,
            mood: DaemonMood::Running,
            reactor,
            signals,
            slots,
            proc_deadline: None,
            batch_due: None,
            syslog: Syslog::new(),
            channels: HashMap::new(),
            exec_watch: HashMap::new(),
            next_key: FIRST_DYNAMIC_KEY,
            stopper: None,
            next_wait_log: None,
            pending_config: None,
            reloader,
            env: std::env::vars().collect(),
            identity: Identity {
                euid: sys::proc::geteuid(),
                egid: sys::proc::getegid(),
                groups: Vec::new(),
            },
            buf: vec![0; READ_CHUNK],
            ready: Vec::new(),
            bus,
            stdin_watch: Vec::new(),
            fcgi: FcgiSockets::default(),
        })
    }

    /// Gives the signal pipe, the logger, the spawn slots and the event bus back (they
    /// outlive a restart); closes the control sockets after a last flush of pending replies.
    pub fn into_parts(mut self) -> (SignalPipe, Logger, Option<sys::spawn::LowSlots>, Bus) {
        self.control.close_all(&self.reactor);
        self.reactor.unwatch(self.signals.fd());
        for (_, ch) in self.channels.drain() {
            self.reactor.unwatch(ch.file.as_fd());
        }
        for (_, (_, f)) in self.exec_watch.drain() {
            self.reactor.unwatch(f.as_fd());
        }
        (self.signals, self.logger, self.slots, self.bus)
    }

    /// Runs until shutdown or restart.
    pub fn run(&mut self) -> Exit {
        self.start_events();
        let now = Mono::now();
        self.autostart(now);
        loop {
            let now = Mono::now();
            self.fire_deadlines(now);
            self.unpark_channels(now);
            self.fire_ticks();
            if let Some(exit) = self.advance_stop(now) {
                return exit;
            }
            self.after_wake();
            self.dispatch_events();
            let timeout = self.next_deadline().map(|d| d.since(Mono::now()));
            let mut ready = std::mem::take(&mut self.ready);
            ready.clear();
            if let Err(e) = self.reactor.wait(timeout, &mut ready) {
                self.logger.critical(&format!("poll failed: {e}"));
                std::thread::sleep(Duration::from_millis(100));
            }
            for r in &ready {
                self.dispatch(*r);
            }
            self.ready = ready;
        }
    }

    fn dispatch(&mut self, r: Ready) {
        let now = Mono::now();
        if r.key == SIGNAL_KEY {
            for sig in self.signals.pending() {
                self.on_signal(sig);
            }
        } else if self.channels.contains_key(&r.key) {
            self.read_channel(r.key);
        } else if self.exec_watch.contains_key(&r.key) {
            self.read_exec_status(r.key);
        } else if self.stdin_watch.iter().any(|(k, _)| *k == r.key) {
            self.write_listener(r.key);
        } else if let Some(idx) = self.control.listener_index(r.key) {
            self.control
                .accept(idx, &self.reactor, &mut self.next_key, now);
        } else if self.control.clients.contains_key(&r.key) {
            if r.readable {
                self.control.read_client(r.key, now);
            }
            self.service_client(r.key, now);
        }
    }

    /// Control work after each wake-up: waiting requests, client timers, followed logs, and
    /// requests pipelined behind a finished one.
    fn after_wake(&mut self) {
        let now = Mono::now();
        if !self.waits.is_empty() {
            self.check_waits(now);
        }
        self.control.fire_timers(now, &self.reactor);
        if self.following() {
            if self.next_follow.is_none_or(|t| t <= now) {
                self.pump_follows();
                self.next_follow = Some(now.plus(Duration::from_millis(FOLLOW_POLL_MS)));
            }
        } else {
            self.next_follow = None;
        }
        let idle: Vec<usize> = self
            .control
            .clients
            .iter()
            .filter(|(_, c)| !c.conn.in_flight())
            .map(|(k, _)| *k)
            .collect();
        for key in idle {
            self.service_client(key, now);
        }
    }

    /// Takes the client's complete requests and runs them, then flushes its output.
    fn service_client(&mut self, key: usize, now: Mono) {
        loop {
            let req = match self.control.clients.get_mut(&key) {
                Some(c) => c.conn.next_request(now),
                None => return,
            };
            match req {
                Some(r) => self.handle_request(key, r, now),
                None => break,
            }
        }
        self.control.flush_client(key, &self.reactor);
    }

    /// Closes the output pipes of a slot that is being removed.
    pub(crate) fn close_slot_channels(&mut self, slot: SlotId) {
        self.drain_slot(slot);
        for k in self.slot_channel_keys(slot) {
            self.close_channel(k);
        }
    }

    // ----- processes -------------------------------------------------------------------

    /// Ids in ascending start order.
    pub fn start_order(&self) -> Vec<SlotId> {
        order::start_order(&self.procs.order_entries(None))
    }

    /// Stop levels (descending priority) of every process, or of `only`.
    pub(crate) fn stop_levels(&self, only: Option<&[SlotId]>) -> Vec<Vec<SlotId>> {
        order::stop_levels(&self.procs.order_entries(only))
    }

    fn autostart(&mut self, now: Mono) {
        for id in self.start_order() {
            self.feed(id, Input::AutoStart, now);
        }
    }

    /// Feeds one input to a process and carries out the resulting actions.
    pub fn feed(&mut self, id: SlotId, input: Input, now: Mono) -> Outcome {
        let mut actions = Vec::new();
        let outcome = match self.procs.get_mut(id) {
            Some(slot) => slot.machine.on(input, now, &mut actions),
            None => return Outcome::Ignored,
        };
        self.proc_deadline = None;
        for a in actions {
            self.execute(id, a, now);
        }
        outcome
    }

    fn execute(&mut self, id: SlotId, action: Action, now: Mono) {
        match action {
            Action::Spawn => self.spawn(id, now),
            Action::Kill { pid, signal, group } => {
                let res = if group {
                    sys::proc::killpg(pid, signal)
                } else {
                    sys::proc::kill(pid, signal)
                };
                if let Err(e) = res {
                    let errno_name = sys::errno_name(e.raw_os_error().unwrap_or(0)).to_string();
                    self.feed(id, Input::KillFailed { errno_name }, now);
                }
            }
            Action::Log { level, message } => self.logger.log(level, &message),
            Action::StateChanged {
                from,
                to,
                expected,
                pid,
                tries,
            } => {
                if to.is_stopped() || to == State::Backoff {
                    if let Some(slot) = self.procs.get_mut(id) {
                        if slot.machine.laststop().is_some() {
                            slot.stop_wall_ms = Some(sys::wall_clock_ms());
                        }
                    }
                }
                self.emit_state(id, from, to, expected, pid, tries);
            }
        }
    }

    fn spawn(&mut self, id: SlotId, now: Mono) {
        let Some(cfg) = self.procs.get(id).map(|s| s.cfg().clone()) else {
            return;
        };
        let ctx = self.spawn_context();
        let mut plan = match build_plan(&cfg, &ctx) {
            Ok(p) => p,
            Err(message) => {
                self.feed(id, Input::SpawnFailed { message }, now);
                return;
            }
        };
        let mut lines = Vec::new();
        let socket = match self.procs.get(id) {
            Some(s) => self.fcgi.acquire(&s.group, id, &mut lines),
            None => None,
        };
        for l in lines {
            self.logger.info(&l);
        }
        match socket {
            Some(Ok(fd)) => plan.stdin_fd = Some(fd),
            Some(Err(message)) => {
                self.release_fcgi(id);
                self.feed(id, Input::SpawnFailed { message }, now);
                return;
            }
            None => {}
        }
        let Some(slot) = self.procs.get_mut(id) else {
            return;
        };
        for (level, msg) in output::open_logs(slot) {
            self.logger.log(level, &msg);
        }
        let started = match self.slots.as_mut() {
            Some(slots) => sys::spawn::spawn_with_slots(&plan, &cfg.name, slots),
            None => sys::spawn::spawn_nowait(&plan, &cfg.name),
        };
        let child = match started {
            Ok(c) => c,
            Err(e) => {
                self.release_fcgi(id);
                self.feed(
                    id,
                    Input::SpawnFailed {
                        message: e.message(),
                    },
                    now,
                );
                return;
            }
        };
        let pid = child.pid;
        if let Some(status) = child.exec_status {
            self.watch_exec(status, id);
        }
        self.watch_channel(child.stdout, id, Stream::Stdout);
        if let Some(err) = child.stderr {
            self.watch_channel(err, id, Stream::Stderr);
        }
        if let Some(slot) = self.procs.get_mut(id) {
            slot.stdin = child.stdin.map(File::from);
            slot.start_wall_ms = Some(sys::wall_clock_ms());
        }
        self.listener_spawned(id);
        self.procs.set_pid(id, pid);
        self.feed(id, Input::Spawned { pid }, now);
    }

    /// A process no longer holds its group's fcgi socket (it exited, or did not start).
    fn release_fcgi(&mut self, id: SlotId) {
        let Some(slot) = self.procs.get(id) else {
            return;
        };
        let mut lines = Vec::new();
        self.fcgi.release(&slot.group, id, &mut lines);
        for l in lines {
            self.logger.info(&l);
        }
    }

    /// What spawn planning needs to know about the daemon.
    pub(crate) fn spawn_context(&self) -> SpawnContext<'_> {
        SpawnContext {
            daemon_env: &self.env,
            serverurl: self.config.serverurl.as_deref(),
            euid: self.identity.euid,
            egid: self.identity.egid,
            daemon_groups: &self.identity.groups,
        }
    }

    fn watch_channel(&mut self, fd: OwnedFd, slot: SlotId, stream: Stream) {
        let key = self.next_key;
        self.next_key += 1;
        let file = File::from(fd);
        if let Err(e) = self.reactor.watch(file.as_fd(), key, Interest::READ) {
            self.logger
                .critical(&format!("cannot watch {} pipe: {e}", stream.name()));
            return;
        }
        let mut ch = Channel::new(file, slot, stream);
        ch.protocol =
            stream == Stream::Stdout && self.procs.get(slot).is_some_and(|s| s.listener.is_some());
        self.channels.insert(key, ch);
    }

    /// Watches a child's close-on-exec status pipe: EOF means it exec'd; otherwise the child
    /// reports the step that failed (it also wrote the reference's line to its stderr).
    fn watch_exec(&mut self, fd: OwnedFd, slot: SlotId) {
        let key = self.next_key;
        self.next_key += 1;
        let file = File::from(fd);
        if self
            .reactor
            .watch(file.as_fd(), key, Interest::READ)
            .is_ok()
        {
            self.exec_watch.insert(key, (slot, file));
        }
    }

    fn read_exec_status(&mut self, key: usize) {
        let Some((slot, file)) = self.exec_watch.get(&key) else {
            return;
        };
        let mut buf = [0u8; 8];
        let n = match (&*file).read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Ok(n) => n,
            Err(_) => 0,
        };
        if let Some((stage, errno)) = sys::spawn::decode_status(&buf[..n]) {
            let name = self
                .procs
                .get(*slot)
                .map(|s| s.machine.name().to_string())
                .unwrap_or_default();
            self.logger.debug(&format!(
                "'{name}' failed before exec at {}: {}",
                stage.name(),
                sys::errno_name(errno)
            ));
        }
        if let Some((_, file)) = self.exec_watch.remove(&key) {
            self.reactor.unwatch(file.as_fd());
        }
    }

    fn read_channel(&mut self, key: usize) {
        let now = Mono::now();
        let Some(ch) = self.channels.get_mut(&key) else {
            return;
        };
        if ch.parked_until.is_none()
            && ch.should_park(now)
            && self
                .reactor
                .modify(ch.file.as_fd(), key, Interest::NONE)
                .is_ok()
        {
            let due = output::next_batch(now);
            ch.parked_until = Some(due);
            self.batch_due = Some(self.batch_due.map_or(due, |t| t.min(due)));
            return;
        }
        match output::read_once(&ch.file, &mut self.buf) {
            ReadResult::Data(n) => {
                ch.last_read = now;
                ch.last_len = n;
                ch.note_read(n);
                let (slot, stream) = (ch.slot, ch.stream);
                self.deliver(slot, stream, n);
            }
            ReadResult::Empty => {}
            ReadResult::Eof => self.close_channel(key),
        }
    }

    /// Reads every parked pipe whose time is up, all in this one wake-up. A pipe that still
    /// trickles stays parked for the next batch without touching the poll set (a read and a
    /// write per batch, nothing per line); one that went quiet, or filled up like a fast
    /// writer, goes back to the poll set and is read as soon as it is readable.
    fn unpark_channels(&mut self, now: Mono) {
        if self.batch_due.is_none_or(|t| t > now) {
            return;
        }
        let due: Vec<usize> = self
            .channels
            .iter()
            .filter(|(_, c)| c.parked_until.is_some_and(|t| t <= now))
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            let Some(ch) = self.channels.get_mut(&key) else {
                continue;
            };
            let result = output::read_once(&ch.file, &mut self.buf);
            let stay = ch.after_batch(&result, now);
            if stay {
                ch.parked_until = Some(output::next_batch(now));
            } else {
                ch.parked_until = None;
                let _ = self.reactor.modify(ch.file.as_fd(), key, Interest::READ);
            }
            match result {
                ReadResult::Data(n) => {
                    let (slot, stream) = (ch.slot, ch.stream);
                    self.deliver(slot, stream, n);
                }
                ReadResult::Empty => {}
                ReadResult::Eof => self.close_channel(key),
            }
        }
        self.batch_due = self.channels.values().filter_map(|c| c.parked_until).min();
    }

    /// Hands the first `n` bytes of the read buffer to the slot's logs (a listener's stdout
    /// to its protocol), and raises the events that asks for.
    fn deliver(&mut self, slot: SlotId, stream: Stream, n: usize) {
        let Some(s) = self.procs.get_mut(slot) else {
            return;
        };
        if stream == Stream::Stdout && s.listener.is_some() {
            let data = std::mem::take(&mut self.buf);
            self.listener_output(slot, &data[..n]);
            self.buf = data;
            return;
        }
        let log_events = self.bus.wants(Kind::ProcessLog(stream.channel()));
        let events = output::deliver(
            s,
            stream,
            &self.buf[..n],
            &mut self.logger,
            &self.syslog,
            log_events,
        );
        for e in events {
            self.emit(e);
        }
    }

    fn close_channel(&mut self, key: usize) {
        if let Some(ch) = self.channels.remove(&key) {
            self.reactor.unwatch(ch.file.as_fd());
        }
    }

    /// Poll keys of the output pipes of `slot`.
    fn slot_channel_keys(&self, slot: SlotId) -> Vec<usize> {
        self.channels
            .iter()
            .filter(|(_, c)| c.slot == slot)
            .map(|(k, _)| *k)
            .collect()
    }

    /// Reads everything already in the pipes of `slot` (the child is dead: whatever it wrote
    /// is in the pipe now), so its output is logged before its exit.
    fn drain_slot(&mut self, slot: SlotId) {
        for key in self.slot_channel_keys(slot) {
            // Bounded: a grandchild that keeps the pipe open and writes forever is left to
            // the normal loop after this many reads.
            for _ in 0..1024 {
                let Some(ch) = self.channels.get(&key) else {
                    break;
                };
                match output::read_once(&ch.file, &mut self.buf) {
                    ReadResult::Data(n) => {
                        let stream = ch.stream;
                        self.deliver(slot, stream, n);
                    }
                    ReadResult::Empty => break,
                    ReadResult::Eof => {
                        self.close_channel(key);
                        break;
                    }
                }
            }
        }
    }

    /// Drains every pipe (at shutdown, so no byte is lost).
    fn drain_all(&mut self) {
        for id in self.procs.ids() {
            self.drain_slot(id);
        }
    }

    fn reap(&mut self, now: Mono) {
        for (pid, status) in sys::proc::reap() {
            match self.procs.take_pid(pid) {
                Some(id) => {
                    self.drain_slot(id);
                    self.listener_exited(id);
                    self.release_fcgi(id);
                    if let Some(slot) = self.procs.get_mut(id) {
                        slot.stdin = None;
                    }
                    self.feed(id, Input::Exited { status }, now);
                }
                None => self.logger.info(&messages::reaped_unknown(pid, &status)),
            }
        }
    }

    fn fire_deadlines(&mut self, now: Mono) {
        if self.earliest_proc_deadline().is_none_or(|d| d > now) {
            return;
        }
        let due: Vec<SlotId> = self
            .procs
            .iter()
            .filter(|(_, s)| s.machine.deadline().is_some_and(|d| d <= now))
            .map(|(id, _)| id)
            .collect();
        for id in due {
            self.feed(id, Input::Deadline, now);
        }
    }

    /// The earliest machine deadline, scanning the processes only after a machine changed.
    fn earliest_proc_deadline(&mut self) -> Option<Mono> {
        if let Some(d) = self.proc_deadline {
            return d;
        }
        let d = self
            .procs
            .iter()
            .filter_map(|(_, s)| s.machine.deadline())
            .min();
        self.proc_deadline = Some(d);
        d
    }

    /// Processes were added or removed: their deadlines must be looked at again.
    pub(crate) fn procs_changed(&mut self) {
        self.proc_deadline = None;
    }

    fn next_deadline(&mut self) -> Option<Mono> {
        self.earliest_proc_deadline()
            .into_iter()
            .chain(self.next_wait_log)
            .chain(self.next_stop_report())
            .chain(self.batch_due)
            .chain(self.control.next_deadline())
            .chain(self.next_follow)
            .chain(self.next_tick())
            .min()
    }

    // ----- signals, shutdown, restart ---------------------------------------------------

    fn on_signal(&mut self, sig: i32) {
        let now = Mono::now();
        match sig {
            libc::SIGTERM | libc::SIGINT | libc::SIGQUIT => {
                self.logger.warn(&messages::received_exit_request(sig));
                self.begin_stop(DaemonMood::Shutdown, now);
            }
            libc::SIGHUP => {
                if self.mood == DaemonMood::Shutdown {
                    self.logger.warn(&messages::ignored_restart_request(sig));
                    return;
                }
                self.logger.warn(&messages::received_restart_request(sig));
                let _ = self.request_restart(now);
            }
            libc::SIGUSR2 => {
                self.logger
                    .info(&messages::received_log_reopen_request(sig));
                self.reopen_logs();
                self.logger.info("supervisord logreopen");
            }
            libc::SIGCHLD => {
                self.reap(now);
                self.logger.debug(&messages::received_child_quit(sig));
            }
            _ => {}
        }
    }

    /// Re-reads the config; on success stops everything and restarts with it, on failure
    /// keeps running the current config (the reference dies here).
    pub fn request_restart(&mut self, now: Mono) -> Result<(), String> {
        match (self.reloader)() {
            Ok(cfg) => {
                self.pending_config = Some(cfg);
                self.begin_stop(DaemonMood::Restart, now);
                Ok(())
            }
            Err(e) => {
                self.logger.error(&format!(
                    "could not reload the configuration, keeping the current one: {e}"
                ));
                Err(e)
            }
        }
    }

    /// SIGUSR2: reopens the activity log and every child log.
    pub fn reopen_logs(&mut self) {
        self.logger.reopen();
        for id in self.procs.ids() {
            if let Some(slot) = self.procs.get_mut(id) {
                for log in slot.logs.iter_mut() {
                    if let Some(f) = log.file.as_mut() {
                        let _ = f.reopen();
                    }
                }
            }
        }
    }

    /// Starts stopping everything, level by level in descending priority.
    pub fn begin_stop(&mut self, mood: DaemonMood, now: Mono) {
        if self.mood == DaemonMood::Shutdown {
            return;
        }
        if self.mood == DaemonMood::Running {
            self.emit(Event::supervisor(false));
        }
        self.mood = mood;
        for id in self.procs.ids() {
            self.feed(id, Input::Mood(Mood::ShuttingDown), now);
        }
        self.stopper = Some(StopSequencer::new(self.stop_levels(None)));
        self.next_wait_log = Some(now);
    }

    /// Drives the shutdown sequence; returns the exit once everything is stopped.
    fn advance_stop(&mut self, now: Mono) -> Option<Exit> {
        let mut seq = self.stopper.take()?;
        for _ in 0..2 {
            let procs = &self.procs;
            match seq.next(|id| procs.state_of(*id)) {
                Step::Level { stop, .. } if !stop.is_empty() => {
                    for id in stop {
                        self.feed(id, Input::Shutdown, now);
                    }
                }
                Step::Level { .. } => break,
                Step::Done => {
                    self.drain_all();
                    self.next_wait_log = None;
                    return Some(match self.pending_config.take() {
                        Some(cfg) if self.mood == DaemonMood::Restart => {
                            Exit::Restart(Box::new(cfg))
                        }
                        _ => Exit::Shutdown,
                    });
                }
            }
        }
        if self.next_wait_log.is_some_and(|t| t <= now) {
            let names: Vec<String> = self
                .procs
                .iter()
                .filter(|(_, s)| !s.machine.state().is_stopped())
                .map(|(_, s)| s.machine.name().to_string())
                .collect();
            if !names.is_empty() {
                self.logger.info(&messages::waiting_to_die(&names));
            }
            self.next_wait_log = Some(now.plus_secs(WAIT_LOG_SECS));
        }
        self.stopper = Some(seq);
        None
    }
}
