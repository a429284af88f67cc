//! Child output capture against the real daemon: log paths, AUTO names and cleanup, NONE,
//! redirect_stderr, rotation, strip_ansi, syslog, /dev/stdout, no lost bytes, a full disk.

mod common;

use common::{kill, wait_until, Daemon, TestDir};
use std::fs;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn base(dir: &TestDir) -> String {
    let d = dir.s();
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\n\n"
    )
}

fn files_starting(dir: &TestDir, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(&dir.path)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}

#[test]
fn auto_logs_are_named_like_the_reference_and_old_ones_cleaned() {
    let dir = TestDir::new();
    dir.write("old-stdout---supervisor-abcdefgh.log", "stale");
    dir.write("old-stdout---supervisor-abcdefgh.log.3", "stale");
    dir.write("keep.log", "mine");
    let d = Daemon::start(
        &dir,
        &format!(
            "{}[program:auto]\ncommand=sh -c 'echo out; echo err >&2; sleep 1000'\nstartsecs=0\n",
            base(&dir)
        ),
    );
    assert!(d.wait_log("success: auto", T));
    assert!(
        files_starting(&dir, "old-").is_empty(),
        "stale AUTO logs removed"
    );
    assert!(dir.join("keep.log").exists());
    let out = files_starting(&dir, "auto-stdout---supervisor-");
    let err = files_starting(&dir, "auto-stderr---supervisor-");
    assert_eq!((out.len(), err.len()), (1, 1), "{out:?} {err:?}");
    let suffix = out[0]
        .trim_start_matches("auto-stdout---supervisor-")
        .trim_end_matches(".log");
    assert_eq!(suffix.len(), 8, "{}", out[0]);
    assert!(wait_until(T, || fs::read_to_string(dir.join(&out[0]))
        .unwrap()
        == "out\n"));
    assert!(wait_until(T, || fs::read_to_string(dir.join(&err[0]))
        .unwrap()
        == "err\n"));
}

#[test]
fn nocleanup_keeps_old_auto_logs() {
    let dir = TestDir::new();
    dir.write("old-stdout---supervisor-abcdefgh.log", "stale");
    let d = Daemon::start(
        &dir,
        &format!(
            "{}nocleanup=true\n[program:x]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
            base(&dir)
        ),
    );
    assert!(d.wait_log("success: x", T));
    assert_eq!(files_starting(&dir, "old-").len(), 1);
}

#[test]
fn none_and_redirect_stderr() {
    let dir = TestDir::new();
    let out = dir.join("both.log");
    let d = Daemon::start(
        &dir,
        &format!(
            "{}[program:r]\ncommand=sh -c 'echo one; echo two >&2; sleep 1000'\nstartsecs=0\n\
             redirect_stderr=true\nstdout_logfile={}\n\
             [program:n]\ncommand=sh -c 'echo lost; sleep 1000'\nstartsecs=0\n\
             stdout_logfile=NONE\nstderr_logfile=NONE\n",
            base(&dir),
            out.display()
        ),
    );
    assert!(wait_until(T, || fs::read_to_string(&out)
        .is_ok_and(|s| s.contains("one\n") && s.contains("two\n"))));
    assert!(d.wait_log("success: n", T));
    assert!(
        files_starting(&dir, "n-").is_empty(),
        "NONE creates no file"
    );
    assert!(
        files_starting(&dir, "r-stderr").is_empty(),
        "no stderr log when redirected"
    );
}

#[test]
fn rotation_keeps_backups_bounded() {
    let dir = TestDir::new();
    let out = dir.join("rot.log");
    // 40 lines of 100 bytes = 4000 bytes through a 1 KB log with 2 backups.
    let d = Daemon::start(
        &dir,
        &format!(
            "{}[program:rot]\ncommand=sh -c 'i=0; while [ $i -lt 40 ]; do printf \"%%099d\\n\" $i; i=$((i+1)); sleep 0.01; done; sleep 1000'\n\
             startsecs=0\nstdout_logfile={}\nstdout_logfile_maxbytes=1KB\nstdout_logfile_backups=2\n",
            base(&dir),
            out.display()
        ),
    );
    let last = format!("{:099}\n", 39);
    let all = || {
        ["rot.log.2", "rot.log.1", "rot.log"]
            .iter()
            .map(|n| fs::read_to_string(dir.join(n)).unwrap_or_default())
            .collect::<String>()
    };
    assert!(wait_until(T, || all().ends_with(&last)), "{}", d.log());
    assert_eq!(
        files_starting(&dir, "rot.log"),
        ["rot.log", "rot.log.1", "rot.log.2"]
    );
    for name in ["rot.log.1", "rot.log.2"] {
        let len = fs::metadata(dir.join(name)).unwrap().len();
        // A file may exceed maxbytes by at most one write.
        assert!((1024..1024 + 4096).contains(&len), "{name}: {len}");
    }
}

#[test]
fn strip_ansi_removes_escape_sequences() {
    let dir = TestDir::new();
    let out = dir.join("plain.log");
    let _d = Daemon::start(
        &dir,
        &format!(
            "{}strip_ansi=true\n[program:colour]\ncommand=printf '\\033[31mred\\033[0m plain\\n'\n\
             startsecs=0\nautorestart=false\nstdout_logfile={}\n",
            base(&dir),
            out.display()
        ),
    );
    assert!(wait_until(T, || fs::read_to_string(&out)
        .is_ok_and(|s| s == "red plain\n")));
}

#[test]
fn syslog_gets_one_datagram_per_line() {
    let dir = TestDir::new();
    let sock_path = dir.join("log.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(T)).unwrap();
    let conf = dir.write(
        "supervisord.conf",
        &format!(
            "{}[program:sys]\ncommand=sh -c 'echo alpha; echo beta; sleep 1000'\nstartsecs=0\n\
             stdout_syslog=true\n",
            base(&dir)
        ),
    );
    let mut child = Command::new(common::supervisord_bin())
        .args(["-n", "-c"])
        .arg(&conf)
        .env("SVTEST_ID", dir.s())
        .env("SUPERVISOR_SYSLOG_SOCKET", &sock_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < 2 {
        match sock.recv(&mut buf) {
            Ok(n) => got.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(_) => break,
        }
    }
    kill(child.id() as i32, "TERM");
    let _ = child.wait();
    for p in common::pids_with_marker(&dir.s()) {
        kill(p, "KILL");
    }
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].ends_with("sys alpha"), "{got:?}");
    assert!(got[1].ends_with("sys beta"), "{got:?}");
    assert!(got[0].starts_with("<14>"), "{got:?}");
}

#[test]
fn dev_stdout_is_never_rotated_in_the_foreground() {
    let dir = TestDir::new();
    let conf = dir.write(
        "supervisord.conf",
        &format!(
            "{}silent=true\n[program:out]\ncommand=sh -c 'i=0; while [ $i -lt 30 ]; do printf \"%%099d\\n\" $i; i=$((i+1)); done; sleep 1000'\n\
             startsecs=0\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=1KB\n",
            base(&dir)
        ),
    );
    // The harness points the daemon's stdout at the regular file daemon.stdout: /dev/stdout
    // must still never be rotated.
    let mut d = Daemon::start_with(&dir, &conf, &["-n"]);
    let cap = dir.join("daemon.stdout");
    let last = format!("{:099}\n", 29);
    assert!(
        wait_until(T, || fs::read_to_string(&cap)
            .is_ok_and(|s| s.ends_with(&last))),
        "{}",
        d.log()
    );
    let log = d.log();
    assert!(!log.contains("Illegal seek"), "{log}");
    assert_eq!(log.matches("is not a regular file").count(), 1, "{log}");
    assert_eq!(fs::read_to_string(&cap).unwrap().len(), 30 * 100);
    kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0));
}

/// FNV-1a, to compare what a child wrote with what the log holds.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}

#[test]
fn no_byte_is_lost_when_a_child_exits_or_is_killed() {
    let dir = TestDir::new();
    let src = dir.join("payload.bin");
    // 3 MB of varied bytes.
    let payload: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(&src, &payload).unwrap();
    let exits = dir.join("exits.log");
    let killed = dir.join("killed.log");
    let d = Daemon::start(
        &dir,
        &format!(
            "{}[program:exits]\ncommand=cat {src}\nstartsecs=0\nautorestart=false\n\
             stdout_logfile={e}\nstdout_logfile_maxbytes=0\n\
             [program:killed]\ncommand=sh -c 'cat {src}; kill -9 $$'\nstartsecs=0\nautorestart=false\n\
             stdout_logfile={k}\nstdout_logfile_maxbytes=0\n",
            base(&dir),
            src = src.display(),
            e = exits.display(),
            k = killed.display()
        ),
    );
    assert!(d.wait_log("exited: exits (exit status 0", T), "{}", d.log());
    assert!(
        d.wait_log("exited: killed (terminated by SIGKILL", T),
        "{}",
        d.log()
    );
    // The exit is logged only after the pipe was drained: the file is complete now.
    for f in [&exits, &killed] {
        let got = fs::read(f).unwrap();
        assert_eq!(got.len(), payload.len(), "{}", f.display());
        assert_eq!(fnv(&got), fnv(&payload), "{}", f.display());
    }
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")] // to mount a tmpfs
fn a_full_disk_drops_output_and_resumes() {
    assert_eq!(
        supervisor::sys::proc::geteuid(),
        0,
        "built as root, run as root"
    );
    let dir = TestDir::new();
    let mnt = dir.join("small");
    fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!("skipped: cannot mount tmpfs here");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _u = Unmount(mnt.clone());
    let filler = mnt.join("filler");
    let out = mnt.join("out.log");
    let d = Daemon::start(
        &dir,
        &format!(
            "{}[program:chatty]\ncommand=sh -c 'while true; do echo 0123456789abcdef0123456789abcdef; sleep 0.01; done'\n\
             startsecs=0\nstdout_logfile={}\nstdout_logfile_maxbytes=0\n\
             [program:other]\ncommand=/bin/sleep 1000\nstartsecs=1\n",
            base(&dir),
            out.display()
        ),
    );
    assert!(wait_until(T, || out.exists()));
    // Fill the disk.
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k", "count=1000"])
        .arg(format!("of={}", filler.display()))
        .stderr(Stdio::null())
        .status();
    assert!(d.wait_log("ENOSPC", T), "{}", d.log());
    // Supervision goes on: the other program still reaches RUNNING.
    assert!(d.wait_log("success: other", T), "{}", d.log());
    fs::remove_file(&filler).unwrap();
    assert!(d.wait_log("bytes were lost", T), "{}", d.log());
    let log = d.log();
    assert_eq!(log.matches("ENOSPC").count(), 1, "one CRIT line: {log}");
}

#[test]
fn the_activity_log_rotates_too() {
    let dir = TestDir::new();
    let d = dir.s();
    let daemon = Daemon::start(
        &dir,
        &format!(
            "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n\
             logfile_maxbytes=2KB\nlogfile_backups=2\n\
             [program:blip]\ncommand=/bin/true\nstartsecs=0\nautorestart=true\n"
        ),
    );
    assert!(wait_until(T, || dir.join("supervisord.log.2").exists()));
    assert!(!dir.join("supervisord.log.3").exists());
    let len = fs::metadata(dir.join("supervisord.log.1")).unwrap().len();
    assert!((2048..2048 + 512).contains(&len), "backup size {len}");
    drop(daemon);
}

#[test]
fn a_flooding_child_does_not_starve_the_others() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &format!(
            "{}[program:flood]\ncommand=sh -c 'exec cat /dev/zero'\nstartsecs=0\n\
             stdout_logfile=/dev/null\n\
             [program:calm]\ncommand=/bin/sleep 1000\nstartsecs=1\n",
            base(&dir)
        ),
    );
    // The timer of `calm` still fires while `flood` keeps the pipe full.
    assert!(d.wait_log("success: calm", T), "{}", d.log());
    // And SIGTERM is still handled promptly.
    let mut d = d;
    kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0));
}
