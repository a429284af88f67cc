//! `LogFile` on real files: rotation names and sizes, reopen after rename/delete,
//! special files (never rotated, never blocking), dropped-data events, clear, modes.

mod common;

use common::TestDir;
use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use supervisor::logfile::{LogEvent, LogFile, LogPerms, RotateNow};

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|_| "<missing>".into())
}

#[test]
fn rotation_shifts_backups_and_drops_the_oldest() {
    let d = TestDir::new();
    let f = d.join("a.log");
    let mut log = LogFile::open(&f, 10, 3).unwrap();
    assert!(!log.is_special() && !log.maxbytes_ignored());
    for chunk in [
        "11111",
        "11111",
        "2222222222",
        "333333333333",
        "44444",
        "4444",
        "4",
        "5",
    ] {
        assert_eq!(log.write(chunk.as_bytes()), vec![]);
    }
    // Each write that reaches 10 bytes rotates; a file may exceed maxbytes by one write.
    assert_eq!(read(&f), "5");
    assert_eq!(read(&d.join("a.log.1")), "4444444444");
    assert_eq!(read(&d.join("a.log.2")), "333333333333");
    assert_eq!(read(&d.join("a.log.3")), "2222222222");
    assert_eq!(d.listing(), ["a.log", "a.log.1", "a.log.2", "a.log.3"]);
    assert_eq!(log.size(), 1);
}

#[test]
fn backups_zero_truncates_and_maxbytes_zero_never_rotates() {
    let d = TestDir::new();
    let f = d.join("t.log");
    let mut log = LogFile::open(&f, 10, 0).unwrap();
    log.write(b"123456789");
    assert_eq!(read(&f), "123456789");
    log.write(b"0");
    assert_eq!(read(&f), "1234567890", "up to maxbytes: kept");
    // A write that would cross maxbytes truncates first: the newest output is always kept.
    log.write(b"abc");
    assert_eq!(read(&f), "abc");
    log.write(b"0123456789ABC");
    assert_eq!(
        read(&f),
        "0123456789ABC",
        "one write above maxbytes is kept whole"
    );
    assert_eq!(d.listing(), ["t.log"]);

    let g = d.join("n.log");
    let mut log = LogFile::open(&g, 0, 5).unwrap();
    for _ in 0..100 {
        log.write(b"0123456789");
    }
    assert_eq!(log.size(), 1000);
    assert_eq!(d.listing(), ["n.log", "t.log"]);
}

#[test]
fn opening_appends_and_size_counts_existing_bytes() {
    let d = TestDir::new();
    let f = d.join("e.log");
    fs::write(&f, "12345678").unwrap();
    let mut log = LogFile::open(&f, 10, 1).unwrap();
    assert_eq!(log.size(), 8);
    log.write(b"9");
    assert_eq!(read(&f), "123456789");
    log.write(b"0");
    assert_eq!(read(&d.join("e.log.1")), "1234567890");
    assert_eq!(read(&f), "");
}

#[test]
fn reopen_recreates_a_renamed_or_deleted_file() {
    let d = TestDir::new();
    let f = d.join("r.log");
    let mut log = LogFile::open(&f, 0, 0).unwrap();
    log.write(b"a");
    fs::rename(&f, d.join("r.log.old")).unwrap();
    log.write(b"b"); // still the old file until reopened
    log.reopen().unwrap();
    log.write(b"c");
    assert_eq!(read(&d.join("r.log.old")), "ab");
    assert_eq!(read(&f), "c");

    fs::remove_file(&f).unwrap();
    log.reopen().unwrap();
    log.write(b"d");
    assert_eq!(read(&f), "d");
}

#[test]
fn clear_deletes_current_file_and_keeps_backups() {
    let d = TestDir::new();
    let f = d.join("c.log");
    let mut log = LogFile::open(&f, 4, 2).unwrap();
    log.write(b"1234");
    log.write(b"56");
    log.clear().unwrap();
    assert_eq!(read(&f), "");
    assert_eq!(read(&d.join("c.log.1")), "1234");
    assert_eq!(log.size(), 0);
    log.write(b"x");
    assert_eq!(read(&f), "x");
}

#[test]
fn private_mode_survives_rotation() {
    let d = TestDir::new();
    let f = d.join("p.log");
    let mut log = LogFile::open_with_mode(&f, 2, 1, 0o600).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&f), 0o600);
    log.write(b"12");
    assert_eq!(mode(&d.join("p.log.1")), 0o600);
    assert_eq!(mode(&f), 0o600);
}

#[test]
fn dev_null_is_special_and_never_rotated() {
    let mut log = LogFile::open("/dev/null", 10, 3).unwrap();
    assert!(log.is_special());
    assert!(log.maxbytes_ignored());
    for _ in 0..10 {
        assert_eq!(log.write(b"0123456789"), vec![]);
    }
    assert!(!Path::new("/dev/null.1").exists());
    assert!(!LogFile::open("/dev/null", 0, 3).unwrap().maxbytes_ignored());
}

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn open_reader(p: &Path) -> fs::File {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(p)
        .unwrap()
}

/// Reads everything currently buffered in a non-blocking FIFO.
fn drain(r: &mut fs::File) -> usize {
    let mut total = 0;
    let mut buf = [0u8; 65536];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn fifo_is_special_never_rotated_and_never_blocks() {
    let d = TestDir::new();
    let p = d.join("fifo");
    mkfifo(&p);
    // No reader: opening fails instead of blocking.
    let e = LogFile::open(&p, 0, 0).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENXIO));

    let mut reader = open_reader(&p);
    let mut log = LogFile::open(&p, 10, 2).unwrap();
    assert!(log.is_special() && log.maxbytes_ignored());
    assert_eq!(log.write(b"0123456789abc"), vec![]);
    assert_eq!(drain(&mut reader), 13);
    assert_eq!(d.listing(), ["fifo"]);

    // Fill the pipe: the first short write starts failing (EAGAIN), data is dropped.
    let chunk = vec![b'x'; 65536];
    let mut events = Vec::new();
    let mut attempted = 0;
    for _ in 0..16 {
        events.extend(log.write(&chunk));
        attempted += chunk.len();
    }
    assert_eq!(
        events,
        vec![LogEvent::WriteFailed {
            errno_name: "EAGAIN"
        }]
    );
    let delivered = drain(&mut reader);
    let lost = (attempted - delivered) as u64;
    assert!(lost > 0);
    assert_eq!(log.lost_bytes(), lost);
    assert_eq!(
        log.write(b"y"),
        vec![LogEvent::Resumed { lost_bytes: lost }]
    );
    assert_eq!(log.lost_bytes(), 0);
    assert_eq!(drain(&mut reader), 1);
}

#[test]
fn device_full_drops_and_counts() {
    let mut log = LogFile::open("/dev/full", 0, 0).unwrap();
    assert_eq!(
        log.write(b"abc"),
        vec![LogEvent::WriteFailed {
            errno_name: "ENOSPC"
        }]
    );
    assert_eq!(log.write(b"defg"), vec![]);
    assert_eq!(log.lost_bytes(), 7);
}

#[test]
fn missing_directory_fails_then_resumes() {
    let d = TestDir::new();
    let sub = d.join("sub");
    fs::create_dir(&sub).unwrap();
    let f = sub.join("m.log");
    let mut log = LogFile::open(&f, 0, 0).unwrap();
    fs::remove_dir_all(&sub).unwrap();
    assert!(log.reopen().is_err());
    assert_eq!(
        log.write(b"lost"),
        vec![LogEvent::WriteFailed {
            errno_name: "ENOENT"
        }]
    );
    assert_eq!(log.write(b"lost"), vec![]);
    fs::create_dir(&sub).unwrap();
    assert_eq!(log.write(b"ok"), vec![LogEvent::Resumed { lost_bytes: 8 }]);
    assert_eq!(read(&f), "ok");
}

#[test]
fn failed_rename_reports_once_and_keeps_data() {
    let d = TestDir::new();
    let f = d.join("x.log");
    // A non-empty directory where the backup must go: rename(x.log, x.log.1) fails.
    fs::create_dir_all(d.join("x.log.1/inner")).unwrap();
    let mut log = LogFile::open(&f, 3, 1).unwrap();
    let ev = log.write(b"abc");
    assert_eq!(ev.len(), 1);
    assert!(matches!(ev[0], LogEvent::RotateFailed { .. }), "{ev:?}");
    assert_eq!(log.write(b"def"), vec![]);
    assert_eq!(read(&f), "abcdef");
    fs::remove_dir_all(d.join("x.log.1")).unwrap();
    assert_eq!(log.write(b"g"), vec![]);
    assert_eq!(read(&d.join("x.log.1")), "abcdefg");
    assert_eq!(read(&f), "");
}

#[test]
fn rotate_now_shifts_truncates_or_leaves_alone() {
    let d = TestDir::new();
    let f = d.join("n.log");
    // maxbytes 0: never by size, but on request.
    let mut log = LogFile::open(&f, 0, 2).unwrap();
    assert_eq!(log.rotate_now().unwrap(), (RotateNow::Empty, vec![]));
    assert!(!d.join("n.log.1").exists(), "an empty log is not rotated");
    for text in ["one\n", "two\n", "three\n"] {
        log.write(text.as_bytes());
        assert_eq!(log.rotate_now().unwrap(), (RotateNow::Shifted, vec![]));
    }
    assert_eq!(read(&f), "");
    assert_eq!(read(&d.join("n.log.1")), "three\n");
    assert_eq!(read(&d.join("n.log.2")), "two\n");
    assert!(!d.join("n.log.3").exists());
    log.write(b"after\n");
    assert_eq!(read(&f), "after\n");
    // Bytes someone else appended count: the size is asked, not remembered.
    log.close();
    fs::write(&f, "").unwrap();
    let mut other = OpenOptions::new().append(true).open(&f).unwrap();
    std::io::Write::write_all(&mut other, b"outside\n").unwrap();
    assert_eq!(log.rotate_now().unwrap(), (RotateNow::Shifted, vec![]));
    assert_eq!(read(&d.join("n.log.1")), "outside\n");

    let t = d.join("t.log");
    let mut none = LogFile::open(&t, 0, 0).unwrap();
    none.write(b"gone\n");
    assert_eq!(none.rotate_now().unwrap(), (RotateNow::Truncated, vec![]));
    assert_eq!(read(&t), "");
    assert!(!d.join("t.log.1").exists());

    let mut dev = LogFile::open("/dev/null", 10, 3).unwrap();
    dev.write(b"x");
    assert_eq!(dev.rotate_now().unwrap(), (RotateNow::Special, vec![]));
}

#[test]
fn an_exact_mode_ignores_the_umask_and_survives_rotation() {
    let d = TestDir::new();
    let f = d.join("m.log");
    let perms = LogPerms {
        mode: 0o662,
        exact: true,
        owner: None,
    };
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let mut log = LogFile::open_with_perms(&f, 5, 1, perms).unwrap();
    // 0662 has the group and other write bits any usual umask (022, 002) takes away.
    assert_eq!(mode(&f), 0o662);
    log.write(b"123456");
    assert_eq!(mode(&d.join("m.log.1")), 0o662);
    assert_eq!(mode(&f), 0o662);
    // An existing file is brought in line when it is opened.
    let g = d.join("old.log");
    fs::write(&g, "x").unwrap();
    fs::set_permissions(&g, fs::Permissions::from_mode(0o600)).unwrap();
    let _log = LogFile::open_with_perms(&g, 0, 0, perms).unwrap();
    assert_eq!(mode(&g), 0o662);
}
