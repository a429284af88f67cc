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

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::messages;
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
/// writer opens it afterwards.
pub fn create_auto_log(
    dir: &Path,
    procname: &str,
    channel: &str,
    identifier: &str,
) -> io::Result<PathBuf> {
    for _ in 0..ATTEMPTS {
        let name = format!(
            "{procname}-{channel}---{identifier}-{}.log",
            random_suffix()?
        );
        let path = dir.join(name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => return Ok(path),
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
