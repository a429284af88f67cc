//! The daemon around the processes: SIGHUP reload, daemon mode and its readiness, the pidfile,
//! SIGUSR2 log reopening, zombie reaping and descriptor hygiene.

mod common;

use common::{alive, kill, wait_until, Daemon, TestDir};
use std::fs;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

fn base(dir: &TestDir) -> String {
    let d = dir.s();
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\n\n"
    )
}

#[test]
fn sighup_reloads_and_a_broken_config_keeps_the_old_one() {
    let dir = TestDir::new();
    let first = format!(
        "{}[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
        base(&dir)
    );
    let d = Daemon::start(&dir, &first);
    assert!(d.wait_log("success: one", T), "{}", d.log());

    // A program added to the file appears after SIGHUP.
    let second = format!("{first}[program:two]\ncommand=/bin/sleep 1000\nstartsecs=0\n");
    fs::write(&d.conf, second).unwrap();
    kill(d.pid(), "HUP");
    assert!(d.wait_log("success: two", T), "{}", d.log());
    assert!(d
        .log()
        .contains("received SIGHUP indicating restart request"));

    // A broken file is reported and the running config stays.
    fs::write(&d.conf, "[supervisord]\nloglevel=bogus\n").unwrap();
    kill(d.pid(), "HUP");
    assert!(
        d.wait_log("could not reload the configuration", T),
        "{}",
        d.log()
    );
    assert!(alive(d.pid()), "daemon died on a broken config");
    let log = d.log();
    let after = &log[log.rfind("could not reload").unwrap()..];
    assert!(!after.contains("stopped:"), "nothing was stopped: {after}");
    assert_eq!(d.children().len(), 2, "both programs still run");
}

#[test]
fn daemon_mode_returns_when_ready_and_writes_the_pidfile() {
    let dir = TestDir::new();
    let conf = dir.write(
        "supervisord.conf",
        &format!("{}[program:sl]\ncommand=/bin/sleep 1000\n", base(&dir)),
    );
    let status = Command::new(common::supervisord_bin())
        .arg("-c")
        .arg(&conf)
        .env("SVTEST_ID", dir.s())
        .current_dir(&dir.path)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    // Ready means the pidfile is there when the launcher returns.
    let pid: i32 = fs::read_to_string(dir.join("supervisord.pid"))
        .expect("pidfile written before the launcher returned")
        .trim()
        .parse()
        .unwrap();
    let guard = DaemonPid(pid, dir.s());
    assert!(alive(pid));
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(fields[3], pid.to_string(), "daemon is a session leader");
    let log = fs::read_to_string(dir.join("supervisord.log")).unwrap();
    assert!(
        log.contains(&format!("supervisord started with pid {pid}")),
        "{log}"
    );
    kill(pid, "TERM");
    assert!(wait_until(T, || !alive(pid)));
    assert!(!dir.join("supervisord.pid").exists());
    drop(guard);
}

#[test]
fn daemon_mode_startup_failure_is_reported_by_the_launcher() {
    let dir = TestDir::new();
    let conf = dir.write(
        "supervisord.conf",
        "[supervisord]\nlogfile=/nonexistent-dir-xyz/sd.log\n",
    );
    let out = Command::new(common::supervisord_bin())
        .arg("-c")
        .arg(&conf)
        .current_dir(&dir.path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("Error: "), "{err}");
}

/// Daemon mode in a mount namespace whose /proc is an empty tmpfs (as in a chroot or early
/// boot): the launcher returns 0 once the daemon is ready, supervisorctl works, and the
/// daemon shuts down cleanly.
#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn daemon_mode_works_without_proc() {
    let unshare = ["/usr/bin/unshare", "/bin/unshare"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("unshare(1) (util-linux) is needed");
    let dir = TestDir::new();
    let d = dir.s();
    let conf = dir.write(
        "supervisord.conf",
        &format!(
            "{}[unix_http_server]\nfile={d}/s.sock\n[supervisorctl]\nserverurl=unix://{d}/s.sock\n\
             [program:sl]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
            base(&dir)
        ),
    );
    let out = Command::new(unshare)
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("mount -t tmpfs none /proc && exec \"$0\" -c \"$1\"")
        .arg(common::supervisord_bin())
        .arg(&conf)
        .env("SVTEST_ID", dir.s())
        .current_dir(&dir.path)
        .output()
        .unwrap();
    let pid = fs::read_to_string(dir.join("supervisord.pid"))
        .ok()
        .and_then(|p| p.trim().parse::<i32>().ok());
    let _guard = pid.map(|p| DaemonPid(p, dir.s()));
    assert_eq!(
        out.status.code(),
        Some(0),
        "launcher: {}\nlog: {}",
        String::from_utf8_lossy(&out.stderr),
        fs::read_to_string(dir.join("supervisord.log")).unwrap_or_default()
    );
    let pid = pid.expect("pidfile written before the launcher returned");
    // The daemon really runs without /proc: its /proc is the empty tmpfs.
    let mounts = fs::read_to_string(format!("/proc/{pid}/mounts")).unwrap();
    assert!(
        mounts.lines().any(|l| l.starts_with("none /proc tmpfs")),
        "{mounts}"
    );
    let status = || common::ctl_output(&conf, &["status"]);
    assert!(
        wait_until(T, || String::from_utf8_lossy(&status().stdout)
            .contains("RUNNING")),
        "{:?}",
        status()
    );
    let shut = common::ctl_output(&conf, &["shutdown"]);
    assert!(shut.status.success(), "{shut:?}");
    assert!(wait_until(T, || !alive(pid)), "daemon still running");
    assert!(!dir.join("supervisord.pid").exists());
}

/// Kills a detached daemon and its children if a test fails.
struct DaemonPid(i32, String);
impl Drop for DaemonPid {
    fn drop(&mut self) {
        kill(self.0, "KILL");
        for p in common::pids_with_marker(&self.1) {
            kill(p, "KILL");
        }
    }
}

#[test]
fn sigusr2_reopens_renamed_logs() {
    let dir = TestDir::new();
    let out = dir.join("out.log");
    let d = Daemon::start(
        &dir,
        &format!(
            "{}[program:talk]\ncommand=sh -c 'while true; do echo line; sleep 0.05; done'\n\
             stdout_logfile={}\nstartsecs=0\n",
            base(&dir),
            out.display()
        ),
    );
    assert!(wait_until(T, || fs::metadata(&out).is_ok_and(|m| m.len() > 0)));
    fs::rename(&out, dir.join("out.log.old")).unwrap();
    fs::rename(dir.join("supervisord.log"), dir.join("supervisord.log.old")).unwrap();
    kill(d.pid(), "USR2");
    assert!(wait_until(T, || fs::metadata(&out).is_ok_and(|m| m.len() > 0)));
    assert!(d.wait_log("supervisord logreopen", T));
}

#[test]
fn children_are_reaped_and_inherit_only_stdio() {
    let dir = TestDir::new();
    let fds = dir.join("fds.txt");
    let d = Daemon::start(
        &dir,
        &format!(
            "{}[program:fds]\ncommand=sh -c 'ls /proc/self/fd > {f}.tmp; mv {f}.tmp {f}; exec sleep 1000'\n\
             [program:blip]\ncommand=/bin/true\nstartsecs=0\nautorestart=true\n",
            base(&dir),
            f = fds.display()
        ),
    );
    assert!(wait_until(T, || fds.exists()), "{}", d.log());
    let list: Vec<String> = fs::read_to_string(&fds)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    // 0, 1, 2, and the directory ls itself opened.
    assert_eq!(list, ["0", "1", "2", "3"], "child saw {list:?}");
    // blip exits constantly; none of them may linger as a zombie.
    assert!(wait_until(T, || d.log().matches("spawned: 'blip'").count() >= 5));
    let me = d.pid().to_string();
    let zombies = || {
        fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| fs::read_to_string(e.path().join("stat")).ok())
            .filter(|s| {
                let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
                f.len() > 2 && f[0] == "Z" && f[1] == me
            })
            .count()
    };
    // A zombie may exist for an instant between exit and SIGCHLD; it must not persist.
    assert!(wait_until(T, || zombies() == 0));
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn orphans_are_reaped_as_pid_one() {
    let unshare = ["/usr/bin/unshare", "/bin/unshare"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    assert_eq!(
        supervisor::sys::proc::geteuid(),
        0,
        "built as root, run as root"
    );
    assert!(unshare.is_some(), "unshare(1) (util-linux) is needed");
    let dir = TestDir::new();
    let conf = dir.write(
        "supervisord.conf",
        &format!(
            "{}nodaemon=true\n[program:orphaner]\ncommand=sh -c '(sleep 0.2; exit 7) & exit 0'\n\
             startsecs=0\nautorestart=false\n",
            base(&dir)
        ),
    );
    let mut child = Command::new(unshare.unwrap())
        .args(["--pid", "--fork", "--kill-child"])
        .arg(common::supervisord_bin())
        .arg("-c")
        .arg(&conf)
        .env("SVTEST_ID", dir.s())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let log = dir.join("supervisord.log");
    let ok = wait_until(T, || {
        fs::read_to_string(&log)
            .is_ok_and(|l| l.contains("(exit status 7)") && l.contains("reaped unknown pid"))
    });
    let _ = child.kill();
    let _ = child.wait();
    for p in common::pids_with_marker(&dir.s()) {
        kill(p, "KILL");
    }
    assert!(ok, "{}", fs::read_to_string(&log).unwrap_or_default());
}

#[test]
fn a_socket_in_use_is_a_startup_error() {
    let dir = TestDir::new();
    let conf = format!(
        "{}[unix_http_server]\nfile={}/s.sock\n[program:x]\ncommand=/bin/sleep 1000\n",
        base(&dir),
        dir.s()
    );
    let first = Daemon::start(&dir, &conf);
    assert!(
        wait_until(T, || dir.join("s.sock").exists()),
        "{}",
        first.log()
    );
    // A second daemon on the same socket, in the foreground, reports and exits 2.
    let out = Command::new(common::supervisord_bin())
        .args(["-n", "-c"])
        .arg(&first.conf)
        .arg("-l")
        .arg(dir.join("second.log"))
        .arg("-j")
        .arg(dir.join("second.pid"))
        .env("SVTEST_ID", dir.s())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Error: Another program is already listening"),
        "{err}"
    );
    // The first daemon's socket still works.
    assert!(dir.join("s.sock").exists());
    assert!(alive(first.pid()));
}
