//! Tests of the connection state machine: bytes in, bytes out.

use super::*;
use crate::protocol::request::{Stream, TailMode};

fn t(ms: u64) -> Mono {
    Mono::from_ms(ms)
}

fn out(c: &mut Conn) -> String {
    let s = String::from_utf8_lossy(c.output()).into_owned();
    let n = c.output().len();
    c.consume(n);
    s
}

fn conn() -> Conn {
    Conn::new(None, t(0))
}

fn authed() -> Conn {
    Conn::new(Some(Credentials::new("bob", "secret")), t(0))
}

#[test]
fn one_request_one_reply_then_close() {
    let mut c = conn();
    assert!(c.wants_read());
    c.feed(b"status web\n", t(1));
    assert_eq!(
        c.next_request(t(1)),
        Some(Request::Status {
            names: vec!["web".into()]
        })
    );
    assert!(c.in_flight());
    assert_eq!(c.next_request(t(1)), None);
    c.push_line(b"web                              RUNNING   pid 1, uptime 0:00:01");
    c.finish();
    assert!(!c.should_close(), "output still pending");
    assert_eq!(
        out(&mut c),
        "web                              RUNNING   pid 1, uptime 0:00:01\n.OK 0\n"
    );
    assert!(c.should_close());
    assert!(!c.wants_read());
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let mut c = conn();
    c.feed(b"version\r\nstart a b\npid\n", t(0));
    assert_eq!(c.next_request(t(0)), Some(Request::Version));
    c.push_line(b"4.3.0");
    c.finish();
    assert_eq!(
        c.next_request(t(0)),
        Some(Request::Start {
            names: vec!["a".into(), "b".into()]
        })
    );
    c.push_result(&crate::protocol::results::process_result(
        crate::protocol::results::Action::Start,
        "a",
        Some(Fault::SpawnError),
        "",
    ));
    c.push_result(&crate::protocol::results::process_result(
        crate::protocol::results::Action::Start,
        "b",
        None,
        "",
    ));
    c.finish();
    assert_eq!(c.next_request(t(0)), Some(Request::Pid { names: vec![] }));
    c.finish_with(Outcome::ok());
    assert_eq!(
        out(&mut c),
        "4.3.0\n.OK 0\na: ERROR (spawn error)\nb: started\n.SPAWN_ERROR 7\n.OK 0\n"
    );
    assert!(c.should_close());
}

#[test]
fn a_request_arriving_after_the_reply_finds_the_connection_closing() {
    let mut c = conn();
    c.feed(b"version\n", t(0));
    c.next_request(t(0)).unwrap();
    c.finish();
    c.feed(b"status\n", t(1));
    assert_eq!(c.next_request(t(1)), None);
    assert_eq!(out(&mut c), ".OK 0\n");
    assert!(c.should_close());
}

#[test]
fn requests_split_across_reads() {
    let mut c = conn();
    for b in b"sta".iter().chain(b"tus g:*\n") {
        assert_eq!(c.next_request(t(0)), None);
        c.feed(&[*b], t(0));
    }
    assert_eq!(
        c.next_request(t(0)),
        Some(Request::Status {
            names: vec!["g:*".into()]
        })
    );
}

#[test]
fn blank_lines_are_ignored_and_do_not_keep_the_connection_open() {
    let mut c = conn();
    c.feed(b"\n  \r\nversion\n\n\n", t(0));
    assert_eq!(c.next_request(t(0)), Some(Request::Version));
    c.finish();
    out(&mut c);
    assert!(c.should_close());
}

#[test]
fn unterminated_last_line_is_served_at_eof() {
    let mut c = conn();
    c.feed(b"status", t(0));
    assert_eq!(c.next_request(t(0)), None);
    c.feed_eof();
    assert!(!c.wants_read());
    assert_eq!(
        c.next_request(t(0)),
        Some(Request::Status { names: vec![] })
    );
    c.finish();
    assert_eq!(out(&mut c), ".OK 0\n");
    assert!(c.should_close());
}

#[test]
fn eof_without_requests_closes() {
    let mut c = conn();
    c.feed_eof();
    assert_eq!(c.next_request(t(0)), None);
    assert!(c.should_close());
}

#[test]
fn garbage_gets_an_error_and_the_connection_closes() {
    let cases: &[&[u8]] = &[
        b"\x01\x02\x03\n",
        b"start \"web\n",
        b"\xff\xfe\xfd\n",
        b"start a\x00b\nstatus\n",
    ];
    for input in cases {
        let mut c = conn();
        c.feed(input, t(0));
        assert_eq!(c.next_request(t(0)), None, "{input:?}");
        let o = out(&mut c);
        assert!(o.starts_with("Error: "), "{o:?}");
        assert!(o.ends_with("\n.BAD_ARGUMENTS 2\n"), "{o:?}");
        assert!(c.should_close());
    }
}

#[test]
fn unknown_commands_and_usage_errors_are_replies_not_disconnects() {
    let mut c = conn();
    c.feed(b"frob x\nstart\nversion\n", t(0));
    assert_eq!(c.next_request(t(0)), Some(Request::Version));
    let o = out(&mut c);
    assert!(o.starts_with("*** Unknown syntax: frob x\n.UNKNOWN_METHOD 1\n"));
    assert!(o.contains("Error: start requires a process name\nstart <name>\t\tStart a process\n"));
    assert!(o.ends_with(".BAD_ARGUMENTS 2\n"));
}

#[test]
fn huge_line_without_newline_is_not_buffered() {
    let limits = Limits {
        max_line: 100,
        ..Limits::default()
    };
    let mut c = Conn::with_limits(None, limits, t(0));
    let chunk = vec![b'a'; 64];
    c.feed(&chunk, t(0));
    assert!(c.wants_read());
    c.feed(&chunk, t(0));
    assert!(!c.wants_read());
    for _ in 0..1000 {
        c.feed(&chunk, t(0));
    }
    assert!(c.inbuf.is_empty());
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(
        out(&mut c),
        "Error: request line too long\n.BAD_ARGUMENTS 2\n"
    );
    assert!(c.should_close());
}

#[test]
fn huge_line_waits_for_the_reply_in_progress() {
    let limits = Limits {
        max_line: 100,
        ..Limits::default()
    };
    let mut c = Conn::with_limits(None, limits, t(0));
    c.feed(b"start web\n", t(0));
    c.feed(&[b'x'; 300], t(0));
    assert!(c.next_request(t(0)).is_some());
    c.push_line(b"web: started");
    c.finish();
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(
        out(&mut c),
        "web: started\n.OK 0\nError: request line too long\n.BAD_ARGUMENTS 2\n"
    );
    assert!(c.should_close());
}

#[test]
fn huge_complete_line_is_refused() {
    let mut c = conn();
    let mut line = b"start ".to_vec();
    line.extend(vec![b'w'; MAX_LINE]);
    line.push(b'\n');
    c.feed(&line, t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert!(out(&mut c).ends_with(".BAD_ARGUMENTS 2\n"));
    assert!(c.should_close());
}

#[test]
fn auth_gate() {
    // Nothing but auth is answered before authenticating.
    let mut c = authed();
    c.feed(b"status\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(
        out(&mut c),
        "Server requires authentication\n.UNAUTHORIZED 1\n"
    );
    assert!(c.should_close());

    let mut c = authed();
    c.feed(b"help\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert!(out(&mut c).ends_with(".UNAUTHORIZED 1\n"));

    let mut c = authed();
    c.feed(b"nosuch\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert!(out(&mut c).ends_with(".UNAUTHORIZED 1\n"));

    let mut c = authed();
    c.feed(b"auth bob wrong\nstatus\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(
        out(&mut c),
        "Server requires authentication\n.UNAUTHORIZED 1\n"
    );
    assert!(c.should_close());

    let mut c = authed();
    c.feed(b"auth bob secret\nstatus\n", t(0));
    assert_eq!(
        c.next_request(t(0)),
        Some(Request::Status { names: vec![] })
    );
    c.finish();
    assert_eq!(out(&mut c), ".OK 0\n.OK 0\n");
}

#[test]
fn auth_alone_keeps_the_connection_open() {
    let mut c = authed();
    c.feed(b"auth bob secret\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(out(&mut c), ".OK 0\n");
    assert!(!c.should_close());
    c.feed(b"version\n", t(5));
    assert_eq!(c.next_request(t(5)), Some(Request::Version));
}

#[test]
fn auth_is_accepted_when_not_required() {
    let mut c = conn();
    c.feed(b"auth any thing\nversion\n", t(0));
    assert_eq!(c.next_request(t(0)), Some(Request::Version));
    assert_eq!(out(&mut c), ".OK 0\n");
}

#[test]
fn help_is_answered_here() {
    let mut c = conn();
    c.feed(b"help stop\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(
        out(&mut c),
        format!("{}.OK 0\n", help::topic("stop").unwrap())
    );
    assert!(c.should_close());
}

#[test]
fn http_is_sniffed_and_refused() {
    let mut c = conn();
    c.feed(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n<xml/>", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert!(out(&mut c).starts_with("HTTP/1.0 501 Not Implemented\r\n"));
    assert!(c.should_close());
    assert_eq!(sniff(b"GET / HTTP/1.0"), Sniff::Http);
    assert_eq!(sniff(b"status"), Sniff::Text);
    assert_eq!(sniff(b"GETx"), Sniff::Text);
}

#[test]
fn high_water_mark_pauses_requests_and_reads() {
    let limits = Limits {
        high_water: 50,
        ..Limits::default()
    };
    let mut c = Conn::with_limits(None, limits, t(0));
    c.feed(b"status\nversion\n", t(0));
    assert!(c.next_request(t(0)).is_some());
    for _ in 0..10 {
        c.push_line(b"0123456789");
    }
    c.finish();
    assert!(!c.wants_read());
    assert_eq!(c.next_request(t(0)), None);
    let n = c.output().len();
    c.consume(n - 20);
    assert!(c.wants_read());
    assert_eq!(c.next_request(t(0)), Some(Request::Version));
}

#[test]
fn body_lines_are_dot_stuffed() {
    let mut c = conn();
    c.feed(b"version\n", t(0));
    c.next_request(t(0));
    c.push_line(b".hidden\nsecond");
    c.push_text(b"a\n.b\n");
    c.finish();
    assert_eq!(out(&mut c), "..hidden\nsecond\na\n..b\n.OK 0\n");
}

#[test]
fn keepalives_while_a_request_waits() {
    let mut c = conn();
    c.feed(b"start slow\n", t(0));
    c.next_request(t(0)).unwrap();
    assert_eq!(c.next_deadline(), Some(t(5000)));
    c.on_timer(t(5000));
    assert_eq!(out(&mut c), ".\n");
    assert_eq!(c.next_deadline(), Some(t(10_000)));
    c.push_line(b"something");
    c.on_timer(t(10_000));
    assert_eq!(out(&mut c), "something\n", "no keepalive after real output");
    c.on_timer(t(15_000));
    assert_eq!(out(&mut c), ".\n");
    c.push_line(b"slow: started");
    c.finish();
    assert_eq!(out(&mut c), "slow: started\n.OK 0\n");
}

#[test]
fn idle_connections_are_dropped() {
    let mut c = conn();
    assert_eq!(c.next_deadline(), Some(t(60_000)));
    c.on_timer(t(59_999));
    assert!(!c.should_close());
    c.feed(b"sta", t(30_000));
    assert_eq!(c.next_deadline(), Some(t(90_000)));
    c.on_timer(t(90_000));
    assert!(c.should_close());
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    let mut c = conn();
    c.feed(b"tail -f web\n", t(0));
    let req = c.next_request(t(0)).unwrap();
    assert!(req.is_streaming());
    assert!(c.is_streaming());
    c.push_stream(b"lots of data\n");
    c.on_timer(t(5000));
    c.on_timer(t(10_000));
    c.consume(3);
    c.on_timer(t(15_000));
    assert!(!c.should_close(), "progress resets the stall timer");
    c.on_timer(t(70_000));
    assert!(!c.should_close());
    c.on_timer(t(75_001));
    assert!(c.should_close());
    assert!(!c.wants_write());
}

#[test]
fn streams_survive_half_close_and_frame_partials() {
    let mut c = conn();
    c.feed(b"tail -f web stderr\n", t(0));
    assert_eq!(
        c.next_request(t(0)),
        Some(Request::Tail {
            name: "web".into(),
            channel: Stream::Stderr,
            mode: TailMode::Follow
        })
    );
    c.feed_eof();
    assert_eq!(c.next_request(t(0)), None);
    assert!(!c.should_close());
    assert!(c.stream_has_room());
    c.push_stream(b"one\n.two\nthr");
    c.push_stream(b"ee\n");
    assert_eq!(out(&mut c), "one\n..two\n.+thr\nee\n");
    c.finish_with(Outcome::ok());
    assert_eq!(out(&mut c), ".OK 0\n");
    assert!(c.should_close());
}

#[test]
fn output_after_close_is_ignored() {
    let mut c = conn();
    c.push_line(b"stray");
    c.finish();
    assert_eq!(c.output(), b"");
}

#[test]
fn random_input_never_panics_and_stays_bounded() {
    let limits = Limits {
        max_line: 200,
        high_water: 1000,
        ..Limits::default()
    };
    let mut seed = 0x2545_f491_u32;
    let mut rnd = move |n: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed % n
    };
    for round in 0..200 {
        let auth = (round % 3 == 0).then(|| Credentials::new("u", "p"));
        let mut c = Conn::with_limits(auth, limits, t(0));
        for step in 0..50u64 {
            let len = rnd(300) as usize;
            let chunk: Vec<u8> = (0..len)
                .map(|_| match rnd(10) {
                    0 => b'\n',
                    1 => b' ',
                    2 => b'"',
                    3 => rnd(256) as u8,
                    _ => b"statupidhelp-f"[rnd(14) as usize],
                })
                .collect();
            if c.wants_read() {
                c.feed(&chunk, t(step));
            }
            assert!(c.inbuf.len() <= limits.max_line + 2 + len, "round {round}");
            while let Some(req) = c.next_request(t(step)) {
                if req.is_streaming() {
                    c.push_stream(&chunk);
                }
                c.push_line(b"x");
                c.finish();
            }
            let n = rnd(2000) as usize;
            c.consume(n.min(c.output().len()));
            if rnd(20) == 0 {
                c.feed_eof();
            }
            c.on_timer(t(step * 1000));
            if c.should_close() {
                break;
            }
        }
    }
}

#[test]
fn a_partial_request_after_a_reply_keeps_the_connection_open() {
    let mut c = conn();
    c.feed(b"version\nver", t(0));
    assert_eq!(c.next_request(t(0)), Some(Request::Version));
    c.finish();
    assert_eq!(out(&mut c), ".OK 0\n");
    assert!(!c.should_close(), "a request is half received");
    assert!(c.wants_read());
    c.feed(b"sion\n", t(1));
    assert_eq!(c.next_request(t(1)), Some(Request::Version));
    c.finish();
    assert_eq!(out(&mut c), ".OK 0\n");
    assert!(c.should_close());
}

#[test]
fn a_soft_close_resumes_with_bytes_found_by_a_last_look() {
    let mut c = conn();
    c.feed(b"version\n", t(0));
    assert_eq!(c.next_request(t(0)), Some(Request::Version));
    c.finish();
    assert!(!c.may_resume(), "output still pending");
    out(&mut c);
    assert!(c.should_close() && c.may_resume());
    c.resume(b"pid\n", t(1));
    assert!(!c.should_close());
    // The loop wakes at once to take the request found.
    assert!(c.next_deadline().is_some_and(|d| d <= t(1)));
    assert_eq!(c.next_request(t(1)), Some(Request::Pid { names: vec![] }));
    c.finish();
    out(&mut c);
    assert!(c.may_resume());
}

#[test]
fn errors_and_eof_close_hard() {
    let mut c = conn();
    c.feed(b"\x01\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    out(&mut c);
    assert!(c.should_close() && !c.may_resume());
    let mut c = conn();
    c.feed(b"version\n", t(0));
    c.feed_eof();
    c.next_request(t(0)).unwrap();
    c.finish();
    out(&mut c);
    assert!(c.should_close() && !c.may_resume());
    let mut c = authed();
    c.feed(b"status\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert!(!c.is_authed());
    out(&mut c);
    assert!(c.should_close() && !c.may_resume());
}
