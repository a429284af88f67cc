//! The daemon against real processes: autostart, startsecs, backoff, autorestart, exit
//! codes, stop escalation, process groups, environment, users, numprocs, priorities.

mod common;

use common::{alive, wait_until, Daemon, TestDir};
use std::fs;
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

/// A config with the daemon's files in `dir` and the given program sections.
fn conf(dir: &TestDir, programs: &str) -> String {
    let d = dir.s();
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\nloglevel=info\n\n{programs}"
    )
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn autostart_spawns_at_once_and_startsecs_gates_running() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(&dir, "[program:sl]\ncommand=/bin/sleep 1000\nstartsecs=1\n"),
    );
    assert!(d.wait_log("spawned: 'sl' with pid", T), "{}", d.log());
    assert!(!d.log().contains("success: sl"), "RUNNING before startsecs");
    assert!(
        d.wait_log(
            "success: sl entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)",
            T
        ),
        "{}",
        d.log()
    );
}

#[test]
fn failing_program_backs_off_then_gives_up() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(&dir, "[program:fa]\ncommand=/bin/false\nstartretries=1\n"),
    );
    assert!(
        d.wait_log(
            "gave up: fa entered FATAL state, too many start retries too quickly",
            T
        ),
        "{}",
        d.log()
    );
    let log = d.log();
    assert_eq!(count(&log, "spawned: 'fa'"), 2, "{log}");
    assert_eq!(count(&log, "exited: fa (exit status 1; not expected)"), 2);
    assert!(
        !log.contains("success: fa"),
        "a too-quick exit is never RUNNING"
    );
}

#[test]
fn exit_before_startsecs_is_backoff_even_with_exit_zero() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:z]\ncommand=/bin/true\nstartretries=0\nautorestart=true\n",
        ),
    );
    assert!(
        d.wait_log("gave up: z entered FATAL state", T),
        "{}",
        d.log()
    );
    let log = d.log();
    assert!(
        log.contains("exited: z (exit status 0; not expected)"),
        "{log}"
    );
    assert!(!log.contains("success: z"), "{log}");
}

#[test]
fn autorestart_variants_and_exitcodes() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:always]\ncommand=sh -c 'exit 0'\nstartsecs=0\nautorestart=true\n\
             [program:expected]\ncommand=sh -c 'exit 3'\nstartsecs=0\nexitcodes=0,3\n\
             [program:unexpected]\ncommand=sh -c 'sleep 0.2; exit 4'\nstartsecs=0\nexitcodes=0\n\
             [program:never]\ncommand=sh -c 'exit 4'\nstartsecs=0\nautorestart=false\n",
        ),
    );
    assert!(
        wait_until(T, || count(&d.log(), "spawned: 'always'") >= 3),
        "{}",
        d.log()
    );
    assert!(
        wait_until(T, || count(&d.log(), "spawned: 'unexpected'") >= 2),
        "{}",
        d.log()
    );
    let log = d.log();
    assert!(
        log.contains("exited: expected (exit status 3; expected)"),
        "{log}"
    );
    assert_eq!(count(&log, "spawned: 'expected'"), 1, "{log}");
    assert!(
        log.contains("exited: never (exit status 4; not expected)"),
        "{log}"
    );
    assert_eq!(count(&log, "spawned: 'never'"), 1, "{log}");
    assert!(log.contains("exited: unexpected (exit status 4; not expected)"));
}

#[test]
fn stop_escalates_to_sigkill_and_daemon_exits_zero() {
    let dir = TestDir::new();
    let mut d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:stubborn]\ncommand=sh -c 'trap \"\" TERM; while true; do sleep 0.1; done'\n\
             startsecs=0\nstopwaitsecs=1\n",
        ),
    );
    assert!(d.wait_log("success: stubborn", T), "{}", d.log());
    common::kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0), "{}", d.log());
    let log = d.log();
    assert!(
        log.contains("received SIGTERM indicating exit request"),
        "{log}"
    );
    assert!(log.contains("killing 'stubborn' ("), "{log}");
    assert!(log.contains(") with SIGKILL"), "{log}");
    assert!(
        log.contains("stopped: stubborn (terminated by SIGKILL)"),
        "{log}"
    );
    assert!(
        !dir.join("supervisord.pid").exists(),
        "pidfile removed at exit"
    );
}

#[test]
fn stopasgroup_kills_grandchildren() {
    let dir = TestDir::new();
    let pidf = dir.join("grandchild.pid");
    let mut d = Daemon::start(
        &dir,
        &conf(
            &dir,
            &format!(
                "[program:tree]\ncommand=sh -c 'sleep 1000 & echo $! > {}; wait'\n\
                 startsecs=0\nstopasgroup=true\n",
                pidf.display()
            ),
        ),
    );
    assert!(wait_until(T, || fs::read_to_string(&pidf)
        .is_ok_and(|s| s.ends_with('\n'))));
    let gc: i32 = fs::read_to_string(&pidf).unwrap().trim().parse().unwrap();
    assert!(alive(gc));
    common::kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0), "{}", d.log());
    assert!(wait_until(T, || !alive(gc)), "grandchild {gc} survived");
}

#[test]
fn child_environment_precedence() {
    let dir = TestDir::new();
    let out = dir.join("env.txt");
    let d = Daemon::start(
        &dir,
        &format!(
            "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
             childlogdir={d}\nenvironment=GLOBAL=\"g\",BOTH=\"global\"\n\
             [unix_http_server]\nfile={d}/s.sock\n\
             [program:envy]\ncommand=sh -c 'env > {out}.tmp; mv {out}.tmp {out}; sleep 1000'\n\
             environment=BOTH=\"prog\",OWN=\"o\"\n",
            d = dir.s(),
            out = out.display()
        ),
    );
    assert!(wait_until(T, || out.exists()), "{}", d.log());
    let env = fs::read_to_string(&out).unwrap();
    for want in [
        "SUPERVISOR_ENABLED=1",
        "SUPERVISOR_PROCESS_NAME=envy",
        "SUPERVISOR_GROUP_NAME=envy",
        "GLOBAL=g",
        "BOTH=prog",
        "OWN=o",
    ] {
        assert!(env.lines().any(|l| l == want), "missing {want} in\n{env}");
    }
    let url = format!("SUPERVISOR_SERVER_URL=unix://{}/s.sock", dir.s());
    assert!(env.lines().any(|l| l == url), "missing {url} in\n{env}");
    assert!(env.contains("SVTEST_ID="), "daemon env inherited");
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn user_switch_when_root() {
    assert_eq!(
        supervisor::sys::proc::geteuid(),
        0,
        "built as root, run as root"
    );
    let dir = TestDir::new();
    let out = dir.join("id.txt");
    fs::set_permissions(
        &dir.path,
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            &format!(
                "[program:who]\ncommand=sh -c 'id -u > {o}.tmp; mv {o}.tmp {o}; sleep 1000'\nuser=nobody\n",
                o = out.display()
            ),
        ),
    );
    assert!(wait_until(T, || out.exists()), "{}", d.log());
    assert_eq!(fs::read_to_string(&out).unwrap().trim(), "65534");
}

#[test]
fn numprocs_expands_names() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:w]\ncommand=/bin/sleep 1000\nnumprocs=3\nprocess_name=%(program_name)s_%(process_num)02d\nstartsecs=0\n",
        ),
    );
    for n in ["w_00", "w_01", "w_02"] {
        assert!(
            d.wait_log(&format!("spawned: '{n}' with pid"), T),
            "{}",
            d.log()
        );
    }
}

#[test]
fn priority_orders_start_and_reverse_shutdown() {
    let dir = TestDir::new();
    let mut d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:c]\ncommand=/bin/sleep 1000\npriority=30\nstartsecs=0\n\
             [program:a]\ncommand=/bin/sleep 1000\npriority=10\nstartsecs=0\n\
             [program:b]\ncommand=/bin/sleep 1000\npriority=20\nstartsecs=0\n",
        ),
    );
    assert!(d.wait_log("success: c", T), "{}", d.log());
    common::kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0));
    let log = d.log();
    let pos = |s: &str| {
        log.find(s)
            .unwrap_or_else(|| panic!("{s} missing in {log}"))
    };
    assert!(pos("spawned: 'a'") < pos("spawned: 'b'"));
    assert!(pos("spawned: 'b'") < pos("spawned: 'c'"));
    assert!(pos("stopped: c") < pos("stopped: b"));
    assert!(pos("stopped: b") < pos("stopped: a"));
}
