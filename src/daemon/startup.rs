//! Startup steps that run once, before the loop: dropping privileges, raising rlimits,
//! detaching from the terminal with a readiness pipe, and the pidfile. Each returns the
//! reference's messages so they can go to the activity log once it is open.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;

use crate::config::model::SupervisordConfig;
use crate::messages;
use crate::sys;
use crate::sys::limits::{Resource, RLIM_INFINITY};

/// Messages for the activity log, queued before it opens (the reference's parse_criticals
/// and parse_infos).
#[derive(Debug, Default)]
pub struct StartupNotes {
    /// Logged at CRIT.
    pub criticals: Vec<String>,
    /// Logged at INFO.
    pub infos: Vec<String>,
    /// Logged at ERROR (a handover that could not be used).
    pub errors: Vec<String>,
    /// This image was exec'd by `upgrade`: it does not detach again.
    pub upgraded: bool,
}

/// `user=`: switch to that user (setgroups, setgid, setuid), or note that we run as root.
/// The user was resolved at load (uid, and the gid and groups of its passwd entry), so
/// nothing is looked up here. An error is a usage error (exit 2), with the reference's text.
pub fn set_uid(cfg: &SupervisordConfig, notes: &mut StartupNotes) -> Result<(), String> {
    let Some(uid) = cfg.uid else {
        if sys::proc::getuid() == 0 {
            notes.criticals.push(messages::RUNNING_AS_ROOT.into());
        }
        return Ok(());
    };
    let Some(gid) = cfg.gid else {
        return Err(format!("Can't find uid {uid}"));
    };
    let current = sys::proc::getuid();
    if current != uid {
        if current != 0 {
            return Err("Can't drop privilege as nonroot user".into());
        }
        sys::proc::drop_privileges(uid, gid, &cfg.groups).map_err(|e| e.to_string())?;
    }
    notes.infos.push(messages::set_uid_succeeded(uid));
    Ok(())
}

/// `minfds` / `minprocs`: raise the soft limits (and the hard ones when allowed).
pub fn set_rlimits(cfg: &SupervisordConfig, notes: &mut StartupNotes) -> Result<(), String> {
    for (res, min, what, thing, word) in [
        (
            Resource::NoFile,
            cfg.minfds,
            "minfds",
            "file descriptors",
            "process",
        ),
        (
            Resource::NProc,
            cfg.minprocs,
            "minprocs",
            "processes",
            "program",
        ),
    ] {
        let Ok((soft, hard)) = sys::limits::get_rlimit(res) else {
            continue;
        };
        if soft == RLIM_INFINITY || soft >= min {
            continue;
        }
        let new_hard = if hard != RLIM_INFINITY && hard < min {
            min
        } else {
            hard
        };
        match sys::limits::set_rlimit(res, min, new_hard) {
            Ok(()) => notes
                .infos
                .push(messages::increased_rlimit(res.name(), min)),
            Err(_) => {
                let lead = if what == "minfds" {
                    "The minimum number of file descriptors required".to_string()
                } else {
                    "The minimum number of available processes required".to_string()
                };
                return Err(format!(
                    "{lead} to run this {word} is {min} as per the \"{what}\" command-line \
                     argument or config file setting. The current environment will only allow \
                     you to open {new_hard} {thing}.  Either raise the number of usable {thing} \
                     in your environment (see README.rst) or lower the {what} setting in the \
                     config file to allow the {word} to start."
                ));
            }
        }
    }
    Ok(())
}

/// The launcher's end of the readiness pipe: it waits for the daemon to say it is ready.
#[derive(Debug)]
pub struct Launcher {
    read: File,
}

/// The daemon's end of the readiness pipe.
#[derive(Debug)]
pub struct Readiness {
    write: Option<File>,
}

impl Readiness {
    /// No launcher is waiting (foreground mode).
    pub fn none() -> Readiness {
        Readiness { write: None }
    }

    /// Tells the launcher that startup succeeded; it exits 0.
    pub fn ready(&mut self) {
        if let Some(mut w) = self.write.take() {
            let _ = w.write_all(b"R");
        }
    }

    /// Tells the launcher that startup failed with `msg`; it prints it and exits 2. In the
    /// foreground there is no launcher: the error goes to stderr the same way.
    pub fn failed(&mut self, msg: &str) {
        match self.write.take() {
            Some(mut w) => {
                let _ = w.write_all(format!("E{msg}").as_bytes());
            }
            None => {
                eprintln!("Error: {msg}");
                eprintln!("For help, use supervisord -h");
            }
        }
    }

    /// Whether a launcher is still waiting.
    pub fn pending(&self) -> bool {
        self.write.is_some()
    }
}

/// Which side of the detach we are on.
#[derive(Debug)]
pub enum Detached {
    /// The launching process: wait with [`Launcher::wait`], then exit.
    Launcher(Launcher),
    /// The daemon: carry on, and report through the readiness pipe.
    Daemon(Readiness),
}

/// Forks the daemon off the launching process. The child becomes a session leader, moves to
/// `directory` (when set), sets the umask and keeps running; the parent waits for a byte on
/// the readiness pipe, so `supervisord && supervisorctl status` never races.
pub fn detach() -> io::Result<Detached> {
    let (r, w): (OwnedFd, OwnedFd) = sys::fd::pipe()?;
    match sys::proc::fork()? {
        sys::proc::Fork::Parent(_) => {
            drop(w);
            Ok(Detached::Launcher(Launcher {
                read: File::from(r),
            }))
        }
        sys::proc::Fork::Child => {
            drop(r);
            let _ = sys::proc::setsid();
            Ok(Detached::Daemon(Readiness {
                write: Some(File::from(w)),
            }))
        }
    }
}

impl Launcher {
    /// Waits for the daemon's verdict and returns the launcher's exit code. Errors are printed
    /// the way the reference prints usage errors.
    pub fn wait(mut self, argv0: &str) -> i32 {
        let mut buf = Vec::new();
        let _ = self.read.read_to_end(&mut buf);
        match buf.first() {
            Some(b'R') => 0,
            Some(b'E') => {
                eprintln!("Error: {}", String::from_utf8_lossy(&buf[1..]));
                eprintln!("For help, use {argv0} -h");
                2
            }
            _ => {
                eprintln!("Error: supervisord exited during startup (see its log file)");
                1
            }
        }
    }
}

/// Writes `<pid>\n` to the pidfile through a temporary file and a rename, so readers never see
/// a partial pid.
pub fn write_pidfile(path: &Path, pid: i32) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, format!("{pid}\n"))?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// How this daemon was started, taken at startup: what `upgrade` execs.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The binary (`/proc/self/exe` resolved at startup): a file replaced at that path is
    /// what runs.
    exe: std::path::PathBuf,
    /// `argv[0]` as given (the multicall binary dispatches on it).
    argv0: std::ffi::OsString,
    /// The arguments after it.
    args: Vec<std::ffi::OsString>,
    /// The directory it was started in (a relative `-c` is relative to it).
    cwd: std::path::PathBuf,
}

impl Launch {
    /// This process's binary, arguments and working directory.
    pub fn capture() -> Option<Launch> {
        let mut argv = std::env::args_os();
        Some(Launch {
            exe: std::env::current_exe().ok()?,
            argv0: argv.next()?,
            args: argv.collect(),
            cwd: std::env::current_dir().ok()?,
        })
    }

    /// The binary.
    pub fn exe(&self) -> &Path {
        &self.exe
    }

    /// Replaces this process's image with the binary again, same arguments, from the
    /// directory it was started in, with `var=value` added to the environment. Returns only
    /// on failure (the working directory may then have changed: the caller restores it).
    pub fn exec_again(&self, var: &str, value: &str) -> io::Error {
        let mut argv = vec![self.argv0.as_os_str()];
        argv.extend(self.args.iter().map(|a| a.as_os_str()));
        let env = environment_with(std::env::vars_os().collect(), var, value);
        sys::proc::exec(&self.exe, &argv, &env, &self.cwd)
    }
}

/// `vars` with `var=value` set, as `KEY=value` entries sorted by key, a key given twice
/// taking its last value: the environment std's `Command` built for the exec (a map).
fn environment_with(
    mut vars: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    var: &str,
    value: &str,
) -> Vec<std::ffi::OsString> {
    vars.push((var.into(), value.into()));
    // Stable: of a key's entries, the last one given comes last.
    crate::sort::sort_by(&mut vars, &|a, b| a.0.cmp(&b.0));
    let mut merged: Vec<(std::ffi::OsString, std::ffi::OsString)> = Vec::new();
    for (k, v) in vars {
        match merged.last_mut() {
            Some(last) if last.0 == k => last.1 = v,
            _ => merged.push((k, v)),
        }
    }
    merged
        .into_iter()
        .map(|(mut k, v)| {
            k.push("=");
            k.push(v);
            k
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::environment_with;

    #[test]
    fn the_exec_environment_is_sorted_with_the_variable_set_once() {
        let vars = [
            ("PATH", "/bin"),
            ("B", "1"),
            ("A", "x"),
            ("B", "2"),
            ("H", "old"),
        ]
        .iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
        let env = environment_with(vars, "H", "new");
        assert_eq!(env, ["A=x", "B=2", "H=new", "PATH=/bin"]);
    }
}
