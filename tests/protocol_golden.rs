//! The output helpers of `supervisor::protocol` reproduce, byte for byte, what the reference
//! supervisorctl printed in `tests/golden/` (recorded by `tests/golden/record.sh`), with the
//! same exit codes. Each case rebuilds the reply the daemon would send from plain data,
//! renders it on the wire, parses it back as the client does, and prints it.

use std::path::PathBuf;

use supervisor::protocol::fault::exit;
use supervisor::protocol::reply::{push_body_line, push_body_text, render_end};
use supervisor::protocol::request::{from_words, parse_request, ProtoError};
use supervisor::protocol::results::{self, Action, ResultLine, UpdateStep};
use supervisor::protocol::status::{self, AvailInfo, ProcessStatus};
use supervisor::protocol::{help, Fault, Outcome, ReplyEvent, ReplyParser};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// (stdout, exit code) recorded for a case.
fn golden(name: &str) -> (String, i32) {
    let d = golden_dir();
    let out = std::fs::read_to_string(d.join(format!("{name}.stdout")))
        .unwrap_or_else(|e| panic!("golden {name}: {e}"));
    let code = std::fs::read_to_string(d.join(format!("{name}.exit")))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (out, code)
}

/// Builds a reply in wire bytes as the daemon would, then prints it as the client does.
struct Built {
    wire: Vec<u8>,
    outcome: Outcome,
}

impl Built {
    fn new() -> Built {
        Built {
            wire: Vec::new(),
            outcome: Outcome::ok(),
        }
    }

    fn line(&mut self, l: &str) -> &mut Built {
        push_body_line(&mut self.wire, l.as_bytes());
        self
    }

    fn lines<S: AsRef<str>>(&mut self, ls: &[S]) -> &mut Built {
        for l in ls {
            self.line(l.as_ref());
        }
        self
    }

    fn result(&mut self, r: ResultLine) -> &mut Built {
        self.line(&r.text);
        self.outcome.absorb(r.effect);
        self
    }

    fn outcome(&mut self, o: Outcome) -> &mut Built {
        self.outcome = o;
        self
    }

    /// The client's view: printed bytes and exit code.
    fn printed(&self) -> (String, i32) {
        let mut wire = self.wire.clone();
        wire.extend(render_end(&self.outcome));
        let mut out = Vec::new();
        let mut code = None;
        for ev in ReplyParser::new().feed(&wire) {
            match ev {
                ReplyEvent::Line(l) => {
                    out.extend(l);
                    out.push(b'\n');
                }
                ReplyEvent::Partial(p) => out.extend(p),
                ReplyEvent::Keepalive => {}
                ReplyEvent::End(o) => code = Some(o.exit_code),
            }
        }
        (String::from_utf8(out).unwrap(), code.expect("final line"))
    }
}

fn check(name: &str, b: &Built) {
    assert_eq!(b.printed(), golden(name), "golden case {name}");
}

fn ps(group: &str, name: &str, state: &str, desc: &str) -> ProcessStatus {
    ProcessStatus {
        group: group.into(),
        name: name.into(),
        state_name: state.into(),
        description: desc.into(),
    }
}

const RUNNING: &str = "pid {PID}, uptime {UPTIME}";
const NOT_STARTED: &str = "Not started";
const TOO_QUICK: &str = "Exited too quickly (process log may have details)";

/// The processes at the start of the recording.
fn world_start() -> Vec<ProcessStatus> {
    vec![
        ps("echoer", "echoer", "STOPPED", NOT_STARTED),
        ps("false", "false", "FATAL", TOO_QUICK),
        ps("manual", "manual", "STOPPED", NOT_STARTED),
        ps("multi", "multi_00", "STOPPED", NOT_STARTED),
        ps("multi", "multi_01", "STOPPED", NOT_STARTED),
        ps("noexec", "noexec", "STOPPED", NOT_STARTED),
        ps("nofile", "nofile", "STOPPED", NOT_STARTED),
        ps("nolog", "nolog", "STOPPED", NOT_STARTED),
        ps("sleeper", "sleeper", "RUNNING", RUNNING),
    ]
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn status_case(name: &str, world: &[ProcessStatus], args: &[&str]) {
    let (lines, outcome) = status::status_reply(world, &names(args));
    check(name, Built::new().lines(&lines).outcome(outcome));
}

#[test]
fn help_texts() {
    check(
        "help",
        Built::new().line(help::TOPICS.strip_suffix('\n').unwrap()),
    );
    for c in help::COMMANDS.iter().chain(["help"].iter()) {
        let (out, code) = golden(&format!("help_{c}"));
        assert_eq!(help::help_output(c), out, "help {c}");
        assert_eq!(code, 0);
    }
    assert_eq!(help::help_output("nosuch"), golden("help_nosuch").0);
}

#[test]
fn usage_errors_and_unknown_commands() {
    let golden_cases = std::fs::read_to_string(golden_dir().join("CASES")).unwrap();
    let mut checked = 0;
    for line in golden_cases.lines() {
        let (name, args) = line.split_once('\t').unwrap();
        if !name.starts_with("usage_") || name.starts_with("usage_fg") {
            continue;
        }
        let words: Vec<String> = args.split_whitespace().map(str::to_string).collect();
        let Err(ProtoError::Usage(u)) = from_words(&words[0], &words[1..]) else {
            panic!("{name}: expected a usage error");
        };
        check(name, Built::new().lines(&u.lines).outcome(u.outcome()));
        checked += 1;
    }
    assert!(checked >= 18, "{checked}");
    let e = parse_request(b"nosuchcmd").unwrap_err();
    check(
        "unknown",
        Built::new().lines(&e.lines()).outcome(e.outcome()),
    );
}

#[test]
fn status_tables() {
    let w = world_start();
    status_case("status_all", &w, &[]);
    status_case("status_one", &w, &["sleeper"]);
    status_case("status_stopped", &w, &["manual"]);
    status_case("status_fatal", &w, &["false"]);
    status_case("status_bad", &w, &["nosuch"]);
    status_case("status_bad_group", &w, &["nosuch:*"]);
    status_case("status_mixed", &w, &["sleeper", "manual", "nosuch"]);
    status_case("status_bad_first", &w, &["nosuch", "sleeper"]);
    status_case("status_group", &w, &["multi:*"]);

    let mut later = w.clone();
    let stopped = "{STOPTIME}";
    later[0] = ps("echoer", "echoer", "RUNNING", RUNNING);
    later[2] = ps("manual", "manual", "STOPPED", stopped);
    later[3] = ps("multi", "multi_00", "STOPPED", stopped);
    later[4] = ps("multi", "multi_01", "STOPPED", stopped);
    status_case("status_after", &later, &[]);

    let mut updated: Vec<ProcessStatus> = later[1..].to_vec();
    updated.insert(0, ps("added", "added", "STOPPED", NOT_STARTED));
    updated[3] = ps("multi", "multi_00", "STOPPED", NOT_STARTED);
    updated[4] = ps("multi", "multi_01", "STOPPED", NOT_STARTED);
    status_case("status_updated", &updated, &[]);
}

fn start(spec: &str, f: Option<Fault>) -> ResultLine {
    results::process_result(Action::Start, spec, f, "")
}

fn stop(spec: &str, f: Option<Fault>) -> ResultLine {
    results::process_result(Action::Stop, spec, f, "")
}

#[test]
fn start_and_stop_results() {
    use Fault::*;
    let cases: Vec<(&str, Vec<ResultLine>)> = vec![
        ("start_bad", vec![start("nosuch", Some(BadName))]),
        (
            "start_bad_group",
            vec![results::no_such_group(Action::Start, "nosuch")],
        ),
        (
            "start_running",
            vec![start("sleeper", Some(AlreadyStarted))],
        ),
        ("start_noexec", vec![start("noexec", Some(NotExecutable))]),
        ("start_nofile", vec![start("nofile", Some(NoFile))]),
        ("start_spawnerr", vec![start("false", Some(SpawnError))]),
        (
            "start_bad_in_group",
            vec![start("multi:nosuch", Some(BadName))],
        ),
        ("start_one", vec![start("manual", None)]),
        (
            "start_group",
            vec![start("multi:multi_00", None), start("multi:multi_01", None)],
        ),
        (
            "start_mixed",
            vec![
                start("manual", None),
                start("nosuch", Some(BadName)),
                start("sleeper", Some(AlreadyStarted)),
            ],
        ),
        ("stop_not_running", vec![stop("manual", Some(NotRunning))]),
        ("stop_bad", vec![stop("nosuch", Some(BadName))]),
        (
            "stop_bad_group",
            vec![results::no_such_group(Action::Stop, "nosuch")],
        ),
        ("stop_group_none_running", vec![]),
        ("stop_one", vec![stop("manual", None)]),
        (
            "stop_group",
            vec![stop("multi:multi_00", None), stop("multi:multi_01", None)],
        ),
        (
            "stop_mixed",
            vec![stop("manual", None), stop("nosuch", Some(BadName))],
        ),
        ("stop_again", vec![stop("manual", None)]),
        ("stop_all", vec![stop("sleeper", None)]),
        (
            "restart_bad",
            vec![
                stop("nosuch", Some(BadName)),
                start("nosuch", Some(BadName)),
            ],
        ),
        (
            "restart_stopped",
            vec![stop("manual", Some(NotRunning)), start("manual", None)],
        ),
        (
            "restart_running",
            vec![stop("manual", None), start("manual", None)],
        ),
        ("start_echoer", vec![start("echoer", None)]),
    ];
    for (name, lines) in cases {
        let mut b = Built::new();
        for l in lines {
            b.result(l);
        }
        check(name, &b);
    }
}

#[test]
fn signal_clear_pid_results() {
    use Fault::*;
    let sig = |spec: &str, f| results::process_result(Action::Signal, spec, f, "");
    let clear = |spec: &str, f| results::process_result(Action::Clear, spec, f, "");
    let cases: Vec<(&str, Vec<ResultLine>)> = vec![
        ("signal_bad", vec![sig("nosuch", Some(BadName))]),
        ("signal_badsig", vec![sig("manual", Some(BadSignal))]),
        ("signal_not_running", vec![sig("manual", Some(NotRunning))]),
        (
            "signal_bad_group",
            vec![results::no_such_group(Action::Signal, "nosuch")],
        ),
        ("clear_one", vec![clear("echoer", None)]),
        ("clear_bad", vec![clear("nosuch", Some(BadName))]),
        ("pid_not_running", vec![results::pid_result(0)]),
        ("pid_bad", vec![results::pid_no_such("nosuch")]),
        (
            "add_bad",
            vec![results::add_result("nosuch", Some(BadName))],
        ),
        (
            "add_active",
            vec![results::add_result("sleeper", Some(AlreadyAdded))],
        ),
        (
            "remove_bad",
            vec![results::remove_result("nosuch", Some(BadName))],
        ),
        (
            "remove_running",
            vec![results::remove_result("sleeper", Some(StillRunning))],
        ),
        ("reload", vec![results::reload_result(None)]),
        ("shutdown", vec![results::shutdown_result(None)]),
    ];
    for (name, lines) in cases {
        let mut b = Built::new();
        for l in lines {
            b.result(l);
        }
        check(name, &b);
    }
    // pid output holds pids, recorded as placeholders.
    check("pid_self", Built::new().line("{PID}"));
    check("pid_one", Built::new().line("{PID}"));
    let mut all = Built::new();
    for p in ["{PID}", "0", "0", "0", "0", "0", "0", "0", "{PID}"] {
        all.line(p);
    }
    check("pid_all", &all);
    check("version", Built::new().line(supervisor::VERSION));
}

#[test]
fn tail_output_is_the_log_text_plus_a_newline() {
    for (name, data) in [
        ("tail_out", &b"hello\n"[..]),
        ("tail_err", b"err\n"),
        ("tail_bytes", b"lo\n"),
    ] {
        let mut b = Built::new();
        push_body_text(&mut b.wire, &[data, b"\n"].concat());
        check(name, &b);
    }
    let mut b = Built::new();
    b.result(results::tail_error("nosuch", Fault::BadName));
    check("tail_bad", &b);
    let mut b = Built::new();
    b.result(results::tail_error("nolog", Fault::NoFile));
    check("tail_nolog", &b);
}

#[test]
fn avail_reread_update() {
    let info = |g: &str, n: &str, auto: bool, prio: i64| AvailInfo {
        group: g.into(),
        name: n.into(),
        in_use: true,
        autostart: auto,
        group_prio: prio,
        process_prio: prio,
    };
    // Given in group order; avail sorts by process name.
    let infos = vec![
        info("sleeper", "sleeper", true, 999),
        info("echoer", "echoer", false, 5),
        info("false", "false", true, 999),
        info("manual", "manual", false, 999),
        info("multi", "multi_01", false, 999),
        info("multi", "multi_00", false, 999),
        info("noexec", "noexec", false, 999),
        info("nofile", "nofile", false, 999),
        info("nolog", "nolog", false, 999),
    ];
    check("avail", Built::new().lines(&status::avail_lines(&infos)));

    check(
        "reread_none",
        Built::new().lines(&results::reread_lines(&[], &[], &[])),
    );
    let (added, changed, removed) = (names(&["added"]), names(&["multi"]), names(&["echoer"]));
    check(
        "reread_changes",
        Built::new().lines(&results::reread_lines(&added, &changed, &removed)),
    );

    let active = names(&[
        "echoer", "false", "manual", "multi", "noexec", "nofile", "nolog", "sleeper",
    ]);
    let plan = results::update_plan(&added, &changed, &removed, &active, &[]);
    let mut b = Built::new();
    for step in plan.steps {
        match step {
            UpdateStep::Remove(g) => {
                b.result(results::update_line(&g, "stopped"));
                b.result(results::update_line(&g, "removed process group"));
            }
            UpdateStep::Replace(g) => {
                b.result(results::update_line(&g, "stopped"));
                b.result(results::update_line(&g, "updated process group"));
            }
            UpdateStep::Add(g) => {
                b.result(results::update_line(&g, "added process group"));
            }
        }
    }
    check("update_changes", &b);

    let plan = results::update_plan(&[], &[], &[], &active, &names(&["nosuch"]));
    let mut b = Built::new();
    for e in plan.errors {
        b.result(e);
    }
    assert!(plan.steps.is_empty());
    check("update_bad", &b);
    assert_eq!(exit::GENERIC, golden("update_bad").1);
}
