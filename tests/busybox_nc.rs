//! BusyBox's `nc` has no `-U`: on such systems the daemon is reached through its inet
//! socket (`echo status | nc 127.0.0.1 9001`), which speaks the same text protocol. This
//! drives `busybox nc` itself against our daemon. It fails, rather than skipping, without
//! `busybox` on PATH (Debian package `busybox`; `.ci/run` installs it).

mod common;

use common::{wait_until, Daemon, TestDir};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

/// Runs `busybox nc 127.0.0.1 PORT` with `input` on its stdin; its stdout and exit code.
fn busybox_nc(port: u16, input: &str) -> (String, Option<i32>) {
    let mut child = Command::new("busybox")
        .args(["nc", "127.0.0.1", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("busybox not found: install it (Debian: apt-get install busybox)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    // The daemon closes the connection after its reply, so nc exits on its own; a stuck one
    // is killed after T.
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let watchdog = std::thread::spawn(move || {
        if !wait_until(T, || flag.load(std::sync::atomic::Ordering::Relaxed)) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    watchdog.join().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

#[test]
fn busybox_nc_reaches_the_inet_socket() {
    let busybox = Command::new("busybox").arg("nc").arg("--help").output();
    assert!(
        busybox.is_ok(),
        "busybox not found: install it (Debian: apt-get install busybox)"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = TestDir::new();
    let d = dir.s();
    let d = Daemon::start(
        &dir,
        &format!(
            "[inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\npassword=secret\n\
             [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n\
             [program:web]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
        ),
    );
    assert!(
        wait_until(T, || TcpStream::connect(("127.0.0.1", port)).is_ok()),
        "{}",
        d.log()
    );
    assert!(d.wait_log("success: web", T), "{}", d.log());

    let (out, code) = busybox_nc(port, "auth admin secret\nstatus\n");
    assert_eq!(code, Some(0), "{out}");
    // `auth`'s final line, then the status reply.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], ".OK 0", "{out}");
    assert!(
        lines[1].starts_with(&format!("{:<33}{:<10}pid ", "web", "RUNNING")),
        "{out}"
    );
    assert_eq!(lines[2], ".OK 0", "{out}");

    // Without the credentials the same request is refused, on the same terms.
    let (out, _) = busybox_nc(port, "status\n");
    assert_eq!(out, "Server requires authentication\n.UNAUTHORIZED 1\n");
}
