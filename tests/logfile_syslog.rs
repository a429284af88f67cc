//! Syslog datagrams, received on a socket bound by the test (via
//! `SUPERVISOR_SYSLOG_SOCKET`). One test function: the variable is process-wide.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use supervisor::config::model::LogLevel;
use supervisor::logfile::syslog::SOCKET_ENV;
use supervisor::logfile::{LogTarget, Logger, Syslog};

fn recv(sock: &UnixDatagram) -> String {
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).expect("datagram");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

/// `<14>Mmm dd HH:MM:SS supervisord: ` followed by the body; returns the body.
fn body(d: &str) -> &str {
    assert!(d.starts_with("<14>"), "{d:?}");
    let stamp = &d[4..19];
    assert_eq!(stamp.as_bytes()[3], b' ', "{d:?}");
    assert_eq!(&stamp[6..7], " ", "{d:?}");
    assert_eq!(&stamp[9..10], ":", "{d:?}");
    d[19..].strip_prefix(" supervisord: ").expect("ident")
}

#[test]
fn datagrams_for_child_output_and_the_activity_log() {
    let dir = std::env::temp_dir().join(format!("h3-sl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    std::env::set_var(SOCKET_ENV, &path);

    let s = Syslog::new();
    assert_eq!(s.path(), path.as_path());
    s.child_output("web", b"first line\nsecond\n\n");
    assert_eq!(body(&recv(&sock)), "web first line");
    assert_eq!(body(&recv(&sock)), "web second");
    s.child_output("web", b"");
    assert_eq!(body(&recv(&sock)), "web ");

    let mut log = Logger::new(LogLevel::Info);
    log.info("queued");
    log.open(&LogTarget::Syslog, false).unwrap();
    log.warn("two\nlines");
    log.debug("filtered");
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(recv(&sock));
    }
    let bodies: Vec<&str> = got.iter().map(|d| body(d)).collect();
    let tails: Vec<&str> = bodies.iter().map(|b| &b[24..]).collect();
    assert_eq!(tails, ["INFO queued\n", "WARN two\n", "WARN lines\n"]);
    assert_eq!(log.path(), None);

    // Nobody listening: sends are silently dropped.
    drop(sock);
    std::fs::remove_file(&path).unwrap();
    s.child_output("web", b"into the void");
    log.info("nobody hears this");
    std::fs::remove_dir_all(&dir).unwrap();
}
