//! The interactive shell: runs `status`, then reads commands at the `<prompt>> ` prompt
//! until `quit`, `exit`, end of input or Ctrl-C. Its exit code is always 0.

use std::io::Write;

use super::commands::Controller;
use super::input::{self, Input};
use super::out::output;

/// Runs the shell.
pub fn run(ctl: &mut Controller) {
    let prompt = format!("{}> ", ctl.settings.prompt);
    let mut typed: Vec<String> = Vec::new();
    ctl.onecmd("status");
    loop {
        match input::read_line(&prompt) {
            Input::Line(line) => {
                if !line.trim().is_empty() {
                    typed.push(line.clone());
                }
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
    save_history(ctl, &typed);
}

/// Appends the typed lines to the history file, one per line (readline's format).
fn save_history(ctl: &Controller, typed: &[String]) {
    let Some(path) = &ctl.settings.history_file else {
        return;
    };
    if typed.is_empty() {
        return;
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        for l in typed {
            let _ = writeln!(f, "{l}");
        }
    }
}
