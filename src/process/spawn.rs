//! Building a [`SpawnPlan`] from a process's config: split `command`, find the executable,
//! check it the way the reference does before forking, and assemble argv, the environment,
//! directory, umask and the identity to switch to.
//!
//! The decisions are pure functions over plain data ([`FileFacts`], [`SpawnContext`]); the
//! only file-system access is the `stat` in [`stat_facts`], used by [`build_plan`] and
//! [`resolve_command`]. Errors are the reference's `spawnerr` texts, logged by the state
//! machine as `spawnerr: ...` (reference §3.5).

use crate::config::envfile;
use crate::config::model::{EnvFilePath, ProcessConfig};
use crate::config::shlex;
use crate::messages;
use crate::process::plan::{PlanUser, SpawnPlan};
use crate::pyrepr::str_repr;
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;

/// The search path when neither the program nor supervisord has a non-empty `PATH`.
pub const DEFAULT_PATH: &[&str] = &["/bin", "/usr/bin", "/usr/local/bin"];

/// What the daemon knows and the config does not: its environment, its control URL and its
/// identity. (The program's `user=` was resolved at load: uid, gid and groups are in its
/// config, so spawning looks nothing up.)
#[derive(Debug, Clone, Copy)]
pub struct SpawnContext<'a> {
    /// supervisord's environment, in order.
    pub daemon_env: &'a [(String, String)],
    /// The AUTO `SUPERVISOR_SERVER_URL` (the first control server), if any.
    pub serverurl: Option<&'a str>,
    /// The user name and password of that server, for `SUPERVISOR_USERNAME` and
    /// `SUPERVISOR_PASSWORD` (what `childutils.getRPCInterface` sends).
    pub credentials: Option<(&'a str, &'a str)>,
    /// supervisord's uid.
    pub euid: u32,
    /// supervisord's gid (for the execute-permission check).
    pub egid: u32,
    /// supervisord's supplementary groups (for the execute-permission check).
    pub daemon_groups: &'a [u32],
}

/// Which fault a start request gets when the command is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandErrorKind {
    /// `can't find command` (fault NO_FILE).
    NotFound,
    /// Unparsable, empty, a directory, not executable, no permission (fault NOT_EXECUTABLE).
    NotExecutable,
}

/// A command that cannot be spawned, with the reference's spawnerr text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    /// The fault class.
    pub kind: CommandErrorKind,
    /// e.g. `can't find command 'foo'`.
    pub message: String,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

/// What `stat` says about a candidate executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFacts {
    /// It is a directory.
    pub is_dir: bool,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// `stat(path)` (following links) as [`FileFacts`]; None when it fails.
pub fn stat_facts(path: &str) -> Option<FileFacts> {
    let md = std::fs::metadata(path).ok()?;
    Some(FileFacts {
        is_dir: md.is_dir(),
        mode: md.mode() & 0o7777,
        uid: md.uid(),
        gid: md.gid(),
    })
}

/// The executable path and argv for `cfg.command`, checked as the reference checks before
/// forking. The control layer calls this before a manual start to answer NO_FILE or
/// NOT_EXECUTABLE without spawning.
pub fn resolve_command(
    cfg: &ProcessConfig,
    ctx: &SpawnContext<'_>,
) -> Result<(String, Vec<String>), CommandError> {
    resolve_with(cfg, ctx, &stat_facts)
}

/// Builds the complete plan for one spawn, reading the environment files now (so a changed
/// file needs no reload). The error is the spawnerr text.
pub fn build_plan(cfg: &ProcessConfig, ctx: &SpawnContext<'_>) -> Result<SpawnPlan, String> {
    let files = read_env_files(cfg)?;
    build_plan_with(cfg, ctx, &files, &stat_facts)
}

/// The variables of a process's environment files, by level, as read for one spawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileEnv {
    /// From `[supervisord] environment_file`, in order (a later file wins).
    pub supervisord: Vec<(String, String)>,
    /// From the program's `environment_file`.
    pub program: Vec<(String, String)>,
}

/// Reads `cfg`'s environment files (each a regular file of at most 1 MiB: the loop does not
/// wait on them). The error is the spawnerr text, naming the file and the line.
pub fn read_env_files(cfg: &ProcessConfig) -> Result<FileEnv, String> {
    let read = |files: &[EnvFilePath]| {
        let mut out = Vec::new();
        for f in files {
            let pairs = envfile::read(&f.path, f.optional).map_err(|e| {
                let sep = if e.line.is_some() { " " } else { ": " };
                format!(
                    "couldn't read environment file {}{sep}{e}",
                    f.path.to_string_lossy()
                )
            })?;
            out.extend(pairs);
        }
        Ok::<_, String>(out)
    };
    let files = &cfg.environment_files;
    Ok(FileEnv {
        supervisord: read(&files.supervisord)?,
        program: read(&files.program)?,
    })
}

/// [`build_plan`] with the environment files' variables given and an injected `stat`, for
/// tests.
pub fn build_plan_with(
    cfg: &ProcessConfig,
    ctx: &SpawnContext<'_>,
    files: &FileEnv,
    stat: &dyn Fn(&str) -> Option<FileFacts>,
) -> Result<SpawnPlan, String> {
    let (path, argv) = resolve_with(cfg, ctx, stat).map_err(|e| e.message)?;
    let (user, setuid_error) = identity(cfg, ctx);
    let cstring =
        |what: &str, s: String| CString::new(s).map_err(|_| format!("{what} contains a NUL byte"));
    let envp = child_env(cfg, ctx, files)
        .into_iter()
        .map(|(k, v)| cstring("environment", format!("{k}={v}")))
        .collect::<Result<Vec<_>, _>>()?;
    let cwd = match &cfg.directory {
        Some(d) => Some(cstring("directory", d.to_string_lossy().into_owned())?),
        None => None,
    };
    Ok(SpawnPlan {
        path: cstring("command", path)?,
        argv: argv
            .into_iter()
            .map(|a| cstring("command", a))
            .collect::<Result<Vec<_>, _>>()?,
        envp,
        cwd,
        umask: cfg.umask,
        user,
        redirect_stderr: cfg.redirect_stderr,
        setuid_error: match setuid_error {
            Some(msg) => Some(cstring("user", msg)?),
            None => None,
        },
        stdin_fd: None,
    })
}

fn resolve_with(
    cfg: &ProcessConfig,
    ctx: &SpawnContext<'_>,
    stat: &dyn Fn(&str) -> Option<FileFacts>,
) -> Result<(String, Vec<String>), CommandError> {
    let not_exec = |message| CommandError {
        kind: CommandErrorKind::NotExecutable,
        message,
    };
    let argv = shlex::split(&cfg.command).map_err(|e| {
        not_exec(format!(
            "can't parse command {}: {e}",
            str_repr(&cfg.command)
        ))
    })?;
    let Some(program) = argv.first() else {
        return Err(not_exec("command is empty".to_string()));
    };
    let (filename, facts) = if program.contains('/') {
        (program.clone(), stat(program))
    } else {
        let dirs = search_path(cfg, ctx);
        let found = dirs.iter().find_map(|dir| {
            let candidate = join(dir, program);
            stat(&candidate).map(|f| (candidate, f))
        });
        match found {
            Some((candidate, f)) => (candidate, Some(f)),
            None => (program.clone(), None),
        }
    };
    let who = Identity {
        uid: ctx.euid,
        gid: ctx.egid,
        groups: ctx.daemon_groups,
    };
    check_executable(&filename, facts, &who)?;
    Ok((filename, argv))
}

/// The directories searched for a command without `/`: the program's `PATH` when it sets one
/// (even empty), else supervisord's non-empty `PATH`, else [`DEFAULT_PATH`].
pub fn search_path(cfg: &ProcessConfig, ctx: &SpawnContext<'_>) -> Vec<String> {
    let split = |p: &str| p.split(':').map(str::to_string).collect();
    if let Some(p) = lookup(&cfg.environment, "PATH") {
        return split(p);
    }
    match lookup(ctx.daemon_env, "PATH") {
        Some(p) if !p.is_empty() => split(p),
        _ => DEFAULT_PATH.iter().map(|s| s.to_string()).collect(),
    }
}

/// The child's environment, lowest precedence first: supervisord's environment, then
/// `SUPERVISOR_ENABLED`, `SUPERVISOR_SERVER_URL` (when known) with `SUPERVISOR_USERNAME` and
/// `SUPERVISOR_PASSWORD` when that server has credentials, `SUPERVISOR_PROCESS_NAME`,
/// `SUPERVISOR_GROUP_NAME`, then `[supervisord] environment_file`, `[supervisord]
/// environment`, the program's `environment_file` and the program's `environment` (each may
/// override what came before: `environment=` wins over the files of its own section, and a
/// program's settings over `[supervisord]`'s). An overridden key keeps its first position.
pub fn child_env(
    cfg: &ProcessConfig,
    ctx: &SpawnContext<'_>,
    files: &FileEnv,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::with_capacity(ctx.daemon_env.len() + 8);
    // Key to position: files may hold thousands of variables.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut set = |k: &str, v: &str| match index.get(k) {
        Some(&i) => env[i].1 = v.to_string(),
        None => {
            index.insert(k.to_string(), env.len());
            env.push((k.to_string(), v.to_string()));
        }
    };
    for (k, v) in ctx.daemon_env {
        set(k, v);
    }
    set("SUPERVISOR_ENABLED", "1");
    let url = cfg.serverurl.as_deref().or(ctx.serverurl);
    if let Some(url) = url.filter(|u| !u.is_empty()) {
        set("SUPERVISOR_SERVER_URL", url);
    }
    if let (None, Some((user, password))) = (&cfg.serverurl, ctx.credentials) {
        set("SUPERVISOR_USERNAME", user);
        set("SUPERVISOR_PASSWORD", password);
    }
    set("SUPERVISOR_PROCESS_NAME", &cfg.name);
    set("SUPERVISOR_GROUP_NAME", &cfg.group);
    for (k, v) in &files.supervisord {
        set(k, v);
    }
    // `[supervisord] environment` merged with the program's (see `ProcessConfig`).
    for (k, v) in &cfg.environment {
        set(k, v);
    }
    let own = &cfg.environment_files.program_keys;
    for (k, v) in &files.program {
        if !own.contains(k) {
            set(k, v);
        }
    }
    env
}

/// Who tries to execute the file (supervisord itself, as `access(X_OK)` checks).
struct Identity<'a> {
    uid: u32,
    gid: u32,
    groups: &'a [u32],
}

/// The reference's checks, in its order: found, not a directory, some execute bit, and
/// `access(X_OK)` for supervisord.
fn check_executable(
    filename: &str,
    facts: Option<FileFacts>,
    who: &Identity<'_>,
) -> Result<(), CommandError> {
    let err = |kind, message| Err(CommandError { kind, message });
    let name = str_repr(filename);
    let Some(f) = facts else {
        return err(
            CommandErrorKind::NotFound,
            format!("can't find command {name}"),
        );
    };
    if f.is_dir {
        return err(
            CommandErrorKind::NotExecutable,
            format!("command at {name} is a directory"),
        );
    }
    if f.mode & 0o111 == 0 {
        return err(
            CommandErrorKind::NotExecutable,
            format!("command at {name} is not executable"),
        );
    }
    if !may_execute(&f, who) {
        return err(
            CommandErrorKind::NotExecutable,
            format!("no permission to run command {name}"),
        );
    }
    Ok(())
}

/// `access(X_OK)` on a file with at least one execute bit: root may; others need the bit of
/// the class (owner, group, other) they fall in.
fn may_execute(f: &FileFacts, who: &Identity<'_>) -> bool {
    if who.uid == 0 {
        true
    } else if f.uid == who.uid {
        f.mode & 0o100 != 0
    } else if f.gid == who.gid || who.groups.contains(&f.gid) {
        f.mode & 0o010 != 0
    } else {
        f.mode & 0o001 != 0
    }
}

/// The identity to switch to, or the message the child must fail with. Mirrors the
/// reference: nothing to do when `user=` is our own uid; only root may switch.
fn identity(cfg: &ProcessConfig, ctx: &SpawnContext<'_>) -> (Option<PlanUser>, Option<String>) {
    let Some(uid) = cfg.uid else {
        return (None, None);
    };
    let fail = |msg: &str| (None, Some(messages::child_setuid_failed(uid, msg)));
    let Some(gid) = cfg.gid else {
        return fail(&format!("Can't find uid {uid}"));
    };
    if uid == ctx.euid {
        return (None, None);
    }
    if ctx.euid != 0 {
        return fail("Can't drop privilege as nonroot user");
    }
    let mut groups = vec![gid];
    groups.extend(cfg.groups.iter().copied().filter(|&g| g != gid));
    (Some(PlanUser { uid, gid, groups }), None)
}

/// Python's `os.path.join(dir, name)` for a relative `name`.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The last value of `key` (later entries win, as in a dict update).
fn lookup<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
#[path = "spawn_tests.rs"]
mod tests;
