//! Rotation as data (reference §7.2, `RotatingFileHandler`): after every write, if the
//! file position is at least `maxbytes`, shift `f.(i)` to `f.(i+1)` for
//! `i = backups-1 ..= 1`, then `f` to `f.1`, and create a fresh `f` (the writer does it
//! with `O_EXCL|O_NOFOLLOW`, not by reopening with `O_TRUNC`). `backups = 0` only
//! truncates (the open descriptor); `maxbytes = 0` never rotates. The oldest backup is overwritten by the
//! rename onto it. Pure: the writer executes the plan.

use std::path::{Path, PathBuf};

/// What to do after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Below the limit (or no limit): nothing.
    Keep,
    /// At the limit with `backups = 0`: truncate the file in place.
    Truncate,
    /// At the limit: run [`rename_chain`] with this many backups, then truncate.
    Shift(u32),
}

/// Decides what a write that left the file at `size` bytes triggers.
pub fn plan(size: u64, maxbytes: u64, backups: u32) -> Plan {
    if maxbytes == 0 || size < maxbytes {
        Plan::Keep
    } else if backups == 0 {
        Plan::Truncate
    } else {
        Plan::Shift(backups)
    }
}

/// `path.N`
pub fn backup_path(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// The renames, in order: `(f.(b-1) -> f.b), ..., (f.1 -> f.2), (f -> f.1)`. A missing
/// source is skipped by the executor (the reference checks `exists` first).
pub fn rename_chain(path: &Path, backups: u32) -> Vec<(PathBuf, PathBuf)> {
    let mut out: Vec<(PathBuf, PathBuf)> = (1..backups)
        .rev()
        .map(|i| (backup_path(path, i), backup_path(path, i + 1)))
        .collect();
    if backups > 0 {
        out.push((path.to_path_buf(), backup_path(path, 1)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let cases = [
            (0, 0, 10, Plan::Keep),
            (5_000_000, 0, 10, Plan::Keep),
            (99, 100, 10, Plan::Keep),
            (100, 100, 10, Plan::Shift(10)),
            (150, 100, 1, Plan::Shift(1)),
            (100, 100, 0, Plan::Truncate),
            (1, 1, 0, Plan::Truncate),
        ];
        for (size, max, backups, want) in cases {
            assert_eq!(plan(size, max, backups), want, "{size} {max} {backups}");
        }
    }

    #[test]
    fn chains() {
        let p = Path::new("/l/a.log");
        let names = |b| -> Vec<(String, String)> {
            rename_chain(p, b)
                .into_iter()
                .map(|(a, b)| (a.display().to_string(), b.display().to_string()))
                .collect()
        };
        assert!(names(0).is_empty());
        assert_eq!(names(1), [("/l/a.log".into(), "/l/a.log.1".into())]);
        assert_eq!(
            names(3),
            [
                ("/l/a.log.2".to_string(), "/l/a.log.3".to_string()),
                ("/l/a.log.1".into(), "/l/a.log.2".into()),
                ("/l/a.log".into(), "/l/a.log.1".into()),
            ]
        );
    }
}
