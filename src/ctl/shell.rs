//! The interactive shell: runs `status`, then reads commands at the `<prompt>> ` prompt
//! until `quit`, `exit`, end of input or Ctrl-C. Its exit code is always 0.
//!
//! On a terminal, lines are edited ([`super::tty`]): history, completion, and Ctrl-C
//! cancels the line rather than ending the shell. Otherwise (a pipe, a file, `TERM=dumb`)
//! lines are read as they come, as the reference reads them without readline.

use std::path::PathBuf;

use super::client::Client;
use super::commands::{Controller, Settings};
use super::complete::{self, Proc, ShellCompleter};
use super::history::History;
use super::input::{self, Input};
use super::out::{self, output};
use super::tty;
use crate::protocol::{ReplyEvent, Request};

/// The history file when neither `-r` nor `history_file` names one (terminal only).
const DEFAULT_HISTORY: &str = ".supervisorctl_history";

/// Runs the shell.
pub fn run(ctl: &mut Controller) {
    let prompt = format!("{}> ", ctl.settings.prompt);
    if tty::available() {
        input::use_terminal();
        edit_lines(ctl, &prompt);
    } else {
        plain_lines(ctl, &prompt);
    }
}

/// Lines from a pipe or file: the typed lines go to the history file only when one is set.
fn plain_lines(ctl: &mut Controller, prompt: &str) {
    let mut history = History::default();
    ctl.onecmd("status");
    loop {
        match input::read_line(prompt) {
            Input::Line(line) => {
                history.add(&line);
                if ctl.onecmd(&line) {
                    break;
                }
            }
            Input::Eof => {
                ctl.onecmd("EOF");
                break;
            }
            Input::Interrupted => {
                output("");
                break;
            }
        }
    }
    if let Some(path) = &ctl.settings.history_file {
        let _ = history.save(path);
    }
}

/// Lines edited on a terminal.
fn edit_lines(ctl: &mut Controller, prompt: &str) {
    let path = history_path(&ctl.settings);
    let mut history = path.as_deref().map(History::load).unwrap_or_default();
    ctl.onecmd("status");
    loop {
        if !out::at_line_start() {
            out::write_raw(b"\n");
        }
        let client = ctl.client();
        let mut completer = ShellCompleter::new(move || names(&client));
        match tty::read_line(prompt, history.entries(), &mut completer) {
            Input::Line(line) => {
                history.add(&line);
                if ctl.onecmd(&line) {
                    break;
                }
            }
            Input::Eof => {
                ctl.onecmd("EOF");
                break;
            }
            Input::Interrupted => {
                output("");
                break;
            }
        }
    }
    if let Some(p) = path {
        if let Err(e) = history.save(&p) {
            eprintln!("supervisorctl: history not saved to {}: {e}", p.display());
        }
    }
}

/// `-r` or `history_file`, else `~/.supervisorctl_history`.
fn history_path(settings: &Settings) -> Option<PathBuf> {
    settings.history_file.clone().or_else(|| {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
        Some(PathBuf::from(home).join(DEFAULT_HISTORY))
    })
}

/// The processes for completion, from a quiet `status` (nothing when it fails).
fn names(client: &Client) -> Vec<Proc> {
    let Ok(mut sock) = client.connect() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let mut sink = |ev: ReplyEvent| {
        if let ReplyEvent::Line(l) = ev {
            lines.push(String::from_utf8_lossy(&l).into_owned());
        }
    };
    let req = Request::Status { names: Vec::new() };
    let _ = client.call(&mut sock, &req, &mut sink, false);
    complete::parse_status(&lines)
}
