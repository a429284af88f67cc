//! The daemon: startup, the poll loop, shutdown.

pub mod signals;

use crate::config::model::Config;
use crate::options::Options;

/// Runs supervisord on a loaded config until shutdown; returns the process exit code.
pub fn run(_options: Options, _config: Config) -> i32 {
    eprintln!("Error: the daemon is not implemented yet");
    2
}
