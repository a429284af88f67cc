//! `[fcgi-program:x]` against the real daemon: the group's listening socket is every
//! child's fd 0, opened at the first spawn and closed after the last exit, with the
//! reference's log lines; a bad address stops the launch with the reference's message.

mod common;

use common::{wait_until, Daemon, TestDir};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn conf(dir: &TestDir, fcgi: &str) -> String {
    let d = dir.s();
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\n\n\
         [unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [fcgi-program:fc]\ncommand=sleep 1000\nstartsecs=0\n{fcgi}\n"
    )
}

/// What a child's fd 0 is (`socket:[inode]` for a socket).
fn fd0(d: &Daemon, name: &str) -> String {
    let (out, _) = d.ctl(&["pid", name]);
    let pid: i32 = out.trim().parse().expect("a pid");
    fs::read_link(format!("/proc/{pid}/fd/0"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

#[test]
fn the_unix_socket_is_every_childs_stdin_while_one_runs() {
    let dir = TestDir::new();
    let sock = dir.join("fc.sock");
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            &format!(
                "socket=unix://{}\nsocket_mode=0666\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=2",
                sock.display()
            ),
        ),
    );
    assert!(
        d.wait_log("success: fc_1 entered RUNNING", T),
        "{}",
        d.log()
    );
    let url = format!("unix://{}", sock.display());
    let log = d.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" socket ") || l.contains("spawned:"))
        .map(|l| l.split_once(" INFO ").map_or(l, |(_, m)| m))
        .collect();
    assert_eq!(
        lines[..3],
        [
            format!("Creating socket {url}"),
            format!("Closing socket {url}"),
            format!("Creating socket {url}"),
        ],
        "{log}"
    );
    assert!(lines[3].starts_with("spawned: 'fc_0'") && lines[4].starts_with("spawned: 'fc_1'"));
    let mode = fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o666);
    let (a, b) = (fd0(&d, "fc:fc_0"), fd0(&d, "fc:fc_1"));
    assert!(a.starts_with("socket:["), "{a}");
    assert_eq!(a, b, "one socket for the group");
    assert!(UnixStream::connect(&sock).is_ok());

    let (out, code) = d.ctl(&["stop", "fc:*"]);
    assert_eq!(code, 0, "{out}");
    assert!(d.wait_log(&format!("Closing socket {url}"), T));
    assert_eq!(d.log().matches("Closing socket").count(), 2);
    assert!(UnixStream::connect(&sock).is_err(), "nobody listens now");

    let (out, code) = d.ctl(&["start", "fc:fc_0"]);
    assert_eq!(code, 0, "{out}");
    assert!(UnixStream::connect(&sock).is_ok());
    let (out, code) = d.ctl(&["sendstdin", "fc:fc_0", "x"]);
    assert_ne!(code, 0, "no stdin pipe: {out}");
}

#[test]
fn a_tcp_socket_is_every_childs_stdin() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = TestDir::new();
    let d = Daemon::start(
        &dir,
        &conf(
            &dir,
            &format!("socket=tcp://127.0.0.1:{port}\nsocket_backlog=5"),
        ),
    );
    assert!(d.wait_log("success: fc entered RUNNING", T), "{}", d.log());
    assert!(fd0(&d, "fc").starts_with("socket:["));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
}

#[test]
fn a_bad_socket_address_stops_the_launch() {
    let dir = TestDir::new();
    let conf_path = dir.write(
        "supervisord.conf",
        &conf(&dir, &format!("socket=unix://{}/nodir/fc.sock", dir.s())),
    );
    let out = Command::new(common::supervisord_bin())
        .args(["-n", "-c"])
        .arg(&conf_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "Could not create FastCGI socket unix://{}/nodir/fc.sock: [Errno 2] No such file or directory",
            dir.s()
        )),
        "{err}"
    );
    assert!(wait_until(T, || !dir.join("s.sock").exists()));
}
