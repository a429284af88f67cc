//! The supervisorctl command line (reference 4.1): `-c -s -u -p -i -r -h` and their long
//! forms, stopping at the first word that is not an option (the action).

/// The parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliOptions {
    /// `-c/--configuration`.
    pub config: Option<String>,
    /// `-s/--serverurl`, already validated as a URL.
    pub serverurl: Option<String>,
    /// `-u/--username`.
    pub username: Option<String>,
    /// `-p/--password`.
    pub password: Option<String>,
    /// `-r/--history_file`.
    pub history_file: Option<String>,
    /// `-i/--interactive`.
    pub interactive: bool,
    /// `-h/-?/--help`.
    pub help: bool,
    /// The action and its arguments.
    pub args: Vec<String>,
}

/// The usage text `-h` prints; `{argv0}` is replaced by the program path.
const USAGE: &str = "supervisorctl -- control applications run by supervisord from the cmd line.

Usage: {argv0} [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
-s/--serverurl URL -- URL on which supervisord server is listening
     (default \"http://localhost:9001\").
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (if readline is available)

action [arguments] -- see below

Actions are commands like \"tail\" or \"stop\".  If -i is specified or no action is
specified on the command line, a \"shell\" interpreting actions typed
interactively is started.  Use the action \"help\" to find out about available
actions.

";

/// The `-h` output.
pub fn usage(argv0: &str) -> String {
    USAGE.replace("{argv0}", argv0)
}

/// The two lines printed on stderr for a usage error (exit 2).
pub fn usage_error(message: &str, argv0: &str) -> String {
    format!("Error: {message}\nFor help, use {argv0} -h\n")
}

fn spell(name: &str) -> String {
    if name.chars().count() == 1 {
        format!("-{name}")
    } else {
        format!("--{name}")
    }
}

/// Parses the arguments after `argv[0]`. The error is the message after `Error: `.
pub fn parse(args: &[String]) -> Result<CliOptions, String> {
    let mut o = getopts::Options::new();
    o.parsing_style(getopts::ParsingStyle::StopAtFirstFree);
    o.optmulti("c", "configuration", "", "FILE");
    o.optmulti("s", "serverurl", "", "URL");
    o.optmulti("u", "username", "", "USER");
    o.optmulti("p", "password", "", "PASSWORD");
    o.optmulti("r", "history_file", "", "FILE");
    o.optflagmulti("i", "interactive", "");
    o.optflagmulti("h", "help", "");
    o.optflagmulti("?", "", "");
    let m = o.parse(args).map_err(|f| match f {
        getopts::Fail::ArgumentMissing(n) => format!("option {} requires argument", spell(&n)),
        getopts::Fail::UnrecognizedOption(n) => format!("option {} not recognized", spell(&n)),
        getopts::Fail::UnexpectedArgument(n) => {
            format!("option {} must not have an argument", spell(&n))
        }
        other => other.to_string(),
    })?;
    // Repeated options: the last one wins, as with Python's getopt loop.
    let last = |name: &str| m.opt_strs(name).pop();
    let serverurl = last("s");
    if let Some(u) = &serverurl {
        crate::ctl::url::validate(u)
            .map_err(|e| format!("invalid value for -s {}: {e}", crate::pyrepr::str_repr(u)))?;
    }
    Ok(CliOptions {
        config: last("c"),
        serverurl,
        username: last("u"),
        password: last("p"),
        history_file: last("r"),
        interactive: m.opt_present("i"),
        help: m.opt_present("h") || m.opt_present("?"),
        args: m.free,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<CliOptions, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_and_action() {
        let o = p(&[
            "-c",
            "x.conf",
            "-s",
            "unix:///t.sock",
            "-u",
            "bob",
            "--password=pw",
            "status",
            "-c",
            "web",
        ])
        .unwrap();
        assert_eq!(o.config.as_deref(), Some("x.conf"));
        assert_eq!(o.serverurl.as_deref(), Some("unix:///t.sock"));
        assert_eq!(o.username.as_deref(), Some("bob"));
        assert_eq!(o.password.as_deref(), Some("pw"));
        assert_eq!(o.args, vec!["status", "-c", "web"]);
        let o = p(&["-i", "-r", "h", "--configuration", "a", "-c", "b"]).unwrap();
        assert!(o.interactive);
        assert_eq!(o.config.as_deref(), Some("b"));
        assert_eq!(o.history_file.as_deref(), Some("h"));
        assert!(o.args.is_empty());
        assert!(p(&["-h"]).unwrap().help);
        assert!(p(&["-?"]).unwrap().help);
        assert!(p(&["--help"]).unwrap().help);
    }

    #[test]
    fn errors_read_like_the_reference() {
        let cases: &[(&[&str], &str)] = &[
            (&["-x"], "option -x not recognized"),
            (&["--version"], "option --version not recognized"),
            (&["-c"], "option -c requires argument"),
            (&["--serverurl"], "option --serverurl requires argument"),
            (
                &["-s", "foo"],
                "invalid value for -s 'foo': value 'foo' is not a URL",
            ),
        ];
        for (args, want) in cases {
            assert_eq!(p(args).unwrap_err(), *want, "{args:?}");
        }
        assert_eq!(
            usage_error("option -x not recognized", "/bin/supervisorctl"),
            "Error: option -x not recognized\nFor help, use /bin/supervisorctl -h\n"
        );
        assert!(usage("/x/supervisorctl").contains("\nUsage: /x/supervisorctl [options]"));
    }
}
