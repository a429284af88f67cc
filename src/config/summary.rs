//! `--check-config` for humans: what would run, in a few lines per process.

use super::model::{Config, LogTarget, ProcessConfig, ServerAddress};

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
    for srv in &c.servers {
        let auth = if srv.username.is_some() {
            "with auth"
        } else {
            "no auth"
        };
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
        }
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
    format!(
        "  {}  priority {}, autostart {}{}\n    argv: {argv}\n    stdout: {}  stderr: {stderr}\n",
        full_name(group, &p.name),
        p.priority,
        p.autostart,
        p.user
            .as_ref()
            .map(|u| format!(", user {u}"))
            .unwrap_or_default(),
        target(&p.stdout.logfile),
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
