//! AUTO child logs on a real directory: name shape, mode, uniqueness, and the startup
//! cleanup with its warnings.

mod common;

use common::TestDir;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use supervisor::logfile::{clear_auto_logs, create_auto_log, is_auto_log_name};

#[test]
fn names_have_the_reference_shape() {
    let d = TestDir::new();
    let a = create_auto_log(&d.path, "web", "stdout", "supervisor").unwrap();
    let b = create_auto_log(&d.path, "web", "stdout", "supervisor").unwrap();
    assert_ne!(a, b);
    for p in [&a, &b] {
        assert_eq!(p.parent().unwrap(), d.path);
        let name = p.file_name().unwrap().to_str().unwrap();
        let rand = name
            .strip_prefix("web-stdout---supervisor-")
            .and_then(|r| r.strip_suffix(".log"))
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(rand.len(), 8);
        assert!(rand
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'));
        let meta = fs::metadata(p).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 0);
        assert!(is_auto_log_name(name, "supervisor"));
    }
    let e = create_auto_log(&d.path.join("missing"), "web", "stderr", "supervisor").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn cleanup_removes_matching_files_and_backups_only() {
    let d = TestDir::new();
    let mine = create_auto_log(&d.path, "web", "stderr", "supervisor").unwrap();
    let backup = PathBuf::from(format!("{}.3", mine.display()));
    fs::write(&backup, "old").unwrap();
    let keep = [
        "web-stdout---other-abcdefgh.log",
        "notes.txt",
        "web.log",
        "---supervisor-abcdefgh.log",
    ];
    for k in keep {
        fs::write(d.path.join(k), "").unwrap();
    }
    assert_eq!(clear_auto_logs(&d.path, "supervisor"), Vec::<String>::new());
    let mut want: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(d.listing(), want);
}

#[test]
fn cleanup_warnings() {
    let d = TestDir::new();
    assert_eq!(
        clear_auto_logs(&d.path.join("nope"), "supervisor"),
        ["Could not clear childlog dir"]
    );
    // A directory with a matching name cannot be removed as a file.
    let stuck = d.path.join("x-stdout---supervisor-12345678.log");
    fs::create_dir(&stuck).unwrap();
    assert_eq!(
        clear_auto_logs(&d.path, "supervisor"),
        [format!("Failed to clean up '{}'", stuck.display())]
    );
}
