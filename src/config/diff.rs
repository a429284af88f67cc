//! What `update` must do to go from the running groups to a new config's, process by process,
//! and why: the pure half of "update that changes the least" (the daemon carries the plan
//! out, `update --dry-run` and `reread -v` print it).
//!
//! Every field of [`ProcessConfig`] is classified once, in [`changed_fields`], which
//! destructures the struct without `..`: a new field does not compile until someone says
//! whether changing it needs a new process ([`Class::Respawn`]) or can be given to the running
//! one ([`Class::InPlace`]). Event listener pools and FastCGI groups keep the reference's
//! whole-group replacement on any change (their pool and socket are shared by the group).

use crate::config::model::{
    ChannelConfig, FcgiConfig, GroupConfig, GroupKind, ListenerConfig, LogOptions, ProcessConfig,
    Ready, Supervision,
};

/// What a change to one field asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The running child was spawned with the old value: stop it and spawn a new one.
    Respawn,
    /// Only the supervisor reads it: the running process takes the new value and keeps its
    /// state, pid and counters.
    InPlace,
}

/// What happens to one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// New member (added group or numprocs grown): added, and started when `autostart`.
    Start,
    /// Gone from the config: stopped and removed.
    Stop,
    /// A spawn-relevant setting changed (the fields named): stopped and spawned again.
    Restart(Vec<&'static str>),
    /// Only settings the supervisor reads changed (the fields named): the running process
    /// takes them.
    InPlace(Vec<&'static str>),
}

/// One process's line of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Process name (within `group`).
    pub name: String,
    /// What happens to it.
    pub action: Action,
    /// For `Start`: whether it autostarts (a member without autostart is only added).
    pub autostart: bool,
}

/// How one changed group is brought to its new config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupChange {
    /// The reference's way: stop the whole group, remove it, add it again. For event listener
    /// pools and FastCGI groups, and a group whose kind of section changed. The reasons name
    /// what changed; `changes` says what happens to each process.
    Whole {
        /// Fields that changed, group-level and process-level.
        why: Vec<&'static str>,
        /// Every process of the old and the new group.
        changes: Vec<Change>,
    },
    /// Member by member: only the processes named change.
    Members(Vec<Change>),
}

/// The changes `update` makes to a group present in both configs, or None when nothing
/// changed.
pub fn group_change(old: &GroupConfig, new: &GroupConfig) -> Option<GroupChange> {
    if old == new {
        return None;
    }
    let mut why: Vec<&'static str> = Vec::new();
    let GroupConfig {
        name: _,
        kind,
        priority,
        processes: _,
        listener,
        fcgi,
    } = old;
    let whole = *kind != new.kind
        || matches!(kind, GroupKind::EventListener | GroupKind::FcgiProgram)
        || listener.is_some()
        || fcgi.is_some();
    if *kind != new.kind {
        why.push("section type");
    }
    if *priority != new.priority {
        why.push("group priority");
    }
    listener_fields(listener.as_ref(), new.listener.as_ref(), &mut why);
    fcgi_fields(fcgi.as_ref(), new.fcgi.as_ref(), &mut why);
    let mut changes = Vec::new();
    for p in &old.processes {
        match new.processes.iter().find(|n| n.name == p.name) {
            None => changes.push(change(&p.name, Action::Stop, false)),
            Some(n) => {
                let fields = changed_fields(p, n);
                for (f, _) in &fields {
                    if !why.contains(f) {
                        why.push(f);
                    }
                }
                let respawn: Vec<&'static str> = fields
                    .iter()
                    .filter(|(_, c)| *c == Class::Respawn)
                    .map(|(f, _)| *f)
                    .collect();
                let mut in_place: Vec<&'static str> = fields.iter().map(|(f, _)| *f).collect();
                // A `[program:x]`'s one `priority=` is also its group's.
                let group_priority = if *kind == GroupKind::Program {
                    "priority"
                } else {
                    "group priority"
                };
                if *priority != new.priority && !in_place.contains(&group_priority) {
                    in_place.push(group_priority);
                }
                if whole {
                    changes.push(change(&p.name, Action::Restart(Vec::new()), n.autostart));
                } else if !respawn.is_empty() {
                    changes.push(change(&p.name, Action::Restart(respawn), n.autostart));
                } else if !in_place.is_empty() {
                    changes.push(change(&p.name, Action::InPlace(in_place), n.autostart));
                }
            }
        }
    }
    for n in &new.processes {
        if !old.processes.iter().any(|p| p.name == n.name) {
            changes.push(change(&n.name, Action::Start, n.autostart));
        }
    }
    if whole {
        if why.is_empty() {
            why.push("members");
        }
        for c in changes.iter_mut() {
            if let Action::Restart(f) = &mut c.action {
                f.clone_from(&why);
            }
        }
        return Some(GroupChange::Whole { why, changes });
    }
    Some(GroupChange::Members(changes))
}

fn change(name: &str, action: Action, autostart: bool) -> Change {
    Change {
        name: name.to_string(),
        action,
        autostart,
    }
}

/// The fields of `new` that differ from `old`, each with its class, named as in the config
/// file. The one place that classifies the fields of [`ProcessConfig`].
pub fn changed_fields(old: &ProcessConfig, new: &ProcessConfig) -> Vec<(&'static str, Class)> {
    use Class::{InPlace, Respawn};
    // No `..`: a new field must be classified here before this compiles.
    let ProcessConfig {
        name: _,  // the identity plans are matched on
        group: _, // the identity plans are matched on
        section,
        numprocs,
        command,
        directory,
        umask,
        priority,
        autostart,
        autorestart,
        startsecs,
        startretries,
        exitcodes,
        stopsignal,
        stopwaitsecs,
        stopasgroup,
        killasgroup,
        log_lifecycle,
        user,
        uid,
        gid,
        groups,
        login,
        redirect_stderr,
        stdout,
        stderr,
        environment,
        environment_files,
        serverurl,
        supervision,
    } = old;
    let mut out = Vec::new();
    let mut note = |field: &'static str, class: Class, same: bool| {
        if !same && !out.iter().any(|(f, _)| *f == field) {
            out.push((field, class));
        }
    };
    note("command", Respawn, *command == new.command);
    note("environment", Respawn, *environment == new.environment);
    // The files' names (their contents are read at every spawn anyway).
    note(
        "environment_file",
        Respawn,
        *environment_files == new.environment_files,
    );
    note("directory", Respawn, *directory == new.directory);
    note("umask", Respawn, *umask == new.umask);
    let same_user = *user == new.user
        && *uid == new.uid
        && *gid == new.gid
        && *groups == new.groups
        && *login == new.login;
    note("user", Respawn, same_user);
    note(
        "redirect_stderr",
        Respawn,
        *redirect_stderr == new.redirect_stderr,
    );
    note("serverurl", Respawn, *serverurl == new.serverurl);
    channel_fields("stdout", stdout, &new.stdout, &mut note);
    channel_fields("stderr", stderr, &new.stderr, &mut note);
    note("section", InPlace, *section == new.section);
    note("numprocs", InPlace, *numprocs == new.numprocs);
    note("priority", InPlace, *priority == new.priority);
    note("autostart", InPlace, *autostart == new.autostart);
    note("autorestart", InPlace, *autorestart == new.autorestart);
    note("startsecs", InPlace, *startsecs == new.startsecs);
    note("startretries", InPlace, *startretries == new.startretries);
    note("exitcodes", InPlace, *exitcodes == new.exitcodes);
    note("stopsignal", InPlace, *stopsignal == new.stopsignal);
    note("stopwaitsecs", InPlace, *stopwaitsecs == new.stopwaitsecs);
    note("stopasgroup", InPlace, *stopasgroup == new.stopasgroup);
    note("killasgroup", InPlace, *killasgroup == new.killasgroup);
    note(
        "log_lifecycle",
        InPlace,
        *log_lifecycle == new.log_lifecycle,
    );
    supervision_fields(supervision, &new.supervision, &mut note);
    out
}

/// Readiness, dependencies, health checks and backoff are the supervisor's business and
/// change in place, except readiness by `notify`, whose socket the child gets at spawn.
fn supervision_fields(
    old: &Supervision,
    new: &Supervision,
    note: &mut impl FnMut(&'static str, Class, bool),
) {
    let Supervision {
        ready,
        ready_timeout,
        ready_interval,
        depends_on,
        health,
        backoff,
        fatal_retry,
    } = old;
    let notify = *ready == Ready::Notify || new.ready == Ready::Notify;
    let ready_class = if notify {
        Class::Respawn
    } else {
        Class::InPlace
    };
    note("ready", ready_class, *ready == new.ready);
    let in_place = Class::InPlace;
    note(
        "ready_timeout",
        in_place,
        *ready_timeout == new.ready_timeout,
    );
    note(
        "ready_interval",
        in_place,
        *ready_interval == new.ready_interval,
    );
    note("depends_on", in_place, *depends_on == new.depends_on);
    note("healthcheck", in_place, *health == new.health);
    note("backoff", in_place, *backoff == new.backoff);
    note("fatal_retry", in_place, *fatal_retry == new.fatal_retry);
}

/// The fields of one output channel: the file is the child's descriptor (respawn), the rest is
/// read by the supervisor as it logs.
fn channel_fields(
    prefix: &'static str,
    old: &ChannelConfig,
    new: &ChannelConfig,
    note: &mut impl FnMut(&'static str, Class, bool),
) {
    let out = prefix == "stdout";
    let pick = |a: &'static str, b: &'static str| if out { a } else { b };
    let ChannelConfig {
        logfile,
        logfile_maxbytes,
        logfile_backups,
        capture_maxbytes,
        events_enabled,
        syslog,
        log,
    } = old;
    let LogOptions {
        timestamps,
        mode,
        owner,
    } = &**log;
    let respawn = Class::Respawn;
    let in_place = Class::InPlace;
    note(
        pick("stdout_logfile", "stderr_logfile"),
        respawn,
        *logfile == new.logfile,
    );
    note(
        pick("stdout_logfile_maxbytes", "stderr_logfile_maxbytes"),
        in_place,
        *logfile_maxbytes == new.logfile_maxbytes,
    );
    note(
        pick("stdout_logfile_backups", "stderr_logfile_backups"),
        in_place,
        *logfile_backups == new.logfile_backups,
    );
    note(
        pick("stdout_capture_maxbytes", "stderr_capture_maxbytes"),
        in_place,
        *capture_maxbytes == new.capture_maxbytes,
    );
    note(
        pick("stdout_events_enabled", "stderr_events_enabled"),
        in_place,
        *events_enabled == new.events_enabled,
    );
    note(
        pick("stdout_syslog", "stderr_syslog"),
        in_place,
        *syslog == new.syslog,
    );
    // Read as the supervisor writes, or when it (re)opens and rotates the file.
    note(
        pick("stdout_logfile_timestamps", "stderr_logfile_timestamps"),
        in_place,
        *timestamps == new.log.timestamps,
    );
    note(
        pick("stdout_logfile_mode", "stderr_logfile_mode"),
        in_place,
        *mode == new.log.mode,
    );
    note(
        pick("stdout_logfile_owner", "stderr_logfile_owner"),
        in_place,
        *owner == new.log.owner,
    );
}

/// Pool settings: any change replaces the whole pool.
fn listener_fields(
    old: Option<&ListenerConfig>,
    new: Option<&ListenerConfig>,
    why: &mut Vec<&'static str>,
) {
    let (Some(old), Some(new)) = (old, new) else {
        return;
    };
    let ListenerConfig {
        events,
        buffer_size,
        result_handler,
    } = old;
    why.extend(differing([
        ("events", *events == new.events),
        ("buffer_size", *buffer_size == new.buffer_size),
        ("result_handler", *result_handler == new.result_handler),
    ]));
}

/// Socket settings: any change replaces the whole group (its socket is shared).
fn fcgi_fields(old: Option<&FcgiConfig>, new: Option<&FcgiConfig>, why: &mut Vec<&'static str>) {
    let (Some(old), Some(new)) = (old, new) else {
        return;
    };
    let FcgiConfig {
        socket,
        socket_backlog,
        socket_owner,
        socket_mode,
    } = old;
    why.extend(differing([
        ("socket", *socket == new.socket),
        ("socket_backlog", *socket_backlog == new.socket_backlog),
        ("socket_owner", *socket_owner == new.socket_owner),
        ("socket_mode", *socket_mode == new.socket_mode),
    ]));
}

/// The names of the `(name, same)` pairs that differ.
fn differing<const N: usize>(
    pairs: [(&'static str, bool); N],
) -> impl Iterator<Item = &'static str> {
    pairs.into_iter().filter(|(_, same)| !same).map(|(f, _)| f)
}

/// `group:name`, or `name` for a process named as its group.
fn spec(group: &str, name: &str) -> String {
    if group == name {
        name.to_string()
    } else {
        format!("{group}:{name}")
    }
}

/// `a, b changed`.
fn because(fields: &[&str]) -> String {
    format!("{} changed", fields.join(", "))
}

/// The plan's lines for one process: `web: restart (command changed)`,
/// `web:web_01: stop (removed)`, `worker: in place (stopwaitsecs, priority changed)`,
/// `new: start (added)` (`add (added, no autostart)` for a member that will not start).
pub fn change_line(group: &str, c: &Change) -> String {
    let what = match &c.action {
        Action::Start if c.autostart => "start (added)".to_string(),
        Action::Start => "add (added, no autostart)".to_string(),
        Action::Stop => "stop (removed)".to_string(),
        Action::Restart(f) => format!("restart ({})", because(f)),
        Action::InPlace(f) => format!("in place ({})", because(f)),
    };
    format!("{}: {what}", spec(group, &c.name))
}

/// The lines for a whole group: every process of a group added (`start`) or removed (`stop`),
/// or the lines of a changed group's [`GroupChange`] (a whole-group replacement says so).
pub fn group_lines(group: &GroupConfig, added: bool) -> Vec<String> {
    group
        .processes
        .iter()
        .map(|p| {
            let action = if added { Action::Start } else { Action::Stop };
            change_line(&group.name, &change(&p.name, action, p.autostart))
        })
        .collect()
}

/// The lines of a changed group.
pub fn change_lines(group: &str, c: &GroupChange) -> Vec<String> {
    match c {
        GroupChange::Members(changes) => changes.iter().map(|c| change_line(group, c)).collect(),
        GroupChange::Whole { changes, .. } => changes
            .iter()
            .map(|c| {
                let line = change_line(group, c);
                match c.action {
                    Action::Restart(_) => format!("{}, whole group)", &line[..line.len() - 1]),
                    _ => line,
                }
            })
            .collect(),
    }
}

/// The plan of `update` (or `update --dry-run`, `reread -v`) as lines, from the running
/// groups `old` to `new`, for the groups `only` (None: all): removed groups, then changed,
/// then added, each sorted by name, as `update` runs them.
pub fn plan_lines(
    old: &[GroupConfig],
    new: &[GroupConfig],
    only: Option<&[String]>,
) -> Vec<String> {
    let wanted = |g: &str| only.is_none_or(|o| o.iter().any(|n| n == g));
    let mut sorted_old: Vec<&GroupConfig> = old.iter().filter(|g| wanted(&g.name)).collect();
    crate::sort::sort_by(&mut sorted_old, &|a, b| a.name.cmp(&b.name));
    let mut sorted_new: Vec<&GroupConfig> = new.iter().filter(|g| wanted(&g.name)).collect();
    crate::sort::sort_by(&mut sorted_new, &|a, b| a.name.cmp(&b.name));
    let mut lines = Vec::new();
    for g in &sorted_old {
        if !new.iter().any(|n| n.name == g.name) {
            lines.extend(group_lines(g, false));
        }
    }
    for g in &sorted_old {
        if let Some(n) = new.iter().find(|n| n.name == g.name) {
            if let Some(c) = group_change(g, n) {
                lines.extend(change_lines(&g.name, &c));
            }
        }
    }
    for g in &sorted_new {
        if !old.iter().any(|o| o.name == g.name) {
            lines.extend(group_lines(g, true));
        }
    }
    lines
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
