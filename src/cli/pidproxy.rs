//! `pidproxy <pidfile> <command> [args...]`: runs a program that daemonizes itself and
//! forwards the signals supervisord sends to the pid in its pidfile (reference section 8).
//! Unlike the reference, which polls every 5 s, it notices its child's exit at once.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

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

/// Runs pidproxy with `args` (the arguments after `argv[0]`) and returns the exit code. It
/// returns only once the command has exited or a stopping signal was forwarded.
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
        if let Ok(Some(_)) = child.try_wait() {
            // The reference exits 0 whatever the command's status was.
            return 0;
        }
        for sig in signals.wait() {
            if sig == SIGCHLD {
                continue;
            }
            match read_pid(&pidfile) {
                Some(pid) => {
                    let _ = crate::sys::proc::kill(pid, sig);
                    if [SIGTERM, SIGINT, SIGQUIT].contains(&sig) {
                        return 0;
                    }
                }
                None => println!("Can't read child pidfile {}!", pidfile.display()),
            }
        }
    }
}
