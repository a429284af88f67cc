//! Tests of `config::diff`: every field class, member plans, whole groups, the lines.

use super::*;
use crate::config::model::{AutoRestart, LogTarget};
use std::path::PathBuf;
use std::sync::Arc;

/// A `[program:group]` process with the reference's defaults (the machine tests' config).
fn proc(group: &str, name: &str) -> ProcessConfig {
    ProcessConfig {
        name: name.into(),
        group: group.into(),
        section: format!("program:{group}"),
        ..crate::process::machine::tests::cfg()
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
            Box::new(|p| {
                p.environment_files.program = vec![crate::config::model::EnvFilePath {
                    path: PathBuf::from("/etc/web.env"),
                    optional: false,
                }]
            }),
            "environment_file",
        ),
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
        (Box::new(|p| p.log_lifecycle = true), "log_lifecycle"),
        (
            Box::new(|p| p.stdout.log.timestamps = Some(true)),
            "stdout_logfile_timestamps",
        ),
        (
            Box::new(|p| p.stderr.log.mode = Some(0o640)),
            "stderr_logfile_mode",
        ),
        (
            Box::new(|p| p.stdout.log.owner = Some((1, 1))),
            "stdout_logfile_owner",
        ),
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
