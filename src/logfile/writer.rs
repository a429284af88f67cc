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

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

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
}

/// A rotating, append-only log file.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    maxbytes: u64,
    backups: u32,
    /// Permission bits for files we create (before the umask).
    mode: u32,
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
}

fn errno_of(e: &io::Error) -> &'static str {
    sys::errno_name(e.raw_os_error().unwrap_or(libc::EIO))
}

/// Opens `path` for appending (creating it with `mode`), returning the file, whether it
/// is special, and its size.
fn open_file(path: &Path, mode: u32, truncate: bool) -> io::Result<(File, bool, u64)> {
    let extra = if truncate { libc::O_TRUNC } else { 0 };
    // O_NONBLOCK at open keeps a reader-less FIFO from blocking us; regular files get
    // blocking mode back below (it means nothing for them, but keep the flags plain).
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(mode)
        .custom_flags(libc::O_NONBLOCK | extra)
        .open(path)?;
    let special = !file.metadata()?.is_file() || is_stream_alias(path);
    let size = if special {
        0
    } else {
        sys::set_blocking(&file)?;
        file.seek(SeekFrom::End(0))?
    };
    Ok((file, special, size))
}

/// `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1` and the like name a descriptor of ours,
/// not a file we may rename: even when fd 1 happens to be a regular file, rotating would
/// try to rename `/dev/stdout`. Such paths are never rotated.
fn is_stream_alias(path: &Path) -> bool {
    path.starts_with("/dev/")
        || path.starts_with("/proc/self/fd")
        || path.starts_with("/proc/thread-self/fd")
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
        let path = path.into();
        let (file, special, size) = open_file(&path, mode, false)?;
        Ok(LogFile {
            path,
            maxbytes,
            backups,
            mode,
            file: Some(file),
            special,
            size,
            failing: None,
            lost: 0,
            rotate_failing: false,
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
            if let Err(e) = self.reopen() {
                self.drop_data(data.len() as u64, errno_of(&e), &mut events);
                return events;
            }
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
        if !self.special {
            self.rotate_if_due(&mut events);
        }
        events
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
        self.file = None;
        let mut rename_err = None;
        for (from, to) in rotate::rename_chain(&self.path, backups) {
            match std::fs::rename(&from, &to) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    rename_err = Some(e);
                    break;
                }
                _ => {}
            }
        }
        if let Some(e) = &rename_err {
            if !self.rotate_failing {
                self.rotate_failing = true;
                events.push(LogEvent::RotateFailed {
                    errno_name: errno_of(e),
                });
            }
        } else {
            self.rotate_failing = false;
        }
        // Truncate only when the data is safely renamed away.
        match open_file(&self.path, self.mode, rename_err.is_none()) {
            Ok((file, special, size)) => {
                self.file = Some(file);
                self.special = special;
                self.size = size;
            }
            Err(e) => self.drop_data(0, errno_of(&e), events),
        }
    }

    /// Closes and reopens the path (appending, creating it if it was deleted or renamed
    /// away). On failure the file stays closed and writes keep retrying the open.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.file = None;
        let (file, special, size) = open_file(&self.path, self.mode, false)?;
        self.file = Some(file);
        self.special = special;
        self.size = size;
        Ok(())
    }

    /// `clearProcessLogs` / `clearLog`: deletes the file (backups are kept) and reopens
    /// it empty. A special file is only reopened: deleting `/dev/stdout` would remove
    /// the device link (the reference does try to).
    pub fn clear(&mut self) -> io::Result<()> {
        self.file = None;
        if !self.special {
            match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    let _ = self.reopen();
                    return Err(e);
                }
                _ => {}
            }
        }
        self.reopen()
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
