//! The control protocol against the real daemon, spoken over raw sockets the way a shell
//! user with `nc` would: tables and final lines, pipelining, waiting commands, auth on TCP,
//! many clients at once, clients that misbehave, and reread/update.

mod common;

use common::{wait_until, Daemon, TestDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

fn conf(dir: &TestDir, extra: &str) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n{extra}"
    )
}

/// Sends `text` and reads until the server closes the connection.
fn ask(dir: &TestDir, text: &str) -> String {
    let mut s = UnixStream::connect(dir.join("s.sock")).expect("connect");
    s.set_read_timeout(Some(T)).unwrap();
    s.write_all(text.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn up(dir: &TestDir, d: &Daemon) {
    assert!(wait_until(T, || dir.join("s.sock").exists()), "{}", d.log());
}

#[test]
fn status_over_a_raw_socket_ends_with_a_final_line() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(&dir, "[program:web]\ncommand=/bin/sleep 1000\nstartsecs=0\n[program:idle]\ncommand=/bin/sleep 1000\nautostart=false\n"),
    );
    up(&dir, &d);
    assert!(d.wait_log("success: web", T));
    let out = ask(&dir, "status\n");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(
        lines[0],
        format!("{:<33}{:<10}{}", "idle", "STOPPED", "Not started")
    );
    assert!(
        lines[1].starts_with(&format!("{:<33}{:<10}pid ", "web", "RUNNING")),
        "{out}"
    );
    assert!(lines[1].contains(", uptime 0:00:"), "{out}");
    assert_eq!(lines[2], ".NOT_RUNNING 3");
    // Pipelined requests are answered in order on one connection.
    let out = ask(&dir, "version\npid web\nstatus web\n");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "4.3.0");
    assert_eq!(lines[1], ".OK 0");
    assert!(lines[2].parse::<u32>().is_ok(), "{out}");
    assert_eq!(lines[3], ".OK 0");
    assert!(lines[4].starts_with("web "), "{out}");
    assert_eq!(lines[5], ".OK 0");
}

#[test]
fn start_and_stop_wait_and_report_each_name() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n\
             [program:b]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n\
             [program:bad]\ncommand=/bin/false\nstartsecs=1\nautostart=false\nstartretries=0\n",
        ),
    );
    up(&dir, &d);
    // Both start at once: one startsecs, not two.
    let t0 = Instant::now();
    let out = ask(&dir, "start a b nosuch\n");
    let took = t0.elapsed();
    assert_eq!(
        out,
        "a: started\nb: started\nnosuch: ERROR (no such process)\n.BAD_NAME 1\n"
    );
    assert!(
        took < Duration::from_millis(1900),
        "start a b took {took:?}"
    );
    assert_eq!(
        ask(&dir, "start a\n"),
        "a: ERROR (already started)\n.OK 0\n"
    );
    assert_eq!(
        ask(&dir, "start bad\n"),
        "bad: ERROR (spawn error)\n.SPAWN_ERROR 7\n"
    );
    assert_eq!(ask(&dir, "stop a b\n"), "a: stopped\nb: stopped\n.OK 0\n");
    assert_eq!(ask(&dir, "stop a\n"), "a: ERROR (not running)\n.OK 0\n");
    assert_eq!(
        ask(&dir, "start nogroup:*\n"),
        "nogroup: ERROR (no such group)\n.BAD_NAME 2\n"
    );
    let out = ask(&dir, "restart b\n");
    assert_eq!(out, "b: ERROR (not running)\nb: started\n.OK 0\n");
}

#[test]
fn signal_tail_clear_and_sendstdin() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:echo]\ncommand=sh -c 'echo hello; trap \"echo got-hup\" HUP; while read l; do echo \"in:$l\"; done'\nstartsecs=0\n",
        ),
    );
    up(&dir, &d);
    assert!(d.wait_log("success: echo", T));
    assert!(wait_until(T, || ask(&dir, "tail echo\n") == "hello\n\n.OK 0\n"));
    assert_eq!(ask(&dir, "sendstdin echo \"abc\\n\"\n"), ".OK 0\n");
    assert!(wait_until(T, || ask(&dir, "tail -200 echo\n").contains("in:abc")));
    assert_eq!(
        ask(&dir, "signal BOGUS echo\n"),
        "echo: ERROR (bad signal name)\n.BAD_SIGNAL 1\n"
    );
    assert_eq!(ask(&dir, "signal HUP echo\n"), "echo: signalled\n.OK 0\n");
    assert_eq!(ask(&dir, "clear echo\n"), "echo: cleared\n.OK 0\n");
    assert_eq!(
        ask(&dir, "tail nosuch\n"),
        "nosuch: ERROR (no such process name)\n.BAD_NAME 1\n"
    );
    assert!(ask(&dir, "maintail -100000\n").contains("success: echo"));
}

#[test]
fn tail_follow_streams_new_output() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:ticker]\ncommand=sh -c 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.1; done'\nstartsecs=0\n",
        ),
    );
    up(&dir, &d);
    let mut s = UnixStream::connect(dir.join("s.sock")).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    s.write_all(b"tail -f ticker\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let end = Instant::now() + T;
    while Instant::now() < end && String::from_utf8_lossy(&got).matches("tick").count() < 8 {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "stream ended");
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.matches("tick").count() >= 8, "{text}");
    assert!(!text.contains(".OK"), "a stream has no final line: {text}");
}

#[test]
fn tcp_requires_the_right_credentials() {
    let dir = TestDir::new();
    let port = 20000 + (std::process::id() % 20000) as u16;
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            &format!(
                "[inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\npassword={{SHA}}d033e22ae348aeb5660fc2140aec35850c4da997\n\
                 [program:x]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
            ),
        ),
    );
    up(&dir, &d);
    let talk = |text: &str| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(T)).unwrap();
        s.write_all(text.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    assert!(wait_until(T, || TcpStream::connect(("127.0.0.1", port)).is_ok()));
    let denied = talk("status\n");
    assert!(
        denied.contains("Server requires authentication"),
        "{denied}"
    );
    assert!(!denied.contains("RUNNING"), "{denied}");
    let wrong = talk("auth admin nope\nstatus\n");
    assert!(!wrong.contains("RUNNING"), "{wrong}");
    let ok = talk("auth admin admin\nstatus\n");
    assert!(ok.contains("RUNNING") || ok.contains("STARTING"), "{ok}");
    assert!(
        !d.log().contains("'inet_http_server' running without"),
        "auth set: no CRIT"
    );
}

#[test]
fn misbehaving_clients_do_not_stall_others() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:many]\ncommand=/bin/sleep 1000\nnumprocs=50\nprocess_name=%(program_name)s_%(process_num)02d\nstartsecs=0\n\
             [program:flap]\ncommand=sh -c 'sleep 0.05'\nstartsecs=0\nautorestart=true\n",
        ),
    );
    up(&dir, &d);
    // A client that connects and never reads, after asking for a lot of output.
    let mut lazy = UnixStream::connect(dir.join("s.sock")).unwrap();
    let req = "status\n".repeat(2000);
    lazy.set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let _ = lazy.write_all(req.as_bytes());
    // A client that says nothing.
    let _silent = UnixStream::connect(dir.join("s.sock")).unwrap();
    // A 1 MiB line.
    let mut huge = UnixStream::connect(dir.join("s.sock")).unwrap();
    huge.set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    huge.set_read_timeout(Some(T)).unwrap();
    let big = vec![b'x'; 1 << 20];
    let _ = huge.write_all(&big);
    let _ = huge.write_all(b"\n");
    let mut resp = String::new();
    let _ = huge.read_to_string(&mut resp);
    assert!(
        resp.contains("BAD_ARGUMENTS"),
        "{}",
        &resp[..resp.len().min(200)]
    );
    // Meanwhile a well-behaved client is served, repeatedly (each within `ask`'s timeout).
    for _ in 0..5 {
        let out = ask(&dir, "status\n");
        assert!(out.contains("many:many_49"), "{out}");
    }
    // 200 concurrent clients while `flap` restarts on schedule.
    let sock = dir.join("s.sock");
    let handles: Vec<_> = (0..200)
        .map(|_| {
            let sock = sock.clone();
            std::thread::spawn(move || {
                let mut last = String::new();
                for _ in 0..3 {
                    let mut s = UnixStream::connect(&sock).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                    s.write_all(b"status flap\n").unwrap();
                    last.clear();
                    s.read_to_string(&mut last).unwrap();
                    assert!(last.starts_with("flap "), "{last}");
                }
                last
            })
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert!(out.starts_with("flap "), "{out}");
        assert!(out.ends_with(" 0\n") || out.ends_with(" 3\n"), "{out}");
    }
    assert!(wait_until(T, || d.log().matches("spawned: 'flap'").count() >= 3));
}

#[test]
fn reread_and_update_apply_added_changed_and_removed_groups() {
    let dir = TestDir::new();
    let base = conf(
        &dir,
        "[program:keep]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:change]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:gone]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
    );
    let d = Daemon::start(&dir, &base);
    up(&dir, &d);
    assert!(d.wait_log("success: gone", T));
    assert_eq!(
        ask(&dir, "reread\n"),
        "No config updates to processes\n.OK 0\n"
    );
    let next = conf(
        &dir,
        "[program:keep]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:change]\ncommand=/bin/sleep 999\nstartsecs=0\n\
         [program:new]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
    );
    std::fs::write(&d.conf, next).unwrap();
    assert_eq!(
        ask(&dir, "reread\n"),
        "change: changed\ngone: disappeared\nnew: available\n.OK 0\n"
    );
    let out = ask(&dir, "update\n");
    assert_eq!(
        out,
        "gone: stopped\ngone: removed process group\nchange: stopped\nchange: updated process group\nnew: added process group\n.OK 0\n"
    );
    assert!(d.wait_log("success: new", T));
    let status = ask(&dir, "status\n");
    assert!(!status.contains("gone"), "{status}");
    assert!(
        status.contains("change") && status.contains("keep"),
        "{status}"
    );
    let keep_spawns = d.log().matches("spawned: 'keep'").count();
    assert_eq!(keep_spawns, 1, "unchanged group untouched");
    assert_eq!(
        ask(&dir, "remove keep\n"),
        "ERROR: process/group still running: keep\n.STILL_RUNNING 1\n"
    );
    assert_eq!(ask(&dir, "stop keep\n"), "keep: stopped\n.OK 0\n");
    assert_eq!(
        ask(&dir, "remove keep\n"),
        "keep: removed process group\n.OK 0\n"
    );
    assert_eq!(
        ask(&dir, "add keep\n"),
        "keep: added process group\n.OK 0\n"
    );
    assert_eq!(
        ask(&dir, "add keep\n"),
        "ERROR: process group already active\n.OK 0\n"
    );
}

#[test]
fn shutdown_replies_then_exits_and_removes_the_socket() {
    let dir = TestDir::new();
    let mut d = Daemon::start(
        &dir,
        &conf(&dir, "[program:x]\ncommand=/bin/sleep 1000\nstartsecs=0\n"),
    );
    up(&dir, &d);
    assert_eq!(ask(&dir, "shutdown\n"), "Shut down\n.OK 0\n");
    assert_eq!(d.wait_exit(T), Some(0));
    assert!(!dir.join("s.sock").exists());
}
