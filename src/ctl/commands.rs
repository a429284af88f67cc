//! The command interpreter shared by one-shot mode and the shell: line parsing as Python's
//! `cmd.Cmd` does it, the reference's order of checks (connect first for the commands that
//! "upcheck", argument checks first for the others), and the messages and exit codes for
//! connection failures (reference 4.2).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::client::{CallError, Client, ConnectError, Sock};
use super::fg;
use super::input::{self, Input};
use super::out::{output, print_event, write_raw};
use crate::protocol::fault::exit;
use crate::protocol::request::{from_words, ProtoError};
use crate::protocol::{help, Fault, Outcome, ReplyEvent, Request};

/// Settings from the command line and `[supervisorctl]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The server URL.
    pub serverurl: String,
    /// User name for `auth`.
    pub username: Option<String>,
    /// Password for `auth`.
    pub password: Option<String>,
    /// Shell prompt word (`supervisor`).
    pub prompt: String,
    /// History file (the shell appends the lines typed).
    pub history_file: Option<PathBuf>,
    /// True in the shell, and with `-i`: enables the confirmations and auth prompts.
    pub interactive: bool,
}

/// Commands that first check the server answers (the reference's "upcheck").
pub const UPCHECK: &[&str] = &[
    "status", "start", "stop", "restart", "signal", "tail", "maintail", "pid", "clear", "rotate",
    "metrics", "events",
];

/// Commands that check their arguments before connecting.
pub const NO_UPCHECK: &[&str] = &[
    "avail", "reread", "reload", "shutdown", "update", "add", "remove", "version",
];

/// Splits a line like `cmd.Cmd.parseline`: `None` for an empty line; otherwise the command
/// word (leading letters, digits and `_`; `?` means `help`) and the rest, trimmed. An empty
/// command word means unknown syntax.
pub fn parse_line(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let line = match line.strip_prefix('?') {
        Some(rest) => format!("help {rest}"),
        None => line.to_string(),
    };
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    Some((line[..end].to_string(), line[end..].trim().to_string()))
}

/// The interpreter. `exit_status` follows the reference: the last command that sets a code
/// wins, nothing resets it.
#[derive(Debug)]
pub struct Controller {
    /// Current settings (`open` changes the URL).
    pub settings: Settings,
    /// The exit status of one-shot mode.
    pub exit_status: i32,
    auth_retry: bool,
    /// The server speaks XML-RPC (found out by the client; forgotten on `open`).
    xmlrpc: Arc<AtomicBool>,
}

/// Python's text for an OS error: `<class 'FileNotFoundError'>, [Errno 2] No such file...`.
pub fn py_error(e: &std::io::Error) -> String {
    let class = match e.kind() {
        std::io::ErrorKind::NotFound => "FileNotFoundError",
        std::io::ErrorKind::PermissionDenied => "PermissionError",
        std::io::ErrorKind::ConnectionRefused => "ConnectionRefusedError",
        std::io::ErrorKind::ConnectionReset => "ConnectionResetError",
        std::io::ErrorKind::BrokenPipe => "BrokenPipeError",
        std::io::ErrorKind::TimedOut => "TimeoutError",
        _ => "OSError",
    };
    let text = e.to_string();
    match e.raw_os_error() {
        Some(n) => {
            let msg = text
                .strip_suffix(&format!(" (os error {n})"))
                .unwrap_or(&text);
            format!("error: <class '{class}'>, [Errno {n}] {msg}")
        }
        None => format!("error: <class '{class}'>, {text}"),
    }
}

impl Controller {
    /// A controller with exit status 0.
    pub fn new(settings: Settings) -> Controller {
        Controller {
            settings,
            exit_status: exit::SUCCESS,
            auth_retry: false,
            xmlrpc: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The client for the current settings.
    pub fn client(&self) -> Client {
        Client {
            serverurl: self.settings.serverurl.clone(),
            username: self.settings.username.clone(),
            password: self.settings.password.clone(),
            xmlrpc: Arc::clone(&self.xmlrpc),
        }
    }

    /// Runs one line. Returns true when the shell should end (`quit`, `exit`, `EOF`).
    pub fn onecmd(&mut self, line: &str) -> bool {
        let Some((cmd, arg)) = parse_line(line) else {
            return false;
        };
        self.auth_retry = false;
        let stop = self.dispatch(&cmd, &arg, line.trim());
        if std::mem::take(&mut self.auth_retry) && self.prompt_credentials() {
            return self.onecmd(line);
        }
        stop
    }

    fn dispatch(&mut self, cmd: &str, arg: &str, line: &str) -> bool {
        match cmd {
            "help" => write_raw(help::help_output(arg).as_bytes()),
            "EOF" | "quit" | "exit" => {
                output("");
                return true;
            }
            "open" => self.do_open(arg),
            "fg" => return fg::fg(self, arg),
            c if UPCHECK.contains(&c) => return self.upcheck_first(c, arg),
            c if NO_UPCHECK.contains(&c) => return self.args_first(c, arg),
            _ => {
                output(&format!("*** Unknown syntax: {line}"));
                self.exit_status = exit::GENERIC;
            }
        }
        false
    }

    fn do_open(&mut self, arg: &str) {
        if !super::url::is_openable(arg) {
            output("ERROR: url must be http:// or unix://");
            self.exit_status = exit::GENERIC;
            return;
        }
        self.settings.serverurl = arg.trim().to_string();
        self.xmlrpc.store(false, Ordering::SeqCst);
        let saved = self.exit_status;
        self.onecmd("status");
        self.exit_status = saved;
    }

    /// Connects, reporting failures as the reference's upcheck does. `status` always exits
    /// 4 on failure.
    pub fn upcheck(&mut self, cmd: &str) -> Option<Sock> {
        let url = self.settings.serverurl.clone();
        let r = self.client().connect();
        let code = match r {
            Ok(s) => return Some(s),
            Err(ConnectError::NoSuchFile) => {
                output(&format!("{url} no such file"));
                exit::NOT_RUNNING
            }
            Err(ConnectError::Refused) => {
                output(&format!("{url} refused connection"));
                exit::INSUFFICIENT_PRIVILEGES
            }
            Err(ConnectError::BadUrl(m)) => {
                output(&format!("error: <class 'ValueError'>, {m}"));
                exit::GENERIC
            }
            Err(ConnectError::Io(e)) => {
                output(&py_error(&e));
                exit::GENERIC
            }
        };
        self.exit_status = if cmd == "status" {
            exit::STATUS_UNKNOWN
        } else {
            code
        };
        None
    }

    fn upcheck_first(&mut self, cmd: &str, arg: &str) -> bool {
        let Some(stream) = self.upcheck(cmd) else {
            return false;
        };
        match self.request(cmd, arg) {
            Some(req) => self.run(stream, &req),
            None => false,
        }
    }

    fn args_first(&mut self, cmd: &str, arg: &str) -> bool {
        let Some(req) = self.request(cmd, arg) else {
            return false;
        };
        match &req {
            Request::Add { names } | Request::Remove { names } if names.is_empty() => return false,
            Request::Reload
                if !self.confirm("Really restart the remote supervisord process y/N? ") =>
            {
                return false
            }
            Request::Shutdown
                if !self.confirm("Really shut the remote supervisord process down y/N? ") =>
            {
                return false
            }
            _ => {}
        }
        if cmd == "version" {
            return match self.upcheck(cmd) {
                Some(stream) => self.run(stream, &req),
                None => false,
            };
        }
        let url = self.settings.serverurl.clone();
        let stream = match self.client().connect() {
            Ok(s) => s,
            Err(e) => {
                let shutdown = matches!(req, Request::Shutdown);
                output(&match (e, shutdown) {
                    (ConnectError::Refused, true) => {
                        format!("ERROR: {url} refused connection (already shut down?)")
                    }
                    (ConnectError::NoSuchFile, true) => {
                        format!("ERROR: {url} no such file (already shut down?)")
                    }
                    (ConnectError::NoSuchFile, false) => {
                        py_error(&std::io::Error::from_raw_os_error(libc::ENOENT))
                    }
                    (ConnectError::Refused, false) => {
                        py_error(&std::io::Error::from_raw_os_error(libc::ECONNREFUSED))
                    }
                    (ConnectError::BadUrl(m), _) => format!("error: <class 'ValueError'>, {m}"),
                    (ConnectError::Io(e), _) => py_error(&e),
                });
                self.exit_status = exit::GENERIC;
                return false;
            }
        };
        self.run(stream, &req)
    }

    /// Applies supervisorctl's argument checks; prints the usage error and sets the exit
    /// code when they fail.
    fn request(&mut self, cmd: &str, arg: &str) -> Option<Request> {
        let args: Vec<String> = arg.split_whitespace().map(str::to_string).collect();
        match from_words(cmd, &args) {
            Ok(r) => Some(r),
            Err(ProtoError::Usage(u)) => {
                for l in &u.lines {
                    output(l);
                }
                self.exit_status = u.exit_code;
                None
            }
            Err(e) => {
                for l in e.lines() {
                    output(&l);
                }
                self.exit_status = e.outcome().exit_code;
                None
            }
        }
    }

    /// Asks a y/N question in interactive mode; always yes otherwise.
    fn confirm(&mut self, question: &str) -> bool {
        if !self.settings.interactive {
            return true;
        }
        match input::read_line(question) {
            Input::Line(l) => l.trim_start().to_lowercase().starts_with('y'),
            Input::Eof | Input::Interrupted => {
                output("");
                false
            }
        }
    }

    /// Sends `req` and prints the reply. Returns true when the shell should end.
    pub fn run(&mut self, mut stream: Sock, req: &Request) -> bool {
        let follow = req.is_streaming();
        let client = self.client();
        let r = if follow {
            // An event stream is for scripts too: no banner in it.
            let events = matches!(req, Request::Events { .. });
            let mut banner = || {
                if !events {
                    output("==> Press Ctrl-C to exit <==")
                }
            };
            client.call_stream(&mut stream, req, &mut banner, &mut print_event)
        } else {
            client.call(&mut stream, req, &mut print_event, true)
        };
        match r {
            Ok(o) => {
                self.absorb(&o);
                false
            }
            Err(CallError::Interrupted) if follow => {
                output("");
                false
            }
            Err(CallError::Interrupted) => {
                // Ctrl-C while waiting for an answer: leave, as the reference's shell does.
                output("");
                self.exit_status = 130;
                true
            }
            Err(e) => {
                self.report(req, e);
                false
            }
        }
    }

    /// Sends `req` and collects its body lines instead of printing them.
    pub fn capture(&mut self, mut stream: Sock, req: &Request) -> Option<(Vec<String>, Outcome)> {
        let mut lines = Vec::new();
        let mut sink = |ev: ReplyEvent| {
            if let ReplyEvent::Line(l) = ev {
                lines.push(String::from_utf8_lossy(&l).into_owned());
            }
        };
        match self.client().call(&mut stream, req, &mut sink, true) {
            Ok(o) if o.fault == Some(Fault::Unauthorized) => {
                for l in &lines {
                    output(l);
                }
                self.absorb(&o);
                None
            }
            Ok(o) => Some((lines, o)),
            Err(e) => {
                self.report(req, e);
                None
            }
        }
    }

    fn absorb(&mut self, o: &Outcome) {
        if o.exit_code != 0 {
            self.exit_status = o.exit_code;
        }
        if o.fault == Some(Fault::Unauthorized) && self.settings.interactive {
            self.auth_retry = true;
        }
    }

    fn report(&mut self, req: &Request, e: CallError) {
        let url = &self.settings.serverurl;
        let (msg, code) = match e {
            CallError::Timeout(d) => (
                format!(
                    "error: {url} did not answer within {} seconds",
                    d.as_secs_f64()
                ),
                exit::GENERIC,
            ),
            CallError::Eof => (
                format!("error: {url} closed the connection before the reply was complete"),
                exit::GENERIC,
            ),
            CallError::Http(status) => (
                format!(
                    "Sorry, this version of supervisorctl speaks the supervisor-rs protocol \
                     and XML-RPC, but {url} answered an XML-RPC call with {status}"
                ),
                exit::NOT_INSTALLED,
            ),
            CallError::NotHttp => (
                format!("error: {url} answered with neither the supervisor-rs protocol nor HTTP"),
                exit::GENERIC,
            ),
            CallError::TooLarge => (
                format!("error: {url} sent a reply larger than this supervisorctl accepts"),
                exit::GENERIC,
            ),
            CallError::BadReply(why) => (
                format!("error: {url} sent an XML-RPC reply that does not parse: {why}"),
                exit::GENERIC,
            ),
            CallError::Interrupted => (String::new(), 130),
            CallError::Io(e) => (py_error(&e), exit::GENERIC),
        };
        output(&msg);
        self.exit_status = if matches!(req, Request::Status { .. }) {
            exit::STATUS_UNKNOWN
        } else {
            code
        };
    }

    /// After `Server requires authentication` in the shell: asks for credentials.
    fn prompt_credentials(&mut self) -> bool {
        let Input::Line(user) = input::read_line("Username:") else {
            output("");
            return false;
        };
        // Like getpass: no echo on a terminal (and an echoing prompt when there is none).
        let echo_was_on = crate::sys::term::set_echo(0, false).unwrap_or(false);
        let pass = input::read_line("Password:");
        if echo_was_on {
            let _ = crate::sys::term::set_echo(0, true);
        }
        let Input::Line(pass) = pass else {
            output("");
            return false;
        };
        output("");
        self.settings.username = Some(user);
        self.settings.password = Some(pass);
        true
    }
}

impl fg::Session for Controller {
    fn client(&self) -> Client {
        Controller::client(self)
    }

    fn upcheck(&mut self, cmd: &str) -> Option<Sock> {
        Controller::upcheck(self, cmd)
    }

    fn capture(&mut self, stream: Sock, req: &Request) -> Option<(Vec<String>, Outcome)> {
        Controller::capture(self, stream, req)
    }

    fn set_exit_status(&mut self, code: i32) {
        self.exit_status = code;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_like_cmd_module() {
        let p = parse_line;
        assert_eq!(p("   "), None);
        assert_eq!(p("status"), Some(("status".into(), "".into())));
        assert_eq!(p("  start  a b "), Some(("start".into(), "a b".into())));
        assert_eq!(p("?start"), Some(("help".into(), "start".into())));
        assert_eq!(p("?"), Some(("help".into(), "".into())));
        assert_eq!(p("!ls"), Some(("".into(), "!ls".into())));
        assert_eq!(p("tail-f x"), Some(("tail".into(), "-f x".into())));
        assert_eq!(p("EOF"), Some(("EOF".into(), "".into())));
    }

    #[test]
    fn python_style_errors() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(
            py_error(&e),
            "error: <class 'FileNotFoundError'>, [Errno 2] No such file or directory"
        );
        let e = std::io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(
            py_error(&e),
            "error: <class 'ConnectionRefusedError'>, [Errno 111] Connection refused"
        );
    }
}
