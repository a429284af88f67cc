//! `pidproxy <pidfile> <command> [args...]`: runs a program that daemonizes itself and
//! forwards the signals supervisord sends to the pid in its pidfile (reference section 8).
//! Unlike the reference, which polls every 5 s, it notices its child's exit at once; after
//! forwarding a stopping signal it waits (bounded) until the pidfile's process is gone, so
//! a supervised stop really waits for the service; and it exits with its command's status.
//!
//! Exit status: the command's exit code, or 128 + the signal that killed it; after a
//! forwarded TERM/INT/QUIT, the command's status if it has ended by then, else 128 + that
//! signal; 1 for a usage error or when signals cannot be caught; 127 when the command
//! cannot be executed.

use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

fn usage(argv0: &str) {
    println!(
        "pidproxy -- run command and proxy signals to it via its pidfile.\n\n\
         This executable runs a command and then monitors a pidfile.  When this\n\
         executable receives a signal, it sends the same signal to the pid\n\
         in the pidfile.\n\n\
         Usage: {argv0} <pidfile name> <command> [<cmdarg1> ...]\n"
    );
}

fn read_pid(pidfile: &Path) -> Option<i32> {
    fs::read_to_string(pidfile).ok()?.trim().parse().ok()
}

/// How long a forwarded stop may take before pidproxy leaves anyway (supervisord's own
/// `stopwaitsecs` normally ends it first, with SIGKILL).
const STOP_WAIT: Duration = Duration::from_secs(60);
/// How often the stop wait looks (this is not supervisord's loop: a short poll is fine).
const STOP_POLL: Duration = Duration::from_millis(20);

/// The exit status pidproxy reports for its command's.
fn code(st: ExitStatus) -> i32 {
    st.code()
        .or_else(|| st.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

/// After forwarding `sig` to `pid`: waits until `pid` is gone (bounded), then for the
/// command to end (within what is left); the status to exit with.
fn finish_stop(child: &mut Child, pid: i32, sig: i32) -> i32 {
    let deadline = Instant::now() + STOP_WAIT;
    while crate::sys::proc::kill(pid, 0).is_ok() && Instant::now() < deadline {
        // The pid may be our own child: reap it, or it stays a zombie and "alive".
        if let Ok(Some(st)) = child.try_wait() {
            if pid == child.id() as i32 {
                return code(st);
            }
        }
        std::thread::sleep(STOP_POLL);
    }
    while Instant::now() < deadline {
        if let Ok(Some(st)) = child.try_wait() {
            return code(st);
        }
        std::thread::sleep(STOP_POLL);
    }
    128 + sig
}

/// Runs pidproxy with `args` (the arguments after `argv[0]`) and returns the exit code. It
/// returns once the command has exited, or a stopping signal was forwarded and its target
/// is gone.
pub fn main(argv0: &str, args: &[String]) -> i32 {
    if args.len() < 2 {
        usage(argv0);
        return 1;
    }
    let pidfile = PathBuf::from(&args[0]);
    // Like the reference: the command is made absolute against the cwd, no PATH search.
    let cmd = match std::path::absolute(&args[1]) {
        Ok(p) => p,
        Err(_) => PathBuf::from(&args[1]),
    };
    let forwarded = [SIGTERM, SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGQUIT];
    let mut signals = match Signals::new(forwarded.iter().chain(&[SIGCHLD])) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pidproxy: cannot install signal handlers: {e}");
            return 1;
        }
    };
    let mut child: Child = match Command::new(&cmd).arg0(&args[1]).args(&args[2..]).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pidproxy: couldn't exec {}: {e}", args[1]);
            return 127;
        }
    };
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return code(st);
        }
        for sig in signals.wait() {
            if sig == SIGCHLD {
                continue;
            }
            match read_pid(&pidfile) {
                Some(pid) => {
                    let _ = crate::sys::proc::kill(pid, sig);
                    if [SIGTERM, SIGINT, SIGQUIT].contains(&sig) {
                        return finish_stop(&mut child, pid, sig);
                    }
                }
                None => println!("Can't read child pidfile {}!", pidfile.display()),
            }
        }
    }
}
