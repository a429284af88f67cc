//! `metrics`: the Prometheus text exposition of a running daemon with programs RUNNING,
//! FATAL, EXITED and STOPPED, through `supervisorctl metrics`, the text protocol by hand
//! and `GET /metrics` (with and without Basic auth), each checked by `promtool check
//! metrics` (Debian package `prometheus`; the test FAILS without it) and for its values.
#![cfg(feature = "xmlrpc")]

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{wait_until, Daemon, TestDir};

const T: Duration = Duration::from_secs(20);

fn conf(dir: &TestDir) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\nusername=u\npassword=p\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\nusername=u\npassword=p\n\n\
         [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         stdout_logfile={d}/sleeper.out\n\n\
         [program:talker]\ncommand=/bin/sh -c 'echo hello; echo oops >&2; exec sleep 1000'\n\
         startsecs=0\nstdout_logfile={d}/talker.out\nstderr_logfile={d}/talker.err\n\n\
         [program:broken]\ncommand=/bin/false\nstartretries=1\n\n\
         [program:exiter]\ncommand=/bin/sh -c 'exit 3'\nstartsecs=0\nautorestart=false\n\
         exitcodes=0\n\n\
         [program:manual]\ncommand=/bin/sleep 1000\nautostart=false\n\n\
         [program:sick]\ncommand=/bin/sleep 1000\nstartsecs=0\nhealthcheck=exec:/bin/false\n\
         healthcheck_interval=1\nhealthcheck_retries=1\n"
    )
}

/// Runs `promtool check metrics` on `text`; panics (the test fails) when promtool is
/// missing or finds a problem.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!(
            "promtool is needed for this test ({e}): install the Debian package \
             `prometheus` (apt-get install -y prometheus)"
        ),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}\n--- exposition:\n{text}"
    );
}

/// The value of the sample `name{labels}` (labels as written), if present.
fn value(text: &str, sample: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
}

fn connect(dir: &TestDir) -> UnixStream {
    let s = UnixStream::connect(dir.join("s.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s
}

fn read_until(s: &mut UnixStream, done: impl Fn(&str) -> bool) -> String {
    let mut got = Vec::new();
    let end = Instant::now() + T;
    let mut buf = [0u8; 8192];
    while !done(&String::from_utf8_lossy(&got)) && Instant::now() < end {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn check_values(text: &str) {
    let state = |name: &str, st: &str| {
        let s =
            format!("supervisor_process_state{{group=\"{name}\",name=\"{name}\",state=\"{st}\"}}");
        value(text, &s)
    };
    for (name, st) in [
        ("sleeper", "RUNNING"),
        ("talker", "RUNNING"),
        ("broken", "FATAL"),
        ("exiter", "EXITED"),
        ("manual", "STOPPED"),
    ] {
        assert_eq!(state(name, st), Some(1.0), "{name} {st}\n{text}");
        let ones = text
            .lines()
            .filter(|l| {
                l.starts_with(&format!("supervisor_process_state{{group=\"{name}\","))
                    && l.ends_with(" 1")
            })
            .count();
        assert_eq!(ones, 1, "{name}: one state only\n{text}");
        assert_eq!(state(name, "UNKNOWN"), Some(0.0));
    }
    let g =
        |fam: &str, name: &str| value(text, &format!("{fam}{{group=\"{name}\",name=\"{name}\"}}"));
    assert_eq!(g("supervisor_process_last_exit_code", "exiter"), Some(3.0));
    assert_eq!(g("supervisor_process_last_exit_code", "broken"), Some(1.0));
    assert_eq!(g("supervisor_process_last_exit_code", "manual"), None);
    // startretries=1: two spawns, one after the first; both failed.
    assert_eq!(g("supervisor_process_restarts_total", "broken"), Some(1.0));
    assert_eq!(
        g("supervisor_process_spawn_failures_total", "broken"),
        Some(2.0)
    );
    assert_eq!(g("supervisor_process_restarts_total", "sleeper"), Some(0.0));
    assert_eq!(g("supervisor_process_healthy", "sleeper"), Some(1.0));
    assert_eq!(g("supervisor_process_healthy", "sick"), Some(0.0));
    assert!(g("supervisor_process_uptime_seconds", "sleeper").is_some());
    assert_eq!(g("supervisor_process_uptime_seconds", "manual"), Some(0.0));
    let log = |stream: &str| {
        value(
            text,
            &format!(
                "supervisor_process_log_bytes_total{{group=\"talker\",name=\"talker\",stream=\"{stream}\"}}"
            ),
        )
    };
    assert_eq!(log("stdout"), Some(6.0), "hello\\n");
    assert_eq!(log("stderr"), Some(5.0), "oops\\n");
    assert_eq!(value(text, "supervisor_up"), Some(1.0));
    assert!(value(text, "supervisor_resident_memory_bytes").is_some_and(|v| v > 0.0));
    assert!(value(text, "supervisor_open_fds").is_some_and(|v| v > 3.0));
    assert!(value(text, "supervisor_control_clients").is_some_and(|v| v >= 1.0));
    assert_eq!(value(text, "supervisor_reloads_total"), Some(0.0));
    assert_eq!(
        value(
            text,
            "supervisor_events_dropped_total{reason=\"pool_overflow\"}"
        ),
        Some(0.0)
    );
    assert!(text.contains("supervisor_build_info{version=\"4.3.0\""));
}

#[test]
fn metrics_over_ctl_text_protocol_and_http() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir));
    let settled = wait_until(T, || {
        let (out, _) = d.ctl(&["status"]);
        let has = |n: &str, s: &str| out.lines().any(|l| l.starts_with(n) && l.contains(s));
        has("broken", "FATAL")
            && has("exiter", "EXITED")
            && has("sleeper", "RUNNING")
            && has("talker", "RUNNING")
            && std::fs::read_to_string(dir.join("talker.err")).is_ok_and(|t| t == "oops\n")
            && std::fs::read_to_string(dir.join("talker.out")).is_ok_and(|t| t == "hello\n")
    });
    assert!(settled, "{}", d.ctl(&["status"]).0);
    // `sick` fails its check, is declared unhealthy (and restarted, still failing).
    let sick = "supervisor_process_healthy{group=\"sick\",name=\"sick\"} 0\n";
    assert!(wait_until(T, || d.ctl(&["metrics"]).0.contains(sick)));

    // supervisorctl metrics
    let (out, code) = d.ctl(&["metrics"]);
    assert_eq!(code, 0, "{out}");
    promtool_check(&out);
    check_values(&out);

    // The text protocol by hand: auth, then metrics; the body un-dot-stuffed.
    let mut s = connect(&dir);
    s.write_all(b"auth u p\nmetrics\n").unwrap();
    let reply = read_until(&mut s, |t| {
        t.lines().filter(|l| l.starts_with(".OK")).count() >= 2
    });
    let body: String = reply
        .lines()
        .filter(|l| !l.starts_with(".OK") && *l != ".")
        .map(|l| format!("{}\n", l.strip_prefix('.').unwrap_or(l)))
        .collect();
    promtool_check(&body);
    check_values(&body);

    // GET /metrics: Basic auth required, then the exposition with its content type.
    let mut s = connect(&dir);
    s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let denied = read_until(&mut s, |_| false);
    assert!(denied.starts_with("HTTP/1.0 401"), "{denied}");
    let mut s = connect(&dir);
    s.write_all(b"GET /metrics HTTP/1.0\r\nAuthorization: Basic dTpw\r\n\r\n")
        .unwrap();
    let resp = read_until(&mut s, |_| false);
    let (head, body) = resp.split_once("\r\n\r\n").expect("a whole response");
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    promtool_check(body);
    check_values(body);

    // A reload counts.
    let (out, _) = d.ctl(&["reload"]);
    assert!(out.contains("Restarted supervisord"), "{out}");
    assert!(wait_until(T, || {
        let (out, code) = d.ctl(&["metrics"]);
        code == 0 && value(&out, "supervisor_reloads_total") == Some(1.0)
    }));
}
