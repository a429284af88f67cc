//! [`LogFile`]: an append-only writer that rotates (see [`super::rotate`]), reopens on
//! request (SIGUSR2, logrotate's `create` mode), and never blocks or aborts the loop.
//!
//! A write that fails (ENOSPC, EIO, EROFS, EDQUOT, EAGAIN on a full pipe, ...) drops the
//! data and counts it. The caller gets one [`LogEvent::WriteFailed`] when failing starts
//! and one [`LogEvent::Resumed`] with the number of lost bytes when a later write
//! succeeds; every write retries, which costs one syscall.
//!
//! Non-regular files (`/dev/stdout`, a FIFO, a tty, `/dev/null`) are never rotated: the
//! reference crashes with `Illegal seek` there. They are written non-blocking, through a
//! file description of our own (opening `/dev/stdout` creates one), so a stalled reader
//! loses lines instead of freezing the daemon. A FIFO without a reader fails to open
//! (ENXIO) instead of blocking.
//!
//! Symbolic links: a log is opened by its final name relative to its directory
//! (`openat` with `O_NOFOLLOW`), so a link someone planted at the name (in a directory
//! others can write to, such as `/tmp`) is refused with ELOOP instead of followed; the
//! directory path itself may contain links. Rotation renames within that directory and
//! creates the new file with `O_EXCL` (something planted at the name in between is
//! refused: [`LogEvent::FreshFailed`]); a truncation (`backups = 0`) truncates the open
//! descriptor, never the name; `clear` unlinks the name (a link, never its target) and
//! creates it anew with `O_EXCL`. Only the stream aliases (`/dev/...`, `/proc/self/fd/...`)
//! are opened by path following links: `/dev/stdout` is itself a link into `/proc`.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::rotate::{self, Plan};
use crate::sys;

/// Something the caller should log about a [`LogFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// Writes started failing; data is being dropped.
    WriteFailed {
        /// errno name of the first failure (`ENOSPC`).
        errno_name: &'static str,
    },
    /// A write succeeded again after failures.
    Resumed {
        /// Bytes dropped while failing.
        lost_bytes: u64,
    },
    /// Renaming for rotation failed; the file keeps growing until a rotation succeeds.
    RotateFailed {
        /// errno name of the failed rename.
        errno_name: &'static str,
    },
    /// After renaming the log away, a fresh file could not be created at its name
    /// (EEXIST: something, maybe a planted symbolic link, appeared there). It is not
    /// used; data is dropped until a fresh file can be created.
    FreshFailed {
        /// errno name of the failed create.
        errno_name: &'static str,
    },
}

/// Who a log file belongs to and its permission bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPerms {
    /// Permission bits for files we create.
    pub mode: u32,
    /// `*_logfile_mode` was given: files are created with exactly `mode` (the umask does not
    /// apply), and an existing file gets it when it is opened.
    pub exact: bool,
    /// `*_logfile_owner`: (uid, gid) every file we open or create is given (`u32::MAX`
    /// leaves that id alone).
    pub owner: Option<(u32, u32)>,
}

impl LogPerms {
    /// `mode` minus the umask, owned by whoever we are: what the reference does.
    pub fn default_mode(mode: u32) -> LogPerms {
        LogPerms {
            mode,
            exact: false,
            owner: None,
        }
    }
}

/// What [`LogFile::rotate_now`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateNow {
    /// Renamed to `.1` (older backups shifted) and a fresh file started.
    Shifted,
    /// No backups: truncated, as a size-triggered rotation does.
    Truncated,
    /// Empty: nothing to rotate.
    Empty,
    /// Not a regular file (`/dev/stdout`, a FIFO): never rotated.
    Special,
}

/// A rotating, append-only log file.
#[derive(Debug)]
pub struct LogFile {
    /// Shared with the process table's entry, which names the log while it is closed.
    path: Arc<Path>,
    maxbytes: u64,
    backups: u32,
    /// Permission bits and owner for files we create.
    perms: LogPerms,
    /// `None` after a failed (re)open; every write retries the open.
    file: Option<File>,
    /// Not a regular file: no rotation, no size.
    special: bool,
    /// File position after the last write (the reference's `tell()`).
    size: u64,
    /// errno name while writes are failing.
    failing: Option<&'static str>,
    /// Bytes dropped since failing started.
    lost: u64,
    /// A rotation rename failed and has been reported.
    rotate_failing: bool,
    /// After a rotation found something planted at the name: retries only create a
    /// fresh file (O_EXCL) until that works or [`LogFile::reopen`] is asked for.
    need_fresh: bool,
}

fn errno_of(e: &io::Error) -> &'static str {
    sys::errno_name(e.raw_os_error().unwrap_or(libc::EIO))
}

/// Text for an error opening a log: says plainly when a symbolic link was refused.
pub fn open_error_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ELOOP) => "it is a symbolic link; refusing to follow it (ELOOP)".to_string(),
        Some(libc::EEXIST) => {
            "something already exists at the name; refusing to use it (EEXIST)".to_string()
        }
        _ => e.to_string(),
    }
}

/// How to open a log's name in its directory.
#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    /// Append, creating it when missing.
    Append,
    /// Create a fresh file; fail (EEXIST) if anything, a symbolic link included, is there.
    CreateNew,
}

/// The directory and final component of a log path (`.` for a bare name).
fn split(path: &Path) -> io::Result<(&Path, &OsStr)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EISDIR))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

/// The directory holding `path`, opened for the `*at` calls.
fn open_parent(path: &Path) -> io::Result<(OwnedFd, &OsStr)> {
    let (dir, name) = split(path)?;
    Ok((sys::fd::open_dir(dir)?, name))
}

/// Opens the log `name` in `dir` for appending (O_NOFOLLOW: a symbolic link there is
/// refused), returning the file, whether it is special, and its size.
fn open_named(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    perms: &LogPerms,
    how: How,
) -> io::Result<(File, bool, u64)> {
    // O_NONBLOCK at open keeps a reader-less FIFO from blocking us; regular files get
    // blocking mode back below (it means nothing for them, but keep the flags plain).
    let mut flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NONBLOCK;
    if how == How::CreateNew {
        flags |= libc::O_EXCL;
    }
    let file = if perms.exact {
        // Born with exactly the configured mode: the umask is lifted for this one call
        // (the daemon has no other thread that could create a file meanwhile).
        let old = sys::umask(0);
        let opened = sys::fd::open_in_dir(dir, name, flags, perms.mode);
        sys::umask(old);
        opened?
    } else {
        sys::fd::open_in_dir(dir, name, flags, perms.mode)?
    };
    let meta = file.metadata()?;
    let special = !meta.is_file();
    if !special {
        apply_perms(&file, &meta, perms)?;
    }
    finish_open(file, special)
}

/// Gives a regular log file the configured owner and (when given) mode, through the
/// descriptor: a file we just created has its mode already and, created while nothing was
/// written, is handed over before any output; an existing one is brought in line.
fn apply_perms(file: &File, meta: &std::fs::Metadata, perms: &LogPerms) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some((uid, gid)) = perms.owner {
        let want_uid = (uid != u32::MAX && uid != meta.uid()).then_some(uid);
        let want_gid = (gid != u32::MAX && gid != meta.gid()).then_some(gid);
        if want_uid.is_some() || want_gid.is_some() {
            std::os::unix::fs::fchown(file, want_uid, want_gid)?;
        }
    }
    if perms.exact && meta.mode() & 0o7777 != perms.mode & 0o7777 {
        file.set_permissions(std::fs::Permissions::from_mode(perms.mode & 0o7777))?;
    }
    Ok(())
}

fn finish_open(mut file: File, special: bool) -> io::Result<(File, bool, u64)> {
    let size = if special {
        0
    } else {
        sys::set_blocking(&file)?;
        file.seek(SeekFrom::End(0))?
    };
    Ok((file, special, size))
}

/// Opens a stream alias (`/dev/stdout`, ...) by path, following links: `/dev/stdout`
/// itself is a symbolic link into `/proc`. Never rotated.
fn open_alias(path: &Path, mode: u32) -> io::Result<(File, bool, u64)> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(mode)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    finish_open(file, true)
}

/// Opens the log at `path` for appending: stream aliases by path, everything else by name
/// in its directory without following a symbolic link.
fn open_path(path: &Path, perms: &LogPerms, how: How) -> io::Result<(File, bool, u64)> {
    if is_stream_alias(path) {
        return open_alias(path, perms.mode);
    }
    let (dir, name) = open_parent(path)?;
    open_named(dir.as_fd(), name, perms, how)
}

/// `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1` and the like name a descriptor of ours,
/// not a file we may rename: even when fd 1 happens to be a regular file, rotating would
/// try to rename `/dev/stdout`. Such paths are never rotated, and are the only ones
/// opened following a symbolic link.
fn is_stream_alias(path: &Path) -> bool {
    path.starts_with("/dev/")
        || path.starts_with("/proc/self/fd")
        || path.starts_with("/proc/thread-self/fd")
}

/// A warning when `dir` is writable by other users without the sticky bit: anyone may
/// then rename or replace the logs in it. `None` when it is fine, missing or unreadable
/// (opening the log reports that).
pub fn loose_dir_warning(dir: &Path) -> Option<String> {
    let fd = sys::fd::open_dir(dir).ok()?;
    let mode = File::from(fd).metadata().ok()?.mode();
    (mode & 0o002 != 0 && mode & 0o1000 == 0).then(|| {
        format!(
            "log directory {} is writable by other users and not sticky (mode {:04o}): \
             they can rename or replace log files in it",
            dir.display(),
            mode & 0o7777
        )
    })
}

/// The directories a warning from [`loose_dir_warning`] is about for the log at `path`
/// (none for stream aliases such as `/dev/stdout`).
pub fn log_dir_of(path: &Path) -> Option<PathBuf> {
    if is_stream_alias(path) {
        return None;
    }
    split(path).ok().map(|(d, _)| d.to_path_buf())
}

impl LogFile {
    /// Opens (creating with mode 0666 minus the umask, like the reference) a log that
    /// rotates at `maxbytes` (0 = never) keeping `backups` old files.
    pub fn open(path: impl Into<PathBuf>, maxbytes: u64, backups: u32) -> io::Result<LogFile> {
        LogFile::open_with_mode(path, maxbytes, backups, 0o666)
    }

    /// Like [`LogFile::open`] with the permission bits for files we create, e.g. 0600
    /// for AUTO child logs (kept across rotation, where the reference reverts to 0666).
    pub fn open_with_mode(
        path: impl Into<PathBuf>,
        maxbytes: u64,
        backups: u32,
        mode: u32,
    ) -> io::Result<LogFile> {
        LogFile::open_with_perms(path, maxbytes, backups, LogPerms::default_mode(mode))
    }

    /// Like [`LogFile::open`] with the mode and owner of the files (`*_logfile_mode`,
    /// `*_logfile_owner`), kept across rotation.
    pub fn open_with_perms(
        path: impl Into<PathBuf>,
        maxbytes: u64,
        backups: u32,
        perms: LogPerms,
    ) -> io::Result<LogFile> {
        LogFile::open_shared(Arc::from(path.into()), maxbytes, backups, perms)
    }

    /// [`LogFile::open_with_perms`] with a path the caller keeps too (one copy of it).
    pub fn open_shared(
        path: Arc<Path>,
        maxbytes: u64,
        backups: u32,
        perms: LogPerms,
    ) -> io::Result<LogFile> {
        let (file, special, size) = open_path(&path, &perms, How::Append)?;
        Ok(LogFile {
            path,
            maxbytes,
            backups,
            perms,
            file: Some(file),
            special,
            size,
            failing: None,
            lost: 0,
            rotate_failing: false,
            need_fresh: false,
        })
    }

    /// The path as configured.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current file position (0 for special files).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Not a regular file (never rotated).
    pub fn is_special(&self) -> bool {
        self.special
    }

    /// True when `maxbytes` was set but is ignored because the file is special; the
    /// daemon warns once.
    pub fn maxbytes_ignored(&self) -> bool {
        self.special && self.maxbytes > 0
    }

    /// Bytes dropped since writes started failing (0 when healthy).
    pub fn lost_bytes(&self) -> u64 {
        self.lost
    }

    /// Appends `data`, then rotates if due. Never blocks on a pipe or tty and never
    /// fails: problems come back as events for the caller to log.
    pub fn write(&mut self, data: &[u8]) -> Vec<LogEvent> {
        let mut events = Vec::new();
        if data.is_empty() {
            return events;
        }
        if self.file.is_none() {
            let retry = if self.need_fresh {
                self.create_fresh()
            } else {
                self.reopen()
            };
            if let Err(e) = retry {
                self.drop_data(data.len() as u64, errno_of(&e), &mut events);
                return events;
            }
        }
        // Without backups, a log that this write would carry past maxbytes is truncated
        // first, so the newest output is always kept (truncating after the write would throw
        // away the batch just written).
        let crossing = self.size > 0 && self.size + data.len() as u64 > self.maxbytes;
        if !self.special && self.backups == 0 && self.maxbytes > 0 && crossing {
            self.truncate_held(&mut events);
        }
        let Some(file) = self.file.as_mut() else {
            return events;
        };
        let (written, err) = write_some(file, data);
        if !self.special {
            // Kept in memory rather than asked with lseek after every write: we are the file's
            // only writer, and a reopen or rotation re-reads the real size.
            self.size += written as u64;
        }
        match err {
            Some(e) => self.drop_data((data.len() - written) as u64, errno_of(&e), &mut events),
            None => {
                if self.failing.take().is_some() {
                    events.push(LogEvent::Resumed {
                        lost_bytes: std::mem::take(&mut self.lost),
                    });
                }
            }
        }
        if !self.special && self.backups > 0 {
            self.rotate_if_due(&mut events);
        }
        events
    }

    /// Truncates the descriptor we hold (never a path someone may have swapped).
    fn truncate_held(&mut self, events: &mut Vec<LogEvent>) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        match file.set_len(0) {
            Ok(()) => {
                self.size = 0;
                self.rotate_failing = false;
            }
            Err(e) => self.rotate_failed(&e, events),
        }
    }

    fn drop_data(&mut self, n: u64, errno_name: &'static str, events: &mut Vec<LogEvent>) {
        self.lost += n;
        if self.failing.is_none() {
            self.failing = Some(errno_name);
            events.push(LogEvent::WriteFailed { errno_name });
        }
    }

    fn rotate_if_due(&mut self, events: &mut Vec<LogEvent>) {
        let backups = match rotate::plan(self.size, self.maxbytes, self.backups) {
            Plan::Keep => return,
            Plan::Truncate => 0,
            Plan::Shift(n) => n,
        };
        if backups == 0 {
            self.truncate_held(events);
            return;
        }
        self.shift(backups, events);
    }

    /// The `rotate` command: rotates now, whatever the size, as a size-triggered rotation
    /// would (`maxbytes` plays no part; `backups = 0` truncates). Opens the file first if it
    /// is closed. Problems come back as events, as for writes.
    pub fn rotate_now(&mut self) -> io::Result<(RotateNow, Vec<LogEvent>)> {
        let mut events = Vec::new();
        if self.file.is_none() {
            if self.need_fresh {
                self.create_fresh()?;
            } else {
                self.reopen()?;
            }
        }
        if self.special {
            return Ok((RotateNow::Special, events));
        }
        // Asked once per command, not per write: someone may have appended to the file.
        if let Some(len) = self
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map(|m| m.len())
        {
            self.size = len;
        }
        if self.size == 0 {
            return Ok((RotateNow::Empty, events));
        }
        // Every command hears about a failure, not only the first since it started.
        self.rotate_failing = false;
        let done = if self.backups == 0 {
            self.truncate_held(&mut events);
            RotateNow::Truncated
        } else {
            self.shift(self.backups, &mut events);
            RotateNow::Shifted
        };
        Ok((done, events))
    }

    /// Renames the file to `.1` (shifting `backups` older ones) and creates a fresh one.
    fn shift(&mut self, backups: u32, events: &mut Vec<LogEvent>) {
        let renamed = open_parent(&self.path).and_then(|(dir, name)| {
            for (from, to) in rotate::rename_chain(Path::new(name), backups) {
                match sys::fd::renameat(dir.as_fd(), from.as_os_str(), to.as_os_str()) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            Ok(dir)
        });
        let dir = match renamed {
            Ok(dir) => dir,
            Err(e) => {
                // Keep appending to the file we hold until a rotation succeeds.
                self.rotate_failed(&e, events);
                return;
            }
        };
        self.rotate_failing = false;
        self.file = None;
        let name = split(&self.path).map(|(_, n)| n.to_os_string());
        match name.and_then(|n| open_named(dir.as_fd(), &n, &self.perms, How::CreateNew)) {
            Ok((file, special, size)) => {
                self.file = Some(file);
                self.special = special;
                self.size = size;
            }
            Err(e) => {
                self.need_fresh = true;
                events.push(LogEvent::FreshFailed {
                    errno_name: errno_of(&e),
                });
                self.drop_data(0, errno_of(&e), events);
            }
        }
    }

    fn rotate_failed(&mut self, e: &io::Error, events: &mut Vec<LogEvent>) {
        if !self.rotate_failing {
            self.rotate_failing = true;
            events.push(LogEvent::RotateFailed {
                errno_name: errno_of(e),
            });
        }
    }

    /// Creates a fresh file at the name (O_EXCL, never following a link).
    fn create_fresh(&mut self) -> io::Result<()> {
        self.file = None;
        let (file, special, size) = open_path(&self.path, &self.perms, How::CreateNew)?;
        self.need_fresh = false;
        self.file = Some(file);
        self.special = special;
        self.size = size;
        Ok(())
    }

    /// Closes and reopens the path (appending, creating it if it was deleted or renamed
    /// away; a symbolic link at the name is refused with ELOOP). On failure the file stays
    /// closed and writes keep retrying the open.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.file = None;
        let (file, special, size) = open_path(&self.path, &self.perms, How::Append)?;
        self.need_fresh = false;
        self.file = Some(file);
        self.special = special;
        self.size = size;
        Ok(())
    }

    /// `clearProcessLogs` / `clearLog`: deletes the file (backups are kept) and creates
    /// it anew, empty (O_EXCL: whatever appears at the name in between is refused). A
    /// special file is only reopened: deleting `/dev/stdout` would remove the device link
    /// (the reference does try to).
    pub fn clear(&mut self) -> io::Result<()> {
        self.file = None;
        if self.special {
            return self.reopen();
        }
        let (dir, name) = open_parent(&self.path)?;
        match sys::fd::unlinkat(dir.as_fd(), name) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                let _ = self.reopen();
                return Err(e);
            }
            _ => {}
        }
        match open_named(dir.as_fd(), name, &self.perms, How::CreateNew) {
            Ok((file, special, size)) => {
                self.need_fresh = false;
                self.file = Some(file);
                self.special = special;
                self.size = size;
                Ok(())
            }
            Err(e) => {
                self.need_fresh = true;
                Err(e)
            }
        }
    }

    /// Closes the file; a later write reopens it.
    pub fn close(&mut self) {
        self.file = None;
    }
}

/// Writes as much of `data` as the file takes: (bytes written, the error that stopped
/// it). EINTR is retried; EAGAIN is an error like any other (the rest is dropped).
fn write_some(file: &mut File, data: &[u8]) -> (usize, Option<io::Error>) {
    let mut done = 0;
    while done < data.len() {
        match file.write(&data[done..]) {
            Ok(0) => return (done, Some(io::Error::from_raw_os_error(libc::EIO))),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}
