//! The daemon: startup (privileges, rlimits, logs, detaching, pidfile), the poll loop, and
//! restart/shutdown around it.
//!
//! The house: the reactor ([`event_loop::Daemon`]) owns a few parts with private fields and
//! carries out what they ask. Imports go one way, top to bottom:
//! - [`event_loop`] the reactor: dispatch, the one read path, effects of the machines;
//!   [`requests`] and [`reconfig`] are its text-protocol requests; with the `xmlrpc`
//!   feature, [`http`] routes HTTP to [`rpc`] (XML-RPC, values in [`rpc_values`]) and
//!   [`web`] (the page), whose waiting answers are [`deferred`].
//! - Parts: [`supervisor`] (process table, daemon machine, fcgi sockets, with the
//!   [`spawner`]), [`control`] (clients and their codecs, waits, follows: one reply path),
//!   [`bus`] (event pools and the listener protocol's I/O), [`io`] (the poller and the table
//!   of sources that owns every descriptor), [`reload`] (where new configs come from).
//! - Pure policy on a fake clock: [`access`] (who may run what, by identity), [`lifecycle`] (running, stopping level by level,
//!   restarting, shutting down), [`waits`] (start/stop/restart/update replies and their
//!   `waiting for` cadence), [`names`] (namespec resolution), [`output`] (pipe batching and
//!   where child output goes), [`notify`] (what systemd is told, and when).
//! - [`metrics`] (the `metrics` reply), [`live`] (`events` streams) and [`info`]
//!   (`status --json`, `avail --json`) are requests too.
//! - Leaves: [`procs`] (the table's data), [`counters`] (what `metrics` counts per process),
//!   [`sockets`], [`signals`], [`fcgi`], [`startup`], [`sd_notify`] (the datagrams to
//!   `$NOTIFY_SOCKET`), [`rotate`] (the `rotate` command on one process's logs),
//!   [`state_file`] (manual starts and stops kept across restarts).

pub mod access;
pub mod bus;
pub mod child_notify;
pub mod control;
pub mod counters;
#[cfg(feature = "xmlrpc")]
pub mod deferred;
pub mod depends;
pub mod event_loop;
pub mod fcgi;
pub mod handover;
#[cfg(feature = "xmlrpc")]
pub mod http;
pub mod info;
pub mod io;
pub mod lifecycle;
pub mod live;
pub mod metrics;
pub mod names;
pub mod notify;
pub mod output;
pub mod probes;
pub mod procs;
pub mod reconfig;
pub mod reload;
pub mod requests;
pub mod rotate;
#[cfg(feature = "xmlrpc")]
pub mod rpc;
#[cfg(feature = "xmlrpc")]
pub mod rpc_values;
pub mod sd_notify;
pub mod signals;
pub mod sockets;
pub mod spawner;
pub mod startup;
pub mod state_file;
pub mod supervisor;
#[cfg(test)]
mod tests;
pub mod upgrade;
pub mod waits;
#[cfg(feature = "xmlrpc")]
pub mod web;

use crate::config::model::LogTarget as ConfLogTarget;
use crate::config::model::{Config, LogLevel};
use crate::logfile::activity::{LogTarget, Logger};
use crate::logfile::auto::clear_auto_logs;
use crate::logfile::writer::{log_dir_of, loose_dir_warning, open_error_text};
use crate::messages;
use crate::options::Options;
use crate::sys;
use event_loop::{Daemon, Exit, Kept};
use io::Io;
use signals::SignalPipe;
use startup::{Detached, Readiness, StartupNotes};
use supervisor::Supervisor;

/// Runs supervisord on a loaded config until shutdown; returns the process exit code.
pub fn run(options: Options, config: Config) -> i32 {
    run_with(options, config, None)
}

/// [`run`], for the image an upgrade exec'd when `handover` (from
/// [`upgrade::take_handover`], taken before the config was loaded) is `Some`: it does not
/// detach again, and takes over the sockets and processes (or, if the handover is broken,
/// logs why and starts fresh).
pub fn run_with(
    options: Options,
    config: Config,
    handover: Option<Result<upgrade::Adopted, String>>,
) -> i32 {
    let argv0 = std::env::args()
        .next()
        .unwrap_or_else(|| "supervisord".into());
    let mut notes = StartupNotes::default();
    if let Err(msg) = startup::set_uid(&config.supervisord, &mut notes) {
        return usage_error(&argv0, &msg);
    }
    if let Err(msg) = startup::set_rlimits(&config.supervisord, &mut notes) {
        return usage_error(&argv0, &msg);
    }
    let mut readiness = Readiness::none();
    if handover.is_some() {
        notes.upgraded = true;
    }
    let adopted = match handover {
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            notes.errors.push(format!("upgrade: {e}; starting afresh"));
            None
        }
        None => None,
    };
    if !config.supervisord.nodaemon && !notes.upgraded {
        match startup::detach() {
            Ok(Detached::Launcher(l)) => return l.wait(&argv0),
            Ok(Detached::Daemon(r)) => readiness = r,
            Err(e) => return usage_error(&argv0, &format!("could not daemonize: {e}")),
        }
    }
    let code = serve(options, config, notes, adopted, &mut readiness);
    if readiness.pending() {
        readiness.failed("supervisord stopped during startup");
    }
    code
}

fn usage_error(argv0: &str, msg: &str) -> i32 {
    eprintln!("Error: {msg}");
    eprintln!("For help, use {argv0} -h");
    2
}

/// Opens the activity log for `config` and flushes what was queued.
fn open_logger(logger: &mut Logger, config: &Config) -> Result<(), String> {
    let sd = &config.supervisord;
    let target = if sd.logfile.as_os_str() == "syslog" {
        LogTarget::Syslog
    } else {
        LogTarget::File {
            path: sd.logfile.clone(),
            maxbytes: sd.logfile_maxbytes,
            backups: sd.logfile_backups,
        }
    };
    let echo = sd.nodaemon && !sd.silent;
    logger.set_level(sd.loglevel);
    logger.open(&target, echo).map(|_| ()).map_err(|e| {
        format!(
            "could not open log file {}: {}",
            sd.logfile.display(),
            open_error_text(&e)
        )
    })
}

/// Warnings for log directories others may write to without the sticky bit: the
/// activity log's, `childlogdir` (when some log is AUTO) and every configured child log's.
fn loose_log_dirs(config: &Config) -> Vec<String> {
    let sd = &config.supervisord;
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    if sd.logfile.as_os_str() != "syslog" {
        dirs.extend(log_dir_of(&sd.logfile));
    }
    let channels = config
        .groups
        .iter()
        .flat_map(|g| &g.processes)
        .flat_map(|p| [&p.stdout.logfile, &p.stderr.logfile]);
    for target in channels {
        match target {
            ConfLogTarget::Auto => dirs.push(sd.childlogdir.clone()),
            ConfLogTarget::Path(p) => dirs.extend(log_dir_of(p)),
            ConfLogTarget::None => {}
        }
    }
    let mut seen = Vec::new();
    dirs.into_iter()
        .filter(|d| {
            let new = !seen.contains(d);
            seen.push(d.clone());
            new
        })
        .filter_map(|d| loose_dir_warning(&d))
        .collect()
}

/// Everything after detaching: logs, the loop, restarts.
fn serve(
    options: Options,
    mut config: Config,
    notes: StartupNotes,
    mut adopted: Option<upgrade::Adopted>,
    ready: &mut Readiness,
) -> i32 {
    let mut logger = Logger::new(config.supervisord.loglevel);
    for i in &notes.infos {
        logger.info(i);
    }
    for e in &notes.errors {
        logger.error(e);
    }
    if options.profile_options.is_some() {
        logger.warn("--profile_options has no effect in this implementation");
    }
    // First, so the spawn descriptors get the lowest free numbers (see LowFds).
    let low_fds = match sys::spawn::LowFds::reserve() {
        Ok(s) => Some(s),
        Err(e) => {
            logger.warn(&format!("could not reserve spawn descriptors: {e}"));
            None
        }
    };
    let io = match SignalPipe::install().and_then(Io::new) {
        Ok(io) => io,
        Err(e) => {
            ready.failed(&format!("could not install signal handlers: {e}"));
            return 2;
        }
    };
    let notify = sd_notify::Notifier::from_env(&mut logger);
    // The poller, the log, the spawn descriptors and the event bus (with the global event
    // serial) outlive restarts.
    let mut kept = Kept {
        io,
        log: logger,
        low_fds,
        bus: bus::Bus::default(),
        notify,
        reloads: 0,
        launch: startup::Launch::capture(),
    };
    let pid = sys::proc::getpid();
    let mut pidfile = config.supervisord.pidfile.clone();
    let mut first = true;
    let mut handed_over = None;
    loop {
        let logger = &mut kept.log;
        if !first {
            logger.close();
        }
        // As the reference, every (re)start repeats the running-as-root warning.
        for c in &notes.criticals {
            logger.critical(c);
        }
        for w in &config.warnings {
            logger.warn(w);
        }
        for i in &config.infos {
            logger.info(i);
        }
        if let Err(e) = open_logger(logger, &config) {
            ready.failed(&e);
            return 2;
        }
        for w in loose_log_dirs(&config) {
            logger.warn(&w);
        }
        // An upgraded daemon's children still write their AUTO logs.
        if !config.supervisord.nocleanup && adopted.is_none() {
            for w in clear_auto_logs(
                &config.supervisord.childlogdir,
                &config.supervisord.identifier,
            ) {
                logger.warn(&w);
            }
        }
        let kept_logs = adopted.as_ref().map(|a| a.kept_logs()).unwrap_or_default();
        let (mut procs, warnings) = procs::Procs::from_config_keeping(&config, &kept_logs);
        for w in warnings {
            logger.warn(&w);
        }
        let mut fcgi = fcgi::FcgiSockets::default();
        for g in &config.groups {
            let Some(f) = &g.fcgi else { continue };
            let (lines, err) = fcgi.add(&g.name, f);
            for l in lines {
                logger.info(&l);
            }
            match err {
                // The reference dies here with a traceback; we say why and exit 2.
                Some(e) if first => {
                    ready.failed(&e);
                    return 2;
                }
                Some(e) => logger.error(&e),
                None => {}
            }
        }
        // A restart brings its servers: the old ones handed over, new addresses bound
        // before the reload was accepted.
        let from_before = handed_over.take().or_else(|| {
            let (mut servers, missing) = adopted.as_mut()?.take_servers(&config.servers);
            match sockets::open_servers(&missing) {
                Ok(s) => servers.extend(s),
                Err(e) => logger.error(&format!("could not open the control sockets: {e}")),
            }
            Some(servers)
        });
        let servers = match from_before {
            Some(s) => s,
            None => match sockets::open_servers(&config.servers) {
                Ok(s) => s,
                Err(e) => {
                    ready.failed(&e);
                    return 2;
                }
            },
        };
        for name in &config.rpcinterfaces {
            logger.info(&messages::rpc_interface_initialized(name));
        }
        for s in &servers {
            if s.cfg.username.is_none() {
                logger.critical(&messages::server_without_auth(&s.cfg.name));
            }
        }
        if first && !config.supervisord.nodaemon {
            logger.info(messages::DAEMONIZING);
            if let Some(dir) = &config.supervisord.directory {
                match sys::proc::chdir(dir) {
                    Ok(()) => {
                        logger.info(&messages::set_current_directory(&dir.display().to_string()))
                    }
                    Err(e) => logger.critical(&messages::cant_chdir_into(
                        &dir.display().to_string(),
                        &e.to_string(),
                    )),
                }
            }
            let _ = sys::fd::redirect_stdio_to_devnull();
            sys::proc::umask(config.supervisord.umask);
        }
        // Every (re)start writes the pidfile of the config in force, as the reference does.
        if config.supervisord.pidfile != pidfile {
            let _ = std::fs::remove_file(&pidfile);
            pidfile = config.supervisord.pidfile.clone();
        }
        if startup::write_pidfile(&pidfile, pid).is_err() {
            logger.critical(&messages::could_not_write_pidfile(
                &pidfile.display().to_string(),
            ));
        }
        match adopted.take() {
            Some(a) => {
                let n = a.restore(&mut procs, &mut kept.io, &mut kept.log);
                kept.log.info(&format!(
                    "supervisord upgraded in place (pid {pid}, {n} processes taken over)"
                ));
            }
            None => kept.log.info(&messages::supervisord_started(pid as u32)),
        }
        let reload_opts = options.clone();
        let reloader: reload::Reloader = Box::new(move || reload_config(&reload_opts));
        let sup = Supervisor::new(&config, procs, fcgi, kept.low_fds.take());
        let mut daemon = Daemon::new(config, sup, kept, reloader);
        if let Err(e) = daemon.serve(servers) {
            ready.failed(&format!("could not start the event loop: {e}"));
            return 2;
        }
        ready.ready();
        first = false;
        let exit = daemon.run();
        kept = daemon.into_parts();
        match exit {
            Exit::Shutdown => break,
            Exit::Restart(new_config, servers) => {
                config = *new_config;
                handed_over = Some(servers);
                kept.reloads += 1;
            }
        }
    }
    let logger = &mut kept.log;
    logger.log(LogLevel::Debug, "supervisord exiting");
    let _ = std::fs::remove_file(&pidfile);
    0
}

/// Loads the config again, the way startup did.
fn reload_config(options: &Options) -> Result<Config, String> {
    let ctx = crate::config::LoadContext::from_process(crate::config::users::nss());
    crate::config::load_for_daemon(options, &ctx).map_err(|e| e.to_string())
}
