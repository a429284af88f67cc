//! Readiness, start order, health checks and backoff with real processes (#15): a
//! three-level dependency chain using tcp, http, notify, log and exit readiness; a
//! dependency going FATAL; the stop order; a health failure and its recovery seen by an
//! event listener; exponential backoff read from the activity log.

mod common;

use common::{wait_until, Daemon, TestDir};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn header(dir: &TestDir) -> String {
    let d = dir.s();
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/d.pid\nchildlogdir={d}\n\
         loglevel=info\n[unix_http_server]\nfile={d}/s.sock\n[supervisorctl]\n\
         serverurl=unix://{d}/s.sock\n"
    )
}

/// Where `needle` first appears in the activity log (panics when absent).
fn at(log: &str, needle: &str) -> usize {
    log.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the log:\n{log}"))
}

fn status(d: &Daemon, name: &str) -> String {
    let (out, _) = d.ctl(&["status", name]);
    out.trim_end().to_string()
}

const NOTIFY_PY: &str = r#"
import os, socket, time
a = os.environ["NOTIFY_SOCKET"]
if a.startswith("@"):
    a = "\0" + a[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=warming up", a)
time.sleep(0.3)
s.sendto(b"READY=1\nSTATUS=serving requests", a)
time.sleep(1000)
"#;

#[test]
fn a_dependency_chain_starts_in_order_with_every_kind_of_readiness() {
    let dir = TestDir::new();
    let (tcp, http) = (free_port(), free_port());
    dir.write("notify.py", NOTIFY_PY);
    let d = dir.s();
    let conf = format!(
        "{h}\
[program:db]
command=python3 -c \"import socket,time; time.sleep(0.5); s=socket.socket(); s.bind(('127.0.0.1',{tcp})); s.listen(); time.sleep(1000)\"
ready=tcp:127.0.0.1:{tcp}
[program:api]
command=python3 -m http.server {http} --bind 127.0.0.1
ready=http://127.0.0.1:{http}/
depends_on=db
[program:migrate]
command=sh -c 'sleep 0.3; exit 0'
ready=exit
depends_on=db
[program:worker]
command=python3 {d}/notify.py
ready=notify
depends_on=db
[program:web]
command=sh -c 'echo booting; sleep 0.3; echo \"listening on 8080\"; exec sleep 1000'
ready=log:^listening on \\d+$
depends_on=api, migrate, worker
",
        h = header(&dir)
    );
    let daemon = Daemon::start(&dir, &conf);
    assert!(
        daemon.wait_log("api: waiting for db (tcp:127.0.0.1:", T),
        "{}",
        daemon.log()
    );
    assert!(
        daemon.wait_log("success: web entered RUNNING state", T),
        "{}",
        daemon.log()
    );
    let log = daemon.log();
    let db_ready = at(
        &log,
        "success: db entered RUNNING state, ready (tcp:127.0.0.1:",
    );
    assert!(at(&log, "spawned: 'db'") < db_ready);
    for second in ["spawned: 'api'", "spawned: 'migrate'", "spawned: 'worker'"] {
        assert!(
            db_ready < at(&log, second),
            "{second} before db was ready:\n{log}"
        );
    }
    let web = at(&log, "spawned: 'web'");
    for ready in [
        "success: api entered RUNNING state, ready (http://127.0.0.1:",
        "exited: migrate (exit status 0; expected)",
        "success: worker entered RUNNING state, ready (notify: READY=1)",
    ] {
        assert!(at(&log, ready) < web, "web spawned before {ready}:\n{log}");
    }
    assert!(log.contains("success: web entered RUNNING state, ready (log:^listening on \\d+$"));
    assert!(status(&daemon, "migrate").contains("EXITED"));
    assert!(status(&daemon, "worker").ends_with(", serving requests"));

    // Dependents stop before what they depend on.
    let (out, code) = daemon.ctl(&["stop", "all"]);
    assert_eq!(code, 0, "{out}");
    let log = daemon.log();
    let web = at(&log, "stopped: web");
    let (api, worker, db) = (
        at(&log, "stopped: api"),
        at(&log, "stopped: worker"),
        at(&log, "stopped: db"),
    );
    assert!(
        web < api && web < worker && api < db && worker < db,
        "{log}"
    );

    // `start web` starts its stopped dependencies first.
    let (out, code) = daemon.ctl(&["start", "web"]);
    assert_eq!((out.as_str(), code), ("web: started\n", 0));
    for name in ["db", "api", "worker"] {
        assert!(status(&daemon, name).contains("RUNNING"), "{name}");
    }
}

#[test]
fn a_dependency_that_goes_fatal_fails_its_dependents() {
    let dir = TestDir::new();
    let conf = format!(
        "{h}\
[program:db]
command=/nonexistent/db
startretries=1
[program:web]
command=sleep 1000
depends_on=db
",
        h = header(&dir)
    );
    let daemon = Daemon::start(&dir, &conf);
    assert!(wait_until(T, || status(&daemon, "web").contains("FATAL")));
    assert!(
        status(&daemon, "web").ends_with("dependency db failed"),
        "{}",
        status(&daemon, "web")
    );
    assert!(daemon.log().contains("gave up: web: dependency db failed"));
    assert!(!daemon.log().contains("spawned: 'web'"));
}

const LISTENER_PY: &str = r#"
import sys
out = open(sys.argv[1], "a")
while True:
    sys.stdout.write("READY\n"); sys.stdout.flush()
    header = dict(x.split(":", 1) for x in sys.stdin.readline().split())
    payload = sys.stdin.read(int(header["len"]))
    out.write(header["eventname"] + " " + payload.replace("\n", " | ") + "\n"); out.flush()
    sys.stdout.write("RESULT 2\nOK"); sys.stdout.flush()
"#;

#[test]
fn an_unhealthy_program_is_restarted_and_its_recovery_is_an_event() {
    let dir = TestDir::new();
    dir.write("listener.py", LISTENER_PY);
    let flag = dir.join("healthy");
    std::fs::write(&flag, "").unwrap();
    let d = dir.s();
    let conf = format!(
        "{h}\
[program:app]
command=sleep 1000
startsecs=0
healthcheck=exec:test -f {flag}
healthcheck_interval=1
healthcheck_retries=2
[eventlistener:health]
command=python3 {d}/listener.py {d}/events.txt
events=PROCESS_HEALTH
",
        h = header(&dir),
        flag = flag.display()
    );
    let daemon = Daemon::start(&dir, &conf);
    assert!(wait_until(T, || status(&daemon, "app").contains("RUNNING")));
    let pid_of = |s: &str| {
        s.split("pid ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .map(str::to_string)
    };
    let first = pid_of(&status(&daemon, "app")).unwrap();
    std::fs::remove_file(&flag).unwrap();
    assert!(daemon.wait_log("app: unhealthy after 2 failed checks (exec:test -f", T));
    assert!(daemon.log().contains("(exec:test -f"));
    // Restarted like a crash: a new pid after the backoff delay.
    assert!(wait_until(T, || {
        let s = status(&daemon, "app");
        s.contains("RUNNING") && pid_of(&s).is_some_and(|p| p != first)
    }));
    std::fs::write(&flag, "").unwrap();
    assert!(
        daemon.wait_log("app: healthy (exec:test -f", T),
        "{}",
        daemon.log()
    );
    let events = || std::fs::read_to_string(dir.join("events.txt")).unwrap_or_default();
    assert!(
        wait_until(T, || events().contains("PROCESS_HEALTH_HEALTHY")),
        "{}",
        events()
    );
    let ev = events();
    let bad = ev
        .find("PROCESS_HEALTH_UNHEALTHY processname:app groupname:app pid:")
        .unwrap();
    assert!(
        bad < ev.find("PROCESS_HEALTH_HEALTHY processname:app").unwrap(),
        "{ev}"
    );
    assert!(ev.contains("| exec:test -f"), "{ev}");
}

/// Milliseconds since midnight of an activity-log line's stamp (`2026-12-04 23:30:54,583`).
fn stamp_ms(line: &str) -> u64 {
    let time = &line[11..23];
    let h: u64 = time[0..2].parse().unwrap();
    let m: u64 = time[3..5].parse().unwrap();
    let s: u64 = time[6..8].parse().unwrap();
    let ms: u64 = time[9..12].parse().unwrap();
    ((h * 60 + m) * 60 + s) * 1000 + ms
}

#[test]
fn exponential_backoff_spaces_the_restarts_of_a_crash_loop() {
    let dir = TestDir::new();
    // Reaches RUNNING at once (startsecs=0), then crashes: the reference would restart it
    // at once forever (#1285); with a backoff policy each restart waits 1, 2, 4 s.
    let conf = format!(
        "{h}\
[program:crash]
command=sh -c 'sleep 0.1; exit 1'
startsecs=0
autorestart=true
startretries=3
backoff=exponential
backoff_jitter=0
",
        h = header(&dir)
    );
    let daemon = Daemon::start(&dir, &conf);
    assert!(wait_until(T, || status(&daemon, "crash").contains("BACKOFF")));
    let s = status(&daemon, "crash");
    assert!(
        s.contains("next try in ") && s.ends_with(" s (exited with 1)"),
        "{s}"
    );
    assert!(
        daemon.wait_log("gave up: crash entered FATAL state", T),
        "{}",
        daemon.log()
    );
    let log = daemon.log();
    let spawns: Vec<u64> = log
        .lines()
        .filter(|l| l.contains("spawned: 'crash'"))
        .map(stamp_ms)
        .collect();
    let exits: Vec<u64> = log
        .lines()
        .filter(|l| l.contains("exited: crash (exit status 1; not expected)"))
        .map(stamp_ms)
        .collect();
    assert_eq!((spawns.len(), exits.len()), (4, 4), "{log}");
    // Each restart comes no earlier than its delay after the exit before it.
    for (i, want) in [1000u64, 2000, 4000].iter().enumerate() {
        let waited = spawns[i + 1] - exits[i];
        assert!(
            waited + 5 >= *want,
            "restart {} after {waited} ms:\n{log}",
            i + 1
        );
    }
    assert!(status(&daemon, "crash").contains("FATAL"));
}
