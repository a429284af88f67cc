//! Loading `supervisord.conf` into a [`Config`]: find the file, read it and its `[include]`s,
//! evaluate `[supervisord]`, hand the other sections to `programs` and `servers`, then apply
//! command-line overrides. The state they share is `loader`'s. This is the only part of
//! `config` that reads files (besides the directory checks of `values`).
//!
//! Evaluation order follows the reference, because it decides which error is reported
//! first: includes, `[supervisord]` options, `[rpcinterface:x]`, process groups, servers,
//! then the command line and `user=`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::envfile;
use super::error::ConfigError;
use super::expand::{expand, Names};
use super::ini::{Ini, Section};
use super::kvlist::key_value_pairs;
use super::loader::{Host, Loader};
use super::model::{Config, LogLevel, SupervisordConfig};
use super::users::UserDb;
use super::values;
use super::{glob, programs, servers};
use crate::options::Options;

/// What loading depends on besides the file: the environment (for `%(ENV_X)s`), the host
/// name (`%(host_node_name)s`), the working directory (relative paths), the user database
/// (`user=`, `chown=`, `~user`) and our effective uid.
#[derive(Debug, Clone)]
pub struct LoadContext {
    /// Environment variables in process order.
    pub env: Vec<(String, String)>,
    /// Host name for `%(host_node_name)s`.
    pub hostname: String,
    /// Directory relative paths resolve against.
    pub cwd: PathBuf,
    /// Where users and groups are looked up.
    pub users: Arc<dyn UserDb>,
    /// Our effective uid: an fcgi socket of a program whose `user=` is someone else is
    /// chowned to them, and `~` is its home when `HOME` is unset.
    pub euid: u32,
}

impl LoadContext {
    /// The context of this process: its environment, host name, cwd and effective uid, with
    /// users looked up in `users` (the binaries pass [`super::users::nss`]).
    pub fn from_process(users: Arc<dyn UserDb>) -> LoadContext {
        let env = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        // uname(2) gives the same name as /proc/sys/kernel/hostname, and needs no /proc.
        let hostname = crate::sys::hostname();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        LoadContext {
            env,
            hostname,
            cwd,
            users,
            euid: crate::sys::proc::geteuid(),
        }
    }

    /// The value of environment variable `name`.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The outcome of a load with everything collected on the way, also on failure (for
/// `--check-config --json`).
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// The config, or the first error.
    pub result: Result<Config, ConfigError>,
    /// Parse-time warnings collected before the end (or the error).
    pub warnings: Vec<String>,
    /// Parse-time infos.
    pub infos: Vec<String>,
    /// Files read, in order.
    pub files_read: Vec<PathBuf>,
    /// Every error found: just the first one for [`load_report`], as many as could be found
    /// for [`check_report`] (the first is always the one the reference reports).
    pub errors: Vec<ConfigError>,
    /// The error Supervisor 4.3.0 stops at first, when it is about a Python plugin section we
    /// skip with a warning (see [`Config::reference_refusal`]); also kept on failure.
    pub reference_refusal: Option<String>,
}

/// Loads the config at `path` with no command-line overrides.
pub fn load(path: &Path, ctx: &LoadContext) -> Result<Config, ConfigError> {
    load_report(path, ctx, &Options::default()).result
}

/// Finds the config (`-c` or the search order), loads it and applies the command-line
/// overrides, as supervisord does at startup and on SIGHUP.
pub fn load_for_daemon(opts: &Options, ctx: &LoadContext) -> Result<Config, ConfigError> {
    let path = find_config(opts, ctx)?;
    load_report(&path, ctx, opts).result
}

/// The config file to use: `-c`, else the first existing file of the reference's search
/// order (relative entries resolve against `ctx.cwd`).
pub fn find_config(opts: &Options, ctx: &LoadContext) -> Result<PathBuf, ConfigError> {
    if let Some(p) = &opts.configuration {
        return Ok(p.clone());
    }
    let paths = search_paths(&opts.argv0);
    for p in &paths {
        if ctx.cwd.join(p).exists() {
            return Ok(PathBuf::from(p));
        }
    }
    Err(ConfigError::new(format!(
        "No config file found at default paths ({}); use the -c option to specify a config \
         file at a different path",
        paths.join(", ")
    )))
}

/// The reference's default locations; `HERE` is the parent of the executable's directory.
pub fn search_paths(argv0: &str) -> Vec<String> {
    let parent = |p: &str| -> String {
        match p.rfind('/') {
            Some(0) => "/".into(),
            Some(i) => p[..i].trim_end_matches('/').to_string(),
            None => String::new(),
        }
    };
    let here = parent(&parent(argv0));
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else if a.ends_with('/') {
            format!("{a}{b}")
        } else {
            format!("{a}/{b}")
        }
    };
    vec![
        join(&join(&here, "etc"), "supervisord.conf"),
        join(&here, "supervisord.conf"),
        "supervisord.conf".into(),
        "etc/supervisord.conf".into(),
        "/etc/supervisord.conf".into(),
        "/etc/supervisor/supervisord.conf".into(),
    ]
}

/// The warning the reference prints when root runs supervisord without `-c`.
pub const ROOT_SEARCH_WARNING: &str = "Supervisord is running as root and it is searching for \
its configuration file in default locations (including its current working directory); you \
probably want to specify a \"-c\" argument specifying an absolute path to a configuration file \
for improved security.";

/// Whether this process runs with effective uid 0.
pub fn running_as_root() -> bool {
    crate::sys::proc::geteuid() == 0
}

/// Loads `path` and applies `opts` overrides, keeping warnings and infos also on failure.
/// Stops at the first error, like the reference.
pub fn load_report(path: &Path, ctx: &LoadContext, opts: &Options) -> LoadReport {
    report(path, ctx, opts, false)
}

/// Like [`load_report`], but once the files are read and `[supervisord]` is evaluated,
/// keeps going after an error in a process group, server or rpcinterface section to find
/// the errors of the other sections too.
pub fn check_report(path: &Path, ctx: &LoadContext, opts: &Options) -> LoadReport {
    report(path, ctx, opts, true)
}

fn report(path: &Path, ctx: &LoadContext, opts: &Options, collect: bool) -> LoadReport {
    let host = Host {
        cwd: &ctx.cwd,
        home: ctx.var("HOME"),
        hostname: &ctx.hostname,
        users: &*ctx.users,
        euid: ctx.euid,
    };
    let mut loader = Loader::new(path, host, &ctx.env, collect);
    let result = run(&mut loader, ctx, opts);
    let mut errors = loader.errors;
    if let Err(e) = &result {
        if errors.is_empty() {
            errors.push(e.clone());
        }
    }
    LoadReport {
        result,
        warnings: loader.warnings,
        infos: loader.infos,
        files_read: loader.files_read,
        errors,
        reference_refusal: loader.reference_refusal,
    }
}

fn run(l: &mut Loader, ctx: &LoadContext, opts: &Options) -> Result<Config, ConfigError> {
    read_all(l)?;
    let ini = std::mem::take(&mut l.ini);
    let result = evaluate(l, &ini, ctx, opts);
    l.ini = ini;
    result
}

/// Reads the main file and its includes into `l.ini`.
fn read_all(l: &mut Loader) -> Result<(), ConfigError> {
    let file = l.configfile.clone();
    let shown = file.display().to_string();
    let abs = l.host.cwd.join(&file);
    if !abs.exists() {
        return Err(ConfigError::new(format!(
            "could not find config file {shown}"
        )));
    }
    let text = match std::fs::read(&abs) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            ConfigError::new(format!(
                "could not read config file {shown}: not valid UTF-8"
            ))
        })?,
        Err(_) => {
            return Err(ConfigError::new(format!(
                "could not read config file {shown}"
            )))
        }
    };
    l.files_read
        .push(PathBuf::from(values::normpath(&abs.to_string_lossy())));
    l.ini.read(&text, &file)?;
    read_includes(l)?;
    l.ini.apply_defaults()?;
    Ok(())
}

fn read_includes(l: &mut Loader) -> Result<(), ConfigError> {
    let Some(include) = l.ini.section("include").cloned() else {
        return Ok(());
    };
    let here = l.here.clone();
    l.ini.expand_here(&here)?;
    // `[include]` after expand_here, with [DEFAULT] visible as the reference's has_option.
    let entry = l
        .ini
        .section("include")
        .and_then(|s| s.get("files"))
        .cloned();
    let entry = entry.or_else(|| l.ini.defaults().iter().find(|e| e.key == "files").cloned());
    let Some(entry) = entry else {
        return Err(ConfigError::at(
            ".ini file has [include] section, but no files setting",
            &include.file,
            include.line,
        ));
    };
    let mut names = Names::new();
    names.set_str("here", &l.here);
    names.set_str("host_node_name", l.host.hostname);
    names.extend(&l.env);
    let files = expand(&entry.value, &names, "include.files").map_err(|m| entry.error(m))?;
    for pattern in files.split(super::ini::py_space).filter(|p| !p.is_empty()) {
        let pattern = if pattern.starts_with('/') {
            pattern.to_string()
        } else {
            format!("{}/{pattern}", l.here.trim_end_matches('/'))
        };
        let mut found = glob::glob(&pattern);
        if found.is_empty() {
            l.warnings
                .push(format!("No file matches via include \"{pattern}\""));
            continue;
        }
        crate::sort::sort(&mut found);
        for name in found {
            l.infos
                .push(format!("Included extra file \"{name}\" during parsing"));
            read_included(l, &name)?;
        }
    }
    Ok(())
}

/// Reads one included file; unreadable files are skipped silently, like the reference.
fn read_included(l: &mut Loader, name: &str) -> Result<(), ConfigError> {
    let Ok(bytes) = std::fs::read(name) else {
        return Ok(());
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        ConfigError::new(format!(
            "could not read config file {name}: not valid UTF-8"
        ))
    })?;
    l.files_read.push(PathBuf::from(values::normpath(name)));
    l.ini.read(&text, Path::new(name))?;
    let dir = match name.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => name[..i].to_string(),
        None => ".".to_string(),
    };
    let dir = values::normpath(&l.host.cwd.join(dir).to_string_lossy());
    l.ini.expand_here(&dir)?;
    Ok(())
}

fn evaluate(
    l: &mut Loader,
    ini: &Ini,
    ctx: &LoadContext,
    opts: &Options,
) -> Result<Config, ConfigError> {
    let Some(section) = ini.section("supervisord") else {
        return Err(ConfigError::no_supervisord_section());
    };
    let mut sup = supervisord(l, section, ctx)?;
    let rpcinterfaces = servers::rpcinterfaces(l, ini)?;
    let mut groups = programs::groups(l, ini)?;
    for group in &mut groups {
        for p in &mut group.processes {
            // Not shared yet: the groups were just built.
            let p = std::sync::Arc::make_mut(p);
            let mut env = sup.environment.clone();
            for (k, v) in std::mem::take(&mut p.environment) {
                super::kvlist::set_pair(&mut env, &k, v);
            }
            p.environment = env;
            if !sup.environment_file.is_empty() {
                p.environment_files.supervisord = sup.environment_file.clone();
            }
        }
    }
    let servers = servers::servers(l, ini)?;
    if let Some(first) = l.errors.first() {
        return Err(first.clone());
    }
    apply_options(l, &mut sup, section, opts)?;
    let serverurl = servers::fallback_serverurl(&servers);
    Ok(Config {
        path: PathBuf::from(values::normpath(
            &l.host.cwd.join(&l.configfile).to_string_lossy(),
        )),
        supervisord: sup,
        servers,
        serverurl,
        rpcinterfaces,
        groups,
        warnings: l.warnings.clone(),
        infos: l.infos.clone(),
        files_read: l.files_read.clone(),
        reference_refusal: l.reference_refusal.clone(),
    })
}

/// `[supervisord]`, in the reference's evaluation order.
fn supervisord(
    l: &mut Loader,
    s: &Section,
    ctx: &LoadContext,
) -> Result<SupervisordConfig, ConfigError> {
    let mut names = Names::new();
    names.set_str("here", &l.here);
    let paths = l.paths();
    let minfds = l.number(s, "minfds", &names, 1024, values::integer)?;
    let minprocs = l.number(s, "minprocs", &names, 200, values::integer)?;
    let max_clients = l
        .parsed(s, "max_clients", &names, values::positive_count)?
        .map(|n| n as u32);
    let directory = match l.get(s, "directory", &names)? {
        Some(g) => Some(PathBuf::from(
            g.parse(|v| values::existing_directory(v, &paths))?,
        )),
        None => None,
    };
    let user = l.get(s, "user", &names)?.map(|g| g.value);
    let umask = l.parsed(s, "umask", &names, values::octal)?.unwrap_or(0o22);
    let logfile = match l.get(s, "logfile", &names)? {
        Some(g) => g.parse(|v| values::existing_dirpath(v, &paths))?,
        None => "supervisord.log".into(),
    };
    let logfile_maxbytes = l.number(s, "logfile_maxbytes", &names, 50 << 20, values::byte_size)?;
    let logfile_backups = l.number(s, "logfile_backups", &names, 10, values::integer)?;
    let loglevel = l
        .parsed(s, "loglevel", &names, values::log_level)?
        .unwrap_or(LogLevel::Info);
    let pidfile = match l.get(s, "pidfile", &names)? {
        Some(g) => g.parse(|v| values::existing_dirpath(v, &paths))?,
        None => "supervisord.pid".into(),
    };
    let identifier = l
        .get(s, "identifier", &names)?
        .map_or_else(|| "supervisor".to_string(), |g| g.value);
    let nodaemon = l.flag(s, "nodaemon", &names)?;
    let silent = l.flag(s, "silent", &names)?;
    let childlogdir = match l.get(s, "childlogdir", &names)? {
        Some(g) => g.parse(|v| values::existing_directory(v, &paths))?,
        None => default_tempdir(ctx),
    };
    let nocleanup = l.flag(s, "nocleanup", &names)?;
    let strip_ansi = l.flag(s, "strip_ansi", &names)?;
    let logfile_timestamps = l.flag(s, "logfile_timestamps", &names)?;
    let state_file = match l.get(s, "state_file", &names)? {
        Some(g) => Some(PathBuf::from(
            g.parse(|v| values::existing_dirpath(v, &paths))?,
        )),
        None => None,
    };
    // Expanded once, with the same names as every [supervisord] option. (The reference
    // expands it a second time, adding `host_node_name`, so that `%%` cannot be written.)
    let environment = match l.get(s, "environment", &names)? {
        Some(g) => g.parse(key_value_pairs)?,
        None => Vec::new(),
    };
    for (k, v) in &environment {
        l.env.set_str(&format!("ENV_{k}"), v);
    }
    let environment_file = match l.get(s, "environment_file", &names)? {
        Some(g) => g.parse(|v| envfile::paths(v, &g.entry.file, &l.paths()))?,
        None => Vec::new(),
    };
    Ok(SupervisordConfig {
        logfile: PathBuf::from(logfile),
        logfile_maxbytes: l.unsigned(logfile_maxbytes, "logfile_maxbytes"),
        logfile_backups: l.unsigned(logfile_backups, "logfile_backups") as u32,
        pidfile: PathBuf::from(pidfile),
        loglevel,
        nodaemon,
        silent,
        minfds: l.unsigned(minfds, "minfds"),
        minprocs: l.unsigned(minprocs, "minprocs"),
        max_clients,
        umask,
        user,
        uid: None,
        gid: None,
        groups: Vec::new(),
        directory,
        identifier,
        childlogdir: PathBuf::from(childlogdir),
        nocleanup,
        strip_ansi,
        logfile_timestamps,
        state_file,
        environment,
        environment_file,
    })
}

/// Command-line overrides (they win over the file), then the `user=` check and path
/// normalisation the reference does last.
fn apply_options(
    l: &mut Loader,
    sup: &mut SupervisordConfig,
    section: &Section,
    opts: &Options,
) -> Result<(), ConfigError> {
    if opts.nodaemon == Some(true) {
        sup.nodaemon = true;
    }
    if opts.silent == Some(true) {
        sup.silent = true;
    }
    if opts.nocleanup == Some(true) {
        sup.nocleanup = true;
    }
    if opts.strip_ansi == Some(true) {
        sup.strip_ansi = true;
    }
    if let Some(u) = &opts.user {
        sup.user = Some(u.clone());
    }
    if let Some(v) = opts.umask {
        sup.umask = v;
    }
    if let Some(v) = &opts.directory {
        sup.directory = Some(v.clone());
    }
    if let Some(v) = &opts.logfile {
        sup.logfile = v.clone();
    }
    if let Some(v) = opts.logfile_maxbytes {
        sup.logfile_maxbytes = v;
    }
    if let Some(v) = opts.logfile_backups {
        sup.logfile_backups = v;
    }
    if let Some(v) = opts.loglevel {
        sup.loglevel = v;
    }
    if let Some(v) = &opts.pidfile {
        sup.pidfile = v.clone();
    }
    if let Some(v) = &opts.identifier {
        sup.identifier = v.clone();
    }
    if let Some(v) = &opts.childlogdir {
        sup.childlogdir = v.clone();
    }
    if let Some(v) = opts.minfds {
        sup.minfds = v;
    }
    if let Some(v) = opts.minprocs {
        sup.minprocs = v;
    }
    if let Some(user) = &sup.user {
        let uid = values::name_to_uid(user, l.users).map_err(|m| {
            // Located at the config line unless the name came from `-u`.
            match (opts.user.is_none(), section.get("user")) {
                (true, Some(e)) => e.error(m),
                _ => ConfigError::new(m),
            }
        })?;
        sup.uid = Some(uid);
        if let Some(account) = l.account(uid) {
            sup.gid = Some(account.gid);
            sup.groups = account.groups;
        }
    }
    let paths = l.paths();
    if sup.logfile != Path::new("syslog") {
        sup.logfile = paths.normalize(&sup.logfile.to_string_lossy());
    }
    sup.pidfile = paths.normalize(&sup.pidfile.to_string_lossy());
    if let Some(f) = &sup.state_file {
        sup.state_file = Some(paths.normalize(&f.to_string_lossy()));
    }
    Ok(())
}

/// Python's `tempfile.gettempdir()` without the write probe: `$TMPDIR`, `$TEMP`, `$TMP` if
/// they name a directory, else `/tmp`.
fn default_tempdir(ctx: &LoadContext) -> String {
    for var in ["TMPDIR", "TEMP", "TMP"] {
        if let Some(d) = ctx.var(var) {
            let p = ctx.cwd.join(d);
            if p.is_dir() {
                return values::normpath(&p.to_string_lossy());
            }
        }
    }
    "/tmp".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_paths_follow_argv0() {
        assert_eq!(
            search_paths("/usr/bin/supervisord")[..2],
            ["/usr/etc/supervisord.conf", "/usr/supervisord.conf"]
        );
        assert_eq!(
            search_paths("supervisord")[..2],
            ["etc/supervisord.conf", "supervisord.conf"]
        );
        assert_eq!(search_paths("/supervisord")[0], "/etc/supervisord.conf");
        assert_eq!(search_paths("x")[5], "/etc/supervisor/supervisord.conf");
    }
}
