//! `supervisord --upgrade`: the daemon execs the binary at its own path (replaced under it,
//! as a package manager does), keeping its pid, its children, their pipes and its sockets.
//! No child is restarted, no output byte is lost or doubled, children that exit meanwhile
//! are reaped, and a failed exec leaves the old daemon running.

mod common;

use common::{supervisord_bin, wait_until, Daemon, TestDir};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

/// One test at a time: a binary being written while another test's thread forks stays open
/// in that child until it execs, and executing the file meanwhile fails with ETXTBSY.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Copies the built supervisord into `dir/bin/supervisord`.
fn install(dir: &TestDir) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let path = bin.join("supervisord");
    fs::copy(supervisord_bin(), &path).unwrap();
    path
}

/// Replaces the binary the way package managers do: a copy under a temporary name, then a
/// rename over the old name (the running image's file is unlinked, not overwritten).
fn replace(path: &Path, with: &Path, mode: u32) {
    let tmp = path.with_file_name(".supervisord.new");
    fs::copy(with, &tmp).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)).unwrap();
    fs::rename(&tmp, path).unwrap();
}

fn conf(dir: &TestDir) -> String {
    let d = dir.s();
    // Numbered lines as fast as the shell goes, on stdout and on stderr.
    let counter = |fd: &str| format!("/bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i{fd}; done'");
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:out]\ncommand={}\nstdout_logfile={d}/out.log\nstdout_logfile_maxbytes=0\n\
         startsecs=0\n\n\
         [program:err]\ncommand={}\nstderr_logfile={d}/err.log\nstderr_logfile_maxbytes=0\n\
         stdout_logfile=NONE\nstartsecs=0\n\n\
         [program:blink]\ncommand=/bin/sleep 0.1\nstartsecs=0\nautorestart=true\n\
         stdout_logfile=NONE\nstderr_logfile=NONE\n\n\
         [program:idle]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
        counter(""),
        counter(" >&2"),
    )
}

/// `(pid, uptime seconds)` of a RUNNING process from `status`.
fn pid_uptime(d: &Daemon, name: &str) -> Option<(i32, u64)> {
    let (out, _) = d.ctl(&["status", name]);
    let w: Vec<&str> = out.split_whitespace().collect();
    if w.get(1) != Some(&"RUNNING") {
        return None;
    }
    let pid = w.get(3)?.trim_end_matches(',').parse().ok()?;
    let mut secs = 0;
    for part in w.get(5)?.trim_end_matches(',').split(':') {
        secs = secs * 60 + part.parse::<u64>().ok()?;
    }
    Some((pid, secs))
}

/// The numbers of a counter's log: 1, 2, 3... with no gap and no repeat (the last line may
/// be cut short by the stop).
fn check_sequence(path: &Path) -> u64 {
    let text = fs::read_to_string(path).unwrap();
    let mut expect = 1u64;
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    for l in &lines {
        let n: u64 = l
            .parse()
            .unwrap_or_else(|_| panic!("{}: bad line {l:?}", path.display()));
        assert_eq!(
            n,
            expect,
            "{}: gap or repeat at line {expect}",
            path.display()
        );
        expect += 1;
    }
    expect - 1
}

fn zombies_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.first() == Some(&"Z") && f.get(1).and_then(|pp| pp.parse().ok()) == Some(pid) {
            out.push(p);
        }
    }
    out
}

fn upgrade(bin: &Path, conf: &Path) -> (String, String, i32) {
    let out = Command::new(bin)
        .arg("-c")
        .arg(conf)
        .arg("--upgrade")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn upgrade_in_place_keeps_pids_children_and_every_byte() {
    let _serial = serial();
    let dir = TestDir::new();
    let bin = install(&dir);
    let conf = dir.write("supervisord.conf", &conf(&dir));
    let d = Daemon::start_bin(bin.to_str().unwrap(), &dir, &conf, &["-n"], &[]);
    let names = ["out", "err", "idle"];
    // Up for at least 2 s, so a reset uptime would show.
    assert!(
        wait_until(T, || names
            .iter()
            .all(|n| pid_uptime(&d, n).is_some_and(|(_, up)| up >= 2))),
        "{}",
        d.log()
    );
    let before: Vec<(i32, u64)> = names.iter().map(|n| pid_uptime(&d, n).unwrap()).collect();
    let (pid_text, _) = d.ctl(&["pid"]);
    assert_eq!(pid_text.trim(), d.pid().to_string());
    let out_len_before = fs::metadata(dir.join("out.log")).unwrap().len();
    let lines_before = fs::read(dir.join("out.log"))
        .unwrap()
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64;

    replace(&bin, Path::new(supervisord_bin()), 0o755);
    let (stdout, stderr, code) = upgrade(&bin, &conf);
    assert_eq!(code, 0, "{stdout}{stderr}\n{}", d.log());
    assert!(stdout.contains("upgrading"), "{stdout}");
    assert!(stdout.contains("supervisord upgraded in place"), "{stdout}");
    assert!(
        d.wait_log(
            &format!(
                "supervisord upgraded in place (pid {}, 4 processes taken over)",
                d.pid()
            ),
            T
        ),
        "{}",
        d.log()
    );

    // Same daemon, running the new file (the old one was unlinked by the rename).
    let (pid_text, code) = d.ctl(&["pid"]);
    assert_eq!((pid_text.trim(), code), (d.pid().to_string().as_str(), 0));
    let exe = fs::read_link(format!("/proc/{}/exe", d.pid())).unwrap();
    assert_eq!(exe, bin, "the daemon runs {}", exe.display());
    // Same children, uptimes not reset, nothing spawned again.
    for (n, (pid, up)) in names.iter().zip(&before) {
        let (pid2, up2) = pid_uptime(&d, n).unwrap_or_else(|| panic!("{n} not RUNNING"));
        assert_eq!(pid2, *pid, "{n} was restarted");
        assert!(up2 >= *up, "{n}: uptime {up2} after {up} before");
    }
    let log = d.log();
    let after = &log[log.find("upgraded in place").unwrap()..];
    for n in names {
        assert!(!after.contains(&format!("spawned: '{n}'")), "{log}");
    }
    // Output goes on into the same logs.
    assert!(
        wait_until(T, || fs::metadata(dir.join("out.log")).unwrap().len()
            > out_len_before + 100_000),
        "out.log stopped growing"
    );
    // The short-lived program goes on being reaped and restarted; no zombie stays.
    let spawned = |l: &str| l.matches("spawned: 'blink'").count();
    let blinks = spawned(&d.log());
    assert!(
        wait_until(T, || spawned(&d.log()) >= blinks + 3),
        "{}",
        d.log()
    );
    assert!(
        wait_until(T, || zombies_of(d.pid()).is_empty()),
        "zombies: {:?}",
        zombies_of(d.pid())
    );

    // Stop works, and every line is in the logs once, in order.
    let (out, code) = d.ctl(&["stop", "out", "err"]);
    assert_eq!(code, 0, "{out}");
    let n_out = check_sequence(&dir.join("out.log"));
    let n_err = check_sequence(&dir.join("err.log"));
    // The upgrade happened mid-stream: lines on both sides of it.
    assert!(n_out > lines_before, "{n_out} lines, {lines_before} before");
    assert!(n_err > 0);
    let (out, code) = d.ctl(&["status"]);
    assert_eq!(code, 3, "{out}"); // some processes are STOPPED
    assert!(
        out.contains("idle                             RUNNING"),
        "{out}"
    );
}

#[test]
fn a_failed_exec_leaves_the_daemon_running() {
    let _serial = serial();
    let dir = TestDir::new();
    let bin = install(&dir);
    let deaf = "[program:deaf]\ncommand=/bin/sh -c 'exec 0<&-; exec sleep 1000'\nstartsecs=0\n";
    let conf = dir.write("supervisord.conf", &format!("{}\n{deaf}", conf(&dir)));
    let d = Daemon::start_bin(bin.to_str().unwrap(), &dir, &conf, &["-n"], &[]);
    assert!(
        wait_until(T, || pid_uptime(&d, "idle").is_some()),
        "{}",
        d.log()
    );
    let (idle, _) = pid_uptime(&d, "idle").unwrap();
    // A config changed on disk and not applied is refused: the new image would build
    // another table.
    let text = fs::read_to_string(&conf).unwrap();
    fs::write(
        &conf,
        format!("{text}\n[program:new]\ncommand=/bin/sleep 1000\n"),
    )
    .unwrap();
    let (stdout, stderr, code) = upgrade(&bin, &conf);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("ERROR: cannot upgrade: the configuration changed"),
        "{stdout}"
    );
    fs::write(&conf, text).unwrap();
    // Not executable: the exec fails with EACCES. The client runs from the build.
    replace(&bin, Path::new(supervisord_bin()), 0o644);
    let (stdout, stderr, code) = upgrade(Path::new(supervisord_bin()), &conf);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("ERROR: upgrade failed: cannot exec"),
        "{stdout}"
    );
    assert!(
        d.log().contains("upgrade failed: cannot exec"),
        "{}",
        d.log()
    );
    // Text for a child that closed its stdin: the daemon's write fails with EPIPE (std's
    // exec had reset SIGPIPE, which would kill it).
    let mut s = std::os::unix::net::UnixStream::connect(dir.join("s.sock")).unwrap();
    std::io::Write::write_all(&mut s, b"sendstdin deaf hello\n").unwrap();
    let mut reply = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut reply);
    assert_eq!(
        reply,
        "deaf: ERROR (stdin is closed)\n.NO_FILE 1\n",
        "{}",
        d.log()
    );
    // Still the same daemon with the same children, answering.
    assert_eq!(pid_uptime(&d, "idle").map(|p| p.0), Some(idle));
    let (out, code) = d.ctl(&["stop", "out"]);
    assert_eq!(code, 0, "{out}");
    check_sequence(&dir.join("out.log"));
    // And a good binary afterwards upgrades.
    replace(&bin, Path::new(supervisord_bin()), 0o755);
    let (stdout, stderr, code) = upgrade(Path::new(supervisord_bin()), &conf);
    assert_eq!(code, 0, "{stdout}{stderr}\n{}", d.log());
    assert_eq!(pid_uptime(&d, "idle").map(|p| p.0), Some(idle));
}

/// A `ready=notify` program: READY, then, once `go` exists, a new STATUS.
const NOTIFY_PY: &str = r#"
import os, socket, sys, time
a = os.environ["NOTIFY_SOCKET"]
if a.startswith("@"):
    a = "\0" + a[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1\nSTATUS=before the upgrade", a)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
s.sendto(b"STATUS=after the upgrade", a)
time.sleep(1000)
"#;

#[test]
fn a_notify_socket_and_status_survive_the_upgrade() {
    let _serial = serial();
    let dir = TestDir::new();
    let bin = install(&dir);
    dir.write("notify.py", NOTIFY_PY);
    let d_ = dir.s();
    let conf = dir.write(
        "supervisord.conf",
        &format!(
            "[unix_http_server]\nfile={d_}/s.sock\n\n\
             [supervisord]\nlogfile={d_}/supervisord.log\npidfile={d_}/sd.pid\n\
             childlogdir={d_}\n\n\
             [supervisorctl]\nserverurl=unix://{d_}/s.sock\n\n\
             [program:worker]\ncommand=python3 {d_}/notify.py {d_}/go\nready=notify\n"
        ),
    );
    let d = Daemon::start_bin(bin.to_str().unwrap(), &dir, &conf, &["-n"], &[]);
    let status = || d.ctl(&["status", "worker"]).0;
    assert!(
        wait_until(T, || status().contains("before the upgrade")),
        "{}\n{}",
        status(),
        d.log()
    );
    let (pid, _) = pid_uptime(&d, "worker").unwrap_or_else(|| panic!("{}", status()));
    replace(&bin, Path::new(supervisord_bin()), 0o755);
    let (stdout, stderr, code) = upgrade(&bin, &conf);
    assert_eq!(code, 0, "{stdout}{stderr}\n{}", d.log());
    // The status note came across; the socket still hears the child.
    assert!(status().contains("before the upgrade"), "{}", status());
    fs::write(dir.join("go"), "").unwrap();
    assert!(
        wait_until(T, || status().contains("after the upgrade")),
        "{}\n{}",
        status(),
        d.log()
    );
    assert_eq!(pid_uptime(&d, "worker").map(|p| p.0), Some(pid));
}
