//! `[supervisord] state_file`: what was started or stopped by hand stays so across a
//! restart of the daemon or a reboot.
//!
//! [`Wishes`] is pure: a manual `start` records a process as wanted up, a manual `stop` as
//! wanted down ([`Wishes::record`]); at startup (and when `update` adds a group)
//! [`Wishes::boot`] says how each process begins: a process stopped by hand is not
//! autostarted, one started by hand is started even with `autostart=false`. Entries for
//! processes the config no longer has are dropped ([`Wishes::retain`]).
//!
//! [`load`] and [`save`] are the file: read without following a symbolic link at its name,
//! bounded, and refused whole when anything in it is wrong (the daemon logs why and starts
//! as if there were no file); written to a new temporary name in the same directory
//! (`O_EXCL|O_NOFOLLOW`), synced, then renamed over the old file, so a crash leaves the old
//! file or the new one, never a torn one.
//!
//! The format, one entry a line after a version line:
//! ```text
//! supervisor-rs state 1
//! down web
//! up worker:worker_00
//! ```

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use crate::sys;

/// The first line of every state file; another version is refused.
pub const HEADER: &str = "supervisor-rs state 1";

/// The largest state file read or written (a file over it is refused whole).
pub const MAX_BYTES: usize = 4 << 20;

/// The longest namespec an entry may carry.
const MAX_NAME: usize = 4096;

/// What was last asked of a process by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Started by hand (`start`, `restart`).
    Up,
    /// Stopped by hand (`stop`).
    Down,
}

impl Wanted {
    fn word(self) -> &'static str {
        match self {
            Wanted::Up => "up",
            Wanted::Down => "down",
        }
    }
}

/// How a process begins when the daemon starts or its group is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boot {
    /// As the config says (`autostart`).
    Auto,
    /// Started: it was started by hand and its config does not autostart it.
    Start,
    /// Left STOPPED: it was stopped by hand.
    Skip,
}

/// The recorded wishes, by namespec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wishes {
    by_name: BTreeMap<String, Wanted>,
    /// Changed since the last [`Wishes::take_dirty`].
    dirty: bool,
}

impl Wishes {
    /// Parses a state file's bytes; any fault refuses the whole file (with its line).
    pub fn parse(bytes: &[u8]) -> Result<Wishes, String> {
        if bytes.len() > MAX_BYTES {
            return Err(format!("larger than {MAX_BYTES} bytes"));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        let mut lines = text.split_terminator('\n');
        match lines.next() {
            Some(HEADER) => {}
            Some(other) => {
                return Err(format!(
                    "line 1: expected {HEADER:?}, found {:?}",
                    truncate(other)
                ))
            }
            None => return Err("empty".into()),
        }
        let mut by_name = BTreeMap::new();
        for (i, line) in lines.enumerate() {
            let n = i + 2;
            let (word, name) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {n}: expected `up NAME` or `down NAME`"))?;
            let wanted = match word {
                "up" => Wanted::Up,
                "down" => Wanted::Down,
                _ => return Err(format!("line {n}: unknown word {:?}", truncate(word))),
            };
            if !valid_name(name) {
                return Err(format!("line {n}: bad process name {:?}", truncate(name)));
            }
            if by_name.insert(name.to_string(), wanted).is_some() {
                return Err(format!("line {n}: {name} listed twice"));
            }
        }
        Ok(Wishes {
            by_name,
            dirty: false,
        })
    }

    /// The file's contents.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(32 + 16 * self.by_name.len());
        out.push_str(HEADER);
        out.push('\n');
        for (name, w) in &self.by_name {
            out.push_str(w.word());
            out.push(' ');
            out.push_str(name);
            out.push('\n');
        }
        out
    }

    /// A start or stop by hand of `namespec`.
    pub fn record(&mut self, namespec: &str, wanted: Wanted) {
        if !valid_name(namespec) {
            return;
        }
        if self.by_name.get(namespec) != Some(&wanted) {
            self.by_name.insert(namespec.to_string(), wanted);
            self.dirty = true;
        }
    }

    /// What was last asked of `namespec` by hand.
    pub fn get(&self, namespec: &str) -> Option<Wanted> {
        self.by_name.get(namespec).copied()
    }

    /// Drops the entries of processes that `known` does not know (no longer in the config).
    pub fn retain(&mut self, known: impl Fn(&str) -> bool) {
        let before = self.by_name.len();
        self.by_name.retain(|name, _| known(name));
        if self.by_name.len() != before {
            self.dirty = true;
        }
    }

    /// How `namespec` begins, given its `autostart`.
    pub fn boot(&self, namespec: &str, autostart: bool) -> Boot {
        match (self.get(namespec), autostart) {
            (Some(Wanted::Down), _) => Boot::Skip,
            (Some(Wanted::Up), false) => Boot::Start,
            (Some(Wanted::Up), true) | (None, _) => Boot::Auto,
        }
    }

    /// Whether the wishes changed since the last call (the file is due a write).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }
}

/// The wishes and the file they are kept in (none without `state_file`: nothing is
/// recorded then).
#[derive(Debug, Default)]
pub struct Manual {
    path: Option<PathBuf>,
    wishes: Wishes,
}

impl Manual {
    /// Wishes kept in `path`, none read yet.
    pub fn new(path: Option<PathBuf>) -> Manual {
        Manual {
            path,
            wishes: Wishes::default(),
        }
    }

    /// Reads the file (a broken one is an error to log, and no wishes) and drops the
    /// processes `known` does not know.
    pub fn load(&mut self, known: impl Fn(&str) -> bool) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let (wishes, result) = match load(path) {
            Ok(w) => (w, Ok(())),
            Err(e) => (Wishes::default(), Err(e)),
        };
        self.wishes = wishes;
        self.wishes.retain(known);
        result
    }

    /// A start or stop of `namespec` by hand.
    pub fn record(&mut self, namespec: &str, wanted: Wanted) {
        if self.path.is_some() {
            self.wishes.record(namespec, wanted);
        }
    }

    /// How `namespec` begins, given its `autostart`.
    pub fn boot(&self, namespec: &str, autostart: bool) -> Boot {
        self.wishes.boot(namespec, autostart)
    }

    /// Writes the file if the wishes changed since it was last written; the error to log.
    pub fn save(&mut self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !self.wishes.take_dirty() {
            return Ok(());
        }
        save(path, &self.wishes)
            .map_err(|e| format!("could not write state file {}: {e}", path.display()))
    }
}

/// A namespec as the file can carry it: not empty, bounded, no whitespace or control
/// characters (so one line is one entry).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// At most 64 characters of hostile text for an error message.
fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

/// The directory and file name of `path`.
fn split(path: &Path) -> io::Result<(&Path, &OsStr)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

/// Reads the state file at `path`: no file is no wishes (`Ok`); a file that cannot be read
/// or is not a valid state file is an error to log (the daemon then starts as if there
/// were none). A symbolic link at the name is not followed.
pub fn load(path: &Path) -> Result<Wishes, String> {
    let fail = |e: String| format!("state file {}: {e}; ignored", path.display());
    let (dir, name) = split(path).map_err(|e| fail(e.to_string()))?;
    let dirfd = sys::fd::open_dir(dir).map_err(|e| fail(e.to_string()))?;
    let file = match sys::fd::open_in_dir(dirfd.as_fd(), name, libc::O_RDONLY, 0) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Wishes::default()),
        Err(e) => return Err(fail(e.to_string())),
    };
    let meta = file.metadata().map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    Wishes::parse(&bytes).map_err(fail)
}

/// Writes `wishes` to `path` atomically: a new file in the same directory (created with
/// `O_EXCL|O_NOFOLLOW`, so nothing planted at the temporary name is written through),
/// synced, renamed over `path`, then the directory synced.
pub fn save(path: &Path, wishes: &Wishes) -> io::Result<()> {
    let text = wishes.render();
    if text.len() > MAX_BYTES {
        return Err(io::Error::other(format!(
            "{} bytes, over the {MAX_BYTES}-byte bound",
            text.len()
        )));
    }
    let (dir, name) = split(path)?;
    let dirfd = sys::fd::open_dir(dir)?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{}.tmp", sys::proc::getpid()));
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL;
    let mut file = match sys::fd::open_in_dir(dirfd.as_fd(), &tmp, flags, 0o644) {
        Ok(f) => f,
        // Left by a crash of this pid's predecessor: remove the name itself, try once more.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            sys::fd::unlinkat(dirfd.as_fd(), &tmp)?;
            sys::fd::open_in_dir(dirfd.as_fd(), &tmp, flags, 0o644)?
        }
        Err(e) => return Err(e),
    };
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| sys::fd::renameat(dirfd.as_fd(), &tmp, name));
    if let Err(e) = written {
        let _ = sys::fd::unlinkat(dirfd.as_fd(), &tmp);
        return Err(e);
    }
    let _ = std::fs::File::from(dirfd).sync_all();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_stop_skips_autostart_and_a_manual_start_starts() {
        let mut w = Wishes::default();
        w.record("web", Wanted::Down);
        w.record("g:worker", Wanted::Up);
        assert_eq!(w.boot("web", true), Boot::Skip);
        assert_eq!(w.boot("g:worker", false), Boot::Start);
        assert_eq!(w.boot("g:worker", true), Boot::Auto);
        assert_eq!(w.boot("other", false), Boot::Auto);
        assert_eq!(w.boot("other", true), Boot::Auto);
    }

    #[test]
    fn the_last_command_wins_and_only_changes_dirty_the_file() {
        let mut w = Wishes::default();
        assert!(!w.take_dirty());
        w.record("web", Wanted::Down);
        assert!(w.take_dirty());
        w.record("web", Wanted::Down);
        assert!(!w.take_dirty());
        w.record("web", Wanted::Up);
        assert!(w.take_dirty());
        assert_eq!(w.get("web"), Some(Wanted::Up));
    }

    #[test]
    fn contents_round_trip() {
        let mut w = Wishes::default();
        w.record("web", Wanted::Down);
        w.record("g:w_00", Wanted::Up);
        let text = w.render();
        assert_eq!(text, "supervisor-rs state 1\nup g:w_00\ndown web\n");
        let mut back = Wishes::parse(text.as_bytes()).unwrap();
        w.take_dirty();
        back.take_dirty();
        assert_eq!(back, w);
    }

    #[test]
    fn processes_gone_from_the_config_are_dropped() {
        let mut w = Wishes::default();
        w.record("web", Wanted::Down);
        w.record("old", Wanted::Up);
        w.take_dirty();
        w.retain(|n| n == "web");
        assert!(w.take_dirty());
        assert_eq!(w.get("old"), None);
        assert_eq!(w.get("web"), Some(Wanted::Down));
        w.retain(|n| n == "web");
        assert!(!w.take_dirty());
    }

    #[test]
    fn a_bad_file_is_refused_whole() {
        for bad in [
            &b""[..],
            b"supervisor-rs state 2\n",
            b"garbage\n",
            b"supervisor-rs state 1\nup\n",
            b"supervisor-rs state 1\nmaybe web\n",
            b"supervisor-rs state 1\nup web\nup web\n",
            b"supervisor-rs state 1\nup a b\n",
            b"supervisor-rs state 1\nup \x1b[2J\n",
            b"supervisor-rs state 1\nup \xff\n",
        ] {
            assert!(Wishes::parse(bad).is_err(), "{bad:?}");
        }
        let huge = vec![b'a'; MAX_BYTES + 1];
        assert!(Wishes::parse(&huge).is_err());
        assert!(Wishes::parse(b"supervisor-rs state 1\n").unwrap() == Wishes::default());
    }

    #[test]
    fn a_name_the_file_cannot_carry_is_not_recorded() {
        let mut w = Wishes::default();
        w.record("a b", Wanted::Down);
        w.record("", Wanted::Down);
        assert_eq!(w, Wishes::default());
    }

    #[test]
    fn save_and_load_through_the_file_system() {
        let dir = std::env::temp_dir().join(format!("sv-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state");
        assert_eq!(load(&path), Ok(Wishes::default()));
        let mut w = Wishes::default();
        w.record("web", Wanted::Down);
        w.take_dirty();
        save(&path, &w).unwrap();
        assert_eq!(load(&path), Ok(w.clone()));
        // A stale temporary file does not stop the next write.
        let stale = dir.join(format!(".state.{}.tmp", sys::proc::getpid()));
        std::fs::write(&stale, "x").unwrap();
        save(&path, &w).unwrap();
        assert!(!stale.exists());
        // A symbolic link at the name is not followed.
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", &path).unwrap();
        assert!(load(&path).is_err());
        std::fs::write(dir.join("bad"), "nonsense\n").unwrap();
        assert!(load(&dir.join("bad")).unwrap_err().contains("ignored"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
