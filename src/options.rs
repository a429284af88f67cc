//! The supervisord command line (reference section 2.1), parsed with `getopts` and checked the
//! way the reference's getopt loop does: options act in order (`-h` or `-v` print at once),
//! each value is validated with its config type (`invalid value for -x 'v': <msg>`), an
//! option given twice is a conflict, and positional arguments are refused. Our own long-only
//! options `--check-config` and `--json` select the config checker.

use std::path::PathBuf;

use crate::config::model::LogLevel;
use crate::config::users::UserDb;
use crate::config::values::{self, PathCtx};
use crate::pyrepr::str_repr;

/// The parsed command line; `None` means "not given" (the config file or default applies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `argv[0]`, for `For help, use <argv0> -h` and the config search paths.
    pub argv0: String,
    /// `-c/--configuration FILE`
    pub configuration: Option<PathBuf>,
    /// `-n/--nodaemon` (only ever `Some(true)`: flags cannot be negated)
    pub nodaemon: Option<bool>,
    /// `-s/--silent`
    pub silent: Option<bool>,
    /// `-u/--user USER` (checked against the user table after the config is read)
    pub user: Option<String>,
    /// `-m/--umask UMASK` (octal)
    pub umask: Option<u32>,
    /// `-d/--directory DIR` (must exist; `~` expanded)
    pub directory: Option<PathBuf>,
    /// `-l/--logfile FILE` (its directory must exist)
    pub logfile: Option<PathBuf>,
    /// `-y/--logfile_maxbytes BYTES`
    pub logfile_maxbytes: Option<u64>,
    /// `-z/--logfile_backups NUM`
    pub logfile_backups: Option<u32>,
    /// `-e/--loglevel LEVEL`
    pub loglevel: Option<LogLevel>,
    /// `-j/--pidfile FILE` (its directory must exist)
    pub pidfile: Option<PathBuf>,
    /// `-i/--identifier STR`
    pub identifier: Option<String>,
    /// `-q/--childlogdir DIR` (must exist)
    pub childlogdir: Option<PathBuf>,
    /// `-k/--nocleanup`
    pub nocleanup: Option<bool>,
    /// `-a/--minfds NUM`
    pub minfds: Option<u64>,
    /// `--minprocs NUM`
    pub minprocs: Option<u64>,
    /// `-t/--strip_ansi`
    pub strip_ansi: Option<bool>,
    /// `--profile_options LIST` (accepted; the daemon warns that it has no effect)
    pub profile_options: Option<String>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `-h`, `-?`, `--help`: print [`usage`] and exit 0.
    Help,
    /// `-v`, `--version`: print the version and exit 0.
    Version,
    /// Run the daemon.
    Run(Options),
    /// `--upgrade`: ask the running daemon (the one this config's control socket reaches)
    /// to exec its binary anew in place, and wait until it answers again.
    Upgrade(Options),
    /// `--check-config [--json]`: load the config, report, exit.
    CheckConfig {
        /// `--json` was given.
        json: bool,
        /// The other options (they override config values as for a real start).
        options: Options,
    },
}

/// One option: short letter, long name, whether it takes a value.
struct Spec {
    short: &'static str,
    long: &'static str,
    value: bool,
}

const SPECS: &[Spec] = &[
    Spec {
        short: "h",
        long: "help",
        value: false,
    },
    Spec {
        short: "?",
        long: "",
        value: false,
    },
    Spec {
        short: "v",
        long: "version",
        value: false,
    },
    Spec {
        short: "c",
        long: "configuration",
        value: true,
    },
    Spec {
        short: "n",
        long: "nodaemon",
        value: false,
    },
    Spec {
        short: "s",
        long: "silent",
        value: false,
    },
    Spec {
        short: "u",
        long: "user",
        value: true,
    },
    Spec {
        short: "m",
        long: "umask",
        value: true,
    },
    Spec {
        short: "d",
        long: "directory",
        value: true,
    },
    Spec {
        short: "l",
        long: "logfile",
        value: true,
    },
    Spec {
        short: "y",
        long: "logfile_maxbytes",
        value: true,
    },
    Spec {
        short: "z",
        long: "logfile_backups",
        value: true,
    },
    Spec {
        short: "e",
        long: "loglevel",
        value: true,
    },
    Spec {
        short: "j",
        long: "pidfile",
        value: true,
    },
    Spec {
        short: "i",
        long: "identifier",
        value: true,
    },
    Spec {
        short: "q",
        long: "childlogdir",
        value: true,
    },
    Spec {
        short: "k",
        long: "nocleanup",
        value: false,
    },
    Spec {
        short: "a",
        long: "minfds",
        value: true,
    },
    Spec {
        short: "",
        long: "minprocs",
        value: true,
    },
    Spec {
        short: "t",
        long: "strip_ansi",
        value: false,
    },
    Spec {
        short: "",
        long: "profile_options",
        value: true,
    },
    Spec {
        short: "",
        long: "check-config",
        value: false,
    },
    Spec {
        short: "",
        long: "json",
        value: false,
    },
    Spec {
        short: "",
        long: "upgrade",
        value: false,
    },
];

/// The usage text for `-h`.
pub fn usage(argv0: &str) -> String {
    format!(
        "supervisord -- run a set of applications as daemons.

Usage: {argv0} [options]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)
-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)
-h/--help -- print this usage message and exit
-v/--version -- print supervisord version number and exit
-u/--user USER -- run supervisord as this user (or numeric uid)
-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)
-d/--directory DIRECTORY -- directory to chdir to when daemonized
-l/--logfile FILENAME -- use FILENAME as logfile path
-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile
-z/--logfile_backups NUM -- number of backups to keep when max bytes reached
-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)
-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME
-i/--identifier STR -- identifier used for this instance of supervisord
-q/--childlogdir DIRECTORY -- the log directory for child process logs
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
-a/--minfds NUM -- the minimum number of file descriptors for start success
-t/--strip_ansi -- strip ansi escape codes from process output
--minprocs NUM  -- the minimum number of processes available for start success
--profile_options OPTIONS -- accepted for compatibility; has no effect
--check-config -- load the configuration, print what would run, and exit
                  (exit status 0 if the configuration is valid, 2 if not)
--json -- with --check-config: print the verdict as JSON
--upgrade -- make the running supervisord exec its (replaced) binary in place,
             keeping its pid, children and sockets, and wait for it to answer
"
    )
}

/// Parses `args` (with the program name at `args[0]`); `~user` in paths is looked up in
/// `users`. Errors are the message to print after `Error: ` (the caller adds
/// `For help, use <argv0> -h` and exits 2).
pub fn parse(args: &[String], users: &dyn UserDb) -> Result<Command, String> {
    let argv0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| "supervisord".into());
    let rest = args.get(1..).unwrap_or(&[]);
    let (rest, long_error) = expand_long_prefixes(rest);
    let mut g = getopts::Options::new();
    g.parsing_style(getopts::ParsingStyle::StopAtFirstFree);
    for s in SPECS {
        if s.value {
            g.optmulti(s.short, s.long, "", "");
        } else {
            g.optflagmulti(s.short, s.long, "");
        }
    }
    let m = g.parse(&rest).map_err(|f| fail_text(&f))?;
    if let Some(e) = long_error {
        return Err(e);
    }
    if !m.free.is_empty() {
        let list: Vec<String> = m.free.iter().map(|a| str_repr(a)).collect();
        return Err(format!(
            "positional arguments are not supported: [{}]",
            list.join(", ")
        ));
    }
    let mut opts = Options {
        argv0,
        ..Options::default()
    };
    let mut check = false;
    let mut json = false;
    let mut upgrade = false;
    let mut values: Vec<(&'static Spec, Vec<String>)> =
        SPECS.iter().map(|s| (s, m.opt_strs(key(s)))).collect();
    for (spec, spelled) in occurrences(&rest) {
        let value = if spec.value {
            let slot = values
                .iter_mut()
                .find(|(s, _)| std::ptr::eq(*s, spec))
                .expect("every spec has a slot");
            Some(slot.1.remove(0))
        } else {
            None
        };
        match spec.long {
            "help" => return Ok(Command::Help),
            "" if spec.short == "?" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            "check-config" => check = true,
            "json" => json = true,
            "upgrade" => upgrade = true,
            _ => apply(
                &mut opts,
                spec,
                &spelled,
                value.as_deref().unwrap_or(""),
                users,
            )?,
        }
    }
    if json && !check {
        return Err("option --json requires --check-config".into());
    }
    if upgrade && check {
        return Err("options --upgrade and --check-config conflict".into());
    }
    Ok(if upgrade {
        Command::Upgrade(opts)
    } else if check {
        Command::CheckConfig {
            json,
            options: opts,
        }
    } else {
        Command::Run(opts)
    })
}

/// The getopts name of a spec.
fn key(s: &Spec) -> &'static str {
    if s.short.is_empty() {
        s.long
    } else {
        s.short
    }
}

/// Python's getopt messages for the failures getopts reports.
fn fail_text(f: &getopts::Fail) -> String {
    let dash = |n: &str| {
        if n.chars().count() == 1 {
            format!("-{n}")
        } else {
            format!("--{n}")
        }
    };
    match f {
        getopts::Fail::ArgumentMissing(n) => format!("option {} requires argument", dash(n)),
        getopts::Fail::UnrecognizedOption(n) => format!("option {} not recognized", dash(n)),
        getopts::Fail::UnexpectedArgument(n) => {
            format!("option {} must not have an argument", dash(n))
        }
        getopts::Fail::OptionMissing(n) | getopts::Fail::OptionDuplicated(n) => {
            format!("option {} not recognized", dash(n))
        }
    }
}

/// Rewrites unambiguous long-option prefixes to full names, as Python's getopt accepts them.
/// Stops at the first free argument or `--`. An unknown or ambiguous long option truncates
/// the list there (so getopts still reports earlier errors first) and is returned as the
/// error to report otherwise.
fn expand_long_prefixes(args: &[String]) -> (Vec<String>, Option<String>) {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" || !a.starts_with('-') || a.len() < 2 {
            out.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, val) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let longs: Vec<&Spec> = SPECS.iter().filter(|s| !s.long.is_empty()).collect();
            let spec = match longs.iter().find(|s| s.long == name) {
                Some(s) => *s,
                None => {
                    let cands: Vec<&&Spec> =
                        longs.iter().filter(|s| s.long.starts_with(name)).collect();
                    match cands.as_slice() {
                        [one] => **one,
                        [] => return (out, Some(format!("option --{name} not recognized"))),
                        _ => return (out, Some(format!("option --{name} not a unique prefix"))),
                    }
                }
            };
            out.push(match val {
                Some(v) => format!("--{}={v}", spec.long),
                None => format!("--{}", spec.long),
            });
            if spec.value && val.is_none() {
                if let Some(next) = args.get(i + 1) {
                    out.push(next.clone());
                    i += 1;
                }
            }
        } else {
            out.push(a.clone());
            // A short option taking a value with nothing attached consumes the next argument.
            let mut chars = a[1..].chars();
            while let Some(c) = chars.next() {
                let spec = SPECS
                    .iter()
                    .find(|s| s.short.starts_with(c) && s.short.len() == c.len_utf8());
                if spec.is_some_and(|s| s.value) {
                    if chars.as_str().is_empty() {
                        if let Some(next) = args.get(i + 1) {
                            out.push(next.clone());
                            i += 1;
                        }
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    (out, None)
}

/// The options of an already validated argument list, in order, with their spelling.
fn occurrences(args: &[String]) -> Vec<(&'static Spec, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" || !a.starts_with('-') || a.len() < 2 {
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let name = body.split_once('=').map_or(body, |(n, _)| n);
            if let Some(s) = SPECS.iter().find(|s| s.long == name) {
                if s.value && !body.contains('=') {
                    i += 1;
                }
                out.push((s, format!("--{name}")));
            }
        } else {
            let mut chars = a[1..].chars();
            while let Some(c) = chars.next() {
                let Some(s) = SPECS.iter().find(|s| s.short == c.to_string()) else {
                    break;
                };
                out.push((s, format!("-{c}")));
                if s.value {
                    if chars.as_str().is_empty() {
                        i += 1;
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

/// Stores one option's value after validating it like the reference's handler.
fn apply(
    opts: &mut Options,
    spec: &Spec,
    spelled: &str,
    v: &str,
    users: &dyn UserDb,
) -> Result<(), String> {
    let invalid = |msg: String| format!("invalid value for {spelled} {}: {msg}", str_repr(v));
    let conflict = || format!("conflicting command line option {}", str_repr(spelled));
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let home = std::env::var("HOME").ok();
    let paths = PathCtx {
        home: home.as_deref(),
        cwd: &cwd,
        users,
        euid: crate::sys::proc::geteuid(),
    };
    let nonneg = |n: i64| u64::try_from(n).map_err(|_| invalid(format!("{n} is negative")));
    macro_rules! set {
        ($field:ident, $value:expr) => {{
            if opts.$field.is_some() {
                return Err(conflict());
            }
            opts.$field = Some($value);
        }};
    }
    match spec.long {
        "configuration" => set!(configuration, PathBuf::from(v)),
        "nodaemon" => set!(nodaemon, true),
        "silent" => set!(silent, true),
        "nocleanup" => set!(nocleanup, true),
        "strip_ansi" => set!(strip_ansi, true),
        "user" => set!(user, v.to_string()),
        "umask" => set!(umask, values::octal(v).map_err(invalid)?),
        "directory" => set!(
            directory,
            PathBuf::from(values::existing_directory(v, &paths).map_err(invalid)?)
        ),
        "logfile" => set!(
            logfile,
            PathBuf::from(values::existing_dirpath(v, &paths).map_err(invalid)?)
        ),
        "pidfile" => set!(
            pidfile,
            PathBuf::from(values::existing_dirpath(v, &paths).map_err(invalid)?)
        ),
        "childlogdir" => set!(
            childlogdir,
            PathBuf::from(values::existing_directory(v, &paths).map_err(invalid)?)
        ),
        "logfile_maxbytes" => set!(
            logfile_maxbytes,
            nonneg(values::byte_size(v).map_err(invalid)?)?
        ),
        "logfile_backups" => {
            let n = nonneg(values::integer(v).map_err(invalid)?)?;
            set!(logfile_backups, n.min(u32::MAX as u64) as u32)
        }
        "loglevel" => set!(loglevel, values::log_level(v).map_err(invalid)?),
        "identifier" => set!(identifier, v.to_string()),
        "minfds" => set!(minfds, nonneg(values::integer(v).map_err(invalid)?)?),
        "minprocs" => set!(minprocs, nonneg(values::integer(v).map_err(invalid)?)?),
        "profile_options" => set!(profile_options, v.to_string()),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        let mut v = vec!["supervisord".to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        parse(&v, &crate::config::users::NssUserDb)
    }

    fn opts(args: &[&str]) -> Options {
        match run(args) {
            Ok(Command::Run(o)) => o,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn every_option_is_accepted() {
        let o = opts(&[
            "-c",
            "/etc/s.conf",
            "-n",
            "-s",
            "-u",
            "root",
            "-m",
            "027",
            "-d",
            "/",
            "-l",
            "/tmp/x.log",
            "-y",
            "1MB",
            "-z",
            "3",
            "-e",
            "debug",
            "-j",
            "/tmp/x.pid",
            "-i",
            "me",
            "-q",
            "/tmp",
            "-k",
            "-a",
            "2048",
            "--minprocs",
            "300",
            "-t",
            "--profile_options",
            "cumulative,callers",
        ]);
        assert_eq!(o.configuration, Some(PathBuf::from("/etc/s.conf")));
        assert_eq!(o.nodaemon, Some(true));
        assert_eq!(o.silent, Some(true));
        assert_eq!(o.user.as_deref(), Some("root"));
        assert_eq!(o.umask, Some(0o27));
        assert_eq!(o.directory, Some(PathBuf::from("/")));
        assert_eq!(o.logfile, Some(PathBuf::from("/tmp/x.log")));
        assert_eq!(o.logfile_maxbytes, Some(1 << 20));
        assert_eq!(o.logfile_backups, Some(3));
        assert_eq!(o.loglevel, Some(LogLevel::Debug));
        assert_eq!(o.pidfile, Some(PathBuf::from("/tmp/x.pid")));
        assert_eq!(o.identifier.as_deref(), Some("me"));
        assert_eq!(o.childlogdir, Some(PathBuf::from("/tmp")));
        assert_eq!(o.nocleanup, Some(true));
        assert_eq!(o.minfds, Some(2048));
        assert_eq!(o.minprocs, Some(300));
        assert_eq!(o.strip_ansi, Some(true));
        assert_eq!(o.profile_options.as_deref(), Some("cumulative,callers"));

        let l = opts(&[
            "--configuration=/a.conf",
            "--nodaemon",
            "--silent",
            "--user",
            "root",
            "--umask=022",
            "--directory=/",
            "--logfile",
            "/tmp/l",
            "--logfile_maxbytes=5",
            "--logfile_backups=1",
            "--loglevel=warn",
            "--pidfile=/tmp/p",
            "--identifier=x",
            "--childlogdir=/tmp",
            "--nocleanup",
            "--minfds=10",
            "--minprocs=11",
            "--strip_ansi",
        ]);
        assert_eq!(l.configuration, Some(PathBuf::from("/a.conf")));
        assert_eq!(l.loglevel, Some(LogLevel::Warn));
        assert_eq!(l.minprocs, Some(11));
        assert_eq!(l.strip_ansi, Some(true));
        assert_eq!(
            opts(&["-nc/x.conf"]).configuration,
            Some(PathBuf::from("/x.conf"))
        );
        assert_eq!(
            opts(&["--config", "/y"]).configuration,
            Some(PathBuf::from("/y"))
        );
    }

    #[test]
    fn help_version_and_check() {
        assert_eq!(run(&["-h"]), Ok(Command::Help));
        assert_eq!(run(&["-?"]), Ok(Command::Help));
        assert_eq!(run(&["--help"]), Ok(Command::Help));
        assert_eq!(run(&["-v"]), Ok(Command::Version));
        assert_eq!(run(&["--version", "-h"]), Ok(Command::Version));
        match run(&["--check-config", "--json", "-c", "/x"]) {
            Ok(Command::CheckConfig {
                json: true,
                options,
            }) => {
                assert_eq!(options.configuration, Some(PathBuf::from("/x")))
            }
            other => panic!("{other:?}"),
        }
        assert!(usage("supervisord").contains("--minprocs"));
    }

    #[test]
    fn errors_use_the_reference_texts() {
        let cases: &[(&[&str], &str)] = &[
            (&["--bogus"], "option --bogus not recognized"),
            (&["-x"], "option -x not recognized"),
            (&["-c"], "option -c requires argument"),
            (&["--configuration"], "option --configuration requires argument"),
            (&["--nodaemon=1"], "option --nodaemon must not have an argument"),
            (&["--min=3"], "option --min not a unique prefix"),
            (&["foo"], "positional arguments are not supported: ['foo']"),
            (&["-n", "foo", "-n"], "positional arguments are not supported: ['foo', '-n']"),
            (&["-n", "--nodaemon"], "conflicting command line option '--nodaemon'"),
            (&["-c", "a", "-c", "b"], "conflicting command line option '-c'"),
            (&["-m", "999"], "invalid value for -m '999': 999 can not be converted to an octal type"),
            (&["--loglevel=warning"], "invalid value for --loglevel 'warning': bad logging level name 'warning'"),
            (&["-a", "x"], "invalid value for -a 'x': invalid literal for int() with base 10: 'x'"),
            (&["-q", "/nonexistent-x"], "invalid value for -q '/nonexistent-x': /nonexistent-x is not an existing directory"),
            (&["--json"], "option --json requires --check-config"),
        ];
        for (args, want) in cases {
            assert_eq!(run(args).unwrap_err(), *want, "{args:?}");
        }
        assert_eq!(run(&["-m", "999", "-h"]).unwrap_err(), cases[10].1);
        assert_eq!(run(&["-h", "-m", "999"]), Ok(Command::Help));
    }
}
