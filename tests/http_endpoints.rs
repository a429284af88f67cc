//! HTTP on the control sockets, byte by byte with a hand-written client: log tails streamed
//! (HTTP/1.1 chunked and HTTP/1.0 close-delimited, across truncation), `/ok.html`, 404s,
//! Basic auth and its `Connection: close`, an empty or broken `POST /RPC2`, keep-alive, and
//! the text protocol on the same socket while an HTTP client stalls.
#![cfg(feature = "xmlrpc")]

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::{wait_until, Daemon, TestDir};

const T: Duration = Duration::from_secs(10);

fn conf(dir: &TestDir, auth: &str) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n{auth}\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:talker]\ncommand=/bin/sh -c 'echo first; while true; do sleep 0.2; echo tick; done'\n\
         startsecs=0\nstdout_logfile={d}/talker.out\n\n\
         [program:slow]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n"
    )
}

/// One XML-RPC call over HTTP/1.0; the whole reply.
fn rpc(dir: &TestDir, body: &str) -> String {
    let mut s = connect(dir);
    let req = format!(
        "POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    text(&read_until(&mut s, |b| {
        text(b).contains("</methodResponse>") || text(b).contains(" 400 ")
    }))
}

fn connect(dir: &TestDir) -> UnixStream {
    let sock = dir.join("s.sock");
    assert!(wait_until(T, || UnixStream::connect(&sock).is_ok()));
    let s = UnixStream::connect(&sock).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s
}

/// Reads until `done(bytes so far)` or the deadline.
fn read_until(s: &mut UnixStream, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut got = Vec::new();
    let end = Instant::now() + T;
    let mut buf = [0u8; 4096];
    while !done(&got) && Instant::now() < end {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    got
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn logtail_streams_over_http11_and_http10_across_truncation() {
    let dir = TestDir::new();
    let _d = Daemon::start(&dir, &conf(&dir, ""));
    let out = dir.join("talker.out");
    assert!(wait_until(T, || std::fs::read_to_string(&out)
        .unwrap_or_default()
        .contains("tick")));

    let mut s = connect(&dir);
    s.write_all(b"GET /logtail/talker HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let got = read_until(&mut s, |b| text(b).matches("tick").count() >= 3);
    let t = text(&got);
    assert!(t.starts_with("HTTP/1.1 200 OK\r\n"), "{t}");
    assert!(t.contains("Transfer-Encoding: chunked\r\n"), "{t}");
    assert!(t.contains("X-Accel-Buffering: no\r\n"), "{t}");
    assert!(
        t.contains("first"),
        "the stream starts at the existing text: {t}"
    );
    // Truncated in place: the follower says so and goes on from the top.
    std::fs::write(&out, b"").unwrap();
    let got = read_until(&mut s, |b| text(b).contains("==> File truncated <=="));
    assert!(
        text(&got).contains("==> File truncated <=="),
        "{}",
        text(&got)
    );

    let mut s = connect(&dir);
    s.write_all(b"GET /logtail/talker/stdout HTTP/1.0\r\n\r\n")
        .unwrap();
    let got = read_until(&mut s, |b| text(b).contains("tick\ntick"));
    let t = text(&got);
    assert!(t.starts_with("HTTP/1.0 200 OK\r\n"), "{t}");
    assert!(!t.contains("chunked"), "1.0 is close-delimited: {t}");
}

#[test]
fn small_endpoints_errors_and_keep_alive() {
    let dir = TestDir::new();
    let _d = Daemon::start(&dir, &conf(&dir, ""));
    let mut s = connect(&dir);
    // Two requests on one HTTP/1.1 connection.
    s.write_all(
        b"GET /ok.html HTTP/1.1\r\nHost: x\r\n\r\nGET /logtail/nosuch HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    let got = read_until(&mut s, |b| text(b).contains("404"));
    let t = text(&got);
    assert!(t.starts_with("HTTP/1.1 200 OK\r\n"), "{t}");
    assert!(t.contains("\r\n\r\nOK"), "{t}");
    assert!(t.contains("HTTP/1.1 404 "), "{t}");

    // An empty POST /RPC2 is answered (the reference waits forever).
    let mut s = connect(&dir);
    s.write_all(b"POST /RPC2 HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    let t = text(&read_until(&mut s, |b| b.ends_with(b"\n") && b.len() > 20));
    assert!(t.starts_with("HTTP/1.0 400 "), "{t}");

    // Garbage XML is a 400 too, and a well-formed call to nothing is a fault.
    let call = |body: &str| {
        let mut s = connect(&dir);
        let req = format!(
            "POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        text(&read_until(&mut s, |b| {
            text(b).contains("</methodResponse>") || text(b).contains("400")
        }))
    };
    assert!(call("<methodCall><oops").starts_with("HTTP/1.0 400 "));
    let t = call("<methodCall><methodName>supervisor.nosuch</methodName></methodCall>");
    assert!(
        t.contains("<int>1</int>") && t.contains("UNKNOWN_METHOD"),
        "{t}"
    );
    let t = call(
        "<?xml version='1.0'?><methodCall><methodName>supervisor.getState</methodName>\
         <params></params></methodCall>",
    );
    assert!(
        t.contains("<name>statename</name>") && t.contains("RUNNING"),
        "{t}"
    );
}

#[test]
fn basic_auth_guards_every_route_and_a_401_closes() {
    let dir = TestDir::new();
    let _d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "username=chris\npassword={SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef\n",
        ),
    );
    let mut s = connect(&dir);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let t = text(&read_until(&mut s, |b| text(b).contains("\r\n\r\n")));
    assert!(t.starts_with("HTTP/1.1 401 "), "{t}");
    assert!(
        t.contains("WWW-Authenticate: Basic realm=\"default\""),
        "{t}"
    );
    assert!(t.contains("Connection: close"), "{t}");
    // ... and the connection is closed after it.
    let mut rest = [0u8; 64];
    let end = Instant::now() + T;
    let closed = loop {
        match s.read(&mut rest) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(_) if Instant::now() > end => break false,
            Err(_) => {}
        }
    };
    assert!(closed);
    // chris:123 (the {SHA} above is sha1("123")).
    let mut s = connect(&dir);
    s.write_all(b"GET /ok.html HTTP/1.0\r\nAuthorization: Basic Y2hyaXM6MTIz\r\n\r\n")
        .unwrap();
    let t = text(&read_until(&mut s, |b| text(b).ends_with("OK")));
    assert!(t.starts_with("HTTP/1.0 200 OK"), "{t}");
}

#[test]
fn a_stalled_http_client_does_not_stop_the_text_protocol() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir, ""));
    let mut stalled = connect(&dir);
    stalled
        .write_all(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 1000\r\n\r\n<methodCall>")
        .unwrap();
    let mut s = connect(&dir);
    s.write_all(b"status talker\n").unwrap();
    let t = text(&read_until(&mut s, |b| text(b).contains("RUNNING")));
    assert!(t.contains("talker") && t.contains("RUNNING"), "{t}");
    let (out, code) = d.ctl(&["status", "talker"]);
    assert!(out.contains("RUNNING"), "{out} {code}");
    drop(stalled);
}

#[test]
fn multicall_waits_for_a_start_before_the_next_call() {
    let dir = TestDir::new();
    let _d = Daemon::start(&dir, &conf(&dir, ""));
    let member = |name: &str, params: &str| {
        format!(
            "<value><struct><member><name>methodName</name><value><string>{name}</string>\
             </value></member><member><name>params</name><value><array><data>{params}\
             </data></array></value></member></struct></value>"
        )
    };
    let slow = "<value><string>slow</string></value>";
    let body = format!(
        "<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params>\
         <param><value><array><data>{}{}{}</data></array></value></param></params></methodCall>",
        member("supervisor.startProcess", slow),
        member("supervisor.getProcessInfo", slow),
        member(
            "supervisor.startProcess",
            "<value><string>nosuch</string></value>"
        ),
    );
    let t = rpc(&dir, &body);
    assert!(t.starts_with("HTTP/1.0 200 OK"), "{t}");
    // startProcess answered true only once slow was RUNNING, so the next call sees it so.
    assert!(t.contains("<boolean>1</boolean>"), "{t}");
    assert!(
        t.contains("<name>statename</name>\n<value><string>RUNNING</string>"),
        "{t}"
    );
    assert!(
        t.contains("<name>faultCode</name>\n<value><int>10</int>"),
        "{t}"
    );
}

#[test]
fn a_log_cut_inside_a_character_reads_without_an_error() {
    let dir = TestDir::new();
    let _d = Daemon::start(&dir, &conf(&dir, ""));
    let out = dir.join("talker.out");
    assert!(wait_until(T, || std::fs::metadata(&out).is_ok()));
    std::fs::write(&out, "é and more\n").unwrap();
    // Offset 1 cuts the two-byte é: the reference answers HTTP 500 here.
    let t = rpc(
        &dir,
        "<?xml version='1.0'?><methodCall><methodName>supervisor.readProcessStdoutLog</methodName>\
         <params><param><value><string>talker</string></value></param><param><value><int>1</int>\
         </value></param><param><value><int>5</int></value></param></params></methodCall>",
    );
    assert!(t.starts_with("HTTP/1.0 200 OK"), "{t}");
    assert!(t.contains("<string>\u{fffd} and</string>"), "{t}");
}

#[test]
fn pipelined_http_requests_beyond_one_read_are_all_answered() {
    let dir = TestDir::new();
    let _d = Daemon::start(&dir, &conf(&dir, ""));
    let body = "<?xml version='1.0'?><methodCall><methodName>supervisor.getAPIVersion\
                </methodName><params></params></methodCall>";
    let one = format!(
        "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    const N: usize = 2000;
    let all = one.repeat(N).into_bytes();
    let mut s = connect(&dir);
    let mut w = s.try_clone().unwrap();
    // Written in pieces that cut requests anywhere (a header, the body), from another
    // thread so that the answers are read while the requests are still going out.
    let writer = std::thread::spawn(move || {
        let cuts = [7usize, 16 * 1024 + 3, 1, 40_000];
        let mut at = 0;
        for c in cuts {
            w.write_all(&all[at..at + c]).unwrap();
            at += c;
            std::thread::sleep(Duration::from_millis(20));
        }
        w.write_all(&all[at..]).unwrap();
    });
    let count = |b: &[u8], pat: &str| text(b).matches(pat).count();
    let got = read_until(&mut s, |b| count(b, "</methodResponse>") >= N);
    writer.join().unwrap();
    assert_eq!(count(&got, "HTTP/1.1 200 OK\r\n"), N);
    assert_eq!(count(&got, "<string>3.0</string>"), N);
}
