//! "Logs people can read" against real daemons: time-stamped child log lines (in the file and
//! through `supervisorctl tail`), `rotate` now, the mode and owner of created and rotated
//! logs, and `log_lifecycle` lines in the child's own log.

mod common;

use common::{wait_until, Daemon, TestDir};
use std::fs;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

fn conf(dir: &TestDir, supervisord_extra: &str, programs: &str) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\n{supervisord_extra}\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n{programs}"
    )
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_default()
}

/// `2026-12-04T18:15:27.123+01:00 ` at the start of `line`: the rest of the line, or None.
fn after_stamp(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    if b.len() < 30 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && (b[23] == b'+' || b[23] == b'-')
        && digits(24..26)
        && b[26] == b':'
        && digits(27..29)
        && b[29] == b' ';
    ok.then(|| &line[30..])
}

#[test]
fn stamps_every_line_and_continues_partial_lines() {
    let dir = TestDir::new();
    let out = dir.join("ts.log");
    let plain = dir.join("plain.log");
    // `printf part; sleep; printf ial` makes one line from two writes (two reads).
    let script = "printf 'one\\ntwo\\npart'; sleep 0.3; printf 'ial\\n'; printf 'err\\n' >&2; \
                  printf 'done\\n'; exec sleep 1000";
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "",
            &format!(
                "[program:ts]\ncommand=sh -c \"{script}\"\nstdout_logfile={}\n\
                 stdout_logfile_timestamps=true\nstderr_logfile={}\nstartsecs=0\n\
                 [program:plain]\ncommand=sh -c 'printf \"a\\nb\"; exec sleep 1000'\n\
                 stdout_logfile={}\nstartsecs=0\n",
                out.display(),
                dir.join("ts.err").display(),
                plain.display()
            ),
        ),
    );
    assert!(
        wait_until(T, || read(&out).contains("done\n")),
        "{}",
        read(&out)
    );
    let text = read(&out);
    let rest: Vec<&str> = text
        .lines()
        .map(|l| after_stamp(l).unwrap_or("UNSTAMPED"))
        .collect();
    assert_eq!(rest, ["one", "two", "partial", "done"], "{text}");
    // stderr has no key: as today.
    assert!(wait_until(T, || read(&dir.join("ts.err")) == "err\n"));
    // Without the key, bytes are exactly what the child wrote.
    assert!(
        wait_until(T, || read(&plain) == "a\nb"),
        "{:?}",
        read(&plain)
    );
    // The stamps are part of the log: tail shows them.
    let (tail, code) = d.ctl(&["tail", "ts"]);
    assert_eq!(code, 0);
    assert!(
        tail.lines().any(|l| after_stamp(l) == Some("partial")),
        "{tail}"
    );
    // ... and so does `tail -f`, which follows the same bytes.
    let mut follow = std::process::Command::new(common::supervisorctl_bin())
        .arg("-c")
        .arg(&d.conf)
        .args(["tail", "-f", "ts"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = follow.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if seen.lines().any(|l| after_stamp(l) == Some("done")) {
                let _ = tx.send(seen.clone());
            }
        }
    });
    let got = rx.recv_timeout(T);
    let _ = follow.kill();
    let _ = follow.wait();
    assert!(got.is_ok(), "tail -f showed no stamped line");
}

#[test]
fn supervisord_default_and_program_override() {
    let dir = TestDir::new();
    let a = dir.join("a.log");
    let b = dir.join("b.log");
    let _d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "logfile_timestamps=true",
            &format!(
                "[program:a]\ncommand=sh -c 'echo hello; exec sleep 1000'\nstdout_logfile={}\nstartsecs=0\n\
                 [program:b]\ncommand=sh -c 'echo hello; exec sleep 1000'\nstdout_logfile={}\n\
                 stdout_logfile_timestamps=false\nstartsecs=0\n",
                a.display(),
                b.display()
            ),
        ),
    );
    assert!(
        wait_until(T, || read(&a).ends_with("hello\n")),
        "{}",
        read(&a)
    );
    assert_eq!(after_stamp(read(&a).trim_end()), Some("hello"));
    assert!(wait_until(T, || read(&b) == "hello\n"), "{:?}", read(&b));
}

#[test]
fn rotate_now_honours_backups_and_reports_like_other_commands() {
    let dir = TestDir::new();
    let log = dir.join("r.log");
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "",
            &format!(
                "[program:r]\ncommand=sh -c 'echo first; exec sleep 1000'\nstdout_logfile={}\n\
                 stdout_logfile_maxbytes=0\nstdout_logfile_backups=2\nstartsecs=0\n\
                 [program:quiet]\ncommand=/bin/sleep 1000\nstdout_logfile=NONE\n\
                 stderr_logfile=NONE\nstartsecs=0\n",
                log.display()
            ),
        ),
    );
    assert!(wait_until(T, || read(&log) == "first\n"), "{}", d.log());
    let (out, code) = d.ctl(&["rotate", "r"]);
    assert_eq!((out.as_str(), code), ("r: rotated\n", 0));
    assert_eq!(read(&dir.join("r.log.1")), "first\n");
    assert_eq!(read(&log), "");
    // The running child's next line goes to the fresh file.
    d.ctl(&["restart", "r"]);
    assert!(wait_until(T, || read(&log) == "first\n"), "{}", read(&log));
    for _ in 0..3 {
        fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"x\n"))
            .unwrap();
        let (out, code) = d.ctl(&["rotate", "all"]);
        // `all` takes only processes with a log file: `quiet` is left out.
        assert_eq!((out.as_str(), code), ("r: rotated\n", 0));
    }
    assert!(dir.join("r.log.2").exists());
    assert!(!dir.join("r.log.3").exists(), "backups=2 keeps two");
    // An empty log is left alone.
    let (out, _) = d.ctl(&["rotate", "r"]);
    assert_eq!(out, "r: rotated\n");
    assert!(!dir.join("r.log.3").exists());
    let (out, code) = d.ctl(&["rotate", "nosuch"]);
    assert_eq!(
        (out.as_str(), code),
        ("nosuch: ERROR (no such process)\n", 1)
    );
    let (out, code) = d.ctl(&["rotate", "quiet"]);
    assert_eq!(
        (out.as_str(), code),
        ("quiet: ERROR (no log file to rotate)\n", 1)
    );
    let (out, code) = d.ctl(&["rotate"]);
    assert!(
        out.starts_with("Error: rotate requires a process name"),
        "{out}"
    );
    assert_eq!(code, 1);
}

#[test]
fn rotate_of_a_stopped_process_and_of_no_backups() {
    let dir = TestDir::new();
    let log = dir.join("s.log");
    let t = dir.join("t.log");
    fs::write(&log, "old\n").unwrap();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "",
            &format!(
                "[program:s]\ncommand=/bin/sleep 1000\nautostart=false\nstdout_logfile={}\n\
                 [program:t]\ncommand=sh -c 'echo hi; exec sleep 1000'\nstdout_logfile={}\n\
                 stdout_logfile_backups=0\nstartsecs=0\n",
                log.display(),
                t.display()
            ),
        ),
    );
    assert!(wait_until(T, || read(&t) == "hi\n"), "{}", d.log());
    let (out, code) = d.ctl(&["rotate", "s", "t"]);
    assert_eq!((out.as_str(), code), ("s: rotated\nt: rotated\n", 0));
    assert_eq!(read(&dir.join("s.log.1")), "old\n");
    // No backups: truncated, as a size-triggered rotation would.
    assert_eq!(read(&t), "");
    assert!(!dir.join("t.log.1").exists());
}

#[test]
fn rotate_never_touches_a_special_file() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "",
            "[program:dev]\ncommand=/bin/sleep 1000\nstdout_logfile=/dev/null\n\
             stderr_logfile=NONE\nstartsecs=0\n",
        ),
    );
    assert!(d.wait_log("spawned: 'dev'", T), "{}", d.log());
    let (out, code) = d.ctl(&["rotate", "dev"]);
    assert_eq!(
        (out.as_str(), code),
        ("dev: ERROR (no log file to rotate)\n", 1)
    );
    let (out, code) = d.ctl(&["rotate", "all"]);
    assert_eq!((out.as_str(), code), ("", 0));
    assert!(Path::new("/dev/null").exists());
}

#[test]
fn mode_is_exact_on_created_and_rotated_files() {
    let dir = TestDir::new();
    let log = dir.join("m.log");
    let deflt = dir.join("d.log");
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "",
            &format!(
                "[program:m]\ncommand=sh -c 'echo m; exec sleep 1000'\nstdout_logfile={}\n\
                 stdout_logfile_mode=0664\nstartsecs=0\n\
                 [program:d]\ncommand=sh -c 'echo d; exec sleep 1000'\nstdout_logfile={}\n\
                 startsecs=0\n",
                log.display(),
                deflt.display()
            ),
        ),
    );
    assert!(wait_until(T, || read(&log) == "m\n" && read(&deflt) == "d\n"));
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    // Exactly 0664 whatever the umask (the daemon inherits ours, 022 or so); without the
    // key, 0666 minus the umask, as today.
    let probe = dir.join("probe");
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o666)
        .open(&probe)
        .unwrap();
    assert_eq!(mode(&log), 0o664);
    assert_eq!(mode(&deflt), mode(&probe));
    let (out, _) = d.ctl(&["rotate", "m"]);
    assert_eq!(out, "m: rotated\n");
    assert_eq!(mode(&dir.join("m.log.1")), 0o664);
    assert_eq!(mode(&log), 0o664, "the fresh file is born with it");
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn owner_on_created_and_rotated_files() {
    let dir = TestDir::new();
    let log = dir.join("o.log");
    let err = dir.join("o.err");
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "",
            &format!(
                "[program:o]\ncommand=sh -c 'echo out; echo err >&2; exec sleep 1000'\n\
                 stdout_logfile={}\nstdout_logfile_owner=nobody\n\
                 stderr_logfile={}\nstderr_logfile_owner=daemon:nogroup\nstderr_logfile_mode=0600\n\
                 startsecs=0\n",
                log.display(),
                err.display()
            ),
        ),
    );
    assert!(
        wait_until(T, || read(&log) == "out\n" && read(&err) == "err\n"),
        "{}",
        d.log()
    );
    let ids = |p: &Path| {
        let m = fs::metadata(p).unwrap();
        (m.uid(), m.gid())
    };
    // `user` alone: that user's primary group.
    assert_eq!(ids(&log), (65534, 65534));
    assert_eq!(ids(&err), (1, 65534));
    let (out, _) = d.ctl(&["rotate", "o"]);
    assert_eq!(out, "o: rotated\n");
    for p in [dir.join("o.log.1"), log.clone()] {
        assert_eq!(ids(&p), (65534, 65534), "{}", p.display());
    }
    assert_eq!(ids(&dir.join("o.err.1")), (1, 65534));
    assert_eq!(ids(&err), (1, 65534));
    assert_eq!(
        fs::metadata(&err).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn lifecycle_lines_go_into_the_child_log_after_its_partial_line() {
    let dir = TestDir::new();
    let log = dir.join("l.log");
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "",
            &format!(
                "[program:l]\ncommand=sh -c 'printf \"no newline\"; exit 3'\nstdout_logfile={}\n\
                 log_lifecycle=true\nstartsecs=0\nautorestart=false\n",
                log.display()
            ),
        ),
    );
    assert!(
        wait_until(T, || read(&log)
            .contains("exited: l (exit status 3; not expected)")),
        "{}\n{}",
        read(&log),
        d.log()
    );
    let text = read(&log);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    // `2026-12-04 18:15:27,123 INFO spawned: 'l' with pid N`
    let body = |l: &str| l.get(24..).unwrap_or("").to_string();
    assert!(
        body(lines[0]).starts_with("INFO spawned: 'l' with pid "),
        "{text}"
    );
    assert!(
        body(lines[1]).starts_with("INFO success: l entered RUNNING state"),
        "{text}"
    );
    assert_eq!(lines[2], "no newline");
    assert_eq!(
        body(lines[3]),
        "WARN exited: l (exit status 3; not expected)"
    );
    assert!(text.ends_with('\n'));
    // The activity log has them as always.
    assert!(d.log().contains("exited: l (exit status 3; not expected)"));
}

#[test]
fn lifecycle_lines_of_a_program_that_cannot_start() {
    let dir = TestDir::new();
    let log = dir.join("n.log");
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "",
            &format!(
                "[program:n]\ncommand=/nonexistent/cmd\nstdout_logfile={}\nlog_lifecycle=true\n\
                 startretries=0\n",
                log.display()
            ),
        ),
    );
    assert!(
        wait_until(T, || read(&log).contains("gave up: n entered FATAL state")),
        "{}\n{}",
        read(&log),
        d.log()
    );
    let text = read(&log);
    assert!(
        text.contains(" INFO spawnerr: can't find command '/nonexistent/cmd'\n"),
        "{text}"
    );
    // Not running: the log is not held open.
    let fds: Vec<_> = fs::read_dir(format!("/proc/{}/fd", d.pid()))
        .unwrap()
        .filter_map(|e| fs::read_link(e.unwrap().path()).ok())
        .collect();
    assert!(!fds.contains(&log), "{fds:?}");
}
