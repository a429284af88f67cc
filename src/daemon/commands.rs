//! What each control request does to the daemon: the reference's RPC semantics (section 5)
//! behind the text protocol. Immediate requests are answered at once; `start`, `stop`,
//! `restart` and `update` become [`Wait`]s that the loop re-checks after every wake-up, so the
//! reply is sent when the processes get there while the loop keeps supervising.

use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::fs::MetadataExt;

use crate::config::model::Config;
use crate::daemon::control::Follow;
use crate::daemon::event_loop::{Daemon, DaemonMood};
use crate::daemon::procs::SlotId;
use crate::logfile::tail::{read_log, ReadLogError};
use crate::process::machine::{Input, Outcome as MOutcome};
use crate::process::order::{Step, StopSequencer};
use crate::process::spawn::{resolve_command, CommandErrorKind};
use crate::process::state::State;
use crate::protocol::fault::{Fault, Outcome};
use crate::protocol::request::{Channel, Request, TailMode};
use crate::protocol::results::{self, Action, ResultLine, UpdateStep};
use crate::protocol::status::{self, DescribeInput, ProcessStatus};
use crate::sys;
use crate::time::Mono;

/// Bytes a `tail -f` starts with, as the reference's `/logtail`.
const FOLLOW_START: u64 = 1024;
/// Bytes read from a followed file per check.
const FOLLOW_CHUNK: u64 = 64 * 1024;
/// How often a waiting stop request logs `waiting for NAME to stop`, as the reference.
const STOP_REPORT: std::time::Duration = std::time::Duration::from_secs(2);
/// How often followed files are checked while someone follows one.
pub const FOLLOW_POLL_MS: u64 = 200;

/// One process a waiting request is watching.
#[derive(Debug, Clone)]
pub(super) struct Item {
    /// None for a name that matched nothing (its error is already in `result`).
    pub(super) slot: Option<SlotId>,
    pub(super) spec: String,
    pub(super) result: Option<ResultLine>,
    /// When `waiting for NAME to stop` was last logged for it.
    pub(super) reported: Option<Mono>,
}

/// A request whose reply waits for processes.
#[derive(Debug)]
pub struct Wait {
    pub(super) key: usize,
    pub(super) kind: WaitKind,
}

#[derive(Debug)]
pub(super) enum WaitKind {
    /// Waiting for started processes to reach RUNNING (or fail).
    Start {
        /// One item per name, in request order.
        items: Vec<Item>,
    },
    /// Stopping processes level by level; `then_start` holds the names of a `restart`.
    Stop {
        items: Vec<Item>,
        seq: StopSequencer<SlotId>,
        then_start: Option<Vec<String>>,
    },
    /// `update`: steps run one after another; a step may be stopping a group.
    Update {
        config: Box<Config>,
        steps: VecDeque<UpdateStep>,
        stopping: Option<(UpdateStep, StopSequencer<SlotId>, Vec<Item>)>,
    },
}

/// How a start request ended for one process, per the reference's `startProcess` wait.
fn start_verdict(state: State, spawnerr: Option<&str>) -> Option<Option<Fault>> {
    if state == State::Running {
        return Some(None);
    }
    if spawnerr.is_some() && state != State::Starting {
        return Some(Some(Fault::SpawnError));
    }
    if state != State::Starting {
        return Some(Some(Fault::AbnormalTermination));
    }
    None
}

/// The reply to `req` while supervisord shuts down or restarts. Every RPC of the reference
/// then fails with SHUTDOWN_STATE, reads included; these are supervisorctl's messages for it
/// (where it has none and shows a Python exception, ours is `ERROR: supervisor shutting
/// down`). All exit 1, except `shutdown`, which keeps 0.
fn refusal_while_stopping(req: &Request) -> Vec<ResultLine> {
    let f = Fault::ShutdownState;
    match req {
        Request::Shutdown => vec![results::shutdown_result(Some(f))],
        Request::Reload => vec![results::reload_result(Some(f))],
        Request::Reread => vec![results::reread_error(f, "", false)],
        Request::Update { .. } => vec![results::reread_error(f, "", true)],
        Request::Avail => vec![results::avail_shutting_down()],
        Request::Add { names } => names
            .iter()
            .map(|n| results::add_result(n, Some(f)))
            .collect(),
        _ => vec![ResultLine {
            text: "ERROR: supervisor shutting down".into(),
            effect: Some(Outcome::failed(f, 1)),
        }],
    }
}

impl Daemon {
    /// Runs one request for the client at `key`.
    pub(crate) fn handle_request(&mut self, key: usize, req: Request, now: Mono) {
        if self.mood != DaemonMood::Running {
            return self.reply(key, refusal_while_stopping(&req));
        }
        match req {
            Request::Status { names } => {
                let (lines, outcome) = status::status_reply(&self.status_rows(), &names);
                self.reply_lines(key, lines, outcome);
            }
            Request::Start { names } => self.begin_start(key, &names, now),
            Request::Stop { names } => self.begin_stop_request(key, &names, None, now),
            Request::Restart { names } => {
                self.begin_stop_request(key, &names, Some(names.clone()), now)
            }
            Request::Signal { signal, names } => self.signal_request(key, &signal, &names, now),
            Request::Tail {
                name,
                channel,
                mode,
            } => self.tail_request(key, &name, channel, mode),
            Request::MainTail { mode } => self.maintail_request(key, mode),
            Request::Pid { names } => self.pid_request(key, &names),
            Request::Clear { names } => self.clear_request(key, &names),
            Request::Avail => self.avail_request(key),
            Request::Reread => self.reread_request(key),
            Request::Update { names } => self.update_request(key, &names, now),
            Request::Add { names } => self.add_request(key, &names, now),
            Request::Remove { names } => self.remove_request(key, &names),
            Request::Reload => {
                let line = match self.request_restart(now) {
                    Ok(()) => results::reload_result(None),
                    Err(e) => results::reread_error(Fault::CantReread, &e, false),
                };
                self.reply(key, vec![line]);
            }
            Request::Shutdown => {
                self.reply(key, vec![results::shutdown_result(None)]);
                self.begin_stop(DaemonMood::Shutdown, now);
            }
            Request::Version => {
                self.reply_lines(key, vec![crate::VERSION.to_string()], Outcome::ok())
            }
            Request::SendStdin { name, text } => self.sendstdin_request(key, &name, &text),
            Request::SendRemoteCommEvent { kind, data } => {
                self.emit(crate::events::types::Event::remote(&kind, &data));
                self.reply(key, Vec::new());
            }
            // Answered by the connection itself; nothing to do if one slips through.
            Request::Auth { .. } | Request::Help { .. } => self.reply(key, Vec::new()),
        }
    }

    // ----- replies ---------------------------------------------------------------------

    pub(super) fn reply(&mut self, key: usize, lines: Vec<ResultLine>) {
        if let Some(c) = self.control.clients.get_mut(&key) {
            for l in &lines {
                c.conn.push_result(l);
            }
            c.conn.finish();
        }
        self.control.flush_client(key, &self.reactor);
    }

    pub(super) fn reply_lines(&mut self, key: usize, lines: Vec<String>, outcome: Outcome) {
        if let Some(c) = self.control.clients.get_mut(&key) {
            for l in &lines {
                c.conn.push_line(l.as_bytes());
            }
            c.conn.finish_with(outcome);
        }
        self.control.flush_client(key, &self.reactor);
    }

    // ----- names -----------------------------------------------------------------------

    /// Resolves namespecs for `action` the way supervisorctl walks them, in request order:
    /// one item per named process and one finished item per name that matches nothing.
    /// As in the reference, `all` anywhere means `all` alone, and `all` or `g:*` take only
    /// the processes the action applies to (start: not running; stop: running; signal:
    /// signallable), so they never report `already started` / `not running`. Names are not
    /// deduplicated (supervisorctl acts on each in turn); a process an earlier name already
    /// starts or stops counts as started or stopped for the later `all` / `g:*`.
    fn resolve(&self, names: &[String], action: Action) -> Vec<Item> {
        let mut items: Vec<Item> = Vec::new();
        let item = |id: SlotId| Item {
            slot: Some(id),
            spec: self.procs.get(id).expect("resolved slot exists").namespec(),
            result: None,
            reported: None,
        };
        let applies = |id: SlotId, items: &[Item]| {
            let claimed = items.iter().any(|it| it.slot == Some(id));
            let state = self.procs.get(id).map(|s| s.machine.state());
            match (action, state) {
                (_, None) => false,
                (Action::Start, Some(st)) => !st.is_running() && !claimed,
                (Action::Stop, Some(st)) => st.is_running() && !claimed,
                (Action::Signal, Some(st)) => st.is_signallable(),
                (Action::Clear, Some(_)) => true,
            }
        };
        let order = self.start_order();
        let all = [String::from("all")];
        let names = if names.iter().any(|n| n == "all") {
            &all[..]
        } else {
            names
        };
        for name in names {
            let failed = |line: ResultLine| Item {
                slot: None,
                spec: name.clone(),
                result: Some(line),
                reported: None,
            };
            if name == "all" {
                for id in order.iter().copied() {
                    if applies(id, &items) {
                        items.push(item(id));
                    }
                }
                continue;
            }
            match status::split_namespec(name) {
                // clearProcessLogs takes no group; supervisorctl then shows `g:None`.
                (g, None) if action == Action::Clear => items.push(failed(
                    results::process_result(action, &format!("{g}:None"), Some(Fault::BadName), ""),
                )),
                (g, None) if self.procs.group(g).is_none() => {
                    items.push(failed(results::no_such_group(action, g)))
                }
                (g, None) => {
                    for id in order.iter().copied() {
                        let in_group = self.procs.get(id).is_some_and(|s| s.group == g);
                        if in_group && applies(id, &items) {
                            items.push(item(id));
                        }
                    }
                }
                (g, Some(p)) => match self.procs.find(g, p) {
                    Some(id) => items.push(item(id)),
                    None => items.push(failed(results::process_result(
                        action,
                        name,
                        Some(Fault::BadName),
                        "",
                    ))),
                },
            }
        }
        items
    }

    /// The status rows of every process, sorted by group then name.
    fn status_rows(&self) -> Vec<ProcessStatus> {
        let now_wall = sys::wall_clock_ms();
        let mut rows: Vec<ProcessStatus> = self
            .procs
            .iter()
            .map(|(_, s)| {
                let state = s.machine.state();
                let stop_text = s.stop_wall_ms.map(|ms| {
                    let tm = sys::localtime((ms / 1000) as i64);
                    crate::time::stop_time(&tm)
                });
                let uptime = s
                    .start_wall_ms
                    .map(|st| (now_wall.saturating_sub(st) / 1000) as i64)
                    .unwrap_or(0);
                let description = status::describe(&DescribeInput {
                    state_name: state.name(),
                    name: s.machine.name(),
                    pid: s.machine.pid().unwrap_or(0) as u32,
                    uptime_secs: uptime,
                    stop_time: if s.machine.laststart().is_some() {
                        stop_text.as_deref()
                    } else {
                        None
                    },
                    spawnerr: s.machine.spawnerr().unwrap_or(""),
                });
                ProcessStatus {
                    group: s.group.clone(),
                    name: s.machine.name().to_string(),
                    state_name: state.name().to_string(),
                    description,
                }
            })
            .collect();
        rows.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
        rows
    }

    // ----- start / stop / restart ------------------------------------------------------

    fn begin_start(&mut self, key: usize, names: &[String], now: Mono) {
        let mut items = self.resolve(names, Action::Start);
        for it in items.iter_mut() {
            let Some(id) = it.slot else { continue };
            if let Some(f) = self.try_start(id, now) {
                it.result = Some(results::process_result(
                    Action::Start,
                    &it.spec,
                    Some(f),
                    "",
                ));
            }
        }
        self.waits.push(Wait {
            key,
            kind: WaitKind::Start { items },
        });
        self.check_waits(now);
    }

    /// Starts one process; `Some(fault)` when it cannot be started.
    fn try_start(&mut self, id: SlotId, now: Mono) -> Option<Fault> {
        let slot = self.procs.get(id)?;
        let state = slot.machine.state();
        if state.is_running() {
            return Some(Fault::AlreadyStarted);
        }
        if state == State::Unknown {
            return Some(Fault::Failed);
        }
        let cfg = slot.cfg().clone();
        let ctx = self.spawn_context();
        if let Err(e) = resolve_command(&cfg, &ctx) {
            return Some(match e.kind {
                CommandErrorKind::NotFound => Fault::NoFile,
                CommandErrorKind::NotExecutable => Fault::NotExecutable,
            });
        }
        match self.feed(id, Input::Start, now) {
            MOutcome::Ok | MOutcome::Ignored => None,
            MOutcome::AlreadyStarted => Some(Fault::AlreadyStarted),
            MOutcome::StillStopping => Some(Fault::AbnormalTermination),
            MOutcome::NotRunning | MOutcome::InUnknownState | MOutcome::Failed(_) => {
                Some(Fault::Failed)
            }
        }
    }

    fn begin_stop_request(
        &mut self,
        key: usize,
        names: &[String],
        then_start: Option<Vec<String>>,
        now: Mono,
    ) {
        let mut items = self.resolve(names, Action::Stop);
        let mut ids = Vec::new();
        for it in items.iter_mut() {
            let Some(id) = it.slot else { continue };
            // A repeated name finds the process already stopped by the earlier one.
            let running = self
                .procs
                .get(id)
                .is_some_and(|s| s.machine.state().is_running());
            if running && !ids.contains(&id) {
                ids.push(id);
            } else {
                it.result = Some(results::process_result(
                    Action::Stop,
                    &it.spec,
                    Some(Fault::NotRunning),
                    "",
                ));
            }
        }
        let seq = StopSequencer::new(self.stop_levels(Some(&ids)));
        self.waits.push(Wait {
            key,
            kind: WaitKind::Stop {
                items,
                seq,
                then_start,
            },
        });
        self.check_waits(now);
    }

    /// Re-checks every waiting request; answers those that are done.
    pub(crate) fn check_waits(&mut self, now: Mono) {
        let mut i = 0;
        while i < self.waits.len() {
            if !self.control.clients.contains_key(&self.waits[i].key) {
                self.waits.remove(i);
                continue;
            }
            let mut wait = self.waits.remove(i);
            if self.advance_wait(&mut wait, now) {
                continue;
            }
            self.waits.insert(i, wait);
            i += 1;
        }
    }

    /// Moves a wait forward; true when it is finished (and answered).
    fn advance_wait(&mut self, wait: &mut Wait, now: Mono) -> bool {
        let key = wait.key;
        match &mut wait.kind {
            WaitKind::Start { items } => {
                for it in items.iter_mut().filter(|it| it.result.is_none()) {
                    let Some(s) = it.slot.and_then(|id| self.procs.get(id)) else {
                        it.result = Some(results::process_result(
                            Action::Start,
                            &it.spec,
                            Some(Fault::BadName),
                            "",
                        ));
                        continue;
                    };
                    if let Some(verdict) = start_verdict(s.machine.state(), s.machine.spawnerr()) {
                        it.result = Some(results::process_result(
                            Action::Start,
                            &it.spec,
                            verdict,
                            "",
                        ));
                    }
                }
                if items.iter().any(|it| it.result.is_none()) {
                    return false;
                }
                let lines = items.iter_mut().filter_map(|it| it.result.take()).collect();
                self.reply(key, lines);
                true
            }
            WaitKind::Stop {
                items,
                seq,
                then_start,
            } => {
                if !self.step_stop(seq, items, now) {
                    return false;
                }
                let lines: Vec<ResultLine> = items
                    .iter_mut()
                    .map(|it| {
                        it.result.take().unwrap_or_else(|| {
                            results::process_result(Action::Stop, &it.spec, None, "")
                        })
                    })
                    .collect();
                match then_start.take() {
                    Some(names) => {
                        if let Some(c) = self.control.clients.get_mut(&key) {
                            for l in &lines {
                                c.conn.push_result(l);
                            }
                        }
                        self.begin_start(key, &names, now);
                    }
                    None => self.reply(key, lines),
                }
                true
            }
            WaitKind::Update { .. } => self.advance_update(wait, now),
        }
    }

    /// Drives a stop sequencer over `items`; true when every level is stopped. Failures to
    /// signal are recorded as FAILED results.
    pub(super) fn step_stop(
        &mut self,
        seq: &mut StopSequencer<SlotId>,
        items: &mut [Item],
        now: Mono,
    ) -> bool {
        let done = self.step_stop_levels(seq, items, now);
        if !done {
            self.report_stopping(items, now);
        }
        done
    }

    /// Logs `waiting for NAME to stop` for each item still STOPPING, at once and then every
    /// [`STOP_REPORT`], as the reference's stop request does while it waits.
    fn report_stopping(&mut self, items: &mut [Item], now: Mono) {
        for it in items.iter_mut() {
            let Some(s) = it.slot.and_then(|id| self.procs.get(id)) else {
                continue;
            };
            if s.machine.state() != State::Stopping {
                continue;
            }
            if it.reported.is_none_or(|t| now >= t.plus(STOP_REPORT)) {
                self.logger
                    .info(&crate::messages::waiting_for_stop(s.machine.name()));
                it.reported = Some(now);
            }
        }
    }

    /// When the next `waiting for NAME to stop` is due (the loop wakes for it).
    pub(crate) fn next_stop_report(&self) -> Option<Mono> {
        let stopping = |it: &Item| {
            it.slot
                .and_then(|id| self.procs.get(id))
                .is_some_and(|s| s.machine.state() == State::Stopping)
        };
        let mut next: Option<Mono> = None;
        for w in &self.waits {
            let items = match &w.kind {
                WaitKind::Stop { items, .. } => items,
                WaitKind::Update {
                    stopping: Some((_, _, items)),
                    ..
                } => items,
                _ => continue,
            };
            for it in items.iter().filter(|it| stopping(it)) {
                if let Some(t) = it.reported.map(|t| t.plus(STOP_REPORT)) {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
            }
        }
        next
    }

    fn step_stop_levels(
        &mut self,
        seq: &mut StopSequencer<SlotId>,
        items: &mut [Item],
        now: Mono,
    ) -> bool {
        loop {
            let procs = &self.procs;
            let step = seq.next(|id| {
                procs
                    .get(*id)
                    .map(|s| s.machine.state())
                    .unwrap_or(State::Stopped)
            });
            match step {
                Step::Done => return true,
                Step::Level { stop, .. } if stop.is_empty() => return false,
                Step::Level { stop, .. } => {
                    for id in stop {
                        if let MOutcome::Failed(msg) = self.feed(id, Input::Stop, now) {
                            if let Some(it) = items.iter_mut().find(|it| it.slot == Some(id)) {
                                it.result = Some(results::process_result(
                                    Action::Stop,
                                    &it.spec,
                                    Some(Fault::Failed),
                                    &format!("FAILED: {msg}"),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }

    // ----- signal, pid, tail, clear, sendstdin -------------------------------------------

    fn signal_request(&mut self, key: usize, signal: &str, names: &[String], now: Mono) {
        let sig = crate::signames::parse(signal).ok();
        let mut lines = Vec::new();
        for it in self.resolve(names, Action::Signal) {
            let (Some(id), spec) = (it.slot, it.spec) else {
                lines.extend(it.result);
                continue;
            };
            let fault = match sig {
                None => Some((Fault::BadSignal, String::new())),
                Some(sig) => match self.feed(id, Input::Signal(sig), now) {
                    MOutcome::Ok | MOutcome::Ignored => None,
                    MOutcome::NotRunning => Some((Fault::NotRunning, String::new())),
                    MOutcome::Failed(m) => Some((Fault::Failed, format!("FAILED: {m}"))),
                    _ => Some((Fault::Failed, String::new())),
                },
            };
            lines.push(match fault {
                None => results::process_result(Action::Signal, &spec, None, ""),
                Some((f, text)) => results::process_result(Action::Signal, &spec, Some(f), &text),
            });
        }
        self.reply(key, lines);
    }

    fn pid_request(&mut self, key: usize, names: &[String]) {
        if names.is_empty() {
            let pid = sys::proc::getpid() as u32;
            return self.reply(key, vec![results::pid_result(pid)]);
        }
        // As supervisorctl: `all` anywhere means `all` alone.
        let all = [String::from("all")];
        let names = if names.iter().any(|n| n == "all") {
            &all[..]
        } else {
            names
        };
        let mut lines = Vec::new();
        for name in names {
            if name == "all" {
                let mut ids: Vec<SlotId> = self.procs.ids();
                ids.sort_by_key(|id| {
                    let s = self.procs.get(*id).unwrap();
                    (s.group.clone(), s.machine.name().to_string())
                });
                for id in ids {
                    let pid = self
                        .procs
                        .get(id)
                        .and_then(|s| s.machine.pid())
                        .unwrap_or(0);
                    lines.push(ResultLine {
                        text: pid.to_string(),
                        effect: None,
                    });
                }
                continue;
            }
            let found = match status::split_namespec(name) {
                (g, Some(p)) => self.procs.find(g, p),
                _ => None,
            };
            lines.push(match found {
                Some(id) => results::pid_result(
                    self.procs
                        .get(id)
                        .and_then(|s| s.machine.pid())
                        .unwrap_or(0) as u32,
                ),
                None => results::pid_no_such(name),
            });
        }
        self.reply(key, lines);
    }

    fn find_one(&self, name: &str) -> Option<SlotId> {
        match status::split_namespec(name) {
            (g, Some(p)) => self.procs.find(g, p),
            _ => None,
        }
    }

    fn tail_request(&mut self, key: usize, name: &str, channel: Channel, mode: TailMode) {
        let Some(id) = self.find_one(name) else {
            return self.reply(key, vec![results::tail_error(name, Fault::BadName)]);
        };
        let idx = match channel {
            Channel::Stdout => 0,
            Channel::Stderr => 1,
        };
        let path = self.procs.get(id).and_then(|s| s.logs[idx].path.clone());
        let Some(path) = path else {
            return self.reply(key, vec![results::tail_error(name, Fault::NoFile)]);
        };
        self.tail_path(key, name, path, mode);
    }

    fn maintail_request(&mut self, key: usize, mode: TailMode) {
        let Some(path) = self.logger.path().map(|p| p.to_path_buf()) else {
            return self.reply(key, vec![results::tail_error("supervisord", Fault::NoFile)]);
        };
        self.tail_path(key, "supervisord", path, mode);
    }

    fn tail_path(&mut self, key: usize, name: &str, path: std::path::PathBuf, mode: TailMode) {
        match mode {
            TailMode::Last(_) | TailMode::From(_) => {
                let clamp = |n: u64| n.min(i64::MAX as u64) as i64;
                let res = match mode {
                    TailMode::Last(n) => read_log(&path, -clamp(n), 0),
                    TailMode::From(n) => read_log(&path, clamp(n), 0),
                    TailMode::Follow => unreachable!("handled below"),
                };
                match res {
                    Ok(data) => {
                        if let Some(c) = self.control.clients.get_mut(&key) {
                            // supervisorctl prints the log text plus a newline.
                            if !data.is_empty() {
                                c.conn.push_text(&data);
                            }
                            c.conn.push_line(b"");
                            c.conn.finish();
                        }
                        self.control.flush_client(key, &self.reactor);
                    }
                    Err(ReadLogError::NoFile) => {
                        self.reply(key, vec![results::tail_error(name, Fault::NoFile)])
                    }
                    Err(_) => self.reply(key, vec![results::tail_error(name, Fault::Failed)]),
                }
            }
            TailMode::Follow => {
                let Ok(meta) = std::fs::metadata(&path) else {
                    return self.reply(key, vec![results::tail_error(name, Fault::NoFile)]);
                };
                let follow = Follow {
                    path,
                    offset: meta.len().saturating_sub(FOLLOW_START),
                    ino: meta.ino(),
                };
                if let Some(c) = self.control.clients.get_mut(&key) {
                    c.follow = Some(follow);
                }
                self.pump_follows();
            }
        }
    }

    /// Sends what followed files gained since the last check.
    pub(crate) fn pump_follows(&mut self) {
        let keys: Vec<usize> = self
            .control
            .clients
            .iter()
            .filter(|(_, c)| c.follow.is_some())
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            let Some(c) = self.control.clients.get_mut(&key) else {
                continue;
            };
            let Some(f) = c.follow.as_mut() else { continue };
            if !c.conn.stream_has_room() {
                continue;
            }
            if let Ok(meta) = std::fs::metadata(&f.path) {
                if meta.ino() != f.ino || meta.len() < f.offset {
                    // Rotated or truncated: start again at the top of the new file.
                    f.ino = meta.ino();
                    f.offset = 0;
                }
                if meta.len() > f.offset {
                    let want = (meta.len() - f.offset).min(FOLLOW_CHUNK);
                    if let Ok(data) = read_log(&f.path, f.offset as i64, want as i64) {
                        f.offset += data.len() as u64;
                        c.conn.push_stream(&data);
                    }
                }
            }
            self.control.flush_client(key, &self.reactor);
        }
    }

    /// True while some client follows a file (the loop then checks every FOLLOW_POLL_MS).
    pub(crate) fn following(&self) -> bool {
        self.control.clients.values().any(|c| c.follow.is_some())
    }

    fn clear_request(&mut self, key: usize, names: &[String]) {
        let mut lines = Vec::new();
        for it in self.resolve(names, Action::Clear) {
            let (Some(id), spec) = (it.slot, it.spec) else {
                lines.extend(it.result);
                continue;
            };
            let mut ok = true;
            if let Some(s) = self.procs.get_mut(id) {
                for log in s.logs.iter_mut() {
                    let res = match (&mut log.file, &log.path) {
                        (Some(f), _) => f.clear(),
                        (None, Some(p)) if p.exists() => std::fs::write(p, b""),
                        _ => Ok(()),
                    };
                    ok &= res.is_ok();
                }
            }
            let fault = if ok { None } else { Some(Fault::Failed) };
            lines.push(results::process_result(Action::Clear, &spec, fault, ""));
        }
        self.reply(key, lines);
    }

    fn sendstdin_request(&mut self, key: usize, name: &str, text: &str) {
        let Some(id) = self.find_one(name) else {
            return self.reply(key, vec![results::sendstdin_error(name, Fault::BadName)]);
        };
        let Some(slot) = self.procs.get_mut(id) else {
            return self.reply(key, vec![results::sendstdin_error(name, Fault::BadName)]);
        };
        let stopping = slot.machine.state() == State::Stopping;
        if slot.machine.pid().is_none() || stopping {
            return self.reply(key, vec![results::sendstdin_error(name, Fault::NotRunning)]);
        }
        // The pipe is non-blocking: text that does not fit now is refused rather than
        // allowed to stall the loop.
        let ok = match slot.stdin.as_ref() {
            Some(mut f) => f.write_all(text.as_bytes()).is_ok(),
            None => false,
        };
        if ok {
            self.reply(key, Vec::new());
        } else {
            self.reply(key, vec![results::sendstdin_error(name, Fault::NoFile)]);
        }
    }
}
