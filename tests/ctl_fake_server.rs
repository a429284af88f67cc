//! The real `supervisorctl` binary against a scripted server that speaks the protocol
//! through `supervisor::protocol::Conn` on a unix socket in a temp dir: output, exit codes,
//! connection failures, auth, timeouts, keepalives, the shell, `tail -f` and `fg`.
//! Threads serve the fake daemon (test code only); waits poll with deadlines, never sleep
//! to synchronise.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use supervisor::protocol::auth::Credentials;
use supervisor::protocol::conn::{Conn, Limits};
use supervisor::protocol::request::{from_words, TailMode};
use supervisor::protocol::status::{self, ProcessStatus};
use supervisor::protocol::{Fault, Outcome, Request};
use supervisor::time::Mono;

// ---------------------------------------------------------------------------------------
// Harness

/// A unique short directory under /tmp, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = PathBuf::from(format!(
            "/tmp/ctlt-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the scripted server does with a request.
enum Act {
    /// Body lines and an outcome.
    Reply(Vec<String>, Outcome),
    /// Streamed chunks; the request stays open until the client goes away.
    Stream(Vec<Vec<u8>>),
    /// Never answer.
    Silent,
    /// `n` keepalives about 300 ms apart, then the reply.
    SlowReply(usize, Vec<String>, Outcome),
    /// Raw bytes, then close (not our protocol, or a broken reply).
    Raw(Vec<u8>),
}

type Handler = Arc<dyn Fn(&Request) -> Act + Send + Sync>;

struct Server {
    dir: TempDir,
    log: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    fn start(auth: Option<Credentials>, handler: Handler) -> Server {
        let dir = TempDir::new();
        let listener = UnixListener::bind(dir.0.join("s.sock")).unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (h, l, a) = (Arc::clone(&handler), Arc::clone(&log2), auth.clone());
                std::thread::spawn(move || serve(stream, a, h, l));
            }
        });
        Server { dir, log }
    }

    fn url(&self) -> String {
        format!("unix://{}", self.dir.0.join("s.sock").display())
    }

    fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(
    mut s: UnixStream,
    auth: Option<Credentials>,
    handler: Handler,
    log: Arc<Mutex<Vec<Request>>>,
) {
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let limits = Limits {
        keepalive_ms: 1,
        ..Limits::default()
    };
    let mut conn = Conn::with_limits(auth, limits, Mono(0));
    let mut now = 0u64;
    let mut buf = [0u8; 4096];
    loop {
        while let Some(req) = conn.next_request(Mono(now)) {
            log.lock().unwrap().push(req.clone());
            match handler(&req) {
                Act::Reply(lines, o) => {
                    for l in lines {
                        conn.push_line(l.as_bytes());
                    }
                    conn.finish_with(o);
                }
                Act::Stream(chunks) => chunks.iter().for_each(|c| conn.push_stream(c)),
                Act::Silent => {}
                Act::SlowReply(n, lines, o) => {
                    for _ in 0..n {
                        now += 10;
                        conn.on_timer(Mono(now));
                        flush(&mut s, &mut conn);
                        std::thread::sleep(Duration::from_millis(300));
                    }
                    lines.iter().for_each(|l| conn.push_line(l.as_bytes()));
                    conn.finish_with(o);
                }
                Act::Raw(bytes) => {
                    let _ = s.write_all(&bytes);
                    return;
                }
            }
        }
        if !flush(&mut s, &mut conn) || conn.should_close() {
            return;
        }
        match s.read(&mut buf) {
            Ok(0) if conn.in_flight() => return, // the client went away mid-reply
            Ok(0) => conn.feed_eof(),
            Ok(n) => conn.feed(&buf[..n], Mono(now)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

fn flush(s: &mut UnixStream, conn: &mut Conn) -> bool {
    let n = conn.output().len();
    if n > 0 {
        if s.write_all(conn.output()).is_err() {
            return false;
        }
        conn.consume(n);
    }
    true
}

/// A running supervisorctl with its output collected by threads.
struct Ctl {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    stdin: Option<ChildStdin>,
}

fn collect(mut r: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = Arc::clone(&buf);
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

impl Ctl {
    fn spawn(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Ctl {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_supervisorctl"));
        cmd.args(args)
            .current_dir(cwd)
            .env_remove("SUPERVISORCTL_TIMEOUT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        let stdin = child.stdin.take();
        Ctl {
            child,
            out,
            err,
            stdin,
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    fn write_stdin(&mut self, text: &str) {
        let s = self.stdin.as_mut().unwrap();
        s.write_all(text.as_bytes()).unwrap();
        s.flush().unwrap();
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Polls until stdout contains `needle` (10 s at most).
    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.stdout().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "never printed {needle:?}; got {:?}",
                self.stdout()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the exit (20 s at most; a hang fails the test) → (stdout, stderr, code).
    fn wait(mut self) -> (String, String, i32) {
        self.close_stdin();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("supervisorctl hung; output so far {:?}", self.stdout());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Give the collector threads the last bytes: the pipes are closed now.
        let settle = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.out) > 1 || Arc::strong_count(&self.err) > 1 {
            if Instant::now() > settle {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let err = String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned();
        (self.stdout(), err, status.code().unwrap_or(-1))
    }
}

fn ctl(args: &[&str]) -> (String, String, i32) {
    ctl_env(args, &[])
}

fn ctl_env(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    Ctl::spawn(args, env, Path::new("/")).wait()
}

fn golden(name: &str) -> (String, i32) {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let out = std::fs::read_to_string(d.join(format!("{name}.stdout"))).unwrap();
    let code = std::fs::read_to_string(d.join(format!("{name}.exit")))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (out, code)
}

fn outcome_for(code: i32) -> Outcome {
    Outcome::failed(Fault::Failed, code)
}

fn lines_of(text: &str) -> Vec<String> {
    supervisor::protocol::help::lines(text)
}

fn reply(lines: &[&str], o: Outcome) -> Act {
    Act::Reply(lines.iter().map(|s| s.to_string()).collect(), o)
}

fn world() -> Vec<ProcessStatus> {
    let p = |name: &str, state: &str, desc: &str| ProcessStatus {
        group: name.into(),
        name: name.into(),
        state_name: state.into(),
        description: desc.into(),
    };
    vec![
        p("cat", "RUNNING", "pid 42, uptime 0:01:00"),
        p("manual", "STOPPED", "Not started"),
    ]
}

/// A handler answering `status` from [`world`], `version`, and `shutdown`.
fn world_handler() -> Handler {
    Arc::new(|req: &Request| match req {
        Request::Status { names } => {
            let (lines, o) = status::status_reply(&world(), names);
            Act::Reply(lines, o)
        }
        Request::Version => reply(&["4.3.0"], Outcome::ok()),
        Request::Shutdown => reply(&["Shut down"], Outcome::ok()),
        _ => reply(&[], Outcome::ok()),
    })
}

// ---------------------------------------------------------------------------------------
// Tests

/// Every recorded case that needs a server: the server replays the recorded body and exit
/// code; the client must print it byte for byte, send the request the arguments mean, and
/// for usage errors send nothing.
#[test]
fn golden_cases_through_the_binary() {
    let cases = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/CASES"),
    )
    .unwrap();
    let mut checked = 0;
    for line in cases.lines() {
        let (name, args) = line.split_once('\t').unwrap();
        if name.starts_with("nofile_") || name.starts_with("fg_") {
            continue;
        }
        let (want_out, want_code) = golden(name);
        let body = lines_of(&want_out);
        let body = if want_out.is_empty() { vec![] } else { body };
        let handler: Handler =
            Arc::new(move |_req: &Request| Act::Reply(body.clone(), outcome_for(want_code)));
        let server = Server::start(None, handler);
        let url = server.url();
        let words: Vec<&str> = args.split_whitespace().collect();
        let mut argv = vec!["-s", url.as_str()];
        argv.extend(&words);
        let (out, err, code) = ctl(&argv);
        assert_eq!(
            (out.as_str(), code),
            (want_out.as_str(), want_code),
            "case {name}"
        );
        assert_eq!(err, "", "case {name}");
        let owned: Vec<String> = words[1..].iter().map(|s| s.to_string()).collect();
        let sent = server.requests();
        match from_words(words[0], &owned) {
            Ok(req) if !matches!(req, Request::Help { .. }) => {
                assert_eq!(sent, vec![req], "case {name}")
            }
            _ => assert!(sent.is_empty(), "case {name}: sent {sent:?}"),
        }
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn fg_refuses_bad_and_stopped_processes() {
    let server = Server::start(None, world_handler());
    let url = server.url();
    let (out, _, code) = ctl(&["-s", &url, "fg", "nosuch"]);
    assert_eq!(
        (out.as_str(), code),
        ("ERROR: bad process name supplied\n", 1)
    );
    let (out, _, code) = ctl(&["-s", &url, "fg", "manual"]);
    assert_eq!((out.as_str(), code), ("ERROR: process not running\n", 1));
}

#[test]
fn connection_failures() {
    for case in ["nofile_status", "nofile_start", "nofile_shutdown"] {
        let (want, want_code) = golden(case);
        let words: Vec<&str> = match case {
            "nofile_status" => vec!["-s", "unix:///nonexistent.sock", "status"],
            "nofile_start" => vec!["-s", "unix:///nonexistent.sock", "start", "x"],
            _ => vec!["-s", "unix:///nonexistent.sock", "shutdown"],
        };
        let (out, _, code) = ctl(&words);
        assert_eq!((out, code), (want, want_code), "{case}");
    }

    // A socket file nobody listens on: refused.
    let dir = TempDir::new();
    let path = dir.0.join("dead.sock");
    drop(UnixListener::bind(&path).unwrap());
    let url = format!("unix://{}", path.display());
    let cases: &[(&[&str], String, i32)] = &[
        (&["status"], format!("{url} refused connection\n"), 4),
        (&["start", "x"], format!("{url} refused connection\n"), 4),
        (&["pid"], format!("{url} refused connection\n"), 4),
        (
            &["shutdown"],
            format!("ERROR: {url} refused connection (already shut down?)\n"),
            1,
        ),
        (
            &["avail"],
            "error: <class 'ConnectionRefusedError'>, [Errno 111] Connection refused\n".into(),
            1,
        ),
        (&["add"], String::new(), 0),
    ];
    for (args, want, want_code) in cases {
        let mut argv = vec!["-s", url.as_str()];
        argv.extend(*args);
        let (out, _, code) = ctl(&argv);
        assert_eq!((&out, code), (want, *want_code), "{args:?}");
    }
    let (out, _, code) = ctl(&["-s", "http://127.0.0.1:1", "status"]);
    assert_eq!(
        (out.as_str(), code),
        ("http://127.0.0.1:1 refused connection\n", 4)
    );
}

#[test]
fn authentication() {
    let creds = Credentials::new("bob", "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4");
    let server = Server::start(Some(creds), world_handler());
    let url = server.url();
    let (out, _, code) = ctl(&["-s", &url, "version"]);
    assert_eq!(
        (out.as_str(), code),
        ("Server requires authentication\n", 1)
    );
    let (out, _, code) = ctl(&["-s", &url, "-u", "bob", "-p", "wrong", "version"]);
    assert_eq!(
        (out.as_str(), code),
        ("Server requires authentication\n", 1)
    );
    let (out, _, code) = ctl(&["-s", &url, "-u", "bob", "-p", "secret", "version"]);
    assert_eq!((out.as_str(), code), ("4.3.0\n", 0));
    assert_eq!(server.requests().last(), Some(&Request::Version));

    // Credentials from the [supervisorctl] section.
    let conf = server.dir.0.join("c.conf");
    std::fs::write(
        &conf,
        format!("[supervisorctl]\nserverurl={url}\nusername=bob\npassword=secret\n"),
    )
    .unwrap();
    let (out, _, code) = ctl(&["-c", conf.to_str().unwrap(), "status", "cat"]);
    assert_eq!(
        (out.as_str(), code),
        (
            "cat                              RUNNING   pid 42, uptime 0:01:00\n",
            0
        )
    );
}

#[test]
fn a_silent_server_times_out() {
    let server = Server::start(None, Arc::new(|_: &Request| Act::Silent));
    let url = server.url();
    let env = [("SUPERVISORCTL_TIMEOUT", "0.5")];
    let (out, _, code) = ctl_env(&["-s", &url, "status"], &env);
    assert_eq!(code, 4);
    assert_eq!(
        out,
        format!("error: {url} did not answer within 0.5 seconds\n")
    );
    let (_, _, code) = ctl_env(&["-s", &url, "start", "web"], &env);
    assert_eq!(code, 1);
}

#[test]
fn keepalives_let_slow_commands_finish() {
    let handler: Handler =
        Arc::new(|_: &Request| Act::SlowReply(5, vec!["slow: started".into()], Outcome::ok()));
    let server = Server::start(None, handler);
    let url = server.url();
    let (out, _, code) = ctl_env(
        &["-s", &url, "start", "slow"],
        &[("SUPERVISORCTL_TIMEOUT", "1")],
    );
    assert_eq!((out.as_str(), code), ("slow: started\n", 0));
}

#[test]
fn broken_replies() {
    let http: Handler =
        Arc::new(|_: &Request| Act::Raw(b"HTTP/1.0 400 Bad Request\r\n\r\n".to_vec()));
    let server = Server::start(None, http);
    let url = server.url();
    let (out, _, code) = ctl(&["-s", &url, "version"]);
    assert_eq!(code, 5);
    assert!(
        out.starts_with("Sorry, this version of supervisorctl"),
        "{out}"
    );

    let cut: Handler = Arc::new(|_: &Request| Act::Raw(b"half a reply\n".to_vec()));
    let server = Server::start(None, cut);
    let url = server.url();
    let (out, _, code) = ctl(&["-s", &url, "status"]);
    assert_eq!(code, 4);
    assert_eq!(
        out,
        format!("half a reply\nerror: {url} closed the connection before the reply was complete\n")
    );
}

#[test]
fn awkward_names_are_quoted_on_the_wire() {
    let server = Server::start(None, world_handler());
    let url = server.url();
    let (_, _, code) = ctl(&["-s", &url, "start", "a\"b", "c\\d", ".e", "g:*"]);
    assert_eq!(code, 0);
    assert_eq!(
        server.requests(),
        vec![Request::Start {
            names: vec!["a\"b".into(), "c\\d".into(), ".e".into(), "g:*".into()]
        }]
    );
}

#[test]
fn interactive_shell() {
    let server = Server::start(None, world_handler());
    let dir = &server.dir.0;
    let conf = dir.join("c.conf");
    std::fs::write(
        &conf,
        format!("[supervisorctl]\nserverurl={}\nprompt=mysv\n", server.url()),
    )
    .unwrap();
    let mut c = Ctl::spawn(&["-c", conf.to_str().unwrap()], &[], dir);
    c.write_stdin("version\n\nfoo bar\nstart\nshutdown\nno\nshutdown\ny\nhelp quit\n");
    let (out, _, code) = c.wait();
    let table = "cat                              RUNNING   pid 42, uptime 0:01:00\n\
                 manual                           STOPPED   Not started\n";
    let start_help = supervisor::protocol::help::topic("start").unwrap();
    let want = format!(
        "{table}mysv> 4.3.0\nmysv> mysv> *** Unknown syntax: foo bar\n\
         mysv> Error: start requires a process name\n{start_help}\
         mysv> Really shut the remote supervisord process down y/N? \
         mysv> Really shut the remote supervisord process down y/N? Shut down\n\
         mysv> quit\tExit the supervisor shell.\nmysv> \n"
    );
    assert_eq!(out, want);
    assert_eq!(code, 0);
    let shutdowns = server
        .requests()
        .iter()
        .filter(|r| **r == Request::Shutdown)
        .count();
    assert_eq!(shutdowns, 1);
}

#[test]
fn tail_follow_until_ctrl_c() {
    let handler: Handler = Arc::new(|req: &Request| match req {
        Request::Tail {
            mode: TailMode::Follow,
            ..
        } => Act::Stream(vec![b"line1\n.dot\npart".to_vec(), b"ial\n".to_vec()]),
        _ => reply(&[], Outcome::ok()),
    });
    let server = Server::start(None, handler);
    let url = server.url();
    let c = Ctl::spawn(
        &["-s", &url, "tail", "-f", "web", "stderr"],
        &[],
        Path::new("/"),
    );
    c.wait_for("partial\n");
    let kill = Command::new("kill")
        .args(["-INT", &c.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let (out, _, code) = c.wait();
    assert_eq!(
        out,
        "==> Press Ctrl-C to exit <==\nline1\n.dot\npartial\n\n"
    );
    assert_eq!(code, 0);
}

#[test]
fn foreground_mode() {
    let alive = Arc::new(AtomicUsize::new(1));
    let a2 = Arc::clone(&alive);
    let handler: Handler = Arc::new(move |req: &Request| match req {
        Request::Status { names } => {
            let mut w = world();
            if a2.load(Ordering::SeqCst) == 0 {
                w[0].state_name = "EXITED".into();
            }
            let (lines, o) = status::status_reply(&w, names);
            Act::Reply(lines, o)
        }
        Request::Tail { channel, .. } => {
            Act::Stream(vec![format!("from {}\n", channel.name()).into_bytes()])
        }
        Request::SendStdin { .. } => reply(&[], Outcome::ok()),
        _ => reply(&[], Outcome::ok()),
    });
    let server = Server::start(None, handler);
    let url = server.url();
    let mut c = Ctl::spawn(&["-s", &url, "fg", "cat"], &[], Path::new("/"));
    c.wait_for("from stdout\n");
    c.wait_for("from stderr\n");
    c.write_stdin("hello\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .requests()
        .iter()
        .any(|r| matches!(r, Request::SendStdin { .. }))
    {
        assert!(Instant::now() < deadline, "no sendstdin");
        std::thread::sleep(Duration::from_millis(20));
    }
    alive.store(0, Ordering::SeqCst);
    c.write_stdin("more\n");
    let (out, _, code) = c.wait();
    assert!(out.starts_with("==> Press Ctrl-C to exit <==\n"), "{out}");
    assert!(
        out.ends_with("Process got killed\nExiting foreground\n"),
        "{out}"
    );
    assert_eq!(code, 0);
    assert!(server.requests().contains(&Request::SendStdin {
        name: "cat".into(),
        text: "hello\n".into()
    }));
}

#[test]
fn foreground_mode_ends_at_eof() {
    let handler: Handler = Arc::new(|req: &Request| match req {
        Request::Status { names } => {
            let (lines, o) = status::status_reply(&world(), names);
            Act::Reply(lines, o)
        }
        Request::Tail { .. } => Act::Stream(vec![]),
        _ => reply(&[], Outcome::ok()),
    });
    let server = Server::start(None, handler);
    let url = server.url();
    let (out, _, code) = ctl(&["-s", &url, "fg", "cat"]);
    assert_eq!(out, "==> Press Ctrl-C to exit <==\nExiting foreground\n");
    assert_eq!(code, 0);
}

#[test]
fn usage_and_config_errors() {
    let (out, err, code) = ctl(&["--version"]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert!(err.starts_with("Error: option --version not recognized\nFor help, use "));
    let (out, _, code) = ctl(&["-h"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("supervisorctl -- control applications"));
    let (_, err, code) = ctl(&["-c", "/nonexistent/x.conf", "status"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("Error: could not find config file /nonexistent/x.conf\n"));
}

#[test]
fn the_shell_asks_for_credentials() {
    let server = Server::start(Some(Credentials::new("bob", "secret")), world_handler());
    let url = server.url();
    let mut c = Ctl::spawn(&["-s", &url], &[], Path::new("/"));
    c.write_stdin("bob\nsecret\nversion\n");
    let (out, _, code) = c.wait();
    let want = "Server requires authentication\nUsername:Password:\n\
                cat                              RUNNING   pid 42, uptime 0:01:00\n\
                manual                           STOPPED   Not started\n\
                supervisor> 4.3.0\nsupervisor> \n";
    assert_eq!(out, want);
    assert_eq!(code, 0);
}

#[test]
fn history_file_gets_the_typed_lines() {
    let server = Server::start(None, world_handler());
    let hist = server.dir.0.join("hist");
    let url = server.url();
    let mut c = Ctl::spawn(
        &["-s", &url, "-r", hist.to_str().unwrap()],
        &[],
        Path::new("/"),
    );
    c.write_stdin("version\n\nstatus cat\n");
    let (_, _, code) = c.wait();
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(&hist).unwrap(),
        "version\nstatus cat\n"
    );
}
