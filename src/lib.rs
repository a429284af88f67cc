//! supervisor-rs: a drop-in Rust reimplementation of Supervisor 4.3.0.
//!
//! Architecture map (who owns what):
//! - `config`: pure loading of `supervisord.conf` (INI dialect, `%(x)s` expansion, value
//!   types, includes) into the validated [`config::model::Config`].
//! - `options`: the supervisord command line.
//! - `process`: the pure per-process state machine (state, input, now) -> actions, the spawn
//!   plan (argv, environment, fds as data) and start/stop ordering.
//! - `logfile`: rotating log writers for the activity log and child output.
//! - `protocol`: the text-line control protocol (pure parse/render) and per-connection buffers.
//! - `ctl`: supervisorctl commands and output formatting.
//! - `daemon`: the single-threaded poll loop that executes the actions.
//! - `sys`: the only module allowed `unsafe`: thin syscall wrappers.
//! - `time`: monotonic instants as values and wall-clock formatting.

pub mod config;
pub mod ctl;
pub mod daemon;
pub mod events;
pub mod logfile;
pub mod messages;
pub mod options;
pub mod process;
pub mod protocol;
pub mod pyrepr;
pub mod signames;
#[allow(unsafe_code)]
pub mod sys;
pub mod time;

/// The version string `supervisord -v` prints. We report the reference's version so that
/// scripts that check it keep working.
pub const VERSION: &str = "4.3.0";
