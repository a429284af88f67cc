//! The values of Supervisor's XML-RPC answers, pure over the process table: faults as the
//! reference words them, process info structs, result structs, config info structs, and
//! the answer a wait's verdicts give.

use crate::config::model::{GroupConfig, LogTarget, ProcessConfig};
use crate::daemon::procs::{ProcId, Procs};
use crate::daemon::waits::Verdict;
use crate::protocol::fault::Fault as F;
use crate::protocol::xmlrpc::{Fault, Value};

type Reply = Result<Value, Fault>;

/// A fault as the reference words it: `NAME` or `NAME: detail`.
pub fn fault(f: F, detail: &str) -> Fault {
    let name = f.name();
    Fault {
        code: f.code(),
        string: if detail.is_empty() {
            name.to_string()
        } else {
            format!("{name}: {detail}")
        },
    }
}

pub fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

pub fn i(v: i64) -> Value {
    Value::Int(v)
}

/// Epoch seconds capped to 32 bits, as the reference does for XML-RPC's `int`.
fn epoch(ms: Option<u64>) -> Value {
    i(ms.map_or(0, |ms| (ms / 1000).min(i32::MAX as u64) as i64))
}

/// The info struct of one process (`getProcessInfo`).
pub fn process_info(procs: &Procs, id: ProcId, now_ms: u64, description: String) -> Value {
    let Some(p) = procs.get(id) else {
        return Value::Nil;
    };
    let state = p.machine.state();
    let log = |n: usize| {
        s(&p.logs[n]
            .path
            .as_ref()
            .map(|x| x.display().to_string())
            .unwrap_or_default())
    };
    let mut fields = vec![
        ("name".into(), s(p.machine.name())),
        ("group".into(), s(p.group())),
        ("start".into(), epoch(p.start_wall_ms)),
        ("stop".into(), epoch(p.stop_wall_ms)),
        ("now".into(), epoch(Some(now_ms))),
        ("state".into(), i(state.code() as i64)),
        ("statename".into(), s(state.name())),
        ("spawnerr".into(), s(p.machine.spawnerr().unwrap_or(""))),
        (
            "exitstatus".into(),
            i(p.machine.exitstatus().unwrap_or(0) as i64),
        ),
        ("logfile".into(), log(0)),
        ("stdout_logfile".into(), log(0)),
        ("stderr_logfile".into(), log(1)),
        ("pid".into(), i(p.machine.pid().unwrap_or(0) as i64)),
        ("description".into(), s(&description)),
    ];
    // Extra keys (supervisor-rs), only for a process with a health check, so the
    // reference's struct is unchanged for every other.
    if p.cfg().supervision.health.is_some() {
        let m = &p.machine;
        let health = match (state, m.health_failures(), m.unhealthy()) {
            (_, _, true) => "unhealthy",
            (crate::process::state::State::Running, 0, _) => "healthy",
            (crate::process::state::State::Running, _, _) => "failing",
            _ => "unknown",
        };
        fields.push(("health".into(), s(health)));
        fields.push(("health_failures".into(), i(i64::from(m.health_failures()))));
        fields.push(("health_error".into(), s(m.probe_error().unwrap_or(""))));
    }
    Value::Struct(fields)
}

/// A result struct of the group and all methods.
pub fn result_struct(procs: &Procs, v: &Verdict) -> Value {
    let (name, group) = match v.proc.and_then(|id| procs.get(id)) {
        Some(p) => (p.machine.name().to_string(), p.group().to_string()),
        None => (v.spec.clone(), v.spec.clone()),
    };
    let (status, description) = match v.fault {
        None => (80, "OK".to_string()),
        Some(f) => (f.code(), fault(f, v.detail()).string),
    };
    Value::Struct(vec![
        ("name".into(), s(&name)),
        ("group".into(), s(&group)),
        ("status".into(), i(status as i64)),
        ("description".into(), s(&description)),
    ])
}

/// The answer a wait's verdicts give: `true` or the fault for one process, else an array.
pub fn verdicts_answer(procs: &Procs, single: bool, verdicts: &[Verdict]) -> Reply {
    if single {
        return match verdicts.first() {
            Some(v @ Verdict { fault: Some(f), .. }) => Err(fault(*f, v.detail())),
            _ => Ok(Value::Bool(true)),
        };
    }
    Ok(Value::Array(
        verdicts.iter().map(|v| result_struct(procs, v)).collect(),
    ))
}

/// `getAllConfigInfo`'s struct for one configured process, in the reference's key order;
/// `logs` are the files a process in use opened.
pub fn config_info(
    g: &GroupConfig,
    p: &ProcessConfig,
    inuse: bool,
    logs: Option<[Option<std::path::PathBuf>; 2]>,
) -> Value {
    let none = || s("none");
    let target = |t: &LogTarget, opened: Option<&Option<std::path::PathBuf>>| match (t, opened) {
        (LogTarget::None, _) => none(),
        (_, Some(Some(path))) => s(&path.display().to_string()),
        (LogTarget::Auto, _) => s("auto"),
        (LogTarget::Path(x), _) => s(&x.display().to_string()),
    };
    let mut v = vec![
        ("autostart".to_string(), Value::Bool(p.autostart)),
        (
            "directory".into(),
            p.directory
                .as_ref()
                .map_or_else(none, |d| s(&d.display().to_string())),
        ),
        ("uid".into(), p.uid.map_or_else(none, |u| i(u as i64))),
        ("command".into(), s(&p.command)),
        (
            "exitcodes".into(),
            Value::Array(p.exitcodes.iter().map(|c| i(*c as i64)).collect()),
        ),
        ("group".into(), s(&g.name)),
        ("group_prio".into(), i(g.priority)),
        ("inuse".into(), Value::Bool(inuse)),
        ("killasgroup".into(), Value::Bool(p.killasgroup)),
        ("name".into(), s(&p.name)),
        ("process_prio".into(), i(p.priority)),
        ("redirect_stderr".into(), Value::Bool(p.redirect_stderr)),
        // `unlimited` as -1, as `--check-config --json` writes it (and within XML-RPC's int).
        (
            "startretries".into(),
            i(
                if p.startretries == crate::config::model::UNLIMITED_RETRIES {
                    -1
                } else {
                    i64::from(p.startretries)
                },
            ),
        ),
        ("startsecs".into(), i(p.startsecs as i64)),
    ];
    let channel = |v: &mut Vec<(String, Value)>, n: usize, prefix: &str| {
        let ch = if n == 0 { &p.stdout } else { &p.stderr };
        let opened = logs.as_ref().map(|l| &l[n]);
        v.push((
            format!("{prefix}_capture_maxbytes"),
            i(ch.capture_maxbytes as i64),
        ));
        v.push((
            format!("{prefix}_events_enabled"),
            Value::Bool(ch.events_enabled),
        ));
        v.push((format!("{prefix}_logfile"), target(&ch.logfile, opened)));
        v.push((
            format!("{prefix}_logfile_backups"),
            i(ch.logfile_backups as i64),
        ));
        v.push((
            format!("{prefix}_logfile_maxbytes"),
            i(ch.logfile_maxbytes as i64),
        ));
        v.push((format!("{prefix}_syslog"), Value::Bool(ch.syslog)));
    };
    channel(&mut v, 0, "stdout");
    v.push(("stopsignal".into(), i(p.stopsignal as i64)));
    v.push(("stopwaitsecs".into(), i(p.stopwaitsecs as i64)));
    channel(&mut v, 1, "stderr");
    v.push((
        "serverurl".into(),
        p.serverurl.as_deref().map_or_else(none, s),
    ));
    Value::Struct(v)
}
