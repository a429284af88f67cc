//! What each control request does to the daemon: the reference's RPC semantics (section 5)
//! behind the text protocol. Immediate requests are answered at once; `start`, `stop`,
//! `restart` and `update` become [`Wait`]s that the loop steps after every wake-up, so the
//! reply is sent when the processes get there while the loop keeps supervising.

use crate::config::model::UNLIMITED_RETRIES;
use crate::daemon::access;
use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::daemon::names;
use crate::daemon::procs::{Proc, ProcId, Procs};
use crate::daemon::waits::Wait;
use crate::logfile::tail::{read_log, ReadLogError};
use crate::process::machine::{Input, Mood, Outcome as MOutcome};
use crate::process::spawn::{resolve_command, CommandErrorKind};
use crate::process::state::State;
use crate::protocol::fault::{Fault, Outcome};
use crate::protocol::request::{Request, Stream, TailMode};
use crate::protocol::results::{self, Action, ResultLine};
#[cfg(feature = "xmlrpc")]
use crate::protocol::status::ProcessStatus;
use crate::protocol::status::{self, DescribeInput, StatusView};
use crate::sys;
use crate::sys::poller::Interest;
use crate::time::Mono;

/// The reply to `req` while supervisord shuts down or restarts. Every RPC of the reference
/// then fails with SHUTDOWN_STATE, reads included; these are supervisorctl's messages for it
/// (where it has none and shows a Python exception, ours is `ERROR: supervisor shutting
/// down`). All exit 1, except `shutdown`, which keeps 0.
pub(super) fn refusal_while_stopping(req: &Request) -> Vec<ResultLine> {
    let f = Fault::ShutdownState;
    match req {
        Request::Shutdown => vec![results::shutdown_result(Some(f))],
        Request::Reload => vec![results::reload_result(Some(f))],
        Request::Reread { .. } => vec![results::reread_error(f, "", false)],
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

/// A process as a `status` row, read from the daemon's state when rendered.
struct LiveRow<'a> {
    p: &'a Proc,
    /// The wall clock (ms) the uptimes are counted to.
    now_wall: u64,
}

impl StatusView for LiveRow<'_> {
    fn group(&self) -> &str {
        self.p.group()
    }
    fn name(&self) -> &str {
        self.p.machine.name()
    }
    fn state_name(&self) -> &str {
        self.p.machine.state().name()
    }
    fn write_description(&self, out: &mut String) {
        let (p, state) = (self.p, self.p.machine.state().name());
        // Only STOPPED and EXITED show the stop time, and only after a start.
        let stop_text = match state {
            "STOPPED" | "EXITED" if p.machine.laststart().is_some() => p.stop_wall_ms.map(|ms| {
                let tm = sys::localtime((ms / 1000) as i64);
                crate::time::stop_time(&tm)
            }),
            _ => None,
        };
        let uptime = p
            .start_wall_ms
            .map(|st| (self.now_wall.saturating_sub(st) / 1000) as i64)
            .unwrap_or(0);
        status::describe_into(
            &DescribeInput {
                state_name: state,
                name: p.machine.name(),
                pid: p.machine.pid().unwrap_or(0) as u32,
                uptime_secs: uptime,
                stop_time: stop_text.as_deref(),
                spawnerr: p.machine.spawnerr().unwrap_or(""),
                note: &status_note(p, Mono::now()),
            },
            out,
        );
    }
}

/// What `status` adds for the supervisor-rs keys (empty without them): what a STARTING
/// process waits for, a RUNNING one's health or notify `STATUS=`, when a BACKOFF one with a
/// backoff policy tries next.
pub fn status_note(p: &Proc, now: Mono) -> String {
    let m = &p.machine;
    let sup = &p.cfg().supervision;
    match m.state() {
        State::Starting => {
            if let Some(w) = &p.readiness.waiting {
                return w.clone();
            }
            match (m.probe_error(), &p.readiness.notify_status) {
                (Some(e), _) if m.awaits_readiness() => format!(
                    "not ready yet ({}: {e})",
                    crate::process::machine::describe_ready(&sup.ready)
                ),
                (_, Some(text)) => text.clone(),
                _ => String::new(),
            }
        }
        State::Running => match (
            m.health_failures(),
            m.probe_error(),
            &p.readiness.notify_status,
        ) {
            (n, Some(e), _) if n > 0 => format!("unhealthy ({e})"),
            (_, _, Some(text)) => text.clone(),
            _ => String::new(),
        },
        State::Backoff if sup.backoff.is_some() || p.cfg().startretries == UNLIMITED_RETRIES => {
            match m.next_try() {
                Some(at) => {
                    let secs = at.0.saturating_sub(now.0).div_ceil(1000);
                    let why = m.spawnerr().unwrap_or("");
                    format!("next try in {secs} s ({why})")
                }
                None => String::new(),
            }
        }
        _ => String::new(),
    }
}

/// Every process as a status row, sorted by group then name.
fn live_rows(procs: &Procs) -> Vec<LiveRow<'_>> {
    let now_wall = sys::wall_clock_ms();
    let mut rows: Vec<LiveRow<'_>> = procs.iter().map(|(_, p)| LiveRow { p, now_wall }).collect();
    crate::sort::sort_by(&mut rows, &|a, b| {
        (a.group(), a.name()).cmp(&(b.group(), b.name()))
    });
    rows
}

/// A status row as owned data (for XML-RPC and the web page).
#[cfg(feature = "xmlrpc")]
fn owned(r: &LiveRow<'_>) -> ProcessStatus {
    let mut description = String::new();
    r.write_description(&mut description);
    ProcessStatus {
        group: r.group().to_string(),
        name: r.name().to_string(),
        state_name: r.state_name().to_string(),
        description,
    }
}

impl Daemon {
    /// Runs one request for the client at `key`.
    pub(super) fn handle_request(&mut self, key: Key, req: Request, now: Mono) {
        let need = access::text_need(&req);
        if let Some(why) = self.control.refusal(key, need, req.command()) {
            return self.reply(key, vec![access::text_refusal(&why)]);
        }
        if self.sup.lifecycle().mood() != Mood::Running {
            return self.reply(key, refusal_while_stopping(&req));
        }
        match req {
            Request::Status { names } => {
                // Rendered straight into the connection's buffer: no String per row.
                let rows = live_rows(self.sup.procs());
                let control = &mut self.control;
                let outcome = status::write_status_reply(&rows, &names, &mut |l| {
                    control.push_line(key, l.as_bytes())
                });
                self.control.finish_with(key, outcome, &mut self.io);
            }
            Request::Start { names } => self.begin_start(key, &names, now),
            Request::Stop { names } => self.begin_stop(key, &names, None, now),
            Request::Restart { names } => self.begin_stop(key, &names, Some(names.clone()), now),
            Request::Signal { signal, names } => self.signal_request(key, &signal, &names, now),
            Request::Tail {
                name,
                channel,
                mode,
            } => self.tail_request(key, &name, channel, mode),
            Request::MainTail { mode } => self.maintail_request(key, mode),
            Request::Pid { names } => self.pid_request(key, &names),
            Request::Clear { names } => self.clear_request(key, &names),
            Request::Rotate { names } => self.rotate_request(key, &names),
            Request::Avail => self.avail_request(key),
            Request::Reread { verbose } => self.reread_request(key, verbose),
            Request::Update { names, dry_run } => self.update_request(key, &names, dry_run, now),
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
                self.stop_all(Mood::ShuttingDown, now);
            }
            Request::Version => {
                let lines = [crate::VERSION.to_string()];
                self.control
                    .reply_lines(key, &lines, Outcome::ok(), &mut self.io)
            }
            Request::SendStdin { name, text } => self.sendstdin_request(key, &name, &text),
            Request::Upgrade => self.upgrade_request(key),
            Request::SendRemoteCommEvent { kind, data } => {
                let event = crate::events::types::Event::remote(&kind, &data);
                self.bus.emit(event, &mut self.log);
                self.reply(key, Vec::new());
            }
            Request::StatusJson { names } => self.status_json_request(key, &names),
            Request::AvailJson => self.avail_json_request(key),
            Request::Metrics => self.metrics_request(key),
            Request::Events { types } => self.events_request(key, &types),
            // Answered by the connection itself; nothing to do if one slips through.
            Request::Auth { .. } | Request::Help { .. } => self.reply(key, Vec::new()),
        }
    }

    /// A whole reply of result lines.
    pub(super) fn reply(&mut self, key: Key, lines: Vec<ResultLine>) {
        self.control.reply(key, &lines, &mut self.io);
    }

    /// The status rows of every process, sorted by group then name.
    #[cfg(feature = "xmlrpc")]
    pub(super) fn status_rows(&self) -> Vec<ProcessStatus> {
        live_rows(self.sup.procs()).iter().map(owned).collect()
    }

    /// The status rows of `ids`, in that order.
    #[cfg(feature = "xmlrpc")]
    pub(super) fn status_rows_of(&self, ids: &[ProcId]) -> Vec<ProcessStatus> {
        let procs = self.sup.procs();
        let now_wall = sys::wall_clock_ms();
        ids.iter()
            .filter_map(|id| procs.get(*id))
            .map(|p| owned(&LiveRow { p, now_wall }))
            .collect()
    }

    // ----- start / stop / restart ------------------------------------------------------

    /// Starts what `names` mean and waits for them.
    pub(super) fn begin_start(&mut self, key: Key, names: &[String], now: Mono) {
        let mut items = names::resolve(self.sup.procs(), names, Action::Start);
        for it in items.iter_mut() {
            let Some(id) = it.proc else { continue };
            if let Some((f, _)) = self.try_start(id, now) {
                it.settle(Action::Start, Some(f), "");
            }
        }
        let mut wait = Wait::start(key, items);
        self.run_wait(&mut wait, now);
        if !wait.is_done() {
            self.control.add_wait(wait);
        }
    }

    /// Starts one process; the fault (and, when it says more than the name, why) when it
    /// cannot be started.
    pub(super) fn try_start(&mut self, id: ProcId, now: Mono) -> Option<(Fault, String)> {
        self.sup.wish(id, crate::daemon::state_file::Wanted::Up);
        let p = self.sup.procs().get(id)?;
        let state = p.machine.state();
        if state.is_running() {
            return Some((Fault::AlreadyStarted, String::new()));
        }
        if state == State::Unknown {
            let why = crate::messages::unknown_process_state(p.machine.name());
            return Some((Fault::Failed, why));
        }
        if let Err(e) = resolve_command(p.cfg(), &self.sup.spawn_context()) {
            let fault = match e.kind {
                CommandErrorKind::NotFound => Fault::NoFile,
                CommandErrorKind::NotExecutable => Fault::NotExecutable,
            };
            return Some((fault, e.message));
        }
        let fault = match self.feed(id, Input::Start, now) {
            MOutcome::Ok | MOutcome::Ignored => return None,
            MOutcome::AlreadyStarted => Fault::AlreadyStarted,
            MOutcome::StillStopping => Fault::AbnormalTermination,
            MOutcome::NotRunning | MOutcome::InUnknownState | MOutcome::Failed(_) => Fault::Failed,
        };
        Some((fault, String::new()))
    }

    /// Stops what `names` mean, level by level, then (for `restart`) starts `then_start`.
    fn begin_stop(
        &mut self,
        key: Key,
        names: &[String],
        then_start: Option<Vec<String>>,
        now: Mono,
    ) {
        let items = names::resolve(self.sup.procs(), names, Action::Stop);
        self.sup.wish_stopped(&items);
        let mut wait = Wait::stop(key, items, self.sup.procs(), then_start);
        self.run_wait(&mut wait, now);
        if !wait.is_done() {
            self.control.add_wait(wait);
        }
    }

    // ----- signal, pid, tail, clear, sendstdin -------------------------------------------

    fn signal_request(&mut self, key: Key, signal: &str, names: &[String], now: Mono) {
        let sig = crate::signames::parse(signal).ok();
        let mut lines = Vec::new();
        for it in names::resolve(self.sup.procs(), names, Action::Signal) {
            let (Some(id), spec) = (it.proc, it.spec) else {
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

    fn pid_request(&mut self, key: Key, names: &[String]) {
        if names.is_empty() {
            let pid = sys::proc::getpid() as u32;
            return self.reply(key, vec![results::pid_result(pid)]);
        }
        let procs = self.sup.procs();
        let pid_of = |id: ProcId| procs.get(id).and_then(|p| p.machine.pid()).unwrap_or(0);
        let mut lines = Vec::new();
        for name in names::normalize(names) {
            if name == "all" {
                // In status order (group, then name), the sort status uses.
                lines.extend(live_rows(procs).iter().map(|r| ResultLine {
                    text: r.p.machine.pid().unwrap_or(0).to_string(),
                    effect: None,
                }));
                continue;
            }
            lines.push(match names::find_one(procs, &name) {
                Some(id) => results::pid_result(pid_of(id) as u32),
                None => results::pid_no_such(&name),
            });
        }
        self.reply(key, lines);
    }

    fn tail_request(&mut self, key: Key, name: &str, channel: Stream, mode: TailMode) {
        let Some(id) = names::find_one(self.sup.procs(), name) else {
            return self.reply(key, vec![results::tail_error(name, Fault::BadName)]);
        };
        let idx = match channel {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        };
        let path = self
            .sup
            .procs()
            .get(id)
            .and_then(|s| s.logs[idx].path_buf());
        let Some(path) = path else {
            return self.reply(key, vec![results::tail_error(name, Fault::NoFile)]);
        };
        self.tail_path(key, name, path, mode);
    }

    fn maintail_request(&mut self, key: Key, mode: TailMode) {
        let Some(path) = self.log.path().map(|p| p.to_path_buf()) else {
            return self.reply(key, vec![results::tail_error("supervisord", Fault::NoFile)]);
        };
        self.tail_path(key, "supervisord", path, mode);
    }

    fn tail_path(&mut self, key: Key, name: &str, path: std::path::PathBuf, mode: TailMode) {
        let clamp = |n: u64| n.min(i64::MAX as u64) as i64;
        let res = match mode {
            TailMode::Last(n) => read_log(&path, -clamp(n), 0),
            TailMode::From(n) => read_log(&path, clamp(n), 0),
            TailMode::Follow => {
                if !self.control.follow(key, path, &mut self.io) {
                    self.reply(key, vec![results::tail_error(name, Fault::NoFile)]);
                }
                return;
            }
        };
        match res {
            Ok(data) => {
                // supervisorctl prints the log text plus a newline.
                if !data.is_empty() {
                    self.control.push_text(key, &data);
                }
                self.control.push_line(key, b"");
                self.control.finish(key, &mut self.io);
            }
            Err(ReadLogError::NoFile) => {
                self.reply(key, vec![results::tail_error(name, Fault::NoFile)])
            }
            Err(_) => self.reply(key, vec![results::tail_error(name, Fault::Failed)]),
        }
    }

    fn clear_request(&mut self, key: Key, names: &[String]) {
        let mut lines = Vec::new();
        for it in names::resolve(self.sup.procs(), names, Action::Clear) {
            let (Some(id), spec) = (it.proc, it.spec) else {
                lines.extend(it.result);
                continue;
            };
            let mut ok = true;
            if let Some(s) = self.sup.procs_mut().get_mut(id) {
                for log in s.logs.iter_mut() {
                    let res = match (&mut log.file, &log.path) {
                        (Some(f), _) => f.clear(),
                        (None, Some(p)) if p.exists() => std::fs::write(p, b""),
                        _ => Ok(()),
                    };
                    ok &= res.is_ok();
                }
                // Clearing reopens the file; a process that is not running keeps it closed.
                if s.machine.pid().is_none() {
                    s.close_logs();
                }
            }
            let fault = if ok { None } else { Some(Fault::Failed) };
            lines.push(results::process_result(Action::Clear, &spec, fault, ""));
        }
        self.reply(key, lines);
    }

    fn rotate_request(&mut self, key: Key, names: &[String]) {
        let mut lines = Vec::new();
        for it in names::resolve(self.sup.procs(), names, Action::Rotate) {
            let (Some(id), spec) = (it.proc, it.spec) else {
                lines.extend(it.result);
                continue;
            };
            let res = match self.sup.procs_mut().get_mut(id) {
                Some(p) => crate::daemon::rotate::rotate_proc(p, &mut self.log),
                None => Err((Fault::BadName, String::new())),
            };
            lines.push(match res {
                Ok(()) => results::process_result(Action::Rotate, &spec, None, ""),
                Err((f, why)) => results::process_result(Action::Rotate, &spec, Some(f), &why),
            });
        }
        self.reply(key, lines);
    }

    fn sendstdin_request(&mut self, key: Key, name: &str, text: &str) {
        let Some(id) = names::find_one(self.sup.procs(), name) else {
            return self.reply(key, vec![results::sendstdin_error(name, Fault::BadName)]);
        };
        match self.send_stdin(id, text.as_bytes()) {
            Ok(()) => self.reply(key, Vec::new()),
            Err(f) => self.reply(key, vec![results::sendstdin_error(name, f)]),
        }
    }

    /// `sendstdin` / `sendProcessStdin`: the text is delivered whole or refused before any
    /// of it is written. What the pipe does not take now waits in the process's bounded
    /// buffer ([`crate::daemon::procs::STDIN_BUFFER`]) and goes out as the pipe has room; a request that the
    /// buffer cannot hold in full is refused (`Failed`), so a client that retries never
    /// duplicates data.
    pub(super) fn send_stdin(&mut self, id: ProcId, text: &[u8]) -> Result<(), Fault> {
        let Some(p) = self.sup.procs_mut().get_mut(id) else {
            return Err(Fault::BadName);
        };
        if p.machine.pid().is_none() || p.machine.state() == State::Stopping {
            return Err(Fault::NotRunning);
        }
        let Some(k) = p.stdin else {
            return Err(Fault::NoFile);
        };
        if p.listener.is_some() {
            // A listener's stdin carries the protocol, whose envelopes own the pipe's
            // buffer: text goes in only when the pipe takes all of it now.
            let pending = p.listener.as_ref().is_some_and(|l| !l.out.is_empty());
            if pending || self.io.stdin_room(k) < text.len() {
                return Err(Fault::Failed);
            }
            return match self.io.write(k, text) {
                Ok(n) if n == text.len() => Ok(()),
                _ => Err(Fault::NoFile),
            };
        }
        if !p.stdin_fits(text) {
            return Err(Fault::Failed);
        }
        let mut n = 0;
        if p.stdin_out.is_empty() {
            n = self.io.write(k, text).map_err(|_| Fault::NoFile)?;
        }
        if n < text.len() {
            p.stdin_out.extend_from_slice(&text[n..]);
            self.io.set_interest(k, Interest::WRITE);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_is_refused_while_stopping() {
        let f = |req: Request| {
            refusal_while_stopping(&req)
                .into_iter()
                .map(|l| l.text)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            f(Request::Status { names: vec![] }),
            vec!["ERROR: supervisor shutting down"]
        );
        let add = f(Request::Add {
            names: vec!["a".into(), "b".into()],
        });
        assert_eq!(add.len(), 2);
        let shutdown = refusal_while_stopping(&Request::Shutdown);
        assert_eq!(shutdown.len(), 1);
    }
}
