//! The table of supervised processes: each entry pairs the pure state machine with the
//! runtime things the loop owns for it (log files, stdin, wall-clock times), plus lookups by
//! pid and by name. No policy lives here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::model::{Config, GroupConfig, LogTarget, ProcessConfig};
use crate::config::rare::{Rare, SharedDefault};
use crate::daemon::counters::ProcCounters;
use crate::events::capture::Capture;
use crate::events::listener::Listener;
use crate::events::pool::Queued;
use crate::logfile::ansi::AnsiStripper;
use crate::logfile::auto::create_auto_log;
use crate::logfile::stamp::LineStamper;
use crate::logfile::writer::LogFile;
use crate::process::machine::Process;
use crate::process::order::Entry;
use crate::process::state::State;
pub use crate::stream::Stream;
use crate::sys::poller::Key;

/// Bytes of `sendstdin` text one process may have waiting for its stdin pipe, counting a
/// new request in full: a request that would exceed it is refused before anything is
/// written (documented in supervisord(8)).
pub const STDIN_BUFFER: usize = 256 * 1024;

/// Index of a process in the table; stable for its lifetime.
/// (u32: it is stored in every pipe's source, and four billion processes is plenty.)
pub type ProcId = u32;

/// A listener process's protocol state, the event it is working on, and the part of that
/// event's envelope its stdin has not taken yet.
#[derive(Debug, Default)]
pub struct ListenerIo {
    /// Protocol state (ACKNOWLEDGED at every spawn).
    pub proto: Listener,
    /// The event sent and not yet answered.
    pub event: Option<Queued>,
    /// Envelope bytes still to write.
    pub out: Vec<u8>,
}

/// One log destination of a process: where it goes and, once the first spawn opened it, the
/// writer.
#[derive(Debug, Default)]
pub struct ChannelLog {
    /// The file (an AUTO name is chosen when the entry is made); the open writer shares it.
    pub path: Option<Arc<Path>>,
    /// Open writer; opened at the first spawn, as the reference does.
    pub file: Option<LogFile>,
    /// ANSI stripping state carried across reads.
    pub stripper: Option<AnsiStripper>,
    /// Capture mode (`*_capture_maxbytes` > 0): token scanning state and captured bytes
    /// (boxed: most logs have none).
    pub capture: Option<Box<Capture>>,
    /// Where the log stands in its current line, and whether lines are time-stamped.
    pub lines: LineStamper,
}

impl ChannelLog {
    /// A copy of the file's path.
    pub fn path_buf(&self) -> Option<PathBuf> {
        self.path.as_deref().map(Path::to_path_buf)
    }
}

/// What a process holds for `depends_on` and for readiness by `notify` or `log:`. None of
/// it is used by the reference's `startsecs` rule, so a [`Proc`] keeps it out of line and
/// boxes it at the first write ([`Rare::boxed_mut`] resets it without a box).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReadinessIo {
    /// Held back before its spawn: what it waits for (`waiting for db (tcp:...)`).
    pub waiting: Option<String>,
    /// The last `STATUS=` it sent on its notify socket (`ready=notify`).
    pub notify_status: Option<String>,
    /// The source of its `$NOTIFY_SOCKET` while it runs (`ready=notify`).
    pub notify: Option<Key>,
    /// `ready=log:`: the unfinished line of stdout and of stderr.
    pub ready_lines: [Vec<u8>; 2],
}

impl SharedDefault for ReadinessIo {
    fn shared_default() -> &'static ReadinessIo {
        static DEFAULT: ReadinessIo = ReadinessIo {
            waiting: None,
            notify_status: None,
            notify: None,
            ready_lines: [Vec::new(), Vec::new()],
        };
        &DEFAULT
    }
}

/// One supervised process.
#[derive(Debug)]
pub struct Proc {
    /// The state machine (owns the process's config).
    pub machine: Process,
    /// Group priority (for ordering).
    pub group_priority: i64,
    /// stdout and stderr logs.
    pub logs: [ChannelLog; 2],
    /// The source of the child's stdin while it runs.
    pub stdin: Option<Key>,
    /// `sendstdin` text accepted but not yet taken by the pipe (at most [`STDIN_BUFFER`]
    /// bytes); written as the pipe has room, dropped when the child exits.
    pub stdin_out: Vec<u8>,
    /// Wall-clock ms of the last spawn (status uptime) and of the last stop (status date).
    pub start_wall_ms: Option<u64>,
    /// Wall-clock ms when it last stopped.
    pub stop_wall_ms: Option<u64>,
    /// For a process of an `[eventlistener:x]` pool: its side of the listener protocol
    /// (boxed: most processes are no listeners).
    pub listener: Option<Box<ListenerIo>>,
    /// What it waits for before its spawn, and its readiness I/O.
    pub readiness: Rare<ReadinessIo>,
    /// Spawns so far (names a notify socket uniquely).
    pub spawns: u64,
    /// What `metrics` reports beside the machine's state.
    pub counters: ProcCounters,
}

impl Proc {
    /// The process's config.
    pub fn cfg(&self) -> &ProcessConfig {
        self.machine.config()
    }

    /// Its group's name (the config's: a process never changes group).
    pub fn group(&self) -> &str {
        &self.cfg().group
    }

    /// Closes the log files (a process that is not running holds no descriptor, as in the
    /// reference); the next spawn, or a write, opens them again by path.
    pub fn close_logs(&mut self) {
        for log in self.logs.iter_mut() {
            if let Some(f) = log.file.as_mut() {
                f.close();
            }
        }
    }

    /// Accepts `text` for the child's stdin: all of it, or (when the pending text and
    /// `text` together exceed [`STDIN_BUFFER`]) none of it.
    pub fn stdin_fits(&self, text: &[u8]) -> bool {
        self.stdin_out.len() + text.len() <= STDIN_BUFFER
    }

    /// `group:name`, or `name` when the group has the process's name.
    pub fn namespec(&self) -> String {
        namespec(self.group(), self.machine.name())
    }
}

/// `group:name`, or just `name` for a one-process group of the same name.
pub fn namespec(group: &str, name: &str) -> String {
    if group == name {
        name.to_string()
    } else {
        format!("{group}:{name}")
    }
}

/// All processes, and the groups they belong to.
#[derive(Debug, Default)]
pub struct Procs {
    entries: Vec<Option<Proc>>,
    /// Group configs in config order (compared with a new config by `reread`).
    pub groups: Vec<GroupConfig>,
    by_pid: HashMap<i32, ProcId>,
}

impl Procs {
    /// Builds the table from a config. AUTO log files are created now (the reference does
    /// this when it builds its groups), so their names are fixed for the daemon's lifetime.
    /// Returns the table and warnings to log.
    pub fn from_config(config: &Config) -> (Procs, Vec<String>) {
        Procs::from_config_keeping(config, &HashMap::new())
    }

    /// [`Procs::from_config`], with the AUTO log names of `kept` (by namespec: stdout,
    /// stderr) instead of new ones: an upgraded daemon goes on writing the same files.
    pub fn from_config_keeping(
        config: &Config,
        kept: &HashMap<String, [Option<PathBuf>; 2]>,
    ) -> (Procs, Vec<String>) {
        let mut procs = Procs::default();
        // Sized once: growing by doubling would leave up to twice the table's size behind.
        let count = config.groups.iter().map(|g| g.processes.len()).sum();
        procs.entries.reserve_exact(count);
        procs.groups.reserve_exact(config.groups.len());
        let mut warnings = Vec::new();
        for g in &config.groups {
            procs.add_group_keeping(config, g, &mut warnings, kept);
        }
        (procs, warnings)
    }

    /// Adds one group's processes.
    pub fn add_group(&mut self, config: &Config, g: &GroupConfig, warnings: &mut Vec<String>) {
        self.add_group_keeping(config, g, warnings, &HashMap::new());
    }

    fn add_group_keeping(
        &mut self,
        config: &Config,
        g: &GroupConfig,
        warnings: &mut Vec<String>,
        kept: &HashMap<String, [Option<PathBuf>; 2]>,
    ) {
        self.groups.push(g.clone());
        for p in &g.processes {
            let keep = kept.get(&namespec(&g.name, &p.name)).cloned();
            self.add_process(config, g, p, keep, warnings);
        }
    }

    /// Adds one process of group `g` (whose config the table holds already) and returns its
    /// id. `keep_logs` carries the log paths of the process it replaces: an AUTO log whose
    /// target did not change keeps its file.
    pub fn add_process(
        &mut self,
        config: &Config,
        g: &GroupConfig,
        p: &std::sync::Arc<ProcessConfig>,
        keep_logs: Option<[Option<PathBuf>; 2]>,
        warnings: &mut Vec<String>,
    ) -> ProcId {
        // `Proc::group` reads the config's group.
        debug_assert_eq!(p.group, g.name);
        let mut logs: [ChannelLog; 2] = Default::default();
        for (i, target) in [&p.stdout.logfile, &p.stderr.logfile].iter().enumerate() {
            let stream = if i == 0 {
                Stream::Stdout
            } else {
                Stream::Stderr
            };
            logs[i].path = match target {
                LogTarget::None => None,
                LogTarget::Path(path) => Some(Arc::from(path.as_path())),
                LogTarget::Auto if keep_logs.as_ref().is_some_and(|k| k[i].is_some()) => keep_logs
                    .as_ref()
                    .and_then(|k| k[i].as_deref().map(Arc::from)),
                LogTarget::Auto => match create_auto_log(
                    &config.supervisord.childlogdir,
                    &p.name,
                    stream.name(),
                    &config.supervisord.identifier,
                ) {
                    Ok(path) => Some(Arc::from(path)),
                    Err(e) => {
                        warnings.push(format!(
                            "could not create AUTO {} log for {}: {e}",
                            stream.name(),
                            p.name
                        ));
                        None
                    }
                },
            };
            let ch = if i == 0 { &p.stdout } else { &p.stderr };
            let stamp = ch.log.timestamps;
            logs[i].lines =
                LineStamper::new(stamp.unwrap_or(config.supervisord.logfile_timestamps));
            if config.supervisord.strip_ansi {
                logs[i].stripper = Some(AnsiStripper::new());
            }
        }
        // A listener's stdout is protocol traffic, never scanned for capture tokens.
        let listener = g.listener.is_some();
        for (i, ch) in [&p.stdout, &p.stderr].iter().enumerate() {
            if ch.capture_maxbytes > 0 && !(listener && i == 0) {
                logs[i].capture = Some(Box::new(Capture::new(ch.capture_maxbytes)));
            }
        }
        self.entries.push(Some(Proc {
            machine: Process::new(p.clone()),
            group_priority: g.priority,
            logs,
            stdin: None,
            stdin_out: Vec::new(),
            start_wall_ms: None,
            stop_wall_ms: None,
            listener: listener.then(Box::default),
            readiness: Rare::default(),
            spawns: 0,
            counters: ProcCounters::default(),
        }));
        (self.entries.len() - 1) as ProcId
    }

    /// Removes one (stopped) process.
    pub fn remove_process(&mut self, id: ProcId) -> Option<Proc> {
        self.entries.get_mut(id as usize).and_then(Option::take)
    }

    /// Replaces the config of group `g.name` by `g` (after its members were updated one by
    /// one) and gives its processes the group's priority.
    pub fn set_group(&mut self, g: &GroupConfig) {
        if let Some(old) = self.groups.iter_mut().find(|x| x.name == g.name) {
            *old = g.clone();
        }
        for p in self.entries.iter_mut().flatten() {
            if p.group() == g.name {
                p.group_priority = g.priority;
            }
        }
    }

    /// Removes every process of group `name` (they must be stopped) and the group itself.
    pub fn remove_group(&mut self, name: &str) {
        self.groups.retain(|g| g.name != name);
        for s in self.entries.iter_mut() {
            if s.as_ref().is_some_and(|s| s.group() == name) {
                *s = None;
            }
        }
    }

    /// The process, if it exists.
    pub fn get(&self, id: ProcId) -> Option<&Proc> {
        self.entries.get(id as usize).and_then(|s| s.as_ref())
    }

    /// The process, mutably.
    pub fn get_mut(&mut self, id: ProcId) -> Option<&mut Proc> {
        self.entries.get_mut(id as usize).and_then(|s| s.as_mut())
    }

    /// Ids of every live process, in config order.
    pub fn ids(&self) -> Vec<ProcId> {
        self.iter().map(|(id, _)| id).collect()
    }

    /// Iterates (id, process).
    pub fn iter(&self) -> impl Iterator<Item = (ProcId, &Proc)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as ProcId, s)))
    }

    /// Remembers that `pid` belongs to `id`.
    pub fn set_pid(&mut self, id: ProcId, pid: i32) {
        self.by_pid.insert(pid, id);
    }

    /// Forgets `pid` and returns its process.
    pub fn take_pid(&mut self, pid: i32) -> Option<ProcId> {
        self.by_pid.remove(&pid)
    }

    /// The group config by name.
    pub fn group(&self, name: &str) -> Option<&GroupConfig> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Ids of the processes of group `name`, in config order.
    pub fn group_ids(&self, name: &str) -> Vec<ProcId> {
        self.iter()
            .filter(|(_, s)| s.group() == name)
            .map(|(i, _)| i)
            .collect()
    }

    /// The entries the ordering functions of `process::order` take, for every process or only
    /// for `only`.
    pub fn order_entries(&self, only: Option<&[ProcId]>) -> Vec<Entry<'_, ProcId>> {
        let depths = self.dependency_depths();
        self.iter()
            .filter(|(id, _)| only.is_none_or(|o| o.contains(id)))
            .map(|(id, s)| Entry {
                id,
                depth: depths.get(&id).copied().unwrap_or(0),
                group_priority: s.group_priority,
                group: s.group(),
                priority: s.cfg().priority,
                name: s.machine.name(),
            })
            .collect()
    }

    /// The process with namespec `spec` (`name` for a group of the same name, else
    /// `group:name`).
    pub fn find_spec(&self, spec: &str) -> Option<ProcId> {
        let (group, name) = spec.split_once(':').unwrap_or((spec, spec));
        self.find(group, name)
    }

    /// Each process's depth in the `depends_on` graph: 0 without dependencies, else one more
    /// than its deepest dependency (empty when no process has dependencies). Iterative, so a
    /// long chain cannot exhaust the stack; the loader refuses cycles, and one met anyway
    /// counts as depth 0 where it closes.
    pub fn dependency_depths(&self) -> HashMap<ProcId, u32> {
        let mut depth: HashMap<ProcId, u32> = HashMap::new();
        if self
            .iter()
            .all(|(_, p)| p.cfg().supervision.depends_on.is_empty())
        {
            return depth;
        }
        let by_spec: HashMap<String, ProcId> =
            self.iter().map(|(id, p)| (p.namespec(), id)).collect();
        let edges: HashMap<ProcId, Vec<ProcId>> = self
            .iter()
            .map(|(id, p)| {
                let specs = &p.cfg().supervision.depends_on;
                (
                    id,
                    specs
                        .iter()
                        .filter_map(|s| by_spec.get(s).copied())
                        .collect(),
                )
            })
            .collect();
        let none = Vec::new();
        for (start, _) in self.iter() {
            if depth.contains_key(&start) {
                continue;
            }
            let mut path = std::collections::HashSet::from([start]);
            let mut stack = vec![(start, 0usize)];
            while let Some((node, next)) = stack.last_mut() {
                let (node, deps) = (*node, edges.get(node).unwrap_or(&none));
                if let Some(&d) = deps.get(*next) {
                    *next += 1;
                    if !depth.contains_key(&d) && path.insert(d) {
                        stack.push((d, 0));
                    }
                    continue;
                }
                let d = deps
                    .iter()
                    .map(|d| depth.get(d).map_or(0, |x| x + 1))
                    .max()
                    .unwrap_or(0);
                depth.insert(node, d);
                path.remove(&node);
                stack.pop();
            }
        }
        depth
    }

    /// The state of a process; a removed one counts as STOPPED.
    pub fn state_of(&self, id: ProcId) -> State {
        self.get(id)
            .map(|s| s.machine.state())
            .unwrap_or(State::Stopped)
    }

    /// Finds a process by group and process name.
    pub fn find(&self, group: &str, name: &str) -> Option<ProcId> {
        self.iter()
            .find(|(_, s)| s.group() == group && s.machine.name() == name)
            .map(|(i, _)| i)
    }
}

impl Procs {
    /// Ids in ascending start order.
    pub fn start_order(&self) -> Vec<ProcId> {
        crate::process::order::start_order(&self.order_entries(None))
    }

    /// Stop levels (descending priority) of every process, or of `only`.
    pub fn stop_levels(&self, only: Option<&[ProcId]>) -> Vec<Vec<ProcId>> {
        crate::process::order::stop_levels(&self.order_entries(only))
    }
}
