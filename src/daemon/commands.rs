//! What each control request does to the daemon: the reference's RPC semantics (section 5)
//! behind the text protocol. Immediate requests are answered at once; `start`, `stop`,
//! `restart` and `update` become [`Wait`]s that the loop re-checks after every wake-up, so the
//! reply is sent when the processes get there while the loop keeps supervising.

use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::fs::MetadataExt;

use crate::config::model::{Config, GroupConfig};
use crate::daemon::control::Follow;
use crate::daemon::event_loop::{Daemon, DaemonMood};
use crate::daemon::procs::SlotId;
use crate::logfile::tail::{read_log, ReadLogError};
use crate::process::machine::{Input, Outcome as MOutcome};
use crate::process::order::{Step, StopSequencer};
use crate::process::spawn::{resolve_command, CommandErrorKind, SpawnContext};
use crate::process::state::State;
use crate::protocol::fault::{Fault, Outcome};
use crate::protocol::request::{Channel, Request, TailMode};
use crate::protocol::results::{self, Action, ResultLine, UpdateStep};
use crate::protocol::status::{self, AvailInfo, DescribeInput, ProcessStatus};
use crate::sys;
use crate::time::Mono;

/// Bytes a `tail -f` starts with, as the reference's `/logtail`.
const FOLLOW_START: u64 = 1024;
/// Bytes read from a followed file per check.
const FOLLOW_CHUNK: u64 = 64 * 1024;
/// How often followed files are checked while someone follows one.
pub const FOLLOW_POLL_MS: u64 = 200;

/// One process a waiting request is watching.
#[derive(Debug, Clone)]
struct Item {
    /// None for a name that matched nothing (its error is already in `result`).
    slot: Option<SlotId>,
    spec: String,
    result: Option<ResultLine>,
}

/// A request whose reply waits for processes.
#[derive(Debug)]
pub struct Wait {
    key: usize,
    kind: WaitKind,
}

#[derive(Debug)]
enum WaitKind {
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
        stopping: Option<(UpdateStep, StopSequencer<SlotId>, Vec<SlotId>)>,
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

impl Daemon {
    /// Runs one request for the client at `key`.
    pub(crate) fn handle_request(&mut self, key: usize, req: Request, now: Mono) {
        let shutting_down = self.mood != DaemonMood::Running;
        let mutating = !matches!(
            req,
            Request::Status { .. }
                | Request::Tail { .. }
                | Request::MainTail { .. }
                | Request::Pid { .. }
                | Request::Avail
                | Request::Version
                | Request::Shutdown
                | Request::Auth { .. }
                | Request::Help { .. }
        );
        if shutting_down && mutating {
            let line = match req {
                Request::Reload => results::reload_result(Some(Fault::ShutdownState)),
                _ => ResultLine {
                    text: "ERROR: supervisor shutting down".into(),
                    effect: Some(Outcome::failed(Fault::ShutdownState, 1)),
                },
            };
            return self.reply(key, vec![line]);
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
                let line = if self.mood == DaemonMood::Shutdown {
                    results::shutdown_result(Some(Fault::ShutdownState))
                } else {
                    results::shutdown_result(None)
                };
                self.reply(key, vec![line]);
                self.begin_stop(DaemonMood::Shutdown, now);
            }
            Request::Version => {
                self.reply_lines(key, vec![crate::VERSION.to_string()], Outcome::ok())
            }
            Request::SendStdin { name, text } => self.sendstdin_request(key, &name, &text),
            // Answered by the connection itself; nothing to do if one slips through.
            Request::Auth { .. } | Request::Help { .. } => self.reply(key, Vec::new()),
        }
    }

    // ----- replies ---------------------------------------------------------------------

    fn reply(&mut self, key: usize, lines: Vec<ResultLine>) {
        if let Some(c) = self.control.clients.get_mut(&key) {
            for l in &lines {
                c.conn.push_result(l);
            }
            c.conn.finish();
        }
        self.control.flush_client(key, &self.reactor);
    }

    fn reply_lines(&mut self, key: usize, lines: Vec<String>, outcome: Outcome) {
        if let Some(c) = self.control.clients.get_mut(&key) {
            for l in &lines {
                c.conn.push_line(l.as_bytes());
            }
            c.conn.finish_with(outcome);
        }
        self.control.flush_client(key, &self.reactor);
    }

    // ----- names -----------------------------------------------------------------------

    /// Resolves namespecs for `action`, in request order: one item per matched process
    /// (duplicates dropped) and one finished item per name that matches nothing.
    fn resolve(&self, names: &[String], action: Action) -> Vec<Item> {
        let mut items: Vec<Item> = Vec::new();
        let push = |id: SlotId, items: &mut Vec<Item>| {
            if !items.iter().any(|it| it.slot == Some(id)) {
                let s = self.procs.get(id).expect("resolved slot exists");
                items.push(Item {
                    slot: Some(id),
                    spec: s.namespec(),
                    result: None,
                });
            }
        };
        let order = self.start_order();
        for name in names {
            let matched: Result<Vec<SlotId>, ResultLine> = if name == "all" {
                Ok(order.clone())
            } else {
                match status::split_namespec(name) {
                    (g, None) if self.procs.group(g).is_none() => {
                        Err(results::no_such_group(action, g))
                    }
                    (g, None) => Ok(order
                        .iter()
                        .copied()
                        .filter(|id| self.procs.get(*id).is_some_and(|s| s.group == g))
                        .collect()),
                    (g, Some(p)) => self.procs.find(g, p).map(|id| vec![id]).ok_or_else(|| {
                        results::process_result(action, name, Some(Fault::BadName), "")
                    }),
                }
            };
            match matched {
                Ok(ids) => ids.into_iter().for_each(|id| push(id, &mut items)),
                Err(line) => items.push(Item {
                    slot: None,
                    spec: name.clone(),
                    result: Some(line),
                }),
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
        let ctx = SpawnContext {
            daemon_env: &self.env,
            serverurl: self.config.serverurl.as_deref(),
            euid: self.identity.euid,
            egid: self.identity.egid,
            daemon_groups: &self.identity.groups,
            user_groups: &[],
        };
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
            if self
                .procs
                .get(id)
                .is_some_and(|s| s.machine.state().is_running())
            {
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
    fn step_stop(
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
            TailMode::Last(n) => {
                let res = if n == 0 {
                    read_log(&path, 0, 0)
                } else {
                    read_log(&path, -(n as i64), 0)
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
        let slot = self.procs.get_mut(id).expect("found");
        let stopping = slot.machine.state() == State::Stopping;
        if slot.machine.pid().is_none() || stopping {
            return self.reply(key, vec![results::sendstdin_error(name, Fault::NotRunning)]);
        }
        let ok = match slot.stdin.as_ref() {
            Some(fd) => {
                let mut f = std::fs::File::from(fd.try_clone().expect("dup stdin"));
                f.write_all(text.as_bytes()).is_ok()
            }
            None => false,
        };
        if ok {
            self.reply(key, Vec::new());
        } else {
            self.reply(key, vec![results::sendstdin_error(name, Fault::NoFile)]);
        }
    }

    // ----- config: avail, reread, update, add, remove ----------------------------------

    fn avail_request(&mut self, key: usize) {
        let config = self.loaded.clone().unwrap_or_else(|| self.config.clone());
        let mut infos = Vec::new();
        for g in &config.groups {
            let in_use = self.procs.group(&g.name).is_some();
            for p in &g.processes {
                infos.push(AvailInfo {
                    group: g.name.clone(),
                    name: p.name.clone(),
                    in_use,
                    autostart: p.autostart,
                    group_prio: g.priority,
                    process_prio: p.priority,
                });
            }
        }
        self.reply_lines(key, status::avail_lines(&infos), Outcome::ok());
    }

    /// Group names added, changed and removed between the running groups and `new`.
    fn diff_groups(&self, new: &Config) -> (Vec<String>, Vec<String>, Vec<String>) {
        let mut added = Vec::new();
        let mut changed = Vec::new();
        for g in &new.groups {
            match self.procs.group(&g.name) {
                None => added.push(g.name.clone()),
                Some(old) if old != g => changed.push(g.name.clone()),
                Some(_) => {}
            }
        }
        let removed: Vec<String> = self
            .procs
            .groups
            .iter()
            .filter(|g| !new.groups.iter().any(|n| n.name == g.name))
            .map(|g| g.name.clone())
            .collect();
        let sort = |mut v: Vec<String>| {
            v.sort();
            v
        };
        (sort(added), sort(changed), sort(removed))
    }

    fn reread_request(&mut self, key: usize) {
        match (self.reloader)() {
            Ok(new) => {
                let (a, c, r) = self.diff_groups(&new);
                self.loaded = Some(new);
                let lines = results::reread_lines(&a, &c, &r);
                self.reply_lines(key, lines, Outcome::ok());
            }
            Err(e) => self.reply(
                key,
                vec![results::reread_error(Fault::CantReread, &e, false)],
            ),
        }
    }

    fn update_request(&mut self, key: usize, names: &[String], now: Mono) {
        let new = match (self.reloader)() {
            Ok(c) => c,
            Err(e) => {
                return self.reply(
                    key,
                    vec![results::reread_error(Fault::CantReread, &e, true)],
                )
            }
        };
        let (a, c, r) = self.diff_groups(&new);
        let active: Vec<String> = self.procs.groups.iter().map(|g| g.name.clone()).collect();
        let plan = results::update_plan(&a, &c, &r, &active, names);
        self.loaded = Some(new.clone());
        if let Some(client) = self.control.clients.get_mut(&key) {
            for l in &plan.errors {
                client.conn.push_result(l);
            }
        }
        self.waits.push(Wait {
            key,
            kind: WaitKind::Update {
                config: Box::new(new),
                steps: plan.steps.into(),
                stopping: None,
            },
        });
        self.check_waits(now);
    }

    fn push_line(&mut self, key: usize, line: &ResultLine) {
        if let Some(c) = self.control.clients.get_mut(&key) {
            c.conn.push_result(line);
        }
    }

    fn advance_update(&mut self, wait: &mut Wait, now: Mono) -> bool {
        let key = wait.key;
        let WaitKind::Update {
            config,
            steps,
            stopping,
        } = &mut wait.kind
        else {
            return true;
        };
        loop {
            if let Some((step, seq, ids)) = stopping.as_mut() {
                let mut items: Vec<Item> = ids
                    .iter()
                    .map(|id| Item {
                        slot: Some(*id),
                        spec: String::new(),
                        result: None,
                    })
                    .collect();
                if !self.step_stop(seq, &mut items, now) {
                    return false;
                }
                let failed = items.iter().any(|it| it.result.is_some());
                let step = step.clone();
                *stopping = None;
                match step {
                    UpdateStep::Remove(g) => {
                        self.push_line(key, &results::update_line(&g, "stopped"));
                        if failed {
                            self.push_line(key, &results::update_has_problems(&g));
                        } else {
                            self.remove_group(&g);
                            self.push_line(key, &results::update_line(&g, "removed process group"));
                        }
                    }
                    UpdateStep::Replace(g) => {
                        self.push_line(key, &results::update_line(&g, "stopped"));
                        self.remove_group(&g);
                        if let Some(gc) = config.groups.iter().find(|x| x.name == g).cloned() {
                            self.add_group(&config.clone(), &gc, now);
                        }
                        self.push_line(key, &results::update_line(&g, "updated process group"));
                    }
                    UpdateStep::Add(_) => {}
                }
                continue;
            }
            let Some(step) = steps.pop_front() else {
                if let Some(c) = self.control.clients.get_mut(&key) {
                    c.conn.finish();
                }
                self.control.flush_client(key, &self.reactor);
                return true;
            };
            match &step {
                UpdateStep::Add(g) => {
                    if let Some(gc) = config.groups.iter().find(|x| &x.name == g).cloned() {
                        self.add_group(&config.clone(), &gc, now);
                    }
                    self.push_line(key, &results::update_line(g, "added process group"));
                }
                UpdateStep::Remove(g) | UpdateStep::Replace(g) => {
                    let ids = self.procs.group_ids(g);
                    let seq = StopSequencer::new(self.stop_levels(Some(&ids)));
                    *stopping = Some((step.clone(), seq, ids));
                }
            }
        }
    }

    fn add_group(&mut self, config: &Config, g: &GroupConfig, now: Mono) {
        let mut warnings = Vec::new();
        self.procs.add_group(config, g, &mut warnings);
        for w in warnings {
            self.logger.warn(&w);
        }
        let ids = self.procs.group_ids(&g.name);
        for id in self.start_order() {
            if ids.contains(&id) {
                self.feed(id, Input::AutoStart, now);
            }
        }
    }

    fn remove_group(&mut self, name: &str) {
        let ids = self.procs.group_ids(name);
        for id in ids {
            self.close_slot_channels(id);
        }
        self.procs.remove_group(name);
    }

    fn add_request(&mut self, key: usize, names: &[String], now: Mono) {
        let config = self.loaded.clone().unwrap_or_else(|| self.config.clone());
        let mut lines = Vec::new();
        for name in names {
            let fault = if self.procs.group(name).is_some() {
                Some(Fault::AlreadyAdded)
            } else {
                match config.groups.iter().find(|g| &g.name == name).cloned() {
                    Some(g) => {
                        self.add_group(&config, &g, now);
                        None
                    }
                    None => Some(Fault::BadName),
                }
            };
            lines.push(results::add_result(name, fault));
        }
        self.reply(key, lines);
    }

    fn remove_request(&mut self, key: usize, names: &[String]) {
        let mut lines = Vec::new();
        for name in names {
            let fault = if self.procs.group(name).is_none() {
                Some(Fault::BadName)
            } else if self.procs.group_ids(name).iter().any(|id| {
                self.procs
                    .get(*id)
                    .is_some_and(|s| !s.machine.state().is_stopped())
            }) {
                Some(Fault::StillRunning)
            } else {
                self.remove_group(name);
                None
            };
            lines.push(results::remove_result(name, fault));
        }
        self.reply(key, lines);
    }
}
