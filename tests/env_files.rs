//! `environment_file=` against the real daemon: the variables a child sees (quotes, `export`,
//! comments, continuation), the precedence of files and `environment=` at both levels, a
//! changed file read again by `restart` without a reload, `-` paths, and the spawn errors of
//! a missing file, a malformed line and a FIFO (FATAL, with the file and line in `status`
//! and the activity log).

mod common;

use common::{wait_until, Daemon, TestDir};
use std::fs;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

/// Writes the child's environment to `OUT` (one `KEY=value` a line, via a rename so a reader
/// never sees half of it), then waits.
const DUMP: &str = "#!/bin/sh\nenv > \"$OUT.tmp\" && mv \"$OUT.tmp\" \"$OUT\"\nexec sleep 1000\n";

fn head(d: &str, supervisord_extra: &str) -> String {
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\n{supervisord_extra}\n\
         [unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
    )
}

/// The environment the child dumped to `name`, once it is there.
fn dumped(dir: &TestDir, name: &str) -> Vec<String> {
    let path = dir.join(name);
    assert!(wait_until(T, || path.exists()), "{name} was never written");
    fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn has(env: &[String], line: &str) -> bool {
    env.iter().any(|l| l == line)
}

fn status_of(d: &Daemon, name: &str) -> String {
    d.ctl(&["status", name]).0
}

#[test]
fn files_give_variables_and_environment_wins() {
    let dir = TestDir::new();
    let d = dir.s();
    dir.write("dump.sh", DUMP);
    dir.write(
        "common.env",
        "# for every program\nG_FILE=global-file\nOVER_BY_SUP_ENV=global-file\n\
         SUP_VS_PROG_FILE=global-file\n",
    );
    // Relative paths are relative to the config file's directory (not the daemon's cwd).
    fs::create_dir(dir.join("conf.d")).unwrap();
    let app_env = "export QUOTED='single  quoted'\n\
                   DQ=\"a \\\"b\\\" \\$c\"\n\
                   ; a comment\n\n\
                   SPACED = value with spaces  \n\
                   CONT=one\\\ntwo\n\
                   SUP_VS_PROG_FILE=prog-file\n\
                   WINS=file\n\
                   VERSION=1\n";
    dir.write("conf.d/app.env", app_env);
    dir.write(
        "conf.d/app.conf",
        &format!(
            "[program:app]\ncommand=/bin/sh {d}/dump.sh\n\
             environment_file=app.env, -missing.env\n\
             environment=WINS=env,OUT=\"{d}/app.out\"\nstartsecs=0\n"
        ),
    );
    let conf = format!(
        "{}[program:plain]\ncommand=/bin/sh {d}/dump.sh\nenvironment=OUT=\"{d}/plain.out\"\n\
         startsecs=0\n\n[include]\nfiles=conf.d/*.conf\n",
        head(
            &d,
            "environment_file=common.env,-nope.env\n\
             environment=OVER_BY_SUP_ENV=sup-env,SUP_VS_PROG_FILE=sup-env\n"
        )
    );
    let daemon = Daemon::start(&dir, &conf);

    let env = dumped(&dir, "app.out");
    for line in [
        "G_FILE=global-file",
        "OVER_BY_SUP_ENV=sup-env",
        "SUP_VS_PROG_FILE=prog-file",
        "QUOTED=single  quoted",
        "DQ=a \"b\" $c",
        "SPACED=value with spaces",
        "CONT=onetwo",
        "WINS=env",
        "VERSION=1",
        "SUPERVISOR_PROCESS_NAME=app",
    ] {
        assert!(has(&env, line), "{line} not in {env:#?}");
    }
    // [supervisord]'s files reach every program.
    let plain = dumped(&dir, "plain.out");
    assert!(has(&plain, "G_FILE=global-file"), "{plain:#?}");
    assert!(has(&plain, "SUP_VS_PROG_FILE=sup-env"), "{plain:#?}");
    assert!(!plain.iter().any(|l| l.starts_with("VERSION=")));

    // A changed file is read by the next spawn: no reread, no reload.
    fs::write(
        dir.join("conf.d/app.env"),
        app_env.replace("VERSION=1", "VERSION=2"),
    )
    .unwrap();
    fs::remove_file(dir.join("app.out")).unwrap();
    let (out, code) = daemon.ctl(&["restart", "app"]);
    assert_eq!(code, 0, "{out}");
    let env = dumped(&dir, "app.out");
    assert!(has(&env, "VERSION=2"), "{env:#?}");
    assert!(!daemon.log().contains("reload"), "{}", daemon.log());

    // --check-config shows the files.
    let check = std::process::Command::new(common::supervisord_bin())
        .args(["--check-config", "--json", "-c"])
        .arg(dir.join("supervisord.conf"))
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&check.stdout);
    let flat: String = json.split_whitespace().collect();
    assert!(
        flat.contains(&format!(
            "\"environment_file\":[\"{d}/conf.d/app.env\",\"-{d}/conf.d/missing.env\"]"
        )),
        "{json}"
    );
    assert!(
        flat.contains(&format!(
            "\"environment_file\":[\"{d}/common.env\",\"-{d}/nope.env\"]"
        )),
        "{json}"
    );
}

#[test]
fn unreadable_files_are_spawn_errors_naming_file_and_line() {
    let dir = TestDir::new();
    let d = dir.s();
    dir.write("dump.sh", DUMP);
    dir.write("bad.env", "A=1\n# fine\nnot an assignment\n");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("fifo.env"))
        .status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let prog = |name: &str, file: &str| {
        format!(
            "[program:{name}]\ncommand=/bin/sh {d}/dump.sh\nenvironment_file={file}\n\
             environment=OUT=\"{d}/{name}.out\"\nstartsecs=0\nstartretries=0\n\n"
        )
    };
    let conf = format!(
        "{}{}{}{}",
        head(&d, ""),
        prog("missing", &format!("{d}/nowhere.env")),
        prog("badline", "bad.env"),
        prog("fifo", "fifo.env"),
    );
    let daemon = Daemon::start(&dir, &conf);
    let fatal = |name: &str, text: &str| {
        let mut last = String::new();
        let ok = wait_until(T, || {
            last = status_of(&daemon, name);
            last.contains("FATAL") && last.contains(text)
        });
        assert!(ok, "{name}: {last}");
    };
    fatal(
        "missing",
        &format!("couldn't read environment file {d}/nowhere.env: No such file or directory"),
    );
    fatal(
        "badline",
        &format!("couldn't read environment file {d}/bad.env line 3: expected KEY=VALUE"),
    );
    // A FIFO is refused at once: the daemon never waits for a writer.
    fatal(
        "fifo",
        &format!("couldn't read environment file {d}/fifo.env: not a regular file"),
    );
    assert!(daemon.wait_log(
        &format!("spawnerr: couldn't read environment file {d}/bad.env line 3: expected KEY=VALUE"),
        T
    ));
    // Fixing the file is enough: the next start reads it.
    fs::write(dir.join("bad.env"), "A=1\n# fine\nB=fixed\n").unwrap();
    let (out, code) = daemon.ctl(&["start", "badline"]);
    assert_eq!(code, 0, "{out}");
    let env = dumped(&dir, "badline.out");
    assert!(has(&env, "B=fixed"), "{env:#?}");
    // A start that fails to spawn says so.
    let (out, _) = daemon.ctl(&["start", "missing"]);
    assert!(out.contains("ERROR (spawn error)"), "{out}");
}
