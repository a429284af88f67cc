//! Users that only NSS knows (LDAP, sssd, ...), simulated with nss_wrapper: an `LD_PRELOAD`
//! library that answers getpwnam/getgrnam/getgrouplist from the files named by
//! `NSS_WRAPPER_PASSWD` and `NSS_WRAPPER_GROUP`. None of these users is in /etc/passwd, so
//! they resolve only if supervisord asks the C library (as the reference's `pwd`/`grp` do).
//!
//! libnss-wrapper must be installed (CI's `.ci/run` installs it): these tests fail without it.

mod common;

use common::{wait_until, Daemon, TestDir};
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
    nssonly:x:4321:4321:NSS only:/tmp:/bin/sh\n";
const GROUP: &str = "root:x:0:\nnssonly:x:4321:\nnssgrp:x:4400:nssonly\nothers:x:4500:root\n";

/// The nss_wrapper library, wherever the distribution put it.
fn nss_wrapper() -> PathBuf {
    let mut dirs = vec![PathBuf::from("/usr/lib"), PathBuf::from("/usr/lib64")];
    if let Ok(entries) = fs::read_dir("/usr/lib") {
        // Debian's multiarch directories, e.g. /usr/lib/x86_64-linux-gnu.
        dirs.extend(entries.flatten().map(|e| e.path()));
    }
    dirs.into_iter()
        .map(|d| d.join("libnss_wrapper.so"))
        .find(|p| p.exists())
        .expect(
            "libnss_wrapper.so not found under /usr/lib*: install libnss-wrapper \
             (apt-get install libnss-wrapper); .ci/run does",
        )
}

/// A directory with the wrapper's passwd and group files.
fn wrapped_dir() -> TestDir {
    let dir = TestDir::new();
    dir.write("passwd", PASSWD);
    dir.write("group", GROUP);
    dir
}

fn check_json(dir: &TestDir, conf: &str, wrap: bool) -> Output {
    let conf = dir.write("s.conf", conf);
    let mut cmd = Command::new(common::supervisord_bin());
    cmd.args(["--check-config", "--json", "-c"])
        .arg(conf)
        .current_dir(&dir.path);
    if wrap {
        cmd.env("LD_PRELOAD", nss_wrapper())
            .env("NSS_WRAPPER_PASSWD", dir.join("passwd"))
            .env("NSS_WRAPPER_GROUP", dir.join("group"));
    }
    cmd.output().expect("run supervisord --check-config")
}

/// The JSON document without whitespace, for substring checks.
fn compact(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect()
}

#[test]
fn nss_only_users_and_groups_resolve_at_load() {
    let dir = wrapped_dir();
    let conf = format!(
        "[supervisord]\nlogfile={d}/s.log\npidfile={d}/s.pid\nuser=nssonly\n\
         [unix_http_server]\nfile={d}/s.sock\nchown=nssonly:nssgrp\n\
         [program:p]\ncommand=/bin/true\nuser=nssonly\n\
         [program:q]\ncommand=/bin/true\nuser=4321\n",
        d = dir.s()
    );
    // Without the wrapper these names exist nowhere: the test would prove nothing.
    let plain = check_json(&dir, &conf, false);
    assert_eq!(plain.status.code(), Some(2), "{}", compact(&plain));
    assert!(
        compact(&plain).contains("Invalidusernamenssonly"),
        "{}",
        compact(&plain)
    );

    let out = check_json(&dir, &conf, true);
    let json = compact(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{json}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(json.contains("\"accepted\":true"), "{json}");
    // [supervisord] user=, then both programs (by name and by uid).
    let ids = "\"uid\":4321,\"gid\":4321,\"groups\":[4321,4400]";
    assert!(
        json.contains(&format!("\"user\":\"nssonly\",{ids}")),
        "{json}"
    );
    assert_eq!(
        json.matches(&format!("\"user\":\"nssonly\",{ids}")).count(),
        3,
        "{json}"
    );
    assert!(json.contains("\"chown\":[4321,4400]"), "{json}");
}

#[test]
fn unknown_users_are_still_refused_with_the_wrapper() {
    let dir = wrapped_dir();
    let conf = format!(
        "[supervisord]\nlogfile={d}/s.log\npidfile={d}/s.pid\n\
         [program:p]\ncommand=/bin/true\nuser=ghost\n",
        d = dir.s()
    );
    let out = check_json(&dir, &conf, true);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        compact(&out).contains("Invalidusernameghostinsection'program:p'"),
        "{}",
        compact(&out)
    );
}

/// The daemon switches a program to an NSS-only user with the groups found at load.
#[test]
#[cfg_attr(not(root), ignore = "needs root")]
fn programs_run_as_nss_only_users_with_their_groups() {
    let dir = wrapped_dir();
    // The program writes here as uid 4321.
    fs::set_permissions(
        &dir.path,
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let out = dir.join("id.txt");
    let conf = dir.write(
        "supervisord.conf",
        &format!(
            "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
             [program:who]\ncommand=sh -c 'id -u > {o}.tmp; id -G >> {o}.tmp; mv {o}.tmp {o}; \
             sleep 1000'\nuser=nssonly\nstartsecs=0\n",
            d = dir.s(),
            o = out.display()
        ),
    );
    let lib = nss_wrapper();
    let (passwd, group) = (dir.join("passwd"), dir.join("group"));
    let env = [
        ("LD_PRELOAD", lib.as_os_str()),
        ("NSS_WRAPPER_PASSWD", passwd.as_os_str()),
        ("NSS_WRAPPER_GROUP", group.as_os_str()),
    ];
    let d = Daemon::start_with_env(&dir, &conf, &["-n"], &env);
    assert!(
        wait_until(Duration::from_secs(10), || out.exists()),
        "{}",
        d.log()
    );
    let ids = fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = ids.lines().collect();
    assert_eq!(lines, ["4321", "4321 4400"], "{ids}");
}
