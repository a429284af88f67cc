//! Abuse the daemon must survive, kept in the suite: a 10 MB line, binary garbage and
//! CR/LF/NUL mixes, `tail -f` clients that never read, half-closed connections, 5000
//! connect/disconnects, HTTP with huge headers, SIGHUP/SIGUSR2 storms, SIGTERM during a
//! reload, 1000 idle clients, and a crash loop (no zombies, bounded descriptors and RSS). After each, the
//! daemon still answers. Everything is bounded in time and on loopback/unix sockets.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use common::{kill, wait_until, Daemon, TestDir};

const T: Duration = Duration::from_secs(20);

fn conf(dir: &TestDir, programs: &str) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:steady]\ncommand=/bin/sleep 1000\nstartsecs=0\n{programs}"
    )
}

fn connect(dir: &TestDir) -> UnixStream {
    let s = UnixStream::connect(dir.join("s.sock")).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// The daemon answers `status steady` with RUNNING.
fn answers(dir: &TestDir) -> bool {
    let Ok(mut s) = UnixStream::connect(dir.join("s.sock")) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(T));
    if s.write_all(b"status steady\n").is_err() {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.contains("RUNNING")
}

fn up(dir: &TestDir) {
    assert!(wait_until(T, || answers(dir)), "the daemon never answered");
}

fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn hostile_bytes_lines_and_connections() {
    let dir = TestDir::new();
    let _d = Daemon::start(&dir, &conf(&dir, ""));
    up(&dir);
    // A 10 MB line: refused, the connection closed, nothing buffered without bound.
    let mut s = connect(&dir);
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..10 {
        if s.write_all(&chunk).is_err() {
            break; // closed early: also fine
        }
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(
        String::from_utf8_lossy(&out).contains("BAD_ARGUMENTS") || out.is_empty(),
        "{}",
        String::from_utf8_lossy(&out[..out.len().min(200)])
    );
    assert!(answers(&dir));
    // Binary garbage and CR/LF/NUL mixes: an error reply or a close, never a crash.
    let mut seed: u32 = 0x2545_f491;
    for _ in 0..20 {
        let mut s = connect(&dir);
        let junk: Vec<u8> = (0..4096)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                [b'\r', b'\n', 0, b's', 0xff][(seed % 5) as usize]
            })
            .collect();
        let _ = s.write_all(&junk);
        let _ = s.write_all(b"\nstatus\r\n\0\n");
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
    assert!(answers(&dir));
    // Half-closed connections: a request, then our write side shut.
    for _ in 0..20 {
        let mut s = connect(&dir);
        s.write_all(b"status steady\n").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.contains("RUNNING"), "{out}");
    }
    // 1000 idle clients at once (the daemon holds up to its cap and refuses the rest).
    let (soft, hard) =
        supervisor::sys::limits::get_rlimit(supervisor::sys::Resource::NoFile).unwrap();
    if soft < 2048 && hard >= 2048 {
        let _ = supervisor::sys::limits::set_rlimit(supervisor::sys::Resource::NoFile, 2048, hard);
    }
    let idle: Vec<UnixStream> = (0..1000)
        .filter_map(|_| UnixStream::connect(dir.join("s.sock")).ok())
        .collect();
    assert!(idle.len() >= 900, "{} connected", idle.len());
    assert!(answers(&dir) || wait_until(T, || answers(&dir)));
    drop(idle);
    assert!(wait_until(T, || answers(&dir)));
    // 5000 connect/disconnects.
    for _ in 0..5000 {
        drop(UnixStream::connect(dir.join("s.sock")).unwrap());
    }
    assert!(answers(&dir));
    // HTTP with huge headers: refused (431) and closed.
    let mut s = connect(&dir);
    let _ = s.write_all(b"GET / HTTP/1.1\r\n");
    let header = format!("X-Big: {}\r\n", "y".repeat(8000));
    for _ in 0..10 {
        if s.write_all(header.as_bytes()).is_err() {
            break;
        }
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains(" 431 ") || text.contains(" 501 ") || out.is_empty(),
        "{text}"
    );
    assert!(answers(&dir));
}

#[test]
fn tail_followers_that_never_read_do_not_stall_the_daemon() {
    let dir = TestDir::new();
    let d = dir.s();
    let flood = format!(
        "[program:chatty]\ncommand=/bin/sh -c 'while true; do echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; done'\n\
         startsecs=0\nstdout_logfile={d}/chatty.out\nstdout_logfile_maxbytes=1MB\n"
    );
    let _d = Daemon::start(&dir, &conf(&dir, &flood));
    up(&dir);
    let lazy: Vec<UnixStream> = (0..20)
        .map(|_| {
            let mut s = connect(&dir);
            s.write_all(b"tail -f chatty\n").unwrap();
            s
        })
        .collect();
    // The followers never read; the daemon keeps answering everyone else.
    for _ in 0..10 {
        assert!(answers(&dir));
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(lazy);
    assert!(answers(&dir));
}

#[test]
fn signal_storms_and_sigterm_during_a_reload() {
    let dir = TestDir::new();
    let mut d = Daemon::start(&dir, &conf(&dir, ""));
    up(&dir);
    for i in 0..200 {
        kill(d.pid(), if i % 2 == 0 { "USR2" } else { "HUP" });
    }
    assert!(
        wait_until(T, || answers(&dir)),
        "not answering after the storm"
    );
    // SIGTERM right after a SIGHUP: the daemon stops cleanly, exit 0, no child left.
    let children = d.children();
    kill(d.pid(), "HUP");
    kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0), "{}", d.log());
    for pid in children {
        assert!(
            wait_until(T, || !common::alive(pid)),
            "child {pid} left behind"
        );
    }
}

#[test]
fn a_thousand_restarts_leave_no_zombies_and_bounded_descriptors() {
    let dir = TestDir::new();
    let crash = "[program:crash]\ncommand=/bin/true\nstartsecs=0\nautorestart=true\n\
                 startretries=100000\nstdout_logfile=NONE\nstderr_logfile=NONE\n";
    let d = Daemon::start(&dir, &conf(&dir, crash));
    up(&dir);
    let before = open_fds(d.pid());
    assert!(
        wait_until(T, || d.log().matches("spawned: 'crash'").count() >= 1000),
        "fewer than 1000 restarts"
    );
    let after = open_fds(d.pid());
    assert!(
        after <= before + 10,
        "descriptors grew: {before} -> {after}"
    );
    let rss_after_1000 = rss_kib(d.pid());
    assert!(
        wait_until(T, || d.log().matches("spawned: 'crash'").count() >= 3000),
        "fewer than 3000 restarts"
    );
    let rss_after_3000 = rss_kib(d.pid());
    assert!(
        rss_after_3000 <= rss_after_1000 + 1024,
        "RSS grew {rss_after_1000} -> {rss_after_3000} KiB over 2000 restarts"
    );
    let zombies = d
        .children()
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z'))
            })
        })
        .count();
    assert!(zombies <= 1, "{zombies} zombies");
    assert!(answers(&dir));
}
