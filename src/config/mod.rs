//! Loading `supervisord.conf`: the INI dialect, `%(name)s` expansion, value types,
//! `[include]`, and validation into [`model::Config`].
//!
//! Bottom up: a file imports only files listed above it (`tests/module_graph.rs` checks there
//! is no circle).
//!
//! - [`error`]: [`ConfigError`], the reference's message plus file and line.
//! - [`ini`]: the INI dialect, text to sections.
//! - [`expand`]: `%(name)s` expansion.
//! - [`kvlist`]: the `environment=` key/value list.
//! - [`envfile`]: `environment_file=` contents, read at each spawn.
//! - [`shlex`]: `command=` word splitting.
//! - [`glob`]: `[include] files=` globbing.
//! - [`users`]: users and groups from `/etc/passwd` and `/etc/group`.
//! - [`rare`]: [`rare::Rare`], a config part most processes leave at its default, out of line.
//! - [`model`]: the validated config, the contract with the daemon.
//! - [`diff`]: what `update` changes, process by process, between two configs.
//! - [`values`]: the value types, text to typed value or the reference's error.
//! - `loader`: the state section evaluation shares, and its typed getters.
//! - `supervision`: the readiness, health and backoff keys of a program (issue #15).
//! - [`depends`]: `depends_on` resolution, cycles and the start order.
//! - `programs`: `[program:x]`, `[group:x]`, `[eventlistener:x]`, `[fcgi-program:x]`.
//! - `servers`: `[*_http_server]` and `[rpcinterface:x]`.
//! - [`mod@load`]: the entry points: find, read and evaluate the files (`load_tests`: its tests).
//! - [`ctl`]: the `[supervisorctl]` section, for supervisorctl.
//! - [`json`], [`summary`]: `--check-config` output, for machines and for humans.
//!
//! File access: `load` (reading), `envfile::read` (at spawn), `glob` (directory listing; its matcher is pure), `users`
//! (passwd/group, read by `loader`) and the directory checks of `values`. The rest is pure.

pub mod access;
pub mod ctl;
pub mod depends;
pub mod diff;
pub mod envfile;
pub mod error;
pub mod expand;
pub mod glob;
pub mod ini;
pub mod json;
pub mod kvlist;
pub mod load;
#[cfg(test)]
mod load_tests;
mod loader;
mod logkeys;
pub mod model;
mod programs;
pub mod rare;
mod servers;
pub mod shlex;
pub mod summary;
mod supervision;
#[cfg(test)]
mod supervision_tests;
pub mod users;
pub mod values;

pub use ctl::{load_ctl, CtlConfig};
pub use error::{ConfigError, ConfigErrorKind};
pub use load::{
    check_report, find_config, load, load_for_daemon, load_report, running_as_root, LoadContext,
    LoadReport, ROOT_SEARCH_WARNING,
};
pub use programs::{DEFAULT_RESULT_HANDLER, EVENT_TYPES, MAX_NUMPROCS};
pub use servers::{fallback_credentials, fallback_serverurl, MAIN_RPCINTERFACE};
