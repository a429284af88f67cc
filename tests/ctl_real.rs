//! Our `supervisorctl` against our `supervisord -n`, compared with the goldens recorded from
//! Supervisor 4.3.0 (`tests/golden`, made by `record.sh`): same config, same preparatory
//! actions in the same order, every case's stdout (placeholders matched as patterns) and exit
//! code. The cases are split into groups that each get their own daemon (so they run in
//! parallel); a group whose cases depend on earlier ones gets the same preparation first.
//! Then checks beyond the goldens, each verified side by side with the reference: `all` and
//! `g:*` semantics, `tail --N`, the stop report in the log, the shell, `tail -f` and `fg`,
//! authentication, and commands against a daemon that has shut down.
//! Waits poll with deadlines; nothing sleeps to synchronise.

mod common;

use common::golden::matches;

use common::{ctl_output, wait_until, Daemon, TestDir};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// The golden cases

/// `record.sh`'s `write_conf`: `multi` runs `/bin/sleep 100<suffix>`; `added` appends the
/// `added` program; `echoer` keeps the `echoer` section (the second config drops it).
/// The recorded config, with `startsecs=0` on the programs that start fine: their replies and
/// status lines are the same, and each `start` no longer waits a second (`false` keeps the
/// default, so it still goes FATAL).
fn golden_conf(dir: &TestDir, suffix: u32, added: bool, echoer: bool) -> String {
    let d = dir.s();
    let mut c = format!(
        "[unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n\
         [program:false]\ncommand=/bin/false\nstartretries=1\n\n\
         [program:manual]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n\n\
         [program:multi]\ncommand=/bin/sleep 100{suffix}\nnumprocs=2\n\
         process_name=%(program_name)s_%(process_num)02d\nautostart=false\nstartsecs=0\n\n\
         [program:noexec]\ncommand=/etc/passwd\nautostart=false\n\n\
         [program:nofile]\ncommand=/nonexistent/bin\nautostart=false\n\n"
    );
    if echoer {
        c.push_str(
            "[program:echoer]\ncommand=/bin/sh -c 'echo hello; echo err >&2; exec sleep 1000'\n\
             autostart=false\npriority=5\nstartsecs=0\n\n",
        );
    }
    c.push_str("[program:nolog]\ncommand=/bin/sleep 1000\nstdout_logfile=NONE\nautostart=false\nstartsecs=0\n");
    if added {
        c.push_str("\n[program:added]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n");
    }
    c
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// `(name, args)` of every case in `CASES`, in recording order.
fn all_cases() -> Vec<(String, Vec<String>)> {
    std::fs::read_to_string(golden_dir().join("CASES"))
        .expect("read CASES")
        .lines()
        .map(|l| {
            let (name, args) = l.split_once('\t').expect("NAME<TAB>ARGS");
            let args = args.split_whitespace().map(str::to_string).collect();
            (name.to_string(), args)
        })
        .collect()
}

/// The groups, as (first case, last case) in `CASES` order; together they cover it all.
const HELP_AND_USAGE: (&str, &str) = ("help", "open_bad");
const PROCESS_COMMANDS: (&str, &str) = ("status_all", "version");
const CONFIG_CHANGES: (&str, &str) = ("reread_changes", "shutdown");
const NO_SERVER: (&str, &str) = ("nofile_status", "nofile_shutdown");

fn group(range: (&str, &str)) -> Vec<(String, Vec<String>)> {
    let cases = all_cases();
    let pos = |n: &str| cases.iter().position(|(c, _)| c == n).expect(n);
    cases[pos(range.0)..=pos(range.1)].to_vec()
}

/// Runs each case with our supervisorctl on `conf` and compares it with its golden.
/// Returns the mismatches (all of them, so one run shows every difference).
fn run_cases(conf: &Path, cases: &[(String, Vec<String>)]) -> Vec<String> {
    let mut failures = Vec::new();
    for (name, args) in cases {
        let want = std::fs::read_to_string(golden_dir().join(format!("{name}.stdout"))).unwrap();
        let want_code: i32 = std::fs::read_to_string(golden_dir().join(format!("{name}.exit")))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ctl_output(conf, &argv);
        let got = String::from_utf8_lossy(&out.stdout).into_owned();
        let code = out.status.code().unwrap_or(-1);
        if !matches(&want, &got) || code != want_code {
            failures.push(format!(
                "case {name} ({}):\n--- want (exit {want_code})\n{want}--- got (exit {code})\n{got}",
                args.join(" ")
            ));
        }
    }
    failures
}

fn assert_no_failures(failures: Vec<String>) {
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn ctl(conf: &Path, args: &[&str]) -> (String, i32) {
    let out = ctl_output(conf, args);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn wait_socket(dir: &TestDir, d: &Daemon) {
    assert!(
        wait_until(T, || dir.join("s.sock").exists()),
        "no socket; log:\n{}",
        d.log()
    );
}

/// `record.sh`'s `sleep 4`: sleeper RUNNING and false FATAL (there it took the reference's
/// 1 s startup delay and startsecs; here we poll).
fn wait_initial_state(conf: &Path) {
    let ok = wait_until(T, || {
        let (out, _) = ctl(conf, &["status", "sleeper", "false"]);
        out.contains("sleeper                          RUNNING")
            && out.contains("false                            FATAL")
    });
    assert!(ok, "{:?}", ctl(conf, &["status"]));
}

/// The coverage check: every recorded case belongs to exactly one group.
#[test]
fn the_groups_cover_every_case_once() {
    let mut names: Vec<String> = [HELP_AND_USAGE, PROCESS_COMMANDS, CONFIG_CHANGES, NO_SERVER]
        .into_iter()
        .flat_map(group)
        .map(|(n, _)| n)
        .collect();
    let all: Vec<String> = all_cases().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, all);
    names.dedup();
    assert_eq!(names.len(), all.len());
    assert!(all.len() > 100);
}

#[test]
fn placeholders_match_as_patterns() {
    let cases = [
        (
            "pid {PID}, uptime {UPTIME}\n",
            "pid 42, uptime 0:00:03\n",
            true,
        ),
        (
            "pid {PID}, uptime {UPTIME}\n",
            "pid 42, uptime 2 days, 1:02:03\n",
            true,
        ),
        (
            "pid {PID}, uptime {UPTIME}\n",
            "pid 0, uptime 0:00:03\n",
            false,
        ),
        (
            "pid {PID}, uptime {UPTIME}\n",
            "pid , uptime 0:00:03\n",
            false,
        ),
        ("{PID}\n0\n", "123\n0\n", true),
        ("{PID}\n0\n", "123\n0\nextra\n", false),
        (
            "STOPPED   {STOPTIME}\n",
            "STOPPED   Nov 23 09:41 PM\n",
            true,
        ),
        ("STOPPED   {STOPTIME}\n", "STOPPED   Not started\n", false),
        ("plain\n", "plain\n", true),
        ("plain\n", "plain", false),
    ];
    for (p, t, want) in cases {
        assert_eq!(matches(p, t), want, "{p:?} vs {t:?}");
    }
}

/// Help texts, usage errors, `fg` refusals and `open`: the client's own checks, against a
/// daemon in its initial state (`fg manual` needs `manual` not running).
#[test]
fn golden_help_and_usage() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &golden_conf(&dir, 0, false, true));
    wait_socket(&dir, &d);
    assert_no_failures(run_cases(&d.conf, &group(HELP_AND_USAGE)));
}

/// The process commands, in recording order: each case sees the state the earlier ones
/// left, as in `record.sh`.
#[test]
fn golden_process_commands() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &golden_conf(&dir, 0, false, true));
    wait_socket(&dir, &d);
    wait_initial_state(&d.conf);
    let cases = group(PROCESS_COMMANDS);
    let at = cases.iter().position(|(n, _)| n == "tail_out").unwrap();
    let mut failures = run_cases(&d.conf, &cases[..at]);
    // record.sh's `sleep 0.5` after `start echoer`: its output has reached the logs.
    let logged = |prefix: &str, text: &str| {
        std::fs::read_dir(&dir.path).unwrap().flatten().any(|e| {
            e.file_name().to_string_lossy().starts_with(prefix)
                && std::fs::read_to_string(e.path()).unwrap_or_default() == text
        })
    };
    assert!(wait_until(T, || logged("echoer-stdout", "hello\n")
        && logged("echoer-stderr", "err\n")));
    let after = cases.iter().position(|(n, _)| n == "status_after").unwrap();
    failures.extend(run_cases(&d.conf, &cases[at..after]));
    // `start false` (start_spawnerr) left it retrying; the recording shows it FATAL by now.
    assert!(wait_until(T, || ctl(&d.conf, &["status", "false"])
        .0
        .contains("FATAL")));
    failures.extend(run_cases(&d.conf, &cases[after..]));
    assert_no_failures(failures);
}

/// `reread`, `update`, `stop all`, `reload` and `shutdown` after the config changed
/// (`multi`'s command changes, `echoer` disappears, `added` is new). The preparation
/// recreates what the process cases left behind that these outputs show: `manual` started
/// and stopped (its stop time), `echoer` running (so `update` stops it), `false` FATAL.
#[test]
fn golden_config_changes() {
    let dir = TestDir::new();
    let mut d = Daemon::start(&dir, &golden_conf(&dir, 0, false, true));
    wait_socket(&dir, &d);
    wait_initial_state(&d.conf);
    for args in [["start", "manual"], ["stop", "manual"], ["start", "echoer"]] {
        assert_eq!(ctl(&d.conf, &args).1, 0, "{args:?}");
    }
    std::fs::write(&d.conf, golden_conf(&dir, 1, true, false)).unwrap();
    let cases = group(CONFIG_CHANGES);
    let at = cases.iter().position(|(n, _)| n == "shutdown").unwrap();
    let mut failures = run_cases(&d.conf, &cases[..at]);
    // record.sh's `sleep 3` after `reload`: the daemon is back, sleeper RUNNING again.
    let back = wait_until(T, || {
        ctl(&d.conf, &["status", "sleeper"]).0.contains("RUNNING")
    });
    assert!(back, "not back after reload; log:\n{}", d.log());
    failures.extend(run_cases(&d.conf, &cases[at..]));
    assert_no_failures(failures);
    assert_eq!(d.wait_exit(T), Some(0));

    // The socket is gone: what the nofile_* goldens show for a path that never existed.
    let url = format!("unix://{}/s.sock", dir.s());
    let cases: [(&[&str], String, i32); 4] = [
        (&["status"], format!("{url} no such file\n"), 4),
        (&["start", "x"], format!("{url} no such file\n"), 7),
        (&["pid"], format!("{url} no such file\n"), 7),
        (
            &["shutdown"],
            format!("ERROR: {url} no such file (already shut down?)\n"),
            1,
        ),
    ];
    for (args, want, code) in cases {
        assert_eq!(ctl(&d.conf, args), (want, code), "{args:?}");
    }
}

/// No server at all: `-s unix:///nonexistent.sock`.
#[test]
fn golden_no_server() {
    let dir = TestDir::new();
    let conf = dir.write("supervisord.conf", &golden_conf(&dir, 0, false, true));
    assert_no_failures(run_cases(&conf, &group(NO_SERVER)));
}

// ---------------------------------------------------------------------------------------
// Beyond the goldens (each checked side by side with the reference)

fn small_conf(dir: &TestDir, auth: &str, programs: &str) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n{auth}\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n{programs}"
    )
}

const MULTI: &str = "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
                     [program:manual]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n\
                     [program:multi]\ncommand=/bin/sleep 1000\nstartsecs=0\nnumprocs=2\n\
                     process_name=%(program_name)s_%(process_num)02d\nautostart=false\n";

/// Runs a script of (args, stdout, exit code) steps; `{PID}` etc. match as in the goldens.
fn script(conf: &Path, steps: &[(&str, &str, i32)]) {
    for (args, want, want_code) in steps {
        let argv: Vec<&str> = args.split_whitespace().collect();
        let (got, code) = ctl(conf, &argv);
        assert!(
            matches(want, &got) && code == *want_code,
            "{args}:\n--- want (exit {want_code})\n{want}--- got (exit {code})\n{got}"
        );
    }
}

/// `all` and `g:*` act only on the processes the action applies to (start: not running;
/// stop: running; signal: signallable), so they report no `already started` / `not
/// running`; `all` anywhere means `all` alone; repeated names are acted on one after the
/// other; `clear g:*` is refused as `g:None` (the reference's clearProcessLogs takes no
/// group). Results are listed in request order.
#[test]
fn all_and_groups_take_only_what_the_action_applies_to() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &small_conf(&dir, "", MULTI));
    wait_socket(&dir, &d);
    let c = &d.conf;
    assert!(wait_until(T, || ctl(c, &["status", "sleeper"])
        .0
        .contains("RUNNING")));
    script(
        c,
        &[
            ("start sleeper:*", "", 0),
            ("signal HUP multi:*", "", 0),
            ("signal FOO all", "sleeper: ERROR (bad signal name)\n", 1),
            ("stop multi:*", "", 0),
            (
                "start multi:multi_00 multi:*",
                "multi:multi_00: started\nmulti:multi_01: started\n",
                0,
            ),
            ("start all nosuch", "manual: started\n", 0),
            ("pid nosuch all", "{PID}\n{PID}\n{PID}\n{PID}\n", 0),
            (
                "stop multi:multi_00 multi:multi_00",
                "multi:multi_00: stopped\nmulti:multi_00: ERROR (not running)\n",
                0,
            ),
            (
                "signal CONT nosuch all",
                "manual: signalled\nmulti:multi_01: signalled\nsleeper: signalled\n",
                0,
            ),
            ("clear multi:*", "multi:None: ERROR (no such process)\n", 1),
            (
                "clear nosuch:*",
                "nosuch:None: ERROR (no such process)\n",
                1,
            ),
            (
                "clear nosuch all",
                "manual: cleared\nmulti:multi_00: cleared\nmulti:multi_01: cleared\n\
                 sleeper: cleared\n",
                0,
            ),
            (
                "start sleeper sleeper",
                "sleeper: ERROR (already started)\n\
                                       sleeper: ERROR (already started)\n",
                0,
            ),
            (
                "stop multi:multi_01 sleeper",
                "multi:multi_01: stopped\nsleeper: stopped\n",
                0,
            ),
            (
                "restart all",
                "manual: stopped\n\
                 manual: started\nmulti:multi_00: started\nmulti:multi_01: started\n\
                 sleeper: started\n",
                0,
            ),
            (
                "stop all",
                "manual: stopped\nmulti:multi_00: stopped\nmulti:multi_01: stopped\n\
                 sleeper: stopped\n",
                0,
            ),
            ("stop all", "", 0),
        ],
    );
}

/// `tail -N` reads N the way Python's `int()` does: `--3` is -3, so supervisorctl asks
/// for the log from byte 3; `-+3` is 3; underscores between digits are allowed.
#[test]
fn tail_counts_read_like_python_int() {
    let dir = TestDir::new();
    let progs = "[program:echo]\ncommand=/bin/sh -c 'echo hello; exec sleep 1000'\nstartsecs=0\n";
    let d = Daemon::start(&dir, &small_conf(&dir, "", progs));
    wait_socket(&dir, &d);
    let c = &d.conf;
    assert!(wait_until(T, || ctl(c, &["tail", "echo"]).0 == "hello\n\n"));
    script(
        c,
        &[
            ("tail --3 echo", "lo\n\n", 0),
            ("tail --100 echo", "\n", 0),
            ("tail -+3 echo", "lo\n\n", 0),
            ("tail -1_0 echo", "hello\n\n", 0),
            ("tail --0 echo", "hello\n\n", 0),
            ("tail -1__0 echo", "Error: bad argument -1__0\n", 1),
            ("tail -3x echo", "Error: bad argument -3x\n", 1),
        ],
    );
}

/// The interactive shell on a pipe: the status table first, a prompt per line, and a
/// newline at the end of input; failures do not change the exit code of the shell.
#[test]
fn the_shell_on_a_pipe() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &small_conf(&dir, "", MULTI));
    wait_socket(&dir, &d);
    assert!(wait_until(T, || ctl(&d.conf, &["status", "sleeper"])
        .0
        .contains("RUNNING")));
    let mut child = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .arg("-c")
        .arg(&d.conf)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"status manual\nstart nosuch\nfoo\npid manual\nquit\nversion\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let table = "manual                           STOPPED   Not started\n\
                 multi:multi_00                   STOPPED   Not started\n\
                 multi:multi_01                   STOPPED   Not started\n\
                 sleeper                          RUNNING   pid {PID}, uptime {UPTIME}\n";
    let want = format!(
        "{table}supervisor> manual                           STOPPED   Not started\n\
         supervisor> nosuch: ERROR (no such process)\n\
         supervisor> *** Unknown syntax: foo\nsupervisor> 0\nsupervisor> \n"
    );
    let got = String::from_utf8_lossy(&out.stdout);
    assert!(matches(&want, &got), "{got}");
    assert_eq!(out.status.code(), Some(0));
}

/// A running supervisorctl whose stdout is collected in the background.
struct Bg {
    child: Child,
    out: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Bg {
    fn spawn(conf: &Path, args: &[&str], stdin: Stdio) -> Bg {
        let mut child = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
            .arg("-c")
            .arg(conf)
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (mut r, o) = (child.stdout.take().unwrap(), out.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                o.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Bg { child, out }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    fn wait_for(&self, needle: &str) {
        assert!(
            wait_until(T, || self.text().contains(needle)),
            "never printed {needle:?}: {:?}",
            self.text()
        );
    }

    fn interrupt(&self) {
        assert!(common::kill(self.child.id() as i32, "INT"));
    }

    /// Waits for the exit → (stdout, code). The collector may lag the exit a little.
    fn finish(mut self) -> (String, i32) {
        let end = Instant::now() + T;
        let code = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s.code().unwrap_or(-1);
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("supervisorctl hung: {:?}", self.text());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let settled = wait_until(T, || std::sync::Arc::strong_count(&self.out) == 1);
        assert!(settled);
        (self.text(), code)
    }
}

/// `tail -f` follows new output until Ctrl-C (then a newline, exit 0); `fg` forwards typed
/// lines to the process and shows what it writes; `maintail -f` shows the main log.
#[test]
fn follow_fg_and_ctrl_c() {
    let dir = TestDir::new();
    let progs = "[program:cat]\ncommand=/bin/cat\nstartsecs=0\n\
                 [program:ticker]\ncommand=/bin/sh -c 'i=0; while true; do i=$((i+1)); \
                 echo tick $i; sleep 0.1; done'\nstartsecs=0\n";
    let d = Daemon::start(&dir, &small_conf(&dir, "", progs));
    wait_socket(&dir, &d);
    let c = &d.conf;
    assert!(wait_until(T, || ctl(c, &["status", "cat"])
        .0
        .contains("RUNNING")));

    let tail = Bg::spawn(c, &["tail", "-f", "ticker"], Stdio::null());
    tail.wait_for("tick 3\n");
    let seen = tail.text().len();
    assert!(wait_until(T, || tail.text().len() > seen + 14), "no growth");
    tail.interrupt();
    let (out, code) = tail.finish();
    assert!(
        out.starts_with("==> Press Ctrl-C to exit <==\ntick 1\n"),
        "{out}"
    );
    assert!(out.ends_with("\n\n"), "{out:?}");
    assert_eq!(code, 0);

    let main = Bg::spawn(c, &["maintail", "-f"], Stdio::null());
    main.wait_for("spawned: 'ticker'");
    main.interrupt();
    assert_eq!(main.finish().1, 0);

    let mut fg = Bg::spawn(c, &["fg", "cat"], Stdio::piped());
    fg.wait_for("==> Press Ctrl-C to exit <==\n");
    let mut stdin = fg.child.stdin.take().unwrap();
    stdin.write_all(b"hello cat\n").unwrap();
    fg.wait_for("hello cat\n");
    fg.interrupt();
    let (out, code) = fg.finish();
    assert_eq!(
        out,
        "==> Press Ctrl-C to exit <==\nhello cat\nExiting foreground\n"
    );
    assert_eq!(code, 0);
    drop(stdin);
}

/// `[unix_http_server]` with a username and password: the right ones work; none or wrong
/// ones get `Server requires authentication` (exit 1), and `tail -f` prints no banner
/// first, as the reference's upcheck fails before it.
#[test]
fn authentication_against_the_daemon() {
    let dir = TestDir::new();
    let auth = "username=bob\npassword=secret\n";
    let progs = "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n";
    let d = Daemon::start(&dir, &small_conf(&dir, auth, progs));
    wait_socket(&dir, &d);
    let c = &d.conf;
    let denied = ("Server requires authentication\n".to_string(), 1);
    assert!(wait_until(T, || ctl(
        c,
        &["-u", "bob", "-p", "secret", "status"]
    )
    .0
    .contains("RUNNING")));
    assert_eq!(ctl(c, &["status"]), denied);
    assert_eq!(ctl(c, &["-u", "bob", "-p", "wrong", "version"]), denied);
    assert_eq!(ctl(c, &["-u", "bob", "status"]), denied);
    assert_eq!(
        ctl(c, &["-u", "bob", "-p", "wrong", "tail", "-f", "sleeper"]),
        denied
    );
    assert_eq!(
        ctl(c, &["-u", "bob", "-p", "wrong", "maintail", "-f"]),
        denied
    );
    assert_eq!(
        ctl(c, &["-u", "bob", "-p", "secret", "version"]),
        ("4.3.0\n".to_string(), 0)
    );
    let tail = Bg::spawn(
        c,
        &["-u", "bob", "-p", "secret", "tail", "-f", "sleeper"],
        Stdio::null(),
    );
    tail.wait_for("==> Press Ctrl-C to exit <==\n");
    tail.interrupt();
    assert_eq!(
        tail.finish(),
        ("==> Press Ctrl-C to exit <==\n\n".into(), 0)
    );
}

/// Signals by number, name and `SIG` name, in any case; unknown ones are refused.
#[test]
fn signals_by_number_and_name() {
    let dir = TestDir::new();
    let progs = "[program:w]\ncommand=/bin/sleep 1000\nstartsecs=0\nautorestart=false\n";
    let d = Daemon::start(&dir, &small_conf(&dir, "", progs));
    wait_socket(&dir, &d);
    let c = &d.conf;
    assert!(wait_until(T, || ctl(c, &["status", "w"])
        .0
        .contains("RUNNING")));
    script(
        c,
        &[
            ("signal 999 w", "w: ERROR (bad signal name)\n", 1),
            ("signal -1 w", "w: ERROR (bad signal name)\n", 1),
            ("signal 0 w", "w: signalled\n", 0),
            ("signal sigcont w", "w: signalled\n", 0),
            ("signal Cont w", "w: signalled\n", 0),
            ("signal 15 w", "w: signalled\n", 0),
        ],
    );
    assert!(wait_until(T, || ctl(c, &["status", "w"])
        .0
        .contains("EXITED")));
    script(c, &[("signal 1 w", "w: ERROR (not running)\n", 7)]);
}

/// While supervisord shuts down, every request is refused (the reference fails each RPC
/// with SHUTDOWN_STATE, reads included): supervisorctl's own messages where it has them,
/// `ERROR: supervisor shutting down` where it shows a Python exception; exit 1, except
/// `shutdown` (0). Then the daemon exits and its socket is gone.
#[test]
fn requests_while_shutting_down_are_refused() {
    let dir = TestDir::new();
    let progs =
        "[program:stub]\ncommand=/bin/sh -c 'trap \"\" TERM; while true; do sleep 0.1; done'\n\
                 startsecs=0\nstopwaitsecs=60\n";
    let mut d = Daemon::start(&dir, &small_conf(&dir, "", progs));
    wait_socket(&dir, &d);
    let conf = d.conf.clone();
    let c = &conf;
    assert!(wait_until(T, || ctl(c, &["status", "stub"])
        .0
        .contains("RUNNING")));
    let (pid, _) = ctl(c, &["pid", "stub"]);
    let pid: i32 = pid.trim().parse().unwrap();
    let refused = "ERROR: supervisor shutting down\n";
    script(
        c,
        &[
            ("shutdown", "Shut down\n", 0),
            ("status", refused, 1),
            ("version", refused, 1),
            ("pid", refused, 1),
            ("start stub", refused, 1),
            ("stop stub", refused, 1),
            ("tail stub", refused, 1),
            ("tail -f stub", refused, 1),
            ("fg stub", refused, 1),
            ("signal KILL stub", refused, 1),
            ("remove stub", refused, 1),
            ("shutdown", "ERROR: already shutting down\n", 0),
            ("reload", "ERROR: already shutting down\n", 1),
            ("reread", refused, 1),
            ("update", "ERROR: already shutting down\n", 1),
            ("avail", refused, 1),
            ("add a b", "ERROR: shutting down\nERROR: shutting down\n", 1),
        ],
    );
    assert!(common::kill(pid, "KILL"));
    assert_eq!(d.wait_exit(T), Some(0));
    let url = format!("unix://{}/s.sock", dir.s());
    assert_eq!(ctl(c, &["status"]), (format!("{url} no such file\n"), 4));
}
