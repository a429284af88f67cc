//! `echo_supervisord_conf` prints the library's sample, and the sample loads: as printed and
//! with every commented-out option and section switched on.

mod common;

use common::TestDir;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_echo_supervisord_conf");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sample() -> String {
    let out = Command::new(BIN).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn prints_the_library_sample() {
    assert_eq!(sample(), supervisor::sample::sample_config());
}

#[test]
fn the_sample_loads_as_printed() {
    let dir = TestDir::new();
    let out = common::check_config(&dir, &sample(), false);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("unix:///tmp/supervisor.sock"), "{summary}");
    assert!(!summary.contains("warning:"), "{summary}");

    let out = common::check_config(&dir, &sample(), true);
    let json = text(&out.stdout);
    assert!(json.contains("\"accepted\": true"), "{json}");
    assert!(json.contains("\"warnings\": []"), "{json}");
    assert!(
        json.contains("\"rpcinterfaces\": [\n  \"supervisor\"\n ]"),
        "{json}"
    );
    assert!(json.contains("\"groups\": []"), "{json}");
}

/// Every `;option=` and `;[section]` line switched on.
fn uncommented(s: &str) -> String {
    s.lines()
        .map(|l| match l.strip_prefix(';') {
            Some(rest)
                if rest.starts_with('[')
                    || rest.split_once('=').is_some_and(|(k, _)| {
                        !k.is_empty()
                            && k.chars()
                                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                    }) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn the_sample_loads_with_every_option_switched_on() {
    let dir = TestDir::new();
    let all = uncommented(&sample());
    assert!(all.contains("\n[program:example]\n") && all.contains("\nsocket_mode=0700"));
    let out = common::check_config(&dir, &all, true);
    let json = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{json}");
    assert!(json.contains("\"accepted\": true"), "{json}");
    for group in ["example-listener", "example-fcgi", "examples"] {
        assert!(
            json.contains(&format!("\"name\": \"{group}\"")),
            "{group}: {json}"
        );
    }
    assert!(json.contains("\"port\": 9001"), "{json}");
    // depends_on=example-fcgi resolved to the fcgi program's process.
    assert!(json.contains("\"example-fcgi:example-fcgi_0\""), "{json}");
}

#[test]
fn help_and_usage_errors() {
    let out = Command::new(BIN).arg("-h").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("Usage: echo_supervisord_conf"));
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unexpected argument \"--bogus\""));
    assert!(out.stdout.is_empty());
}
