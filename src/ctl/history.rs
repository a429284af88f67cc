//! The shell's history: the lines typed, oldest first, one per line in a file (readline's
//! format, so Supervisor's own supervisorctl reads the same file). Blank lines and a line
//! equal to the one before are not kept; the file keeps the last [`MAX_ENTRIES`].
//!
//! The file is read when the shell starts and written when it ends (as the reference does,
//! from `atexit`). Writing re-reads the file and appends this session's lines, so two
//! shells that ran side by side both leave their lines. It is opened without following a
//! symbolic link at its name, must be a regular file, and is created mode 0600.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// How many lines the history keeps.
pub const MAX_ENTRIES: usize = 1000;

/// At most this much of the end of a history file is read.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Lines longer than the editor takes are skipped when read.
const MAX_LINE_CHARS: usize = super::edit::line::MAX_CHARS;

/// The history of one shell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<String>,
    /// What this session added, for [`History::save`].
    added: Vec<String>,
}

impl History {
    /// A history with `entries` (oldest first), as read from a file.
    pub fn new(entries: Vec<String>) -> History {
        History {
            entries: bounded(entries),
            added: Vec::new(),
        }
    }

    /// The history in `path`; empty when there is none or it cannot be read.
    pub fn load(path: &Path) -> History {
        let entries = open(path, false)
            .and_then(|mut f| read_tail(&mut f))
            .map(|text| parse(&text))
            .unwrap_or_default();
        History::new(entries)
    }

    /// The lines, oldest first.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Remembers a typed line (not a blank one, not the same as the last one).
    pub fn add(&mut self, line: &str) {
        if line.trim().is_empty() || self.entries.last().is_some_and(|l| l == line) {
            return;
        }
        self.entries.push(line.to_string());
        if self.entries.len() > MAX_ENTRIES {
            self.entries.remove(0);
        }
        self.added.push(line.to_string());
        if self.added.len() > MAX_ENTRIES {
            self.added.remove(0);
        }
    }

    /// Writes the file again: what it holds now, then this session's lines, the last
    /// [`MAX_ENTRIES`] of them. Nothing is written when nothing was typed.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if self.added.is_empty() {
            return Ok(());
        }
        let mut f = open(path, true)?;
        let now = parse(&read_tail(&mut f)?);
        let text: String = merge(now, &self.added)
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        f.set_len(0)?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(text.as_bytes())
    }
}

/// Opens the history file: never through a symbolic link at its name (ELOOP), never
/// anything but a regular file (a FIFO would block), created 0600 when `write`.
fn open(path: &Path, write: bool) -> io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .write(write)
        .create(write)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(f)
}

/// The last [`MAX_FILE_BYTES`] of `f`, from the start of a line.
fn read_tail(f: &mut File) -> io::Result<Vec<u8>> {
    let len = f.metadata()?.len();
    let from = len.saturating_sub(MAX_FILE_BYTES);
    f.seek(SeekFrom::Start(from))?;
    let mut text = Vec::new();
    f.take(MAX_FILE_BYTES).read_to_end(&mut text)?;
    if from > 0 {
        let cut = text
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| i + 1);
        text.drain(..cut);
    }
    Ok(text)
}

/// The entries of a history file's text: one per line, blank and overlong lines skipped.
pub fn parse(text: &[u8]) -> Vec<String> {
    let entries = text
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
        .filter(|l| !l.trim().is_empty() && l.chars().count() <= MAX_LINE_CHARS)
        .collect();
    bounded(entries)
}

/// `old` then `added` (a line equal to the one before it dropped), the last
/// [`MAX_ENTRIES`].
pub fn merge(old: Vec<String>, added: &[String]) -> Vec<String> {
    let mut all = old;
    for l in added {
        if all.last() != Some(l) {
            all.push(l.clone());
        }
    }
    bounded(all)
}

fn bounded(mut entries: Vec<String>) -> Vec<String> {
    if entries.len() > MAX_ENTRIES {
        entries.drain(..entries.len() - MAX_ENTRIES);
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn adds_no_blank_lines_and_no_repeats() {
        let mut h = History::new(strings(&["status"]));
        for l in ["status", "", "   ", "stop a", "stop a", "status", " status"] {
            h.add(l);
        }
        assert_eq!(
            h.entries(),
            strings(&["status", "stop a", "status", " status"])
        );
        assert_eq!(h.added, strings(&["stop a", "status", " status"]));
    }

    #[test]
    fn keeps_the_last_entries() {
        let mut h = History::new((0..1500).map(|i| i.to_string()).collect());
        assert_eq!(h.entries().len(), MAX_ENTRIES);
        assert_eq!(h.entries()[0], "500");
        h.add("x");
        assert_eq!(h.entries().len(), MAX_ENTRIES);
        assert_eq!(h.entries()[0], "501");
        let merged = merge(
            (0..999).map(|i| i.to_string()).collect(),
            &strings(&["998", "a", "b"]),
        );
        assert_eq!(merged.len(), MAX_ENTRIES);
        assert_eq!(
            merged[MAX_ENTRIES - 3..],
            strings(&["997", "998", "a", "b"])[1..]
        );
    }

    #[test]
    fn parses_files() {
        let long = "x".repeat(MAX_LINE_CHARS + 1);
        let text = format!("status\r\n\n  \nstop \u{e9}\n{long}\ntail -f a");
        assert_eq!(
            parse(text.as_bytes()),
            strings(&["status", "stop é", "tail -f a"])
        );
        assert_eq!(parse(b"a\xffb\n"), strings(&["a\u{fffd}b"]));
    }

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("sv-hist-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn saves_and_merges() {
        let d = tmp("save");
        let p = d.join("h");
        let mut a = History::load(&p);
        assert!(a.entries().is_empty());
        // Nothing typed: no file.
        a.save(&p).unwrap();
        assert!(!p.exists());
        a.add("status");
        a.add("stop web");
        // Another shell wrote meanwhile: both sessions' lines are kept.
        let mut b = History::load(&p);
        b.add("tail x");
        b.save(&p).unwrap();
        a.save(&p).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "tail x\nstatus\nstop web\n"
        );
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            History::load(&p).entries(),
            strings(&["tail x", "status", "stop web"])
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn never_follows_a_link_or_reads_a_fifo() {
        let d = tmp("link");
        let target = d.join("target");
        std::fs::write(&target, "secret\n").unwrap();
        let link = d.join("h");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(History::load(&link).entries().is_empty());
        let mut h = History::default();
        h.add("status");
        assert!(h.save(&link).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "secret\n");
        // A dangling link is not created through either.
        let dangling = d.join("dangling");
        std::os::unix::fs::symlink(d.join("nowhere"), &dangling).unwrap();
        assert!(h.save(&dangling).is_err());
        assert!(!d.join("nowhere").exists());
        let fifo = d.join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        assert!(History::load(&fifo).entries().is_empty());
        assert!(h.save(&fifo).is_err());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn reads_only_the_end_of_a_huge_file() {
        let d = tmp("huge");
        let p = d.join("h");
        let line = "y".repeat(99);
        let text: String = (0..20_000).map(|i| format!("{i:05}{line}\n")).collect();
        std::fs::write(&p, text).unwrap();
        let h = History::load(&p);
        assert_eq!(h.entries().len(), MAX_ENTRIES);
        assert!(h.entries()[MAX_ENTRIES - 1].starts_with("19999"));
        let _ = std::fs::remove_dir_all(&d);
    }
}
