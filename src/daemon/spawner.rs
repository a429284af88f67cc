//! What the daemon spawns with: its environment (minus what is only for it), who it is (for
//! the execute-permission checks), the server URL and credentials children get, and the
//! low descriptor numbers that keep a spawn's cost independent of the daemon's open files.

use crate::config::model::Config;
use crate::daemon::notify::PRIVATE_ENV;
use crate::process::plan::SpawnPlan;
use crate::process::spawn::SpawnContext;
use crate::sys;

/// Who the daemon is, for the spawn-time permission checks.
#[derive(Debug, Clone)]
struct Identity {
    euid: u32,
    egid: u32,
    groups: Vec<u32>,
}

/// The daemon's side of every spawn.
#[derive(Debug)]
pub struct Spawner {
    low_fds: Option<sys::spawn::LowFds>,
    env: Vec<(String, String)>,
    identity: Identity,
    serverurl: Option<String>,
    credentials: Option<(String, String)>,
}

impl Spawner {
    /// Spawning under `config`, with `low_fds` (kept across restarts) when reserved.
    pub fn new(config: &Config, low_fds: Option<sys::spawn::LowFds>) -> Spawner {
        Spawner {
            low_fds,
            env: std::env::vars()
                .filter(|(k, _)| !PRIVATE_ENV.contains(&k.as_str()))
                .collect(),
            identity: Identity {
                euid: sys::proc::geteuid(),
                egid: sys::proc::getegid(),
                groups: Vec::new(),
            },
            serverurl: config.serverurl.clone(),
            credentials: crate::config::fallback_credentials(&config.servers),
        }
    }

    /// Gives the spawn descriptors back (they outlive a restart).
    pub fn into_low_fds(self) -> Option<sys::spawn::LowFds> {
        self.low_fds
    }

    /// What spawn planning needs to know about the daemon.
    pub fn context(&self) -> SpawnContext<'_> {
        SpawnContext {
            daemon_env: &self.env,
            serverurl: self.serverurl.as_deref(),
            credentials: self
                .credentials
                .as_ref()
                .map(|(u, p)| (u.as_str(), p.as_str())),
            euid: self.identity.euid,
            egid: self.identity.egid,
            daemon_groups: &self.identity.groups,
        }
    }

    /// Forks and execs `plan` (through the low descriptors when reserved).
    pub fn start(
        &mut self,
        plan: &SpawnPlan,
        name: &str,
    ) -> Result<sys::spawn::Child, sys::spawn::SpawnError> {
        match self.low_fds.as_mut() {
            Some(low) => sys::spawn::spawn_with_low_fds(plan, name, low),
            None => sys::spawn::spawn_nowait(plan, name),
        }
    }
}
