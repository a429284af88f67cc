//! The activity `Logger` on real files: queueing before open, the line format, the
//! threshold, rotation, reopen after logrotate, clearLog, special files.

mod common;

use common::TestDir;
use std::fs;
use std::path::Path;

use supervisor::config::model::LogLevel;
use supervisor::logfile::{LogTarget, Logger, Opened};

fn file_target(path: &Path, maxbytes: u64, backups: u32) -> LogTarget {
    LogTarget::File {
        path: path.to_path_buf(),
        maxbytes,
        backups,
    }
}

/// Splits `YYYY-MM-DD HH:MM:SS,mmm LEVL message` lines into (level, message) after
/// checking the timestamp's shape.
fn parse(contents: &str) -> Vec<(String, String)> {
    contents
        .lines()
        .map(|line| {
            let b = line.as_bytes();
            let shape = "dddd-dd-dd dd:dd:dd,ddd ";
            assert!(b.len() > shape.len(), "{line:?}");
            for (c, s) in b.iter().zip(shape.bytes()) {
                match s {
                    b'd' => assert!(c.is_ascii_digit(), "{line:?}"),
                    s => assert_eq!(*c, s, "{line:?}"),
                }
            }
            let rest = &line[shape.len()..];
            let (level, msg) = rest.split_once(' ').unwrap();
            (level.to_string(), msg.to_string())
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn queued_messages_flush_in_order_through_the_threshold() {
    let d = TestDir::new();
    let f = d.join("main.log");
    let mut log = Logger::new(LogLevel::Info);
    log.critical("Supervisor is running as root.");
    log.debug("not shown");
    log.warn("a warning");
    log.info("Increased RLIMIT_NOFILE limit to 1024");
    assert!(!f.exists());
    let opened = log.open(&file_target(&f, 1 << 20, 2), false).unwrap();
    assert_eq!(
        opened,
        Opened {
            maxbytes_ignored: false
        }
    );
    log.info("supervisord started with pid 1");
    log.blather("nope");
    log.error("an error");
    assert_eq!(
        parse(&fs::read_to_string(&f).unwrap()),
        pairs(&[
            ("CRIT", "Supervisor is running as root."),
            ("WARN", "a warning"),
            ("INFO", "Increased RLIMIT_NOFILE limit to 1024"),
            ("INFO", "supervisord started with pid 1"),
            ("ERRO", "an error"),
        ])
    );
    assert_eq!(log.path(), Some(f.as_path()));
}

#[test]
fn embedded_newlines_are_written_as_is_and_levels_change() {
    let d = TestDir::new();
    let f = d.join("m.log");
    let mut log = Logger::new(LogLevel::Warn);
    log.open(&file_target(&f, 0, 0), false).unwrap();
    log.info("hidden");
    log.set_level(LogLevel::Blather);
    log.debug("'web' stdout output:\nhello\n");
    log.blather("b");
    let text = fs::read_to_string(&f).unwrap();
    assert!(
        text.contains(" DEBG 'web' stdout output:\nhello\n\n2"),
        "{text:?}"
    );
    assert!(text.ends_with(" BLAT b\n"), "{text:?}");
    assert!(!text.contains("hidden"));
}

#[test]
fn time_is_local_with_milliseconds() {
    let d = TestDir::new();
    let f = d.join("t.log");
    let mut log = Logger::new(LogLevel::Info);
    log.open(&file_target(&f, 0, 0), false).unwrap();
    let when_ms = 1_700_000_000_123;
    log.log_at(LogLevel::Info, "x", when_ms);
    let tm = supervisor::sys::localtime(1_700_000_000);
    let want = format!("{} INFO x\n", supervisor::time::asctime(&tm, 123));
    assert_eq!(fs::read_to_string(&f).unwrap(), want);
}

#[test]
fn rotates_reopens_and_clears() {
    let d = TestDir::new();
    let f = d.join("r.log");
    let mut log = Logger::new(LogLevel::Info);
    log.open(&file_target(&f, 100, 2), false).unwrap();
    for i in 0..10 {
        log.info(&format!("message number {i}"));
    }
    assert!(d.join("r.log.1").exists());
    assert!(d.join("r.log.2").exists());
    assert!(!d.join("r.log.3").exists());

    // logrotate (create mode): move the file away, then SIGUSR2.
    fs::rename(&f, d.join("rotated")).unwrap();
    log.reopen();
    log.info("after reopen");
    assert_eq!(
        parse(&fs::read_to_string(&f).unwrap()),
        pairs(&[("INFO", "after reopen")])
    );

    log.clear().unwrap();
    assert_eq!(fs::read_to_string(&f).unwrap(), "");
    log.info("after clear");
    assert_eq!(
        parse(&fs::read_to_string(&f).unwrap()),
        pairs(&[("INFO", "after clear")])
    );
    assert!(d.join("r.log.1").exists());
}

#[test]
fn failed_open_keeps_queueing() {
    let d = TestDir::new();
    let mut log = Logger::new(LogLevel::Info);
    log.info("early");
    let bad = d.join("missing-dir/x.log");
    assert!(log.open(&file_target(&bad, 0, 0), false).is_err());
    assert!(!log.is_open());
    log.info("still queued");
    let f = d.join("ok.log");
    log.open(&file_target(&f, 0, 0), false).unwrap();
    assert_eq!(
        parse(&fs::read_to_string(&f).unwrap()),
        pairs(&[("INFO", "early"), ("INFO", "still queued")])
    );
    // close() goes back to queueing; a new open flushes into the new target.
    log.close();
    log.info("between");
    let g = d.join("new.log");
    log.open(&file_target(&g, 0, 0), false).unwrap();
    assert_eq!(
        parse(&fs::read_to_string(&g).unwrap()),
        pairs(&[("INFO", "between")])
    );
}

#[test]
fn special_file_reports_ignored_maxbytes() {
    let mut log = Logger::new(LogLevel::Info);
    let opened = log
        .open(
            &file_target(Path::new("/dev/null"), 50 * 1024 * 1024, 10),
            false,
        )
        .unwrap();
    assert!(opened.maxbytes_ignored);
    for _ in 0..100 {
        log.info("into the void");
    }
    assert!(!Path::new("/dev/null.1").exists());
}
