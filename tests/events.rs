//! Event listeners against the real daemon: the envelope and payloads a listener reads, the
//! protocol (READY, RESULT, rejection, violations), pool buffers, listener death, ticks,
//! PROCESS_LOG and capture mode, group events, and the container pattern of a listener that
//! stops supervisord when a program goes FATAL.

mod common;

use common::{wait_until, Daemon, TestDir};
use std::fs;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

/// A listener in sh: appends each event (header line, payload, newline) to OUT and answers by
/// MODE: `ok`, `failfirst` (FAIL the very first event, across restarts), `diefirst` (exit
/// without answering the very first event), `garbage` (answer nonsense).
const LISTENER: &str = r#"#!/bin/sh
out=$1; mode=$2; mark=$out.mark
while :; do
  printf 'READY\n'
  IFS= read -r header || exit 0
  len=${header##*len:}
  payload=$(head -c "$len"; echo x)
  # One write per record, so a listener killed mid-event leaves no half record.
  printf '%s\n%s\n' "$header" "${payload%x}" >> "$out"
  first=no
  if [ ! -e "$mark" ]; then first=yes; : > "$mark"; fi
  case "$mode-$first" in
    failfirst-yes) printf 'RESULT 4\nFAIL' ;;
    diefirst-yes) exit 3 ;;
    garbage-*) printf 'what?\n' ;;
    *) printf 'RESULT 2\nOK' ;;
  esac
done
"#;

fn conf(dir: &TestDir, listener: &str, programs: &str) -> String {
    let d = dir.s();
    dir.write("lis.sh", LISTENER);
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\nloglevel=debug\n\n\
         [unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [eventlistener:lis]\ncommand=sh {d}/lis.sh {d}/events.out %(ENV_LISMODE)s\n\
         environment=LISMODE=ok\n{listener}\n\n{programs}"
    )
}

/// The events the listener wrote down: (header fields, payload), the payload cut by `len`
/// (characters).
fn events(dir: &TestDir) -> Vec<(Vec<(String, String)>, String)> {
    let text = fs::read_to_string(dir.join("events.out")).unwrap_or_default();
    let mut rest = text.as_str();
    let mut out = Vec::new();
    while let Some((line, after)) = rest.split_once('\n') {
        let header: Vec<(String, String)> = line
            .split(' ')
            .filter_map(|kv| kv.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let len: usize = field(&header, "len").parse().unwrap_or(0);
        let end = after
            .char_indices()
            .nth(len)
            .map_or(after.len(), |(i, _)| i);
        if after.as_bytes().get(end) != Some(&b'\n') {
            break; // not all written yet
        }
        out.push((header, after[..end].to_string()));
        rest = &after[end + 1..];
    }
    out
}

fn field<'a>(h: &'a [(String, String)], k: &str) -> &'a str {
    h.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn names(dir: &TestDir) -> Vec<String> {
    events(dir)
        .iter()
        .map(|(h, _)| field(h, "eventname").to_string())
        .collect()
}

fn wait_event(dir: &TestDir, name: &str) -> bool {
    wait_until(T, || names(dir).iter().any(|n| n == name))
}

#[test]
fn startup_and_state_events_reach_a_listener_in_the_reference_format() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "events=PROCESS_STATE,PROCESS_GROUP,SUPERVISOR_STATE_CHANGE\nbuffer_size=50",
            "[program:fail]\ncommand=/bin/false\nstartretries=1\nstartsecs=1\n",
        ),
    );
    assert!(wait_event(&dir, "PROCESS_STATE_FATAL"), "{:?}", names(&dir));
    let evs = events(&dir);
    // Serials count up from 0 with no gap, in the pool and globally.
    for (i, (h, payload)) in evs.iter().enumerate() {
        assert_eq!(field(h, "ver"), "3.0");
        assert_eq!(field(h, "server"), "supervisor");
        assert_eq!(field(h, "pool"), "lis");
        assert_eq!(field(h, "serial"), i.to_string());
        assert_eq!(field(h, "poolserial"), i.to_string());
        assert_eq!(
            field(h, "len"),
            payload.chars().count().to_string(),
            "{h:?}"
        );
    }
    let got: Vec<(String, String)> = evs
        .iter()
        .map(|(h, p)| (field(h, "eventname").to_string(), p.clone()))
        .collect();
    let want_prefix = [
        ("PROCESS_GROUP_ADDED", "groupname:fail\n"),
        ("PROCESS_GROUP_ADDED", "groupname:lis\n"),
        ("SUPERVISOR_STATE_CHANGE_RUNNING", ""),
    ];
    // Groups come in config order (by priority: the listener's default is -1, first).
    assert_eq!(got[0].0, "PROCESS_GROUP_ADDED");
    let mut first3: Vec<(String, String)> = got[..3].to_vec();
    first3.sort();
    let mut want: Vec<(String, String)> = want_prefix
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    want.sort();
    assert_eq!(first3, want);
    let fail: Vec<&(String, String)> = got
        .iter()
        .filter(|(_, p)| p.starts_with("processname:fail"))
        .collect();
    let expect = [
        ("PROCESS_STATE_STARTING", "from_state:STOPPED tries:0"),
        ("PROCESS_STATE_BACKOFF", "from_state:STARTING tries:1"),
        ("PROCESS_STATE_STARTING", "from_state:BACKOFF tries:1"),
        ("PROCESS_STATE_BACKOFF", "from_state:STARTING tries:2"),
        ("PROCESS_STATE_FATAL", "from_state:BACKOFF"),
    ];
    assert_eq!(fail.len(), expect.len(), "{fail:?}");
    for ((name, payload), (want_name, tail)) in fail.iter().zip(expect) {
        assert_eq!(name, want_name);
        assert_eq!(payload, &format!("processname:fail groupname:fail {tail}"));
    }
    let log = d.log();
    assert!(log.contains("DEBG lis: ACKNOWLEDGED -> READY"), "{log}");
    assert!(log.contains("DEBG lis: event was processed"));
    assert!(log.contains("DEBG event 0 sent to listener lis"));
}

#[test]
fn a_rejected_event_is_sent_again() {
    let dir = TestDir::new();
    let text = conf(&dir, "events=PROCESS_GROUP", "").replace("LISMODE=ok", "LISMODE=failfirst");
    let d = Daemon::start(&dir, &text);
    assert!(wait_until(T, || events(&dir).len() >= 2));
    let evs = events(&dir);
    assert_eq!(field(&evs[0].0, "serial"), "0");
    assert_eq!(field(&evs[1].0, "serial"), "0", "the same event again");
    assert_eq!(evs[0].1, evs[1].1);
    let log = d.log();
    assert!(log.contains("WARN lis: event was rejected"), "{log}");
    assert!(log.contains("rebuffering event 0 for pool lis"));
}

#[test]
fn a_listener_that_breaks_the_protocol_gets_no_more_events() {
    let dir = TestDir::new();
    let text = conf(
        &dir,
        "events=PROCESS_GROUP",
        "[program:a]\ncommand=sleep 100\n",
    )
    .replace("LISMODE=ok", "LISMODE=garbage");
    let d = Daemon::start(&dir, &text);
    assert!(d.wait_log(
        "WARN lis: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol",
        T
    ));
    assert!(d.wait_log("DEBG lis: BUSY -> UNKNOWN", T));
    assert_eq!(d.log().matches("has entered the UNKNOWN state").count(), 1);
    assert!(d.log().contains("WARN lis: bad result line: 'what?'"));
    assert_eq!(events(&dir).len(), 1);
}

#[test]
fn a_full_buffer_drops_its_oldest_event() {
    let dir = TestDir::new();
    // The listener is not RUNNING before startsecs, so the startup events pile up.
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "events=PROCESS_GROUP\nbuffer_size=1\nstartsecs=1",
            "[program:a]\ncommand=sleep 100\n\n[program:b]\ncommand=sleep 100\n",
        ),
    );
    assert!(d.wait_log(
        "ERRO pool lis event buffer overflowed, discarding event 0",
        T
    ));
    assert!(d.log().contains("discarding event 1"));
    assert!(wait_until(T, || events(&dir).len() == 1));
    assert_eq!(
        field(&events(&dir)[0].0, "serial"),
        "2",
        "only the newest is left"
    );
}

#[test]
fn the_event_of_a_listener_that_dies_goes_to_the_next_one() {
    let dir = TestDir::new();
    let text = conf(&dir, "events=PROCESS_GROUP\nstartsecs=0", "")
        .replace("LISMODE=ok", "LISMODE=diefirst");
    let d = Daemon::start(&dir, &text);
    assert!(wait_until(T, || events(&dir).len() >= 2));
    let evs = events(&dir);
    assert_eq!(field(&evs[0].0, "serial"), field(&evs[1].0, "serial"));
    assert!(d.log().contains("rebuffering event 0 for pool lis"));
}

#[test]
fn a_listener_can_stop_supervisord_when_a_program_goes_fatal() {
    let dir = TestDir::new();
    let d0 = dir.s();
    dir.write(
        "stop.sh",
        "#!/bin/sh\nwhile :; do printf 'READY\\n'; read -r h || exit 0; \
         head -c \"${h##*len:}\" >/dev/null; kill -TERM $PPID; printf 'RESULT 2\\nOK'; done\n",
    );
    let text = format!(
        "[supervisord]\nlogfile={d0}/supervisord.log\npidfile={d0}/supervisord.pid\n\n\
         [eventlistener:quit_on_failure]\nevents=PROCESS_STATE_FATAL\n\
         command=sh {d0}/stop.sh\n\n\
         [program:web]\ncommand=/bin/false\nstartretries=0\n"
    );
    let mut d = Daemon::start(&dir, &text);
    assert_eq!(d.wait_exit(T), Some(0), "{}", d.log());
    let log = d.log();
    assert!(log.contains("gave up: web entered FATAL state"), "{log}");
    assert!(log.contains("received SIGTERM indicating exit request"));
}

#[test]
fn output_becomes_log_and_communication_events() {
    let dir = TestDir::new();
    let d0 = dir.s();
    let prog = format!(
        "[program:talk]\ncommand=sh -c 'printf \"hello there, listener\\n\"; sleep 1; \
         printf \"before <!--XSUPERVISOR:BEGIN-->secret<!--XSUPERVISOR:END-->\"; \
         printf \" and after that, enough text\\n\"; sleep 100'\n\
         stdout_events_enabled=true\nstdout_capture_maxbytes=1KB\n\
         stdout_logfile={d0}/talk.log\n"
    );
    let _d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "events=PROCESS_LOG,PROCESS_COMMUNICATION\nbuffer_size=50",
            &prog,
        ),
    );
    assert!(wait_event(&dir, "PROCESS_COMMUNICATION_STDOUT"));
    let evs = events(&dir);
    let (_, hello) = evs
        .iter()
        .find(|(h, _)| field(h, "eventname") == "PROCESS_LOG_STDOUT")
        .unwrap();
    assert!(
        hello.starts_with("processname:talk groupname:talk pid:"),
        "{hello}"
    );
    // Output shorter than a capture token waits for more (the reference does the same).
    assert!(
        hello.contains(" channel:stdout\nhello there, listener\n"),
        "{hello}"
    );
    let pos = evs
        .iter()
        .position(|(h, _)| field(h, "eventname") == "PROCESS_COMMUNICATION_STDOUT")
        .unwrap();
    let comm = &evs[pos].1;
    assert!(comm.starts_with("processname:talk groupname:talk pid:"));
    assert!(comm.ends_with("\nsecret"), "the captured bytes: {comm}");
    assert!(wait_until(T, || fs::read_to_string(dir.join("talk.log"))
        .unwrap_or_default()
        .contains("after that")));
    let log = fs::read_to_string(dir.join("talk.log")).unwrap();
    assert!(
        log.starts_with("hello there, listener\nbefore  and after"),
        "{log}"
    );
    assert!(
        !log.contains("secret") && !log.contains("XSUPERVISOR"),
        "{log}"
    );
}

#[test]
fn a_big_event_reaches_a_listener_whole() {
    let dir = TestDir::new();
    let d0 = dir.s();
    // One 200 KB write: more than a pipe holds, so the envelope is written in parts.
    let prog = format!(
        "[program:big]\ncommand=sh -c 'head -c 200000 /dev/zero | tr \"\\\\0\" x; sleep 100'\n\
         stdout_events_enabled=true\nstdout_logfile={d0}/big.log\n"
    );
    let d = Daemon::start(
        &dir,
        &conf(&dir, "events=PROCESS_LOG\nbuffer_size=100", &prog),
    );
    assert!(
        wait_until(T, || {
            events(&dir)
                .iter()
                .map(|(_, p)| p.bytes().filter(|b| *b == b'x').count())
                .sum::<usize>()
                == 200_000
        }),
        "{:?}",
        events(&dir)
            .iter()
            .map(|(h, p)| (field(h, "len").to_string(), p.len()))
            .collect::<Vec<_>>()
    );
    for (h, p) in events(&dir) {
        assert_eq!(field(&h, "len"), p.chars().count().to_string());
    }
    assert!(!d.log().contains("overflowed"));
}

#[test]
fn removing_a_group_is_an_event() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "events=PROCESS_GROUP\nstartsecs=0",
            "[program:gone]\ncommand=sleep 100\nautostart=false\n",
        ),
    );
    assert!(wait_until(T, || events(&dir).len() >= 2));
    let (out, code) = d.ctl(&["remove", "gone"]);
    assert_eq!(code, 0, "{out}");
    assert!(wait_event(&dir, "PROCESS_GROUP_REMOVED"));
    let evs = events(&dir);
    assert_eq!(evs.last().unwrap().1, "groupname:gone\n");
}

#[test]
fn a_reload_keeps_the_global_serial_and_restarts_pool_serials() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "events=PROCESS_GROUP,SUPERVISOR_STATE_CHANGE\nstartsecs=0",
            "[program:a]\ncommand=sleep 100\n",
        ),
    );
    assert!(wait_until(T, || events(&dir).len() >= 3));
    assert!(common::kill(d.pid(), "HUP"));
    // After the reload the new listener gets the new startup events.
    assert!(
        wait_until(T, || events(&dir).len() >= 6),
        "{}\n{:?}",
        d.log(),
        names(&dir)
    );
    let evs = events(&dir);
    let got: Vec<(String, String, String)> = evs
        .iter()
        .map(|(h, _)| {
            (
                field(h, "eventname").to_string(),
                field(h, "serial").to_string(),
                field(h, "poolserial").to_string(),
            )
        })
        .collect();
    let second = got
        .iter()
        .skip(1)
        .position(|(_, _, ps)| ps == "0")
        .map(|i| i + 1)
        .expect("a new pool after the reload");
    let serials: Vec<u64> = got.iter().map(|(_, s, _)| s.parse().unwrap()).collect();
    assert!(
        serials[second] > serials[second - 1],
        "the global serial goes on: {got:?}"
    );
    assert_eq!(got[second].0, "PROCESS_GROUP_ADDED", "{got:?}");
}

#[test]
fn a_client_can_send_a_remote_communication_event() {
    use std::io::{Read, Write};
    let dir = TestDir::new();
    let _d = Daemon::start(
        &dir,
        &conf(&dir, "events=REMOTE_COMMUNICATION\nstartsecs=0", ""),
    );
    let sock = dir.join("s.sock");
    assert!(wait_until(T, || sock.exists()));
    let mut c = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    c.write_all(b"sendremotecommevent deploy \"v2 is out\"\n")
        .unwrap();
    let mut reply = String::new();
    c.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, ".OK 0\n");
    assert!(wait_event(&dir, "REMOTE_COMMUNICATION"));
    assert_eq!(events(&dir)[0].1, "type:deploy\nv2 is out");
}
