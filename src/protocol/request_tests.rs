//! Unit tests for the text protocol's request parser.
use super::*;

fn p(line: &str) -> Result<Request, ProtoError> {
    parse_request(line.as_bytes())
}

fn usage(line: &str) -> (Vec<String>, i32) {
    match p(line) {
        Err(ProtoError::Usage(u)) => (u.lines, u.exit_code),
        other => panic!("{line}: expected a usage error, got {other:?}"),
    }
}

fn v(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn parses_every_command() {
    let cases: Vec<(&str, Request)> = vec![
        ("status", Request::Status { names: vec![] }),
        (
            "status web g:*",
            Request::Status {
                names: v(&["web", "g:*"]),
            },
        ),
        (
            "start a b c",
            Request::Start {
                names: v(&["a", "b", "c"]),
            },
        ),
        (
            "stop group:*\r",
            Request::Stop {
                names: v(&["group:*"]),
            },
        ),
        ("restart all", Request::Restart { names: v(&["all"]) }),
        (
            "signal HUP web",
            Request::Signal {
                signal: "HUP".into(),
                names: v(&["web"]),
            },
        ),
        (
            "tail web",
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stdout,
                mode: TailMode::Last(1600),
            },
        ),
        (
            "tail -4096 web STDERR",
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stderr,
                mode: TailMode::Last(4096),
            },
        ),
        (
            "tail -f web",
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stdout,
                mode: TailMode::Follow,
            },
        ),
        (
            "tail -0 web",
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stdout,
                mode: TailMode::Last(0),
            },
        ),
        (
            "tail --5 web",
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stdout,
                mode: TailMode::From(5),
            },
        ),
        (
            "tail -+1_000 web",
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stdout,
                mode: TailMode::Last(1000),
            },
        ),
        (
            "tail --0 web",
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stdout,
                mode: TailMode::Last(0),
            },
        ),
        (
            "maintail --7",
            Request::MainTail {
                mode: TailMode::From(7),
            },
        ),
        (
            "maintail -f",
            Request::MainTail {
                mode: TailMode::Follow,
            },
        ),
        (
            "maintail -200",
            Request::MainTail {
                mode: TailMode::Last(200),
            },
        ),
        (
            "maintail",
            Request::MainTail {
                mode: TailMode::Last(1600),
            },
        ),
        ("pid", Request::Pid { names: vec![] }),
        ("pid web", Request::Pid { names: v(&["web"]) }),
        ("clear all", Request::Clear { names: v(&["all"]) }),
        ("rotate all", Request::Rotate { names: v(&["all"]) }),
        (
            "rotate web g:*",
            Request::Rotate {
                names: v(&["web", "g:*"]),
            },
        ),
        ("reread", Request::Reread { verbose: false }),
        ("reread -v", Request::Reread { verbose: true }),
        (
            "update",
            Request::Update {
                names: vec![],
                dry_run: false,
            },
        ),
        (
            "update --dry-run web",
            Request::Update {
                names: v(&["web"]),
                dry_run: true,
            },
        ),
        ("add g", Request::Add { names: v(&["g"]) }),
        ("remove g", Request::Remove { names: v(&["g"]) }),
        ("avail", Request::Avail),
        ("avail --json", Request::AvailJson),
        (
            "status --json web",
            Request::StatusJson { names: v(&["web"]) },
        ),
        ("metrics", Request::Metrics),
        (
            "events PROCESS_STATE TICK_5",
            Request::Events {
                types: v(&["PROCESS_STATE", "TICK_5"]),
            },
        ),
        ("reload", Request::Reload),
        ("shutdown", Request::Shutdown),
        ("version", Request::Version),
        ("upgrade", Request::Upgrade),
        (
            "sendstdin web hello world",
            Request::SendStdin {
                name: "web".into(),
                text: "hello world".into(),
            },
        ),
        (
            "sendstdin web \"hi\\n\"",
            Request::SendStdin {
                name: "web".into(),
                text: "hi\n".into(),
            },
        ),
        (
            "sendremotecommevent deploy \"v2 done\\n\"",
            Request::SendRemoteCommEvent {
                kind: "deploy".into(),
                data: "v2 done\n".into(),
            },
        ),
        ("help", Request::Help { topic: "".into() }),
        (
            "help start",
            Request::Help {
                topic: "start".into(),
            },
        ),
        (
            "auth bob s3cret",
            Request::Auth {
                user: "bob".into(),
                password: "s3cret".into(),
            },
        ),
    ];
    for (line, want) in cases {
        assert_eq!(p(line), Ok(want), "line {line:?}");
    }
}

#[test]
fn usage_errors_match_supervisorctl() {
    let start_help = help::lines(help::topic("start").unwrap());
    let (lines, code) = usage("start");
    assert_eq!(lines[0], "Error: start requires a process name");
    assert_eq!(&lines[1..], &start_help[..]);
    assert_eq!(code, 2);
    let cases: &[(&str, &str, i32)] = &[
        ("stop", "Error: stop requires a process name", 1),
        ("restart", "Error: restart requires a process name", 1),
        ("clear", "Error: clear requires a process name", 1),
        ("rotate", "Error: rotate requires a process name", 1),
        (
            "signal",
            "Error: signal requires a signal name and a process name",
            1,
        ),
        (
            "signal HUP",
            "Error: signal requires a signal name and a process name",
            1,
        ),
        ("avail x", "Error: avail accepts no arguments", 1),
        ("reread x", "Error: reread accepts no arguments", 1),
        ("reload x", "Error: reload accepts no arguments", 1),
        ("shutdown x", "Error: shutdown accepts no arguments", 1),
        ("version x", "Error: version accepts no arguments", 1),
        ("metrics x", "Error: metrics accepts no arguments", 1),
        ("avail --json x", "Error: avail accepts no arguments", 1),
        ("tail", "Error: too few arguments", 1),
        ("tail a b c d", "Error: too many arguments", 1),
        ("tail -f a b c", "Error: too many arguments", 1),
        ("tail -f", "Error: tail requires process name", 1),
        ("tail -x", "Error: tail requires process name", 1),
        ("tail -x web", "Error: bad argument -x", 1),
        ("tail -abc web", "Error: bad argument -abc", 1),
        ("tail -- web", "Error: bad argument --", 1),
        ("tail ---5 web", "Error: bad argument ---5", 1),
        ("tail -5_ web", "Error: bad argument -5_", 1),
        ("tail -_5 web", "Error: bad argument -_5", 1),
        ("tail -5__0 web", "Error: bad argument -5__0", 1),
        ("tail -+ web", "Error: bad argument -+", 1),
        ("tail web foo", "Error: bad channel 'foo'", 1),
        ("tail web FOO", "Error: bad channel 'foo'", 1),
        ("tail a b c", "Error: bad channel 'c'", 1),
        ("tail -f -5 web", "Error: bad channel 'web'", 1),
        ("tail -x web foo", "Error: bad channel 'foo'", 1),
        ("maintail a b", "Error: too many arguments", 1),
        ("maintail -x", "Error: bad argument -x", 1),
        ("maintail x", "Error: bad argument x", 1),
        ("maintail -", "Error: bad argument -", 1),
        (
            "sendstdin web",
            "Error: sendstdin requires a process name and text",
            1,
        ),
        (
            "auth bob",
            "Error: auth requires a user name and a password",
            1,
        ),
    ];
    for (line, first, code) in cases {
        let (lines, got) = usage(line);
        assert_eq!(lines[0], *first, "line {line:?}");
        assert_eq!(got, *code, "line {line:?}");
    }
    assert_eq!(usage("tail").0.len(), 7);
    assert_eq!(usage("tail -x web").0.len(), 1);
    assert_eq!(usage("maintail a b").0.len(), 5);
}

#[test]
fn other_errors() {
    assert_eq!(
        p("frobnicate  the web"),
        Err(ProtoError::Unknown("frobnicate  the web".into()))
    );
    assert!(matches!(p(""), Err(ProtoError::Syntax(_))));
    assert!(matches!(p("start \"web"), Err(ProtoError::Syntax(_))));
    assert!(matches!(
        parse_request(b"\xff\xff"),
        Err(ProtoError::Syntax(_))
    ));
    let long = vec![b'a'; MAX_LINE + 1];
    assert!(matches!(parse_request(&long), Err(ProtoError::Syntax(_))));
    let e = p("nosuch").unwrap_err();
    assert_eq!(e.lines(), vec!["*** Unknown syntax: nosuch"]);
    assert_eq!(e.outcome(), Outcome::failed(Fault::UnknownMethod, 1));
}

#[test]
fn render_round_trips() {
    let reqs = vec![
        Request::Status { names: vec![] },
        Request::Start {
            names: v(&["a b", "g:*", "\"q\"", "-f"]),
        },
        Request::Signal {
            signal: "SIGHUP".into(),
            names: v(&["x\ny"]),
        },
        Request::Tail {
            name: "-odd".into(),
            channel: Stream::Stderr,
            mode: TailMode::Follow,
        },
        Request::Tail {
            name: "web".into(),
            channel: Stream::Stdout,
            mode: TailMode::Last(0),
        },
        Request::MainTail {
            mode: TailMode::Last(99),
        },
        Request::MainTail {
            mode: TailMode::From(3),
        },
        Request::SendStdin {
            name: "web".into(),
            text: "a  b\n".into(),
        },
        Request::SendStdin {
            name: "web".into(),
            text: "".into(),
        },
        Request::SendRemoteCommEvent {
            kind: "t y".into(),
            data: "".into(),
        },
        Request::Auth {
            user: "u".into(),
            password: "p w\"".into(),
        },
        Request::Help {
            topic: "start".into(),
        },
        Request::Version,
        Request::StatusJson {
            names: v(&["a", "g:*"]),
        },
        Request::AvailJson,
        Request::Metrics,
        Request::Events { types: vec![] },
    ];
    for r in reqs {
        let line = render_request(&r);
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        assert_eq!(
            parse_request(&line[..line.len() - 1]),
            Ok(r.clone()),
            "{line:?}"
        );
    }
}

#[test]
fn never_panics_on_garbage() {
    let mut seed = 12345u32;
    for len in 0..300 {
        let line: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (seed >> 16) as u8
            })
            .collect();
        let _ = parse_request(&line);
    }
}
