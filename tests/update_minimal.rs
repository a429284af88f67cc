//! `update` that changes the least: a running daemon whose config is edited keeps the
//! processes whose spawn settings did not change (same pid), restarts only those whose did,
//! adds and removes numprocs members alone, and `update --dry-run` / `reread -v` say so
//! beforehand without changing anything.

mod common;

use common::*;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

/// The config, before (`v2 == false`) and after the edit: `keep` gets new stopwaitsecs
/// and priority, `cmd` a new command, `multi` a third member, `gone` disappears, `new`
/// appears, `same` stays as it is.
fn conf(dir: &TestDir, v2: bool) -> String {
    let d = dir.s();
    let (keep, cmd, n, tail) = if v2 {
        (
            "stopwaitsecs=5\npriority=5",
            "/bin/sleep 1001",
            3,
            "[program:new]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
        )
    } else {
        (
            "stopwaitsecs=10",
            "/bin/sleep 1000",
            2,
            "[program:gone]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
        )
    };
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:keep]\ncommand=/bin/sleep 1000\nstartsecs=0\n{keep}\n\
         [program:cmd]\ncommand={cmd}\nstartsecs=0\n\
         [program:same]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:multi]\ncommand=/bin/sleep 1000\nstartsecs=0\nnumprocs={n}\n\
         process_name=%(program_name)s_%(process_num)02d\n\
         {tail}"
    )
}

fn pid(d: &Daemon, name: &str) -> i32 {
    let (out, code) = d.ctl(&["pid", name]);
    assert_eq!(code, 0, "pid {name}: {out}");
    out.trim().parse().unwrap_or(0)
}

fn all_running(d: &Daemon, names: &[&str]) -> bool {
    names.iter().all(|n| pid(d, n) > 0)
}

const BEFORE: &[&str] = &[
    "keep",
    "cmd",
    "same",
    "multi:multi_00",
    "multi:multi_01",
    "gone",
];

const PLAN: &str = "gone: stop (removed)\n\
                    cmd: restart (command changed)\n\
                    keep: in place (priority, stopwaitsecs changed)\n\
                    multi:multi_00: in place (numprocs changed)\n\
                    multi:multi_01: in place (numprocs changed)\n\
                    multi:multi_02: start (added)\n\
                    new: start (added)\n";

#[test]
fn update_restarts_only_what_changed() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir, false));
    assert!(
        wait_until(T, || dir.join("s.sock").exists() && all_running(&d, BEFORE)),
        "not started; log:\n{}",
        d.log()
    );
    let before: Vec<i32> = BEFORE.iter().map(|n| pid(&d, n)).collect();
    std::fs::write(&d.conf, conf(&dir, true)).unwrap();

    // A dry run says what would happen and changes nothing.
    assert_eq!(d.ctl(&["update", "--dry-run"]), (PLAN.to_string(), 0));
    let (one, code) = d.ctl(&["update", "--dry-run", "multi", "nosuch"]);
    assert_eq!(
        (one.as_str(), code),
        (
            "ERROR: no such group: nosuch\n\
             multi:multi_00: in place (numprocs changed)\n\
             multi:multi_01: in place (numprocs changed)\n\
             multi:multi_02: start (added)\n",
            1
        )
    );
    let after_dry: Vec<i32> = BEFORE.iter().map(|n| pid(&d, n)).collect();
    assert_eq!(before, after_dry);

    // `reread -v`: reread's lines, then the plan.
    let (out, code) = d.ctl(&["reread", "-v"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "cmd: changed\ngone: disappeared\nkeep: changed\nmulti: changed\nnew: available\n{PLAN}"
        )
    );

    // The update itself: the reference's lines, group by group.
    let (out, code) = d.ctl(&["update"]);
    assert_eq!(
        (out.as_str(), code),
        (
            "gone: stopped\n\
             gone: removed process group\n\
             cmd: stopped\n\
             cmd: updated process group\n\
             keep: updated process group\n\
             multi: updated process group\n\
             new: added process group\n",
            0
        ),
        "log:\n{}",
        d.log()
    );
    let now = [
        "keep",
        "cmd",
        "same",
        "multi:multi_00",
        "multi:multi_01",
        "multi:multi_02",
        "new",
    ];
    assert!(
        wait_until(T, || all_running(&d, &now)),
        "not all running; log:\n{}",
        d.log()
    );
    assert_eq!(pid(&d, "keep"), before[0], "in place keeps the pid");
    assert_ne!(pid(&d, "cmd"), before[1], "a new command is a new process");
    assert_eq!(pid(&d, "same"), before[2]);
    assert_eq!(
        pid(&d, "multi:multi_00"),
        before[3],
        "members keep their pids"
    );
    assert_eq!(pid(&d, "multi:multi_01"), before[4]);
    assert!(!alive(before[5]), "the removed group is stopped");
    let cmd_logs = dir
        .listing()
        .iter()
        .filter(|f| f.starts_with("cmd-stdout"))
        .count();
    assert_eq!(cmd_logs, 1, "a restarted process keeps its AUTO log");
    let (status, _) = d.ctl(&["status", "gone"]);
    assert!(status.contains("no such process"), "{status}");

    // Nothing left to do.
    assert_eq!(d.ctl(&["update", "--dry-run"]), (String::new(), 0));
    assert_eq!(
        d.ctl(&["reread", "-v"]),
        ("No config updates to processes\n".to_string(), 0)
    );
    assert_eq!(d.ctl(&["update"]), (String::new(), 0));

    // Shrinking numprocs stops and removes only the last member.
    std::fs::write(
        &d.conf,
        conf(&dir, true).replace("numprocs=3", "numprocs=1"),
    )
    .unwrap();
    let m0 = pid(&d, "multi:multi_00");
    let m1 = pid(&d, "multi:multi_01");
    let (out, code) = d.ctl(&["update", "multi"]);
    assert_eq!(
        (out.as_str(), code),
        ("multi: stopped\nmulti: updated process group\n", 0)
    );
    assert_eq!(pid(&d, "multi:multi_00"), m0);
    assert!(!alive(m1));
    let (status, _) = d.ctl(&["status"]);
    assert!(!status.contains("multi_01"), "{status}");
    assert!(!status.contains("multi_02"), "{status}");
}

/// A setting changed in place rules the running process's next stop: a child that ignores
/// SIGTERM and exits 0 on SIGINT stops at once once `stopsignal=INT` was applied, with the
/// pid it had (the old settings would have waited 30 s and killed it).
#[test]
fn a_stop_signal_changed_in_place_is_the_one_the_next_stop_sends() {
    let dir = TestDir::new();
    let d = dir.s();
    let text = |extra: &str| {
        format!(
            "[unix_http_server]\nfile={d}/s.sock\n\
             [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\
             [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
             [program:trap]\n\
             command=/bin/sh -c 'trap \"exit 0\" INT; trap \"\" TERM; while :; do sleep 0.1; done'\n\
             startsecs=0\nstopwaitsecs=30\n{extra}\n"
        )
    };
    let dm = Daemon::start(&dir, &text(""));
    assert!(
        wait_until(T, || dir.join("s.sock").exists()
            && all_running(&dm, &["trap"])),
        "not started; log:\n{}",
        dm.log()
    );
    let before = pid(&dm, "trap");
    std::fs::write(&dm.conf, text("stopsignal=INT")).unwrap();
    assert_eq!(
        dm.ctl(&["update", "--dry-run"]),
        ("trap: in place (stopsignal changed)\n".to_string(), 0)
    );
    assert_eq!(
        dm.ctl(&["update"]),
        ("trap: updated process group\n".to_string(), 0)
    );
    assert_eq!(pid(&dm, "trap"), before);
    assert_eq!(
        dm.ctl(&["stop", "trap"]),
        ("trap: stopped\n".to_string(), 0)
    );
    assert!(
        dm.wait_log("stopped: trap (exit status 0)", T),
        "log:\n{}",
        dm.log()
    );
}

/// A `[group:x]` whose member list and priority change: the member kept takes the new group
/// priority in place (same pid), the one dropped stops, the one added starts. (A program in
/// no group is a group of its own: `c` moves into `grp`, `b` out of it.)
#[test]
fn a_heterogeneous_group_changes_member_by_member() {
    let dir = TestDir::new();
    let d = dir.s();
    let text = |members: &str, priority: u32| {
        format!(
            "[unix_http_server]\nfile={d}/s.sock\n\
             [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\
             [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
             [group:grp]\nprograms={members}\npriority={priority}\n\
             [program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
             [program:b]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
             [program:c]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
        )
    };
    let dm = Daemon::start(&dir, &text("a,b", 10));
    assert!(
        wait_until(T, || dir.join("s.sock").exists()
            && all_running(&dm, &["grp:a", "grp:b"])),
        "not started; log:\n{}",
        dm.log()
    );
    let (a, b) = (pid(&dm, "grp:a"), pid(&dm, "grp:b"));
    std::fs::write(&dm.conf, text("a,c", 20)).unwrap();
    assert_eq!(
        dm.ctl(&["update", "--dry-run"]),
        (
            "c: stop (removed)\n\
             grp:a: in place (group priority changed)\n\
             grp:b: stop (removed)\n\
             grp:c: start (added)\n\
             b: start (added)\n"
                .to_string(),
            0
        )
    );
    assert_eq!(
        dm.ctl(&["update"]),
        (
            "c: stopped\nc: removed process group\ngrp: stopped\ngrp: updated process group\n\
             b: added process group\n"
                .to_string(),
            0
        )
    );
    assert!(wait_until(T, || all_running(&dm, &["grp:c", "b"])));
    assert_eq!(pid(&dm, "grp:a"), a);
    assert!(!alive(b));
    assert_eq!(dm.ctl(&["reread"]).0, "No config updates to processes\n");
}
