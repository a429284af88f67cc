//! Hostile configs ("Nothing gets in", item 7): huge `%(...)` widths and precisions, values
//! that expand past 1 MiB, and huge `numprocs` are config errors that name the option and
//! its file:line, found at once, both by `--check-config` and by a running daemon's SIGHUP
//! reload (which keeps running with its old config and its children).

mod common;

use common::{alive, kill, supervisord_bin, wait_until, Daemon, TestDir};
use std::fs;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

/// Hostile `[program:a]` bodies, with the option each one's error must name and its line
/// (counted in the file `base` + this body).
fn hostile() -> Vec<(String, &'static str, usize)> {
    vec![
        ("command=%(here)400000000s\n".into(), "command", 1),
        (
            "command=/bin/true\nprocess_name=%(process_num)0999999999d\n".into(),
            "process_name",
            2,
        ),
        (
            "command=/bin/true\nprocess_name=%(process_num)d\nnumprocs=10000000\n".into(),
            "numprocs",
            3,
        ),
        (
            "command=/bin/true\ndirectory=%(here).999999999999999999999s\n".into(),
            "directory",
            2,
        ),
        (
            format!("command=/bin/true {}\n", "%(here)4000s".repeat(300)),
            "command",
            1,
        ),
        ("command=/bin/true\nstartsecs=abc\n".into(), "startsecs", 2),
    ]
}

#[test]
fn check_config_refuses_each_naming_the_option_and_line() {
    let dir = TestDir::new();
    for (body, option, line) in hostile() {
        let path = dir.write("h.conf", &format!("[supervisord]\n[program:a]\n{body}"));
        let out = Command::new(supervisord_bin())
            .args(["--check-config", "-c"])
            .arg(&path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{option}: {err}");
        let place = format!("({option} at {}:{})", path.display(), line + 2);
        assert!(err.contains(&place), "{place} not in {err}");
        assert!(err.len() < 20_000, "short message for {option}");
    }
}

#[test]
fn sighup_with_a_hostile_config_keeps_the_daemon_and_its_child() {
    let dir = TestDir::new();
    let d = dir.s();
    let base = format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\n\n"
    );
    let good = format!("{base}[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n");
    let daemon = Daemon::start(&dir, &good);
    assert!(daemon.wait_log("success: one", T), "{}", daemon.log());
    let children = daemon.children();
    assert_eq!(children.len(), 1);
    for (n, (body, option, _)) in hostile().into_iter().enumerate() {
        fs::write(&daemon.conf, format!("{good}[program:a]\n{body}")).unwrap();
        assert!(kill(daemon.pid(), "HUP"));
        let refused = wait_until(T, || {
            daemon
                .log()
                .matches("could not reload the configuration")
                .count()
                > n
        });
        assert!(refused, "{option}: {}", daemon.log());
        assert!(alive(daemon.pid()), "daemon died on a hostile {option}");
        assert_eq!(daemon.children(), children, "the child still runs");
    }
}

/// Thousands of `[DEFAULT]` options copied into thousands of sections: refused at once
/// instead of minutes and gigabytes (the reference looks defaults up without copying them).
#[test]
fn a_default_section_times_many_sections_is_refused() {
    let dir = TestDir::new();
    let mut text = String::from("[DEFAULT]\n");
    for i in 0..1000 {
        text.push_str(&format!("opt{i}={}\n", "v".repeat(100)));
    }
    text.push_str("[supervisord]\n");
    for i in 0..2000 {
        text.push_str(&format!("[group:g{i}]\nprograms=\n"));
    }
    let path = dir.write("d.conf", &text);
    let out = Command::new(supervisord_bin())
        .args(["--check-config", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("[DEFAULT] options in"), "{err}");
}
