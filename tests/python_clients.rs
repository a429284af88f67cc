//! Supervisor 4.3.0's own Python clients against a supervisord over XML-RPC: its
//! `supervisorctl` (every command, over the unix socket and over `[inet_http_server]` with a
//! plain and a `{SHA}` password), raw `xmlrpc.client` calls (tests/python/xmlrpc_calls.py),
//! superlance's `memmon` and `httpok` as event listeners, and a child using
//! `childutils.getRPCInterface(os.environ)`.
//!
//! The daemon is `$COMPAT_SUPERVISORD` (default: ours), so the same tests run against the
//! reference: `COMPAT_SUPERVISORD=/opt/ref/bin/supervisord cargo test --test python_clients`.
//! The Python tools come from the venv `$SUPERVISOR_REF_VENV` (default `target/pyref`, then
//! `/opt/ref`; `.ci/run` creates `target/pyref`); the tests fail when it is missing.
//!
//! Goldens live in tests/golden_py/. To re-record them from the reference:
//! `PY_GOLDEN_RECORD=1 COMPAT_SUPERVISORD=<venv>/bin/supervisord cargo test --test python_clients`.
//! Recording normalizes like tests/golden/record.sh (`{PID}`, `{UPTIME}`, `{STOPTIME}`, and
//! `{DIR}` for the temp dir, `{VENV}` for the Python venv, `{PORT}` for the inet port); comparing substitutes `{DIR}` and
//! `{PORT}` back and matches the rest as patterns, as tests/ctl_real.rs does.
#![cfg(feature = "xmlrpc")]

mod common;

use common::golden::matches;

use common::{alive, kill, wait_until, Daemon, TestDir};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// Environment

/// The supervisord under test.
fn daemon_bin() -> String {
    std::env::var("COMPAT_SUPERVISORD")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_supervisord").to_string())
}

/// Whether the daemon under test is the Python reference (a script, not our ELF binary).
fn daemon_is_reference() -> bool {
    let mut head = [0u8; 2];
    std::fs::File::open(daemon_bin())
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|_| &head == b"#!")
        .unwrap_or(false)
}

/// The venv with supervisor 4.3.0 and superlance; panics with a clear message without it.
fn venv() -> PathBuf {
    let candidates: Vec<PathBuf> = match std::env::var("SUPERVISOR_REF_VENV") {
        Ok(v) => vec![PathBuf::from(v)],
        Err(_) => vec![
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pyref"),
            PathBuf::from("/opt/ref"),
        ],
    };
    for c in &candidates {
        if ["python", "supervisorctl", "memmon", "httpok"]
            .iter()
            .all(|b| c.join("bin").join(b).exists())
        {
            return c.clone();
        }
    }
    panic!(
        "no Python venv with supervisor 4.3.0 and superlance at {candidates:?}: create one with \
         `python3 -m venv target/pyref && target/pyref/bin/pip install supervisor==4.3.0 \
         superlance` (as .ci/run does) or point SUPERVISOR_REF_VENV at one"
    );
}

fn vbin(name: &str) -> String {
    venv().join("bin").join(name).display().to_string()
}

fn recording() -> bool {
    std::env::var("PY_GOLDEN_RECORD").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden_py")
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const RPC: &str = "[rpcinterface:supervisor]\n\
    supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n";

fn start(dir: &TestDir, conf: &str) -> Daemon {
    let path = dir.write("supervisord.conf", conf);
    Daemon::start_bin(&daemon_bin(), dir, &path, &["-n"], &[])
}

/// Python's supervisorctl on `conf`: (stdout, exit code).
fn pyctl(conf: &Path, args: &[&str]) -> (String, i32) {
    let out = Command::new(vbin("supervisorctl"))
        .arg("-c")
        .arg(conf)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run Python supervisorctl");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Polls `cond` every 200 ms (each poll may start a Python client) until `timeout`.
fn poll(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The pid `supervisorctl pid NAME` reports (0 when not running).
fn ctl_pid(conf: &Path, name: &str) -> i32 {
    pyctl(conf, &["pid", name]).0.trim().parse().unwrap_or(0)
}

/// Whether the process has exec'd a command whose cmdline contains `needle` (a signal sent
/// between fork and exec reaches the reference's forked Python, which only notes it).
fn execd(pid: i32, needle: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains(needle))
        .unwrap_or(false)
}

/// record.sh's sed normalization, plus `{DIR}`, `{PORT}` and, with `lone_pids`, a line that
/// is just a non-zero number is a pid.
fn normalize(text: &str, dir: &str, port: Option<u16>, lone_pids: bool) -> String {
    let mut args = vec![
        "-E".to_string(),
        "-e".into(),
        "s/pid [0-9]+,/pid {PID},/g".into(),
        "-e".into(),
        "s/uptime [0-9:]+( day[s]?, [0-9:]+)?/uptime {UPTIME}/g".into(),
        "-e".into(),
        "s/[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2} [AP]M/{STOPTIME}/g".into(),
        "-e".into(),
        format!("s#{dir}#{{DIR}}#g"),
        "-e".into(),
        format!("s#{}#{{VENV}}#g", venv().display()),
    ];
    if let Some(port) = port {
        args.extend([
            "-e".into(),
            format!("s#127\\.0\\.0\\.1:{port}#127.0.0.1:{{PORT}}#g"),
        ]);
    }
    if lone_pids {
        args.extend(["-e".into(), "s/^[1-9][0-9]*$/{PID}/".into()]);
    }
    let mut child = Command::new("sed")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

// ---------------------------------------------------------------------------------------
// 1. Python supervisorctl, every command, against goldens

#[derive(Clone, Copy, PartialEq)]
enum Transport {
    Unix,
    InetPlain,
    InetSha,
}

impl Transport {
    fn golden_subdir(self) -> &'static str {
        match self {
            Transport::Unix => "ctl_unix",
            Transport::InetPlain => "ctl_inet",
            Transport::InetSha => "ctl_inet_sha",
        }
    }
}

/// The config: the servers and `[supervisorctl]` for `tr`; `added` appends a program and
/// drops `echoer` and `false` (the second config, for reread/update/add/remove).
fn ctl_conf(dir: &TestDir, tr: Transport, port: u16, added: bool) -> String {
    let d = dir.s();
    let mut c = String::new();
    match tr {
        Transport::Unix => c.push_str(&format!(
            "[unix_http_server]\nfile={d}/s.sock\n\n\
             [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n"
        )),
        Transport::InetPlain | Transport::InetSha => {
            let pw = if tr == Transport::InetPlain {
                "secret"
            } else {
                "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"
            };
            c.push_str(&format!(
                "[inet_http_server]\nport=127.0.0.1:{port}\nusername=bob\npassword={pw}\n\n\
                 [supervisorctl]\nserverurl=http://127.0.0.1:{port}\nusername=bob\n\
                 password=secret\n\n"
            ));
        }
    }
    c.push_str(&format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n{RPC}\
         [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n\
         [program:manual]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n\n\
         [program:ga]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n\n\
         [program:gb]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n\n\
         [group:g]\nprograms=ga,gb\n\n\
         [program:nofile]\ncommand=/nonexistent/bin\nautostart=false\n\n\
         [program:nolog]\ncommand=/bin/sleep 1000\nstdout_logfile=NONE\nautostart=false\n\
         startsecs=0\n\n"
    ));
    if !added {
        c.push_str("[program:false]\ncommand=/bin/false\nstartretries=0\n\n");
        c.push_str(&format!(
            "[program:echoer]\ncommand=/bin/sh -c 'echo hello; echo err >&2; exec sleep 1000'\n\
             autostart=false\nstartsecs=0\nstdout_logfile={d}/echoer.out\n\
             stderr_logfile={d}/echoer.err\n\n"
        ));
    } else {
        c.push_str("[program:added]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n\n");
    }
    c
}

/// Runs cases and compares each (or, when recording, writes its golden).
struct Script<'a> {
    conf: &'a Path,
    dir: &'a TestDir,
    port: Option<u16>,
    sub: PathBuf,
    failures: Vec<String>,
}

impl Script<'_> {
    fn case(&mut self, name: &str, args: &[&str]) -> String {
        self.run_case(name, args, false)
    }

    /// A case whose lines come in the order the processes finish (the reference reports
    /// `stop all` and the like as each completes): lines compare as sorted lists.
    fn unordered_case(&mut self, name: &str, args: &[&str]) -> String {
        self.run_case(name, args, true)
    }

    fn run_case(&mut self, name: &str, args: &[&str], unordered: bool) -> String {
        let (out, code) = pyctl(self.conf, args);
        let lone_pids = name.starts_with("pid_");
        let stdout = self.sub.join(format!("{name}.stdout"));
        let exit = self.sub.join(format!("{name}.exit"));
        if recording() {
            let text = normalize(&out, &self.dir.s(), self.port, lone_pids);
            std::fs::write(stdout, text).unwrap();
            std::fs::write(exit, format!("{code}\n")).unwrap();
            return out;
        }
        let want = read(&stdout)
            .replace("{DIR}", &self.dir.s())
            .replace("{VENV}", &venv().display().to_string())
            .replace(
                "{PORT}",
                &self.port.map(|p| p.to_string()).unwrap_or_default(),
            );
        let want_code: i32 = read(&exit).trim().parse().unwrap_or_else(|_| {
            panic!(
                "no golden {} (record with PY_GOLDEN_RECORD=1)",
                exit.display()
            )
        });
        let same = if unordered {
            let mut w: Vec<&str> = want.lines().collect();
            let mut g: Vec<&str> = out.lines().collect();
            w.sort_unstable();
            g.sort_unstable();
            w.len() == g.len() && w.iter().zip(&g).all(|(w, g)| matches(w, g))
        } else {
            matches(&want, &out)
        };
        if !same || code != want_code {
            self.failures.push(format!(
                "case {name} ({}):\n--- want (exit {want_code})\n{want}--- got (exit {code})\n{out}",
                args.join(" ")
            ));
        }
        out
    }

    /// A case whose stdout is not portable (the main log): only its exit code is golden and
    /// `check` judges the text.
    fn loose_case(&mut self, name: &str, args: &[&str], check: impl Fn(&str) -> bool) {
        let (out, code) = pyctl(self.conf, args);
        let exit = self.sub.join(format!("{name}.exit"));
        if recording() {
            std::fs::write(&exit, format!("{code}\n")).unwrap();
        }
        let want_code: i32 = read(&exit).trim().parse().unwrap_or(-999);
        if code != want_code || !check(&out) {
            self.failures.push(format!(
                "case {name} ({}): exit {code} (want {want_code}), stdout:\n{out}",
                args.join(" ")
            ));
        }
    }
}

fn ctl_script(tr: Transport) {
    let dir = TestDir::new();
    let port = free_port();
    let conf_text = ctl_conf(&dir, tr, port, false);
    let mut d = start(&dir, &conf_text);
    let conf = d.conf.clone();
    let sub = golden_dir().join(tr.golden_subdir());
    if recording() {
        let _ = std::fs::remove_dir_all(&sub);
        std::fs::create_dir_all(&sub).unwrap();
    }
    // sleeper RUNNING and false FATAL (startretries=0: one try).
    let ready = poll(T, || {
        let (out, _) = pyctl(&conf, &["status", "sleeper", "false"]);
        out.contains("RUNNING") && out.contains("FATAL")
    });
    assert!(ready, "daemon not ready; log:\n{}", d.log());
    let inet = tr != Transport::Unix;
    let mut s = Script {
        conf: &conf,
        dir: &dir,
        port: inet.then_some(port),
        sub,
        failures: Vec::new(),
    };

    if inet {
        s.case("auth_wrong_password", &["-p", "wrong", "status"]);
        s.case("auth_wrong_user", &["-u", "alice", "version"]);
    }
    s.case("status_all", &["status"]);
    s.case("status_one", &["status", "sleeper"]);
    s.case("status_group", &["status", "g:*"]);
    s.case("status_group_member", &["status", "g:ga"]);
    s.case("status_fatal", &["status", "false"]);
    s.case("status_bad", &["status", "nosuch"]);
    s.case("status_bad_group", &["status", "nosuch:*"]);
    s.case("status_mixed", &["status", "sleeper", "nosuch"]);
    s.case("start_one", &["start", "manual"]);
    s.case("start_running", &["start", "manual"]);
    s.case("stop_one", &["stop", "manual"]);
    s.case("stop_not_running", &["stop", "manual"]);
    s.case("start_bad", &["start", "nosuch"]);
    s.case("start_bad_group", &["start", "nosuch:*"]);
    s.unordered_case("start_group", &["start", "g:*"]);
    s.unordered_case("stop_group", &["stop", "g:*"]);
    s.case("stop_bad", &["stop", "nosuch"]);
    s.case("stop_bad_group", &["stop", "nosuch:*"]);
    s.case("start_nofile", &["start", "nofile"]);
    s.case("start_spawnerr", &["start", "false"]);
    s.case("restart_stopped", &["restart", "manual"]);
    s.case("restart_running", &["restart", "manual"]);
    s.unordered_case("restart_group", &["restart", "g:*"]);
    s.case("restart_bad", &["restart", "nosuch"]);
    s.case("signal_one", &["signal", "CONT", "sleeper"]);
    s.unordered_case("signal_group", &["signal", "CONT", "g:*"]);
    s.unordered_case("signal_all", &["signal", "CONT", "all"]);
    s.case("signal_number", &["signal", "18", "manual"]);
    s.case("signal_bad", &["signal", "CONT", "nosuch"]);
    s.case("signal_badsig", &["signal", "FOO", "sleeper"]);
    s.case("signal_not_running", &["signal", "HUP", "nolog"]);
    s.case("pid_self", &["pid"]);
    s.case("pid_one", &["pid", "sleeper"]);
    s.case("pid_not_running", &["pid", "nolog"]);
    s.case("pid_bad", &["pid", "nosuch"]);
    s.case("pid_all", &["pid", "all"]);
    s.case("start_echoer", &["start", "echoer"]);
    assert!(
        wait_until(T, || read(&dir.join("echoer.out")) == "hello\n"
            && read(&dir.join("echoer.err")) == "err\n"),
        "echoer wrote nothing"
    );
    s.case("tail_out", &["tail", "echoer"]);
    s.case("tail_100", &["tail", "-100", "echoer"]);
    s.case("tail_bytes", &["tail", "-3", "echoer"]);
    s.case("tail_stdout", &["tail", "echoer", "stdout"]);
    s.case("tail_err", &["tail", "echoer", "stderr"]);
    s.case("tail_err_100", &["tail", "-100", "echoer", "stderr"]);
    s.case("tail_bad", &["tail", "nosuch"]);
    s.case("tail_nolog", &["tail", "nolog"]);
    s.case("clear_one", &["clear", "echoer"]);
    s.case("tail_cleared", &["tail", "echoer"]);
    s.case("clear_bad", &["clear", "nosuch"]);
    s.unordered_case("clear_all", &["clear", "all"]);
    s.loose_case("maintail", &["maintail"], |o| {
        o.contains("INFO") && o.contains("spawned: 'echoer'")
    });
    // The last 5 bytes of the log, and supervisorctl's own newline.
    s.loose_case("maintail_bytes", &["maintail", "-5"], |o| {
        o.len() == 6 && o.ends_with("\n\n")
    });
    s.case("avail", &["avail"]);
    s.case("version", &["version"]);
    // Config changes: echoer and false disappear, added is new.
    s.case("reread_none", &["reread"]);
    s.case("update_none", &["update"]);
    std::fs::write(&conf, ctl_conf(&dir, tr, port, true)).unwrap();
    s.unordered_case("reread_changes", &["reread"]);
    s.case("avail_changed", &["avail"]);
    s.case("add_bad", &["add", "nosuch"]);
    s.case("add_new", &["add", "added"]);
    s.case("add_active", &["add", "added"]);
    s.case("remove_bad", &["remove", "nosuch"]);
    s.case("start_added", &["start", "added"]);
    s.case("remove_running", &["remove", "added"]);
    s.case("stop_added", &["stop", "added"]);
    s.case("remove_stopped", &["remove", "added"]);
    s.case("update_bad", &["update", "nosuch"]);
    s.unordered_case("update_changes", &["update"]);
    s.case("status_updated", &["status"]);

    // `all`, once `false` is gone (its spawn error races nofile's for the exit code).
    s.case("status_before_all", &["status"]);
    s.unordered_case("start_all", &["start", "all"]);
    s.case("status_all_started", &["status"]);
    s.unordered_case("restart_all", &["restart", "all"]);
    s.unordered_case("stop_all", &["stop", "all"]);
    s.case("status_stopped", &["status"]);
    s.case("shutdown", &["shutdown"]);
    let code = d.wait_exit(T);
    assert_eq!(code, Some(0), "daemon did not exit; log:\n{}", d.log());
    s.case("status_after_shutdown", &["status"]);
    s.case("shutdown_after_shutdown", &["shutdown"]);

    let failures = std::mem::take(&mut s.failures);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Python supervisorctl over the unix socket, no authentication.
#[test]
fn python_supervisorctl_over_unix_socket() {
    ctl_script(Transport::Unix);
}

/// Python supervisorctl over `[inet_http_server]` with a plain password.
#[test]
fn python_supervisorctl_over_inet_plain_password() {
    ctl_script(Transport::InetPlain);
}

/// Python supervisorctl over `[inet_http_server]` with a `{SHA}` password.
#[test]
fn python_supervisorctl_over_inet_sha_password() {
    ctl_script(Transport::InetSha);
}

// ---------------------------------------------------------------------------------------
// 2. Raw XML-RPC from Python

fn xmlrpc_conf(dir: &TestDir) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n{RPC}\
         [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n\
         [program:manual]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n\n\
         [program:multi]\ncommand=/bin/sleep 1000\nnumprocs=2\n\
         process_name=%(program_name)s_%(process_num)02d\nautostart=false\nstartsecs=0\n\n\
         [program:echoer]\ncommand=/bin/sh -c 'echo hello; echo err >&2; exec sleep 1000'\n\
         autostart=false\nstartsecs=0\n\n\
         [program:false]\ncommand=/bin/false\nautostart=false\nstartretries=0\n\n\
         [program:nofile]\ncommand=/nonexistent/bin\nautostart=false\n\n\
         [program:nolog]\ncommand=/bin/sleep 1000\nstdout_logfile=NONE\nautostart=false\n"
    )
}

/// tests/python/xmlrpc_calls.py: every call of the API, faults included, compared line by
/// line with tests/golden_py/xmlrpc.txt (the script normalizes pids, times, paths).
#[test]
fn python_xmlrpc_calls() {
    let dir = TestDir::new();
    let d = start(&dir, &xmlrpc_conf(&dir));
    assert!(
        wait_until(T, || dir.join("s.sock").exists()),
        "no socket; log:\n{}",
        d.log()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/xmlrpc_calls.py");
    let mut cmd = Command::new(vbin("python"));
    cmd.arg(&script).arg(dir.s());
    if daemon_is_reference() {
        cmd.arg("--empty-post-may-hang");
    }
    let out = cmd.stdin(Stdio::null()).output().expect("run python");
    let got = String::from_utf8_lossy(&out.stdout).into_owned();
    let golden = golden_dir().join("xmlrpc.txt");
    assert!(
        out.status.success(),
        "script failed ({:?}):\n{}\nstderr:\n{}\nlog:\n{}",
        out.status,
        got,
        String::from_utf8_lossy(&out.stderr),
        d.log()
    );
    if recording() {
        std::fs::write(&golden, &got).unwrap();
        return;
    }
    let want = read(&golden);
    assert!(!want.is_empty(), "no golden {}", golden.display());
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let mut diffs = Vec::new();
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i).copied(), g.get(i).copied());
        if a != b {
            diffs.push(format!("line {}:\n  want {a:?}\n  got  {b:?}", i + 1));
        }
    }
    assert!(diffs.is_empty(), "\n{}", diffs.join("\n"));
}

// ---------------------------------------------------------------------------------------
// 3. superlance

fn listener_conf(dir: &TestDir, programs: &str) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         {RPC}{programs}"
    )
}

/// `memmon -p hog=10MB` on TICK_5 restarts a program holding ~40 MB.
#[test]
fn superlance_memmon_restarts_a_big_program() {
    let dir = TestDir::new();
    dir.write(
        "hog.py",
        "import time\nx = 'a' * 40000000\nprint('allocated', flush=True)\ntime.sleep(1000)\n",
    );
    let d = dir.s();
    let progs = format!(
        "[program:hog]\ncommand={py} {d}/hog.py\nstartsecs=0\nstdout_logfile={d}/hog.out\n\n\
         [eventlistener:memmon]\ncommand={memmon} -p hog=10MB\nevents=TICK_5\n\
         stderr_logfile={d}/memmon.err\n",
        py = vbin("python"),
        memmon = vbin("memmon"),
    );
    let daemon = start(&dir, &listener_conf(&dir, &progs));
    let conf = daemon.conf.clone();
    let mut first = 0;
    assert!(
        poll(T, || {
            first = ctl_pid(&conf, "hog");
            first > 0 && read(&dir.join("hog.out")).contains("allocated")
        }),
        "hog never ran; log:\n{}",
        daemon.log()
    );
    let restarted = poll(T, || {
        let now = ctl_pid(&conf, "hog");
        now > 0 && now != first
    });
    assert!(
        restarted,
        "memmon did not restart hog (pid {first}); memmon stderr:\n{}\nlog:\n{}",
        read(&dir.join("memmon.err")),
        daemon.log()
    );
    assert!(!alive(first) || !execd(first, "hog.py"));
    // memmon flushes its stderr after the restart it reports, so its line may come later.
    assert!(
        poll(T, || read(&dir.join("memmon.err"))
            .contains("Restarting hog:hog")),
        "memmon stderr:\n{}",
        read(&dir.join("memmon.err"))
    );
}

/// `httpok -p web -t 1 URL` on TICK_5 restarts a web server that stopped answering
/// (SIGSTOPped).
#[test]
fn superlance_httpok_restarts_a_hung_web_server() {
    let dir = TestDir::new();
    let port = free_port();
    let d = dir.s();
    let progs = format!(
        "[program:web]\ncommand={py} -m http.server {port} --bind 127.0.0.1\ndirectory={d}\n\
         startsecs=0\nstopwaitsecs=1\n\n\
         [eventlistener:httpok]\ncommand={httpok} -p web -t 1 http://127.0.0.1:{port}/\n\
         events=TICK_5\nstderr_logfile={d}/httpok.err\n",
        py = vbin("python"),
        httpok = vbin("httpok"),
    );
    let daemon = start(&dir, &listener_conf(&dir, &progs));
    let conf = daemon.conf.clone();
    assert!(
        wait_until(T, || TcpStream::connect(("127.0.0.1", port)).is_ok()),
        "web never listened; log:\n{}",
        daemon.log()
    );
    let first = ctl_pid(&conf, "web");
    assert!(first > 0 && execd(first, "http.server"));
    assert!(kill(first, "STOP"));
    let restarted = poll(T, || {
        let now = ctl_pid(&conf, "web");
        now > 0 && now != first
    });
    kill(first, "CONT");
    assert!(
        restarted,
        "httpok did not restart web (pid {first}); httpok stderr:\n{}\nlog:\n{}",
        read(&dir.join("httpok.err")),
        daemon.log()
    );
    assert!(
        wait_until(T, || TcpStream::connect(("127.0.0.1", port)).is_ok()),
        "the new web never listened"
    );
    let err = read(&dir.join("httpok.err"));
    assert!(
        err.contains("Restarting selected processes ['web']"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// 4. A child using childutils.getRPCInterface(os.environ)

fn child_asks_for_state(inet: bool) {
    let dir = TestDir::new();
    let d = dir.s();
    let port = free_port();
    dir.write(
        "asker.py",
        "import os, xmlrpc.client\nfrom supervisor import childutils\n\
         try:\n    print(childutils.getRPCInterface(os.environ).supervisor.getState(), flush=True)\n\
         except xmlrpc.client.ProtocolError as e:\n    print('ProtocolError', e.errcode, flush=True)\n",
    );
    let py = vbin("python");
    let (server, extra) = if inet {
        // The reference passes only SUPERVISOR_SERVER_URL: credentials come from
        // `environment=`; a child without them gets 401.
        (
            format!("[inet_http_server]\nport=127.0.0.1:{port}\nusername=bob\npassword=secret\n\n"),
            format!(
                "environment=SUPERVISOR_USERNAME=\"bob\",SUPERVISOR_PASSWORD=\"secret\"\n\n\
                 [program:noauth]\ncommand={py} {d}/asker.py\nstartsecs=0\nautorestart=false\n\
                 stdout_logfile={d}/noauth.out\n"
            ),
        )
    } else {
        (
            format!("[unix_http_server]\nfile={d}/s.sock\n\n"),
            String::new(),
        )
    };
    let conf = format!(
        "{server}[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\n\
         childlogdir={d}\n\n{RPC}\
         [program:asker]\ncommand={py} {d}/asker.py\nstartsecs=0\nautorestart=false\n\
         stdout_logfile={d}/asker.out\nstderr_logfile={d}/asker.err\n{extra}"
    );
    let daemon = start(&dir, &conf);
    let ok = wait_until(T, || read(&dir.join("asker.out")).ends_with('\n'));
    assert!(
        ok,
        "asker stdout:\n{}\nstderr:\n{}\nlog:\n{}",
        read(&dir.join("asker.out")),
        read(&dir.join("asker.err")),
        daemon.log()
    );
    assert_eq!(
        read(&dir.join("asker.out")),
        "{'statecode': 1, 'statename': 'RUNNING'}\n"
    );
    if inet {
        assert!(wait_until(T, || read(&dir.join("noauth.out")).ends_with('\n')));
        // A deliberate difference: our children also get SUPERVISOR_USERNAME/PASSWORD
        // with the AUTO server URL, so childutils works without `environment=`.
        let want = if daemon_is_reference() {
            "ProtocolError 401\n"
        } else {
            "{'statecode': 1, 'statename': 'RUNNING'}\n"
        };
        assert_eq!(read(&dir.join("noauth.out")), want);
    }
}

/// SUPERVISOR_SERVER_URL (a unix socket) reaches the child, which calls getState.
#[test]
fn child_calls_get_state_over_unix_socket() {
    child_asks_for_state(false);
}

/// SUPERVISOR_SERVER_URL (inet with auth) reaches the child; with SUPERVISOR_USERNAME and
/// _PASSWORD from `environment=` it gets in, without them it gets 401.
#[test]
fn child_calls_get_state_over_inet_with_auth() {
    child_asks_for_state(true);
}
