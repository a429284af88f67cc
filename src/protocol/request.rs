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
#[path = "request_tests.rs"]
mod tests;
