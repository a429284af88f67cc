//! The multi-call binary `supervisor-rs`: acts as each tool by the name it runs under (a
//! symlink) or by its first argument, with the same output as the separate binaries.

mod common;

use common::TestDir;
use std::process::{Command, Output};

fn multi() -> &'static str {
    env!("CARGO_BIN_EXE_supervisor-rs")
}

fn text(o: &Output) -> (String, String, Option<i32>) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code(),
    )
}

#[test]
fn links_act_as_each_tool() {
    let dir = TestDir::new();
    let out = Command::new(multi())
        .args(["--install-links", &dir.s()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    for (tool, separate) in [
        ("supervisord", env!("CARGO_BIN_EXE_supervisord")),
        ("supervisorctl", env!("CARGO_BIN_EXE_supervisorctl")),
        ("pidproxy", env!("CARGO_BIN_EXE_pidproxy")),
    ] {
        let link = dir.join(tool);
        assert!(link.is_symlink(), "{tool}");
        // `-h`; pidproxy prints its usage without arguments. Each names itself by argv[0].
        let arg: &[&str] = if tool == "pidproxy" { &[] } else { &["-h"] };
        let via_link = text(&Command::new(&link).args(arg).output().unwrap());
        // The separate binary under the same name (a link too: a copy could hit ETXTBSY).
        let other = TestDir::new();
        let same_name = other.join(tool);
        std::os::unix::fs::symlink(separate, &same_name).unwrap();
        let real = text(&Command::new(&same_name).args(arg).output().unwrap());
        let real = (
            real.0.replace(&other.s(), &dir.s()),
            real.1.replace(&other.s(), &dir.s()),
            real.2,
        );
        assert_eq!(via_link, real, "{tool}");
        assert!(via_link.0.contains("sage"), "{tool}: {via_link:?}");
    }
    // Links are never replaced.
    let again = Command::new(multi())
        .args(["--install-links", &dir.s()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn first_argument_picks_the_tool() {
    let out = text(
        &Command::new(multi())
            .args(["supervisord", "-v"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        out,
        (format!("{}\n", supervisor::VERSION), String::new(), Some(0))
    );
    let out = text(
        &Command::new(multi())
            .args(["supervisord", "--bogus"])
            .output()
            .unwrap(),
    );
    assert_eq!(out.2, Some(2));
    assert!(
        out.1
            .contains(&format!("For help, use {} supervisord -h", multi())),
        "{out:?}"
    );
    let out = text(&Command::new(multi()).arg("pidproxy").output().unwrap());
    assert_eq!(out.2, Some(1));
    assert!(
        out.0
            .contains(&format!("Usage: {} pidproxy <pidfile name>", multi())),
        "{out:?}"
    );
    let out = text(
        &Command::new(multi())
            .args(["supervisorctl", "-h"])
            .output()
            .unwrap(),
    );
    assert_eq!(out.2, Some(0));
}

#[test]
fn unknown_or_no_tool_is_a_usage_error() {
    let out = text(&Command::new(multi()).arg("nosuch").output().unwrap());
    assert_eq!(out.2, Some(2));
    assert!(out.1.contains("unknown tool \"nosuch\""), "{out:?}");
    assert!(
        out.1.contains("supervisord, supervisorctl, pidproxy"),
        "{out:?}"
    );
    let out = text(&Command::new(multi()).output().unwrap());
    assert_eq!(out.2, Some(2));
    let out = text(&Command::new(multi()).arg("--help").output().unwrap());
    assert_eq!(out.2, Some(0));
    assert!(out.0.starts_with("Usage: "), "{out:?}");
}
