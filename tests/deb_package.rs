//! The Debian package that packaging/build-deb.sh builds, installed into a throwaway root
//! and exercised there: its control fields and files, `dpkg --root` running its
//! maintainer scripts (which must enable the service the Debian way inside that root and
//! touch nothing outside it), the installed supervisord checking and running the installed
//! config (paths rewritten into the root) with the packaged example program and event
//! listener in conf.d, the installed supervisorctl and init script driving it, and a purge
//! that leaves behind only what Debian policy allows.
//!
//! Ignored by a plain `cargo test`. CI builds the package and runs
//! `DEB_PACKAGE=target/deb/supervisor-rs_<version>_<arch>.deb cargo test --test deb_package
//! -- --include-ignored`; run that way it fails, never skips, when the variable, the file
//! or a tool it needs (root, dpkg, dpkg-deb, unshare, start-stop-daemon) is missing.

mod common;

use common::{alive, kill, pids_with_marker, wait_until, TestDir};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Runs a command and returns its output (never panics on a non-zero exit).
fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env("SVTEST_ID", marker())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Runs a command that must succeed; returns its stdout.
fn run_ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The environment marker that the daemons started here (and their children) carry.
fn marker() -> String {
    format!("deb-package-{}", std::process::id())
}

/// `dpkg --root=<root>` with the maintainer scripts run outside a chroot (the root has no
/// shell), `DPKG_ROOT` pointing them at the root. They run in a private mount namespace
/// where /etc/init.d and /run/systemd are empty, so the few debhelper snippets that do not
/// prefix DPKG_ROOT cannot reach the host's init scripts or its systemd.
fn dpkg_root(root: &Path, args: &[&str]) -> String {
    let root_opt = format!("--root={}", root.display());
    let mut argv = vec![
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-ec",
        "for d in /run/systemd /etc/init.d; do \
             if [ -d \"$d\" ]; then mount -t tmpfs tmpfs \"$d\"; fi; \
         done; exec \"$@\"",
        "sh",
        "dpkg",
        &root_opt,
        "--force-not-root",
        "--force-depends",
        "--force-script-chrootless",
        "--log=/dev/null",
    ];
    argv.extend_from_slice(args);
    run_ok("unshare", &argv)
}

/// Every path under `dir`, relative to it, directories with a trailing slash.
fn tree(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let rel = path.strip_prefix(base).unwrap().display().to_string();
            if e.file_type().unwrap().is_dir() {
                out.insert(format!("{rel}/"));
                walk(base, &path, out);
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Replaces every `(from, to)` in `text`, each of which must occur.
fn rewrite(text: &str, pairs: &[(&str, String)], what: &str) -> String {
    let mut text = text.to_string();
    for (from, to) in pairs {
        assert!(
            text.contains(from),
            "{what} does not mention {from}:\n{text}"
        );
        text = text.replace(from, to);
    }
    text
}

/// The package's expectations that follow from the source tree: a binary per
/// src/bin/*.rs but the multi-call one, a gzipped man page per man/*.{1,5,8}.
fn expected_files() -> Vec<String> {
    let mut files: Vec<String> = [
        "etc/supervisor/supervisord.conf",
        "etc/supervisor/conf.d/",
        "etc/init.d/supervisor",
        "etc/default/supervisor",
        "lib/systemd/system/supervisor.service",
        "var/log/supervisor/",
        "usr/share/doc/supervisor-rs/copyright",
        "usr/share/doc/supervisor-rs/changelog.Debian.gz",
        "usr/share/doc/supervisor-rs/README.md",
        "usr/share/doc/supervisor-rs/PROTOCOL.md",
        "usr/share/doc/supervisor-rs/examples/example.conf",
        "usr/share/doc/supervisor-rs/examples/event_listener.sh",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for bin in ["supervisord", "supervisorctl", "pidproxy"] {
        files.push(format!("usr/bin/{bin}"));
    }
    for e in fs::read_dir(Path::new(MANIFEST_DIR).join("src/bin"))
        .unwrap()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        // The multi-call binary is for embedded images, not the package.
        if let Some(stem) = name.strip_suffix(".rs").filter(|s| *s != "supervisor-rs") {
            files.push(format!("usr/bin/{stem}"));
        }
    }
    for e in fs::read_dir(Path::new(MANIFEST_DIR).join("man"))
        .unwrap()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(section) = name
            .rsplit('.')
            .next()
            .filter(|s| ["1", "5", "8"].contains(s))
        {
            files.push(format!("usr/share/man/man{section}/{name}.gz"));
        }
    }
    files.sort();
    files.dedup();
    files
}

/// Kills whatever daemon this test started (by pidfile and by environment marker), even
/// when an assertion fails half-way.
struct DaemonGuard {
    pidfile: PathBuf,
}

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        if let Ok(pid) = fs::read_to_string(&self.pidfile) {
            if let Ok(pid) = pid.trim().parse::<i32>() {
                kill(pid, "TERM");
                wait_until(Duration::from_secs(10), || !alive(pid));
            }
        }
        for pid in pids_with_marker(&marker()) {
            kill(pid, "KILL");
        }
    }
}

/// `supervisorctl status` until every program in `names` is RUNNING.
fn wait_running(ctl: &str, conf: &str, names: &[&str]) {
    let mut last = String::new();
    let ok = wait_until(Duration::from_secs(20), || {
        last = String::from_utf8_lossy(&run(ctl, &["-c", conf, "status"]).stdout).into_owned();
        names.iter().all(|name| {
            last.lines()
                .any(|l| l.starts_with(name) && l.contains("RUNNING"))
        })
    });
    assert!(ok, "not all of {names:?} RUNNING:\n{last}");
}

fn daemon_pid(pidfile: &Path) -> i32 {
    let text = fs::read_to_string(pidfile)
        .unwrap_or_else(|e| panic!("no pidfile {}: {e}", pidfile.display()));
    text.trim().parse().expect("pid in pidfile")
}

#[test]
#[ignore = "needs DEB_PACKAGE=<.deb built by packaging/build-deb.sh>, root, dpkg; run with --include-ignored"]
fn deb_package_installs_runs_and_purges() {
    // What it needs: all of it, or a failure that says what is missing.
    let deb = std::env::var("DEB_PACKAGE")
        .expect("DEB_PACKAGE must name the .deb that packaging/build-deb.sh built");
    let deb = fs::canonicalize(&deb).unwrap_or_else(|e| panic!("DEB_PACKAGE={deb}: {e}"));
    let deb = deb.to_str().unwrap().to_string();
    assert_eq!(
        run_ok("id", &["-u"]).trim(),
        "0",
        "dpkg --root and unshare --mount need root"
    );
    for tool in ["dpkg", "dpkg-deb", "unshare", "start-stop-daemon"] {
        let found = run("sh", &["-c", &format!("command -v {tool}")])
            .status
            .success();
        assert!(found, "{tool} not found (apt-get install dpkg util-linux)");
    }

    // The control fields.
    let fields = run_ok("dpkg-deb", &["-f", &deb]);
    let field = |name: &str| -> String {
        fields
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} field in:\n{fields}"))
            .to_string()
    };
    assert_eq!(field("Package"), "supervisor-rs");
    let version = field("Version");
    assert!(
        version.starts_with(&format!("{}-", env!("CARGO_PKG_VERSION"))),
        "Version {version} is not Cargo.toml's {} with a Debian revision",
        env!("CARGO_PKG_VERSION")
    );
    for relation in ["Provides", "Conflicts", "Replaces"] {
        assert_eq!(field(relation), "supervisor", "{relation}");
    }

    // The files, as listed by dpkg-deb.
    let listing = run_ok("dpkg-deb", &["-c", &deb]);
    let shipped: BTreeSet<String> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches("./").to_string())
        .collect();
    for file in expected_files() {
        assert!(
            shipped.contains(&file),
            "{file} not in the package:\n{listing}"
        );
    }

    // Install into a throwaway root. It starts with an empty dpkg database and a /var/run
    // (the host's /run, a tmpfs that no package ships).
    let dir = TestDir::new();
    let root = dir.join("root");
    let r = root.display().to_string();
    for d in [
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
        "var/run",
    ] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    fs::write(root.join("var/lib/dpkg/available"), "").unwrap();
    let host_wants = Path::new("/etc/systemd/system/multi-user.target.wants/supervisor.service");
    let host_had_wants = host_wants.symlink_metadata().is_ok();
    dpkg_root(&root, &["-i", &deb]);

    let status = fs::read_to_string(root.join("var/lib/dpkg/status")).unwrap();
    assert!(
        status.contains("Package: supervisor-rs\nStatus: install ok installed"),
        "not installed:\n{status}"
    );
    let conffiles = fs::read_to_string(root.join("var/lib/dpkg/info/supervisor-rs.conffiles"))
        .expect("conffiles");
    for conffile in [
        "/etc/supervisor/supervisord.conf",
        "/etc/init.d/supervisor",
        "/etc/default/supervisor",
    ] {
        assert!(
            conffiles.lines().any(|l| l == conffile),
            "{conffile} is not a conffile"
        );
    }
    // postinst: the directories, and the unit enabled the Debian way (deb-systemd-helper,
    // inside the root only).
    assert!(root.join("var/log/supervisor").is_dir());
    assert!(root.join("etc/supervisor/conf.d").is_dir());
    let wants = root.join("etc/systemd/system/multi-user.target.wants/supervisor.service");
    assert_eq!(
        fs::read_link(&wants).expect("supervisor.service enabled in the root"),
        Path::new("/lib/systemd/system/supervisor.service")
    );
    assert_eq!(
        host_wants.symlink_metadata().is_ok(),
        host_had_wants,
        "host touched"
    );

    // The copyright file covers every crate of Cargo.lock, each vendored and built.
    let copyright = fs::read_to_string(root.join("usr/share/doc/supervisor-rs/copyright")).unwrap();
    assert!(copyright.starts_with(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    ));
    assert!(copyright
        .contains("\nFiles: *\nCopyright: 2026 supervisor-rs contributors\nLicense: MIT\n"));
    let lock = fs::read_to_string(Path::new(MANIFEST_DIR).join("Cargo.lock")).unwrap();
    let mut crates = 0;
    for block in lock.split("[[package]]").skip(1) {
        let value = |key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        if value("source").is_none() {
            continue; // supervisor-rs itself
        }
        let (name, version) = (value("name").unwrap(), value("version").unwrap());
        let stanza = format!("Files: vendor/{name}-{version}/*\n");
        assert!(copyright.contains(&stanza), "copyright lacks {stanza}");
        crates += 1;
    }
    assert!(crates > 0, "no crates in Cargo.lock?");

    // The installed config, with its paths moved into the root.
    let conf_path = root.join("etc/supervisor/supervisord.conf");
    let conf = conf_path.display().to_string();
    let original = fs::read_to_string(&conf_path).unwrap();
    let moved = rewrite(
        &original,
        &[
            (
                "/var/run/supervisor.sock",
                format!("{r}/var/run/supervisor.sock"),
            ),
            (
                "pidfile=/var/run/supervisord.pid",
                format!("pidfile={r}/var/run/supervisord.pid"),
            ),
            ("/var/log/supervisor", format!("{r}/var/log/supervisor")),
            (
                "files = /etc/supervisor/conf.d/*.conf",
                format!("files = {r}/etc/supervisor/conf.d/*.conf"),
            ),
        ],
        "supervisord.conf",
    );
    fs::write(&conf_path, moved).unwrap();
    // The packaged example in conf.d: a program and the example event listener.
    let examples = root.join("usr/share/doc/supervisor-rs/examples");
    let example = rewrite(
        &fs::read_to_string(examples.join("example.conf")).unwrap(),
        &[
            (
                "/usr/local/bin/event_listener.sh",
                examples.join("event_listener.sh").display().to_string(),
            ),
            ("/var/log/supervisor", format!("{r}/var/log/supervisor")),
        ],
        "example.conf",
    );
    fs::write(root.join("etc/supervisor/conf.d/example.conf"), example).unwrap();

    let supervisord = format!("{r}/usr/bin/supervisord");
    let supervisorctl = format!("{r}/usr/bin/supervisorctl");
    let checked = run_ok(&supervisord, &["--check-config", "-c", &conf]);
    for name in ["clock", "state_logger"] {
        assert!(
            checked.contains(name),
            "--check-config does not list {name}:\n{checked}"
        );
    }
    let pidproxy = run(&format!("{r}/usr/bin/pidproxy"), &[]);
    assert!(String::from_utf8_lossy(&pidproxy.stdout).contains("Usage:"));
    if root.join("usr/bin/echo_supervisord_conf").exists() {
        let sample = run_ok(&format!("{r}/usr/bin/echo_supervisord_conf"), &[]);
        assert!(
            sample.contains("[supervisord]"),
            "echo_supervisord_conf:\n{sample}"
        );
    }

    let pidfile = root.join("var/run/supervisord.pid");
    let _guard = DaemonGuard {
        pidfile: pidfile.clone(),
    };

    // 1. Through the installed init script (its paths moved into the root too).
    let init = rewrite(
        &fs::read_to_string(root.join("etc/init.d/supervisor")).unwrap(),
        &[
            (
                "DAEMON=/usr/bin/supervisord",
                format!("DAEMON={supervisord}"),
            ),
            (
                "CONFIG=/etc/supervisor/supervisord.conf",
                format!("CONFIG={conf}"),
            ),
            ("PIDFILE=/var/run/", format!("PIDFILE={r}/var/run/")),
            (
                "LOGDIR=/var/log/supervisor",
                format!("LOGDIR={r}/var/log/supervisor"),
            ),
            (
                "/etc/default/supervisor",
                format!("{r}/etc/default/supervisor"),
            ),
        ],
        "/etc/init.d/supervisor",
    );
    let init_script = dir.write("init-supervisor", &init).display().to_string();
    run_ok("sh", &[&init_script, "start"]);
    wait_running(&supervisorctl, &conf, &["clock", "state_logger"]);
    let listener_log = root.join("var/log/supervisor/state_logger.log");
    let mut log = String::new();
    assert!(
        wait_until(Duration::from_secs(10), || {
            log = fs::read_to_string(&listener_log).unwrap_or_default();
            log.contains("PROCESS_STATE_RUNNING") && log.contains("processname:clock")
        }),
        "the example listener logged no clock RUNNING event:\n{log}"
    );
    run_ok("sh", &[&init_script, "status"]);
    let pid = daemon_pid(&pidfile);
    run_ok("sh", &[&init_script, "stop"]);
    assert!(
        !alive(pid),
        "supervisord {pid} still alive after the init script's stop"
    );
    let status = run("sh", &[&init_script, "status"]);
    assert!(!status.status.success(), "status after stop: {status:?}");

    // 2. Started by hand, stopped by the installed supervisorctl.
    run_ok(&supervisord, &["-c", &conf]);
    wait_running(&supervisorctl, &conf, &["clock", "state_logger"]);
    let pid = daemon_pid(&pidfile);
    run_ok(&supervisorctl, &["-c", &conf, "shutdown"]);
    assert!(
        wait_until(Duration::from_secs(20), || !alive(pid)),
        "supervisord {pid} still alive after supervisorctl shutdown"
    );
    assert!(root.join("var/log/supervisor/supervisord.log").exists());
    assert!(root.join("var/log/supervisor/clock.log").exists());

    // Purge, then what may be left: the dpkg database, the test's /var/run (empty again),
    // the admin's own file in conf.d (dpkg never removes it), and the empty directories
    // deb-systemd-helper made (systemd's, on a real system). The logs must be gone.
    dpkg_root(&root, &["--purge", "supervisor-rs"]);
    let left: BTreeSet<String> = tree(&root)
        .into_iter()
        .filter(|p| p == "var/lib/dpkg/" || !p.starts_with("var/lib/dpkg/"))
        .collect();
    let allowed: BTreeSet<String> = [
        "etc/",
        "etc/supervisor/",
        "etc/supervisor/conf.d/",
        "etc/supervisor/conf.d/example.conf",
        "etc/systemd/",
        "etc/systemd/system/",
        "var/",
        "var/lib/",
        "var/lib/dpkg/",
        "var/lib/systemd/",
        "var/run/",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(left, allowed, "left behind after purge");
    assert!(!root.join("var/lib/dpkg/info/supervisor-rs.list").exists());
    assert_eq!(
        host_wants.symlink_metadata().is_ok(),
        host_had_wants,
        "host touched"
    );
}
