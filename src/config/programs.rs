//! Process groups: `[group:x]`, `[program:x]`, `[eventlistener:x]` and `[fcgi-program:x]`
//! sections turned into [`GroupConfig`]s, each process expanded from `numprocs` and
//! `process_name`. Sections are handled kind by kind in the reference's order (groups,
//! programs, listeners, fcgi programs), so the first error reported is the reference's.

use std::path::PathBuf;

use super::envfile;
use super::error::ConfigError;
use super::expand::{expand, Names};
use super::ini::{Ini, Section};
use super::kvlist::key_value_pairs;
use super::loader::Loader;
use super::model::{
    AutoRestart, ChannelConfig, EnvironmentFiles, FcgiConfig, GroupConfig, GroupKind,
    ListenerConfig, LogTarget, ProcessConfig,
};
use super::values::{self, LogName};
use super::{depends, supervision};
use crate::pyrepr::str_repr;

/// The only result handler our daemon implements (and the reference's default).
pub const DEFAULT_RESULT_HANDLER: &str = "supervisor.dispatchers:default_handler";

/// Event type names a listener may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "EVENT",
    "PROCESS_COMMUNICATION",
    "PROCESS_COMMUNICATION_STDERR",
    "PROCESS_COMMUNICATION_STDOUT",
    "PROCESS_GROUP",
    "PROCESS_GROUP_ADDED",
    "PROCESS_GROUP_REMOVED",
    "PROCESS_HEALTH",
    "PROCESS_HEALTH_HEALTHY",
    "PROCESS_HEALTH_UNHEALTHY",
    "PROCESS_LOG",
    "PROCESS_LOG_STDERR",
    "PROCESS_LOG_STDOUT",
    "PROCESS_STATE",
    "PROCESS_STATE_BACKOFF",
    "PROCESS_STATE_EXITED",
    "PROCESS_STATE_FATAL",
    "PROCESS_STATE_RUNNING",
    "PROCESS_STATE_STARTING",
    "PROCESS_STATE_STOPPED",
    "PROCESS_STATE_STOPPING",
    "PROCESS_STATE_UNKNOWN",
    "REMOTE_COMMUNICATION",
    "SUPERVISOR_STATE_CHANGE",
    "SUPERVISOR_STATE_CHANGE_RUNNING",
    "SUPERVISOR_STATE_CHANGE_STOPPING",
    "TICK",
    "TICK_3600",
    "TICK_5",
    "TICK_60",
];

/// Whether a `module:attr` spec names something importable in our world. We ship no Python,
/// so only the specs the daemon implements resolve.
pub fn importable(spec: &str, known: &str) -> bool {
    let norm = |s: &str| -> String { s.split(':').map(str::trim).collect::<Vec<_>>().join(":") };
    norm(spec) == known
}

/// The part after the first `:` of a section name.
fn suffix(name: &str) -> &str {
    name.split_once(':').map_or("", |(_, s)| s)
}

/// All process groups, sorted by (priority, name).
pub(crate) fn groups(l: &mut Loader, ini: &Ini) -> Result<Vec<GroupConfig>, ConfigError> {
    let mut here = Names::new();
    here.set_str("here", &l.here);
    let mut groups = Vec::new();
    let mut grouped: Vec<String> = Vec::new();
    let of_kind = |prefix: &'static str| ini.sections().filter(move |s| s.name.starts_with(prefix));

    for s in of_kind("group:") {
        let g = hetero_group(l, ini, s, &here, &mut grouped);
        groups.extend(l.keep(g)?);
    }
    for s in of_kind("program:") {
        if grouped.contains(&s.name) {
            continue;
        }
        let g = program(l, s, &here);
        groups.extend(l.keep(g)?);
    }
    for s in of_kind("eventlistener:") {
        let g = listener(l, s, &here);
        groups.extend(l.keep(g)?);
    }
    for s in of_kind("fcgi-program:") {
        if grouped.contains(&s.name) {
            continue;
        }
        let g = fcgi(l, s, &here);
        groups.extend(l.keep(g)?);
    }
    // Stable, like Python's list.sort().
    crate::sort::sort_by(&mut groups, &|a, b| {
        (a.priority, &a.name).cmp(&(b.priority, &b.name))
    });
    for e in depends::resolve(&mut groups, ini) {
        l.keep::<()>(Err(e))?;
    }
    Ok(groups)
}

/// A `[group:x]`: its member programs' processes, in member order. Members are recorded in
/// `grouped` so that they do not also become groups of their own.
fn hetero_group(
    l: &mut Loader,
    ini: &Ini,
    s: &Section,
    here: &Names,
    grouped: &mut Vec<String>,
) -> Result<GroupConfig, ConfigError> {
    let name = values::process_or_group_name(suffix(&s.name)).map_err(|m| at_section(m, s))?;
    let programs = l
        .get(s, "programs", here)?
        .map(|g| values::list_of_strings(&g.value))
        .unwrap_or_default();
    let priority = l.number(s, "priority", here, 999, values::integer)?;
    // The reference names the previous member's section in these messages (a quirk we
    // keep, since scripts match on it): `current` starts as the group's own section.
    let mut current = s.name.clone();
    let mut processes = Vec::new();
    for program in &programs {
        let p = format!("program:{program}");
        let f = format!("fcgi-program:{program}");
        let (has_p, has_f) = (ini.section(&p).is_some(), ini.section(&f).is_some());
        if !has_p && !has_f {
            return Err(at_section(
                format!("[{current}] names unknown program or fcgi-program {program}"),
                s,
            ));
        }
        if has_p && has_f {
            return Err(at_section(
                format!(
                    "[{current}] name {program} is ambiguous (exists as program and fcgi-program)"
                ),
                s,
            ));
        }
        current = if has_p { p } else { f };
        grouped.push(current.clone());
        let member = ini.section(&current).expect("checked above");
        processes.extend(processes_from_section(l, member, &name)?);
    }
    Ok(group(name, GroupKind::Group, priority, processes))
}

/// A `[program:x]` that is not a member of a `[group:]`.
fn program(l: &mut Loader, s: &Section, here: &Names) -> Result<GroupConfig, ConfigError> {
    let name = values::process_or_group_name(suffix(&s.name)).map_err(|m| at_section(m, s))?;
    let priority = l.number(s, "priority", here, 999, values::integer)?;
    let processes = processes_from_section(l, s, &name)?;
    Ok(group(name, GroupKind::Program, priority, processes))
}

fn group(
    name: String,
    kind: GroupKind,
    priority: i64,
    processes: Vec<ProcessConfig>,
) -> GroupConfig {
    // Not `into_iter().map(Arc::new).collect()`: that collects in place, and the Vec of
    // pointers would keep the configs' whole allocation (~0.8 KiB a process) for the
    // daemon's lifetime.
    let mut arcs = Vec::with_capacity(processes.len());
    arcs.extend(processes.into_iter().map(std::sync::Arc::new));
    GroupConfig {
        name,
        kind,
        priority,
        processes: arcs,
        listener: None,
        fcgi: None,
    }
}

/// The largest `numprocs` of one section (the reference has no limit; ten million took 30 s
/// and 1.1 GB to load).
pub const MAX_NUMPROCS: i64 = 10_000;

/// An error about a whole section, located at its header.
fn at_section(msg: impl Into<String>, s: &Section) -> ConfigError {
    ConfigError::at(msg, &s.file, s.line)
}

fn listener(l: &mut Loader, s: &Section, here: &Names) -> Result<GroupConfig, ConfigError> {
    let pool = suffix(&s.name).to_string();
    let priority = l.number(s, "priority", here, -1, values::integer)?;
    let buffer_size = l.number(s, "buffer_size", here, 10, values::integer)?;
    if buffer_size < 1 {
        let msg = format!(
            "[{}] section sets invalid buffer_size ({buffer_size})",
            s.name
        );
        return Err(match s.get("buffer_size") {
            Some(e) => e.error(msg),
            None => at_section(msg, s),
        });
    }
    let handler = l.get(s, "result_handler", here)?;
    if let Some(g) = &handler {
        if !importable(&g.value, DEFAULT_RESULT_HANDLER) {
            return Err(g.err(format!(
                "{} cannot be resolved within [{}]",
                g.value, s.name
            )));
        }
    }
    let events_got = l.get(s, "events", here)?;
    let mut events: Vec<String> = Vec::new();
    if let Some(g) = &events_got {
        for e in values::list_of_strings(&g.value) {
            let e = e.to_uppercase();
            if !events.contains(&e) {
                events.push(e);
            }
        }
    }
    if events.is_empty() {
        return Err(at_section(
            format!("[{}] section requires an \"events\" line", s.name),
            s,
        ));
    }
    if let Some(bad) = events.iter().find(|e| !EVENT_TYPES.contains(&e.as_str())) {
        let g = events_got.as_ref().expect("events were given");
        return Err(g.err(format!("Unknown event type {bad} in [{}] events", s.name)));
    }
    crate::sort::sort(&mut events);
    if l.flag(s, "redirect_stderr", here)? {
        return Err(at_section(
            format!(
                "[{}] section sets redirect_stderr=true but this is not allowed because it will \
                 interfere with the eventlistener protocol",
                s.name
            ),
            s,
        ));
    }
    let processes = processes_from_section(l, s, &pool)?;
    let mut g = group(pool, GroupKind::EventListener, priority, processes);
    g.listener = Some(ListenerConfig {
        events,
        buffer_size: buffer_size.min(u32::MAX as i64) as u32,
        result_handler: DEFAULT_RESULT_HANDLER.to_string(),
    });
    Ok(g)
}

fn fcgi(l: &mut Loader, s: &Section, here: &Names) -> Result<GroupConfig, ConfigError> {
    let name = values::process_or_group_name(suffix(&s.name)).map_err(|m| at_section(m, s))?;
    let priority = l.number(s, "priority", here, 999, values::integer)?;
    let proc_uid = match l.get(s, "user", here)? {
        Some(g) => Some(g.parse(|v| values::name_to_uid(v, l.users))?),
        None => None,
    };
    let backlog = match l.get(s, "socket_backlog", here)? {
        Some(g) => {
            let n = g.parse(values::integer)?;
            if !(1..=65535).contains(&n) {
                return Err(g.err(format!("Invalid socket_backlog value {n}")));
            }
            Some(n as u32)
        }
        None => None,
    };
    let owner = match l.get(s, "socket_owner", here)? {
        Some(g) => Some(g.parse(|v| {
            values::user_group(v, l.users).map_err(|_| format!("Invalid socket_owner value {v}"))
        })?),
        None => None,
    };
    let mode =
        match l.get(s, "socket_mode", here)? {
            Some(g) => Some(g.parse(|v| {
                values::octal(v).map_err(|_| format!("Invalid socket_mode value {v}"))
            })?),
            None => None,
        };
    let mut names = here.clone();
    names.set_str("program_name", &name);
    let socket = l.get(s, "socket", &names)?;
    let socket = match socket {
        Some(g) if !g.value.is_empty() => g,
        _ => {
            return Err(at_section(
                format!("[{}] section requires a \"socket\" line", s.name),
                s,
            ))
        }
    };
    let fcgi = socket
        .parse(|v| parse_socket(l, v, proc_uid, owner, mode, backlog))
        .map_err(|mut e| {
            e.message = format!("{} in [{}] socket", e.message, s.name);
            e
        })?;
    let processes = processes_from_section(l, s, &name)?;
    let mut g = group(name, GroupKind::FcgiProgram, priority, processes);
    g.fcgi = Some(fcgi);
    Ok(g)
}

/// `unix:///abs/path` or `tcp://host:port`. Two of the reference's messages are Python
/// tuple reprs (an exception raised with two arguments); we print them the same way.
fn parse_socket(
    l: &Loader,
    sock: &str,
    proc_uid: Option<u32>,
    owner: Option<(u32, u32)>,
    mode: Option<u32>,
    backlog: Option<u32>,
) -> Result<FcgiConfig, String> {
    let tuple = |fmt: &str, arg: &str| format!("({}, {})", str_repr(fmt), str_repr(arg));
    if let Some(path) = sock.strip_prefix("unix://") {
        if !path.starts_with('/') {
            return Err(tuple("Unix socket path %s is not an absolute path", path));
        }
        let path = l.paths().normalize(path);
        let owner = owner.or_else(|| {
            let uid = proc_uid?;
            (uid != l.host.euid)
                .then(|| (uid, values::gid_for_uid(uid, l.users).unwrap_or(u32::MAX)))
        });
        return Ok(FcgiConfig {
            socket: format!("unix://{}", path.display()),
            socket_backlog: backlog,
            socket_owner: owner,
            socket_mode: mode.unwrap_or(0o700),
        });
    }
    if owner.is_some() || mode.is_some() {
        return Err(
            "socket_owner and socket_mode params should only be used with a Unix domain socket"
                .into(),
        );
    }
    let bad = || tuple("Bad socket format %s", sock);
    let rest = sock.strip_prefix("tcp://").ok_or_else(bad)?;
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let host_ok =
        !host.is_empty() && !host.contains(':') && !host.chars().any(super::ini::py_space);
    let port_ok = !port.is_empty() && port.chars().all(|c| c.is_ascii_digit());
    if !host_ok || !port_ok {
        return Err(bad());
    }
    let (_, port) = values::inet_address(&format!("x:{port}"))?;
    Ok(FcgiConfig {
        socket: format!("tcp://{}:{port}", host.to_lowercase()),
        socket_backlog: backlog,
        socket_owner: None,
        socket_mode: 0o700,
    })
}

/// The processes of one program-like section. Errors get the reference's
/// ` in section 'x' (file: 'f')` suffix.
fn processes_from_section(
    l: &mut Loader,
    s: &Section,
    group_name: &str,
) -> Result<Vec<ProcessConfig>, ConfigError> {
    section_processes(l, s, group_name).map_err(|mut e| {
        e.message = format!(
            "{} in section {} (file: {})",
            e.message,
            str_repr(&s.name),
            str_repr(&s.file.to_string_lossy())
        );
        e
    })
}

/// The per-section options, read once before the per-process loop.
struct Shared {
    priority: i64,
    autostart: bool,
    autorestart: AutoRestart,
    startsecs: i64,
    startretries: i64,
    stopsignal: i32,
    stopwaitsecs: i64,
    stopasgroup: bool,
    killasgroup: bool,
    exitcodes: Vec<i32>,
    redirect_stderr: bool,
    numprocs: i64,
    numprocs_start: i64,
    capture: [i64; 2],
    events: [bool; 2],
    serverurl: Option<String>,
    /// `user=` as written, and its uid.
    user: Option<(String, u32)>,
    umask: Option<u32>,
    process_name: String,
}

fn shared(l: &Loader, s: &Section, names: &Names) -> Result<Shared, ConfigError> {
    let int = |key: &str, default: i64| l.number(s, key, names, default, values::integer);
    let flag = |key: &str| l.flag(s, key, names);
    let priority = int("priority", 999)?;
    let autostart = l
        .parsed(s, "autostart", names, values::boolean)?
        .unwrap_or(true);
    let autorestart = l
        .parsed(s, "autorestart", names, values::autorestart)?
        .unwrap_or(AutoRestart::Unexpected);
    let startsecs = int("startsecs", 1)?;
    let startretries = l.number(s, "startretries", names, 3, supervision::start_retries)?;
    let stopsignal = l
        .parsed(s, "stopsignal", names, values::signal)?
        .unwrap_or(15);
    let stopwaitsecs = int("stopwaitsecs", 10)?;
    let stopasgroup = flag("stopasgroup")?;
    let killasgroup = l
        .parsed(s, "killasgroup", names, values::boolean)?
        .unwrap_or(stopasgroup);
    let exitcodes = l
        .parsed(s, "exitcodes", names, values::exitcodes)?
        .unwrap_or_else(|| vec![0]);
    let redirect_stderr = flag("redirect_stderr")?;
    let numprocs = int("numprocs", 1)?;
    if numprocs > MAX_NUMPROCS {
        let e = s.get("numprocs").expect("a numprocs above 1 was written");
        return Err(e.error(format!("numprocs {numprocs} is larger than {MAX_NUMPROCS}")));
    }
    let numprocs_start = int("numprocs_start", 0)?;
    let stdout_capture = l.number(s, "stdout_capture_maxbytes", names, 0, values::byte_size)?;
    let stdout_events = flag("stdout_events_enabled")?;
    let stderr_capture = l.number(s, "stderr_capture_maxbytes", names, 0, values::byte_size)?;
    let stderr_events = flag("stderr_events_enabled")?;
    let serverurl = l
        .get(s, "serverurl", names)?
        .map(|g| g.value)
        .filter(|u| !u.trim().eq_ignore_ascii_case("auto"));
    let user = match l.get(s, "user", names)? {
        Some(g) => {
            let uid = g.parse(|v| values::name_to_uid(v, l.users))?;
            Some((g.value, uid))
        }
        None => None,
    };
    let umask = l.parsed(s, "umask", names, values::octal)?;
    let (process_name, pn_entry) = match s.get("process_name") {
        Some(e) => (e.value.clone(), Some(e)),
        None => ("%(program_name)s".to_string(), None),
    };
    let locate = |m: String| match pn_entry {
        Some(e) => e.error(m),
        None => ConfigError::at(m, &s.file, s.line),
    };
    let process_name = values::process_or_group_name(&process_name).map_err(locate)?;
    if numprocs > 1 && !process_name.contains("%(process_num)") {
        return Err(locate(
            "%(process_num) must be present within process_name when numprocs > 1".into(),
        ));
    }
    if stopasgroup && !killasgroup {
        return Err(ConfigError::at(
            "Cannot set stopasgroup=true and killasgroup=false",
            &s.file,
            s.line,
        ));
    }
    Ok(Shared {
        priority,
        autostart,
        autorestart,
        startsecs,
        startretries,
        stopsignal,
        stopwaitsecs,
        stopasgroup,
        killasgroup,
        exitcodes,
        redirect_stderr,
        numprocs,
        numprocs_start,
        capture: [stdout_capture, stderr_capture],
        events: [stdout_events, stderr_events],
        serverurl,
        user,
        umask,
        process_name,
    })
}

fn section_processes(
    l: &mut Loader,
    s: &Section,
    group_name: &str,
) -> Result<Vec<ProcessConfig>, ConfigError> {
    let program_name =
        values::process_or_group_name(suffix(&s.name)).map_err(|m| at_section(m, s))?;
    let mut names = Names::new();
    names.set_str("here", &l.here);
    names.set_str("program_name", &program_name);
    names.set_str("host_node_name", l.host.hostname);
    names.set_str("group_name", group_name);
    let sh = shared(l, s, &names)?;
    let account = sh.user.as_ref().and_then(|u| l.account(u.1));
    let env_entry = s.get("environment").cloned();
    let mut out = Vec::new();
    let start = sh.numprocs_start;
    for num in start..start.saturating_add(sh.numprocs) {
        // The reference keeps one mutable name table across instances; so do we.
        names.set_int("process_num", num);
        names.set_int("numprocs", sh.numprocs);
        names.extend(&l.env);
        let environment = match &env_entry {
            Some(e) => {
                let text = l.expand(&e.value, &names, "environment", e)?;
                key_value_pairs(&text).map_err(|m| e.error(m))?
            }
            None => Vec::new(),
        };
        for (k, v) in &environment {
            names.set_str(&format!("ENV_{k}"), v);
        }
        let environment_files = match l.get(s, "environment_file", &names)? {
            Some(g) => EnvironmentFiles {
                program: g.parse(|v| envfile::paths(v, &g.entry.file, &l.paths()))?,
                program_keys: environment.iter().map(|(k, _)| k.clone()).collect(),
                supervisord: Vec::new(),
            },
            None => EnvironmentFiles::default(),
        };
        let directory = l
            .get(s, "directory", &names)?
            .map(|g| PathBuf::from(g.value));
        let mut channels = Vec::new();
        for (i, ch) in ["stdout", "stderr"].iter().enumerate() {
            channels.push(channel(l, s, ch, &names, &sh, i)?);
        }
        let mut stderr = channels.pop().expect("two channels");
        let stdout = channels.pop().expect("two channels");
        if sh.redirect_stderr {
            if matches!(stderr.logfile, LogTarget::Path(_)) {
                l.warnings.push(format!(
                    "For [{}], redirect_stderr=true but stderr_logfile has also been set to a \
                     filename, the filename has been ignored",
                    s.name
                ));
            }
            stderr.logfile = LogTarget::None;
        }
        let command = match l.get(s, "command", &names)? {
            Some(g) => g.value,
            None => {
                return Err(at_section(
                    format!("program section {} does not specify a command", s.name),
                    s,
                ))
            }
        };
        let name = match s.get("process_name") {
            Some(e) => l.expand(&sh.process_name, &names, "process_name", e)?,
            None => {
                expand(&sh.process_name, &names, "process_name").map_err(|m| at_section(m, s))?
            }
        };
        let listener = s.name.starts_with("eventlistener:");
        let supervision = supervision::read(l, s, &names, listener)?;
        out.push(ProcessConfig {
            name,
            group: group_name.to_string(),
            section: s.name.clone(),
            numprocs: 0,
            command,
            directory,
            umask: sh.umask,
            priority: sh.priority,
            autostart: sh.autostart,
            autorestart: sh.autorestart,
            startsecs: l.unsigned(sh.startsecs, "startsecs"),
            startretries: l
                .unsigned(sh.startretries, "startretries")
                .min(u32::MAX as u64) as u32,
            exitcodes: sh.exitcodes.clone(),
            stopsignal: sh.stopsignal,
            stopwaitsecs: l.unsigned(sh.stopwaitsecs, "stopwaitsecs"),
            stopasgroup: sh.stopasgroup,
            killasgroup: sh.killasgroup,
            log_lifecycle: super::logkeys::lifecycle(l, s, &names)?,
            user: sh.user.as_ref().map(|u| u.0.clone()),
            uid: sh.user.as_ref().map(|u| u.1),
            gid: account.as_ref().map(|a| a.gid),
            groups: account.as_ref().map_or_else(Vec::new, |a| a.groups.clone()),
            login: account.as_ref().map(|a| a.name.clone()),
            redirect_stderr: sh.redirect_stderr,
            stdout,
            stderr,
            environment,
            serverurl: sh.serverurl.clone(),
            supervision: supervision.into(),
            environment_files: environment_files.into(),
        });
    }
    let count = out.len() as u32;
    for p in &mut out {
        p.numprocs = count;
    }
    crate::sort::sort_by(&mut out, &|a, b| {
        (a.priority, &a.name).cmp(&(b.priority, &b.name))
    });
    Ok(out)
}

/// The six options of one output channel, for one process instance.
fn channel(
    l: &mut Loader,
    s: &Section,
    ch: &str,
    names: &Names,
    sh: &Shared,
    idx: usize,
) -> Result<ChannelConfig, ConfigError> {
    let lf_key = format!("{ch}_logfile");
    let paths = l.paths();
    let name = match l.get(s, &lf_key, names)? {
        // The reference expands a log file name a second time (so `%%` must be written `%%%%`).
        Some(g) => {
            let again = l.expand(&g.value, names, &lf_key, g.entry)?;
            g.parse(|_| values::logfile_name(&again, &paths))?
        }
        None => LogName::Auto,
    };
    let backups = l.number(
        s,
        &format!("{ch}_logfile_backups"),
        names,
        10,
        values::integer,
    )?;
    let maxbytes = l.number(
        s,
        &format!("{ch}_logfile_maxbytes"),
        names,
        50 << 20,
        values::byte_size,
    )?;
    let mut syslog = l.flag(s, &format!("{ch}_syslog"), names)?;
    let logfile = match name {
        LogName::None => LogTarget::None,
        LogName::Auto => LogTarget::Auto,
        LogName::Path(p) => LogTarget::Path(PathBuf::from(p)),
        LogName::Syslog => {
            l.warnings.push(format!(
                "For [{}], {lf_key}=syslog but this is deprecated and will be removed.  Use \
                 {ch}_syslog=true to enable syslog instead.",
                s.name
            ));
            syslog = true;
            LogTarget::None
        }
    };
    if logfile == LogTarget::Auto && maxbytes == 0 {
        l.warnings.push(format!(
            "For [{}], AUTO logging used for {lf_key} without rollover, set maxbytes > 0 to \
             avoid filling up filesystem unintentionally",
            s.name
        ));
    }
    Ok(ChannelConfig {
        logfile,
        logfile_maxbytes: l.unsigned(maxbytes, &format!("{ch}_logfile_maxbytes")),
        logfile_backups: l
            .unsigned(backups, &format!("{ch}_logfile_backups"))
            .min(u32::MAX as u64) as u32,
        capture_maxbytes: l.unsigned(sh.capture[idx], &format!("{ch}_capture_maxbytes")),
        events_enabled: sh.events[idx],
        syslog,
        log: super::logkeys::channel(l, s, ch, names)?.into(),
    })
}
