//! The `[supervisorctl]` section, for supervisorctl (reference section 1.8). supervisorctl
//! ignores `[include]`; `here` and `ENV_*` expand as in supervisord.

use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::expand::{expand, Names};
use super::ini::{self, Section};
use super::load::{search_paths, LoadContext};
use super::values::{normpath, PathCtx};

/// What supervisorctl takes from its config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtlConfig {
    /// `serverurl` (default `http://localhost:9001`; a `unix://` path is normalised).
    pub serverurl: String,
    /// `username`
    pub username: Option<String>,
    /// `password`
    pub password: Option<String>,
    /// `prompt` (default `supervisor`)
    pub prompt: String,
    /// `history_file`, normalised.
    pub history_file: Option<PathBuf>,
}

impl Default for CtlConfig {
    fn default() -> CtlConfig {
        CtlConfig {
            serverurl: "http://localhost:9001".into(),
            username: None,
            password: None,
            prompt: "supervisor".into(),
            history_file: None,
        }
    }
}

/// Loads `[supervisorctl]` from `path`, or from the first file of the search order when
/// `path` is None (no file found gives the defaults).
pub fn load_ctl(path: Option<&Path>, ctx: &LoadContext) -> Result<CtlConfig, ConfigError> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let argv0 = std::env::args().next().unwrap_or_default();
            match search_paths(&argv0)
                .into_iter()
                .find(|p| ctx.cwd.join(p).exists())
            {
                Some(p) => PathBuf::from(p),
                None => return Ok(CtlConfig::default()),
            }
        }
    };
    let shown = path.display().to_string();
    let abs = ctx.cwd.join(&path);
    if !abs.exists() {
        return Err(ConfigError::new(format!(
            "could not find config file {shown}"
        )));
    }
    let text = std::fs::read(&abs)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ConfigError::new(format!("could not read config file {shown}")))?;
    let ini = ini::parse(&text, &path)?;
    let Some(section) = ini.section("supervisorctl") else {
        return Err(ConfigError::new(
            ".ini file does not include supervisorctl section",
        ));
    };
    let paths = PathCtx {
        home: ctx.var("HOME"),
        cwd: &ctx.cwd,
        users: &*ctx.users,
        euid: ctx.euid,
    };
    let here = paths
        .normalize(&path.to_string_lossy())
        .parent()
        .map_or_else(|| "/".to_string(), |p| p.to_string_lossy().into_owned());
    let mut env = Names::new();
    for (k, v) in &ctx.env {
        env.set_str(&format!("ENV_{k}"), v);
    }
    let mut with_here = env.clone();
    with_here.set_str("here", &here);
    let mut cfg = CtlConfig::default();
    if let Some(url) = get(section, "serverurl", &with_here)? {
        cfg.serverurl = match url.strip_prefix("unix://") {
            Some(p) => format!("unix://{}", paths.normalize(p).display()),
            None => url,
        };
    }
    if let Some(p) = get(section, "prompt", &env)? {
        cfg.prompt = p;
    }
    cfg.username = get(section, "username", &env)?;
    cfg.password = get(section, "password", &env)?;
    cfg.history_file = get(section, "history_file", &with_here)?
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(normpath(&paths.normalize(&h).to_string_lossy())));
    Ok(cfg)
}

fn get(s: &Section, key: &str, names: &Names) -> Result<Option<String>, ConfigError> {
    let Some(e) = s.get(key) else {
        return Ok(None);
    };
    expand(&e.value, names, &format!("{}.{key}", s.name))
        .map(Some)
        .map_err(|m| e.error(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(dir: &Path) -> LoadContext {
        LoadContext {
            env: vec![
                ("HOME".into(), "/root".into()),
                ("PORT".into(), "9002".into()),
            ],
            hostname: "h".into(),
            cwd: dir.to_path_buf(),
            users: crate::config::users::FakeUserDb::default().shared(),
            euid: 0,
        }
    }

    #[test]
    fn reads_the_section_with_expansions() {
        let dir = std::env::temp_dir().join(format!("sv-ctl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.conf");
        std::fs::write(
            &f,
            "[supervisorctl]\nserverurl=unix://%(here)s/../s.sock\nprompt=p\n\
             username=u\npassword=%(ENV_PORT)s\nhistory_file=~/.h\n",
        )
        .unwrap();
        let c = load_ctl(Some(&f), &ctx(&dir)).unwrap();
        let parent = dir.parent().unwrap().display().to_string();
        assert_eq!(c.serverurl, format!("unix://{parent}/s.sock"));
        assert_eq!(c.prompt, "p");
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.password.as_deref(), Some("9002"));
        assert_eq!(c.history_file, Some(PathBuf::from("/root/.h")));

        std::fs::write(&f, "[supervisord]\n").unwrap();
        assert_eq!(
            load_ctl(Some(&f), &ctx(&dir)).unwrap_err().message,
            ".ini file does not include supervisorctl section"
        );
        std::fs::write(&f, "[supervisorctl]\n").unwrap();
        assert_eq!(
            load_ctl(Some(&f), &ctx(&dir)).unwrap(),
            CtlConfig::default()
        );
        let missing = dir.join("none.conf");
        assert!(load_ctl(Some(&missing), &ctx(&dir))
            .unwrap_err()
            .message
            .starts_with("could not find config file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
