//! Loading `supervisord.conf`: the INI dialect, `%(name)s` expansion, value types,
//! `[include]`, and validation into [`model::Config`].
//!
//! Pure parts: `ini`, `expand`, `values` (except its directory checks), `kvlist`, `glob`'s
//! matcher, `json`. File access: `load` (reading, include globbing), `users` (the injected user database).

pub mod ctl;
pub mod error;
pub mod expand;
pub mod glob;
pub mod ini;
pub mod json;
pub mod kvlist;
pub mod load;
#[cfg(test)]
mod load_tests;
pub mod model;
mod programs;
mod servers;
pub mod shlex;
pub mod summary;
pub mod users;
pub mod values;

pub use ctl::{load_ctl, CtlConfig};
pub use error::ConfigError;
pub use load::{
    check_report, find_config, load, load_for_daemon, load_report, running_as_root, LoadContext,
    LoadReport, ROOT_SEARCH_WARNING,
};
pub use programs::{DEFAULT_RESULT_HANDLER, EVENT_TYPES};
pub use servers::{fallback_serverurl, MAIN_RPCINTERFACE};
