//! supervisorctl: the command line, the command interpreter, the shell and the client of
//! the control protocol (`crate::protocol`).
//!
//! - [`opts`]: `-c -s -u -p -i -r -h`.
//! - [`url`]: `unix://` and `http://` server URLs.
//! - [`sock`]: the transport: connecting, the socket, errors, timeouts.
//! - [`client`]: one request over a socket; finds out whether the server speaks our text
//!   protocol or XML-RPC.
//! - [`rpc`]: XML-RPC mode (a Python supervisord): each command as the reference's calls.
//! - [`http`]: the HTTP/1.0 client under [`rpc`].
//! - [`out`]: stdout writing, shared by every command.
//! - [`fg`]: foreground mode, below `commands` through [`fg::Session`].
//! - [`commands`]: the interpreter.
//! - [`shell`]: the prompt.
//! - [`tty`]: the terminal side of the line editor; [`edit`]: the editor itself, pure.
//! - [`history`]: the shell's history file; [`complete`]: what Tab completes.
//! - [`input`]: stdin lines (and bytes, for the editor).
//! - [`interrupt`]: Ctrl-C, shared by everything that waits.

pub mod client;
pub mod commands;
pub mod complete;
pub mod edit;
pub mod fg;
pub mod history;
#[cfg(feature = "xmlrpc")]
pub mod http;
pub mod input;
pub mod interrupt;
pub mod opts;
pub mod out;
#[cfg(feature = "xmlrpc")]
pub mod rpc;
pub mod shell;
pub mod sock;
pub mod tty;
pub mod url;

use crate::config as cfg;

use std::path::{Path, PathBuf};

use commands::{Controller, Settings};

/// Runs supervisorctl with `args` (the arguments after `argv[0]`) and returns the exit code.
pub fn main(argv0: &str, args: &[String]) -> i32 {
    let cli = match opts::parse(args) {
        Ok(c) => c,
        Err(msg) => return usage_failure(&msg, argv0),
    };
    if cli.help {
        out::write_raw(opts::usage(argv0).as_bytes());
        return 0;
    }
    let ctx = cfg::LoadContext::from_process(cfg::users::nss());
    let conf = match cfg::load_ctl(cli.config.as_deref().map(Path::new), &ctx) {
        Ok(c) => c,
        Err(e) => return usage_failure(&e.message, argv0),
    };
    let interactive = cli.interactive || cli.args.is_empty();
    let settings = Settings {
        serverurl: cli.serverurl.unwrap_or(conf.serverurl),
        username: cli.username.or(conf.username),
        password: cli.password.or(conf.password),
        prompt: conf.prompt,
        history_file: cli.history_file.map(PathBuf::from).or(conf.history_file),
        interactive,
    };
    interrupt::install();
    let mut ctl = Controller::new(settings);
    if !cli.args.is_empty() {
        // One-shot mode (also with -i: the reference then exits without a shell).
        ctl.onecmd(&cli.args.join(" "));
        return ctl.exit_status;
    }
    shell::run(&mut ctl);
    0
}

fn usage_failure(msg: &str, argv0: &str) -> i32 {
    eprint!("{}", opts::usage_error(msg, argv0));
    2
}
