//! The activity (main) log: a level threshold and the line format
//! `YYYY-MM-DD HH:MM:SS,mmm LEVL message\n` in local time (reference §7.1; a message with
//! embedded newlines is written as is). Targets: a rotating [`LogFile`] or syslog
//! (`logfile=syslog`), plus an echo to stdout (nodaemon and not silent).
//!
//! Before [`Logger::open`] messages are queued, and flushed in order on open (the
//! reference queues its parse-time criticals, warnings and infos the same way, so that
//! log files are created only after privileges are dropped). Writing never fails the
//! caller: when the file cannot be written, lines are dropped and counted, and a WARN
//! line reports the loss once writing works again.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::syslog::Syslog;
use super::writer::{LogEvent, LogFile};
use crate::config::model::LogLevel;
use crate::sys;
use crate::time::{asctime, Tm};

/// Where the activity log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// A file, rotated at `maxbytes` (0 = never) with `backups` old files.
    File {
        /// `logfile=`
        path: PathBuf,
        /// `logfile_maxbytes=`
        maxbytes: u64,
        /// `logfile_backups=`
        backups: u32,
    },
    /// `logfile=syslog`
    Syslog,
}

/// What [`Logger::open`] found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// The log file is not a regular file, so `logfile_maxbytes` is ignored; the daemon
    /// may warn once.
    pub maxbytes_ignored: bool,
}

/// Messages kept before open, at most; older ones are dropped beyond it.
const QUEUE_LIMIT: usize = 10_000;

#[derive(Debug)]
struct Queued {
    level: LogLevel,
    wall_ms: u64,
    msg: String,
}

#[derive(Debug)]
enum Echo {
    /// Our own non-blocking file description for `/dev/stdout`.
    Own(LogFile),
    /// fd 1 itself, when `/dev/stdout` cannot be opened (e.g. it is a socket).
    Fd1,
}

#[derive(Debug)]
struct Sinks {
    file: Option<LogFile>,
    /// The file's last line was cut short by a failed write (see [`write_line`]).
    torn: bool,
    syslog: Option<Syslog>,
    echo: Option<Echo>,
}

/// The activity logger.
#[derive(Debug)]
pub struct Logger {
    level: LogLevel,
    /// `None` until opened: messages queue.
    sinks: Option<Sinks>,
    queue: Vec<Queued>,
}

/// One formatted line: `2026-11-23 18:59:26,288 INFO message\n`.
pub fn format_line(tm: &Tm, ms: u32, level: LogLevel, msg: &str) -> String {
    format!("{} {} {}\n", asctime(tm, ms), level.label(), msg)
}

impl Logger {
    /// A logger that queues until [`Logger::open`].
    pub fn new(level: LogLevel) -> Logger {
        Logger {
            level,
            sinks: None,
            queue: Vec::new(),
        }
    }

    /// The threshold.
    pub fn level(&self) -> LogLevel {
        self.level
    }

    /// Changes the threshold (e.g. after a reload).
    pub fn set_level(&mut self, level: LogLevel) {
        self.level = level;
    }

    /// Whether a message at `level` would be written; callers skip building expensive
    /// debug messages otherwise.
    pub fn enabled(&self, level: LogLevel) -> bool {
        level >= self.level
    }

    /// Opened (not queueing).
    pub fn is_open(&self) -> bool {
        self.sinks.is_some()
    }

    /// The log file path, when logging to a file.
    pub fn path(&self) -> Option<&Path> {
        self.sinks.as_ref()?.file.as_ref().map(|f| f.path())
    }

    /// Opens the target (and the stdout echo), then writes the queued messages that
    /// pass the threshold, in order. On error nothing changes and messages keep queueing.
    pub fn open(&mut self, target: &LogTarget, echo_stdout: bool) -> io::Result<Opened> {
        let (file, syslog) = match target {
            LogTarget::File {
                path,
                maxbytes,
                backups,
            } => (
                Some(LogFile::open(path.clone(), *maxbytes, *backups)?),
                None,
            ),
            LogTarget::Syslog => (None, Some(Syslog::new())),
        };
        let opened = Opened {
            maxbytes_ignored: file.as_ref().is_some_and(|f| f.maxbytes_ignored()),
        };
        let echo = echo_stdout.then(|| match LogFile::open("/dev/stdout", 0, 0) {
            Ok(f) => Echo::Own(f),
            Err(_) => Echo::Fd1,
        });
        self.sinks = Some(Sinks {
            file,
            torn: false,
            syslog,
            echo,
        });
        for q in std::mem::take(&mut self.queue) {
            if self.enabled(q.level) {
                self.emit(q.level, &q.msg, q.wall_ms);
            }
        }
        Ok(opened)
    }

    /// Closes everything and goes back to queueing (before re-opening with a new
    /// configuration on restart).
    pub fn close(&mut self) {
        self.sinks = None;
    }

    /// SIGUSR2: reopens the log file by path (recreating it after logrotate moved it).
    /// A failure is not fatal: writes keep retrying the open.
    pub fn reopen(&mut self) {
        if let Some(s) = self.sinks.as_mut() {
            if let Some(f) = s.file.as_mut() {
                if f.reopen().is_ok() {
                    s.torn = false;
                }
            }
        }
    }

    /// `clearLog`: deletes the log file (backups stay) and reopens it empty.
    pub fn clear(&mut self) -> io::Result<()> {
        match self.sinks.as_mut().and_then(|s| s.file.as_mut()) {
            Some(f) => f.clear(),
            None => Ok(()),
        }
    }

    /// Logs `msg` at `level` with the current time.
    pub fn log(&mut self, level: LogLevel, msg: &str) {
        self.log_at(level, msg, sys::wall_clock_ms());
    }

    /// Logs `msg` at `level` as if at `wall_ms` (ms since the epoch).
    pub fn log_at(&mut self, level: LogLevel, msg: &str, wall_ms: u64) {
        if self.sinks.is_none() {
            if self.queue.len() >= QUEUE_LIMIT {
                self.queue.remove(0);
            }
            self.queue.push(Queued {
                level,
                wall_ms,
                msg: msg.to_string(),
            });
            return;
        }
        if self.enabled(level) {
            self.emit(level, msg, wall_ms);
        }
    }

    /// CRIT
    pub fn critical(&mut self, msg: &str) {
        self.log(LogLevel::Critical, msg);
    }
    /// ERRO
    pub fn error(&mut self, msg: &str) {
        self.log(LogLevel::Error, msg);
    }
    /// WARN
    pub fn warn(&mut self, msg: &str) {
        self.log(LogLevel::Warn, msg);
    }
    /// INFO
    pub fn info(&mut self, msg: &str) {
        self.log(LogLevel::Info, msg);
    }
    /// DEBG
    pub fn debug(&mut self, msg: &str) {
        self.log(LogLevel::Debug, msg);
    }
    /// TRAC
    pub fn trace(&mut self, msg: &str) {
        self.log(LogLevel::Trace, msg);
    }
    /// BLAT
    pub fn blather(&mut self, msg: &str) {
        self.log(LogLevel::Blather, msg);
    }

    fn emit(&mut self, level: LogLevel, msg: &str, wall_ms: u64) {
        let Some(sinks) = self.sinks.as_mut() else {
            return;
        };
        let tm = sys::localtime((wall_ms / 1000) as i64);
        let ms = (wall_ms % 1000) as u32;
        let line = format_line(&tm, ms, level, msg);
        if let Some(file) = sinks.file.as_mut() {
            let events = write_line(file, &mut sinks.torn, &line);
            report_own_events(file, &mut sinks.torn, events, &tm, ms);
        }
        if let Some(syslog) = &sinks.syslog {
            let prefix = format!("{} {} ", asctime(&tm, ms), level.label());
            syslog.send_lines_at(&tm, prefix.as_bytes(), msg.as_bytes(), b"\n");
        }
        match sinks.echo.as_mut() {
            Some(Echo::Own(f)) => {
                let _ = f.write(line.as_bytes());
            }
            Some(Echo::Fd1) => {
                let mut out = io::stdout().lock();
                let _ = out.write_all(line.as_bytes()).and_then(|_| out.flush());
            }
            None => {}
        }
    }
}

/// The activity log cannot log its own failures while they happen; once writing works
/// again it records what was lost (and rotation trouble) in itself.
fn report_own_events(file: &mut LogFile, torn: &mut bool, events: Vec<LogEvent>, tm: &Tm, ms: u32) {
    for ev in events {
        let msg = match ev {
            LogEvent::WriteFailed { .. } => continue,
            LogEvent::Resumed { lost_bytes } => {
                format!("activity log: {lost_bytes} bytes could not be written and were dropped")
            }
            LogEvent::RotateFailed { errno_name } => format!(
                "activity log: could not rotate {}: {errno_name}",
                file.path().display()
            ),
            LogEvent::FreshFailed { errno_name } => format!(
                "activity log: rotated {} but could not create a fresh file there: {errno_name}; \
                 refusing whatever is at that name",
                file.path().display()
            ),
        };
        let _ = write_line(file, torn, &format_line(tm, ms, LogLevel::Warn, &msg));
    }
}

/// What [`write_line`] needs of a log file (a fake one in tests).
trait LineFile {
    fn write(&mut self, data: &[u8]) -> Vec<LogEvent>;
    fn lost_bytes(&self) -> u64;
    fn size(&self) -> u64;
    fn is_special(&self) -> bool;
}

impl LineFile for LogFile {
    fn write(&mut self, data: &[u8]) -> Vec<LogEvent> {
        LogFile::write(self, data)
    }
    fn lost_bytes(&self) -> u64 {
        LogFile::lost_bytes(self)
    }
    fn size(&self) -> u64 {
        LogFile::size(self)
    }
    fn is_special(&self) -> bool {
        LogFile::is_special(self)
    }
}

/// Writes one whole line with one write, keeping the file at a line boundary: when a write
/// was cut short (ENOSPC after part of it), `torn` is set and the next line starts with the
/// newline the torn one lacks, so a message is never glued to the next timestamp.
fn write_line(file: &mut impl LineFile, torn: &mut bool, line: &str) -> Vec<LogEvent> {
    let data = if *torn {
        format!("\n{line}")
    } else {
        line.to_string()
    };
    let (lost_before, size_before) = (file.lost_bytes(), file.size());
    let events = file.write(data.as_bytes());
    let resumed = events.iter().any(|e| matches!(e, LogEvent::Resumed { .. }));
    // Resumed means this write succeeded and the loss count was reset.
    let dropped = if resumed {
        0
    } else {
        file.lost_bytes().saturating_sub(lost_before)
    };
    let written = data.len() as u64 - dropped.min(data.len() as u64);
    let rotated = !file.is_special() && file.size() < size_before + written;
    // The file ends where this write stopped (or, rotated, with nothing of it).
    if rotated {
        *torn = false;
    } else if written > 0 {
        *torn = data.as_bytes()[written as usize - 1] != b'\n';
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        let tm = Tm {
            year: 2026,
            mon: 11,
            mday: 23,
            hour: 18,
            min: 59,
            sec: 26,
            ..Tm::default()
        };
        let cases = [
            (
                LogLevel::Info,
                "spawned: 'lis' with pid 4961",
                "2026-11-23 18:59:26,288 INFO spawned: 'lis' with pid 4961\n",
            ),
            (LogLevel::Critical, "x", "2026-11-23 18:59:26,288 CRIT x\n"),
            (
                LogLevel::Debug,
                "'a' stdout output:\nhi\n",
                "2026-11-23 18:59:26,288 DEBG 'a' stdout output:\nhi\n\n",
            ),
        ];
        for (level, msg, want) in cases {
            assert_eq!(format_line(&tm, 288, level, msg), want);
        }
    }

    #[test]
    fn threshold() {
        let l = Logger::new(LogLevel::Warn);
        assert!(l.enabled(LogLevel::Critical));
        assert!(l.enabled(LogLevel::Warn));
        assert!(!l.enabled(LogLevel::Info));
        assert!(!l.enabled(LogLevel::Blather));
        assert!(!l.is_open());
    }

    /// A file that accepts at most `room` more bytes, like a filling disk.
    struct Fake {
        data: Vec<u8>,
        room: usize,
        lost: u64,
        failing: bool,
    }

    impl LineFile for Fake {
        fn write(&mut self, data: &[u8]) -> Vec<LogEvent> {
            let n = data.len().min(self.room);
            self.data.extend_from_slice(&data[..n]);
            self.room -= n;
            let mut events = Vec::new();
            if n < data.len() {
                self.lost += (data.len() - n) as u64;
                if !self.failing {
                    self.failing = true;
                    events.push(LogEvent::WriteFailed {
                        errno_name: "ENOSPC",
                    });
                }
            } else if self.failing {
                self.failing = false;
                events.push(LogEvent::Resumed {
                    lost_bytes: std::mem::take(&mut self.lost),
                });
            }
            events
        }
        fn lost_bytes(&self) -> u64 {
            self.lost
        }
        fn size(&self) -> u64 {
            self.data.len() as u64
        }
        fn is_special(&self) -> bool {
            false
        }
    }

    #[test]
    fn a_short_write_never_glues_the_next_line_to_it() {
        let mut f = Fake {
            data: Vec::new(),
            room: 10,
            lost: 0,
            failing: false,
        };
        let mut torn = false;
        write_line(&mut f, &mut torn, "T1 one\n");
        write_line(&mut f, &mut torn, "T2 two\n"); // cut after "T2 "
        assert!(torn);
        write_line(&mut f, &mut torn, "T3 three\n"); // disk full: nothing written
        assert!(torn);
        f.room = 100;
        write_line(&mut f, &mut torn, "T4 four\n");
        assert!(!torn);
        write_line(&mut f, &mut torn, "T5 five\n");
        assert_eq!(
            String::from_utf8(f.data.clone()).unwrap(),
            "T1 one\nT2 \nT4 four\nT5 five\n"
        );
        f.room = 4;
        write_line(&mut f, &mut torn, "T6 six\n");
        assert!(torn);
        // Only the newline fits: the tear is repaired, the new line is lost whole.
        f.room = 1;
        write_line(&mut f, &mut torn, "T7 seven\n");
        assert!(!torn);
        f.room = 100;
        write_line(&mut f, &mut torn, "T9 nine\n");
        let text = String::from_utf8(f.data).unwrap();
        assert!(text.ends_with("T5 five\nT6 s\nT9 nine\n"), "{text:?}");
        assert!(text.lines().all(|l| l.is_empty() || l.starts_with('T')));
    }

    #[test]
    fn queue_is_bounded() {
        let mut l = Logger::new(LogLevel::Info);
        for i in 0..QUEUE_LIMIT + 5 {
            l.log_at(LogLevel::Info, &i.to_string(), 0);
        }
        assert_eq!(l.queue.len(), QUEUE_LIMIT);
        assert_eq!(l.queue[0].msg, "5");
    }
}
