//! `sys::spawn` with real processes: stdio pipes, fd hygiene, clean signal state, the
//! reference's child-side error lines, redirect_stderr, process groups, cwd/umask/env,
//! and user switching (when run as root). Every test waits for the children it starts.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use supervisor::process::plan::{PlanUser, SpawnPlan};
use supervisor::sys::{self, Child, Stage, WaitStatus};

fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn plan(path: &str, argv: &[&str]) -> SpawnPlan {
    SpawnPlan {
        path: cs(path),
        argv: argv.iter().map(|a| cs(a)).collect(),
        envp: vec![cs("PATH=/usr/bin:/bin")],
        cwd: None,
        umask: None,
        user: None,
        redirect_stderr: false,
        setuid_error: None,
        stdin_fd: None,
    }
}

fn read_all(fd: OwnedFd) -> String {
    sys::set_blocking(&fd).unwrap();
    let mut s = String::new();
    File::from(fd).read_to_string(&mut s).unwrap();
    s
}

/// Runs to completion: (exit status, stdout, stderr, exec_error).
struct Done {
    status: WaitStatus,
    out: String,
    err: String,
    exec_error: Option<(Stage, i32)>,
}

fn finish(child: Child) -> Done {
    let Child {
        pid,
        stdin,
        stdout,
        stderr,
        exec_error,
        ..
    } = child;
    drop(stdin);
    let out = read_all(stdout);
    let err = stderr.map(read_all).unwrap_or_default();
    let status = sys::wait_pid(pid, true).unwrap().unwrap();
    Done {
        status,
        out,
        err,
        exec_error,
    }
}

fn run(p: &SpawnPlan) -> Done {
    finish(sys::spawn(p, "test").unwrap())
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("h3-sys-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn echo_stdout() {
    let d = run(&plan("/bin/echo", &["echo", "hello", "world"]));
    assert_eq!(d.out, "hello world\n");
    assert_eq!(d.err, "");
    assert_eq!(d.status, WaitStatus::Exited(0));
    assert_eq!(d.exec_error, None);
}

#[test]
fn only_stdio_fds_are_inherited() {
    // ls opens the directory itself, which shows up as fd 3.
    let d = run(&plan("/bin/sh", &["sh", "-c", "ls /proc/self/fd"]));
    assert_eq!(d.out, "0\n1\n2\n3\n");
    assert_eq!(d.status, WaitStatus::Exited(0));
}

#[test]
fn signal_state_is_clean() {
    // The Rust runtime of this test process ignores SIGPIPE, and spawn blocks every
    // signal around fork: the child must still start with nothing ignored or blocked.
    let d = run(&plan(
        "/bin/grep",
        &["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"],
    ));
    assert_eq!(
        d.out,
        "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
    );
}

#[test]
fn bad_directory_reports_like_the_reference() {
    let mut p = plan("/bin/echo", &["echo", "hi"]);
    p.cwd = Some(cs("/nonexistent/dir"));
    let d = run(&p);
    assert_eq!(d.exec_error, Some((Stage::Chdir, libc::ENOENT)));
    assert_eq!(d.status, WaitStatus::Exited(127));
    assert_eq!(
        d.err,
        "supervisor: couldn't chdir to /nonexistent/dir: ENOENT\n\
         supervisor: child process was not spawned\n"
    );
    assert_eq!(d.out, "");
}

#[test]
fn exec_failures_report_errno_names() {
    let dir = temp_dir("exec");
    let noexec = dir.join("noexec");
    std::fs::write(&noexec, "#!/bin/sh\necho hi\n").unwrap();
    let badinterp = dir.join("badinterp");
    std::fs::write(&badinterp, "#!/nonexistent/interp\n").unwrap();
    let garbage = dir.join("garbage");
    std::fs::write(&garbage, b"garbage\0\x01\x02").unwrap();
    use std::os::unix::fs::PermissionsExt;
    for f in [&badinterp, &garbage] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let cases = [
        (&noexec, libc::EACCES, "EACCES"),
        (&badinterp, libc::ENOENT, "ENOENT"),
        (&garbage, libc::ENOEXEC, "ENOEXEC"),
    ];
    for (path, errno, name) in cases {
        let path = path.to_str().unwrap();
        let d = run(&plan(path, &[path]));
        assert_eq!(d.exec_error, Some((Stage::Exec, errno)), "{path}");
        assert_eq!(d.status, WaitStatus::Exited(127));
        assert_eq!(
            d.err,
            format!(
                "supervisor: couldn't exec {path}: {name}\n\
                 supervisor: child process was not spawned\n"
            )
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn redirect_stderr_merges_into_stdout() {
    let mut p = plan("/bin/sh", &["sh", "-c", "echo out; echo err >&2"]);
    p.redirect_stderr = true;
    let child = sys::spawn(&p, "test").unwrap();
    assert!(child.stderr.is_none());
    let d = finish(child);
    assert_eq!(d.out, "out\nerr\n");

    let p = plan("/bin/sh", &["sh", "-c", "echo out; echo err >&2"]);
    let d = run(&p);
    assert_eq!((d.out.as_str(), d.err.as_str()), ("out\n", "err\n"));
}

#[test]
fn child_leads_its_own_process_group() {
    let child = sys::spawn(&plan("/bin/cat", &["cat", "/proc/self/stat"]), "t").unwrap();
    let pid = child.pid;
    let d = finish(child);
    let after = d.out.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields after the command: state, ppid, pgrp, session.
    assert_eq!(fields[2], pid.to_string());
    assert_eq!(fields[1], sys::getpid().to_string());
}

#[test]
fn cwd_umask_and_environment() {
    let mut p = plan("/bin/sh", &["sh", "-c", "pwd; umask; echo $FOO"]);
    p.cwd = Some(cs("/tmp"));
    p.umask = Some(0o027);
    p.envp.push(cs("FOO=bar baz"));
    let d = run(&p);
    assert_eq!(d.out, "/tmp\n0027\nbar baz\n");
}

#[test]
fn stdin_pipe_reaches_the_child() {
    let child = sys::spawn(&plan("/bin/cat", &["cat"]), "t").unwrap();
    let Child {
        pid,
        stdin,
        stdout,
        stderr,
        exec_error,
        ..
    } = child;
    assert_eq!(exec_error, None);
    File::from(stdin.expect("a stdin pipe"))
        .write_all(b"to the child\n")
        .unwrap();
    // Dropping stdin (above) gives cat EOF.
    assert_eq!(read_all(stdout), "to the child\n");
    drop(stderr);
    assert_eq!(
        sys::wait_pid(pid, true).unwrap(),
        Some(WaitStatus::Exited(0))
    );
}

#[test]
fn parent_ends_are_nonblocking() {
    let child = sys::spawn(&plan("/bin/cat", &["cat"]), "t").unwrap();
    let mut out = File::from(child.stdout.try_clone().unwrap());
    let e = out.read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    drop(out);
    finish(child);
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn user_switch_when_root() {
    assert_eq!(sys::geteuid(), 0, "built as root, run as root");
    let mut p = plan("/usr/bin/id", &["id"]);
    p.user = Some(PlanUser {
        uid: 65534,
        gid: 65534,
        groups: vec![65534],
    });
    let d = run(&p);
    assert_eq!(d.exec_error, None, "{}", d.err);
    assert!(
        d.out.starts_with("uid=65534(") && d.out.contains(" gid=65534("),
        "{}",
        d.out
    );
    assert!(!d.out.contains("groups=0"), "{}", d.out);
}

#[test]
#[cfg_attr(root, ignore = "needs an unprivileged user: root can always switch")]
fn failed_user_switch_reports_setuid_line() {
    assert_ne!(sys::geteuid(), 0, "built unprivileged, run unprivileged");
    let mut p = plan("/bin/echo", &["echo"]);
    p.user = Some(PlanUser {
        uid: 1,
        gid: 1,
        groups: vec![1],
    });
    let d = run(&p);
    assert_eq!(d.exec_error.map(|e| e.0), Some(Stage::Setgroups));
    assert_eq!(
        d.err,
        "supervisor: couldn't setuid to 1: Could not set groups of effective user\n\
         supervisor: child process was not spawned\n"
    );
}

/// Through LowFds (the daemon's way): the child starts on our table and keeps only the
/// descriptors below the slots' limit, so a spawn does not copy or close the daemon's others.
fn run_with_slots(p: &SpawnPlan, slots: &mut sys::spawn::LowFds) -> Done {
    let mut child = sys::spawn::spawn_with_low_fds(p, "test", slots).unwrap();
    assert!(child.exec_status.is_some(), "a status pipe");
    child.wait_exec();
    finish(child)
}

#[test]
fn low_slots_spawn_inherits_only_stdio_and_restores_the_slots() {
    let mut slots = sys::spawn::LowFds::reserve().unwrap();
    // Plenty of descriptors of ours above the slots, as a daemon with many programs has.
    let held: Vec<_> = (0..200).map(|_| sys::pipe().unwrap()).collect();
    let d = run_with_slots(
        &plan(
            "/bin/sh",
            &["sh", "-c", "ls /proc/self/fd; echo to-err >&2"],
        ),
        &mut slots,
    );
    assert_eq!(d.exec_error, None);
    assert_eq!(d.status, WaitStatus::Exited(0));
    // ls itself opens the directory it lists (one extra number).
    let fds: Vec<i32> = d
        .out
        .split_whitespace()
        .map(|f| f.parse().unwrap())
        .collect();
    assert!(
        fds.len() <= 4 && fds[..3] == [0, 1, 2],
        "child fds: {fds:?}"
    );
    assert_eq!(d.err, "to-err\n");
    // Our copies of the child's ends left the slots (else EOF above never came), and the
    // slots hold /dev/null again, so the next spawn finds them as before.
    for fd in slots.numbers() {
        assert!(fd < slots.limit() as i32);
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert_eq!(target, PathBuf::from("/dev/null"), "slot {fd}");
    }
    drop(held);
    // Child-side failures still come back through the status pipe.
    let bad = run_with_slots(&plan("/nonexistent/x", &["x"]), &mut slots);
    assert_eq!(bad.exec_error.map(|e| e.0), Some(Stage::Exec));
    assert_eq!(bad.status, WaitStatus::Exited(127));
    assert!(bad.err.contains("couldn't exec"), "{}", bad.err);
}
