//! pidproxy: usage, signal forwarding through the pidfile, exit when the command exits.

mod common;

use common::{alive, kill, wait_until, TestDir};
use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pidproxy")
}

#[test]
fn usage_without_arguments() {
    let out = Command::new(bin()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: "));
}

#[test]
fn forwards_signals_to_the_pid_in_the_pidfile() {
    let dir = TestDir::new();
    let pidf = dir.join("d.pid");
    let marker = dir.join("got-hup");
    // A "daemon" that forks a worker, writes the worker's pid, and waits.
    let script = format!(
        "sh -c 'trap \"touch {m}\" HUP; trap \"exit 0\" TERM; while true; do sleep 0.05; done' &\n\
         echo $! > {p}\nwait\n",
        m = marker.display(),
        p = pidf.display()
    );
    let sh = dir.write("run.sh", &script);
    let mut pp = Command::new(bin())
        .arg(&pidf)
        .arg("/bin/sh")
        .arg(&sh)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_until(T, || fs::read_to_string(&pidf)
        .is_ok_and(|s| s.ends_with('\n'))));
    let worker: i32 = fs::read_to_string(&pidf).unwrap().trim().parse().unwrap();
    kill(pp.id() as i32, "HUP");
    assert!(wait_until(T, || marker.exists()), "HUP was not forwarded");
    assert!(
        pp.try_wait().unwrap().is_none(),
        "HUP does not end pidproxy"
    );
    kill(pp.id() as i32, "TERM");
    let st = pp.wait().unwrap();
    // The worker exits 0 on TERM, then the script's `wait` returns its status, 0.
    assert_eq!(st.code(), Some(0));
    assert!(!alive(worker), "pidproxy left before the worker was gone");
}

#[test]
fn a_stop_waits_until_the_service_is_gone() {
    let dir = TestDir::new();
    let pidf = dir.join("d.pid");
    // A worker that takes half a second to stop after TERM.
    let script = format!(
        "sh -c 'trap \"sleep 0.5; exit 0\" TERM; while true; do sleep 0.05; done' &\n\
         echo $! > {p}\nwait\n",
        p = pidf.display()
    );
    let sh = dir.write("run.sh", &script);
    let mut pp = Command::new(bin())
        .arg(&pidf)
        .arg("/bin/sh")
        .arg(&sh)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_until(T, || fs::read_to_string(&pidf)
        .is_ok_and(|s| s.ends_with('\n'))));
    let worker: i32 = fs::read_to_string(&pidf).unwrap().trim().parse().unwrap();
    kill(pp.id() as i32, "TERM");
    pp.wait().unwrap();
    assert!(
        !alive(worker),
        "pidproxy exited while the worker was still stopping"
    );
}

#[test]
fn a_command_that_cannot_run_is_127() {
    let dir = TestDir::new();
    let st = Command::new(bin())
        .arg(dir.join("none.pid"))
        .arg("/nonexistent/bin")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(127));
}

#[test]
fn exits_when_the_command_exits() {
    let dir = TestDir::new();
    let st = Command::new(bin())
        .arg(dir.join("none.pid"))
        .arg("/bin/sh")
        .args(["-c", "exit 3"])
        .status()
        .unwrap();
    assert_eq!(
        st.code(),
        Some(3),
        "the command's status (the reference exits 0)"
    );
    let st = Command::new(bin())
        .arg(dir.join("none.pid"))
        .arg("/bin/sh")
        .args(["-c", "kill -9 $$"])
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(128 + 9), "killed by a signal: 128 + it");
}
