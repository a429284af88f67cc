//! Tests of the HTTP connection: bytes in, bytes out, a fake clock.

use super::*;
use std::time::Duration;

fn t(ms: u64) -> Mono {
    Mono::from_ms(ms)
}

fn out(c: &mut HttpConn) -> String {
    let s = String::from_utf8_lossy(c.output()).into_owned();
    let n = c.output().len();
    c.consume(n);
    s
}

fn text(body: &str) -> Response {
    Response::new(200, "text/plain", body.as_bytes().to_vec())
}

const OK_HI_11: &str =
    "HTTP/1.1 200 OK\r\nServer: Medusa/1.12\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";

fn small() -> Limits {
    Limits {
        max_head: 200,
        max_body: 100,
        max_headers: 5,
        out_high_water: 1000,
        idle: Duration::from_secs(10),
        stall: Duration::from_secs(5),
    }
}

#[test]
fn get_http11_keeps_the_connection() {
    let mut c = HttpConn::new(t(0));
    assert!(c.wants_read());
    c.feed(
        b"GET /a%20b/c?x=1&y=a+b%21&flag HTTP/1.1\r\nHost: h\r\nX-Y:  v v \r\n\r\n",
        t(1),
    );
    let r = c.next_request(t(1)).expect("request");
    assert_eq!(r.method, "GET");
    assert_eq!(r.target, "/a%20b/c?x=1&y=a+b%21&flag");
    assert_eq!(r.path, "/a b/c");
    assert_eq!(r.query_value("x"), Some("1"));
    assert_eq!(r.query_value("y"), Some("a b!"));
    assert_eq!(r.query_value("flag"), Some(""));
    assert_eq!(r.query_value("z"), None);
    assert_eq!(r.version, Version::Http11);
    assert_eq!(r.header("host"), Some("h"));
    assert_eq!(r.header("x-y"), Some("v v"));
    assert!(r.body.is_empty());
    assert!(c.in_flight());
    assert!(!c.wants_read(), "no reading while a request is in flight");
    assert_eq!(c.next_request(t(1)), None);
    c.respond(text("hi"));
    assert!(!c.in_flight());
    assert_eq!(out(&mut c), OK_HI_11);
    assert!(!c.should_close());
    assert!(c.wants_read());
}

#[test]
fn http10_closes_by_default() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"GET / HTTP/1.0\r\n\r\n", t(0));
    let r = c.next_request(t(0)).unwrap();
    assert_eq!(r.version, Version::Http10);
    c.respond(text("hi"));
    assert_eq!(
        out(&mut c),
        "HTTP/1.0 200 OK\r\nServer: Medusa/1.12\r\nContent-Type: text/plain\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\nhi"
    );
    assert!(c.should_close());
    assert!(!c.wants_read());
}

#[test]
fn http10_keep_alive_is_honoured() {
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
        t(0),
    );
    c.next_request(t(0)).unwrap();
    c.respond(text("hi"));
    assert!(out(&mut c).contains("\r\nConnection: keep-alive\r\n"));
    assert!(!c.should_close());
    let r = c.next_request(t(0)).unwrap();
    assert_eq!(r.path, "/2");
    c.respond(text("hi"));
    assert!(out(&mut c).contains("\r\nConnection: close\r\n"));
    assert!(c.should_close());
}

#[test]
fn connection_close_in_http11_closes() {
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\nGET /never HTTP/1.1\r\n\r\n",
        t(0),
    );
    c.next_request(t(0)).unwrap();
    c.respond(text("hi"));
    assert!(out(&mut c).ends_with("Connection: close\r\n\r\nhi"));
    assert!(c.should_close());
    assert_eq!(c.next_request(t(0)), None, "pipelined rest is dropped");
}

#[test]
fn a_response_asking_to_close_closes() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"GET / HTTP/1.1\r\n\r\n", t(0));
    c.next_request(t(0)).unwrap();
    c.respond(Response::unauthorized());
    let o = out(&mut c);
    assert!(o.starts_with("HTTP/1.1 401 Unauthorized\r\nServer: Medusa/1.12\r\n"));
    assert!(o.contains("\r\nWWW-Authenticate: Basic realm=\"default\"\r\n"));
    assert_eq!(o.matches("Connection:").count(), 1);
    assert!(o.contains("\r\nConnection: close\r\n\r\n<head>"));
    assert!(c.should_close());
}

#[test]
fn post_with_content_length_split_anywhere() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"POST /RPC2 HTTP/1.1\r\nContent-Le", t(0));
    assert_eq!(c.next_request(t(0)), None);
    c.feed(b"ngth: 11\r\n\r\nhello", t(0));
    assert_eq!(c.next_request(t(0)), None);
    assert!(c.wants_read());
    c.feed(b" world", t(0));
    let r = c.next_request(t(0)).unwrap();
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/RPC2");
    assert_eq!(r.body, b"hello world");
}

#[test]
fn head_gets_headers_and_length_but_no_body() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"HEAD / HTTP/1.1\r\n\r\n", t(0));
    assert!(c.next_request(t(0)).unwrap().is_head());
    c.respond(text("hi"));
    assert_eq!(out(&mut c), OK_HI_11.strip_suffix("hi").unwrap());
    assert!(!c.should_close());
}

#[test]
fn statuses_without_content_have_no_length_or_body() {
    let mut c = HttpConn::new(t(0));
    c.feed(b"GET / HTTP/1.1\r\n\r\n", t(0));
    c.next_request(t(0)).unwrap();
    c.respond(Response {
        status: 304,
        headers: vec![],
        body: b"dropped".to_vec(),
    });
    assert_eq!(
        out(&mut c),
        "HTTP/1.1 304 Not Modified\r\nServer: Medusa/1.12\r\n\r\n"
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\n\r\n",
        t(0),
    );
    let r1 = c.next_request(t(0)).unwrap();
    assert_eq!(r1.path, "/1");
    assert_eq!(c.next_request(t(0)), None, "one at a time");
    c.respond(text("1"));
    let r2 = c.next_request(t(0)).unwrap();
    assert_eq!((r2.path.as_str(), r2.body.as_slice()), ("/2", &b"abc"[..]));
    c.respond(text("2"));
    let r3 = c.next_request(t(0)).unwrap();
    assert_eq!(r3.path, "/3");
    c.respond(text("3"));
    let o = out(&mut c);
    let bodies: Vec<&str> = o.split("\r\n\r\n").skip(1).map(|s| &s[..1]).collect();
    assert_eq!(bodies, ["1", "2", "3"]);
    assert_eq!(c.next_request(t(0)), None);
    assert!(!c.should_close());
}

#[test]
fn chunked_bodies_are_decoded() {
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n\
          5;name=value\r\nhello\r\n6 \r\n world\r\nA\nabcdefghij\n0\r\nX-Trailer: 1\r\n\r\n\
          GET /next HTTP/1.1\r\n\r\n",
        t(0),
    );
    let r = c.next_request(t(0)).unwrap();
    assert_eq!(r.body, b"hello worldabcdefghij");
    c.respond(text("x"));
    assert_eq!(c.next_request(t(0)).unwrap().path, "/next");
}

#[test]
fn chunked_body_byte_by_byte() {
    let mut c = HttpConn::new(t(0));
    let input = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let mut got = None;
    for b in input {
        c.feed(&[*b], t(0));
        if let Some(r) = c.next_request(t(0)) {
            got = Some(r);
        }
    }
    assert_eq!(got.unwrap().body, b"abc");
}

#[test]
fn expect_100_continue() {
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
        t(0),
    );
    assert_eq!(c.next_request(t(0)), None);
    assert_eq!(out(&mut c), "HTTP/1.1 100 Continue\r\n\r\n");
    c.feed(b"ab", t(0));
    assert_eq!(c.next_request(t(0)).unwrap().body, b"ab");
    assert_eq!(out(&mut c), "");

    // HTTP/1.0 expectations are ignored; a body-less request needs no 100.
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
        t(0),
    );
    c.next_request(t(0)).unwrap();
    assert_eq!(out(&mut c), "");
    let mut c = HttpConn::new(t(0));
    c.feed(b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", t(0));
    c.next_request(t(0)).unwrap();
    assert_eq!(out(&mut c), "");
}

#[test]
fn expect_100_continue_is_not_sent_for_a_refused_body() {
    let mut c = HttpConn::new(t(0));
    c.feed(
        b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
        t(0),
    );
    assert_eq!(c.next_request(t(0)), None);
    assert!(out(&mut c).starts_with("HTTP/1.1 413 Payload Too Large\r\n"));
}

/// Feeds `input` with small limits and returns the first status line and the state.
fn refused(input: &[u8]) -> String {
    let mut c = HttpConn::with_limits(small(), t(0));
    c.feed(input, t(0));
    c.feed_eof();
    assert_eq!(
        c.next_request(t(0)),
        None,
        "{:?}",
        String::from_utf8_lossy(input)
    );
    let o = out(&mut c);
    assert!(o.contains("\r\nConnection: close\r\n"), "{o}");
    assert!(o.contains("Content-Type: text/html"), "{o}");
    assert!(c.should_close() && !c.wants_read());
    o.lines().next().unwrap_or("").to_string()
}

#[test]
fn malformed_requests_are_refused_and_close() {
    let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(300));
    let long_head = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(300));
    let many = "GET / HTTP/1.1\r\n".to_string() + &"A: b\r\n".repeat(6) + "\r\n";
    let cases: &[(&[u8], &str)] = &[
        (b"GET /\r\n\r\n", "HTTP/1.0 400 Bad Request"),
        (b"GET  / HTTP/1.1\r\n\r\n", "HTTP/1.0 400 Bad Request"),
        (b"GET / HTTP/1.1 x\r\n\r\n", "HTTP/1.0 400 Bad Request"),
        (b"GET / FTP/1.1\r\n\r\n", "HTTP/1.0 400 Bad Request"),
        (b"GET / HTTP/11\r\n\r\n", "HTTP/1.0 400 Bad Request"),
        (b"G(T / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"),
        (
            b"GET / HTTP/2.0\r\n\r\n",
            "HTTP/1.0 505 HTTP Version Not Supported",
        ),
        (
            b"GET / HTTP/0.9\r\n\r\n",
            "HTTP/1.0 505 HTTP Version Not Supported",
        ),
        (
            b"GET / HTTP/1.1\r\nNo colon\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nA : b\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\n folded\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nA: b\0\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n",
            "HTTP/1.1 413 Payload Too Large",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "HTTP/1.1 413 Payload Too Large",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 501 Not Implemented",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "HTTP/1.1 501 Not Implemented",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n",
            "HTTP/1.1 413 Payload Too Large",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
            "HTTP/1.1 413 Payload Too Large",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nExpect: magic\r\n\r\n",
            "HTTP/1.1 417 Expectation Failed",
        ),
        (b"GET / HTTP/1.1\r\nHost: x", "HTTP/1.0 400 Bad Request"),
        (long_line.as_bytes(), "HTTP/1.0 414 URI Too Long"),
        (
            long_head.as_bytes(),
            "HTTP/1.0 431 Request Header Fields Too Large",
        ),
        (
            many.as_bytes(),
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            refused(input),
            *want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

mod more;
