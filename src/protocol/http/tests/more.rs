//! More tests of the HTTP connection: errors, limits, streaming, timeouts and splits.

use super::*;
use crate::protocol::http::parse::split_target;

#[test]
fn chunk_sums_are_bounded_too() {
    let mut body = String::new();
    for _ in 0..11 {
        body += "a\r\n0123456789\r\n";
    }
    let input = format!("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
    assert_eq!(refused(input.as_bytes()), "HTTP/1.1 413 Payload Too Large");
    let trailers = "X: y\r\n".repeat(40);
    let input = format!("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n{trailers}\r\n");
    assert_eq!(
        refused(input.as_bytes()),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
}

#[test]
fn oversized_heads_are_refused_before_their_end_arrives() {
    let mut c = HttpConn::with_limits(small(), t(0));
    c.feed(format!("GET /{}", "a".repeat(250)).as_bytes(), t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert!(out(&mut c).starts_with("HTTP/1.0 414 "));
    assert!(c.should_close());
    let mut c = HttpConn::with_limits(small(), t(0));
    c.feed(
        format!("GET / HTTP/1.1\r\nA: {}", "a".repeat(250)).as_bytes(),
        t(0),
    );
    assert_eq!(c.next_request(t(0)), None);
    assert!(out(&mut c).starts_with("HTTP/1.0 431 "));
}

#[test]
fn folded_headers_are_joined_and_leading_blank_lines_skipped() {
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"\r\n\r\nGET / HTTP/1.1\r\nA: one\r\n  two\r\n\tthree\r\nB:\r\n\r\n",
        t(0),
    );
    let r = c.next_request(t(0)).unwrap();
    assert_eq!(r.header("a"), Some("one two three"));
    assert_eq!(r.header("B"), Some(""));
}

#[test]
fn bare_lf_line_ends_are_accepted() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"POST /x HTTP/1.1\nContent-Length: 1\n\nz", t(0));
    let r = c.next_request(t(0)).unwrap();
    assert_eq!(r.body, b"z");
}

#[test]
fn absolute_and_odd_targets() {
    let (p, q) = split_target("http://host:9001/RPC2?a=%zz");
    assert_eq!((p.as_str(), q), ("/RPC2", vec![("a".into(), "%zz".into())]));
    assert_eq!(split_target("http://host").0, "/");
    assert_eq!(split_target("*").0, "*");
    assert_eq!(split_target("host:80").0, "");
    assert_eq!(split_target("/a+b%2").0, "/a+b%2");
    assert_eq!(split_target("/%e2%82%ac#frag").0, "/\u{20ac}");
}

#[test]
fn emitted_headers_cannot_be_injected() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"GET / HTTP/1.1\r\n\r\n", t(0));
    c.next_request(t(0)).unwrap();
    c.respond(
        text("hi")
            .with_header("X-Evil", "a\r\nSet-Cookie: pwned\r\n\r\nbody\0")
            .with_header("Bad: Name", "v")
            .with_header("Bad\r\nName", "v")
            .with_header("", "v")
            .with_header("Content-Length", "999")
            .with_header("Transfer-Encoding", "chunked")
            .with_header("Server", "other"),
    );
    assert_eq!(
        out(&mut c),
        "HTTP/1.1 200 OK\r\nServer: Medusa/1.12\r\nContent-Type: text/plain\r\n\
         X-Evil: a  Set-Cookie: pwned    body \r\nContent-Length: 2\r\n\r\nhi"
    );
}

#[test]
fn streaming_http11_is_chunked_and_keeps_the_connection() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"GET /tail HTTP/1.1\r\n\r\n", t(0));
    c.next_request(t(0)).unwrap();
    c.start_stream(200, &[("Content-Type", "text/plain")]);
    assert!(c.stream_has_room());
    c.push_stream(b"hello ");
    c.push_stream(b"");
    c.push_stream(&[b'x'; 20]);
    assert!(c.in_flight());
    assert!(!c.wants_read());
    c.respond(text("ignored while streaming"));
    c.end_stream();
    assert!(!c.in_flight());
    assert_eq!(
        out(&mut c),
        format!(
            "HTTP/1.1 200 OK\r\nServer: Medusa/1.12\r\nContent-Type: text/plain\r\n\
             Transfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n14\r\n{}\r\n0\r\n\r\n",
            "x".repeat(20)
        )
    );
    assert!(!c.should_close());
    assert!(c.wants_read());
}

#[test]
fn streaming_http10_is_close_delimited() {
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"GET /tail HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        t(0),
    );
    c.next_request(t(0)).unwrap();
    c.start_stream(200, &[("Content-Type", "text/plain")]);
    c.push_stream(b"abc");
    assert!(!c.should_close());
    c.end_stream();
    assert_eq!(
        out(&mut c),
        "HTTP/1.0 200 OK\r\nServer: Medusa/1.12\r\nContent-Type: text/plain\r\n\
         Connection: close\r\n\r\nabc"
    );
    assert!(c.should_close());
}

#[test]
fn streaming_a_head_request_sends_no_body() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"HEAD /tail HTTP/1.1\r\n\r\n", t(0));
    c.next_request(t(0)).unwrap();
    c.start_stream(200, &[]);
    c.push_stream(b"abc");
    c.end_stream();
    assert_eq!(
        out(&mut c),
        "HTTP/1.1 200 OK\r\nServer: Medusa/1.12\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    assert!(!c.should_close());
}

#[test]
fn high_water_mark_stops_reading_and_requests() {
    let mut c = HttpConn::with_limits(small(), t(0));
    c.feed(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", t(0));
    c.next_request(t(0)).unwrap();
    c.start_stream(200, &[]);
    while c.stream_has_room() {
        c.push_stream(&[b'x'; 300]);
    }
    c.end_stream();
    assert!(!c.wants_read());
    assert_eq!(c.next_request(t(0)), None, "output above high water");
    let n = c.output().len();
    c.consume(n);
    assert_eq!(c.next_request(t(0)).unwrap().path, "/2");
}

#[test]
fn input_is_bounded_while_a_body_arrives() {
    let limits = small();
    let mut c = HttpConn::with_limits(limits, t(0));
    c.feed(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        t(0),
    );
    assert_eq!(c.next_request(t(0)), None);
    // One-byte chunks: six wire bytes per body byte, more than max_head + max_body.
    let mut sent = 0;
    while sent < 90 {
        assert!(c.wants_read());
        c.feed(b"1\r\nz\r\n", t(0));
        sent += 1;
        assert!(c.inbuf.len() <= limits.max_head + limits.max_body + 6);
        if sent % 10 == 0 {
            assert_eq!(c.next_request(t(0)), None);
        }
    }
    c.feed(b"0\r\n\r\n", t(0));
    assert_eq!(c.next_request(t(0)).unwrap().body.len(), 90);
}

#[test]
fn eof_after_pipelined_requests_answers_them_then_closes() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", t(0));
    c.feed_eof();
    assert!(!c.wants_read());
    c.next_request(t(0)).unwrap();
    c.respond(text("hi"));
    c.next_request(t(0)).unwrap();
    c.respond(text("hi"));
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(out(&mut c), format!("{OK_HI_11}{OK_HI_11}"));
    assert!(c.should_close());
}

#[test]
fn eof_on_an_idle_connection_closes_quietly() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"\r\n", t(0));
    c.feed_eof();
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(out(&mut c), "");
    assert!(c.should_close());
}

#[test]
fn eof_in_a_body_is_a_bad_request() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", t(0));
    assert_eq!(c.next_request(t(0)), None);
    c.feed_eof();
    assert_eq!(c.next_request(t(0)), None);
    assert!(out(&mut c).starts_with("HTTP/1.1 400 Bad Request\r\n"));
    assert!(c.should_close());
}

#[test]
fn idle_keep_alive_connections_close() {
    let mut c = HttpConn::with_limits(small(), t(0));
    assert_eq!(c.next_deadline(), Some(t(10_000)));
    c.feed(b"GET / HTTP/1.1\r\n\r\n", t(1000));
    c.next_request(t(1000)).unwrap();
    assert_eq!(c.next_deadline(), None, "the daemon owns in-flight time");
    c.respond(text("hi"));
    out(&mut c);
    c.on_timer(t(3000));
    assert_eq!(c.next_deadline(), Some(t(13_000)));
    c.on_timer(t(12_999));
    assert!(!c.should_close());
    c.on_timer(t(13_000));
    assert!(c.should_close());
    assert_eq!(c.output(), b"", "idle close is silent");
}

#[test]
fn a_slow_request_gets_408() {
    let mut c = HttpConn::with_limits(small(), t(0));
    c.feed(b"GET / HTTP/1.1\r\n", t(1000));
    assert_eq!(c.next_request(t(1000)), None);
    assert_eq!(c.next_deadline(), Some(t(6000)));
    c.feed(b"A: b\r\n", t(5000));
    c.on_timer(t(5999));
    assert!(!c.should_close());
    c.on_timer(t(6000));
    assert!(out(&mut c).starts_with("HTTP/1.0 408 Request Timeout\r\n"));
    assert!(c.should_close());

    // A body trickling in is timed from the request's first byte.
    let mut c = HttpConn::with_limits(small(), t(0));
    c.feed(b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n", t(0));
    assert_eq!(c.next_request(t(0)), None);
    for s in 1..5 {
        c.feed(b"x", t(s * 1000));
        assert_eq!(c.next_request(t(s * 1000)), None);
    }
    c.on_timer(t(5000));
    assert!(out(&mut c).starts_with("HTTP/1.1 408 Request Timeout\r\n"));
}

#[test]
fn a_pipelined_partial_request_is_timed_from_the_response() {
    let mut c = HttpConn::with_limits(small(), t(0));
    c.feed(b"GET / HTTP/1.1\r\n\r\nGET /2 HTT", t(0));
    c.next_request(t(0)).unwrap();
    // The daemon took 20 s to answer; the partial request is not blamed for that.
    c.respond(text("hi"));
    out(&mut c);
    assert_eq!(c.next_request(t(20_000)), None);
    c.on_timer(t(24_000));
    assert!(!c.should_close());
    c.on_timer(t(25_000));
    assert!(out(&mut c).starts_with("HTTP/1.0 408 "));
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    let mut c = HttpConn::with_limits(small(), t(0));
    c.feed(b"GET / HTTP/1.1\r\n\r\n", t(0));
    c.next_request(t(0)).unwrap();
    c.start_stream(200, &[]);
    c.push_stream(b"data");
    // The first deadline marks the stall, the next one times it.
    let d = c.next_deadline().unwrap();
    c.on_timer(d);
    c.consume(3);
    c.on_timer(t(7000));
    c.on_timer(t(11_999));
    assert!(!c.should_close(), "progress restarted the clock");
    c.on_timer(t(12_000));
    assert!(c.should_close());
    assert!(!c.wants_write() && !c.wants_read());
}

#[test]
fn basic_auth_padded_or_not() {
    let req = |v: &str| Request {
        method: "GET".into(),
        target: "/".into(),
        path: "/".into(),
        query: vec![],
        version: Version::Http11,
        headers: vec![("Authorization".into(), v.into())],
        body: vec![],
    };
    let up = Some(("user".to_string(), "pa:ss".to_string()));
    assert_eq!(req("Basic dXNlcjpwYTpzcw==").basic_auth(), up);
    assert_eq!(req("basic  dXNlcjpwYTpzcw").basic_auth(), up);
    assert_eq!(req("Basic dXNlcjpwYTpzcw=").basic_auth(), None);
    assert_eq!(req("Basic dXNlcjpwYTp*cw==").basic_auth(), None);
    assert_eq!(req("Bearer dXNlcjpwYTpzcw==").basic_auth(), None);
    assert_eq!(req("Basic dXNlcg==").basic_auth(), None, "no colon");
    assert_eq!(req("Basic /w==").basic_auth(), None, "not UTF-8");
    assert_eq!(
        req("Basic OnBhc3M=").basic_auth(),
        Some((String::new(), "pass".into()))
    );
}

#[test]
fn base64_vectors() {
    // RFC 4648 section 10.
    for (enc, dec) in [
        ("", ""),
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"),
        ("Zm9vYg", "foob"),
        ("Zm9vYmE", "fooba"),
    ] {
        let got = crate::protocol::base64::decode(enc, crate::protocol::base64::BASIC_AUTH);
        assert_eq!(got.as_deref(), Some(dec.as_bytes()), "{enc}");
    }
    for bad in ["Z", "Zm9vY", "Zm9v=", "Z===", "=Zm9", "Zm 9v", "Zg=a"] {
        let got = crate::protocol::base64::decode(bad, crate::protocol::base64::BASIC_AUTH);
        assert_eq!(got, None, "{bad}");
    }
}

#[test]
fn reasons() {
    assert_eq!(reason(200), "OK");
    assert_eq!(reason(413), "Payload Too Large");
    assert_eq!(reason(799), "Unknown");
    let e = Response::not_found();
    assert_eq!(e.status, 404);
    assert!(String::from_utf8(e.body)
        .unwrap()
        .contains("<p>Message: Not Found."));
}

/// A deterministic responder: `/stream` streams, `/close` asks to close, else an echo.
fn serve(c: &mut HttpConn, log: &mut Vec<Request>) {
    while let Some(r) = c.next_request(t(0)) {
        match r.path.as_str() {
            "/stream" => {
                c.start_stream(200, &[("Content-Type", "text/plain")]);
                c.push_stream(&r.body);
                c.push_stream(b"tail");
                c.end_stream();
            }
            "/close" => c.respond(text("bye").with_header("Connection", "close")),
            _ => {
                let s = format!("{} {} {:?} {}", r.method, r.path, r.query, r.body.len());
                c.respond(text(&s));
            }
        }
        log.push(r);
    }
}

fn drive(input: &[u8], pieces: &[usize], limits: Limits) -> (Vec<Request>, Vec<u8>, bool) {
    let mut c = HttpConn::with_limits(limits, t(0));
    let (mut log, mut wire) = (Vec::new(), Vec::new());
    let mut pos = 0;
    let mut k = 0;
    while pos < input.len() && !c.should_close() {
        serve(&mut c, &mut log);
        wire.extend_from_slice(c.output());
        c.consume(c.output().len());
        if !c.wants_read() {
            if c.should_close() || c.closing {
                break;
            }
            continue;
        }
        let n = pieces[k % pieces.len()].clamp(1, input.len() - pos);
        k += 1;
        c.feed(&input[pos..pos + n], t(0));
        pos += n;
    }
    c.feed_eof();
    serve(&mut c, &mut log);
    wire.extend_from_slice(c.output());
    c.consume(c.output().len());
    (log, wire, c.should_close())
}

struct Rng(u32);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 % n
    }
}

const SESSION: &[u8] = b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n\
POST /RPC2 HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello\
\r\nPOST /stream HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x\r\nabcd\r\n3\r\nefg\r\n0\r\nT: 1\r\n\r\n\
HEAD /h HTTP/1.1\r\n\r\n\
GET /stream HTTP/1.1\r\n\r\n\
POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n1\nx\n0\n\n\
GET /last HTTP/1.0\r\nConnection: keep-alive\r\n\r\n\
GET /close HTTP/1.1\r\n\r\nGET /never HTTP/1.1\r\n\r\n";

#[test]
fn any_split_gives_the_same_requests_and_output() {
    let limits = Limits::default();
    let (reqs, wire, closed) = drive(SESSION, &[usize::MAX], limits);
    assert_eq!(reqs.len(), 8);
    assert!(closed);
    let w = String::from_utf8_lossy(&wire);
    assert_eq!(w.matches("HTTP/1.1 100 Continue\r\n\r\n").count(), 2);
    assert!(
        w.contains("\r\n\r\n7\r\nabcdefg\r\n4\r\ntail\r\n0\r\n\r\n"),
        "{w}"
    );
    assert!(w.ends_with("Connection: close\r\n\r\nbye"));
    let mut rng = Rng(0x9e37_79b9);
    for round in 0..300 {
        let pieces: Vec<usize> = (0..8)
            .map(|_| 1 + rng.below(1 + round % 40) as usize)
            .collect();
        let got = drive(SESSION, &pieces, limits);
        assert_eq!(got.0, reqs, "pieces {pieces:?}");
        assert_eq!(got.1, wire, "pieces {pieces:?}");
    }
}

#[test]
fn any_split_gives_the_same_errors() {
    let limits = small();
    let inputs: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\n\r\nGET /x HTTP/3.0\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n50\r\n",
        b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost",
    ];
    let mut rng = Rng(7);
    for input in inputs {
        let whole = drive(input, &[usize::MAX], limits);
        assert!(whole.2, "{:?}", String::from_utf8_lossy(input));
        for _ in 0..100 {
            let pieces: Vec<usize> = (0..5).map(|_| 1 + rng.below(30) as usize).collect();
            let got = drive(input, &pieces, limits);
            assert_eq!(got.0, whole.0);
            assert_eq!(
                String::from_utf8_lossy(&got.1),
                String::from_utf8_lossy(&whole.1),
                "pieces {pieces:?}"
            );
        }
    }
}

#[test]
fn random_input_never_panics_and_stays_bounded() {
    let limits = small();
    let mut rng = Rng(0x2545_f491);
    const WORDS: &[&[u8]] = &[
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"/ ",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"\r\n",
        b"\n",
        b"Content-Length: ",
        b"Transfer-Encoding: chunked",
        b"Expect: 100-continue",
        b"Connection: close",
        b"Connection: keep-alive",
        b"0",
        b"5",
        b"a",
        b"ff",
        b":",
        b" ",
        b";",
    ];
    for round in 0..400 {
        let mut c = HttpConn::with_limits(limits, t(0));
        for step in 0..60u64 {
            let mut chunk = Vec::new();
            for _ in 0..rng.below(12) {
                match rng.below(8) {
                    0 => chunk.push(rng.below(256) as u8),
                    _ => chunk.extend_from_slice(WORDS[rng.below(WORDS.len() as u32) as usize]),
                }
            }
            let len = chunk.len();
            if c.wants_read() {
                c.feed(&chunk, t(step * 100));
            }
            assert!(
                c.inbuf.len() <= limits.max_head + limits.max_body + len,
                "round {round}"
            );
            while let Some(r) = c.next_request(t(step * 100)) {
                assert!(r.body.len() <= limits.max_body);
                if rng.below(2) == 0 {
                    c.start_stream(200, &[]);
                    c.push_stream(&r.body);
                    c.end_stream();
                } else {
                    c.respond(text("x"));
                }
            }
            assert!(c.output().len() <= limits.out_high_water + limits.max_body + 1024);
            let n = rng.below(400) as usize;
            c.consume(n.min(c.output().len()));
            if rng.below(30) == 0 {
                c.feed_eof();
            }
            if let Some(d) = c.next_deadline() {
                if rng.below(4) == 0 {
                    c.on_timer(d);
                }
            }
            if c.should_close() {
                assert!(!c.wants_read());
                break;
            }
        }
    }
}
