//! Where new configurations come from: the loader that reads the file again (SIGHUP,
//! `reload`, `reread`, `update`), the config of the last `reread` (what `avail` and `add`
//! see), the config a restart starts with, and how the daemon was launched (what
//! `upgrade` execs).

use crate::config::model::Config;
use crate::daemon::sockets::Server;
use crate::daemon::startup::Launch;

/// Reloads the configuration. Supplied by `daemon::run`.
pub type Reloader = Box<dyn FnMut() -> Result<Config, String>>;

/// The reloader and the configs it gave.
pub struct Reload {
    reloader: Reloader,
    loaded: Option<Config>,
    pending: Option<(Config, Vec<Server>)>,
    launch: Option<Launch>,
}

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reload")
            .field("loaded", &self.loaded.is_some())
            .field("pending", &self.pending.is_some())
            .finish()
    }
}

impl Reload {
    /// Nothing read yet; `launch` is how the daemon was started (None when unknown).
    pub fn new(reloader: Reloader, launch: Option<Launch>) -> Reload {
        Reload {
            reloader,
            loaded: None,
            pending: None,
            launch,
        }
    }

    /// How the daemon was started.
    pub fn launch(&self) -> Option<&Launch> {
        self.launch.as_ref()
    }

    /// Gives the launch back (it outlives a restart).
    pub fn take_launch(&mut self) -> Option<Launch> {
        self.launch.take()
    }

    /// Reads the configuration file again.
    pub fn read(&mut self) -> Result<Config, String> {
        (self.reloader)()
    }

    /// The config of the last `reread`, if any.
    pub fn loaded(&self) -> Option<&Config> {
        self.loaded.as_ref()
    }

    /// Keeps `config` as the last `reread`.
    pub fn set_loaded(&mut self, config: Config) {
        self.loaded = Some(config);
    }

    /// Keeps `config` for the restart under way, with the control sockets it adds (bound
    /// already, so a config whose sockets cannot be bound is refused before anything stops).
    pub fn set_pending(&mut self, config: Config, servers: Vec<Server>) {
        self.pending = Some((config, servers));
    }

    /// The config the restart starts with, and its sockets bound in advance.
    pub fn take_pending(&mut self) -> Option<(Config, Vec<Server>)> {
        self.pending.take()
    }
}
