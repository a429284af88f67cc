//! Unit tests for spawn planning: argv, PATH search, the pre-fork checks, environment and
//! identity, as data. A fake `stat` stands in for the file system, except in the last test.

use super::*;
use crate::process::machine::tests::cfg;
use std::collections::HashMap;
use std::path::PathBuf;

const EXE: FileFacts = FileFacts {
    is_dir: false,
    mode: 0o755,
    uid: 0,
    gid: 0,
};

fn facts(mode: u32, uid: u32, gid: u32) -> FileFacts {
    FileFacts {
        is_dir: false,
        mode,
        uid,
        gid,
    }
}

/// A fake file system.
fn fs() -> HashMap<&'static str, FileFacts> {
    let dir = FileFacts {
        is_dir: true,
        mode: 0o755,
        uid: 0,
        gid: 0,
    };
    [
        ("/bin/sleep", EXE),
        ("/usr/bin/env", EXE),
        ("/opt/x/tool", EXE),
        ("/a/tool", EXE),
        ("tool", EXE),
        ("/tmp", dir),
        ("/etc/passwd", facts(0o644, 0, 0)),
        ("/home/u/own", facts(0o700, 1000, 1000)),
        ("/home/u/grp", facts(0o710, 1000, 50)),
        ("/home/u/oth", facts(0o701, 1000, 1000)),
    ]
    .into_iter()
    .collect()
}

fn ctx<'a>(env: &'a [(String, String)]) -> SpawnContext<'a> {
    SpawnContext {
        daemon_env: env,
        serverurl: Some("unix:///tmp/s.sock"),
        credentials: None,
        euid: 0,
        egid: 0,
        daemon_groups: &[],
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn resolve(
    command: &str,
    prog_env: &[(&str, &str)],
    daemon_env: &[(&str, &str)],
    euid: u32,
) -> Result<(String, Vec<String>), CommandError> {
    let fs = fs();
    let mut c = cfg();
    c.command = command.to_string();
    c.environment = env(prog_env);
    let denv = env(daemon_env);
    let mut cx = ctx(&denv);
    cx.euid = euid;
    cx.egid = 100;
    cx.daemon_groups = &[50];
    resolve_with(&c, &cx, &|p: &str| fs.get(p).copied())
}

#[test]
fn resolves_commands_like_the_reference() {
    use CommandErrorKind::*;
    let path_usr: &[(&str, &str)] = &[("PATH", "/usr/bin")];
    // (command, program env, daemon env, euid, Ok(path) or Err(kind, message))
    type Row<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a [(&'a str, &'a str)],
        u32,
        Result<&'a str, (CommandErrorKind, &'a str)>,
    );
    let table: &[Row] = &[
        ("/bin/sleep 100", &[], &[], 0, Ok("/bin/sleep")),
        // Default path when supervisord has no PATH (or an empty one).
        ("sleep 1", &[], &[], 0, Ok("/bin/sleep")),
        ("sleep 1", &[], &[("PATH", "")], 0, Ok("/bin/sleep")),
        ("env", &[], path_usr, 0, Ok("/usr/bin/env")),
        // The program's PATH wins over supervisord's, and is searched in order.
        (
            "tool",
            &[("PATH", "/nope:/opt/x:/a")],
            path_usr,
            0,
            Ok("/opt/x/tool"),
        ),
        ("tool", &[], &[("PATH", "/a/:/opt/x")], 0, Ok("/a/tool")),
        // An empty program PATH searches "" (the daemon's cwd), like os.path.join.
        ("tool", &[("PATH", "")], path_usr, 0, Ok("tool")),
        (
            "nope x",
            &[],
            &[],
            0,
            Err((NotFound, "can't find command 'nope'")),
        ),
        (
            "/no/such",
            &[],
            &[],
            0,
            Err((NotFound, "can't find command '/no/such'")),
        ),
        (
            "\"it's\"",
            &[],
            &[],
            0,
            Err((NotFound, "can't find command \"it's\"")),
        ),
        (
            "/tmp",
            &[],
            &[],
            0,
            Err((NotExecutable, "command at '/tmp' is a directory")),
        ),
        (
            "/etc/passwd",
            &[],
            &[],
            0,
            Err((NotExecutable, "command at '/etc/passwd' is not executable")),
        ),
        (
            "/bin/echo 'abc",
            &[],
            &[],
            0,
            Err((
                NotExecutable,
                "can't parse command \"/bin/echo 'abc\": No closing quotation",
            )),
        ),
        ("", &[], &[], 0, Err((NotExecutable, "command is empty"))),
        ("   ", &[], &[], 0, Err((NotExecutable, "command is empty"))),
        // Permission: root may run anything with an x bit; others need their class's bit.
        ("/home/u/own", &[], &[], 0, Ok("/home/u/own")),
        ("/home/u/own", &[], &[], 1000, Ok("/home/u/own")),
        (
            "/home/u/own",
            &[],
            &[],
            7,
            Err((NotExecutable, "no permission to run command '/home/u/own'")),
        ),
        ("/home/u/grp", &[], &[], 7, Ok("/home/u/grp")),
        ("/home/u/oth", &[], &[], 7, Ok("/home/u/oth")),
    ];
    for (command, prog_env, daemon_env, euid, want) in table {
        let got = resolve(command, prog_env, daemon_env, *euid);
        match want {
            Ok(path) => {
                let (p, _) = got.unwrap_or_else(|e| panic!("{command}: {e}"));
                assert_eq!(p, *path, "{command}");
            }
            Err((kind, msg)) => {
                let e = got.expect_err(command);
                assert_eq!((e.kind, e.message.as_str()), (*kind, *msg), "{command}");
            }
        }
    }
}

#[test]
fn argv_keeps_argv0_as_written() {
    let (path, argv) = resolve("sleep '1 2' \"x y\"", &[], &[], 0).unwrap();
    assert_eq!(path, "/bin/sleep");
    assert_eq!(argv, ["sleep", "1 2", "x y"]);
}

#[test]
fn environment_precedence_and_order() {
    let daemon = env(&[
        ("HOME", "/root"),
        ("PATH", "/usr/bin"),
        ("SUPERVISOR_GROUP_NAME", "stale"),
    ]);
    let mut c = cfg();
    c.name = "web_01".into();
    c.group = "web".into();
    c.environment = env(&[("SUPERVISOR_PROCESS_NAME", "over"), ("FOO", "bar")]);
    let got = child_env(&c, &ctx(&daemon), &FileEnv::default());
    assert_eq!(
        got,
        env(&[
            ("HOME", "/root"),
            ("PATH", "/usr/bin"),
            ("SUPERVISOR_GROUP_NAME", "web"),
            ("SUPERVISOR_ENABLED", "1"),
            ("SUPERVISOR_SERVER_URL", "unix:///tmp/s.sock"),
            ("SUPERVISOR_PROCESS_NAME", "over"),
            ("FOO", "bar"),
        ])
    );
}

#[test]
fn environment_files_lose_to_environment_of_their_level() {
    // [supervisord] environment_file < [supervisord] environment < program environment_file
    // < program environment; `c.environment` is the two `environment=` merged at load.
    let daemon = env(&[("HOME", "/root"), ("D", "daemon")]);
    let mut c = cfg();
    c.environment = env(&[("S", "sup-env"), ("SP", "sup-env"), ("P", "prog-env")]);
    c.environment_files.program_keys = vec!["P".into()];
    let files = FileEnv {
        supervisord: env(&[("D", "sup-file"), ("S", "sup-file"), ("SF", "sup-file")]),
        program: env(&[
            ("SF", "prog-file"),
            ("SP", "prog-file"),
            ("P", "prog-file"),
            ("PF", "prog-file"),
        ]),
    };
    let got = child_env(&c, &ctx(&daemon), &files);
    let find = |k: &str| {
        got.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(find("HOME"), Some("/root"));
    assert_eq!(find("D"), Some("sup-file"));
    assert_eq!(find("S"), Some("sup-env"));
    assert_eq!(find("SF"), Some("prog-file"));
    assert_eq!(find("SP"), Some("prog-file"));
    assert_eq!(find("P"), Some("prog-env"));
    assert_eq!(find("PF"), Some("prog-file"));
    // First positions are kept; each key once.
    let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(&keys[..2], &["HOME", "D"]);
    assert_eq!(&keys[keys.len() - 5..], &["S", "SF", "SP", "P", "PF"][..]);
}

#[test]
fn environment_file_errors_name_file_and_line() {
    use crate::config::model::EnvFilePath;
    let dir = std::env::temp_dir().join(format!("spawn-envfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.env");
    std::fs::write(&good, "A=1\nB='two words'\n").unwrap();
    let bad = dir.join("bad.env");
    std::fs::write(&bad, "A=1\n\nB C=2\n").unwrap();
    let missing = dir.join("missing.env");
    let path = |p: &std::path::Path, optional| EnvFilePath {
        path: p.to_path_buf(),
        optional,
    };
    let mut c = cfg();
    c.environment_files.supervisord = vec![path(&missing, true), path(&good, false)];
    c.environment_files.program = vec![path(&good, false)];
    let files = read_env_files(&c).unwrap();
    assert_eq!(files.supervisord, env(&[("A", "1"), ("B", "two words")]));
    assert_eq!(files.program, files.supervisord);

    c.environment_files.program = vec![path(&good, false), path(&bad, false)];
    assert_eq!(
        read_env_files(&c).unwrap_err(),
        format!(
            "couldn't read environment file {} line 3: invalid variable name (letters, \
             digits and _ only, not starting with a digit)",
            bad.display()
        )
    );
    c.environment_files.program = vec![path(&missing, false)];
    assert_eq!(
        read_env_files(&c).unwrap_err(),
        format!(
            "couldn't read environment file {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn server_url_from_program_else_daemon_else_absent() {
    let url = |prog: Option<&str>, daemon: Option<&str>| {
        let mut c = cfg();
        c.serverurl = prog.map(str::to_string);
        let mut cx = ctx(&[]);
        cx.serverurl = daemon;
        child_env(&c, &cx, &FileEnv::default())
            .into_iter()
            .find(|(k, _)| k == "SUPERVISOR_SERVER_URL")
            .map(|(_, v)| v)
    };
    assert_eq!(url(None, Some("unix:///s")).as_deref(), Some("unix:///s"));
    assert_eq!(
        url(Some("http://h:9"), Some("unix:///s")).as_deref(),
        Some("http://h:9")
    );
    assert_eq!(url(None, None), None);
    assert_eq!(url(Some(""), None), None);
}

#[test]
fn credentials_go_with_the_auto_url_only() {
    let get = |prog_url: Option<&str>| {
        let mut c = cfg();
        c.serverurl = prog_url.map(str::to_string);
        let mut cx = ctx(&[]);
        cx.credentials = Some(("chris", "123"));
        let env = child_env(&c, &cx, &FileEnv::default());
        let find = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        (find("SUPERVISOR_USERNAME"), find("SUPERVISOR_PASSWORD"))
    };
    assert_eq!(get(None), (Some("chris".into()), Some("123".into())));
    assert_eq!(get(Some("http://other:9")), (None, None));
}

#[test]
fn identity_by_daemon_uid() {
    // (cfg uid, cfg gid, daemon euid, expected user, expected child error)
    type Row = (
        Option<u32>,
        Option<u32>,
        u32,
        Option<(u32, u32, Vec<u32>)>,
        Option<&'static str>,
    );
    let table: Vec<Row> = vec![
        (None, None, 0, None, None),
        (None, None, 1000, None, None),
        // Root switches: primary gid first, then the user's other groups.
        (
            Some(1000),
            Some(1000),
            0,
            Some((1000, 1000, vec![1000, 27, 50])),
            None,
        ),
        // Already that user: nothing to do (also for root with user=root).
        (Some(1000), Some(1000), 1000, None, None),
        (Some(0), Some(0), 0, None, None),
        // Not root: the child fails as the reference's does.
        (
            Some(0),
            Some(0),
            1000,
            None,
            Some("supervisor: couldn't setuid to 0: Can't drop privilege as nonroot user\n"),
        ),
        (
            Some(4242),
            None,
            0,
            None,
            Some("supervisor: couldn't setuid to 4242: Can't find uid 4242\n"),
        ),
    ];
    for (uid, gid, euid, want_user, want_err) in table {
        let mut c = cfg();
        c.uid = uid;
        c.gid = gid;
        // As loaded: the groups of the uid's passwd entry, not necessarily gid first.
        c.groups = vec![27, 1000, 50];
        let mut cx = ctx(&[]);
        cx.euid = euid;
        let (user, err) = identity(&c, &cx);
        let user = user.map(|u| (u.uid, u.gid, u.groups));
        assert_eq!(user, want_user, "{uid:?} as {euid}");
        assert_eq!(err.as_deref(), want_err, "{uid:?} as {euid}");
    }
}

#[test]
fn build_plan_assembles_everything() {
    let fs = fs();
    let daemon = env(&[("PATH", "/bin")]);
    let mut c = cfg();
    c.command = "sleep 5".into();
    c.directory = Some(PathBuf::from("/srv"));
    c.umask = Some(0o022);
    c.redirect_stderr = true;
    c.uid = Some(0);
    c.gid = Some(0);
    let mut cx = ctx(&daemon);
    cx.euid = 1000;
    let plan =
        build_plan_with(&c, &cx, &FileEnv::default(), &|p: &str| fs.get(p).copied()).unwrap();
    let cs = |s: &str| CString::new(s).unwrap();
    assert_eq!(plan.path, cs("/bin/sleep"));
    assert_eq!(plan.argv, [cs("sleep"), cs("5")]);
    assert_eq!(
        plan.envp,
        [
            cs("PATH=/bin"),
            cs("SUPERVISOR_ENABLED=1"),
            cs("SUPERVISOR_SERVER_URL=unix:///tmp/s.sock"),
            cs("SUPERVISOR_PROCESS_NAME=p"),
            cs("SUPERVISOR_GROUP_NAME=p"),
        ]
    );
    assert_eq!(plan.cwd, Some(cs("/srv")));
    assert_eq!(plan.umask, Some(0o022));
    assert!(plan.redirect_stderr);
    assert_eq!(plan.user, None);
    assert_eq!(
        plan.setuid_error,
        Some(cs(
            "supervisor: couldn't setuid to 0: Can't drop privilege as nonroot user\n"
        ))
    );
}

#[test]
fn build_plan_errors_are_spawnerr_texts() {
    let fs = fs();
    let mut c = cfg();
    c.command = "nope".into();
    let stat = |p: &str| fs.get(p).copied();
    assert_eq!(
        build_plan_with(&c, &ctx(&[]), &FileEnv::default(), &stat).unwrap_err(),
        "can't find command 'nope'"
    );
    c.command = "/bin/sleep 1".into();
    c.environment = env(&[("BAD", "a\0b")]);
    assert_eq!(
        build_plan_with(&c, &ctx(&[]), &FileEnv::default(), &stat).unwrap_err(),
        "environment contains a NUL byte"
    );
}

#[test]
fn real_file_system_checks() {
    let denv = env(&[("PATH", "/usr/bin:/bin")]);
    let cx = ctx(&denv);
    let run = |command: &str| {
        let mut c = cfg();
        c.command = command.to_string();
        resolve_command(&c, &cx)
    };
    let (path, argv) = run("sh -c true").unwrap();
    assert!(path.ends_with("/sh"), "{path}");
    assert_eq!(argv[0], "sh");
    assert_eq!(
        run("/").unwrap_err().message,
        "command at '/' is a directory"
    );
    assert_eq!(
        run("/etc/passwd").unwrap_err().message,
        "command at '/etc/passwd' is not executable"
    );
    assert_eq!(
        run("/nonexistent/x").unwrap_err().kind,
        CommandErrorKind::NotFound
    );
}
