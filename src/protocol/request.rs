//! Requests: the [`Request`] enum, parsing a request line, rendering one (client side), and
//! the argument checks supervisorctl performs before it talks to the server.
//!
//! The syntax of each command is supervisorctl's, so `nc` users type what they would type at
//! the `supervisor>` prompt. The argument checks live here, not in the client, so that the
//! client and the server print the same usage errors with the same exit codes.

use super::fault::{exit, Fault, Outcome};
use super::help;
use super::words;

/// The longest request line accepted, in bytes, without its terminator.
pub const MAX_LINE: usize = 64 * 1024;

/// The byte count `tail` and `maintail` read when none is given.
pub const DEFAULT_TAIL_BYTES: u64 = 1600;

pub use crate::stream::Stream;

/// What `tail`/`maintail` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailMode {
    /// The last N bytes (`-N`). 0 means the whole file, as in the reference.
    Last(u64),
    /// From byte N to the end (`--N`: supervisorctl reads the count with Python's `int()`,
    /// so `-N` makes a negative count and it asks for `readLog(N, 0)`).
    From(u64),
    /// Follow the file (`-f`) until the client goes away.
    Follow,
}

/// One request. `names` lists are namespecs as typed (`web`, `g:web`, `g:*`, `all`); the
/// daemon resolves them. `Auth` and `Help` are answered by [`super::conn::Conn`] itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `auth USER PASSWORD`: must be the first line when the server requires credentials.
    Auth { user: String, password: String },
    /// `status [NAME...]`: empty or containing `all` means every process.
    Status { names: Vec<String> },
    /// `start NAME...` (never empty).
    Start { names: Vec<String> },
    /// `stop NAME...` (never empty).
    Stop { names: Vec<String> },
    /// `restart NAME...` (never empty): stop results, then start results.
    Restart { names: Vec<String> },
    /// `signal SIG NAME...`: `signal` is as typed; the daemon answers BAD_SIGNAL per name.
    Signal { signal: String, names: Vec<String> },
    /// `tail [-f|-N] NAME [stdout|stderr]`.
    Tail {
        name: String,
        channel: Stream,
        mode: TailMode,
    },
    /// `maintail [-f|-N]`.
    MainTail { mode: TailMode },
    /// `pid [NAME...|all]`: empty means supervisord's own pid.
    Pid { names: Vec<String> },
    /// `clear NAME...|all` (never empty).
    Clear { names: Vec<String> },
    /// `rotate NAME...|all` (never empty): rotate the processes' logs now (ours).
    Rotate { names: Vec<String> },
    /// `avail`.
    Avail,
    /// `reread [-v]`: `-v` adds what `update` would do, process by process.
    Reread { verbose: bool },
    /// `update [--dry-run] [all|GROUP...]`: empty or containing `all` means every group;
    /// `--dry-run` says what would change, process by process, and changes nothing.
    Update { names: Vec<String>, dry_run: bool },
    /// `add GROUP...` (may be empty: nothing to do).
    Add { names: Vec<String> },
    /// `remove GROUP...` (may be empty: nothing to do).
    Remove { names: Vec<String> },
    /// `reload`.
    Reload,
    /// `shutdown`.
    Shutdown,
    /// `version`.
    Version,
    /// `upgrade`: the daemon execs its binary anew, keeping its pid, children and sockets
    /// (a supervisor-rs command; see supervisord(8)).
    Upgrade,
    /// `sendstdin NAME TEXT...`: the text (words joined by one space) is written to the
    /// process's stdin as is; no newline is added.
    SendStdin { name: String, text: String },
    /// `sendremotecommevent TYPE DATA...`: a REMOTE_COMMUNICATION event for the listeners
    /// (what the reference's XML-RPC `supervisor.sendRemoteCommEvent` does).
    SendRemoteCommEvent { kind: String, data: String },
    /// `help [TOPIC]`.
    Help { topic: String },
    /// `status --json [NAME...]`: the status rows as one JSON document (`crate::json`).
    StatusJson { names: Vec<String> },
    /// `avail --json`: the avail rows as one JSON document.
    AvailJson,
    /// `metrics`: the Prometheus text exposition (`protocol::metrics`).
    Metrics,
    /// `events [TYPE...]`: one line per event until the client goes away (`events::tap`).
    Events { types: Vec<String> },
}

impl Request {
    /// The command word.
    pub fn command(&self) -> &'static str {
        match self {
            Request::Auth { .. } => "auth",
            Request::Status { .. } => "status",
            Request::Start { .. } => "start",
            Request::Stop { .. } => "stop",
            Request::Restart { .. } => "restart",
            Request::Signal { .. } => "signal",
            Request::Tail { .. } => "tail",
            Request::MainTail { .. } => "maintail",
            Request::Pid { .. } => "pid",
            Request::Clear { .. } => "clear",
            Request::Rotate { .. } => "rotate",
            Request::Avail => "avail",
            Request::Reread { .. } => "reread",
            Request::Update { .. } => "update",
            Request::Add { .. } => "add",
            Request::Remove { .. } => "remove",
            Request::Reload => "reload",
            Request::Shutdown => "shutdown",
            Request::Version => "version",
            Request::Upgrade => "upgrade",
            Request::SendStdin { .. } => "sendstdin",
            Request::SendRemoteCommEvent { .. } => "sendremotecommevent",
            Request::Help { .. } => "help",
            Request::StatusJson { .. } => "status",
            Request::AvailJson => "avail",
            Request::Metrics => "metrics",
            Request::Events { .. } => "events",
        }
    }

    /// True for replies that stream until the client goes away (`tail -f`, `maintail -f`,
    /// `events`).
    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            Request::Events { .. }
                | Request::Tail {
                    mode: TailMode::Follow,
                    ..
                }
                | Request::MainTail {
                    mode: TailMode::Follow
                }
        )
    }
}

/// Why a request could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoError {
    /// The line is not a well-formed request (quoting, encoding, control characters,
    /// length). The server answers and then closes the connection.
    Syntax(String),
    /// The command word is not known. The body is `*** Unknown syntax: <line>`.
    Unknown(String),
    /// Well-formed, but the arguments are wrong: the lines supervisorctl prints and the
    /// exit code it returns.
    Usage(UsageError),
}

/// A usage error: the exact lines supervisorctl prints and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// Lines to print, without newlines.
    pub lines: Vec<String>,
    /// The exit code (1 or 2, as the reference).
    pub exit_code: i32,
}

impl UsageError {
    fn new(first: String, help_topic: Option<&str>, exit_code: i32) -> UsageError {
        let mut lines = vec![first];
        if let Some(t) = help_topic.and_then(help::topic) {
            lines.extend(help::lines(t));
        }
        UsageError { lines, exit_code }
    }

    /// The outcome for the final line (`BAD_ARGUMENTS` with the exit code).
    pub fn outcome(&self) -> Outcome {
        Outcome::failed(Fault::BadArguments, self.exit_code)
    }
}

impl ProtoError {
    /// The body lines the server sends for this error.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ProtoError::Syntax(msg) => vec![format!("Error: {msg}")],
            ProtoError::Unknown(line) => vec![format!("*** Unknown syntax: {line}")],
            ProtoError::Usage(u) => u.lines.clone(),
        }
    }

    /// The outcome for the final line.
    pub fn outcome(&self) -> Outcome {
        match self {
            ProtoError::Syntax(_) => Outcome::failed(Fault::BadArguments, exit::INVALID_ARGS),
            ProtoError::Unknown(_) => Outcome::failed(Fault::UnknownMethod, exit::GENERIC),
            ProtoError::Usage(u) => u.outcome(),
        }
    }
}

/// Parses one request line (the bytes before LF; a trailing CR is removed). Never panics.
pub fn parse_request(line: &[u8]) -> Result<Request, ProtoError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_LINE {
        return Err(ProtoError::Syntax("request line too long".into()));
    }
    let words = words::split(line).map_err(|e| ProtoError::Syntax(e.to_string()))?;
    let Some((cmd, args)) = words.split_first() else {
        return Err(ProtoError::Syntax("empty request".into()));
    };
    from_words(cmd, args).map_err(|e| match e {
        ProtoError::Unknown(_) => ProtoError::Unknown(String::from_utf8_lossy(line).trim().into()),
        e => e,
    })
}

/// Builds a request from a command word and its arguments, applying supervisorctl's argument
/// checks. The client calls this on what the user typed (split on whitespace, like the
/// reference); the server calls it through [`parse_request`].
pub fn from_words(cmd: &str, args: &[String]) -> Result<Request, ProtoError> {
    let names = || args.to_vec();
    let usage = |first: String, topic: &str, code: i32| {
        Err(ProtoError::Usage(UsageError::new(first, Some(topic), code)))
    };
    let no_args = |req: Request| {
        if args.is_empty() {
            Ok(req)
        } else {
            usage(format!("Error: {cmd} accepts no arguments"), cmd, 1)
        }
    };
    let need_names = |code: i32, mk: fn(Vec<String>) -> Request| {
        if args.is_empty() {
            usage(format!("Error: {cmd} requires a process name"), cmd, code)
        } else {
            Ok(mk(names()))
        }
    };
    match cmd {
        "auth" => match args {
            [user, password] => Ok(Request::Auth {
                user: user.clone(),
                password: password.clone(),
            }),
            _ => Err(ProtoError::Usage(UsageError::new(
                "Error: auth requires a user name and a password".into(),
                None,
                exit::GENERIC,
            ))),
        },
        "status" if args.iter().any(|a| a == "--json") => Ok(Request::StatusJson {
            names: args.iter().filter(|a| *a != "--json").cloned().collect(),
        }),
        "status" => Ok(Request::Status { names: names() }),
        "avail" if args.len() == 1 && args[0] == "--json" => Ok(Request::AvailJson),
        "metrics" => no_args(Request::Metrics),
        "events" => Ok(Request::Events { types: names() }),
        "start" => need_names(exit::INVALID_ARGS, |names| Request::Start { names }),
        "stop" => need_names(exit::GENERIC, |names| Request::Stop { names }),
        "restart" => need_names(exit::GENERIC, |names| Request::Restart { names }),
        "clear" => need_names(exit::GENERIC, |names| Request::Clear { names }),
        "rotate" => need_names(exit::GENERIC, |names| Request::Rotate { names }),
        "signal" => match args {
            [signal, rest @ ..] if !rest.is_empty() => Ok(Request::Signal {
                signal: signal.clone(),
                names: rest.to_vec(),
            }),
            _ => usage(
                "Error: signal requires a signal name and a process name".into(),
                "signal",
                1,
            ),
        },
        "tail" => parse_tail(args),
        "maintail" => parse_maintail(args),
        "pid" => Ok(Request::Pid { names: names() }),
        "avail" => no_args(Request::Avail),
        "reread" => match args {
            [v] if v == "-v" || v == "--verbose" => Ok(Request::Reread { verbose: true }),
            _ => no_args(Request::Reread { verbose: false }),
        },
        "reload" => no_args(Request::Reload),
        "shutdown" => no_args(Request::Shutdown),
        "version" => no_args(Request::Version),
        "upgrade" => no_args(Request::Upgrade),
        "update" => Ok(Request::Update {
            names: args.iter().filter(|a| *a != "--dry-run").cloned().collect(),
            dry_run: args.iter().any(|a| a == "--dry-run"),
        }),
        "add" => Ok(Request::Add { names: names() }),
        "remove" => Ok(Request::Remove { names: names() }),
        "sendstdin" => match args {
            [name, text @ ..] if !text.is_empty() => Ok(Request::SendStdin {
                name: name.clone(),
                text: text.join(" "),
            }),
            _ => Err(ProtoError::Usage(UsageError::new(
                "Error: sendstdin requires a process name and text".into(),
                None,
                exit::GENERIC,
            ))),
        },
        "sendremotecommevent" => match args {
            [kind, data @ ..] => Ok(Request::SendRemoteCommEvent {
                kind: kind.clone(),
                data: data.join(" "),
            }),
            _ => Err(ProtoError::Usage(UsageError::new(
                "Error: sendremotecommevent requires a type and data".into(),
                None,
                exit::GENERIC,
            ))),
        },
        "help" => Ok(Request::Help {
            topic: args.join(" "),
        }),
        _ => Err(ProtoError::Unknown(
            std::iter::once(cmd.to_string())
                .chain(args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        )),
    }
}

fn bad(msg: String, topic: Option<&str>) -> ProtoError {
    ProtoError::Usage(UsageError::new(msg, topic, exit::GENERIC))
}

/// `-f` → follow; `-N` → last N bytes; anything else is refused. N is read as Python's
/// `int()` reads it, as supervisorctl does: an optional sign, then ASCII digits with single
/// underscores between them (`-+5` is 5; `--5` is -5, meaning from byte 5; huge counts
/// saturate).
fn parse_modifier(m: &str) -> Result<TailMode, ProtoError> {
    let what = &m[1..];
    if what == "f" {
        return Ok(TailMode::Follow);
    }
    let (negative, digits) = match what.as_bytes().first() {
        Some(b'-') => (true, &what[1..]),
        Some(b'+') => (false, &what[1..]),
        _ => (false, what),
    };
    let well_formed = digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.ends_with(|c: char| c.is_ascii_digit())
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return Err(bad(format!("Error: bad argument {m}"), None));
    }
    let n = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u64, |n, d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        });
    Ok(match (negative, n) {
        (true, n) if n > 0 => TailMode::From(n),
        (_, n) => TailMode::Last(n),
    })
}

/// supervisorctl's `tail` argument rules, including their order: count, modifier, channel,
/// then the modifier's value.
fn parse_tail(args: &[String]) -> Result<Request, ProtoError> {
    if args.is_empty() {
        return Err(bad("Error: too few arguments".into(), Some("tail")));
    }
    if args.len() > 3 {
        return Err(bad("Error: too many arguments".into(), Some("tail")));
    }
    let (modifier, rest) = match args.split_first() {
        Some((m, rest)) if m.starts_with('-') => (Some(m.as_str()), rest),
        _ => (None, args),
    };
    let (name, channel) = match rest {
        [] => return Err(bad("Error: tail requires process name".into(), None)),
        [name] => (name, Stream::Stdout),
        [name, .., ch] => {
            let ch = ch.to_lowercase();
            let channel = match ch.as_str() {
                "stdout" => Stream::Stdout,
                "stderr" => Stream::Stderr,
                _ => {
                    let msg = format!("Error: bad channel {}", crate::pyrepr::str_repr(&ch));
                    return Err(bad(msg, None));
                }
            };
            (name, channel)
        }
    };
    let mode = match modifier {
        Some(m) => parse_modifier(m)?,
        None => TailMode::Last(DEFAULT_TAIL_BYTES),
    };
    Ok(Request::Tail {
        name: name.clone(),
        channel,
        mode,
    })
}

fn parse_maintail(args: &[String]) -> Result<Request, ProtoError> {
    match args {
        [] => Ok(Request::MainTail {
            mode: TailMode::Last(DEFAULT_TAIL_BYTES),
        }),
        [m] if m.starts_with('-') => Ok(Request::MainTail {
            mode: parse_modifier(m)?,
        }),
        [m] => Err(bad(format!("Error: bad argument {m}"), None)),
        _ => Err(bad("Error: too many arguments".into(), Some("maintail"))),
    }
}

fn mode_word(mode: TailMode) -> String {
    match mode {
        TailMode::Follow => "-f".into(),
        TailMode::Last(n) => format!("-{n}"),
        TailMode::From(n) => format!("--{n}"),
    }
}

/// Renders a request as one line, LF included, quoting every word that needs it, in a
/// canonical form that [`parse_request`] reads back to the same value.
pub fn render_request(req: &Request) -> Vec<u8> {
    let mut w: Vec<String> = vec![req.command().to_string()];
    match req {
        Request::Auth { user, password } => w.extend([user.clone(), password.clone()]),
        Request::StatusJson { names } => {
            w.push("--json".into());
            w.extend(names.iter().cloned());
        }
        Request::AvailJson => w.push("--json".into()),
        Request::Events { types: names }
        | Request::Status { names }
        | Request::Start { names }
        | Request::Stop { names }
        | Request::Restart { names }
        | Request::Pid { names }
        | Request::Clear { names }
        | Request::Rotate { names }
        | Request::Add { names }
        | Request::Remove { names } => w.extend(names.iter().cloned()),
        Request::Update { names, dry_run } => {
            if *dry_run {
                w.push("--dry-run".into());
            }
            w.extend(names.iter().cloned());
        }
        Request::Reread { verbose } => {
            if *verbose {
                w.push("-v".into());
            }
        }
        Request::Signal { signal, names } => {
            w.push(signal.clone());
            w.extend(names.iter().cloned());
        }
        Request::Tail {
            name,
            channel,
            mode,
        } => w.extend([mode_word(*mode), name.clone(), channel.name().into()]),
        Request::MainTail { mode } => w.push(mode_word(*mode)),
        Request::SendStdin { name, text } => w.extend([name.clone(), text.clone()]),
        Request::SendRemoteCommEvent { kind, data } => w.extend([kind.clone(), data.clone()]),
        Request::Help { topic } => w.extend(topic.split_whitespace().map(str::to_string)),
        Request::Avail
        | Request::Reload
        | Request::Shutdown
        | Request::Metrics
        | Request::Version
        | Request::Upgrade => {}
    }
    let refs: Vec<&str> = w.iter().map(String::as_str).collect();
    let mut line = words::join(&refs).into_bytes();
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<Request, ProtoError> {
        parse_request(line.as_bytes())
    }

    fn usage(line: &str) -> (Vec<String>, i32) {
        match p(line) {
            Err(ProtoError::Usage(u)) => (u.lines, u.exit_code),
            other => panic!("{line}: expected a usage error, got {other:?}"),
        }
    }

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_every_command() {
        let cases: Vec<(&str, Request)> = vec![
            ("status", Request::Status { names: vec![] }),
            (
                "status web g:*",
                Request::Status {
                    names: v(&["web", "g:*"]),
                },
            ),
            (
                "start a b c",
                Request::Start {
                    names: v(&["a", "b", "c"]),
                },
            ),
            (
                "stop group:*\r",
                Request::Stop {
                    names: v(&["group:*"]),
                },
            ),
            ("restart all", Request::Restart { names: v(&["all"]) }),
            (
                "signal HUP web",
                Request::Signal {
                    signal: "HUP".into(),
                    names: v(&["web"]),
                },
            ),
            (
                "tail web",
                Request::Tail {
                    name: "web".into(),
                    channel: Stream::Stdout,
                    mode: TailMode::Last(1600),
                },
            ),
            (
                "tail -4096 web STDERR",
                Request::Tail {
                    name: "web".into(),
                    channel: Stream::Stderr,
                    mode: TailMode::Last(4096),
                },
            ),
            (
                "tail -f web",
                Request::Tail {
                    name: "web".into(),
                    channel: Stream::Stdout,
                    mode: TailMode::Follow,
                },
            ),
            (
                "tail -0 web",
                Request::Tail {
                    name: "web".into(),
                    channel: Stream::Stdout,
                    mode: TailMode::Last(0),
                },
            ),
            (
                "tail --5 web",
                Request::Tail {
                    name: "web".into(),
                    channel: Stream::Stdout,
                    mode: TailMode::From(5),
                },
            ),
            (
                "tail -+1_000 web",
                Request::Tail {
                    name: "web".into(),
                    channel: Stream::Stdout,
                    mode: TailMode::Last(1000),
                },
            ),
            (
                "tail --0 web",
                Request::Tail {
                    name: "web".into(),
                    channel: Stream::Stdout,
                    mode: TailMode::Last(0),
                },
            ),
            (
                "maintail --7",
                Request::MainTail {
                    mode: TailMode::From(7),
                },
            ),
            (
                "maintail -f",
                Request::MainTail {
                    mode: TailMode::Follow,
                },
            ),
            (
                "maintail -200",
                Request::MainTail {
                    mode: TailMode::Last(200),
                },
            ),
            (
                "maintail",
                Request::MainTail {
                    mode: TailMode::Last(1600),
                },
            ),
            ("pid", Request::Pid { names: vec![] }),
            ("pid web", Request::Pid { names: v(&["web"]) }),
            ("clear all", Request::Clear { names: v(&["all"]) }),
            ("rotate all", Request::Rotate { names: v(&["all"]) }),
            (
                "rotate web g:*",
                Request::Rotate {
                    names: v(&["web", "g:*"]),
                },
            ),
            ("reread", Request::Reread { verbose: false }),
            ("reread -v", Request::Reread { verbose: true }),
            (
                "update",
                Request::Update {
                    names: vec![],
                    dry_run: false,
                },
            ),
            (
                "update --dry-run web",
                Request::Update {
                    names: v(&["web"]),
                    dry_run: true,
                },
            ),
            ("add g", Request::Add { names: v(&["g"]) }),
            ("remove g", Request::Remove { names: v(&["g"]) }),
            ("avail", Request::Avail),
            ("avail --json", Request::AvailJson),
            (
                "status --json web",
                Request::StatusJson { names: v(&["web"]) },
            ),
            ("metrics", Request::Metrics),
            (
                "events PROCESS_STATE TICK_5",
                Request::Events {
                    types: v(&["PROCESS_STATE", "TICK_5"]),
                },
            ),
            ("reload", Request::Reload),
            ("shutdown", Request::Shutdown),
            ("version", Request::Version),
            ("upgrade", Request::Upgrade),
            (
                "sendstdin web hello world",
                Request::SendStdin {
                    name: "web".into(),
                    text: "hello world".into(),
                },
            ),
            (
                "sendstdin web \"hi\\n\"",
                Request::SendStdin {
                    name: "web".into(),
                    text: "hi\n".into(),
                },
            ),
            (
                "sendremotecommevent deploy \"v2 done\\n\"",
                Request::SendRemoteCommEvent {
                    kind: "deploy".into(),
                    data: "v2 done\n".into(),
                },
            ),
            ("help", Request::Help { topic: "".into() }),
            (
                "help start",
                Request::Help {
                    topic: "start".into(),
                },
            ),
            (
                "auth bob s3cret",
                Request::Auth {
                    user: "bob".into(),
                    password: "s3cret".into(),
                },
            ),
        ];
        for (line, want) in cases {
            assert_eq!(p(line), Ok(want), "line {line:?}");
        }
    }

    #[test]
    fn usage_errors_match_supervisorctl() {
        let start_help = help::lines(help::topic("start").unwrap());
        let (lines, code) = usage("start");
        assert_eq!(lines[0], "Error: start requires a process name");
        assert_eq!(&lines[1..], &start_help[..]);
        assert_eq!(code, 2);
        let cases: &[(&str, &str, i32)] = &[
            ("stop", "Error: stop requires a process name", 1),
            ("restart", "Error: restart requires a process name", 1),
            ("clear", "Error: clear requires a process name", 1),
            ("rotate", "Error: rotate requires a process name", 1),
            (
                "signal",
                "Error: signal requires a signal name and a process name",
                1,
            ),
            (
                "signal HUP",
                "Error: signal requires a signal name and a process name",
                1,
            ),
            ("avail x", "Error: avail accepts no arguments", 1),
            ("reread x", "Error: reread accepts no arguments", 1),
            ("reload x", "Error: reload accepts no arguments", 1),
            ("shutdown x", "Error: shutdown accepts no arguments", 1),
            ("version x", "Error: version accepts no arguments", 1),
            ("metrics x", "Error: metrics accepts no arguments", 1),
            ("avail --json x", "Error: avail accepts no arguments", 1),
            ("tail", "Error: too few arguments", 1),
            ("tail a b c d", "Error: too many arguments", 1),
            ("tail -f a b c", "Error: too many arguments", 1),
            ("tail -f", "Error: tail requires process name", 1),
            ("tail -x", "Error: tail requires process name", 1),
            ("tail -x web", "Error: bad argument -x", 1),
            ("tail -abc web", "Error: bad argument -abc", 1),
            ("tail -- web", "Error: bad argument --", 1),
            ("tail ---5 web", "Error: bad argument ---5", 1),
            ("tail -5_ web", "Error: bad argument -5_", 1),
            ("tail -_5 web", "Error: bad argument -_5", 1),
            ("tail -5__0 web", "Error: bad argument -5__0", 1),
            ("tail -+ web", "Error: bad argument -+", 1),
            ("tail web foo", "Error: bad channel 'foo'", 1),
            ("tail web FOO", "Error: bad channel 'foo'", 1),
            ("tail a b c", "Error: bad channel 'c'", 1),
            ("tail -f -5 web", "Error: bad channel 'web'", 1),
            ("tail -x web foo", "Error: bad channel 'foo'", 1),
            ("maintail a b", "Error: too many arguments", 1),
            ("maintail -x", "Error: bad argument -x", 1),
            ("maintail x", "Error: bad argument x", 1),
            ("maintail -", "Error: bad argument -", 1),
            (
                "sendstdin web",
                "Error: sendstdin requires a process name and text",
                1,
            ),
            (
                "auth bob",
                "Error: auth requires a user name and a password",
                1,
            ),
        ];
        for (line, first, code) in cases {
            let (lines, got) = usage(line);
            assert_eq!(lines[0], *first, "line {line:?}");
            assert_eq!(got, *code, "line {line:?}");
        }
        assert_eq!(usage("tail").0.len(), 7);
        assert_eq!(usage("tail -x web").0.len(), 1);
        assert_eq!(usage("maintail a b").0.len(), 5);
    }

    #[test]
    fn other_errors() {
        assert_eq!(
            p("frobnicate  the web"),
            Err(ProtoError::Unknown("frobnicate  the web".into()))
        );
        assert!(matches!(p(""), Err(ProtoError::Syntax(_))));
        assert!(matches!(p("start \"web"), Err(ProtoError::Syntax(_))));
        assert!(matches!(
            parse_request(b"\xff\xff"),
            Err(ProtoError::Syntax(_))
        ));
        let long = vec![b'a'; MAX_LINE + 1];
        assert!(matches!(parse_request(&long), Err(ProtoError::Syntax(_))));
        let e = p("nosuch").unwrap_err();
        assert_eq!(e.lines(), vec!["*** Unknown syntax: nosuch"]);
        assert_eq!(e.outcome(), Outcome::failed(Fault::UnknownMethod, 1));
    }

    #[test]
    fn render_round_trips() {
        let reqs = vec![
            Request::Status { names: vec![] },
            Request::Start {
                names: v(&["a b", "g:*", "\"q\"", "-f"]),
            },
            Request::Signal {
                signal: "SIGHUP".into(),
                names: v(&["x\ny"]),
            },
            Request::Tail {
                name: "-odd".into(),
                channel: Stream::Stderr,
                mode: TailMode::Follow,
            },
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stdout,
                mode: TailMode::Last(0),
            },
            Request::MainTail {
                mode: TailMode::Last(99),
            },
            Request::MainTail {
                mode: TailMode::From(3),
            },
            Request::SendStdin {
                name: "web".into(),
                text: "a  b\n".into(),
            },
            Request::SendStdin {
                name: "web".into(),
                text: "".into(),
            },
            Request::SendRemoteCommEvent {
                kind: "t y".into(),
                data: "".into(),
            },
            Request::Auth {
                user: "u".into(),
                password: "p w\"".into(),
            },
            Request::Help {
                topic: "start".into(),
            },
            Request::Version,
            Request::StatusJson {
                names: v(&["a", "g:*"]),
            },
            Request::AvailJson,
            Request::Metrics,
            Request::Events { types: vec![] },
        ];
        for r in reqs {
            let line = render_request(&r);
            assert_eq!(line.last(), Some(&b'\n'));
            assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
            assert_eq!(
                parse_request(&line[..line.len() - 1]),
                Ok(r.clone()),
                "{line:?}"
            );
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut seed = 12345u32;
        for len in 0..300 {
            let line: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = parse_request(&line);
        }
    }
}
