//! The supervisord command line, through the real binary: `-h`, `-v`, every option of the
//! reference accepted, usage errors, and the `--check-config --json` document.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_supervisord");

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/configs")
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(samples_dir())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/tmp")
        .output()
        .expect("run supervisord")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_prints_usage_and_exits_0() {
    for flag in ["-h", "-?", "--help", "--he"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let usage = text(&out.stdout);
        for opt in [
            "--configuration",
            "--nodaemon",
            "--silent",
            "--help",
            "--version",
            "--user",
            "--umask",
            "--directory",
            "--logfile",
            "--logfile_maxbytes",
            "--logfile_backups",
            "--loglevel",
            "--pidfile",
            "--identifier",
            "--childlogdir",
            "--nocleanup",
            "--minfds",
            "--strip_ansi",
            "--minprocs",
            "--profile_options",
            "--check-config",
            "--json",
        ] {
            assert!(usage.contains(opt), "{flag}: usage lacks {opt}");
        }
    }
}

#[test]
fn version_prints_the_reference_version() {
    for flag in ["-v", "--version"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), "4.3.0\n");
    }
}

#[test]
fn every_reference_option_is_accepted() {
    let out = run(&[
        "--check-config",
        "-c",
        "e01-here-expansion.conf",
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
        "99",
        "--minprocs",
        "7",
        "-t",
        "--profile_options",
        "cumulative",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("logfile /tmp/x.log (loglevel debug), pidfile /tmp/x.pid"),
        "{summary}"
    );
    let out = run(&[
        "--check-config",
        "--configuration=e01-here-expansion.conf",
        "--nodaemon",
        "--silent",
        "--user=root",
        "--umask=022",
        "--directory=/",
        "--logfile=/tmp/y.log",
        "--logfile_maxbytes=5",
        "--logfile_backups=1",
        "--loglevel=warn",
        "--pidfile=/tmp/y.pid",
        "--identifier=x",
        "--childlogdir=/tmp",
        "--nocleanup",
        "--minfds=10",
        "--minprocs=11",
        "--strip_ansi",
        "--profile_options=calls,callers",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("loglevel warn"));
}

#[test]
fn usage_errors_exit_2_with_the_reference_text() {
    let cases: &[(&[&str], &str)] = &[
        (&["--bogus"], "option --bogus not recognized"),
        (&["-c"], "option -c requires argument"),
        (&["foo"], "positional arguments are not supported: ['foo']"),
        (&["-n", "-n"], "conflicting command line option '-n'"),
        (
            &["-m", "9"],
            "invalid value for -m '9': 9 can not be converted to an octal type",
        ),
        (
            &["-c", "no-such.conf"],
            "could not find config file no-such.conf",
        ),
        (
            &["-c", "e17-bad-loglevel.conf"],
            "bad logging level name 'warning' (loglevel at e17-bad-loglevel.conf:5)",
        ),
    ];
    for (args, msg) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            format!("Error: {msg}\nFor help, use {BIN} -h\n"),
            "{args:?}"
        );
    }
}

#[test]
fn json_verdicts_have_every_key() {
    let out = run(&[
        "--check-config",
        "--json",
        "-c",
        "e52-fcgi-unix-socket.conf",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json = text(&out.stdout);
    for key in [
        "accepted",
        "error",
        "exit_status",
        "reference_error",
        "warnings",
        "infos",
        "files_read",
        "supervisord",
        "servers",
        "serverurl",
        "rpcinterfaces",
        "groups",
        "snippet",
        "logfile",
        "logfile_maxbytes",
        "logfile_backups",
        "pidfile",
        "loglevel",
        "nodaemon",
        "silent",
        "minfds",
        "minprocs",
        "umask",
        "user",
        "uid",
        "directory",
        "identifier",
        "childlogdir",
        "nocleanup",
        "strip_ansi",
        "environment",
        "name",
        "kind",
        "priority",
        "socket",
        "socket_backlog",
        "socket_owner",
        "socket_mode",
        "processes",
        "section",
        "numprocs",
        "command",
        "argv",
        "argv_error",
        "autostart",
        "autorestart",
        "startsecs",
        "startretries",
        "exitcodes",
        "stopsignal",
        "stopsignal_num",
        "stopwaitsecs",
        "stopasgroup",
        "killasgroup",
        "redirect_stderr",
        "stdout_logfile",
        "stdout_logfile_maxbytes",
        "stdout_logfile_backups",
        "stdout_capture_maxbytes",
        "stdout_events_enabled",
        "stdout_syslog",
        "stderr_logfile",
        "stderr_logfile_maxbytes",
        "stderr_logfile_backups",
        "stderr_capture_maxbytes",
        "stderr_events_enabled",
        "stderr_syslog",
    ] {
        assert!(json.contains(&format!("\"{key}\": ")), "missing {key}");
    }
    assert!(json.contains("\"socket\": \"unix:///tmp/corpus-php.sock\""));
    assert!(json.contains("\"accepted\": true"));

    let out = run(&[
        "--check-config",
        "--json",
        "-c",
        "e29-eventlistener-events.conf",
    ]);
    for key in ["buffer_size", "events", "result_handler"] {
        assert!(
            text(&out.stdout).contains(&format!("\"{key}\": ")),
            "missing {key}"
        );
    }

    let out = run(&["--check-config", "--json", "-c", "e16-bad-exitcode.conf"]);
    assert_eq!(out.status.code(), Some(2));
    let json = text(&out.stdout);
    assert!(json.contains("\"accepted\": false"));
    assert!(json.contains("\"exit_status\": 2"));
    assert!(json.contains(
        "\"error\": \"not a valid list of exit codes: '0,256' in section 'program:exits' \
         (file: 'e16-bad-exitcode.conf')\""
    ));
    assert!(json.contains("\"groups\": null"));
}

#[test]
fn json_needs_check_config() {
    let out = run(&["--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("Error: option --json requires --check-config\n"));
}

#[test]
fn without_c_the_search_order_applies() {
    let dir = std::env::temp_dir().join(format!("sv-cli-search-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::write(
        dir.join("etc/supervisord.conf"),
        "[supervisord]\nlogfile=/tmp/sv-search.log\npidfile=/tmp/sv-search.pid\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["--check-config"])
        .current_dir(&dir)
        .env_clear()
        .output()
        .unwrap();
    let global = ["/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"];
    if !global.iter().any(|p| std::path::Path::new(p).exists()) {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("etc/supervisord.conf is valid"));
        std::fs::remove_file(dir.join("etc/supervisord.conf")).unwrap();
        let out = Command::new(BIN)
            .args(["--check-config"])
            .current_dir(&dir)
            .env_clear()
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("No config file found at default paths ("));
    }
    let is_root = text(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
    if is_root {
        assert!(text(&out.stderr).starts_with(
            "UserWarning: Supervisord is running as root and it is searching for its \
             configuration file in default locations"
        ));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
