//! Clients that try to keep everyone else out: a flood of idle connections against a low
//! descriptor limit, pipelined requests beyond one read, requests split across writes, a
//! connection that never authenticates, a race for the socket file before its chmod, and
//! a server whose `accept` runs out of descriptors (it pauses instead of spinning).
//! Everything is on loopback, bounded in time, and cleaned up by the `Daemon` guard.

mod common;

use common::{alive, supervisord_bin, wait_until, Daemon, TestDir};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

fn conf(dir: &TestDir, extra: &str) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n{extra}"
    )
}

/// A script that starts our supervisord with `setup` (shell lines) run first.
fn wrapper(dir: &TestDir, setup: &str) -> String {
    let p = dir.write(
        "run.sh",
        &format!("#!/bin/sh\n{setup}\nexec {} \"$@\"\n", supervisord_bin()),
    );
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

fn start(dir: &TestDir, text: &str, setup: &str) -> Daemon {
    let conf = dir.write("supervisord.conf", text);
    let bin = wrapper(dir, setup);
    let d = Daemon::start_bin(&bin, dir, &conf, &["-n"], &[]);
    assert!(wait_until(T, || dir.join("s.sock").exists()), "{}", d.log());
    d
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The final lines (`.OK 0`, `.NOT_RUNNING 3`, ...) in a reply stream.
fn finals(out: &str) -> usize {
    out.lines()
        .filter(|l| {
            let mut w = l.strip_prefix('.').unwrap_or("").split(' ');
            let name = w.next().unwrap_or("");
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
                && w.next().is_some_and(|c| c.parse::<i32>().is_ok())
        })
        .count()
}

fn spawns(d: &Daemon, name: &str) -> usize {
    d.log().matches(&format!("spawned: '{name}'")).count()
}

#[test]
fn a_flood_of_idle_connections_is_refused_and_the_daemon_keeps_working() {
    let dir = TestDir::new();
    let port = free_port();
    let d = start(
        &dir,
        &conf(
            &dir,
            &format!(
                "[inet_http_server]\nport=127.0.0.1:{port}\n\
                 [program:flap]\ncommand=/bin/sleep 0.2\nstartsecs=0\nautorestart=true\n\
                 startretries=1000\n"
            ),
        )
        .replace("[supervisord]\n", "[supervisord]\nminfds=128\n"),
        "ulimit -n 256",
    );
    assert!(wait_until(T, || spawns(&d, "flap") >= 2), "{}", d.log());
    // nofile 256, two servers: 64 clients in all, 48 on one server.
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut conns = Vec::new();
    for _ in 0..300 {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
            Ok(s) => conns.push(s),
            Err(e) => panic!("connect: {e}\n{}", d.log()),
        }
    }
    let before = spawns(&d, "flap");
    // The daemon still answers on its other server, and its program keeps restarting.
    let (out, _) = d.ctl(&["status"]);
    assert!(out.contains("flap"), "status: {out}\n{}", d.log());
    assert!(
        wait_until(T, || spawns(&d, "flap") >= before + 3),
        "{}",
        d.log()
    );
    // Every connection over the cap got the refusal line and was closed.
    // (bytes so far, closed)
    let mut answers: Vec<(Vec<u8>, bool)> = vec![(Vec::new(), false); conns.len()];
    for s in &conns {
        s.set_nonblocking(true).unwrap();
    }
    let classified = wait_until(T, || {
        for (s, (buf, closed)) in conns.iter_mut().zip(answers.iter_mut()) {
            if *closed {
                continue;
            }
            match s.read_to_end(buf) {
                Ok(_) => *closed = true,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("read: {e}"),
            }
        }
        answers.iter().filter(|a| a.1).count() >= 252
    });
    let refused: Vec<&Vec<u8>> = answers.iter().filter(|a| a.1).map(|a| &a.0).collect();
    assert!(answers.iter().all(|a| a.1 || a.0.is_empty()));
    assert!(classified, "refused {}", refused.len());
    assert_eq!(refused.len(), 252);
    for r in refused {
        assert_eq!(
            String::from_utf8_lossy(r),
            "ERROR: too many connections\n.FAILED 1\n"
        );
    }
    // A connection over the cap that speaks HTTP hears 503.
    let mut h = TcpStream::connect(addr).unwrap();
    h.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    h.set_read_timeout(Some(T)).unwrap();
    let mut text = String::new();
    let _ = h.read_to_string(&mut text);
    assert!(
        text.starts_with("HTTP/1.0 503 ") || text.starts_with("ERROR: too many"),
        "{text}"
    );
    let log = d.log();
    assert!(!log.contains("FATAL") && !log.contains("gave up"), "{log}");
    // After the flood, the server takes clients again.
    drop(conns);
    // (The daemon hears of the closes a moment later.)
    let mut out = String::new();
    let answered = wait_until(T, || {
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(T)).unwrap();
        c.write_all(b"version\n").unwrap();
        out.clear();
        let _ = c.read_to_string(&mut out);
        out.ends_with(".OK 0\n")
    });
    assert!(answered, "{out}");
    let after = spawns(&d, "flap");
    assert!(wait_until(T, || spawns(&d, "flap") >= after + 2));
    let (out, _) = d.ctl(&["status", "flap"]);
    assert!(!out.contains("FATAL"), "{out}");
}

/// Writes `text` in one go and reads until the server closes.
fn ask(dir: &TestDir, text: &[u8]) -> String {
    let mut s = UnixStream::connect(dir.join("s.sock")).expect("connect");
    s.set_read_timeout(Some(T)).unwrap();
    let mut w = s.try_clone().unwrap();
    let text = text.to_vec();
    let writer = std::thread::spawn(move || w.write_all(&text));
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    writer.join().unwrap().expect("write");
    out
}

#[test]
fn pipelined_requests_beyond_one_read_are_all_answered() {
    let dir = TestDir::new();
    let _d = start(&dir, &conf(&dir, ""), "");
    let out = ask(&dir, "status\n".repeat(2341).as_bytes());
    assert_eq!(finals(&out), 2341);
    // Reads that end exactly on a line end: 8-byte lines, 16 KiB reads.
    let out = ask(&dir, "status \n".repeat(4100).as_bytes());
    assert_eq!(finals(&out), 4100);
}

#[test]
fn a_request_split_across_writes_is_answered() {
    let dir = TestDir::new();
    let _d = start(&dir, &conf(&dir, ""), "");
    let mut s = UnixStream::connect(dir.join("s.sock")).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    s.write_all(b"version\nver").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(b"sion\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert_eq!(finals(&out), 2, "{out}");
}

#[test]
fn an_unauthenticated_connection_is_closed_within_seconds() {
    let dir = TestDir::new();
    let text = conf(&dir, "").replace(
        "[unix_http_server]\n",
        "[unix_http_server]\nusername=bob\npassword=secret\n",
    );
    let _d = start(&dir, &text, "");
    let mut s = UnixStream::connect(dir.join("s.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("closed within 15 s");
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    // Authenticating in time keeps the connection.
    let mut s = UnixStream::connect(dir.join("s.sock")).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    s.write_all(b"auth bob secret\n").unwrap();
    std::thread::sleep(Duration::from_secs(6));
    s.write_all(b"version\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert_eq!(finals(&out), 2, "{out}");
}

#[test]
fn the_socket_never_exists_with_more_permissions_than_configured() {
    let dir = TestDir::new();
    let text = conf(&dir, "").replace("[unix_http_server]\n", "[unix_http_server]\nchmod=0700\n");
    let conf_path = dir.write("supervisord.conf", &text);
    // Under strace (when it can trace here), every chmod is held back 0.3 s, so a socket
    // created with the umask's permissions would sit there long enough to be seen.
    let bin = wrapper(
        &dir,
        &format!(
            "umask 000\n\
             if strace -o /dev/null true 2>/dev/null; then\n\
             exec strace -f -o /dev/null -e trace=chmod,fchmodat \
             -e inject=chmod,fchmodat:delay_enter=300000 {} \"$@\"\nfi",
            supervisord_bin()
        ),
    );
    let d = Daemon::start_bin(&bin, &dir, &conf_path, &["-n"], &[]);
    // Watch every socket file in the directory (the temporary name included) until the
    // real one has been there a moment.
    let sock: PathBuf = dir.join("s.sock");
    let end = Instant::now() + T;
    let mut seen = 0;
    let mut settled: Option<Instant> = None;
    while Instant::now() < end && settled.is_none_or(|t| t.elapsed() < Duration::from_millis(200)) {
        for e in std::fs::read_dir(&dir.path).unwrap().flatten() {
            let Ok(m) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            if m.file_type().is_socket() {
                seen += 1;
                let mode = m.permissions().mode() & 0o7777;
                assert_eq!(mode, 0o700, "{} mode {mode:o}", e.path().display());
            }
        }
        if settled.is_none() && sock.exists() {
            settled = Some(Instant::now());
        }
    }
    assert!(seen > 0 && sock.exists(), "{}", d.log());
}

/// `max_clients` in a server section caps that server; the next connection gets the
/// refusal line and is closed.
#[test]
fn max_clients_caps_a_server_as_configured() {
    let dir = TestDir::new();
    let d = dir.s();
    let text = format!(
        "[unix_http_server]\nfile={d}/s.sock\nmax_clients=2\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n"
    );
    let _daemon = start(&dir, &text, "");
    let sock = dir.join("s.sock");
    let held: Vec<UnixStream> = (0..2)
        .map(|_| UnixStream::connect(&sock).unwrap())
        .collect();
    // Let the daemon accept both before the third arrives.
    let mut probe = UnixStream::connect(&sock).unwrap();
    probe.set_read_timeout(Some(T)).unwrap();
    let mut out = String::new();
    let _ = probe.read_to_string(&mut out);
    assert!(out.contains("too many connections"), "{out:?}");
    drop(held);
    // With the two gone, a client is served again.
    assert!(wait_until(T, || {
        let Ok(mut s) = UnixStream::connect(&sock) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(T));
        let _ = s.write_all(b"version\n");
        let mut v = String::new();
        let _ = s.read_to_string(&mut v);
        v.contains("4.3.0")
    }));
}

/// CPU time (user + system, in clock ticks) that process `pid` has used.
fn cpu_ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which ends at the last ')': state is field 3,
    // utime and stime fields 14 and 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Sets the soft RLIMIT_NOFILE of `pid` (util-linux `prlimit`, keeping the hard limit).
fn set_nofile(pid: i32, soft: u64) {
    let out = std::process::Command::new("prlimit")
        .args([format!("--pid={pid}"), format!("--nofile={soft}:")])
        .output()
        .expect("prlimit (util-linux)");
    assert!(out.status.success(), "{out:?}");
}

/// Clock ticks per second, as `/proc/<pid>/stat` counts them.
fn clock_ticks() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn a_server_out_of_descriptors_pauses_instead_of_spinning_and_then_answers() {
    let dir = TestDir::new();
    let d = start(&dir, &conf(&dir, ""), "");
    let pid = d.pid();
    assert_eq!(d.ctl(&["version"]).1, 0, "{}", d.log());
    // Below the descriptors it holds, every `accept` fails with EMFILE.
    set_nofile(pid, 4);
    let mut waiting = Vec::new();
    for _ in 0..20 {
        let s = UnixStream::connect(dir.join("s.sock")).expect("connect (backlog)");
        waiting.push(s);
    }
    for s in &mut waiting {
        s.write_all(b"version\n").unwrap();
    }
    // A daemon retrying `accept` in a loop burns a whole core; a paused one sleeps.
    let (t0, c0) = (Instant::now(), cpu_ticks(pid));
    let end = t0 + Duration::from_secs(3);
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    let spent = cpu_ticks(pid) - c0;
    let hz = clock_ticks();
    let wall = t0.elapsed().as_secs_f64();
    assert!(
        (spent as f64) / hz < wall / 4.0,
        "the daemon used {spent} ticks of CPU in {wall:.1} s while out of descriptors"
    );
    assert!(alive(pid));
    // With descriptors again, the clients that waited in the backlog are answered.
    set_nofile(pid, 1024);
    for mut s in waiting {
        s.set_read_timeout(Some(T)).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.ends_with(".OK 0\n"), "{out:?}\n{}", d.log());
    }
    assert_eq!(d.ctl(&["version"]).1, 0);
}
