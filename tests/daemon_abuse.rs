//! Abuse that must not wear the daemon down: crash loops whose children leave background
//! processes holding the pipes, many programs that exited, `sendstdin` to a full pipe, a
//! reload whose sockets cannot be bound.

mod common;

use common::{wait_until, Daemon, TestDir};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn conf(dir: &TestDir, extra: &str) -> String {
    let d = dir.s();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n{extra}"
    )
}

/// Sends `text` over the text protocol and reads until the server closes the connection.
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

/// The daemon's open descriptors and where they point.
fn fds(pid: i32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    std::fs::read_link(e.path())
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_crash_loop_with_a_background_grandchild_keeps_no_pipes() {
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            "[program:crash]\ncommand=sh -c 'sleep 60 & exit 1'\nautorestart=true\n\
             startsecs=0\nstartretries=100000\nstdout_logfile=NONE\nstderr_logfile=NONE\n",
        ),
    );
    up(&dir, &d);
    assert!(d.wait_log("exited: crash", T), "{}", d.log());
    let before = fds(d.pid()).len();
    // A few hundred restarts, bounded in time.
    wait_until(Duration::from_secs(5), || {
        d.log().matches("exited: crash").count() >= 300
    });
    let restarts = d.log().matches("exited: crash").count();
    assert!(restarts >= 50, "only {restarts} restarts");
    let after = fds(d.pid());
    assert!(
        after.len() < before + 40,
        "{before} descriptors before, {} after {restarts} restarts: {:?}",
        after.len(),
        after.iter().filter(|p| p.starts_with("pipe:")).count()
    );
    // The daemon still answers; the guard kills the sleeps (they carry its marker).
    assert!(ask(&dir, "status crash\n").contains("crash"));
}

#[test]
fn programs_that_exited_keep_no_log_descriptors() {
    let dir = TestDir::new();
    let mut programs = String::new();
    for i in 0..100 {
        programs.push_str(&format!(
            "[program:p{i}]\ncommand=echo hello-{i}\nstartsecs=0\nautorestart=false\n"
        ));
    }
    let d = Daemon::start(&dir, &conf(&dir, &programs));
    up(&dir, &d);
    assert!(
        wait_until(T, || d.log().matches("exited: p").count() >= 100),
        "{}",
        d.log()
    );
    let child_logs = |d: &Daemon| -> Vec<String> {
        fds(d.pid())
            .into_iter()
            .filter(|p| p.starts_with(&dir.s()) && p.ends_with(".log"))
            .filter(|p| !p.ends_with("supervisord.log"))
            .collect()
    };
    let logs = child_logs(&d);
    assert!(logs.len() < 3, "{} log descriptors open", logs.len());
    // A closed log is still read, cleared and written by path.
    assert!(ask(&dir, "tail p7\n").contains("hello-7"));
    assert_eq!(ask(&dir, "clear p7\n"), "p7: cleared\n.OK 0\n");
    assert!(!ask(&dir, "tail p7\n").contains("hello-7"));
    let open = |d: &Daemon| child_logs(d).len();
    assert!(open(&d) < 3, "clearing reopened the logs");
    assert_eq!(ask(&dir, "start p7\n"), "p7: started\n.OK 0\n");
    assert!(wait_until(T, || ask(&dir, "tail p7\n").contains("hello-7")));
    assert!(wait_until(T, || open(&d) < 3));
}

/// 50 KiB of one letter, numbered lines so a lost or repeated piece shows.
fn chunk(i: usize) -> String {
    let letter = (b'a' + i as u8) as char;
    let mut s = String::new();
    let mut n = 0;
    while s.len() < 50 * 1024 {
        s.push_str(&format!(
            "{letter}{i}-{n:06}{}\\n",
            letter.to_string().repeat(40)
        ));
        n += 1;
    }
    s
}

#[test]
fn sendstdin_to_a_full_pipe_is_delivered_whole_or_refused_whole() {
    let dir = TestDir::new();
    let out = dir.join("got");
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            &format!(
                "[program:slow]\ncommand=sh -c 'sleep 1; exec cat > {}'\nstartsecs=0\n",
                out.display()
            ),
        ),
    );
    up(&dir, &d);
    assert!(d.wait_log("success: slow", T), "{}", d.log());
    // 8 x 50 KiB against a 64 KiB pipe that nobody reads for a second: every reply is
    // either OK (all of it goes in) or an error (none of it does).
    let mut expected = Vec::new();
    let mut refused = 0;
    for i in 0..8 {
        let text = chunk(i);
        let reply = ask(&dir, &format!("sendstdin slow \"{text}\"\n"));
        if reply == ".OK 0\n" {
            expected.extend_from_slice(text.replace("\\n", "\n").as_bytes());
        } else {
            assert!(reply.contains("slow: ERROR"), "{reply}");
            refused += 1;
        }
    }
    assert!(
        expected.len() > 64 * 1024,
        "more than a pipe's worth is taken"
    );
    assert!(refused > 0, "the buffer is bounded");
    let complete = wait_until(T, || {
        std::fs::metadata(&out).is_ok_and(|m| m.len() >= expected.len() as u64)
    });
    std::thread::sleep(Duration::from_millis(200));
    let got = std::fs::read(&out).unwrap_or_default();
    assert!(
        complete && got == expected,
        "got {} bytes, expected {}",
        got.len(),
        expected.len()
    );
}

#[test]
fn send_process_stdin_over_xmlrpc_is_whole_or_refused() {
    let dir = TestDir::new();
    let out = dir.join("got");
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            &format!(
                "[program:slow]\ncommand=sh -c 'sleep 1; exec cat > {}'\nstartsecs=0\n",
                out.display()
            ),
        ),
    );
    up(&dir, &d);
    assert!(d.wait_log("success: slow", T), "{}", d.log());
    let rpc = |text: &str| {
        let body = format!(
            "<?xml version=\"1.0\"?><methodCall><methodName>supervisor.sendProcessStdin\
             </methodName><params><param><value><string>slow</string></value></param>\
             <param><value><string>{text}</string></value></param></params></methodCall>"
        );
        let mut s = UnixStream::connect(dir.join("s.sock")).expect("connect");
        s.set_read_timeout(Some(T)).unwrap();
        let req = format!(
            "POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    };
    // 200 KiB at once, then 200 KiB more: the first fits the pipe and the buffer, the
    // second does not and is refused whole.
    let a = "x".repeat(200 * 1024);
    let first = rpc(&a);
    assert!(first.contains("<boolean>1</boolean>"), "{first}");
    let second = rpc(&"y".repeat(200 * 1024));
    assert!(second.contains("faultCode"), "{second}");
    assert!(wait_until(T, || {
        std::fs::metadata(&out).is_ok_and(|m| m.len() >= a.len() as u64)
    }));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(std::fs::read(&out).unwrap(), a.as_bytes());
}

#[test]
fn a_reload_whose_socket_cannot_be_bound_keeps_the_old_one() {
    let dir = TestDir::new();
    let programs = "[program:web]\ncommand=sleep 1000\nstartsecs=0\n";
    let d = Daemon::start(&dir, &conf(&dir, programs));
    up(&dir, &d);
    assert!(d.wait_log("success: web", T), "{}", d.log());
    let pid = ask(&dir, "pid web\n");
    // The same config with its socket inside a directory that does not exist.
    let broken = conf(&dir, programs).replacen(
        &format!("file={}/s.sock", dir.s()),
        &format!("file={}/nowhere/s.sock", dir.s()),
        1,
    );
    dir.write("supervisord.conf", &broken);
    assert!(common::kill(d.pid(), "HUP"));
    assert!(
        d.wait_log("could not reload the configuration", T),
        "{}",
        d.log()
    );
    assert!(!d.log().contains("CRIT could not open the control sockets"));
    // The `reload` request is refused the same way.
    let reply = ask(&dir, "reload\n");
    assert!(reply.contains("ERROR"), "{reply}");
    assert_eq!(ask(&dir, "pid web\n"), pid, "the program kept running");
    assert_eq!(d.log().matches("spawned: 'web'").count(), 1);
    // A reload that keeps the socket hands it over: it answers throughout.
    dir.write("supervisord.conf", &conf(&dir, programs));
    assert!(common::kill(d.pid(), "HUP"));
    assert!(wait_until(T, || d.log().matches("spawned: 'web'").count() == 2));
    assert!(wait_until(T, || ask(&dir, "status web\n").contains("RUNNING")));
}
