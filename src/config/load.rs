//! Loading `supervisord.conf` into a [`Config`]: find the file, read it and its `[include]`s,
//! evaluate `[supervisord]`, hand the other sections to `programs` and `servers`, then apply
//! command-line overrides. This is the only part of `config` that reads files (besides the
//! directory checks of `values`).
//!
//! Evaluation order follows the reference, because it decides which error is reported
//! first: includes, `[supervisord]` options, `[rpcinterface:x]`, process groups, servers,
//! then the command line and `user=`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::ConfigError;
use super::expand::{expand, Names};
use super::ini::{Entry, Ini, Section};
use super::kvlist::key_value_pairs;
use super::model::{Config, LogLevel, SupervisordConfig};
use super::users::UserDb;
use super::values::{self, PathCtx};
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
    report(Loader::new(path, ctx, false), opts)
}

/// Like [`load_report`], but once the files are read and `[supervisord]` is evaluated,
/// keeps going after an error in a process group, server or rpcinterface section to find
/// the errors of the other sections too.
pub fn check_report(path: &Path, ctx: &LoadContext, opts: &Options) -> LoadReport {
    report(Loader::new(path, ctx, true), opts)
}

fn report(mut loader: Loader, opts: &Options) -> LoadReport {
    let result = loader.run(opts);
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
    }
}

/// State shared by the evaluation of all sections.
pub(crate) struct Loader<'a> {
    pub(crate) ctx: &'a LoadContext,
    /// `ctx.users`, borrowed for the sections' lookups.
    pub(crate) users: &'a dyn UserDb,
    /// The merged files (moved out while sections are evaluated).
    pub(crate) ini: Ini,
    /// The main file as given (the reference names it so in messages).
    pub(crate) configfile: PathBuf,
    /// Absolute directory of the main file.
    pub(crate) here: String,
    /// `ENV_*` names: the environment, then `[supervisord] environment`.
    pub(crate) env: Names,
    /// Parse-time warnings so far.
    pub(crate) warnings: Vec<String>,
    /// Parse-time infos so far.
    pub(crate) infos: Vec<String>,
    /// Files read so far.
    pub(crate) files_read: Vec<PathBuf>,
    /// Keep going after a section fails (see [`check_report`]).
    collect: bool,
    /// Errors kept in collect mode.
    errors: Vec<ConfigError>,
}

/// A uid's passwd entry, resolved at load (see [`Loader::account`]).
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) gid: u32,
    pub(crate) groups: Vec<u32>,
}

/// An option's expanded value and the entry it came from.
pub(crate) struct Got<'s> {
    pub(crate) value: String,
    pub(crate) entry: &'s Entry,
}

impl<'s> Got<'s> {
    /// An error located at this value.
    pub(crate) fn err(&self, msg: impl Into<String>) -> ConfigError {
        ConfigError::at(msg, &self.entry.file, self.entry.line)
    }

    /// Parses the value with `f`, locating its error here.
    pub(crate) fn parse<T>(
        &self,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        f(&self.value).map_err(|m| self.err(m))
    }
}

impl<'a> Loader<'a> {
    fn new(path: &Path, ctx: &'a LoadContext, collect: bool) -> Loader<'a> {
        let abs = ctx.cwd.join(path);
        let dir = abs.parent().unwrap_or(Path::new("/"));
        let here = values::normpath(&dir.to_string_lossy());
        let mut env = Names::new();
        for (k, v) in &ctx.env {
            env.set_str(&format!("ENV_{k}"), v);
        }
        Loader {
            ctx,
            users: &*ctx.users,
            ini: Ini::new(),
            configfile: path.to_path_buf(),
            here,
            env,
            warnings: Vec::new(),
            infos: Vec::new(),
            files_read: Vec::new(),
            collect,
            errors: Vec::new(),
        }
    }

    /// The value of a section's evaluation; in collect mode an error is kept and the section
    /// skipped (`None`), otherwise it ends the load.
    pub(crate) fn keep<T>(&mut self, r: Result<T, ConfigError>) -> Result<Option<T>, ConfigError> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if self.collect => {
                self.errors.push(e);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The passwd entry of `uid` (its name, gid and group list), looked up the way the
    /// reference does when it switches to a `user=`: by uid, even when a name was written
    /// (two names may share a uid). None if the uid has no entry; switching to it then fails
    /// with the reference's `Can't find uid`. A failed group listing is a warning, and the
    /// list is just the gid.
    pub(crate) fn account(&mut self, uid: u32) -> Option<Account> {
        let user = self.users.user_by_uid(uid).ok().flatten()?;
        let groups = match self.users.group_list(&user.name, user.gid) {
            Ok(mut groups) => {
                // The primary gid first, once, whatever the database returned.
                groups.retain(|g| *g != user.gid);
                groups.insert(0, user.gid);
                groups
            }
            Err(e) => {
                self.warnings.push(format!(
                    "cannot list the groups of user {}: {e}; using only gid {}",
                    user.name, user.gid
                ));
                vec![user.gid]
            }
        };
        Some(Account {
            name: user.name,
            gid: user.gid,
            groups,
        })
    }

    /// Directory checks and `~` expansion in this load's context.
    pub(crate) fn paths(&self) -> PathCtx<'_> {
        PathCtx {
            home: self.ctx.var("HOME"),
            cwd: &self.ctx.cwd,
            users: self.users,
            euid: self.ctx.euid,
        }
    }

    /// Expanded value of `key` in `section`, with the `ENV_*` names plus `extra`.
    pub(crate) fn get<'s>(
        &self,
        section: &'s Section,
        key: &str,
        extra: &Names,
    ) -> Result<Option<Got<'s>>, ConfigError> {
        let Some(entry) = section.get(key) else {
            return Ok(None);
        };
        let mut names = self.env.clone();
        names.extend(extra);
        let what = format!("{}.{key}", section.name);
        let value = expand(&entry.value, &names, &what)
            .map_err(|m| ConfigError::at(m, &entry.file, entry.line))?;
        Ok(Some(Got { value, entry }))
    }

    fn run(&mut self, opts: &Options) -> Result<Config, ConfigError> {
        self.read_all()?;
        let ini = std::mem::take(&mut self.ini);
        let result = self.evaluate(&ini, opts);
        self.ini = ini;
        result
    }

    /// Reads the main file and its includes into `self.ini`.
    fn read_all(&mut self) -> Result<(), ConfigError> {
        let file = self.configfile.clone();
        let shown = file.display().to_string();
        let abs = self.ctx.cwd.join(&file);
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
        self.files_read
            .push(PathBuf::from(values::normpath(&abs.to_string_lossy())));
        self.ini.read(&text, &file)?;
        self.read_includes()?;
        self.ini.apply_defaults();
        Ok(())
    }

    fn read_includes(&mut self) -> Result<(), ConfigError> {
        let Some(include) = self.ini.section("include").cloned() else {
            return Ok(());
        };
        let here = self.here.clone();
        self.ini.expand_here(&here);
        // `[include]` after expand_here, with [DEFAULT] visible as the reference's has_option.
        let entry = self
            .ini
            .section("include")
            .and_then(|s| s.get("files"))
            .cloned();
        let entry = entry.or_else(|| {
            self.ini
                .defaults()
                .iter()
                .find(|e| e.key == "files")
                .cloned()
        });
        let Some(entry) = entry else {
            return Err(ConfigError::at(
                ".ini file has [include] section, but no files setting",
                &include.file,
                include.line,
            ));
        };
        let mut names = Names::new();
        names.set_str("here", &self.here);
        names.set_str("host_node_name", &self.ctx.hostname);
        names.extend(&self.env);
        let files = expand(&entry.value, &names, "include.files")
            .map_err(|m| ConfigError::at(m, &entry.file, entry.line))?;
        for pattern in files.split(super::ini::py_space).filter(|p| !p.is_empty()) {
            let pattern = if pattern.starts_with('/') {
                pattern.to_string()
            } else {
                format!("{}/{pattern}", self.here.trim_end_matches('/'))
            };
            let mut found = glob::glob(&pattern);
            if found.is_empty() {
                self.warnings
                    .push(format!("No file matches via include \"{pattern}\""));
                continue;
            }
            found.sort();
            for name in found {
                self.infos
                    .push(format!("Included extra file \"{name}\" during parsing"));
                self.read_included(&name)?;
            }
        }
        Ok(())
    }

    /// Reads one included file; unreadable files are skipped silently, like the reference.
    fn read_included(&mut self, name: &str) -> Result<(), ConfigError> {
        let Ok(bytes) = std::fs::read(name) else {
            return Ok(());
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            ConfigError::new(format!(
                "could not read config file {name}: not valid UTF-8"
            ))
        })?;
        self.files_read.push(PathBuf::from(values::normpath(name)));
        self.ini.read(&text, Path::new(name))?;
        let dir = match name.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => name[..i].to_string(),
            None => ".".to_string(),
        };
        let dir = values::normpath(&self.ctx.cwd.join(dir).to_string_lossy());
        self.ini.expand_here(&dir);
        Ok(())
    }

    fn evaluate(&mut self, ini: &Ini, opts: &Options) -> Result<Config, ConfigError> {
        let Some(section) = ini.section("supervisord") else {
            return Err(ConfigError::new(
                ".ini file does not include supervisord section",
            ));
        };
        let mut sup = self.supervisord(section)?;
        let rpcinterfaces = servers::rpcinterfaces(self, ini)?;
        let mut groups = programs::groups(self, ini)?;
        for group in &mut groups {
            for p in &mut group.processes {
                let mut env = sup.environment.clone();
                for (k, v) in std::mem::take(&mut p.environment) {
                    super::kvlist::set_pair(&mut env, &k, v);
                }
                p.environment = env;
            }
        }
        let servers = servers::servers(self, ini)?;
        if let Some(first) = self.errors.first() {
            return Err(first.clone());
        }
        self.apply_options(&mut sup, section, opts)?;
        let serverurl = servers::fallback_serverurl(&servers);
        Ok(Config {
            path: PathBuf::from(values::normpath(
                &self.ctx.cwd.join(&self.configfile).to_string_lossy(),
            )),
            supervisord: sup,
            servers,
            serverurl,
            rpcinterfaces,
            groups,
            warnings: self.warnings.clone(),
            infos: self.infos.clone(),
            files_read: self.files_read.clone(),
        })
    }

    /// `[supervisord]`, in the reference's evaluation order.
    fn supervisord(&mut self, s: &Section) -> Result<SupervisordConfig, ConfigError> {
        let mut names = Names::new();
        names.set_str("here", &self.here);
        let paths = self.paths();
        let minfds = self.number(s, "minfds", &names, 1024, values::integer)?;
        let minprocs = self.number(s, "minprocs", &names, 200, values::integer)?;
        let directory = match self.get(s, "directory", &names)? {
            Some(g) => Some(PathBuf::from(
                g.parse(|v| values::existing_directory(v, &paths))?,
            )),
            None => None,
        };
        let user = self.get(s, "user", &names)?.map(|g| g.value);
        let umask = self
            .parsed(s, "umask", &names, values::octal)?
            .unwrap_or(0o22);
        let logfile = match self.get(s, "logfile", &names)? {
            Some(g) => g.parse(|v| values::existing_dirpath(v, &paths))?,
            None => "supervisord.log".into(),
        };
        let logfile_maxbytes =
            self.number(s, "logfile_maxbytes", &names, 50 << 20, values::byte_size)?;
        let logfile_backups = self.number(s, "logfile_backups", &names, 10, values::integer)?;
        let loglevel = self
            .parsed(s, "loglevel", &names, values::log_level)?
            .unwrap_or(LogLevel::Info);
        let pidfile = match self.get(s, "pidfile", &names)? {
            Some(g) => g.parse(|v| values::existing_dirpath(v, &paths))?,
            None => "supervisord.pid".into(),
        };
        let identifier = self
            .get(s, "identifier", &names)?
            .map_or_else(|| "supervisor".to_string(), |g| g.value);
        let nodaemon = self.flag(s, "nodaemon", &names)?;
        let silent = self.flag(s, "silent", &names)?;
        let childlogdir = match self.get(s, "childlogdir", &names)? {
            Some(g) => g.parse(|v| values::existing_directory(v, &paths))?,
            None => default_tempdir(self.ctx),
        };
        let nocleanup = self.flag(s, "nocleanup", &names)?;
        let strip_ansi = self.flag(s, "strip_ansi", &names)?;
        // Expanded once, with the same names as every [supervisord] option. (The reference
        // expands it a second time, adding `host_node_name`, so that `%%` cannot be written.)
        let environment = match self.get(s, "environment", &names)? {
            Some(g) => g.parse(key_value_pairs)?,
            None => Vec::new(),
        };
        for (k, v) in &environment {
            self.env.set_str(&format!("ENV_{k}"), v);
        }
        Ok(SupervisordConfig {
            logfile: PathBuf::from(logfile),
            logfile_maxbytes: self.unsigned(logfile_maxbytes, "logfile_maxbytes"),
            logfile_backups: self.unsigned(logfile_backups, "logfile_backups") as u32,
            pidfile: PathBuf::from(pidfile),
            loglevel,
            nodaemon,
            silent,
            minfds: self.unsigned(minfds, "minfds"),
            minprocs: self.unsigned(minprocs, "minprocs"),
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
            environment,
        })
    }

    /// An optional value parsed by `f`.
    pub(crate) fn parsed<T>(
        &self,
        s: &Section,
        key: &str,
        names: &Names,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match self.get(s, key, names)? {
            Some(g) => g.parse(f).map(Some),
            None => Ok(None),
        }
    }

    /// A number with a default.
    pub(crate) fn number(
        &self,
        s: &Section,
        key: &str,
        names: &Names,
        default: i64,
        f: fn(&str) -> Result<i64, String>,
    ) -> Result<i64, ConfigError> {
        Ok(self.parsed(s, key, names, f)?.unwrap_or(default))
    }

    /// A boolean defaulting to false.
    pub(crate) fn flag(&self, s: &Section, key: &str, names: &Names) -> Result<bool, ConfigError> {
        Ok(self
            .parsed(s, key, names, values::boolean)?
            .unwrap_or(false))
    }

    /// A count the daemon cannot use negative: the reference accepts it, we clamp it to 0
    /// and say so.
    pub(crate) fn unsigned(&mut self, v: i64, what: &str) -> u64 {
        if v < 0 {
            self.warnings
                .push(format!("{what}={v} is negative; using 0 instead"));
            0
        } else {
            v as u64
        }
    }

    /// Command-line overrides (they win over the file), then the `user=` check and path
    /// normalisation the reference does last.
    fn apply_options(
        &mut self,
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
            let uid = values::name_to_uid(user, self.users).map_err(|m| {
                // Located at the config line unless the name came from `-u`.
                match (opts.user.is_none(), section.get("user")) {
                    (true, Some(e)) => ConfigError::at(m, &e.file, e.line),
                    _ => ConfigError::new(m),
                }
            })?;
            sup.uid = Some(uid);
            if let Some(account) = self.account(uid) {
                sup.gid = Some(account.gid);
                sup.groups = account.groups;
            }
        }
        let paths = self.paths();
        if sup.logfile != Path::new("syslog") {
            sup.logfile = paths.normalize(&sup.logfile.to_string_lossy());
        }
        sup.pidfile = paths.normalize(&sup.pidfile.to_string_lossy());
        Ok(())
    }
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
