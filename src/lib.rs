//! supervisor-rs: a drop-in Rust reimplementation of Supervisor 4.3.0.
//!
//! Module map (who owns what):
//! - [`cli`]: the programs' entry points (`supervisord`, `pidproxy`, the multi-call
//!   `supervisor-rs`); the `src/bin/*` files only call them.
//! - [`config`]: loading `supervisord.conf` into the validated [`config::model::Config`].
//! - [`ctl`]: supervisorctl: command line, interpreter, shell, protocol client.
//! - [`daemon`]: the single-threaded poll loop: a reactor over owned parts (I/O, supervision,
//!   control, event bus) and pure policy on a fake clock (see `ARCHITECTURE.md`).
//! - [`events`]: event types, listener pools and the listener protocol (pure).
//! - [`json`]: a minimal JSON writer (config verdicts, `status --json`).
//! - [`logfile`]: the activity log and child output logs, with rotation.
//! - [`messages`]: the reference's activity-log lines, word for word.
//! - [`options`]: the supervisord command line.
//! - [`probe`]: readiness and health checks: targets, the log-line pattern, the HTTP verdict
//!   (pure).
//! - [`process`]: the per-process state machine, spawn plans and ordering (pure).
//! - [`protocol`]: the text-line control protocol (pure parse/render) and connections.
//! - [`pyrepr`]: Python `repr()` of strings, as the reference's messages quote values.
//! - [`sample`]: the annotated sample config `echo_supervisord_conf` prints.
//! - [`signames`]: signal names and numbers.
//! - [`sort`]: the crate's one stable sort (compiled once, not per call site).
//! - [`stream`]: stdout or stderr, one type for every module.
//! - [`sys`]: the only module allowed `unsafe`: thin syscall wrappers.
//! - [`time`]: monotonic instants as values and wall-clock formatting.

pub mod cli;
pub mod config;
pub mod ctl;
pub mod daemon;
pub mod events;
pub mod json;
pub mod logfile;
pub mod messages;
pub mod options;
pub mod probe;
pub mod process;
pub mod protocol;
pub mod pyrepr;
pub mod sample;
pub mod signames;
pub mod sort;
pub mod stream;
#[allow(unsafe_code)]
pub mod sys;
pub mod time;

/// The version string `supervisord -v` prints. We report the reference's version so that
/// scripts that check it keep working.
pub const VERSION: &str = "4.3.0";
