//! Our `supervisorctl` as a client of the REAL Python supervisord (XML-RPC mode), side by
//! side with the Python supervisorctl: for every command, the same stdout (after the
//! temp dir is replaced by `DIR` and digits by `N`: pids, uptimes, dates) and the same exit
//! code. State-changing sequences run against two identical Python daemons, one per client,
//! so both see the same history; read-only log commands run against the same daemon.
//! Also: the inet server with a password, and a server that accepts and says nothing
//! (our client gives up after `SUPERVISORCTL_TIMEOUT`).
//!
//! The reference comes from the venv in `SUPERVISOR_REF_VENV` (default `/opt/ref`); the
//! tests fail with a clear message when it is missing.
#![cfg(feature = "xmlrpc")]

mod common;

use common::{kill, pids_with_marker, wait_until, TestDir};
use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

fn venv() -> PathBuf {
    let v = PathBuf::from(std::env::var("SUPERVISOR_REF_VENV").unwrap_or("/opt/ref".into()));
    assert!(
        v.join("bin/supervisord").is_file() && v.join("bin/supervisorctl").is_file(),
        "the reference Supervisor 4.3.0 venv is missing: no bin/supervisord and \
         bin/supervisorctl under {} (set SUPERVISOR_REF_VENV to a venv with `pip install \
         supervisor==4.3.0`)",
        v.display()
    );
    v
}

fn ours() -> String {
    env!("CARGO_BIN_EXE_supervisorctl").to_string()
}

fn reference() -> String {
    venv().join("bin/supervisorctl").display().to_string()
}

/// A Python `supervisord -n -c conf` in its own temp dir, killed with its children on drop.
struct PyDaemon {
    dir: TestDir,
    child: Option<Child>,
    conf: PathBuf,
}

impl PyDaemon {
    fn start(conf: impl Fn(&str) -> String) -> PyDaemon {
        let dir = TestDir::new();
        let conf_path = dir.write("supervisord.conf", &conf(&dir.s()));
        let child = Command::new(venv().join("bin/supervisord"))
            .arg("-n")
            .arg("-c")
            .arg(&conf_path)
            .env("SVTEST_ID", dir.s())
            .current_dir(&dir.path)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("daemon.out")).unwrap())
            .stderr(std::fs::File::create(dir.join("daemon.err")).unwrap())
            .spawn()
            .expect("start the Python supervisord");
        let d = PyDaemon {
            dir,
            child: Some(child),
            conf: conf_path,
        };
        d.wait_ready();
        d
    }

    /// Waits until every autostart program runs.
    fn wait_ready(&self) {
        let ok = wait_until(T, || {
            let (out, _) = run(&reference(), &self.conf, &[], &["status"], None);
            ["sleeper ", "echoer ", "cat "].iter().all(|p| {
                out.lines()
                    .any(|l| l.starts_with(p) && l.contains("RUNNING"))
            })
        });
        assert!(
            ok,
            "the Python supervisord did not come up in {}",
            self.dir.s()
        );
    }

    fn rewrite(&self, conf: impl Fn(&str) -> String) {
        std::fs::write(&self.conf, conf(&self.dir.s())).unwrap();
    }
}

impl Drop for PyDaemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            kill(c.id() as i32, "TERM");
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        for pid in pids_with_marker(&self.dir.s()) {
            kill(pid, "KILL");
        }
    }
}

fn conf(d: &str, inet: Option<u16>, second: bool) -> String {
    let mut c = format!(
        "[unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n\
         [program:cat]\ncommand=/bin/cat\nstartsecs=0\n\n\
         [program:multi]\ncommand=/bin/sleep 1000\nnumprocs=2\n\
         process_name=%(program_name)s_%(process_num)02d\nautostart=false\nstartsecs=0\n\n\
         [program:nolog]\ncommand=/bin/sleep 1000\nstdout_logfile=NONE\nautostart=false\nstartsecs=0\n\n"
    );
    if let Some(port) = inet {
        c.push_str(&format!(
            "[inet_http_server]\nport=127.0.0.1:{port}\nusername=user\npassword=secret\n\n"
        ));
    }
    let manual = if second { "sleep 1001" } else { "sleep 1000" };
    c.push_str(&format!(
        "[program:manual]\ncommand=/bin/{manual}\nautostart=false\nstartsecs=0\n\n"
    ));
    if second {
        c.push_str("[program:added]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n\n");
    } else {
        c.push_str(
            "[program:echoer]\ncommand=/bin/sh -c 'echo hello; echo err >&2; exec sleep 1000'\n\
             startsecs=0\n\n",
        );
    }
    c
}

/// Runs `bin -c conf <opts> <args>` (a deadline guards against hangs); stdout and exit code.
fn run(
    bin: &str,
    conf: &Path,
    opts: &[&str],
    args: &[&str],
    env: Option<(&str, &str)>,
) -> (String, i32) {
    let mut cmd = Command::new(bin);
    cmd.arg("-c").arg(conf).args(opts).args(args);
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run supervisorctl");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let end = Instant::now() + Duration::from_secs(60);
    let code = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break st.code().unwrap_or(-1);
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{bin} {args:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (reader.join().unwrap(), code)
}

/// The output with the daemon's dir as `DIR` and every number as `N`.
fn norm(text: &str, dir: &str) -> String {
    // Each run of digits becomes one N: pids differ in width once they wrap (32757 beside 300).
    let mut out = String::new();
    let mut in_digits = false;
    for c in text.replace(dir, "DIR").chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !in_digits {
            out.push('N');
        }
        in_digits = c.is_ascii_digit();
    }
    out
}

/// Two identical daemons: ours talks to `a`, the reference's to `b`.
struct Pair {
    a: PyDaemon,
    b: PyDaemon,
    opts_a: Vec<String>,
    opts_b: Vec<String>,
}

impl Pair {
    /// Runs `line` with both clients and compares. A line that acts on `all` is compared
    /// with its output lines sorted: the daemon answers processes of equal priority in the
    /// order they finish, which differs between the two daemons.
    fn check(&self, line: &str) {
        let args: Vec<&str> = line.split_whitespace().collect();
        let unordered = args.contains(&"all") && args[0] != "status";
        let oa: Vec<&str> = self.opts_a.iter().map(String::as_str).collect();
        let ob: Vec<&str> = self.opts_b.iter().map(String::as_str).collect();
        let (out_a, code_a) = run(&ours(), &self.a.conf, &oa, &args, None);
        let (out_b, code_b) = run(&reference(), &self.b.conf, &ob, &args, None);
        let shape = |out: &str, dir: &str| {
            let text = norm(out, dir);
            if !unordered {
                return text;
            }
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort();
            lines.join("\n")
        };
        assert_eq!(
            (shape(&out_a, &self.a.dir.s()), code_a),
            (shape(&out_b, &self.b.dir.s()), code_b),
            "`{line}`: ours (left) and the reference (right) differ\nours:\n{out_a}\nref:\n{out_b}"
        );
    }
}

#[test]
fn every_command_over_the_unix_socket() {
    let c1 = |d: &str| conf(d, None, false);
    let pair = Pair {
        a: PyDaemon::start(c1),
        b: PyDaemon::start(c1),
        opts_a: vec![],
        opts_b: vec![],
    };
    for line in [
        "status",
        "status sleeper",
        "status multi:*",
        "status sleeper multi:multi_00",
        "status nosuch",
        "status nosuch:*",
        "status all",
        "version",
        "pid",
        "pid sleeper",
        "pid manual",
        "pid nosuch",
        "pid all",
        "avail",
        "start manual",
        "start manual",
        "start multi:*",
        "start nosuch",
        "start nosuch:*",
        "start nolog nosuch",
        "stop manual",
        "stop manual",
        "stop multi:*",
        "stop nosuch:*",
        "stop nosuch",
        "restart sleeper",
        "restart multi:*",
        "signal HUP sleeper",
        "signal BOGUS sleeper",
        "signal HUP manual",
        "signal HUP nosuch:*",
        "signal USR1 multi:*",
        "signal WINCH all",
        "clear sleeper",
        "clear nosuch",
        "clear multi:*",
        "clear all",
        "tail echoer",
        "tail echoer stderr",
        "tail -3 echoer",
        "tail -0 echoer",
        "tail nosuch",
        "tail nolog",
        "stop all",
        "status",
        "start all",
        "status",
        "reread",
        "remove sleeper",
        "add sleeper",
        "add nosuch",
    ] {
        pair.check(line);
    }
    let c2 = |d: &str| conf(d, None, true);
    pair.a.rewrite(c2);
    pair.b.rewrite(c2);
    for line in [
        "reread",
        "avail",
        "update nosuch",
        "update",
        "update",
        "avail",
        "status",
        "remove added",
        "add added",
        "start added",
        "remove added",
        "stop added",
        "remove added",
        "update all",
        "reload",
    ] {
        pair.check(line);
    }
    pair.a.wait_ready_after_reload();
    pair.b.wait_ready_after_reload();
    pair.check("status");
    pair.check("shutdown");
}

impl PyDaemon {
    fn wait_ready_after_reload(&self) {
        let ok = wait_until(T, || {
            let (out, code) = run(&reference(), &self.conf, &[], &["status", "sleeper"], None);
            code == 0 && out.contains("RUNNING")
        });
        assert!(ok, "no supervisord after reload in {}", self.dir.s());
    }
}

#[test]
fn log_commands_against_one_daemon() {
    let d = PyDaemon::start(|d| conf(d, None, false));
    for line in [
        "maintail",
        "maintail -50",
        "maintail -0",
        "tail -5 cat stderr",
    ] {
        let args: Vec<&str> = line.split_whitespace().collect();
        let a = run(&ours(), &d.conf, &[], &args, None);
        let b = run(&reference(), &d.conf, &[], &args, None);
        assert_eq!(a, b, "`{line}`");
    }
}

/// What to do once some output has appeared.
#[derive(Clone, Copy)]
enum Act {
    CtrlC,
    Type(&'static str),
    CloseStdin,
}

/// Starts `bin -c conf args` with piped stdin/stdout; for each step waits for its text in
/// stdout, then acts. Returns stdout and the exit code.
fn interactive(bin: &str, conf: &Path, args: &[&str], steps: &[(&str, Act)]) -> (String, i32) {
    let mut child = Command::new(bin)
        .arg("-c")
        .arg(conf)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let b2 = std::sync::Arc::clone(&buf);
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = out.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b2.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    let text = || String::from_utf8_lossy(&buf.lock().unwrap()).into_owned();
    for (want, act) in steps {
        if !wait_until(T, || text().contains(want)) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{bin} {args:?}: no {want:?} in {:?}", text());
        }
        match act {
            Act::CtrlC => {
                kill(child.id() as i32, "INT");
            }
            Act::Type(t) => child
                .stdin
                .as_mut()
                .unwrap()
                .write_all(t.as_bytes())
                .unwrap(),
            Act::CloseStdin => drop(child.stdin.take()),
        }
    }
    // The reference's `fg` ends only once its streaming thread wakes to see it was told to
    // stop, and that thread's asyncore loop sleeps up to 30 s between events.
    let end = Instant::now() + Duration::from_secs(45);
    let code = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break st.code().unwrap_or(-1);
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{bin} {args:?} does not end");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    reader.join().unwrap();
    (text(), code)
}

#[test]
fn streams_and_foreground() {
    let d = PyDaemon::start(|d| conf(d, None, false));
    for (args, want) in [
        (&["tail", "-f", "echoer"][..], "hello\n"),
        (&["tail", "-f", "echoer", "stderr"][..], "err\n"),
        (&["maintail", "-f"][..], "echoer entered RUNNING"),
    ] {
        let steps = [(want, Act::CtrlC)];
        let a = interactive(&ours(), &d.conf, args, &steps);
        let b = interactive(&reference(), &d.conf, args, &steps);
        assert_eq!(a, b, "{args:?}");
    }
    // A stream that cannot start: the banner, a message on stderr, exit 0.
    let a = run(&ours(), &d.conf, &[], &["tail", "-f", "nosuch"], None);
    let b = run(&reference(), &d.conf, &[], &["tail", "-f", "nosuch"], None);
    assert_eq!(a, b);
    // fg: what is typed goes to cat's stdin and comes back on its stdout; EOF ends it.
    let steps = [
        ("Press Ctrl-C to exit <==\n", Act::Type("ping\n")),
        ("ping\n", Act::CloseStdin),
    ];
    let a = interactive(&ours(), &d.conf, &["fg", "cat"], &steps);
    let b = interactive(&reference(), &d.conf, &["fg", "cat"], &steps);
    // The daemon replays a log under 1 KiB from its start, so the reference's run also shows
    // the ping of ours; whether its own echo is printed before it sees EOF is a race in its
    // streaming thread. Compared: the banner, the last lines and the exit status.
    assert_eq!(a.1, b.1);
    assert!(
        b.0.starts_with("==> Press Ctrl-C to exit <==\nping\n")
            && b.0.ends_with("ping\nExiting foreground\n"),
        "{b:?}"
    );
    assert_eq!(
        a.0,
        "==> Press Ctrl-C to exit <==\nping\nExiting foreground\n"
    );
    let one = |bin: &str, args: &[&str]| run(bin, &d.conf, &[], args, None);
    for args in [
        &["fg", "nosuch"][..],
        &["fg", "nolog"][..],
        &["fg"][..],
        &["fg", "a", "b"][..],
    ] {
        assert_eq!(one(&ours(), args), one(&reference(), args), "{args:?}");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn inet_server_with_a_password() {
    let (pa, pb) = (free_port(), free_port());
    let pair = Pair {
        a: PyDaemon::start(move |d| conf(d, Some(pa), false)),
        b: PyDaemon::start(move |d| conf(d, Some(pb), false)),
        opts_a: vec![
            "-s".into(),
            format!("http://127.0.0.1:{pa}"),
            "-u".into(),
            "user".into(),
            "-p".into(),
            "secret".into(),
        ],
        opts_b: vec![
            "-s".into(),
            format!("http://127.0.0.1:{pb}"),
            "-u".into(),
            "user".into(),
            "-p".into(),
            "secret".into(),
        ],
    };
    for line in [
        "status",
        "version",
        "pid sleeper",
        "stop sleeper",
        "start sleeper",
        "restart all",
        "tail echoer",
        "avail",
        "reread",
    ] {
        pair.check(line);
    }
    // Wrong or missing credentials: `Server requires authentication` and exit 1. (The
    // reference then runs the command a second time and prints that exception too.)
    for creds in [&["-u", "user", "-p", "wrong"][..], &[][..]] {
        for cmd in ["status", "version", "avail", "shutdown"] {
            let url_a = format!("http://127.0.0.1:{pa}");
            let url_b = format!("http://127.0.0.1:{pb}");
            let mut oa = vec!["-s", url_a.as_str()];
            oa.extend(creds);
            let mut ob = vec!["-s", url_b.as_str()];
            ob.extend(creds);
            let (a, ca) = run(&ours(), &pair.a.conf, &oa, &[cmd], None);
            let (b, cb) = run(&reference(), &pair.b.conf, &ob, &[cmd], None);
            assert_eq!(a, "Server requires authentication\n", "{cmd} {creds:?}");
            assert_eq!(b.lines().next(), Some("Server requires authentication"));
            assert_eq!(ca, cb, "{cmd} {creds:?}");
        }
    }
}

#[test]
fn a_silent_server_makes_us_give_up_after_the_timeout() {
    let dir = TestDir::new();
    let sock = dir.join("silent.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let conf = dir.write("ctl.conf", "[supervisorctl]\n");
    let url = format!("unix://{}", sock.display());
    let started = Instant::now();
    let (out, code) = run(
        &ours(),
        &conf,
        &["-s", &url],
        &["status"],
        Some(("SUPERVISORCTL_TIMEOUT", "1")),
    );
    let took = started.elapsed();
    assert_eq!(
        out,
        format!("error: {url} did not answer within 1 seconds\n")
    );
    assert_eq!(code, 4);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// Against a Python supervisord (XML-RPC only), `update --dry-run` and `reread -v` can name
/// only whole groups (what Supervisor's `update` would do to them), and change no process.
#[test]
fn dry_run_against_a_python_daemon_names_whole_groups() {
    let d = PyDaemon::start(|d| conf(d, None, false));
    let before = run(&ours(), &d.conf, &[], &["pid", "echoer"], None);
    d.rewrite(|d| conf(d, None, true));
    let plan = "echoer: stop (removed)\nmanual: restart (changed)\nadded: start (added)\n";
    let got = run(&ours(), &d.conf, &[], &["update", "--dry-run"], None);
    assert_eq!(got, (plan.to_string(), 0));
    let got = run(&ours(), &d.conf, &[], &["reread", "-v"], None);
    let reread = "added: available\nechoer: disappeared\nmanual: changed\n";
    assert_eq!(got, (format!("{reread}{plan}"), 0));
    let got = run(
        &ours(),
        &d.conf,
        &[],
        &["update", "--dry-run", "manual"],
        None,
    );
    assert_eq!(got, ("manual: restart (changed)\n".to_string(), 0));
    assert_eq!(run(&ours(), &d.conf, &[], &["pid", "echoer"], None), before);
}
