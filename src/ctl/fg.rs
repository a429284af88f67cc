//! `fg NAME`: stream a process's stdout and stderr (two `tail -f` connections, each read by
//! its own thread) and forward each typed line to its stdin with `sendstdin`. Leaves with
//! `Exiting foreground` on Ctrl-C or end of input, after `Process got killed` when the
//! process is no longer RUNNING.

use std::thread::JoinHandle;

use super::client::{Client, Sock};
use super::input::{self, Input};
use super::out::{output, print_event};
use crate::protocol::fault::exit;
use crate::protocol::request::{Stream, TailMode};
use crate::protocol::status::{namespec, split_namespec};
use crate::protocol::{help, Fault, Outcome, Request};

/// What `fg` needs from the interpreter (`commands::Controller`). A trait, so that `fg`
/// sits below `commands`, which dispatches to it.
pub trait Session {
    /// The client for the current settings.
    fn client(&self) -> Client;
    /// Connects, or reports the failure and sets the exit status.
    fn upcheck(&mut self, cmd: &str) -> Option<Sock>;
    /// Sends `req` and collects its body lines; `None` when already reported.
    fn capture(&mut self, stream: Sock, req: &Request) -> Option<(Vec<String>, Outcome)>;
    /// Sets the exit status of one-shot mode.
    fn set_exit_status(&mut self, code: i32);
}

/// Runs `fg`; returns true when the shell should end.
pub fn fg(ctl: &mut impl Session, arg: &str) -> bool {
    let Some(stream) = ctl.upcheck("fg") else {
        return false;
    };
    let names: Vec<&str> = arg.split_whitespace().collect();
    let name = match names.as_slice() {
        [] => {
            output("ERROR: no process name supplied");
            for l in help::lines(help::topic("fg").unwrap_or_default()) {
                output(&l);
            }
            ctl.set_exit_status(exit::GENERIC);
            return false;
        }
        [one] => one.to_string(),
        _ => {
            output("ERROR: too many process names supplied");
            ctl.set_exit_status(exit::GENERIC);
            return false;
        }
    };
    match state_of(ctl, stream, &name) {
        Some(Ok(state)) if state == "RUNNING" => {}
        Some(Ok(_)) => {
            output("ERROR: process not running");
            ctl.set_exit_status(exit::GENERIC);
            return false;
        }
        Some(Err(())) => {
            output("ERROR: bad process name supplied");
            ctl.set_exit_status(exit::GENERIC);
            return false;
        }
        None => return false,
    }
    output("==> Press Ctrl-C to exit <==");
    let tails: Vec<(Sock, JoinHandle<()>)> = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .filter_map(|ch| spawn_tail(ctl, &name, ch))
        .collect();
    let end = forward_input(ctl, &name);
    for (handle, thread) in tails {
        handle.shutdown();
        let _ = thread.join();
    }
    if end == End::Killed {
        output("Process got killed");
    }
    output("Exiting foreground");
    false
}

/// The state word of one process from `status NAME`: `Some(Err(()))` for a bad name,
/// `None` when the request itself failed (already reported).
fn state_of(ctl: &mut impl Session, stream: Sock, name: &str) -> Option<Result<String, ()>> {
    if split_namespec(name).1.is_none() {
        return Some(Err(()));
    }
    let req = Request::Status {
        names: vec![name.to_string()],
    };
    let (lines, outcome) = ctl.capture(stream, &req)?;
    if !matches!(
        outcome.fault,
        None | Some(Fault::BadName | Fault::NotRunning)
    ) {
        // Refused (supervisord is shutting down): show why.
        lines.iter().for_each(|l| output(l));
        ctl.set_exit_status(outcome.exit_code);
        return None;
    }
    if outcome.fault == Some(Fault::BadName) || lines.len() != 1 {
        return Some(Err(()));
    }
    let (g, p) = split_namespec(name);
    let shown = namespec(g, p.unwrap_or(g));
    let state = lines[0]
        .strip_prefix(&shown)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .to_string();
    Some(Ok(state))
}

fn spawn_tail(ctl: &impl Session, name: &str, channel: Stream) -> Option<(Sock, JoinHandle<()>)> {
    let client = ctl.client();
    let mut stream = client.connect().ok()?;
    let handle = stream.try_clone().ok()?;
    let req = Request::Tail {
        name: name.to_string(),
        channel,
        mode: TailMode::Follow,
    };
    let thread = std::thread::spawn(move || {
        let _ = client.call(&mut stream, &req, &mut print_event, false);
    });
    Some((handle, thread))
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    User,
    Killed,
}

/// Forwards typed lines until Ctrl-C, end of input, or the process stops running.
fn forward_input(ctl: &mut impl Session, name: &str) -> End {
    loop {
        let line = match input::read_line("") {
            Input::Line(l) => l,
            Input::Eof | Input::Interrupted => return End::User,
        };
        let Ok(stream) = ctl.client().connect() else {
            return End::Killed;
        };
        let req = Request::SendStdin {
            name: name.to_string(),
            text: format!("{line}\n"),
        };
        let Some((lines, outcome)) = ctl.capture(stream, &req) else {
            return End::User;
        };
        match outcome.fault {
            None => {}
            Some(Fault::NotRunning) => return End::Killed,
            Some(_) => {
                output(&format!("ERROR: {}", lines.join(" ")));
                return End::User;
            }
        }
        let Ok(stream) = ctl.client().connect() else {
            return End::Killed;
        };
        match state_of(ctl, stream, name) {
            Some(Ok(s)) if s == "RUNNING" => {}
            _ => return End::Killed,
        }
    }
}
