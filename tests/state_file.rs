//! `[supervisord] state_file`: a program stopped by hand stays stopped across a restart of
//! the daemon, one started by hand (with `autostart=false`) runs again, a `reload` keeps
//! both, and a broken state file is logged and ignored.

mod common;

use common::{wait_until, Daemon, TestDir};
use std::fs;
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

fn conf(dir: &TestDir) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\
         state_file={d}/state\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:web]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n\
         [program:manual]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n\n\
         [program:other]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    )
}

fn state_of(d: &Daemon, name: &str) -> String {
    let (out, _) = d.ctl(&["status", name]);
    out.split_whitespace().nth(1).unwrap_or("").to_string()
}

fn wait_state(d: &Daemon, name: &str, want: &str) -> bool {
    wait_until(T, || state_of(d, name) == want)
}

/// Stops the daemon with SIGTERM and waits for it to be gone.
fn terminate(mut d: Daemon) {
    common::kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0), "{}", d.log());
}

#[test]
fn manual_stops_and_starts_survive_a_daemon_restart() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_state(&d, "web", "RUNNING"), "{}", d.log());
    assert!(wait_state(&d, "other", "RUNNING"), "{}", d.log());
    assert_eq!(state_of(&d, "manual"), "STOPPED");
    let (out, code) = d.ctl(&["stop", "web"]);
    assert_eq!(code, 0, "{out}");
    let (out, code) = d.ctl(&["start", "manual"]);
    assert_eq!(code, 0, "{out}");
    let text = fs::read_to_string(dir.join("state")).unwrap();
    assert_eq!(text, "supervisor-rs state 1\nup manual\ndown web\n");
    terminate(d);

    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_state(&d, "manual", "RUNNING"), "{}", d.log());
    assert!(wait_state(&d, "other", "RUNNING"), "{}", d.log());
    assert_eq!(state_of(&d, "web"), "STOPPED", "{}", d.log());
    let log = d.log();
    let this_run = &log[log.rfind("supervisord started").unwrap()..];
    assert!(!this_run.contains("spawned: 'web'"), "{log}");

    // A reload (SIGHUP) applies it too; a start by hand undoes a stop by hand.
    let (out, code) = d.ctl(&["reload"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        // Once for each earlier daemon, once for the reload.
        wait_until(T, || d.log().matches("supervisord started").count() == 3),
        "{}",
        d.log()
    );
    assert!(wait_state(&d, "manual", "RUNNING"), "{}", d.log());
    assert_eq!(state_of(&d, "web"), "STOPPED");
    let log = d.log();
    assert!(!log[log.rfind("supervisord started").unwrap()..].contains("spawned: 'web'"));
    let (out, code) = d.ctl(&["start", "web"]);
    assert_eq!(code, 0, "{out}");
    terminate(d);

    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_state(&d, "web", "RUNNING"), "{}", d.log());
    assert!(wait_state(&d, "manual", "RUNNING"), "{}", d.log());
}

#[test]
fn entries_of_removed_programs_are_dropped_and_a_broken_file_is_ignored() {
    let dir = TestDir::new();
    fs::write(
        dir.join("state"),
        "supervisor-rs state 1\ndown gone\ndown other\n",
    )
    .unwrap();
    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_state(&d, "web", "RUNNING"), "{}", d.log());
    assert_eq!(state_of(&d, "other"), "STOPPED");
    assert!(
        wait_until(T, || fs::read_to_string(dir.join("state")).unwrap()
            == "supervisor-rs state 1\ndown other\n"),
        "{}",
        fs::read_to_string(dir.join("state")).unwrap()
    );
    terminate(d);

    fs::write(dir.join("state"), "\u{1b}[2J hostile\n").unwrap();
    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_state(&d, "web", "RUNNING"), "{}", d.log());
    assert!(wait_state(&d, "other", "RUNNING"), "{}", d.log());
    assert!(
        d.log()
            .contains(&format!("state file {}/state: line 1: expected", dir.s())),
        "{}",
        d.log()
    );
    assert!(!d.log().contains('\u{1b}'), "{}", d.log());

    // A symbolic link at the name is neither followed when read nor written through.
    terminate(d);
    fs::remove_file(dir.join("state")).unwrap();
    fs::write(dir.join("target"), "keep\n").unwrap();
    std::os::unix::fs::symlink(dir.join("target"), dir.join("state")).unwrap();
    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_state(&d, "web", "RUNNING"), "{}", d.log());
    let (out, code) = d.ctl(&["stop", "web"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(fs::read_to_string(dir.join("target")).unwrap(), "keep\n");
    assert_eq!(
        fs::read_to_string(dir.join("state")).unwrap(),
        "supervisor-rs state 1\ndown web\n"
    );
    assert!(!fs::symlink_metadata(dir.join("state"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn update_respawning_a_program_stopped_by_hand_leaves_it_stopped() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_state(&d, "web", "RUNNING"), "{}", d.log());
    let (out, code) = d.ctl(&["stop", "web"]);
    assert_eq!(code, 0, "{out}");
    // A changed command makes update replace web; the stop by hand still holds.
    let conf_path = dir.join("supervisord.conf");
    let text = fs::read_to_string(&conf_path).unwrap();
    fs::write(&conf_path, text.replacen("sleep 1000", "sleep 1001", 1)).unwrap();
    let (out, code) = d.ctl(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("web"), "{out}");
    assert!(wait_state(&d, "other", "RUNNING"), "{}", d.log());
    assert_eq!(state_of(&d, "web"), "STOPPED", "{}", d.log());
}
