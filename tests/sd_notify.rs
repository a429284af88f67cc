//! sd_notify: a `supervisord -n` started with `NOTIFY_SOCKET` pointing at a datagram socket
//! the test binds tells it READY=1 (after spawning), STATUS= lines on changes, RELOADING=1 and
//! READY=1 around a SIGHUP restart (nothing for a broken config), STOPPING=1 on SIGTERM and,
//! only with WATCHDOG_USEC, WATCHDOG=1 every half period. Children never see NOTIFY_SOCKET.

mod common;

use common::{kill, wait_until, Daemon, TestDir};
use std::ffi::OsStr;
use std::fs;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(15);

/// The test's end of NOTIFY_SOCKET.
struct Listener {
    sock: UnixDatagram,
    /// Every message received, in order.
    seen: Vec<String>,
}

impl Listener {
    fn path(dir: &TestDir) -> (Listener, String) {
        let p = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&p).unwrap();
        (Listener::new(sock), p.display().to_string())
    }

    fn new(sock: UnixDatagram) -> Listener {
        Listener {
            sock,
            seen: Vec::new(),
        }
    }

    /// The next message within `timeout`.
    fn recv(&mut self, timeout: Duration) -> Option<String> {
        self.sock.set_read_timeout(Some(timeout)).unwrap();
        let mut buf = [0u8; 4096];
        let n = self.sock.recv(&mut buf).ok()?;
        let m = String::from_utf8_lossy(&buf[..n]).into_owned();
        self.seen.push(m.clone());
        Some(m)
    }

    /// Receives until a message satisfies `pred` (returned) or `timeout` passes.
    fn until(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let end = Instant::now() + timeout;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let m = self.recv(left)?;
            if pred(&m) {
                return Some(m);
            }
        }
    }

    /// Everything that arrives within `d`.
    fn drain(&mut self, d: Duration) -> Vec<String> {
        let end = Instant::now() + d;
        let mut out = Vec::new();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return out;
            }
            match self.recv(left) {
                Some(m) => out.push(m),
                None => return out,
            }
        }
    }
}

fn conf(dir: &TestDir, programs: &str) -> String {
    let d = dir.s();
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\n\n{programs}"
    )
}

fn start(dir: &TestDir, text: &str, env: &[(&str, &OsStr)]) -> Daemon {
    let conf = dir.write("supervisord.conf", text);
    Daemon::start_with_env(dir, &conf, &["-n"], env)
}

fn monotonic_usec(m: &str) -> u64 {
    let mut lines = m.lines();
    assert_eq!(lines.next(), Some("RELOADING=1"), "{m:?}");
    let v = lines.next().and_then(|l| l.strip_prefix("MONOTONIC_USEC="));
    v.and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no MONOTONIC_USEC in {m:?}"))
}

fn is_status(m: &str) -> bool {
    m.starts_with("STATUS=")
}

#[test]
fn ready_after_spawn_then_status_on_changes_and_stopping_on_sigterm() {
    let dir = TestDir::new();
    let (mut l, path) = Listener::path(&dir);
    let programs = "[program:up]\ncommand=/bin/sleep 1000\nstartsecs=1\n\n\
                    [program:down]\ncommand=/bin/sh -c 'exit 3'\nstartsecs=1\nstartretries=1\n";
    let mut d = start(
        &dir,
        &conf(&dir, programs),
        &[("NOTIFY_SOCKET", path.as_ref())],
    );

    assert_eq!(l.recv(T).as_deref(), Some("READY=1"), "{}", d.log());
    // The programs were spawned before READY: the activity log (written at the spawn, before
    // READY was sent) says so right now. (Looking for the child by its environment raced
    // with its execve, when /proc/PID/environ can read empty.)
    let log = d.log();
    assert!(
        log.contains("spawned: 'up'") && log.contains("spawned: 'down'"),
        "no spawn at READY:\n{log}"
    );
    assert_eq!(
        l.recv(T).as_deref(),
        Some("STATUS=2 programs: 2 STARTING"),
        "{:?}",
        l.seen
    );
    assert!(
        l.until(T, |m| m == "STATUS=2 programs: 1 RUNNING, 1 FATAL")
            .is_some(),
        "{:?}",
        l.seen
    );
    // Nothing more while nothing changes (no timer: no watchdog without WATCHDOG_USEC).
    assert_eq!(l.drain(Duration::from_millis(1200)), Vec::<String>::new());

    kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0));
    let rest = l.drain(Duration::from_millis(300));
    assert_eq!(
        rest.first().map(String::as_str),
        Some("STOPPING=1"),
        "{rest:?}"
    );
    assert!(rest[1..].iter().all(|m| is_status(m)), "{rest:?}");
    assert_eq!(
        rest.last().map(String::as_str),
        Some("STATUS=2 programs: 1 STOPPED, 1 FATAL"),
        "{rest:?}"
    );

    // A STATUS is never repeated back to back, and there is no WATCHDOG at all.
    for w in l.seen.windows(2) {
        assert!(!(is_status(&w[0]) && w[0] == w[1]), "{:?}", l.seen);
    }
    assert!(
        !l.seen.iter().any(|m| m.contains("WATCHDOG")),
        "{:?}",
        l.seen
    );
    assert_eq!(l.seen.iter().filter(|m| *m == "READY=1").count(), 1);
}

#[test]
fn sighup_sends_reloading_then_ready_and_a_broken_config_sends_nothing() {
    let dir = TestDir::new();
    let (mut l, path) = Listener::path(&dir);
    let text = conf(
        &dir,
        "[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
    );
    let d = start(&dir, &text, &[("NOTIFY_SOCKET", path.as_ref())]);
    assert_eq!(l.recv(T).as_deref(), Some("READY=1"), "{}", d.log());
    assert!(
        l.until(T, |m| m.contains("1 RUNNING")).is_some(),
        "{:?}",
        l.seen
    );
    let first = d.children();

    // SIGHUP: RELOADING=1 with a plausible MONOTONIC_USEC, then READY=1 once respawned.
    let sent = Instant::now();
    kill(d.pid(), "HUP");
    let m = l.until(T, |m| !is_status(m)).expect("RELOADING");
    let t1 = monotonic_usec(&m);
    let uptime_us = fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split('.').next()?.parse::<u64>().ok())
        .map(|s| (s + 2) * 1_000_000);
    assert!(
        t1 > 0 && uptime_us.is_none_or(|u| t1 <= u),
        "{t1} vs {uptime_us:?}"
    );
    assert_eq!(
        l.until(T, |m| !is_status(m)).as_deref(),
        Some("READY=1"),
        "{:?}",
        l.seen
    );
    let second = d.children();
    assert!(
        !second.is_empty() && second != first,
        "not respawned at READY: {first:?} {second:?}"
    );

    // A second restart: MONOTONIC_USEC moved by about the time between the signals.
    assert!(
        l.until(T, |m| m.contains("1 RUNNING")).is_some(),
        "{:?}",
        l.seen
    );
    kill(d.pid(), "HUP");
    let between = sent.elapsed();
    let t2 = monotonic_usec(&l.until(T, |m| !is_status(m)).expect("RELOADING"));
    let delta = Duration::from_micros(t2 - t1);
    assert!(
        delta + Duration::from_secs(2) >= between && delta <= between + Duration::from_secs(2),
        "{delta:?} vs {between:?}"
    );
    assert_eq!(l.until(T, |m| !is_status(m)).as_deref(), Some("READY=1"));
    assert!(
        l.until(T, |m| m.contains("1 RUNNING")).is_some(),
        "{:?}",
        l.seen
    );

    // A broken config: the old one keeps running and systemd hears nothing.
    fs::write(&d.conf, "[supervisord]\nloglevel=bogus\n").unwrap();
    kill(d.pid(), "HUP");
    assert!(
        d.wait_log("could not reload the configuration", T),
        "{}",
        d.log()
    );
    let after = l.drain(Duration::from_millis(500));
    assert!(after.is_empty(), "{after:?}");
    assert_eq!(
        l.seen
            .iter()
            .filter(|m| m.starts_with("RELOADING=1"))
            .count(),
        2
    );
}

#[test]
fn watchdog_every_half_period_and_children_do_not_see_the_socket() {
    let dir = TestDir::new();
    let (mut l, path) = Listener::path(&dir);
    let d = dir.s();
    let programs = format!(
        "[program:envdump]\ncommand=/bin/sh -c 'env > {d}/child.env; exec /bin/sleep 1000'\n\
         startsecs=0\n"
    );
    let daemon = start(
        &dir,
        &conf(&dir, &programs),
        &[
            ("NOTIFY_SOCKET", path.as_ref()),
            ("WATCHDOG_USEC", "400000".as_ref()),
        ],
    );
    assert_eq!(
        l.until(T, |m| m == "READY=1").as_deref(),
        Some("READY=1"),
        "{}",
        daemon.log()
    );
    let got = l.drain(Duration::from_secs(2));
    let dogs = got.iter().filter(|m| *m == "WATCHDOG=1").count();
    assert!(dogs >= 3, "{dogs} WATCHDOG=1 in 2 s: {got:?}");

    let env_file = dir.join("child.env");
    assert!(wait_until(T, || fs::read_to_string(&env_file)
        .is_ok_and(|s| s.contains("SUPERVISOR_ENABLED=1"))));
    let env = fs::read_to_string(&env_file).unwrap();
    for var in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
        assert!(
            !env.lines().any(|l| l.starts_with(&format!("{var}="))),
            "{var} leaked: {env}"
        );
    }
    assert!(
        env.contains("SVTEST_ID="),
        "the rest of the env is kept: {env}"
    );
}

#[test]
fn no_watchdog_when_watchdog_pid_is_not_ours() {
    let dir = TestDir::new();
    let (mut l, path) = Listener::path(&dir);
    let d = start(
        &dir,
        &conf(
            &dir,
            "[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
        ),
        &[
            ("NOTIFY_SOCKET", path.as_ref()),
            ("WATCHDOG_USEC", "200000".as_ref()),
            ("WATCHDOG_PID", "1".as_ref()),
        ],
    );
    assert_eq!(l.recv(T).as_deref(), Some("READY=1"), "{}", d.log());
    let got = l.drain(Duration::from_millis(1000));
    assert!(!got.iter().any(|m| m.contains("WATCHDOG")), "{got:?}");
}

#[test]
fn abstract_socket() {
    let dir = TestDir::new();
    let name = format!("svtest-notify-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let mut l = Listener::new(UnixDatagram::bind_addr(&addr).unwrap());
    let at = format!("@{name}");
    let mut d = start(
        &dir,
        &conf(
            &dir,
            "[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
        ),
        &[("NOTIFY_SOCKET", at.as_ref())],
    );
    assert_eq!(l.recv(T).as_deref(), Some("READY=1"), "{}", d.log());
    assert!(
        l.until(T, |m| m.contains("1 RUNNING")).is_some(),
        "{:?}",
        l.seen
    );
    kill(d.pid(), "TERM");
    assert!(l.until(T, |m| m == "STOPPING=1").is_some(), "{:?}", l.seen);
    assert_eq!(d.wait_exit(T), Some(0));
}

#[test]
fn an_unreachable_socket_does_not_hurt() {
    let dir = TestDir::new();
    let gone = dir.join("nobody-listens.sock").display().to_string();
    let mut d = start(
        &dir,
        &conf(
            &dir,
            "[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
        ),
        &[("NOTIFY_SOCKET", gone.as_ref())],
    );
    assert!(d.wait_log("success: one", T), "{}", d.log());
    kill(d.pid(), "TERM");
    assert_eq!(d.wait_exit(T), Some(0));
}

#[test]
fn shipped_unit_is_type_notify_in_the_foreground() {
    let unit = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/packaging/supervisor.service"
    ))
    .unwrap();
    let lines: Vec<&str> = unit.lines().map(str::trim).collect();
    for want in [
        "Type=notify",
        "NotifyAccess=main",
        "ExecStart=/usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(lines.contains(&want), "{want} missing:\n{unit}");
    }
    for gone in ["PIDFile=", "Type=forking"] {
        assert!(
            !lines.iter().any(|l| l.starts_with(gone)),
            "{gone}:\n{unit}"
        );
    }
}
