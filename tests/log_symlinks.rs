//! Log files never follow a symbolic link at their own name: a link planted at a fixed
//! log path, at a rotation name, or in place of a log renamed away before `clear` or
//! SIGUSR2 never lets the daemon write to or truncate the file it points at. Also: AUTO
//! logs keep mode 0600 across rotation, and a log directory others may write to without
//! the sticky bit is warned about.

mod common;

use common::{kill, wait_until, Daemon, TestDir};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use supervisor::logfile::{LogEvent, LogFile};

const T: Duration = Duration::from_secs(15);
const VICTIM: &str = "precious data\n";

fn victim(d: &TestDir) -> std::path::PathBuf {
    d.write("victim", VICTIM)
}

fn assert_untouched(p: &Path) {
    assert_eq!(fs::read_to_string(p).unwrap(), VICTIM, "{}", p.display());
}

fn is_link(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

#[test]
fn a_link_at_the_log_name_is_refused() {
    let d = TestDir::new();
    let v = victim(&d);
    let f = d.join("a.log");
    symlink(&v, &f).unwrap();
    let e = LogFile::open(&f, 0, 0).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
    // A dangling link is not followed either (no file gets created at its target).
    let g = d.join("b.log");
    symlink(d.join("created"), &g).unwrap();
    assert!(LogFile::open(&g, 0, 0).is_err());
    assert!(!d.join("created").exists());
    assert_untouched(&v);
    // The special stream paths still open (`/dev/stdout` is itself a link into /proc).
    let null = LogFile::open("/dev/null", 0, 0).unwrap();
    assert!(null.is_special());
}

#[test]
fn rotation_moves_a_planted_backup_link_and_never_writes_through_it() {
    let d = TestDir::new();
    let v = victim(&d);
    let f = d.join("a.log");
    symlink(&v, d.join("a.log.1")).unwrap();
    symlink(&v, d.join("a.log.2")).unwrap();
    let mut log = LogFile::open(&f, 5, 3).unwrap();
    for _ in 0..4 {
        assert_eq!(log.write(b"123456"), vec![]);
    }
    assert_untouched(&v);
    assert_eq!(fs::read_to_string(d.join("a.log.1")).unwrap(), "123456");
    assert!(!is_link(&f));
}

#[test]
fn truncation_without_backups_truncates_the_open_file_not_the_name() {
    let d = TestDir::new();
    let v = victim(&d);
    let f = d.join("a.log");
    let mut log = LogFile::open(&f, 10, 0).unwrap();
    assert_eq!(log.write(b"12345"), vec![]);
    // Renamed away, and a link planted at the name: the next rotation (a truncation, made
    // before the write that would cross maxbytes) must not reopen the name with O_TRUNC.
    fs::rename(&f, d.join("moved")).unwrap();
    symlink(&v, &f).unwrap();
    assert_eq!(log.write(b"678901"), vec![]);
    assert_eq!(log.size(), 6);
    assert_eq!(log.write(b"ab"), vec![]);
    assert_untouched(&v);
    assert_eq!(fs::read_to_string(d.join("moved")).unwrap(), "678901ab");
}

#[test]
fn rotation_racing_a_planter_never_touches_the_victim() {
    let d = TestDir::new();
    let v = victim(&d);
    let f = d.join("a.log");
    let mut log = LogFile::open(&f, 4, 1).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let planter = {
        let (v, f, stop) = (v.clone(), f.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut planted = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if symlink(&v, &f).is_ok() {
                    planted += 1;
                }
            }
            planted
        })
    };
    let mut refused = 0;
    for _ in 0..3000 {
        for ev in log.write(b"12345") {
            if matches!(ev, LogEvent::FreshFailed { .. }) {
                refused += 1;
                // What an admin would do: remove what was planted and reopen.
                let _ = fs::remove_file(&f);
                let _ = log.reopen();
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let planted = planter.join().unwrap();
    assert_untouched(&v);
    eprintln!("planted {planted} links, {refused} rotations refused one");
}

#[test]
fn clear_and_reopen_with_a_link_in_place_of_the_log() {
    let d = TestDir::new();
    let v = victim(&d);
    let f = d.join("a.log");
    let mut log = LogFile::open(&f, 0, 0).unwrap();
    assert_eq!(log.write(b"one\n"), vec![]);

    // SIGUSR2 after logrotate-style rename + plant: refused, output dropped.
    fs::rename(&f, d.join("a.log.old")).unwrap();
    symlink(&v, &f).unwrap();
    assert_eq!(log.reopen().unwrap_err().raw_os_error(), Some(libc::ELOOP));
    assert_eq!(
        log.write(b"two\n"),
        vec![LogEvent::WriteFailed {
            errno_name: "ELOOP"
        }]
    );
    assert_untouched(&v);

    // clear removes the link itself and creates a fresh file.
    log.clear().unwrap();
    assert!(!is_link(&f));
    assert_eq!(log.write(b"three\n").len(), 1); // Resumed
    assert_eq!(fs::read_to_string(&f).unwrap(), "three\n");
    assert_untouched(&v);
}

fn base(d: &TestDir, childlogdir: &Path) -> String {
    let s = d.s();
    format!(
        "[unix_http_server]\nfile={s}/s.sock\n\n\
         [supervisord]\nlogfile={s}/supervisord.log\npidfile={s}/sd.pid\n\
         childlogdir={}\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [supervisorctl]\nserverurl=unix://{s}/s.sock\n\n",
        childlogdir.display()
    )
}

const CHATTY: &str = "/bin/sh -c 'while :; do echo line; sleep 0.05; done'";

#[test]
fn daemon_refuses_a_planted_fixed_log_and_keeps_running() {
    let d = TestDir::new();
    let v = victim(&d);
    let logs = d.join("logs");
    fs::create_dir(&logs).unwrap();
    symlink(&v, logs.join("p.log")).unwrap();
    let conf = format!(
        "{}[program:p]\ncommand={CHATTY}\nstartsecs=0\nstdout_logfile={}\n\n\
         [program:q]\ncommand={CHATTY}\nstartsecs=0\nstdout_logfile={}\n",
        base(&d, &d.path),
        logs.join("p.log").display(),
        logs.join("q.log").display(),
    );
    let dm = Daemon::start(&d, &conf);
    assert!(dm.wait_log("success: q", T), "{}", dm.log());
    assert!(
        dm.wait_log("symbolic link; refusing to follow it", T),
        "{}",
        dm.log()
    );
    assert!(wait_until(T, || fs::read_to_string(logs.join("q.log"))
        .is_ok_and(|s| s.contains("line"))));
    assert_untouched(&v);
    let (out, _) = dm.ctl(&["status", "p"]);
    assert!(out.contains("RUNNING"), "{out}");
}

#[test]
fn clear_and_sigusr2_with_a_link_planted_in_place_of_the_log() {
    let d = TestDir::new();
    let v = victim(&d);
    let f = d.join("p.log");
    let conf = format!(
        "{}[program:p]\ncommand={CHATTY}\nstartsecs=0\nstdout_logfile={}\n",
        base(&d, &d.path),
        f.display()
    );
    let dm = Daemon::start(&d, &conf);
    assert!(wait_until(T, || fs::read_to_string(&f)
        .is_ok_and(|s| s.contains("line"))));

    // SIGUSR2 after rename-and-plant: the link is refused, the victim untouched.
    fs::rename(&f, d.join("p.log.old")).unwrap();
    symlink(&v, &f).unwrap();
    kill(dm.pid(), "USR2");
    assert!(
        dm.wait_log("cannot write stdout log of 'p'", T),
        "{}",
        dm.log()
    );
    assert!(dm.log().contains("ELOOP"), "{}", dm.log());
    std::thread::sleep(Duration::from_millis(300));
    assert_untouched(&v);

    // clear with the link still there: the link goes, a fresh file takes its place.
    let (out, _) = dm.ctl(&["clear", "p"]);
    assert!(out.contains("p: cleared"), "{out}");
    assert!(wait_until(T, || !is_link(&f)
        && fs::read_to_string(&f).is_ok_and(|s| s.contains("line"))));
    assert_untouched(&v);

    // Again: rename the fresh log away, plant, clear.
    fs::rename(&f, d.join("p.log.old2")).unwrap();
    symlink(&v, &f).unwrap();
    let (out, _) = dm.ctl(&["clear", "p"]);
    assert!(out.contains("p: cleared"), "{out}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!is_link(&f));
    assert_untouched(&v);
}

#[test]
fn auto_logs_stay_0600_across_rotation_and_loose_dirs_are_warned_about() {
    let d = TestDir::new();
    let cld = d.join("children");
    fs::create_dir(&cld).unwrap();
    fs::set_permissions(&cld, fs::Permissions::from_mode(0o777)).unwrap();
    let sticky = d.join("sticky");
    fs::create_dir(&sticky).unwrap();
    fs::set_permissions(&sticky, fs::Permissions::from_mode(0o1777)).unwrap();
    let conf = format!(
        "{}[program:a]\ncommand={CHATTY}\nstartsecs=0\nstdout_logfile_maxbytes=20\n\
         stdout_logfile_backups=2\nstderr_logfile={}/s.log\n",
        base(&d, &cld),
        sticky.display()
    );
    let dm = Daemon::start(&d, &conf);
    assert!(dm.wait_log("success: a", T), "{}", dm.log());
    let log = dm.log();
    let warned = |dir: &Path| {
        log.contains(&format!(
            "WARN log directory {} is writable by other users and not sticky",
            dir.display()
        ))
    };
    assert!(warned(&cld), "{log}");
    assert!(!warned(&sticky), "{log}");
    assert!(!warned(&d.path), "{log}");
    let rotated = || {
        fs::read_dir(&cld)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".log.1"))
            .map(|e| e.path())
    };
    assert!(wait_until(T, || rotated().is_some()), "{:?}", d.listing());
    let one = rotated().unwrap();
    let current = one.with_extension("");
    assert!(current.to_string_lossy().ends_with(".log"));
    for p in [&one, &current] {
        let mode = fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
}
