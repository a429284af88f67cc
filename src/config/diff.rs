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
    ChannelConfig, FcgiConfig, GroupConfig, GroupKind, ListenerConfig, ProcessConfig, Ready,
    Supervision,
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
        user,
        uid,
        gid,
        groups,
        login,
        redirect_stderr,
        stdout,
        stderr,
        environment,
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
    } = old;
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
    for (field, same) in [
        ("events", *events == new.events),
        ("buffer_size", *buffer_size == new.buffer_size),
        ("result_handler", *result_handler == new.result_handler),
    ] {
        if !same {
            why.push(field);
        }
    }
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
    for (field, same) in [
        ("socket", *socket == new.socket),
        ("socket_backlog", *socket_backlog == new.socket_backlog),
        ("socket_owner", *socket_owner == new.socket_owner),
        ("socket_mode", *socket_mode == new.socket_mode),
    ] {
        if !same {
            why.push(field);
        }
    }
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
    sorted_old.sort_by(|a, b| a.name.cmp(&b.name));
    let mut sorted_new: Vec<&GroupConfig> = new.iter().filter(|g| wanted(&g.name)).collect();
    sorted_new.sort_by(|a, b| a.name.cmp(&b.name));
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
mod tests {
    use super::*;
    use crate::config::model::{AutoRestart, LogTarget};
    use std::path::PathBuf;
    use std::sync::Arc;

    fn channel() -> ChannelConfig {
        ChannelConfig {
            logfile: LogTarget::Auto,
            logfile_maxbytes: 50 << 20,
            logfile_backups: 10,
            capture_maxbytes: 0,
            events_enabled: false,
            syslog: false,
        }
    }

    fn proc(group: &str, name: &str) -> ProcessConfig {
        ProcessConfig {
            name: name.into(),
            group: group.into(),
            section: format!("program:{group}"),
            numprocs: 1,
            command: "/bin/sleep 100".into(),
            directory: None,
            umask: None,
            priority: 999,
            autostart: true,
            autorestart: AutoRestart::Unexpected,
            startsecs: 1,
            startretries: 3,
            exitcodes: vec![0],
            stopsignal: 15,
            stopwaitsecs: 10,
            stopasgroup: false,
            killasgroup: false,
            user: None,
            uid: None,
            gid: None,
            groups: vec![],
            login: None,
            redirect_stderr: false,
            stdout: channel(),
            stderr: channel(),
            environment: vec![],
            serverurl: None,
            supervision: Supervision::default(),
        }
    }

    fn group(name: &str, procs: Vec<ProcessConfig>) -> GroupConfig {
        GroupConfig {
            name: name.into(),
            kind: GroupKind::Program,
            priority: 999,
            processes: procs.into_iter().map(Arc::new).collect(),
            listener: None,
            fcgi: None,
        }
    }

    type Edit = Box<dyn FnOnce(&mut ProcessConfig)>;

    /// The plan's lines for one group before and after.
    fn lines(old: &GroupConfig, new: &GroupConfig) -> Vec<String> {
        plan_lines(std::slice::from_ref(old), std::slice::from_ref(new), None)
    }

    fn fields(f: impl FnOnce(&mut ProcessConfig)) -> Vec<(&'static str, Class)> {
        let old = proc("web", "web");
        let mut new = old.clone();
        f(&mut new);
        changed_fields(&old, &new)
    }

    #[test]
    fn spawn_settings_need_a_respawn() {
        use Class::Respawn;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|p| p.command = "/bin/true".into()), "command"),
            (
                Box::new(|p| p.environment = vec![("A".into(), "1".into())]),
                "environment",
            ),
            (
                Box::new(|p| p.directory = Some(PathBuf::from("/"))),
                "directory",
            ),
            (Box::new(|p| p.umask = Some(0o22)), "umask"),
            (Box::new(|p| p.user = Some("nobody".into())), "user"),
            (Box::new(|p| p.uid = Some(65534)), "user"),
            (Box::new(|p| p.gid = Some(65534)), "user"),
            (Box::new(|p| p.groups = vec![1, 2]), "user"),
            (Box::new(|p| p.login = Some("x".into())), "user"),
            (Box::new(|p| p.redirect_stderr = true), "redirect_stderr"),
            (
                Box::new(|p| p.serverurl = Some("unix:///x".into())),
                "serverurl",
            ),
            (
                Box::new(|p| p.stdout.logfile = LogTarget::Path("/tmp/x".into())),
                "stdout_logfile",
            ),
            (
                Box::new(|p| p.stderr.logfile = LogTarget::None),
                "stderr_logfile",
            ),
            (Box::new(|p| p.supervision.ready = Ready::Notify), "ready"),
        ];
        for (f, name) in cases {
            assert_eq!(fields(f), vec![(name, Respawn)], "{name}");
        }
    }

    #[test]
    fn supervisor_settings_change_in_place() {
        use Class::InPlace;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|p| p.section = "program:other".into()), "section"),
            (Box::new(|p| p.numprocs = 2), "numprocs"),
            (Box::new(|p| p.priority = 1), "priority"),
            (Box::new(|p| p.autostart = false), "autostart"),
            (
                Box::new(|p| p.autorestart = AutoRestart::Always),
                "autorestart",
            ),
            (Box::new(|p| p.startsecs = 0), "startsecs"),
            (Box::new(|p| p.startretries = 9), "startretries"),
            (Box::new(|p| p.exitcodes = vec![0, 2]), "exitcodes"),
            (Box::new(|p| p.stopsignal = 2), "stopsignal"),
            (Box::new(|p| p.stopwaitsecs = 1), "stopwaitsecs"),
            (Box::new(|p| p.stopasgroup = true), "stopasgroup"),
            (Box::new(|p| p.killasgroup = true), "killasgroup"),
            (
                Box::new(|p| p.stdout.logfile_maxbytes = 1),
                "stdout_logfile_maxbytes",
            ),
            (
                Box::new(|p| p.stderr.logfile_backups = 1),
                "stderr_logfile_backups",
            ),
            (
                Box::new(|p| p.stdout.capture_maxbytes = 1),
                "stdout_capture_maxbytes",
            ),
            (
                Box::new(|p| p.stderr.events_enabled = true),
                "stderr_events_enabled",
            ),
            (Box::new(|p| p.stdout.syslog = true), "stdout_syslog"),
            (Box::new(|p| p.supervision.ready = Ready::Exit), "ready"),
            (
                Box::new(|p| p.supervision.ready_timeout = 5),
                "ready_timeout",
            ),
            (
                Box::new(|p| p.supervision.ready_interval = 5),
                "ready_interval",
            ),
            (
                Box::new(|p| p.supervision.depends_on = vec!["db".into()]),
                "depends_on",
            ),
            (
                Box::new(|p| p.supervision.fatal_retry = Some(9)),
                "fatal_retry",
            ),
            (
                Box::new(|p| {
                    p.supervision.backoff = Some(crate::config::model::Backoff {
                        curve: crate::config::model::Curve::Linear,
                        max: 60,
                        jitter_permille: 100,
                        reset: 60,
                    })
                }),
                "backoff",
            ),
        ];
        for (f, name) in cases {
            assert_eq!(fields(f), vec![(name, InPlace)], "{name}");
        }
    }

    #[test]
    fn identical_configs_have_no_change() {
        let g = group("web", vec![proc("web", "web")]);
        assert_eq!(group_change(&g, &g.clone()), None);
        assert!(lines(&g, &g).is_empty());
    }

    #[test]
    fn a_respawn_field_wins_and_is_the_reason() {
        let old = group("web", vec![proc("web", "web")]);
        let mut p = proc("web", "web");
        p.command = "/bin/true".into();
        p.stopwaitsecs = 3;
        let new = group("web", vec![p]);
        assert_eq!(lines(&old, &new), vec!["web: restart (command changed)"]);
    }

    #[test]
    fn in_place_lines_name_every_field_and_the_group_priority() {
        let old = group("worker", vec![proc("worker", "worker")]);
        let mut p = proc("worker", "worker");
        p.stopwaitsecs = 3;
        p.priority = 5;
        let mut new = group("worker", vec![p]);
        new.priority = 5;
        assert_eq!(
            lines(&old, &new),
            vec!["worker: in place (priority, stopwaitsecs changed)"]
        );
        // A `[group:x]` priority is the group's own.
        let (mut old, mut new) = (old, new);
        old.kind = GroupKind::Group;
        new.kind = GroupKind::Group;
        new.priority = 1;
        assert_eq!(
            lines(&old, &new),
            vec!["worker: in place (priority, stopwaitsecs, group priority changed)"]
        );
    }

    #[test]
    fn numprocs_members_come_and_go_alone() {
        let members = |n: u32| {
            let ps = (0..n)
                .map(|i| {
                    let mut p = proc("web", &format!("web_{i:02}"));
                    p.numprocs = n;
                    p
                })
                .collect();
            group("web", ps)
        };
        let (two, three) = (members(2), members(3));
        let grown = lines(&two, &three);
        assert_eq!(
            grown,
            vec![
                "web:web_00: in place (numprocs changed)",
                "web:web_01: in place (numprocs changed)",
                "web:web_02: start (added)",
            ]
        );
        let shrunk = lines(&three, &two);
        assert_eq!(shrunk[2], "web:web_02: stop (removed)");
        match group_change(&members(1), &members(2)) {
            Some(GroupChange::Members(c)) => assert_eq!(c.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn groups_added_and_removed_list_every_process_in_update_order() {
        let mut quiet = proc("new", "new");
        quiet.autostart = false;
        let old = [group("gone", vec![proc("gone", "a"), proc("gone", "b")])];
        let new = [
            group("new", vec![quiet]),
            group("fresh", vec![proc("fresh", "fresh")]),
        ];
        assert_eq!(
            plan_lines(&old, &new, None),
            vec![
                "gone:a: stop (removed)",
                "gone:b: stop (removed)",
                "fresh: start (added)",
                "new: add (added, no autostart)",
            ]
        );
        assert_eq!(
            plan_lines(&old, &new, Some(&["new".to_string()])),
            vec!["new: add (added, no autostart)"]
        );
    }

    #[test]
    fn listener_pools_and_fcgi_groups_change_as_a_whole() {
        let mut old = group("pool", vec![proc("pool", "pool")]);
        old.kind = GroupKind::EventListener;
        old.listener = Some(ListenerConfig {
            events: vec!["TICK_5".into()],
            buffer_size: 10,
            result_handler: "x".into(),
        });
        let mut new = old.clone();
        new.listener.as_mut().unwrap().buffer_size = 20;
        assert_eq!(
            lines(&old, &new),
            vec!["pool: restart (buffer_size changed, whole group)"]
        );
        // Even an in-place field restarts a pool.
        let mut new = old.clone();
        let mut p = proc("pool", "pool");
        p.stopwaitsecs = 1;
        new.processes = vec![Arc::new(p)];
        match group_change(&old, &new) {
            Some(GroupChange::Whole { why, .. }) => assert_eq!(why, vec!["stopwaitsecs"]),
            other => panic!("{other:?}"),
        }
        let mut old = group("php", vec![proc("php", "php")]);
        old.kind = GroupKind::FcgiProgram;
        old.fcgi = Some(FcgiConfig {
            socket: "tcp://127.0.0.1:9000".into(),
            socket_backlog: None,
            socket_owner: None,
            socket_mode: 0o700,
        });
        let mut new = old.clone();
        new.fcgi.as_mut().unwrap().socket_mode = 0o770;
        assert_eq!(
            lines(&old, &new),
            vec!["php: restart (socket_mode changed, whole group)"]
        );
    }

    #[test]
    fn a_group_whose_kind_changed_is_replaced() {
        let old = group("web", vec![proc("web", "web")]);
        let mut new = old.clone();
        new.kind = GroupKind::Group;
        assert_eq!(
            group_change(&old, &new),
            Some(GroupChange::Whole {
                why: vec!["section type"],
                changes: vec![change("web", Action::Restart(vec!["section type"]), true)],
            })
        );
    }
}
