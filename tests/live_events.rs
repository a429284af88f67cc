//! `events [TYPE...]` on the control socket: a raw client and `supervisorctl events` see
//! one line per event while programs start and stop; unknown types are refused; a reader
//! that does not read does not grow the daemon's memory, gets its missed lines counted,
//! and hears how many it missed when it reads again.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{supervisorctl_bin, wait_until, Daemon, TestDir};

const T: Duration = Duration::from_secs(20);

fn conf(dir: &TestDir) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n\n\
         [program:flood]\ncommand=/bin/sh -c 'head -c 60000000 /dev/zero | tr \"\\000\" x; exec sleep 1000'\n\
         startsecs=0\nautostart=false\nstdout_logfile=NONE\nstdout_events_enabled=true\n"
    )
}

fn connect(dir: &TestDir) -> UnixStream {
    let s = UnixStream::connect(dir.join("s.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s
}

/// Reads lines until one satisfies `want` (or the deadline); all lines read.
fn lines_until(r: &mut impl BufRead, want: impl Fn(&str) -> bool) -> Vec<String> {
    let end = Instant::now() + T;
    let mut lines = Vec::new();
    let mut line = String::new();
    while Instant::now() < end {
        match r.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if line.ends_with('\n') => {
                let l = line.trim_end_matches('\n').to_string();
                line.clear();
                let done = want(&l);
                lines.push(l);
                if done {
                    break;
                }
            }
            _ => {}
        }
    }
    lines
}

fn serial(line: &str) -> u64 {
    line.split(' ').next().unwrap().parse().unwrap()
}

fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_raw_client_and_supervisorctl_see_state_changes() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_until(T, || dir.join("s.sock").exists()
        && d.ctl(&["status"]).1 == 3));

    let mut raw = connect(&dir);
    raw.write_all(b"events PROCESS_STATE\n").unwrap();
    // As `echo ... | nc -U`: the client's sending side closes; the stream goes on.
    raw.shutdown(std::net::Shutdown::Write).unwrap();
    let mut raw = BufReader::new(raw);

    let mut ctl = Command::new(supervisorctl_bin())
        .arg("-c")
        .arg(&d.conf)
        .args(["events", "PROCESS_STATE_RUNNING", "PROCESS_STATE_STOPPED"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ctl_out = BufReader::new(ctl.stdout.take().unwrap());
    // The ctl's subscription is in place once a status shows two clients... simplest:
    // wait until metrics counts two subscribers.
    assert!(wait_until(T, || d
        .ctl(&["metrics"])
        .0
        .contains("supervisor_event_subscribers 2")));

    assert_eq!(d.ctl(&["start", "sleeper"]).1, 0);
    assert_eq!(d.ctl(&["stop", "sleeper"]).1, 0);

    let got = lines_until(&mut raw, |l| l.contains("PROCESS_STATE_STOPPED"));
    let events: Vec<&String> = got.iter().filter(|l| *l != ".").collect();
    let types: Vec<&str> = events
        .iter()
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "PROCESS_STATE_STARTING",
            "PROCESS_STATE_RUNNING",
            "PROCESS_STATE_STOPPING",
            "PROCESS_STATE_STOPPED"
        ],
        "{got:?}"
    );
    assert!(
        events[1].contains(" processname:sleeper groupname:sleeper from_state:STARTING pid:"),
        "{got:?}"
    );
    let serials: Vec<u64> = events.iter().map(|l| serial(l)).collect();
    assert!(serials.windows(2).all(|w| w[0] < w[1]), "{serials:?}");

    let got = lines_until(&mut ctl_out, |l| l.contains("PROCESS_STATE_STOPPED"));
    assert_eq!(got.len(), 2, "RUNNING and STOPPED only, no banner: {got:?}");
    assert!(got[0].contains(" PROCESS_STATE_RUNNING processname:sleeper "));
    assert_eq!(
        serial(&got[0]),
        serials[1],
        "one serial per event for everyone"
    );
    let _ = ctl.kill();
    let _ = ctl.wait();

    // Unknown types are refused with a usage error.
    let (out, code) = d.ctl(&["events", "NOPE"]);
    assert_eq!(
        (out.as_str(), code),
        ("Error: unknown event type NOPE\n", 1)
    );
}

#[test]
fn a_reader_that_does_not_read_is_bounded() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir));
    assert!(wait_until(T, || dir.join("s.sock").exists()
        && d.ctl(&["status"]).1 == 3));
    let before = rss_kib(d.pid());

    let mut slow = connect(&dir);
    slow.write_all(b"events PROCESS_LOG PROCESS_STATE\n")
        .unwrap();
    assert!(wait_until(T, || d
        .ctl(&["metrics"])
        .0
        .contains("supervisor_event_subscribers 1")));
    // 60 MB of output, as PROCESS_LOG events, to a client that reads nothing.
    assert_eq!(d.ctl(&["start", "flood"]).1, 0);
    let dropped = |d: &Daemon| {
        d.ctl(&["metrics"])
            .0
            .lines()
            .find_map(|l| {
                l.strip_prefix("supervisor_events_dropped_total{reason=\"slow_reader\"} ")
            })
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // All of it is read from the pipe (the flood then sleeps: its pipe goes quiet).
    let mut last = 0;
    let mut still = 0;
    let settled = wait_until(Duration::from_secs(60), || {
        let n = dropped(&d);
        if n > 0 && n == last {
            still += 1;
        } else {
            still = 0;
        }
        last = n;
        still >= 5
    });
    assert!(settled && last > 0, "dropped {last}");
    let after = rss_kib(d.pid());
    eprintln!("daemon RSS {before} KiB before, {after} KiB after; {last} lines dropped");
    assert!(
        after < before + 16 * 1024,
        "the daemon grew from {before} KiB to {after} KiB for a reader that does not read"
    );

    // Reading again: what was queued (bounded) until the stream is drained and quiet (a
    // keepalive line), then the count of what was missed before the next event.
    assert_eq!(d.ctl(&["stop", "flood"]).1, 0);
    let mut total = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let mut text = Vec::new();
    let mut started = false;
    let end = Instant::now() + Duration::from_secs(40);
    while Instant::now() < end {
        match slow.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n;
                text.extend_from_slice(&buf[..n]);
                let t = String::from_utf8_lossy(&text);
                if !started && t.ends_with("\n.\n") {
                    assert_eq!(d.ctl(&["start", "sleeper"]).1, 0);
                    started = true;
                }
                if t.contains("PROCESS_STATE_RUNNING processname:sleeper") {
                    break;
                }
            }
            Err(_) => {}
        }
    }
    let text = String::from_utf8_lossy(&text);
    assert!(started, "no keepalive after {total} bytes");
    let marker = text
        .find("\n- EVENTS_DROPPED count:")
        .expect("a drop marker");
    let starting = text
        .find(" PROCESS_STATE_STARTING processname:sleeper")
        .unwrap();
    assert!(marker < starting);
    eprintln!("{total} bytes read by the slow reader");
    assert!(
        total < 4 << 20,
        "{total} bytes were queued for the slow reader"
    );
}
