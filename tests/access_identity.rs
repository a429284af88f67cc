//! Access by identity (`[unix_http_server] readers`/`controllers`): a real daemon running as
//! root, and clients running as other users through `setpriv` (util-linux): our
//! supervisorctl, a raw socket client (the system `python3`, standard library only) for the
//! text protocol, XML-RPC and the web page, and Supervisor 4.3.0's own supervisorctl (its
//! package from `$SUPERVISOR_REF_VENV`, run by the system `python3`, since a venv's
//! interpreter may live where other users cannot reach it).
//!
//! The identities need no passwd entries: `setpriv` sets any uid, gid and groups, and the
//! config names only users and groups that every system has (`nobody`, `@daemon`).
//! - reader: `nobody` (uid 65534), listed in `readers`;
//! - controller: uid 4242, a member of `@daemon` (gid 1) by a supplementary group only, so
//!   it is let in by `SO_PEERGROUPS`;
//! - stranger: uid 4243, in neither list;
//! - root: always controls.
#![cfg(feature = "xmlrpc")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{supervisorctl_bin, wait_until, Daemon, TestDir};

const T: Duration = Duration::from_secs(10);

/// Who a client runs as: `setpriv` arguments.
#[derive(Clone, Copy)]
enum Who {
    Root,
    Reader,
    GroupController,
    Stranger,
}

impl Who {
    fn setpriv(self) -> Vec<&'static str> {
        match self {
            Who::Root => vec![],
            Who::Reader => vec!["--reuid=65534", "--regid=65534", "--clear-groups"],
            Who::GroupController => vec!["--reuid=4242", "--regid=4242", "--groups=1"],
            Who::Stranger => vec!["--reuid=4243", "--regid=4243", "--clear-groups"],
        }
    }
}

/// Runs `program args` as `who`; its stdout and stderr together, and its exit code.
fn run_as(who: Who, program: &str, args: &[&str], env: &[(&str, &str)]) -> (String, i32) {
    let mut cmd = if matches!(who, Who::Root) {
        Command::new(program)
    } else {
        let mut c = Command::new("setpriv");
        c.args(who.setpriv()).arg("--").arg(program);
        c
    };
    let out = cmd
        .args(args)
        .env("HOME", "/tmp")
        .envs(env.iter().copied())
        .current_dir("/tmp")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("this test needs `setpriv` (util-linux) and {program}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (text, out.status.code().unwrap_or(-1))
}

/// Our supervisorctl as `who`.
fn ctl(who: Who, conf: &Path, args: &[&str]) -> (String, i32) {
    let mut all = vec!["-c", conf.to_str().unwrap()];
    all.extend_from_slice(args);
    run_as(who, supervisorctl_bin(), &all, &[])
}

/// A raw client of the socket (standard library only). Modes: `text REQUESTS` (sent as
/// is, with `\n` escapes; then the sending side is closed and everything read), `get PATH`
/// (HTTP/1.0), `rpc METHOD PARAMS` (PARAMS a Python literal tuple; prints the result's repr
/// or `FAULT code string`).
const RAW: &str = r#"
import ast, socket, sys, xmlrpc.client
path, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(path)
if mode == 'text':
    s.sendall(arg.encode().decode('unicode_escape').encode())
    s.shutdown(socket.SHUT_WR)
elif mode == 'get':
    s.sendall(('GET %s HTTP/1.0\r\n\r\n' % arg).encode())
else:
    body = xmlrpc.client.dumps(ast.literal_eval(sys.argv[4]), arg).encode()
    s.sendall(b'POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n'
              % len(body) + body)
data = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
if mode == 'rpc':
    head, _, body = data.partition(b'\r\n\r\n')
    try:
        print(repr(xmlrpc.client.loads(body)[0][0]))
    except xmlrpc.client.Fault as f:
        print('FAULT %d %s' % (f.faultCode, f.faultString))
else:
    sys.stdout.write(data.decode())
"#;

fn python3() -> &'static str {
    "/usr/bin/python3"
}

fn raw(who: Who, sock: &Path, args: &[&str]) -> String {
    let mut all = vec!["-c", RAW, sock.to_str().unwrap()];
    all.extend_from_slice(args);
    let (out, code) = run_as(who, python3(), &all, &[]);
    assert_eq!(code, 0, "the raw client failed: {out}");
    out
}

/// The site-packages of the reference venv (`$SUPERVISOR_REF_VENV`, default `target/pyref`
/// then `/opt/ref`); a missing one fails the test.
fn ref_site_packages() -> PathBuf {
    let candidates: Vec<PathBuf> = match std::env::var("SUPERVISOR_REF_VENV") {
        Ok(v) => vec![PathBuf::from(v)],
        Err(_) => vec![
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyref"),
            PathBuf::from("/opt/ref"),
        ],
    };
    for venv in &candidates {
        let Ok(rd) = std::fs::read_dir(venv.join("lib")) else {
            continue;
        };
        for e in rd.flatten() {
            let site = e.path().join("site-packages");
            if site.join("supervisor/supervisorctl.py").exists() {
                return site;
            }
        }
    }
    panic!(
        "this test needs Supervisor 4.3.0 in a venv: set SUPERVISOR_REF_VENV (tried {candidates:?})"
    );
}

/// Supervisor 4.3.0's supervisorctl as `who`.
fn ref_ctl(who: Who, conf: &Path, args: &[&str]) -> (String, i32) {
    let site = ref_site_packages();
    let mut all = vec![
        "-c",
        "import sys; from supervisor.supervisorctl import main; sys.argv[0] = 'supervisorctl'; main()",
        "-c",
        conf.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    run_as(
        who,
        python3(),
        &all,
        &[("PYTHONPATH", site.to_str().unwrap())],
    )
}

fn conf(dir: &TestDir, access: &str) -> String {
    let d = dir.s();
    let login = if access.contains("username=u") {
        "username=u\npassword=p\n"
    } else {
        ""
    };
    format!(
        "[unix_http_server]\nfile={d}/s.sock\nchmod=0777\n{access}\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n{login}\n\
         [program:web]\ncommand=/bin/sh -c 'echo hello-from-web; exec sleep 1000'\n\
         startsecs=0\nstdout_logfile={d}/web.out\n"
    )
}

/// The pid of `web` while RUNNING, as root sees it.
fn web_pid(conf: &Path) -> Option<String> {
    let (out, _) = ctl(Who::Root, conf, &["status", "web"]);
    out.contains("RUNNING").then(|| {
        let (pid, _) = ctl(Who::Root, conf, &["pid", "web"]);
        pid.trim().to_string()
    })
}

fn start(dir: &TestDir, access: &str) -> (Daemon, PathBuf) {
    let d = Daemon::start(dir, &conf(dir, access));
    let c = d.conf.clone();
    assert!(
        wait_until(T, || web_pid(&c).is_some()),
        "web never ran: {}",
        d.log()
    );
    // The test dir must be reachable by the other users.
    let (out, code) = run_as(Who::Stranger, "/bin/ls", &[&dir.s()], &[]);
    assert_eq!(code, 0, "{out}");
    (d, c)
}

const ACCESS: &str = "readers = nobody\ncontrollers = @daemon\n";

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn readers_read_and_are_refused_control_on_one_connection() {
    let dir = TestDir::new();
    let (_d, c) = start(&dir, ACCESS);
    let pid = web_pid(&c).unwrap();

    let (out, code) = ctl(Who::Reader, &c, &["status"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("web") && out.contains("RUNNING"), "{out}");
    let (out, code) = ctl(Who::Reader, &c, &["tail", "web"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("hello-from-web"), "{out}");
    let (out, code) = ctl(Who::Reader, &c, &["pid"]);
    assert_eq!(code, 0, "{out}");

    for args in [
        &["stop", "web"][..],
        &["restart", "web"],
        &["signal", "HUP", "web"],
        &["clear", "web"],
        &["shutdown"],
    ] {
        let (out, code) = ctl(Who::Reader, &c, args);
        assert_eq!(code, 4, "{args:?}: {out}");
        assert!(
            out.contains(&format!(
                "ERROR: permission denied: {} needs a controller, and uid 65534 is a reader",
                args[0]
            )),
            "{args:?}: {out}"
        );
    }
    assert_eq!(web_pid(&c).as_deref(), Some(&*pid), "nothing changed");
    assert!(std::fs::read_to_string(dir.join("web.out"))
        .unwrap()
        .contains("hello-from-web"));

    // Per request: on one connection, a read, a refused stop, and a read again.
    let sock = dir.join("s.sock");
    let out = raw(
        Who::Reader,
        &sock,
        &["text", "version\\nstop web\\npid web\\n"],
    );
    let want = format!(
        "{}\n.OK 0\nERROR: permission denied: stop needs a controller, and uid 65534 is a \
         reader\n.FORBIDDEN 4\n{pid}\n.OK 0\n",
        supervisor::VERSION
    );
    assert_eq!(out, want);
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn xmlrpc_and_the_web_page_check_each_call() {
    let dir = TestDir::new();
    let (_d, c) = start(&dir, ACCESS);
    let pid = web_pid(&c).unwrap();
    let sock = dir.join("s.sock");

    let out = raw(Who::Reader, &sock, &["rpc", "supervisor.getState", "()"]);
    assert!(out.contains("'statename': 'RUNNING'"), "{out}");
    let out = raw(
        Who::Reader,
        &sock,
        &["rpc", "supervisor.stopProcess", "('web',)"],
    );
    assert_eq!(
        out.trim(),
        "FAULT 403 FORBIDDEN: permission denied: supervisor.stopProcess needs a controller, \
         and uid 65534 is a reader"
    );
    // A multicall: each call inside is checked on its own.
    let calls = "([{'methodName': 'supervisor.getPID', 'params': []}, \
                 {'methodName': 'supervisor.stopProcess', 'params': ['web']}, \
                 {'methodName': 'supervisor.getProcessInfo', 'params': ['web']}],)";
    let out = raw(Who::Reader, &sock, &["rpc", "system.multicall", calls]);
    assert!(out.contains("'faultCode': 403"), "{out}");
    assert!(out.contains("'statename': 'RUNNING'"), "{out}");
    let out = raw(Who::Stranger, &sock, &["rpc", "supervisor.getState", "()"]);
    assert_eq!(
        out.trim(),
        "FAULT 403 FORBIDDEN: permission denied: uid 4243 is neither a reader nor a controller"
    );

    // The web page: a reader sees it, but its Stop link is 403; a stranger sees nothing.
    let out = raw(Who::Reader, &sock, &["get", "/"]);
    assert!(out.starts_with("HTTP/1.0 200"), "{out}");
    let out = raw(Who::Reader, &sock, &["get", "/tail.html?processname=web"]);
    assert!(out.starts_with("HTTP/1.0 200"), "{out}");
    assert!(out.contains("hello-from-web"), "{out}");
    let out = raw(Who::Reader, &sock, &["get", "/index.html?action=refresh"]);
    assert!(out.starts_with("HTTP/1.0 30"), "{out}");
    let out = raw(
        Who::Reader,
        &sock,
        &["get", "/index.html?processname=web&action=stop"],
    );
    assert!(out.starts_with("HTTP/1.0 403 Forbidden"), "{out}");
    assert!(out.contains("needs a controller"), "{out}");
    let out = raw(Who::Stranger, &sock, &["get", "/"]);
    assert!(out.starts_with("HTTP/1.0 403 Forbidden"), "{out}");
    assert_eq!(web_pid(&c).as_deref(), Some(&*pid), "nothing changed");

    // Supervisor 4.3.0's supervisorctl, over XML-RPC: status works, stop is refused.
    let (out, code) = ref_ctl(Who::Reader, &c, &["status"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("RUNNING"), "{out}");
    let (out, code) = ref_ctl(Who::Reader, &c, &["stop", "web"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("403"), "{out}");
    let (out, code) = ref_ctl(Who::Reader, &c, &["shutdown"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("FORBIDDEN"), "{out}");
    let (out, code) = ref_ctl(Who::Stranger, &c, &["status"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("FORBIDDEN"), "{out}");
    assert_eq!(web_pid(&c).as_deref(), Some(&*pid), "nothing changed");

    // A controller (by a supplementary group) stops it through XML-RPC.
    let (out, code) = ref_ctl(Who::GroupController, &c, &["stop", "web"]);
    assert_eq!((code, out.trim()), (0, "web: stopped"));
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn strangers_are_refused_controllers_and_root_control() {
    let dir = TestDir::new();
    let (_d, c) = start(&dir, ACCESS);
    let pid = web_pid(&c).unwrap();

    for args in [&["status"][..], &["pid"], &["version"], &["stop", "web"]] {
        let (out, code) = ctl(Who::Stranger, &c, args);
        assert_eq!(code, 4, "{args:?}: {out}");
        assert!(
            out.contains("ERROR: permission denied: uid 4243 is neither a reader nor a controller"),
            "{args:?}: {out}"
        );
    }
    assert_eq!(web_pid(&c).as_deref(), Some(&*pid));

    // A member of @daemon by a supplementary group only.
    let (out, code) = ctl(Who::GroupController, &c, &["stop", "web"]);
    assert_eq!((code, out.trim()), (0, "web: stopped"));
    let (out, code) = ctl(Who::Root, &c, &["start", "web"]);
    assert_eq!((code, out.trim()), (0, "web: started"));
    let (out, code) = ctl(Who::Root, &c, &["restart", "web"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn without_the_keys_everyone_who_can_connect_controls() {
    let dir = TestDir::new();
    let (_d, c) = start(&dir, "");
    let (out, code) = ctl(Who::Stranger, &c, &["stop", "web"]);
    assert_eq!((code, out.trim()), (0, "web: stopped"));
}

#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn with_a_password_too_both_must_pass() {
    let dir = TestDir::new();
    let access = format!("{ACCESS}username=u\npassword=p\n");
    let (_d, c) = start(&dir, &access);
    let sock = dir.join("s.sock");
    // The right password does not make a reader a controller.
    let out = raw(Who::Reader, &sock, &["text", "auth u p\\nstop web\\n"]);
    assert!(out.ends_with(".FORBIDDEN 4\n"), "{out}");
    // A controller still needs the password.
    let out = raw(Who::GroupController, &sock, &["text", "stop web\\n"]);
    assert!(out.ends_with(".UNAUTHORIZED 1\n"), "{out}");
    let out = raw(
        Who::GroupController,
        &sock,
        &["text", "auth u p\\nstop web\\n"],
    );
    assert!(out.ends_with("web: stopped\n.OK 0\n"), "{out}");
    assert_eq!(web_pid(&c), None);
}
