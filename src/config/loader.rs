//! [`Loader`]: the state every section's evaluation shares (merged files, `ENV_*` names,
//! warnings, errors kept in collect mode) and the typed getters `programs`, `servers` and
//! `load` read options with. It sits below them: `load` drives, they evaluate.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::expand::{expand, Names, MAX_TOTAL_EXPANDED};
use super::ini::{Entry, Ini, Section};
use super::users::UserDb;
use super::values::{self, PathCtx};

/// What a load reads from its host besides the files: the parts of `load::LoadContext` this
/// module needs (`load` sits above it, so the type is not named here).
pub(crate) struct Host<'a> {
    /// Directory relative paths resolve against.
    pub(crate) cwd: &'a Path,
    /// `$HOME`, for `~` expansion.
    pub(crate) home: Option<&'a str>,
    /// Host name for `%(host_node_name)s`.
    pub(crate) hostname: &'a str,
    /// Where users and groups are looked up.
    pub(crate) users: &'a dyn UserDb,
    /// Our effective uid.
    pub(crate) euid: u32,
}

/// State shared by the evaluation of all sections.
pub(crate) struct Loader<'a> {
    pub(crate) host: Host<'a>,
    /// `host.users`, for the sections' lookups.
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
    /// Keep going after a section fails (see `load::check_report`).
    collect: bool,
    /// Errors kept in collect mode.
    pub(crate) errors: Vec<ConfigError>,
    /// Bytes expanded so far, bounded by [`MAX_TOTAL_EXPANDED`] (`numprocs` multiplies them).
    expanded: Cell<usize>,
    /// The error Supervisor 4.3.0 stops at for the first plugin section we skip with a
    /// warning instead (see `servers::rpcinterfaces`).
    pub(crate) reference_refusal: Option<String>,
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
        self.entry.error(msg)
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
    /// A loader for the main file `path`; `env` (the process environment) gives the
    /// `ENV_*` names.
    pub(crate) fn new(
        path: &Path,
        host: Host<'a>,
        env: &[(String, String)],
        collect: bool,
    ) -> Loader<'a> {
        let abs = host.cwd.join(path);
        let dir = abs.parent().unwrap_or(Path::new("/"));
        let here = values::normpath(&dir.to_string_lossy());
        let mut names = Names::new();
        for (k, v) in env {
            names.set_str(&format!("ENV_{k}"), v);
        }
        Loader {
            users: host.users,
            host,
            ini: Ini::new(),
            configfile: path.to_path_buf(),
            here,
            env: names,
            warnings: Vec::new(),
            infos: Vec::new(),
            files_read: Vec::new(),
            collect,
            errors: Vec::new(),
            reference_refusal: None,
            expanded: Cell::new(0),
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
            home: self.host.home,
            cwd: self.host.cwd,
            users: self.users,
            euid: self.host.euid,
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
        let value = self.expand(&entry.value, &names, &what, entry)?;
        Ok(Some(Got { value, entry }))
    }

    /// `text` (from `entry`) expanded against `names`; errors are located at `entry`, and
    /// all expansions of one load together stay within [`MAX_TOTAL_EXPANDED`] bytes.
    pub(crate) fn expand(
        &self,
        text: &str,
        names: &Names,
        what: &str,
        entry: &Entry,
    ) -> Result<String, ConfigError> {
        let value = expand(text, names, what).map_err(|m| entry.error(m))?;
        let total = self.expanded.get().saturating_add(value.len());
        if total > MAX_TOTAL_EXPANDED {
            return Err(entry.error(format!(
                "the expanded values of this configuration are longer than \
                     {MAX_TOTAL_EXPANDED} bytes in total"
            )));
        }
        self.expanded.set(total);
        Ok(value)
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
}
