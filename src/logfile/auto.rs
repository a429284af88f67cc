//! AUTO child logs (reference §2.5): creating a uniquely named file in `childlogdir`
//! like Python's `mkstemp`, and the startup cleanup of files from earlier runs.
//!
//! Name: `<procname>-<stdout|stderr>---<identifier>-<8 chars of [a-z0-9_]>.log`, created
//! with `O_EXCL` and mode 0600. Cleanup deletes every entry whose name matches the
//! reference's `re.match(r'.+?---<identifier>-\S+\.log\.{0,1}\d{0,4}', name)`. `re.match`
//! anchors at the start only and the tail `\.{0,1}\d{0,4}` can match nothing, so the
//! pattern means: at least one character (not a newline) before `---<identifier>-`,
//! then one or more non-whitespace characters followed by `.log`. The identifier is
//! matched literally (the reference pastes it into the regex unescaped).

use std::ffi::OsStr;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use crate::messages;
use crate::sys;
use crate::sys::random::random_bytes;

/// Python tempfile's alphabet.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";

/// How many names to try before giving up (Python's `TMP_MAX`).
const ATTEMPTS: usize = 10_000;

/// Eight random characters from [`ALPHABET`], uniformly (rejection sampling).
fn random_suffix() -> io::Result<String> {
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut out = String::with_capacity(8);
    let mut buf = [0u8; 16];
    while out.len() < 8 {
        random_bytes(&mut buf)?;
        for &b in buf.iter().filter(|&&b| b < limit) {
            if out.len() < 8 {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// Creates a new, empty AUTO log for `procname`'s `channel` (`stdout`/`stderr`) in
/// `dir` (O_EXCL, mode 0600) and returns its path. The file stays on disk; the log
/// writer opens it afterwards (also with O_NOFOLLOW, keeping mode 0600 across rotation).
/// The name is created relative to the opened directory with O_NOFOLLOW: a symbolic link
/// someone planted at a guessed name is never followed; another name is tried.
pub fn create_auto_log(
    dir: &Path,
    procname: &str,
    channel: &str,
    identifier: &str,
) -> io::Result<PathBuf> {
    let mut names = std::iter::repeat_with(|| {
        random_suffix().map(|r| format!("{procname}-{channel}---{identifier}-{r}.log"))
    });
    create_first_free(dir, &mut names)
}

/// Creates the first of `names` that does not exist yet (trying at most [`ATTEMPTS`]).
fn create_first_free(
    dir: &Path,
    names: &mut dyn Iterator<Item = io::Result<String>>,
) -> io::Result<PathBuf> {
    let dirfd = sys::fd::open_dir(dir)?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL;
    for name in names.take(ATTEMPTS) {
        let name = name?;
        match sys::fd::open_in_dir(dirfd.as_fd(), OsStr::new(&name), flags, 0o600) {
            Ok(_) => return Ok(dir.join(name)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from_raw_os_error(libc::EEXIST))
}

/// Python's `\s` for str patterns: Unicode whitespace plus the ASCII separators
/// 0x1c..=0x1f, which Python counts and Rust's `char::is_whitespace` does not.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Whether the cleanup pattern matches `name` (see the module docs).
pub fn is_auto_log_name(name: &str, identifier: &str) -> bool {
    let marker = format!("---{identifier}-");
    // `.+?` : at least one char, none of them a newline, before the marker.
    // Every occurrence, overlapping ones included (an identifier may contain dashes).
    let starts = name.char_indices().map(|(i, _)| i);
    for i in starts.filter(|&i| name[i..].starts_with(&marker)) {
        if i == 0 || name[..i].contains('\n') {
            continue;
        }
        let rest = &name[i + marker.len()..];
        // `\S+\.log`: a non-whitespace run containing `.log` after at least one char.
        let run_end = rest.find(py_space).unwrap_or(rest.len());
        let run = &rest[..run_end];
        if run
            .match_indices(".log")
            .any(|(j, _)| j >= 1 && j + 4 <= run.len())
        {
            return true;
        }
    }
    false
}

/// Deletes the AUTO logs of earlier runs from `dir`. Returns the reference's warnings
/// for the caller to log at WARN: `Could not clear childlog dir` when the directory
/// cannot be listed, `Failed to clean up '<path>'` for each file that cannot be deleted.
pub fn clear_auto_logs(dir: &Path, identifier: &str) -> Vec<String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(_) => return vec![messages::COULD_NOT_CLEAR_CHILDLOGDIR.to_string()],
    };
    let mut warnings = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !is_auto_log_name(&name.to_string_lossy(), identifier) {
            continue;
        }
        let path = dir.join(&name);
        if std::fs::remove_file(&path).is_err() {
            warnings.push(messages::failed_to_clean_up(&path.to_string_lossy()));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_link_at_the_chosen_name_is_skipped() {
        let base = std::env::temp_dir().join(format!("svrs-auto-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir(&base).unwrap();
        let victim = base.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, base.join("a.log")).unwrap();
        std::os::unix::fs::symlink(base.join("nowhere"), base.join("b.log")).unwrap();
        let mut names = ["a.log", "b.log", "c.log"]
            .into_iter()
            .map(|n| Ok(n.to_string()));
        let got = create_first_free(&base, &mut names).unwrap();
        assert_eq!(got, base.join("c.log"));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!base.join("nowhere").exists());
        let mut only_planted = ["a.log"].into_iter().map(|n| Ok(n.to_string()));
        let e = create_first_free(&base, &mut only_planted).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EEXIST));
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn cleanup_pattern_like_python_re_match() {
        let id = "supervisor";
        let cases = [
            ("ok-stdout---supervisor-b4rcaten.log", true),
            ("ok-stdout---supervisor-b4rcaten.log.1", true),
            ("ok-stdout---supervisor-b4rcaten.log.12345", true),
            ("ok-stdout---supervisor-b4rcaten.logfoo", true),
            ("a---supervisor-x.log", true),
            ("x.log---supervisor---supervisor-y.log", true),
            ("---supervisor-b4rcaten.log", false),
            ("ok---supervisor-.log", false),
            ("ok---supervisor-x y.log", false),
            ("ok---supervisor-x.lo", false),
            ("ok---other-x.log", false),
            ("ok---supervisor-xlog", false),
            ("ok-stdout--supervisor-b4rcaten.log", false),
            ("o\nk---supervisor-x.log", false),
            ("o\nk---supervisor-x.log k---supervisor-y.log", false),
            ("ok---supervisor-x\x1f.log", false),
            ("ok---supervisor-x.log\n", true),
            ("ok---supervisor-\u{e9}.log", true),
            ("----supervisor-x.log", true),
            ("a---supervisor---supervisor-x.log", true),
            ("ok---supervisor-.log.log", true),
        ];
        for (name, want) in cases {
            assert_eq!(is_auto_log_name(name, id), want, "{name:?}");
        }
        assert!(is_auto_log_name("p-stdout---my.id-abc.log", "my.id"));
        assert!(!is_auto_log_name("p-stdout---myXid-abc.log", "my.id"));
        // Overlapping occurrences of a dashed identifier.
        assert!(is_auto_log_name("p----a-----a-x.log", "-a-"));
    }

    #[test]
    fn suffix_shape() {
        for _ in 0..50 {
            let s = random_suffix().unwrap();
            assert_eq!(s.len(), 8);
            assert!(s.bytes().all(|b| ALPHABET.contains(&b)), "{s}");
        }
    }
}
