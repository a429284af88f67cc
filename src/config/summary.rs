//! `--check-config` for humans: what would run, in a few lines per process.

use super::model::{
    Config, Curve, LogTarget, ProcessConfig, Ready, ServerAddress, UNLIMITED_RETRIES,
};

/// The summary of an accepted config.
pub fn render(c: &Config) -> String {
    let mut out = String::new();
    let s = &c.supervisord;
    let count: usize = c.groups.iter().map(|g| g.processes.len()).sum();
    out.push_str(&format!("config {} is valid\n", c.path.display()));
    for f in c.files_read.iter().skip(1) {
        out.push_str(&format!("  includes {}\n", f.display()));
    }
    out.push_str(&format!(
        "supervisord: logfile {} (loglevel {}), pidfile {}, childlogdir {}, nodaemon {}\n",
        s.logfile.display(),
        s.loglevel.config_name(),
        s.pidfile.display(),
        s.childlogdir.display(),
        s.nodaemon
    ));
    if let Some(f) = &s.state_file {
        out.push_str(&format!("state file {}\n", f.display()));
    }
    for srv in &c.servers {
        let mut auth = if srv.username.is_some() {
            "with auth"
        } else {
            "no auth"
        }
        .to_string();
        if let Some(a) = &srv.access {
            auth.push_str(&super::access::describe(a));
        }
        match &srv.address {
            ServerAddress::Unix { file, chmod, .. } => out.push_str(&format!(
                "server [{}]: unix://{} (mode {chmod:03o}, {auth})\n",
                srv.section,
                file.display()
            )),
            ServerAddress::Inet { host, port } => {
                let host = if host.is_empty() { "*" } else { host };
                out.push_str(&format!(
                    "server [{}]: {host}:{port} ({auth})\n",
                    srv.section
                ))
            }
        }
    }
    out.push_str(&format!(
        "{count} process{} in {} group{}:\n",
        if count == 1 { "" } else { "es" },
        c.groups.len(),
        if c.groups.len() == 1 { "" } else { "s" }
    ));
    for g in &c.groups {
        for p in &g.processes {
            out.push_str(&process(&g.name, p));
            out.push_str(&log_options(p, s.logfile_timestamps));
        }
    }
    if super::depends::any(c) {
        out.push_str(&start_order_line(c));
    }
    for w in &c.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    if let Some(r) = &c.reference_refusal {
        out.push_str(&format!(
            "warning: Supervisor 4.3.0 refuses this file: {r}\n"
        ));
    }
    out
}

/// `group:proc`, or just `proc` when both names are the same.
pub fn full_name(group: &str, process: &str) -> String {
    if group == process {
        process.to_string()
    } else {
        format!("{group}:{process}")
    }
}

fn target(t: &LogTarget) -> String {
    match t {
        LogTarget::None => "none".into(),
        LogTarget::Auto => "AUTO".into(),
        LogTarget::Path(p) => p.display().to_string(),
    }
}

/// `start order: db, cache | api | web`: the levels of `depends::start_order`, each
/// starting once the one before it is ready, names in a level separated by commas.
fn start_order_line(c: &Config) -> String {
    let levels: Vec<String> = super::depends::start_order(c)
        .iter()
        .map(|l| l.join(", "))
        .collect();
    format!("start order: {}\n", levels.join(" | "))
}

/// The line of a process's #15 keys, when any is set: readiness, dependencies, health,
/// backoff.
fn supervision(p: &ProcessConfig) -> String {
    let v = &p.supervision;
    let mut parts = Vec::new();
    match &v.ready {
        Ready::Startsecs => {}
        Ready::Notify => parts.push("ready: notify".to_string()),
        Ready::Check(c) => parts.push(format!("ready: {c}")),
        Ready::Log(re) => parts.push(format!("ready: log:{}", re.source())),
        Ready::Exit => parts.push("ready: exit".to_string()),
    }
    if !v.depends_on.is_empty() {
        parts.push(format!("depends on: {}", v.depends_on.join(", ")));
    }
    if let Some(h) = &v.health {
        parts.push(format!("healthcheck: {} every {} s", h.check, h.interval));
    }
    if let Some(b) = &v.backoff {
        let curve = match b.curve {
            Curve::Linear => "linear",
            Curve::Exponential => "exponential",
        };
        parts.push(format!("backoff: {curve} up to {} s", b.max));
    }
    if p.startretries == UNLIMITED_RETRIES {
        parts.push("startretries: unlimited".to_string());
    }
    if let Some(s) = v.fatal_retry {
        parts.push(format!("fatal_retry: {s} s"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("    {}\n", parts.join("; "))
    }
}

/// The child-log options of ours that are on, one line (empty when none is).
fn log_options(p: &ProcessConfig, stamp_default: bool) -> String {
    let mut parts = Vec::new();
    let channels = [("stdout", &p.stdout), ("stderr", &p.stderr)];
    for (name, ch) in channels {
        if matches!(ch.logfile, LogTarget::None) {
            continue;
        }
        let mut opts = Vec::new();
        if ch.log.timestamps.unwrap_or(stamp_default) {
            opts.push("timestamps".to_string());
        }
        if let Some(m) = ch.log.mode {
            opts.push(format!("mode {m:04o}"));
        }
        if let Some((u, g)) = ch.log.owner {
            let id = |n: u32| {
                if n == u32::MAX {
                    "-1".to_string()
                } else {
                    n.to_string()
                }
            };
            opts.push(format!("owner {}:{}", id(u), id(g)));
        }
        if !opts.is_empty() {
            parts.push(format!("{name} log {}", opts.join(", ")));
        }
    }
    if p.log_lifecycle {
        parts.push("lifecycle lines in the stdout log".to_string());
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("    {}\n", parts.join("; "))
}

fn process(group: &str, p: &ProcessConfig) -> String {
    let argv = match super::shlex::split(&p.command) {
        Ok(v) => v
            .iter()
            .map(|a| crate::pyrepr::str_repr(a))
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("(cannot split {:?}: {e})", p.command),
    };
    let stderr = if p.redirect_stderr {
        "to stdout".to_string()
    } else {
        target(&p.stderr.logfile)
    };
    let files = &p.environment_files;
    let env_files = if files.supervisord.is_empty() && files.program.is_empty() {
        String::new()
    } else {
        let all: Vec<String> = files
            .supervisord
            .iter()
            .chain(&files.program)
            .map(|f| f.to_string())
            .collect();
        format!(
            "    environment files (read at each spawn): {}\n",
            all.join(", ")
        )
    };
    format!(
        "  {}  priority {}, autostart {}{}\n    argv: {argv}\n    stdout: {}  stderr: {stderr}\n{}\
         {env_files}",
        full_name(group, &p.name),
        p.priority,
        p.autostart,
        p.user
            .as_ref()
            .map(|u| format!(", user {u}"))
            .unwrap_or_default(),
        target(&p.stdout.logfile),
        supervision(p),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(full_name("a", "a"), "a");
        assert_eq!(full_name("g", "a"), "g:a");
    }
}
