//! The validated configuration: what `supervisord.conf` means once every value has been
//! expanded, typed and checked. This is the contract between the loader (`config`) and the
//! daemon. Plain data, no I/O.

use std::path::PathBuf;

use super::rare::{Rare, SharedDefault};

/// Activity-log threshold, with the reference's numeric levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `blather` (3)
    Blather = 3,
    /// `trace` (5)
    Trace = 5,
    /// `debug` (10)
    Debug = 10,
    /// `info` (20)
    Info = 20,
    /// `warn` (30)
    Warn = 30,
    /// `error` (40)
    Error = 40,
    /// `critical` (50)
    Critical = 50,
}

impl LogLevel {
    /// The four-letter name printed in the activity log (`INFO`, `CRIT`, ...).
    pub fn label(self) -> &'static str {
        match self {
            LogLevel::Blather => "BLAT",
            LogLevel::Trace => "TRAC",
            LogLevel::Debug => "DEBG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERRO",
            LogLevel::Critical => "CRIT",
        }
    }

    /// The config spelling (`info`, `critical`, ...).
    pub fn config_name(self) -> &'static str {
        match self {
            LogLevel::Blather => "blather",
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
        }
    }
}

/// `autorestart=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoRestart {
    /// `true`: always restart after leaving RUNNING.
    Always,
    /// `false`: never.
    Never,
    /// `unexpected`: when the exit status is not in `exitcodes`.
    Unexpected,
}

/// Where one output channel of a child is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// `NONE`/`OFF`, or stderr when `redirect_stderr` is set.
    None,
    /// `AUTO`: a unique file in `childlogdir`, named when the daemon starts.
    Auto,
    /// An explicit path (`~` expanded, directory checked).
    Path(PathBuf),
}

/// The six options of one channel (`stdout_*` or `stderr_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    /// `*_logfile`
    pub logfile: LogTarget,
    /// `*_logfile_maxbytes` (0 = never rotate)
    pub logfile_maxbytes: u64,
    /// `*_logfile_backups`
    pub logfile_backups: u32,
    /// `*_capture_maxbytes` (0 = no capture mode)
    pub capture_maxbytes: u64,
    /// `*_events_enabled`
    pub events_enabled: bool,
    /// `*_syslog`
    pub syslog: bool,
    /// `*_logfile_timestamps`, `*_logfile_mode`, `*_logfile_owner` (out of line: most
    /// configs set none).
    pub log: Rare<LogOptions>,
}

/// A child log's own options (supervisor-rs; see `config::logkeys`). All unset by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// `*_logfile_timestamps` (None: `[supervisord] logfile_timestamps` decides).
    pub timestamps: Option<bool>,
    /// `*_logfile_mode`: exact permission bits of created files (None: 0666 minus the umask,
    /// 0600 for AUTO logs).
    pub mode: Option<u32>,
    /// `*_logfile_owner` resolved to (uid, gid); gid `u32::MAX` leaves the group alone.
    pub owner: Option<(u32, u32)>,
}

impl SharedDefault for LogOptions {
    fn shared_default() -> &'static LogOptions {
        static DEFAULT: LogOptions = LogOptions {
            timestamps: None,
            mode: None,
            owner: None,
        };
        &DEFAULT
    }
}

/// One `environment_file=` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFilePath {
    /// Absolute and normalised (`~` expanded, relative to the defining file's directory).
    pub path: PathBuf,
    /// Written with a leading `-`: a missing file gives no variables instead of an error.
    pub optional: bool,
}

impl std::fmt::Display for EnvFilePath {
    /// As written: `-` first when a missing file is no error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dash = if self.optional { "-" } else { "" };
        write!(f, "{dash}{}", self.path.display())
    }
}

/// The environment files a process reads at each spawn, by level. Precedence, lowest first:
/// `[supervisord] environment_file`, `[supervisord] environment`, the program's
/// `environment_file`, the program's `environment` (see `process::spawn::child_env`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentFiles {
    /// `[supervisord] environment_file`.
    pub supervisord: Vec<EnvFilePath>,
    /// The program section's `environment_file`.
    pub program: Vec<EnvFilePath>,
    /// The keys the program's own `environment` sets, which win over its files (empty
    /// without program files).
    pub program_keys: Vec<String>,
}

impl SharedDefault for EnvironmentFiles {
    fn shared_default() -> &'static EnvironmentFiles {
        static DEFAULT: EnvironmentFiles = EnvironmentFiles {
            supervisord: Vec::new(),
            program: Vec::new(),
            program_keys: Vec::new(),
        };
        &DEFAULT
    }
}

/// One process instance (a `[program:x]` with numprocs=3 gives three of these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessConfig {
    /// Process name after `process_name` expansion.
    pub name: String,
    /// Name of the group it belongs to.
    pub group: String,
    /// The defining section, e.g. `program:x`.
    pub section: String,
    /// numprocs of the defining section.
    pub numprocs: u32,
    /// `command` after expansion (not yet split: splitting happens at spawn, as the reference does).
    pub command: String,
    /// `directory`
    pub directory: Option<PathBuf>,
    /// `umask` (None = inherit)
    pub umask: Option<u32>,
    /// `priority`
    pub priority: i64,
    /// `autostart`
    pub autostart: bool,
    /// `autorestart`
    pub autorestart: AutoRestart,
    /// `startsecs`
    pub startsecs: u64,
    /// `startretries` ([`UNLIMITED_RETRIES`] for `unlimited`, or any count that large)
    pub startretries: u32,
    /// `exitcodes`
    pub exitcodes: Vec<i32>,
    /// `stopsignal` as a number.
    pub stopsignal: i32,
    /// `stopwaitsecs`
    pub stopwaitsecs: u64,
    /// `stopasgroup`
    pub stopasgroup: bool,
    /// `killasgroup`
    pub killasgroup: bool,
    /// `log_lifecycle`: spawn and exit lines also go into the stdout log.
    pub log_lifecycle: bool,
    /// `user` as written.
    pub user: Option<String>,
    /// Resolved uid of `user`.
    pub uid: Option<u32>,
    /// Primary gid of `user`: that of the uid's passwd entry, as the reference's spawn
    /// looks it up (None if the uid has no entry by name lookup alone; spawn then fails).
    pub gid: Option<u32>,
    /// The `setgroups` list for `user`, `gid` first (empty without `user` or `gid`).
    /// Resolved at load so that spawning does no user lookups.
    pub groups: Vec<u32>,
    /// Login name of the uid's passwd entry (`user=0` gives `root`).
    pub login: Option<String>,
    /// `redirect_stderr`
    pub redirect_stderr: bool,
    /// stdout channel options.
    pub stdout: ChannelConfig,
    /// stderr channel options (logfile is None when redirect_stderr).
    pub stderr: ChannelConfig,
    /// Extra environment: `[supervisord] environment` merged with the program's own (program wins),
    /// in first-definition order.
    pub environment: Vec<(String, String)>,
    /// `serverurl` (None = AUTO).
    pub serverurl: Option<String>,
    /// Readiness, dependencies, health checks and backoff (supervisor-rs keys; the default
    /// is the reference's behaviour). Out of line: most configs set none.
    pub supervision: Rare<Supervision>,
    /// `environment_file` of `[supervisord]` and of the program, read at each spawn. Out of
    /// line: most configs have none.
    pub environment_files: Rare<EnvironmentFiles>,
}

/// `startretries = unlimited`: a count no process reaches.
pub const UNLIMITED_RETRIES: u32 = u32::MAX;

/// What makes a started process ready (`ready=`); RUNNING comes only with readiness.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Ready {
    /// `startsecs`: up for more than `startsecs` (the reference's rule).
    #[default]
    Startsecs,
    /// `notify`: `READY=1` on the process's `$NOTIFY_SOCKET` (the sd_notify protocol).
    Notify,
    /// `tcp:`, `http://` or `exec:`: the check passes.
    Check(crate::probe::check::Check),
    /// `log:REGEX`: a line of its stdout or stderr matches.
    Log(crate::probe::pattern::Pattern),
    /// `exit`: a one-shot task, ready once it exited with one of its `exitcodes`.
    Exit,
}

/// `healthcheck=` and its settings (seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// What is probed.
    pub check: crate::probe::check::Check,
    /// `healthcheck_interval` (default 10).
    pub interval: u64,
    /// `healthcheck_timeout` (default 5).
    pub timeout: u64,
    /// `healthcheck_retries`: consecutive failures that make it unhealthy (default 3).
    pub retries: u32,
    /// `healthcheck_start_period`: failures after RUNNING that do not count yet (default 0).
    pub start_period: u64,
}

/// `backoff=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// 1, 2, 3 ... seconds.
    Linear,
    /// 1, 2, 4, 8 ... seconds.
    Exponential,
}

/// The restart delay policy, present when any `backoff*` key is set (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// `backoff` (default linear).
    pub curve: Curve,
    /// `backoff_max` (default 60).
    pub max: u64,
    /// `backoff_jitter` in thousandths (default 100 = 0.1): each delay is moved by up to
    /// this fraction either way.
    pub jitter_permille: u32,
    /// `backoff_reset`: RUNNING this long resets the count (default 60).
    pub reset: u64,
}

/// The supervisor-rs keys of a process beyond the reference's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervision {
    /// `ready` (default `startsecs`).
    pub ready: Ready,
    /// `ready_timeout` in seconds; 0 waits forever (default 60).
    pub ready_timeout: u64,
    /// `ready_interval` in seconds between probes of a `tcp:`/`http://`/`exec:` readiness
    /// check (default 1).
    pub ready_interval: u64,
    /// `depends_on`, resolved at load to process namespecs in the daemon's spelling
    /// (`daemon::procs::namespec`: `name` when the group has the process's name, else
    /// `group:name`), in the order written, without repeats, never the process itself (see
    /// `config::depends`).
    pub depends_on: Vec<String>,
    /// `healthcheck` and its settings.
    pub health: Option<Health>,
    /// The backoff policy; None = the reference's (1, 2, 3 ... s after failed starts only).
    pub backoff: Option<Backoff>,
    /// `fatal_retry`: seconds after which FATAL starts again by itself.
    pub fatal_retry: Option<u64>,
}

impl Supervision {
    /// The reference's behaviour.
    const DEFAULT: Supervision = Supervision {
        ready: Ready::Startsecs,
        ready_timeout: 60,
        ready_interval: 1,
        depends_on: Vec::new(),
        health: None,
        backoff: None,
        fatal_retry: None,
    };
}

impl Default for Supervision {
    fn default() -> Supervision {
        Supervision::DEFAULT
    }
}

impl SharedDefault for Supervision {
    fn shared_default() -> &'static Supervision {
        static DEFAULT: Supervision = Supervision::DEFAULT;
        &DEFAULT
    }
}

/// `[eventlistener:x]` extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// Event type names subscribed to, sorted.
    pub events: Vec<String>,
    /// `buffer_size`
    pub buffer_size: u32,
    /// `result_handler` spec as written.
    pub result_handler: String,
}

/// `[fcgi-program:x]` extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcgiConfig {
    /// `socket` URL as expanded (`tcp://h:p` or `unix:///path`).
    pub socket: String,
    /// `socket_backlog`
    pub socket_backlog: Option<u32>,
    /// `socket_owner` resolved to (uid, gid).
    pub socket_owner: Option<(u32, u32)>,
    /// `socket_mode`
    pub socket_mode: u32,
}

/// What kind of section produced a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// `[program:x]` (homogeneous group).
    Program,
    /// `[group:x]` (heterogeneous group).
    Group,
    /// `[eventlistener:x]` (listener pool).
    EventListener,
    /// `[fcgi-program:x]`.
    FcgiProgram,
}

/// A process group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    /// Group name.
    pub name: String,
    /// Kind of group.
    pub kind: GroupKind,
    /// Group priority.
    pub priority: i64,
    /// Its processes, sorted by (priority, name).
    pub processes: Vec<std::sync::Arc<ProcessConfig>>,
    /// Listener pool settings when kind is EventListener.
    pub listener: Option<ListenerConfig>,
    /// FastCGI settings when kind is FcgiProgram.
    pub fcgi: Option<FcgiConfig>,
}

/// Address family of a control server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAddress {
    /// `[unix_http_server]`
    Unix {
        /// Absolute socket path.
        file: PathBuf,
        /// `chmod` (default 0o700)
        chmod: u32,
        /// `chown` resolved to (uid, gid)
        chown: Option<(u32, u32)>,
    },
    /// `[inet_http_server]`
    Inet {
        /// Host (empty = all interfaces).
        host: String,
        /// Port.
        port: u16,
    },
}

/// One control server section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Section name as written (`unix_http_server`, `inet_http_server:foo`).
    pub section: String,
    /// Name used in messages.
    pub name: String,
    /// Where it listens.
    pub address: ServerAddress,
    /// `username`
    pub username: Option<String>,
    /// `password` (plain or `{SHA}hex`)
    pub password: Option<String>,
    /// `max_clients`: most connections this server holds at once (a supervisor-rs option;
    /// default: the daemon-wide cap).
    pub max_clients: Option<u32>,
    /// `readers` and `controllers` of a unix server (a supervisor-rs option): `None` when
    /// neither is set, and then everyone who can open the socket controls.
    pub access: Option<ServerAccess>,
}

/// Who may use a unix control server, by the identity of the connecting process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerAccess {
    /// `readers`: may run the read-only requests.
    pub readers: Vec<Principal>,
    /// `controllers`: may run every request.
    pub controllers: Vec<Principal>,
}

/// One entry of `readers`/`controllers`, resolved at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `USER` (a name or a uid).
    User {
        /// As written.
        name: String,
        /// Its uid.
        uid: u32,
    },
    /// `@GROUP` (a name or a gid).
    Group {
        /// As written, without the `@`.
        name: String,
        /// Its gid.
        gid: u32,
    },
}

/// `[supervisord]`, with command-line overrides applied by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisordConfig {
    /// `logfile`: absolute path, or `syslog`.
    pub logfile: PathBuf,
    /// `logfile_maxbytes`
    pub logfile_maxbytes: u64,
    /// `logfile_backups`
    pub logfile_backups: u32,
    /// `pidfile` (absolute)
    pub pidfile: PathBuf,
    /// `loglevel`
    pub loglevel: LogLevel,
    /// `nodaemon`
    pub nodaemon: bool,
    /// `silent`
    pub silent: bool,
    /// `minfds`
    pub minfds: u64,
    /// `minprocs`
    pub minprocs: u64,
    /// `max_clients`: most control connections at once over all servers (a supervisor-rs
    /// option; default min(1024, RLIMIT_NOFILE/4)).
    pub max_clients: Option<u32>,
    /// `umask`
    pub umask: u32,
    /// `user` as written.
    pub user: Option<String>,
    /// Resolved uid of `user`.
    pub uid: Option<u32>,
    /// Primary gid of `uid`'s passwd entry (None without `user`, or if the uid has none).
    pub gid: Option<u32>,
    /// The `setgroups` list for `user`, `gid` first (empty when `gid` is None).
    pub groups: Vec<u32>,
    /// `directory`
    pub directory: Option<PathBuf>,
    /// `identifier`
    pub identifier: String,
    /// `childlogdir`
    pub childlogdir: PathBuf,
    /// `nocleanup`
    pub nocleanup: bool,
    /// `strip_ansi`
    pub strip_ansi: bool,
    /// `logfile_timestamps`: the default of every program's `*_logfile_timestamps`.
    pub logfile_timestamps: bool,
    /// `state_file`: where manual starts and stops are kept across restarts (a
    /// supervisor-rs option; absolute; default none).
    pub state_file: Option<PathBuf>,
    /// `environment`, in order.
    pub environment: Vec<(String, String)>,
    /// `environment_file`: read by each spawn, never by the daemon.
    pub environment_file: Vec<EnvFilePath>,
}

/// A fully loaded configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The main config file, absolute.
    pub path: PathBuf,
    /// `[supervisord]`
    pub supervisord: SupervisordConfig,
    /// Control servers in section order.
    pub servers: Vec<ServerConfig>,
    /// The AUTO serverurl children get in SUPERVISOR_SERVER_URL (first unix server, else first inet).
    pub serverurl: Option<String>,
    /// `[rpcinterface:x]` names.
    pub rpcinterfaces: Vec<String>,
    /// Groups sorted by (priority, name).
    pub groups: Vec<GroupConfig>,
    /// Parse-time warnings, logged at WARN once the logger exists.
    pub warnings: Vec<String>,
    /// Parse-time infos (`Included extra file ...`), logged at INFO.
    pub infos: Vec<String>,
    /// Every file read, in order.
    pub files_read: Vec<PathBuf>,
    /// The error Supervisor 4.3.0 refuses this config with, when it does only because of a
    /// Python plugin section we skip with a warning (`--check-config --json` reports it as the
    /// reference's verdict); `None` when the reference accepts it too.
    pub reference_refusal: Option<String>,
}
