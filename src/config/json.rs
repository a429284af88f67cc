//! `--check-config --json`: a minimal JSON writer and the verdict document in the schema of
//! the conformance corpus (same keys and shapes as the reference's verdicts).

use super::error::ConfigErrorKind;
use super::load::LoadReport;
use super::model::{
    AutoRestart, ChannelConfig, Config, Curve, EnvFilePath, GroupConfig, GroupKind, LogTarget,
    Principal, ProcessConfig, Ready, ServerAddress, ServerConfig, Supervision, SupervisordConfig,
    UNLIMITED_RETRIES,
};

pub use crate::json::Json;

fn s(v: &str) -> Json {
    Json::Str(v.to_string())
}

fn opt_s(v: Option<&str>) -> Json {
    v.map_or(Json::Null, s)
}

fn strs<'a>(v: impl IntoIterator<Item = &'a String>) -> Json {
    Json::Arr(v.into_iter().map(|x| s(x)).collect())
}

fn octal(v: u32) -> Json {
    Json::Str(format!("{v:03o}"))
}

/// A uid/gid where `u32::MAX` stands for the reference's -1 ("unchanged").
fn id(v: u32) -> Json {
    if v == u32::MAX {
        Json::Int(-1)
    } else {
        Json::Int(v as i64)
    }
}

fn ids(v: &[u32]) -> Json {
    Json::Arr(v.iter().map(|g| Json::Int(*g as i64)).collect())
}

fn env(pairs: &[(String, String)]) -> Json {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    crate::sort::sort_by(&mut sorted, &|a, b| a.0.cmp(&b.0));
    Json::Obj(sorted.iter().map(|(k, v)| (k.clone(), s(v))).collect())
}

/// `environment_file` paths, `-` first for those a missing file is no error for.
fn env_files(files: &[EnvFilePath]) -> Json {
    Json::Arr(files.iter().map(|f| s(&f.to_string())).collect())
}

fn obj<K: Into<String>>(items: Vec<(K, Json)>) -> Json {
    Json::Obj(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// The verdict document for a load report: ours (`accepted`, `error`, `exit_status`), and,
/// when Supervisor 4.3.0 would refuse the file at a Python plugin section we skip with a
/// warning, its message in `reference_error` (otherwise null).
pub fn report(r: &LoadReport) -> Json {
    let files = Json::Arr(
        r.files_read
            .iter()
            .map(|p| s(&p.to_string_lossy()))
            .collect(),
    );
    let accepted = r.result.is_ok();
    let own = r.result.as_ref().err().map(|e| e.message.as_str());
    let mut items = vec![
        ("accepted", Json::Bool(accepted)),
        ("error", own.map_or(Json::Null, s)),
        (
            "exit_status",
            if accepted { Json::Null } else { Json::Int(2) },
        ),
        (
            "reference_error",
            r.reference_refusal.as_deref().map_or(Json::Null, s),
        ),
        ("warnings", strs(&r.warnings)),
        ("infos", strs(&r.infos)),
        ("files_read", files),
    ];
    match &r.result {
        Ok(c) => {
            items.push(("supervisord", supervisord(&c.supervisord)));
            items.push(("servers", Json::Arr(c.servers.iter().map(server).collect())));
            items.push(("serverurl", opt_s(c.serverurl.as_deref())));
            items.push(("rpcinterfaces", strs(&c.rpcinterfaces)));
            items.push((
                "groups",
                Json::Arr(c.groups.iter().map(|g| group(c, g)).collect()),
            ));
            items.push((
                "start_order",
                Json::Arr(super::depends::start_order(c).iter().map(strs).collect()),
            ));
            items.push(("snippet", Json::Bool(false)));
        }
        Err(e) => {
            for k in [
                "supervisord",
                "servers",
                "serverurl",
                "rpcinterfaces",
                "groups",
                "start_order",
            ] {
                items.push((k, Json::Null));
            }
            let snippet = e.kind == ConfigErrorKind::NoSupervisordSection;
            items.push(("snippet", Json::Bool(snippet)));
        }
    }
    obj(items)
}

fn supervisord(c: &SupervisordConfig) -> Json {
    obj(vec![
        ("logfile", s(&c.logfile.to_string_lossy())),
        ("logfile_maxbytes", Json::Int(c.logfile_maxbytes as i64)),
        ("logfile_backups", Json::Int(c.logfile_backups as i64)),
        ("pidfile", s(&c.pidfile.to_string_lossy())),
        ("loglevel", s(c.loglevel.config_name())),
        ("nodaemon", Json::Bool(c.nodaemon)),
        ("silent", Json::Bool(c.silent)),
        ("minfds", Json::Int(c.minfds as i64)),
        ("minprocs", Json::Int(c.minprocs as i64)),
        ("umask", octal(c.umask)),
        ("user", opt_s(c.user.as_deref())),
        ("uid", c.uid.map_or(Json::Null, |u| Json::Int(u as i64))),
        // Not in the reference's verdicts, as for processes.
        ("gid", c.gid.map_or(Json::Null, |g| Json::Int(g as i64))),
        ("groups", ids(&c.groups)),
        (
            "directory",
            opt_s(c.directory.as_ref().map(|d| d.to_string_lossy()).as_deref()),
        ),
        ("identifier", s(&c.identifier)),
        ("childlogdir", s(&c.childlogdir.to_string_lossy())),
        ("nocleanup", Json::Bool(c.nocleanup)),
        ("strip_ansi", Json::Bool(c.strip_ansi)),
        ("logfile_timestamps", Json::Bool(c.logfile_timestamps)),
        (
            "state_file",
            opt_s(
                c.state_file
                    .as_ref()
                    .map(|d| d.to_string_lossy())
                    .as_deref(),
            ),
        ),
        ("environment", env(&c.environment)),
        ("environment_file", env_files(&c.environment_file)),
    ])
}

fn server(c: &ServerConfig) -> Json {
    let name = c.section.split_once(':').map(|(_, n)| n);
    let mut items = vec![("section", s(&c.section)), ("name", opt_s(name))];
    match &c.address {
        ServerAddress::Unix { file, chmod, chown } => {
            let (u, g) = chown.unwrap_or((u32::MAX, u32::MAX));
            items.push(("family", s("unix")));
            items.push(("file", s(&file.to_string_lossy())));
            items.push(("chmod", octal(*chmod)));
            items.push(("chown", Json::Arr(vec![id(u), id(g)])));
        }
        ServerAddress::Inet { host, port } => {
            items.push(("family", s("inet")));
            items.push(("host", s(host)));
            items.push(("port", Json::Int(*port as i64)));
        }
    }
    items.push(("username", opt_s(c.username.as_deref())));
    items.push(("password", opt_s(c.password.as_deref())));
    // supervisor-rs keys, only when set, so a reference config's document is unchanged.
    if let Some(a) = &c.access {
        items.push(("readers", principals(&a.readers)));
        items.push(("controllers", principals(&a.controllers)));
    }
    obj(items)
}

/// `readers`/`controllers`: `{"user": NAME, "uid": N}` or `{"group": NAME, "gid": N}` each.
fn principals(list: &[Principal]) -> Json {
    let one = |p: &Principal| match p {
        Principal::User { name, uid } => obj(vec![("user", s(name)), ("uid", id(*uid))]),
        Principal::Group { name, gid } => obj(vec![("group", s(name)), ("gid", id(*gid))]),
    };
    Json::Arr(list.iter().map(one).collect())
}

fn group(c: &Config, g: &GroupConfig) -> Json {
    let is_group_name = |n: &str| {
        c.groups
            .iter()
            .any(|o| o.kind == GroupKind::Group && o.name == n)
    };
    let kind = match g.kind {
        GroupKind::Program if is_group_name(&g.name) => "group",
        GroupKind::Program => "program",
        GroupKind::Group => "group",
        GroupKind::EventListener => "eventlistener",
        GroupKind::FcgiProgram => "fcgi-program",
    };
    let mut items = vec![
        ("name", s(&g.name)),
        ("kind", s(kind)),
        ("priority", Json::Int(g.priority)),
    ];
    if let Some(l) = &g.listener {
        items.push(("buffer_size", Json::Int(l.buffer_size as i64)));
        items.push(("events", strs(&l.events)));
        items.push(("result_handler", s(&l.result_handler)));
    }
    if let Some(f) = &g.fcgi {
        let unix = f.socket.starts_with("unix://");
        items.push(("socket", s(&f.socket)));
        items.push((
            "socket_backlog",
            f.socket_backlog.map_or(Json::Null, |b| Json::Int(b as i64)),
        ));
        items.push((
            "socket_owner",
            f.socket_owner
                .map_or(Json::Null, |(u, g)| Json::Arr(vec![id(u), id(g)])),
        ));
        items.push((
            "socket_mode",
            if unix {
                octal(f.socket_mode)
            } else {
                Json::Null
            },
        ));
    }
    items.push((
        "processes",
        Json::Arr(g.processes.iter().map(|p| process(p)).collect()),
    ));
    obj(items)
}

fn process(p: &ProcessConfig) -> Json {
    let (argv, argv_error) = match super::shlex::split(&p.command) {
        Ok(v) => (strs(&v), Json::Null),
        Err(e) => (
            Json::Null,
            s(&format!(
                "can't parse command {}: {e}",
                crate::pyrepr::str_repr(&p.command)
            )),
        ),
    };
    let autorestart = match p.autorestart {
        AutoRestart::Always => "true",
        AutoRestart::Never => "false",
        AutoRestart::Unexpected => "unexpected",
    };
    let mut items: Vec<(String, Json)> = vec![
        ("name".to_string(), s(&p.name)),
        ("section".to_string(), s(&p.section)),
        ("numprocs".to_string(), Json::Int(p.numprocs as i64)),
        ("command".to_string(), s(&p.command)),
        ("argv".to_string(), argv),
        ("argv_error".to_string(), argv_error),
        (
            "directory".to_string(),
            opt_s(p.directory.as_ref().map(|d| d.to_string_lossy()).as_deref()),
        ),
        ("umask".to_string(), p.umask.map_or(Json::Null, octal)),
        ("priority".to_string(), Json::Int(p.priority)),
        ("autostart".to_string(), Json::Bool(p.autostart)),
        ("autorestart".to_string(), s(autorestart)),
        ("startsecs".to_string(), Json::Int(p.startsecs as i64)),
        ("startretries".to_string(), retries(p.startretries)),
        (
            "exitcodes".to_string(),
            Json::Arr(p.exitcodes.iter().map(|c| Json::Int(*c as i64)).collect()),
        ),
        (
            "stopsignal".to_string(),
            s(&crate::signames::short_name(p.stopsignal)),
        ),
        ("stopsignal_num".to_string(), Json::Int(p.stopsignal as i64)),
        ("stopwaitsecs".to_string(), Json::Int(p.stopwaitsecs as i64)),
        ("stopasgroup".to_string(), Json::Bool(p.stopasgroup)),
        ("killasgroup".to_string(), Json::Bool(p.killasgroup)),
        ("log_lifecycle".to_string(), Json::Bool(p.log_lifecycle)),
        ("user".to_string(), opt_s(p.login.as_deref())),
        (
            "uid".to_string(),
            p.uid.map_or(Json::Null, |u| Json::Int(u as i64)),
        ),
        // Not in the reference's verdicts: what the daemon will pass to setgid/setgroups.
        (
            "gid".to_string(),
            p.gid.map_or(Json::Null, |g| Json::Int(g as i64)),
        ),
        ("groups".to_string(), ids(&p.groups)),
        ("redirect_stderr".to_string(), Json::Bool(p.redirect_stderr)),
    ];
    for (name, ch) in [("stdout", &p.stdout), ("stderr", &p.stderr)] {
        channel(&mut items, name, ch);
    }
    items.push(("environment".into(), env(&p.environment)));
    items.push((
        "environment_file".into(),
        env_files(&p.environment_files.program),
    ));
    items.push(("serverurl".into(), opt_s(p.serverurl.as_deref())));
    supervision(&mut items, &p.supervision);
    obj(items)
}

/// `startretries`, with -1 for `unlimited`.
fn retries(n: u32) -> Json {
    if n == UNLIMITED_RETRIES {
        Json::Int(-1)
    } else {
        Json::Int(n as i64)
    }
}

/// The supervisor-rs keys of #15 (not in the reference's verdicts; the corpus compare
/// skips keys it does not know).
fn supervision(items: &mut Vec<(String, Json)>, v: &Supervision) {
    let ready = match &v.ready {
        Ready::Startsecs => "startsecs".to_string(),
        Ready::Notify => "notify".to_string(),
        Ready::Check(c) => c.to_string(),
        Ready::Log(p) => format!("log:{}", p.source()),
        Ready::Exit => "exit".to_string(),
    };
    let int = |n: u64| Json::Int(n.min(i64::MAX as u64) as i64);
    items.push(("ready".into(), s(&ready)));
    items.push(("ready_timeout".into(), int(v.ready_timeout)));
    items.push(("ready_interval".into(), int(v.ready_interval)));
    items.push(("depends_on".into(), strs(&v.depends_on)));
    let h = v.health.as_ref();
    items.push((
        "healthcheck".into(),
        h.map_or(Json::Null, |h| s(&h.check.to_string())),
    ));
    items.push((
        "healthcheck_interval".into(),
        h.map_or(Json::Null, |h| int(h.interval)),
    ));
    items.push((
        "healthcheck_timeout".into(),
        h.map_or(Json::Null, |h| int(h.timeout)),
    ));
    items.push((
        "healthcheck_retries".into(),
        h.map_or(Json::Null, |h| Json::Int(h.retries.into())),
    ));
    items.push((
        "healthcheck_start_period".into(),
        h.map_or(Json::Null, |h| int(h.start_period)),
    ));
    let backoff = v.backoff.map_or(Json::Null, |b| {
        let curve = match b.curve {
            Curve::Linear => "linear",
            Curve::Exponential => "exponential",
        };
        obj(vec![
            ("curve", s(curve)),
            ("max", int(b.max)),
            // In thousandths: `backoff_jitter=0.1` is 100 (JSON here has integers only).
            ("jitter_permille", Json::Int(b.jitter_permille.into())),
            ("reset", int(b.reset)),
        ])
    });
    items.push(("backoff".into(), backoff));
    items.push(("fatal_retry".into(), v.fatal_retry.map_or(Json::Null, int)));
}

fn channel(items: &mut Vec<(String, Json)>, name: &str, ch: &ChannelConfig) {
    let logfile = match &ch.logfile {
        LogTarget::None => Json::Null,
        LogTarget::Auto => s("AUTO"),
        LogTarget::Path(p) => s(&p.to_string_lossy()),
    };
    let key = |k: &str| format!("{name}_{k}");
    items.push((key("logfile"), logfile));
    items.push((
        key("logfile_maxbytes"),
        Json::Int(ch.logfile_maxbytes as i64),
    ));
    items.push((key("logfile_backups"), Json::Int(ch.logfile_backups as i64)));
    items.push((
        key("capture_maxbytes"),
        Json::Int(ch.capture_maxbytes as i64),
    ));
    items.push((key("events_enabled"), Json::Bool(ch.events_enabled)));
    items.push((key("syslog"), Json::Bool(ch.syslog)));
    // Ours (not in the reference's verdicts); null when unset.
    let opt_bool = |b: Option<bool>| b.map_or(Json::Null, Json::Bool);
    items.push((key("logfile_timestamps"), opt_bool(ch.log.timestamps)));
    items.push((key("logfile_mode"), ch.log.mode.map_or(Json::Null, octal)));
    let owner = ch
        .log
        .owner
        .map_or(Json::Null, |(u, g)| Json::Arr(vec![id(u), id(g)]));
    items.push((key("logfile_owner"), owner));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;

    #[test]
    fn renders_valid_json() {
        let j = obj(vec![
            ("a", Json::Arr(vec![Json::Int(1), Json::Null])),
            ("b", s("q\"\\\n\u{1}é")),
            ("c", Json::Obj(vec![])),
            ("d", Json::Arr(vec![])),
            ("e", Json::Bool(true)),
        ]);
        assert_eq!(
            j.render(),
            "{\n \"a\": [\n  1,\n  null\n ],\n \"b\": \"q\\\"\\\\\\n\\u0001é\",\n \"c\": {},\n \
             \"d\": [],\n \"e\": true\n}"
        );
        assert_eq!(octal(0o22), s("022"));
        assert_eq!(id(u32::MAX), Json::Int(-1));
    }

    #[test]
    fn snippet_only_for_a_missing_supervisord_section() {
        let snippet = |e: ConfigError| {
            let r = LoadReport {
                result: Err(e.clone()),
                warnings: Vec::new(),
                infos: Vec::new(),
                files_read: Vec::new(),
                errors: vec![e],
                reference_refusal: None,
            };
            match report(&r) {
                Json::Obj(items) => items
                    .into_iter()
                    .find(|(k, _)| k == "snippet")
                    .map(|(_, v)| v),
                _ => None,
            }
        };
        assert_eq!(
            snippet(ConfigError::no_supervisord_section()),
            Some(Json::Bool(true))
        );
        // Same text, other case: the kind decides, not the message.
        let text = ConfigError::no_supervisord_section().message;
        assert_eq!(snippet(ConfigError::new(text)), Some(Json::Bool(false)));
    }
}
