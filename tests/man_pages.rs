//! The man pages must not drift from the code: every supervisord option and every
//! supervisorctl command appears in its page.

use std::fs;

fn page(name: &str) -> String {
    fs::read_to_string(format!("{}/man/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .replace("\\-", "-")
}

#[test]
fn supervisord_page_lists_every_option() {
    let man = page("supervisord.8");
    // Every long option of the usage text (which the CLI tests check against the parser).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-h")
        .output()
        .unwrap();
    let usage = String::from_utf8_lossy(&out.stdout);
    let mut checked = 0;
    for word in usage.split_whitespace().filter(|w| w.starts_with("--")) {
        let opt = word
            .trim_end_matches([',', ']', ')', ':'])
            .split('=')
            .next()
            .unwrap();
        assert!(man.contains(opt), "supervisord.8 lacks {opt} from -h");
        checked += 1;
    }
    assert!(
        checked >= 20,
        "the usage text lists the options ({checked} found)"
    );
}

#[test]
fn supervisorctl_page_lists_every_command() {
    let man = page("supervisorctl.1");
    for cmd in [
        "status", "start", "stop", "restart", "signal", "tail", "maintail", "fg", "pid", "clear",
        "avail", "reread", "update", "add", "remove", "reload", "shutdown", "version", "help",
        "open", "quit", "exit",
    ] {
        assert!(
            man.contains(&format!("\\fB{cmd}\\fR")),
            "supervisorctl.1 lacks {cmd}"
        );
    }
    for opt in [
        "--configuration",
        "--serverurl",
        "--username",
        "--password",
        "--interactive",
        "--history_file",
        "--help",
    ] {
        assert!(man.contains(opt), "supervisorctl.1 lacks {opt}");
    }
}

#[test]
fn supervisord_page_documents_the_protocol() {
    let man = page("supervisord.8");
    for word in [
        "PROTOCOL",
        ".OK 0",
        "auth",
        "nc -U",
        "SYSTEMD",
        "NOTIFY_SOCKET",
    ] {
        assert!(man.contains(word), "supervisord.8 lacks {word}");
    }
}

#[test]
fn echo_supervisord_conf_has_a_page() {
    let man = page("echo_supervisord_conf.1");
    for word in [
        ".TH ECHO_SUPERVISORD_CONF 1",
        "--help",
        "supervisord.conf",
        "--check-config",
    ] {
        assert!(man.contains(word), "echo_supervisord_conf.1 lacks {word}");
    }
}
