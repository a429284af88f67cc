//! Runs the real `supervisord --check-config` on every sample in `tests/configs/` and compares
//! its exit status, stdout and stderr with the sample's `.expected` file.
//!
//! The run is pinned like the conformance corpus: a fixed environment, the samples directory
//! as working directory, `-c <name>` relative. In the expected files `{here}` stands for the
//! samples directory, `{host}` for the host name and `supervisord` for the binary's path.
//! Set `SUPERVISOR_UPDATE_EXPECTED=1` to rewrite the expected files after a deliberate change.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_supervisord");

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/configs")
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Replaces `word` where it is not part of a longer name (like the corpus' compare.py).
fn replace_word(text: &str, word: &str, with: &str) -> String {
    if word.is_empty() {
        return text.to_string();
    }
    let part =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let mut out = String::new();
    let mut last = 0;
    for (i, _) in text.match_indices(word) {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        out.push_str(&text[last..i]);
        out.push_str(if part(before) || part(after) {
            word
        } else {
            with
        });
        last = i + word.len();
    }
    out.push_str(&text[last..]);
    out
}

/// Runs `supervisord --check-config -c <name>` pinned, and renders the outcome.
fn outcome(dir: &Path, name: &str) -> String {
    let out = Command::new(BIN)
        .args(["--check-config", "-c", name])
        .current_dir(dir)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/tmp")
        .env("USER", "root")
        .env("LOGNAME", "root")
        .env("SHELL", "/bin/sh")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("run supervisord");
    let text = format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = text.replace(BIN, "supervisord");
    let text = text.replace(&dir.display().to_string(), "{here}");
    replace_word(&text, &hostname(), "{host}")
}

#[test]
fn every_sample_gives_its_expected_outcome() {
    let dir = samples_dir();
    let update = std::env::var_os("SUPERVISOR_UPDATE_EXPECTED").is_some();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("samples dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".conf"))
        .collect();
    names.sort();
    assert!(names.len() > 50, "samples missing: {}", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let got = outcome(&dir, name);
        let expected_path = dir.join(name.replace(".conf", ".expected"));
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| format!("(missing {})", expected_path.display()));
        if got != want {
            failures.push(format!("{name}:\n--- expected\n{want}\n--- got\n{got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} samples differ:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn word_replacement_respects_boundaries() {
    assert_eq!(
        replace_word("--host vm x", "vm", "{host}"),
        "--host {host} x"
    );
    assert_eq!(replace_word("vmx vm-a 'vm'", "vm", "H"), "vmx vm-a 'H'");
}
