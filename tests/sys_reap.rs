//! `sys::reap` with real children: exit codes and signals. A file of its own (so a
//! process of its own): `reap` collects *any* child, which would steal the children of
//! tests running in parallel threads.

use std::collections::HashMap;
use std::ffi::CString;
use std::time::{Duration, Instant};

use supervisor::process::plan::SpawnPlan;
use supervisor::sys::{self, WaitStatus};

fn sh(script: &str) -> SpawnPlan {
    SpawnPlan {
        path: CString::new("/bin/sh").unwrap(),
        argv: ["sh", "-c", script]
            .iter()
            .map(|a| CString::new(*a).unwrap())
            .collect(),
        envp: vec![CString::new("PATH=/usr/bin:/bin").unwrap()],
        cwd: None,
        umask: None,
        user: None,
        redirect_stderr: true,
        setuid_error: None,
        stdin_fd: None,
    }
}

/// Calls `reap` until every pid in `want` has been collected (polls with a deadline).
fn reap_until(want: &[i32]) -> HashMap<i32, WaitStatus> {
    let mut got = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while want.iter().any(|p| !got.contains_key(p)) {
        assert!(Instant::now() < deadline, "children not reaped: {got:?}");
        got.extend(sys::reap());
        std::thread::sleep(Duration::from_millis(10));
    }
    got
}

#[test]
fn reap_reports_exit_codes_and_signals() {
    let exit3 = sys::spawn(&sh("exit 3"), "exit3").unwrap();
    let exit0 = sys::spawn(&sh("exit 0"), "exit0").unwrap();
    let selfterm = sys::spawn(&sh("kill -TERM $$"), "selfterm").unwrap();
    let killed = sys::spawn(&sh("exec sleep 100"), "killed").unwrap();
    // A group: sh plus a background sleep; killpg reaches both.
    let group = sys::spawn(&sh("sleep 100 & wait"), "group").unwrap();
    sys::kill(killed.pid, libc::SIGKILL).unwrap();
    sys::killpg(group.pid, libc::SIGTERM).unwrap();

    let pids = [exit3.pid, exit0.pid, selfterm.pid, killed.pid, group.pid];
    let got = reap_until(&pids);
    assert_eq!(got[&exit3.pid], WaitStatus::Exited(3));
    assert_eq!(got[&exit0.pid], WaitStatus::Exited(0));
    let term = WaitStatus::Signaled {
        sig: libc::SIGTERM,
        core: false,
    };
    assert_eq!(got[&selfterm.pid], term);
    assert_eq!(
        got[&killed.pid],
        WaitStatus::Signaled {
            sig: libc::SIGKILL,
            core: false
        }
    );
    assert_eq!(got[&group.pid], term);
    // Nothing left: reap on no children is empty (ECHILD ends the loop).
    assert!(sys::reap().is_empty());
    // Signalling a reaped pid fails with ESRCH.
    let e = sys::kill(exit3.pid, 0).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ESRCH));
}
