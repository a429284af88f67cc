//! A private stand-in for `crate::config::load_ctl` (the real loader is being written on
//! another branch). Same signature and types; it reads only `key = value` lines of the
//! `[supervisorctl]` section and expands `%(here)s` and `%(ENV_X)s`. To switch to the real
//! loader, change the `use cfg_stub as cfg;` line in `ctl/mod.rs` and delete this file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What the loader needs to know about the process: where the executable lives (for the
/// `HERE/...` search paths), the working directory and the environment.
#[derive(Debug, Clone, Default)]
pub struct LoadContext {
    /// `argv[0]`.
    pub argv0: PathBuf,
    /// The working directory.
    pub cwd: PathBuf,
    /// The environment.
    pub env: HashMap<String, String>,
}

impl LoadContext {
    /// The context of the running process.
    pub fn from_process() -> LoadContext {
        LoadContext {
            argv0: std::env::args_os()
                .next()
                .map(PathBuf::from)
                .unwrap_or_default(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            env: std::env::vars().collect(),
        }
    }
}

/// The `[supervisorctl]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtlConfig {
    /// `serverurl` (default `http://localhost:9001`; a `unix://` path made absolute).
    pub serverurl: String,
    /// `username`.
    pub username: Option<String>,
    /// `password`.
    pub password: Option<String>,
    /// `prompt` (default `supervisor`).
    pub prompt: String,
    /// `history_file`.
    pub history_file: Option<PathBuf>,
}

impl Default for CtlConfig {
    fn default() -> Self {
        CtlConfig {
            serverurl: "http://localhost:9001".into(),
            username: None,
            password: None,
            prompt: "supervisor".into(),
            history_file: None,
        }
    }
}

/// A config error; `message` is printed after `Error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The message.
    pub message: String,
}

fn err(message: String) -> ConfigError {
    ConfigError { message }
}

/// The search order of reference 1.2 when no `-c` is given.
fn candidates(ctx: &LoadContext) -> Vec<PathBuf> {
    let here = ctx
        .argv0
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    vec![
        here.join("etc/supervisord.conf"),
        here.join("supervisord.conf"),
        ctx.cwd.join("supervisord.conf"),
        ctx.cwd.join("etc/supervisord.conf"),
        PathBuf::from("/etc/supervisord.conf"),
        PathBuf::from("/etc/supervisor/supervisord.conf"),
    ]
}

/// Loads the `[supervisorctl]` section: from `path`, or from the first file of the search
/// order, or built-in defaults when nothing is found.
pub fn load_ctl(path: Option<&Path>, ctx: &LoadContext) -> Result<CtlConfig, ConfigError> {
    let path = match path {
        Some(p) => {
            let abs = ctx.cwd.join(p);
            if !abs.exists() {
                return Err(err(format!("could not find config file {}", p.display())));
            }
            abs
        }
        None => match candidates(ctx).into_iter().find(|p| p.exists()) {
            Some(p) => p,
            None => return Ok(CtlConfig::default()),
        },
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|_| err(format!("could not read config file {}", path.display())))?;
    let here = path.parent().unwrap_or(Path::new("/")).to_path_buf();
    parse(&text, &here, ctx)
}

fn parse(text: &str, here: &Path, ctx: &LoadContext) -> Result<CtlConfig, ConfigError> {
    let mut in_section = false;
    let mut found = false;
    let mut values: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with(';') || t.starts_with('#') {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            in_section = name.trim() == "supervisorctl";
            found |= in_section;
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((k, v)) = t.split_once(['=', ':']) {
            let v = strip_inline_comment(v.trim());
            values.insert(k.trim().to_lowercase(), v.to_string());
        }
    }
    if !found {
        return Err(err(
            ".ini file does not include supervisorctl section".into()
        ));
    }
    let expand = |v: &str| expand(v, here, ctx);
    let mut cfg = CtlConfig::default();
    if let Some(u) = values.get("serverurl") {
        let u = expand(u);
        cfg.serverurl = match u.strip_prefix("unix://") {
            Some(p) => format!("unix://{}", here_abs(p, ctx)),
            None => u,
        };
    }
    cfg.username = values.get("username").map(|v| expand(v));
    cfg.password = values.get("password").map(|v| expand(v));
    if let Some(p) = values.get("prompt") {
        cfg.prompt = expand(p);
    }
    cfg.history_file = values
        .get("history_file")
        .map(|v| PathBuf::from(here_abs(&expand(v), ctx)));
    Ok(cfg)
}

fn strip_inline_comment(v: &str) -> &str {
    let cut = v
        .char_indices()
        .find(|(i, c)| (*c == ';' || *c == '#') && v[..*i].ends_with([' ', '\t']))
        .map(|(i, _)| i);
    match cut {
        Some(i) => v[..i].trim_end(),
        None => v,
    }
}

/// A path made absolute against the working directory (the reference's `normalize_path`).
fn here_abs(p: &str, ctx: &LoadContext) -> String {
    let expanded = match p.strip_prefix("~/") {
        Some(rest) => match ctx.env.get("HOME") {
            Some(h) => format!("{h}/{rest}"),
            None => p.to_string(),
        },
        None => p.to_string(),
    };
    ctx.cwd.join(expanded).display().to_string()
}

fn expand(v: &str, here: &Path, ctx: &LoadContext) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("%(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(")s") {
            Some(j) => {
                let key = &after[..j];
                let val = match key {
                    "here" => here.display().to_string(),
                    k => k
                        .strip_prefix("ENV_")
                        .and_then(|e| ctx.env.get(e).cloned())
                        .unwrap_or_default(),
                };
                out.push_str(&val);
                rest = &after[j + 2..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("%%", "%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> LoadContext {
        LoadContext {
            argv0: "/opt/x/bin/supervisorctl".into(),
            cwd: "/work".into(),
            env: [
                ("HOME".to_string(), "/home/u".to_string()),
                ("SOCK".to_string(), "s.sock".to_string()),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn reads_the_section() {
        let text = "[supervisord]\nserverurl=nope\n[supervisorctl]\nserverurl = unix://%(here)s/%(ENV_SOCK)s ; c\nusername=bob\npassword: pw;x\nprompt=mysv\nhistory_file=~/.h\n[program:x]\nusername=no\n";
        let c = parse(text, Path::new("/etc/sv"), &ctx()).unwrap();
        assert_eq!(c.serverurl, "unix:///etc/sv/s.sock");
        assert_eq!(c.username.as_deref(), Some("bob"));
        assert_eq!(c.password.as_deref(), Some("pw;x"));
        assert_eq!(c.prompt, "mysv");
        assert_eq!(c.history_file, Some(PathBuf::from("/home/u/.h")));
    }

    #[test]
    fn defaults_and_errors() {
        let c = parse("[supervisorctl]\n", Path::new("/"), &ctx()).unwrap();
        assert_eq!(c, CtlConfig::default());
        let e = parse("[supervisord]\n", Path::new("/"), &ctx()).unwrap_err();
        assert_eq!(
            e.message,
            ".ini file does not include supervisorctl section"
        );
        let c = parse(
            "[supervisorctl]\nserverurl=unix://rel.sock\n",
            Path::new("/"),
            &ctx(),
        )
        .unwrap();
        assert_eq!(c.serverurl, "unix:///work/rel.sock");
        let e = load_ctl(Some(Path::new("/nonexistent/x.conf")), &ctx()).unwrap_err();
        assert_eq!(e.message, "could not find config file /nonexistent/x.conf");
    }

    #[test]
    fn search_order() {
        let c = candidates(&ctx());
        assert_eq!(c[0], PathBuf::from("/opt/x/etc/supervisord.conf"));
        assert_eq!(c[2], PathBuf::from("/work/supervisord.conf"));
        assert_eq!(c[5], PathBuf::from("/etc/supervisor/supervisord.conf"));
    }
}
