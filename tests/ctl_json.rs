//! `supervisorctl status --json` and `avail --json`, against our daemon (text protocol)
//! and against the Python reference (XML-RPC): one JSON document that Python's `json`
//! module parses, with the same rows and values from both daemons.
//!
//! The reference comes from the venv in `SUPERVISOR_REF_VENV` (default `/opt/ref`); the
//! test fails with a clear message when it is missing, as it does without `python3`.
#![cfg(feature = "xmlrpc")]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{ctl_output, kill, pids_with_marker, wait_until, Daemon, TestDir};

const T: Duration = Duration::from_secs(20);

fn conf(d: &str) -> String {
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\npriority=5\n\
         stdout_logfile={d}/sleeper.out\n\n\
         [program:exiter]\ncommand=/bin/sh -c 'exit 3'\nstartsecs=0\nautorestart=false\n\n\
         [program:manual]\ncommand=/bin/sleep 1000\nautostart=false\n\n\
         [group:g]\nprograms=member\n\n\
         [program:member]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    )
}

/// Parses `json` with Python's `json` module and prints what the test checks, one row a
/// line (panics when python3 is missing or the document does not parse).
fn python_view(json: &str, script: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed for this test");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "not JSON: {}\n--- document:\n{json}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const STATUS_VIEW: &str = r#"
import json, sys
rows = json.load(sys.stdin)
assert isinstance(rows, list)
for r in rows:
    running = r["state"] == "RUNNING"
    assert (r["pid"] is not None and r["pid"] > 0) == running, r
    assert r["uptime"] >= 0 and (running or r["uptime"] == 0), r
    assert r["now"] > 1600000000, r
    assert r["start"] is None or r["start"] <= r["now"], r
    if running:
        assert r["description"].startswith("pid %d, uptime " % r["pid"]), r
    print(r["namespec"], r["group"], r["name"], r["state"], r["statecode"], r["exitstatus"],
          r["start"] is not None, r["stop"] is not None, r["spawnerr"] == "",
          r["stdout_logfile"].endswith("sleeper.out") if r["name"] == "sleeper" else "-")
"#;

const AVAIL_VIEW: &str = r#"
import json, sys
for r in json.load(sys.stdin):
    print(r["namespec"], r["in_use"], r["autostart"], r["group_priority"], r["priority"])
"#;

const WANT_STATUS: &str = "\
exiter exiter exiter EXITED 100 3 True True False -
g:member g member RUNNING 20 0 True False True -
manual manual manual STOPPED 0 0 False False True -
sleeper sleeper sleeper RUNNING 20 0 True False True True
";

const WANT_AVAIL: &str = "\
exiter True True 999 999
manual True False 999 999
g:member True True 999 999
sleeper True True 5 5
";

fn settled(conf: &Path) -> bool {
    wait_until(T, || {
        let out = ctl_output(conf, &["status"]);
        let out = String::from_utf8_lossy(&out.stdout);
        let has = |n: &str, s: &str| out.lines().any(|l| l.starts_with(n) && l.contains(s));
        has("exiter", "EXITED") && has("sleeper", "RUNNING") && has("g:member", "RUNNING")
    })
}

fn check(conf: &Path, who: &str) {
    assert!(settled(conf), "{who}: programs did not settle");
    let out = ctl_output(conf, &["status", "--json"]);
    let doc = String::from_utf8_lossy(&out.stdout);
    // EXITED and STOPPED are listed: exit 3, as `status`.
    assert_eq!(out.status.code(), Some(3), "{who}: {doc}");
    assert_eq!(python_view(&doc, STATUS_VIEW), WANT_STATUS, "{who}");

    let out = ctl_output(conf, &["status", "--json", "sleeper", "g:*"]);
    assert_eq!(out.status.code(), Some(0), "{who}");
    let doc = String::from_utf8_lossy(&out.stdout);
    let view = python_view(&doc, STATUS_VIEW);
    assert_eq!(view.lines().count(), 2, "{who}: {view}");
    assert!(
        view.starts_with("sleeper "),
        "{who}: the order asked: {view}"
    );

    let out = ctl_output(conf, &["status", "--json", "nosuch"]);
    assert_eq!(out.status.code(), Some(4), "{who}");
    assert_eq!(
        python_view(&String::from_utf8_lossy(&out.stdout), AVAIL_VIEW),
        ""
    );

    let out = ctl_output(conf, &["avail", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{who}");
    let doc = String::from_utf8_lossy(&out.stdout);
    assert_eq!(python_view(&doc, AVAIL_VIEW), WANT_AVAIL, "{who}");
}

#[test]
fn status_and_avail_json_from_our_daemon() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir.s()));
    check(&d.conf, "ours");
    // The same document by hand over the socket.
    let mut s = std::os::unix::net::UnixStream::connect(dir.join("s.sock")).unwrap();
    s.write_all(b"status --json sleeper\n").unwrap();
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut s, &mut reply).unwrap();
    let (body, end) = reply
        .rsplit_once(".OK 0\n")
        .map(|(b, _)| (b, 0))
        .unwrap_or(("", 1));
    assert_eq!(end, 0, "{reply}");
    assert!(python_view(body, STATUS_VIEW).starts_with("sleeper sleeper sleeper RUNNING"));
}

fn venv() -> PathBuf {
    let v = PathBuf::from(std::env::var("SUPERVISOR_REF_VENV").unwrap_or("/opt/ref".into()));
    assert!(
        v.join("bin/supervisord").is_file(),
        "the reference Supervisor 4.3.0 venv is missing: no bin/supervisord under {} (set \
         SUPERVISOR_REF_VENV to a venv with `pip install supervisor==4.3.0`)",
        v.display()
    );
    v
}

/// The Python supervisord, killed with its children on drop.
struct PyDaemon {
    dir: TestDir,
    child: Child,
}

impl Drop for PyDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in pids_with_marker(&self.dir.s()) {
            kill(pid, "KILL");
        }
    }
}

#[test]
fn status_and_avail_json_from_the_python_reference() {
    let dir = TestDir::new();
    let conf_path = dir.write("supervisord.conf", &conf(&dir.s()));
    let child = Command::new(venv().join("bin/supervisord"))
        .args(["-n", "-c"])
        .arg(&conf_path)
        .env("SVTEST_ID", dir.s())
        .current_dir(&dir.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the Python supervisord");
    let py = PyDaemon { dir, child };
    check(&conf_path, "python");
    drop(py);
}
