//! Supervisor's XML-RPC interface (API 3.0, reference §5) over the daemon: each method maps
//! onto the same parts the text protocol uses. Calls that wait for processes (`start*` and
//! `stop*` with `wait=true`) become the same [`Wait`]s as the text protocol's, and their
//! answer is sent when the wait reports its verdicts; nothing here blocks the loop.

use crate::daemon::access;
use crate::daemon::deferred::Deferred;
use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::daemon::names;
use crate::daemon::procs::ProcId;
use crate::daemon::rpc_values::{
    config_info, fault, i, process_info, result_struct, s, verdicts_answer,
};
use crate::daemon::waits::{Verdict, Wait};
use crate::logfile::tail::{read_log, tail, ReadLogError};
use crate::process::machine::{Input, Mood, Outcome as MOutcome};
use crate::protocol::fault::Fault as F;
use crate::protocol::results::Action;
use crate::protocol::rpc_methods;
use crate::protocol::xmlrpc::{Call, Fault, Value};
use crate::stream::Stream;
use crate::sys;
use crate::time::Mono;

/// What a start or stop call names: the name as given, the namespec it means, whether it
/// waits, and whether it concerns one process (`true` or a fault) or several (an array).
struct Target {
    name: String,
    spec: String,
    wait: bool,
    single: bool,
}

/// The target of `startProcess`/`stopProcess` (`many`: their group and all forms).
fn target(call: &Call, many: bool) -> Result<Target, Fault> {
    let all = call.method.ends_with("AllProcesses");
    let name = if all {
        "all".to_string()
    } else {
        arg_str(call, 0)?.to_string()
    };
    let wait = arg_wait(call, if all { 0 } else { 1 })?;
    let spec = if many && name != "all" {
        format!("{name}:*")
    } else {
        name.clone()
    };
    let single = !many && !spec.ends_with(":*") && !spec.ends_with(':');
    Ok(Target {
        name,
        spec,
        wait,
        single,
    })
}

/// What a call gives now.
pub(super) enum Answer {
    /// The answer.
    Now(Result<Value, Fault>),
    /// The answer follows when this wait reports (for one process, or an array).
    Wait(Wait, bool),
    /// Everything is in hand (a multicall's state went to the client); nothing to send now.
    Pending,
}

type Reply = Result<Value, Fault>;

fn arg_str(call: &Call, n: usize) -> Result<&str, Fault> {
    match call.params.get(n) {
        Some(Value::Str(v)) => Ok(v),
        _ => Err(fault(F::IncorrectParameters, "")),
    }
}

fn arg_int(call: &Call, n: usize) -> Result<i64, Fault> {
    match call.params.get(n) {
        Some(Value::Int(v)) => Ok(*v),
        _ => Err(fault(F::IncorrectParameters, "")),
    }
}

/// The optional `wait` flag (default true).
fn arg_wait(call: &Call, n: usize) -> Result<bool, Fault> {
    match call.params.get(n) {
        None => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Int(v)) => Ok(*v != 0),
        _ => Err(fault(F::IncorrectParameters, "")),
    }
}

/// Checks the number of parameters against the method's signature.
fn arity(call: &Call, min: usize, max: usize) -> Result<(), Fault> {
    if call.params.len() < min || call.params.len() > max {
        return Err(fault(F::IncorrectParameters, ""));
    }
    Ok(())
}

impl Daemon {
    /// Runs one XML-RPC call for the client at `key`; `nested`: inside `system.multicall`
    /// (which may not nest).
    pub(super) fn rpc(&mut self, key: Key, call: &Call, now: Mono, nested: bool) -> Answer {
        let method = call.method.as_str();
        let Some(m) = rpc_methods::find(method) else {
            return Answer::Now(Err(fault(F::UnknownMethod, "")));
        };
        if let Some(why) = self.control.refusal(key, access::rpc_need(method), method) {
            return Answer::Now(Err(fault(F::Forbidden, &why)));
        }
        let (min, max) = m.arity();
        if call.params.len() < min || call.params.len() > max {
            return Answer::Now(Err(fault(F::IncorrectParameters, "")));
        }
        let mood = self.sup.lifecycle().mood();
        let reads = matches!(
            method,
            "supervisor.getState" | "supervisor.getPID" | "supervisor.getAPIVersion"
        ) || method.starts_with("system.");
        if mood != Mood::Running && !reads {
            return Answer::Now(Err(fault(F::ShutdownState, "")));
        }
        match method {
            "supervisor.startProcess" => self.rpc_start(key, call, now, false),
            "supervisor.startProcessGroup" => self.rpc_start(key, call, now, true),
            "supervisor.startAllProcesses" => self.rpc_start(key, call, now, true),
            "supervisor.stopProcess" => self.rpc_stop(key, call, now, false),
            "supervisor.stopProcessGroup" => self.rpc_stop(key, call, now, true),
            "supervisor.stopAllProcesses" => self.rpc_stop(key, call, now, true),
            "system.multicall" if !nested => self.multicall(key, call, now),
            _ => Answer::Now(self.rpc_now(call, now)),
        }
    }

    /// Calls answered at once.
    fn rpc_now(&mut self, call: &Call, now: Mono) -> Reply {
        let m = call.method.as_str();
        match m {
            "supervisor.getAPIVersion" | "supervisor.getVersion" => Ok(s("3.0")),
            "supervisor.getSupervisorVersion" => Ok(s(crate::VERSION)),
            "supervisor.getIdentification" => Ok(s(&self.config.supervisord.identifier)),
            "supervisor.getState" => {
                let (code, name) = match self.sup.lifecycle().mood() {
                    Mood::Running => (1, "RUNNING"),
                    Mood::Restarting => (0, "RESTARTING"),
                    Mood::ShuttingDown => (-1, "SHUTDOWN"),
                };
                Ok(Value::Struct(vec![
                    ("statecode".into(), i(code)),
                    ("statename".into(), s(name)),
                ]))
            }
            "supervisor.getPID" => Ok(i(sys::proc::getpid() as i64)),
            "supervisor.readLog" | "supervisor.readMainLog" => {
                arity(call, 2, 2)?;
                let path = self.log.path().map(|p| p.to_path_buf());
                let Some(path) = path else {
                    return Err(fault(F::NoFile, ""));
                };
                read(&path, arg_int(call, 0)?, arg_int(call, 1)?)
            }
            "supervisor.clearLog" => match self.log.clear() {
                Ok(()) => Ok(Value::Bool(true)),
                Err(_) => Err(fault(F::Failed, "")),
            },
            "supervisor.shutdown" => {
                self.stop_all(Mood::ShuttingDown, now);
                Ok(Value::Bool(true))
            }
            "supervisor.restart" => match self.request_restart(now) {
                Ok(()) => Ok(Value::Bool(true)),
                Err(e) => Err(fault(F::CantReread, &e)),
            },
            "supervisor.reloadConfig" => {
                let new = self.reload.read().map_err(|e| fault(F::CantReread, &e))?;
                let (a, c, r) = self.diff_groups(&new);
                self.reload.set_loaded(new);
                let list = |v: Vec<String>| Value::Array(v.iter().map(|x| s(x)).collect());
                Ok(Value::Array(vec![Value::Array(vec![
                    list(a),
                    list(c),
                    list(r),
                ])]))
            }
            "supervisor.addProcessGroup" => self.rpc_add_group(arg_str(call, 0)?, now),
            "supervisor.removeProcessGroup" => self.rpc_remove_group(arg_str(call, 0)?),
            "supervisor.signalProcess" => self.rpc_signal(call, now, Some(false)),
            "supervisor.signalProcessGroup" => self.rpc_signal(call, now, Some(true)),
            "supervisor.signalAllProcesses" => self.rpc_signal(call, now, None),
            "supervisor.getAllConfigInfo" => Ok(self.all_config_info()),
            "supervisor.getProcessInfo" => {
                let name = arg_str(call, 0)?;
                let id = names::find_one(self.sup.procs(), name)
                    .ok_or_else(|| fault(F::BadName, name))?;
                Ok(self.info_of(id))
            }
            "supervisor.getAllProcessInfo" => {
                let procs = self.sup.procs();
                let mut ids: Vec<ProcId> = procs.ids();
                crate::sort::sort_by(&mut ids, &|a, b| {
                    let key = |id: &ProcId| {
                        procs
                            .get(*id)
                            .map(|p| (p.group().to_string(), p.machine.name().to_string()))
                    };
                    key(a).cmp(&key(b))
                });
                Ok(Value::Array(
                    ids.into_iter().map(|id| self.info_of(id)).collect(),
                ))
            }
            "supervisor.readProcessStdoutLog" | "supervisor.readProcessLog" => {
                self.rpc_read(call, Stream::Stdout)
            }
            "supervisor.readProcessStderrLog" => self.rpc_read(call, Stream::Stderr),
            "supervisor.tailProcessStdoutLog" | "supervisor.tailProcessLog" => {
                self.rpc_tail(call, Stream::Stdout)
            }
            "supervisor.tailProcessStderrLog" => self.rpc_tail(call, Stream::Stderr),
            "supervisor.clearProcessLogs" | "supervisor.clearProcessLog" => {
                let name = arg_str(call, 0)?;
                let id = names::find_one(self.sup.procs(), name)
                    .ok_or_else(|| fault(F::BadName, name))?;
                if self.clear_process_logs(id) {
                    Ok(Value::Bool(true))
                } else {
                    Err(fault(F::Failed, name))
                }
            }
            "supervisor.clearAllProcessLogs" => {
                let ids = self.sup.procs().start_order();
                let mut out = Vec::new();
                for id in ids {
                    let ok = self.clear_process_logs(id);
                    let v = Verdict {
                        proc: Some(id),
                        spec: self
                            .sup
                            .procs()
                            .get(id)
                            .map(|p| p.namespec())
                            .unwrap_or_default(),
                        fault: (!ok).then_some(F::Failed),
                        why: String::new(),
                    };
                    out.push(result_struct(self.sup.procs(), &v));
                }
                Ok(Value::Array(out))
            }
            "supervisor.sendProcessStdin" => self.rpc_stdin(call),
            "supervisor.sendRemoteCommEvent" => {
                let (kind, data) = (arg_str(call, 0)?, arg_str(call, 1)?);
                let event = crate::events::types::Event::remote(kind, data);
                self.bus.emit(event, &mut self.log);
                Ok(Value::Bool(true))
            }
            "system.listMethods" => Ok(Value::Array(
                rpc_methods::METHODS.iter().map(|m| s(m.name)).collect(),
            )),
            "system.methodHelp" => {
                let name = arg_str(call, 0)?;
                rpc_methods::find(name)
                    .map(|m| s(&m.help()))
                    .ok_or_else(|| fault(F::SignatureUnsupported, ""))
            }
            // A flat [return, params...], as the reference answers (not XML-RPC's array of
            // signatures): clients are written against it.
            "system.methodSignature" => {
                let name = arg_str(call, 0)?;
                rpc_methods::find(name)
                    .map(|m| Value::Array(m.signature().into_iter().map(s).collect()))
                    .ok_or_else(|| fault(F::SignatureUnsupported, ""))
            }
            "system.multicall" => Err(fault(
                F::IncorrectParameters,
                "Recursive system.multicall forbidden",
            )),
            _ => Err(fault(F::UnknownMethod, "")),
        }
    }

    fn info_of(&self, id: ProcId) -> Value {
        let description = self
            .status_rows_of(&[id])
            .into_iter()
            .next()
            .map(|r| r.description)
            .unwrap_or_default();
        process_info(self.sup.procs(), id, sys::wall_clock_ms(), description)
    }

    fn all_config_info(&self) -> Value {
        let config = self.reload.loaded().unwrap_or(&self.config);
        let mut rows = Vec::new();
        for g in &config.groups {
            let procs = self.sup.procs();
            let inuse = procs.group(&g.name).is_some();
            for p in &g.processes {
                // A process in use shows its log files as opened (an AUTO name resolved).
                let logs = procs
                    .find(&g.name, &p.name)
                    .and_then(|id| procs.get(id))
                    .map(|x| [x.logs[0].path_buf(), x.logs[1].path_buf()]);
                rows.push((p.name.clone(), config_info(g, p, inuse, logs)));
            }
        }
        crate::sort::sort_by(&mut rows, &|a, b| a.0.cmp(&b.0));
        Value::Array(rows.into_iter().map(|r| r.1).collect())
    }

    fn log_path(&self, call: &Call, stream: Stream) -> Result<Option<std::path::PathBuf>, Fault> {
        let name = arg_str(call, 0)?;
        let id = names::find_one(self.sup.procs(), name).ok_or_else(|| fault(F::BadName, name))?;
        Ok(self
            .sup
            .procs()
            .get(id)
            .and_then(|p| p.logs[stream as usize].path_buf()))
    }

    fn rpc_read(&self, call: &Call, stream: Stream) -> Reply {
        arity(call, 3, 3)?;
        let path = self.log_path(call, stream)?;
        let Some(path) = path else {
            return Err(fault(F::NoFile, ""));
        };
        read(&path, arg_int(call, 1)?, arg_int(call, 2)?)
    }

    fn rpc_tail(&self, call: &Call, stream: Stream) -> Reply {
        arity(call, 3, 3)?;
        let (offset, length) = (arg_int(call, 1)?, arg_int(call, 2)?);
        if offset < 0 || length < 0 {
            return Err(fault(F::BadArguments, ""));
        }
        let path = self.log_path(call, stream)?;
        let t = match path {
            Some(p) => tail(&p, offset, length),
            None => return Ok(Value::Array(vec![s(""), i(0), Value::Bool(false)])),
        };
        Ok(Value::Array(vec![
            s(&String::from_utf8_lossy(&t.data)),
            i(t.offset),
            Value::Bool(t.overflow),
        ]))
    }

    pub(super) fn clear_process_logs(&mut self, id: ProcId) -> bool {
        let mut ok = true;
        if let Some(p) = self.sup.procs_mut().get_mut(id) {
            for log in p.logs.iter_mut() {
                let res = match (&mut log.file, &log.path) {
                    (Some(f), _) => f.clear(),
                    (None, Some(path)) if path.exists() => std::fs::write(path, b""),
                    _ => Ok(()),
                };
                ok &= res.is_ok();
            }
            // Clearing reopens the file; a process that is not running keeps it closed.
            if p.machine.pid().is_none() {
                p.close_logs();
            }
        }
        ok
    }

    fn rpc_stdin(&mut self, call: &Call) -> Reply {
        let (name, chars) = (arg_str(call, 0)?, arg_str(call, 1)?);
        let id = names::find_one(self.sup.procs(), name).ok_or_else(|| fault(F::BadName, name))?;
        match self.send_stdin(id, chars.as_bytes()) {
            Ok(()) => Ok(Value::Bool(true)),
            Err(F::Failed) => Err(fault(
                F::Failed,
                &format!("{name}: stdin buffer full, nothing written"),
            )),
            Err(f) => Err(fault(f, name)),
        }
    }

    fn rpc_add_group(&mut self, name: &str, now: Mono) -> Reply {
        if self.sup.procs().group(name).is_some() {
            return Err(fault(F::AlreadyAdded, name));
        }
        let config = self
            .reload
            .loaded()
            .cloned()
            .unwrap_or_else(|| self.config.clone());
        let g = config
            .groups
            .iter()
            .find(|g| g.name == name)
            .cloned()
            .ok_or_else(|| fault(F::BadName, name))?;
        self.add_group(&config, &g, now);
        Ok(Value::Bool(true))
    }

    fn rpc_remove_group(&mut self, name: &str) -> Reply {
        if self.sup.procs().group(name).is_none() {
            return Err(fault(F::BadName, name));
        }
        let procs = self.sup.procs();
        if procs
            .group_ids(name)
            .iter()
            .any(|id| !procs.state_of(*id).is_stopped())
        {
            return Err(fault(F::StillRunning, name));
        }
        self.remove_group(name);
        Ok(Value::Bool(true))
    }

    /// `signalProcess` (`group = Some(false)`), `signalProcessGroup` (`Some(true)`),
    /// `signalAllProcesses` (`None`).
    fn rpc_signal(&mut self, call: &Call, now: Mono, group: Option<bool>) -> Reply {
        let (name, sig_arg) = match group {
            None => ("all".to_string(), call.params.first()),
            Some(_) => (arg_str(call, 0)?.to_string(), call.params.get(1)),
        };
        let given = match sig_arg {
            Some(Value::Str(v)) => v.clone(),
            Some(Value::Int(n)) => n.to_string(),
            _ => return Err(fault(F::IncorrectParameters, "")),
        };
        let Ok(sig) = crate::signames::parse(&given) else {
            return Err(fault(F::BadSignal, &given));
        };
        let spec = if group == Some(true) {
            format!("{name}:*")
        } else {
            name.clone()
        };
        let items = names::resolve(self.sup.procs(), &[spec], Action::Signal);
        if let Some(it) = items.iter().find(|it| it.proc.is_none()) {
            return Err(fault(it.fault.unwrap_or(F::BadName), &name));
        }
        let mut verdicts = Vec::new();
        for it in items {
            let Some(id) = it.proc else { continue };
            let fault = match self.feed(id, Input::Signal(sig), now) {
                MOutcome::Ok | MOutcome::Ignored => None,
                MOutcome::NotRunning => Some(F::NotRunning),
                _ => Some(F::Failed),
            };
            verdicts.push(Verdict {
                proc: Some(id),
                spec: it.spec,
                fault,
                why: String::new(),
            });
        }
        verdicts_answer(self.sup.procs(), group == Some(false), &verdicts)
    }

    /// The call's target and the processes it means; BAD_NAME when a name matches nothing.
    fn targets(
        &self,
        call: &Call,
        many: bool,
        action: Action,
    ) -> Result<(Target, Vec<names::Item>), Fault> {
        let t = target(call, many)?;
        let items = names::resolve(self.sup.procs(), std::slice::from_ref(&t.spec), action);
        if let Some(it) = items.iter().find(|it| it.proc.is_none()) {
            return Err(fault(it.fault.unwrap_or(F::BadName), &t.name));
        }
        Ok((t, items))
    }

    /// `startProcess`, `startProcessGroup`, `startAllProcesses`.
    fn rpc_start(&mut self, key: Key, call: &Call, now: Mono, many: bool) -> Answer {
        let (t, mut items) = match self.targets(call, many, Action::Start) {
            Ok(v) => v,
            Err(f) => return Answer::Now(Err(f)),
        };
        let (wait, single) = (t.wait, t.single);
        for it in items.iter_mut() {
            let Some(id) = it.proc else { continue };
            if let Some((f, why)) = self.try_start(id, now) {
                it.settle(Action::Start, Some(f), "");
                it.why = why;
            }
        }
        if !wait {
            self.sup.save_wishes(&mut self.log);
            let verdicts: Vec<Verdict> = items.iter().map(Verdict::of).collect();
            return Answer::Now(verdicts_answer(self.sup.procs(), single, &verdicts));
        }
        Answer::Wait(Wait::start(key, items), single)
    }

    /// `stopProcess`, `stopProcessGroup`, `stopAllProcesses`.
    fn rpc_stop(&mut self, key: Key, call: &Call, now: Mono, many: bool) -> Answer {
        let (t, items) = match self.targets(call, many, Action::Stop) {
            Ok(v) => v,
            Err(f) => return Answer::Now(Err(f)),
        };
        let (wait, single) = (t.wait, t.single);
        self.sup.wish_stopped(&items);
        if !wait {
            let mut verdicts = Vec::new();
            for it in items {
                let Some(id) = it.proc else { continue };
                let fault = if !self.sup.procs().state_of(id).is_running() {
                    Some(F::NotRunning)
                } else {
                    match self.feed(id, Input::Stop, now) {
                        MOutcome::Failed(_) => Some(F::Failed),
                        _ => None,
                    }
                };
                verdicts.push(Verdict {
                    proc: Some(id),
                    spec: it.spec,
                    fault,
                    why: String::new(),
                });
            }
            self.sup.save_wishes(&mut self.log);
            return Answer::Now(verdicts_answer(self.sup.procs(), single, &verdicts));
        }
        Answer::Wait(Wait::stop(key, items, self.sup.procs(), None), single)
    }

    /// `system.multicall`: each call in turn, a waiting one answered before the next runs.
    fn multicall(&mut self, key: Key, call: &Call, now: Mono) -> Answer {
        let Some(Value::Array(calls)) = call.params.first() else {
            return Answer::Now(Err(fault(F::IncorrectParameters, "")));
        };
        let state = Deferred::Multicall {
            results: Vec::new(),
            rest: calls.iter().cloned().collect(),
            single: false,
            answer: None,
        };
        self.multicall_step(key, state, now)
    }

    /// Runs a multicall's calls until one waits (its state then goes to the client and the
    /// wait's end calls this again) or all are done (the answer is sent).
    pub(super) fn multicall_step(&mut self, key: Key, state: Deferred, now: Mono) -> Answer {
        let Deferred::Multicall {
            mut results,
            mut rest,
            answer,
            ..
        } = state
        else {
            return Answer::Pending;
        };
        if let Some(a) = answer {
            results.push(as_result(a));
        }
        while let Some(c) = rest.pop_front() {
            let inner = match one_call(&c) {
                Ok(inner) => inner,
                Err(f) => {
                    results.push(as_result(Err(f)));
                    continue;
                }
            };
            match self.rpc(key, &inner, now, true) {
                Answer::Now(r) => results.push(as_result(r)),
                Answer::Pending => {}
                Answer::Wait(mut w, single) => {
                    let state = Deferred::Multicall {
                        results,
                        rest,
                        single,
                        answer: None,
                    };
                    self.control.defer(key, state);
                    self.run_wait(&mut w, now);
                    if !w.is_done() {
                        self.control.add_wait(w);
                    }
                    return Answer::Pending;
                }
            }
        }
        self.control
            .respond_rpc(key, Ok(Value::Array(results)), &mut self.io);
        Answer::Pending
    }
}

/// One call of a multicall: `{methodName, params}`.
fn one_call(c: &Value) -> Result<Call, Fault> {
    let Value::Struct(fields) = c else {
        return Err(fault(F::IncorrectParameters, ""));
    };
    let field = |k: &str| fields.iter().find(|(n, _)| n == k).map(|f| &f.1);
    let Some(Value::Str(method)) = field("methodName") else {
        return Err(fault(F::IncorrectParameters, "No methodName"));
    };
    let params = match field("params") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    Ok(Call {
        method: method.clone(),
        params,
    })
}

/// A multicall result: the value, or `{faultCode, faultString}`.
fn as_result(r: Result<Value, Fault>) -> Value {
    match r {
        Ok(v) => v,
        Err(f) => Value::Struct(vec![
            ("faultCode".into(), i(f.code as i64)),
            ("faultString".into(), s(&f.string)),
        ]),
    }
}

/// `readLog` semantics with the reference's faults.
fn read(path: &std::path::Path, offset: i64, length: i64) -> Reply {
    match read_log(path, offset, length) {
        Ok(data) => Ok(s(&String::from_utf8_lossy(&data))),
        Err(ReadLogError::BadArguments) => Err(fault(F::BadArguments, "")),
        Err(ReadLogError::NoFile) => Err(fault(F::NoFile, "")),
        Err(ReadLogError::Failed) => Err(fault(F::Failed, "")),
    }
}
