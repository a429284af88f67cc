//! AUTO child logs on a real directory: name shape, mode, uniqueness, and the startup
//! cleanup with its warnings.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use supervisor::logfile::{clear_auto_logs, create_auto_log, is_auto_log_name};

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("h3-au-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn listing(d: &TempDir) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(&d.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn names_have_the_reference_shape() {
    let d = TempDir::new();
    let a = create_auto_log(&d.0, "web", "stdout", "supervisor").unwrap();
    let b = create_auto_log(&d.0, "web", "stdout", "supervisor").unwrap();
    assert_ne!(a, b);
    for p in [&a, &b] {
        assert_eq!(p.parent().unwrap(), d.0);
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
    let e = create_auto_log(&d.0.join("missing"), "web", "stderr", "supervisor").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn cleanup_removes_matching_files_and_backups_only() {
    let d = TempDir::new();
    let mine = create_auto_log(&d.0, "web", "stderr", "supervisor").unwrap();
    let backup = PathBuf::from(format!("{}.3", mine.display()));
    fs::write(&backup, "old").unwrap();
    let keep = [
        "web-stdout---other-abcdefgh.log",
        "notes.txt",
        "web.log",
        "---supervisor-abcdefgh.log",
    ];
    for k in keep {
        fs::write(d.0.join(k), "").unwrap();
    }
    assert_eq!(clear_auto_logs(&d.0, "supervisor"), Vec::<String>::new());
    let mut want: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(listing(&d), want);
}

#[test]
fn cleanup_warnings() {
    let d = TempDir::new();
    assert_eq!(
        clear_auto_logs(&d.0.join("nope"), "supervisor"),
        ["Could not clear childlog dir"]
    );
    // A directory with a matching name cannot be removed as a file.
    let stuck = d.0.join("x-stdout---supervisor-12345678.log");
    fs::create_dir(&stuck).unwrap();
    assert_eq!(
        clear_auto_logs(&d.0, "supervisor"),
        [format!("Failed to clean up '{}'", stuck.display())]
    );
}
