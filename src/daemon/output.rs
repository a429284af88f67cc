//! Child output: what happens to bytes read from a child's stdout/stderr pipe. They go to
//! the channel's log file as is (after optional ANSI stripping), to syslog when asked, and
//! into the activity log at debug level, as the reference does, and become events when a
//! listener wants them (capture mode, `*_events_enabled`). Log-file trouble (a full disk) is
//! reported once and never stops the loop.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};

use crate::config::model::LogLevel;
use crate::config::model::LogTarget as ConfLogTarget;
use crate::daemon::procs::{Proc, ProcId, Stream};
use crate::events::capture::Out;
use crate::events::types::Event;
use crate::logfile::activity::Logger;
use crate::logfile::syslog::Syslog;
use crate::logfile::writer::{open_error_text, LogEvent, LogFile, LogPerms};
use crate::time::Mono;

/// Bytes read from one pipe per wake-up. Large enough that a fast writer costs one read and
/// one write per wake-up, even from a grown pipe; bounded so one chatty child cannot starve
/// the others.
pub const READ_CHUNK: usize = BIG_PIPE;

/// The size a pipe is grown to once it is seen full: with the default 64 KiB the writer
/// blocks and both sides pay a wake-up per 64 KiB (a producer piped into a reader that does
/// nothing else measured 680 MB/s here, 1400-1600 MB/s with 256 KiB). 1 GiB into a log
/// measured 1.5-1.8 GB/s and 0.43-0.52 s CPU/GB with 256 KiB, against ~1 GB/s and 0.7 s/GB
/// before; 512 KiB and 1 MiB were faster at best but much less steady (0.5-2 GB/s). Only
/// pipes that fill up are grown, so quiet programs do not count against the user's pipe
/// quota (`/proc/sys/fs/pipe-user-pages-soft`), past which the kernel gives new pipes 8 KiB.
pub const BIG_PIPE: usize = 256 * 1024;
/// A read this big means the writer filled the default pipe.
const FULL_PIPE: usize = 64 * 1024;

/// A child's output pipe being read.
#[derive(Debug)]
pub struct OutputPipe {
    /// Read end (non-blocking).
    pub file: File,
    /// The process that writes it.
    pub proc: ProcId,
    /// Which stream.
    pub stream: Stream,
    /// When it was last read, and how much that read got: a child that trickles small
    /// writes is read in batches (see [`BATCH_MS`]).
    pub last_read: Mono,
    /// Bytes of the last read.
    pub last_len: u32,
    /// Out of the poll set until this time, so small writes pile up in the pipe.
    pub parked_until: Option<Mono>,
    /// Whether growing the pipe was tried (once: it is a fast writer's pipe).
    pub grown: bool,
    /// A listener's stdout: protocol replies are read at once, never batched (each one
    /// holds up the next event).
    pub protocol: bool,
}

impl OutputPipe {
    /// A pipe that has not been read yet.
    pub fn new(file: File, proc: ProcId, stream: Stream) -> OutputPipe {
        OutputPipe {
            file,
            proc,
            stream,
            last_read: Mono::default(),
            last_len: 0,
            parked_until: None,
            grown: false,
            protocol: false,
        }
    }

    /// After a read of `n` bytes: a read that emptied a full default pipe is a fast writer's,
    /// whose pipe is grown to [`BIG_PIPE`] (tried once; refused above the system's limits,
    /// which only leaves it as it was).
    pub fn note_read(&mut self, n: usize) {
        if !self.grown && n >= FULL_PIPE {
            self.grown = true;
            let _ = crate::sys::fd::set_pipe_size(&self.file, BIG_PIPE);
        }
    }

    /// Whether a readable pipe should wait before being read: the previous read was recent
    /// and small, so the child writes lines one by one. Reading each line as it comes costs a
    /// wake-up, a read and a write per line; waiting turns many of those into one, while a
    /// fast writer (big reads) is never delayed.
    pub fn should_park(&self, now: Mono) -> bool {
        !self.protocol
            && (self.last_len as usize) < BATCH_SMALL
            && now < self.last_read.plus_ms(BATCH_MS)
            // A fast writer can produce one small read too: what is waiting now tells.
            && crate::sys::fd::bytes_readable(&self.file).is_ok_and(|n| n < BATCH_SMALL)
    }

    /// Records what a batch read of a parked pipe gave; true when the pipe stays parked for
    /// the next batch. A pipe that went quiet or filled like a fast writer goes back to the
    /// poll set: a quiet one costs nothing there, a fast one must not wait.
    pub fn after_batch(&mut self, result: &ReadResult, now: Mono) -> bool {
        match *result {
            ReadResult::Data(n) => {
                self.last_read = now;
                self.last_len = u32::try_from(n).unwrap_or(u32::MAX);
                n < BATCH_UNPARK
            }
            ReadResult::Empty => {
                // The next line is read when it comes; batching starts again after it.
                self.last_read = Mono::default();
                false
            }
            ReadResult::Eof => false,
        }
    }
}

/// How long a trickling pipe is left to fill before it is read again.
pub const BATCH_MS: u64 = 50;
/// A read below this size counts as a trickle.
const BATCH_SMALL: usize = 4096;
/// A parked pipe that gave this much in one batch is a fast writer: back to the poll set
/// before its pipe (64 KiB) fills and blocks it.
pub const BATCH_UNPARK: usize = 16 * 1024;

/// When parked pipes are read next: on a grid shared by all pipes, so every parked pipe is
/// read in the same wake-up.
pub fn next_batch(now: Mono) -> Mono {
    Mono((now.0 / BATCH_MS + 1) * BATCH_MS)
}

/// What one read gave.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadResult {
    /// This many bytes are in the buffer.
    Data(usize),
    /// Nothing now.
    Empty,
    /// The write end is closed everywhere.
    Eof,
}

/// Reads once from `fd` into `buf`.
pub fn read_once(mut file: &File, buf: &mut [u8]) -> ReadResult {
    loop {
        match file.read(buf) {
            Ok(0) => return ReadResult::Eof,
            Ok(n) => return ReadResult::Data(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ReadResult::Empty,
            Err(_) => return ReadResult::Eof,
        }
    }
}

/// Opens a process's log files if they are not open yet (at the first spawn). Returns warnings
/// to log.
pub fn open_logs(proc: &mut Proc) -> Vec<(LogLevel, String)> {
    let mut out = Vec::new();
    let cfg = proc.machine.shared_config().clone();
    for (i, ch) in [&cfg.stdout, &cfg.stderr].iter().enumerate() {
        let log = &mut proc.logs[i];
        if log.file.is_some() {
            continue;
        }
        let Some(path) = log.path.clone() else {
            continue;
        };
        // AUTO logs keep the 0600 they were created with across rotation.
        let default_mode = if matches!(ch.logfile, ConfLogTarget::Auto) {
            0o600
        } else {
            0o666
        };
        let perms = LogPerms {
            mode: ch.log.mode.unwrap_or(default_mode),
            exact: ch.log.mode.is_some(),
            owner: ch.log.owner,
        };
        match LogFile::open_shared(path.clone(), ch.logfile_maxbytes, ch.logfile_backups, perms) {
            Ok(f) => {
                if f.maxbytes_ignored() && ch.logfile_maxbytes > 0 {
                    out.push((
                        LogLevel::Warn,
                        format!(
                            "'{}' {} log {} is not a regular file; not rotating it ({}_logfile_maxbytes is ignored)",
                            cfg.name,
                            if i == 0 { "stdout" } else { "stderr" },
                            path.display(),
                            if i == 0 { "stdout" } else { "stderr" },
                        ),
                    ));
                }
                log.file = Some(f);
            }
            Err(e) => out.push((
                LogLevel::Critical,
                format!(
                    "could not open log file {}: {}",
                    path.display(),
                    open_error_text(&e)
                ),
            )),
        }
    }
    out
}

/// Sends `data` read from `stream` of `proc` to its destinations. In capture mode, what
/// lies between the capture tokens goes into the capture buffer instead of the log, and a
/// finished capture becomes a PROCESS_COMMUNICATION event. Returns the events raised;
/// PROCESS_LOG events only when `log_events` (some pool listens for them) and the channel
/// has `*_events_enabled`.
pub fn deliver(
    proc: &mut Proc,
    stream: Stream,
    data: &[u8],
    logger: &mut Logger,
    syslog: &Syslog,
    log_events: bool,
) -> Vec<Event> {
    let mut events = Vec::new();
    let log = &mut proc.logs[stream as usize];
    let Some(capture) = log.capture.as_mut() else {
        let stripped = strip(proc, stream, data);
        record(
            proc,
            stream,
            &stripped,
            false,
            logger,
            syslog,
            log_events,
            &mut events,
        );
        return events;
    };
    // Pieces are stripped before they are logged or captured, as the reference does.
    let outs = match log.stripper.as_mut() {
        Some(s) => capture.feed_with(data, &mut |p| s.strip(p)),
        None => capture.feed(data),
    };
    for out in outs {
        match out {
            Out::Log { data, captured } => record(
                proc,
                stream,
                &data,
                captured,
                logger,
                syslog,
                log_events,
                &mut events,
            ),
            Out::Comm(data) => {
                let name = proc.machine.name();
                events.push(Event::process_comm(
                    name,
                    proc.group(),
                    proc.machine.pid().unwrap_or(0),
                    stream,
                    &data,
                ));
                logger.debug(&crate::messages::emitted_comm_event(name, stream.name()));
            }
        }
    }
    events
}

/// One piece of output (already stripped): echoed at debug level, logged (unless it was
/// captured), and raised as a PROCESS_LOG event when enabled (captured pieces too, as the
/// reference does).
#[allow(clippy::too_many_arguments)]
fn record(
    proc: &mut Proc,
    stream: Stream,
    data: &[u8],
    captured: bool,
    logger: &mut Logger,
    syslog: &Syslog,
    log_events: bool,
    events: &mut Vec<Event>,
) {
    if data.is_empty() {
        return;
    }
    if logger.enabled(LogLevel::Debug) {
        logger.debug(&format!(
            "'{}' {} output:\n{}",
            proc.machine.name(),
            stream.name(),
            String::from_utf8_lossy(data)
        ));
    }
    let cfg = proc.machine.config();
    let ch = match stream {
        Stream::Stdout => &cfg.stdout,
        Stream::Stderr => &cfg.stderr,
    };
    let raise = log_events && ch.events_enabled;
    if !captured {
        if ch.syslog {
            syslog.child_output(proc.machine.name(), data);
        }
        write_log(proc, stream, data, logger);
    }
    if raise {
        events.push(Event::process_log(
            proc.machine.name(),
            proc.group(),
            proc.machine.pid().unwrap_or(0),
            stream,
            data,
        ));
    }
}

/// `data` without ANSI escapes when `strip_ansi` is on (the stripper keeps state across
/// reads, so an escape split between two reads is still removed).
pub fn strip<'a>(proc: &mut Proc, stream: Stream, data: &'a [u8]) -> Cow<'a, [u8]> {
    match proc.logs[stream as usize].stripper.as_mut() {
        Some(s) => Cow::Owned(s.strip(data)),
        None => Cow::Borrowed(data),
    }
}

/// Writes `data` to the stream's log file, if it has one (each line stamped with the local
/// time when `*_logfile_timestamps` is on), and reports write trouble.
pub fn write_log(proc: &mut Proc, stream: Stream, data: &[u8], logger: &mut Logger) {
    let log = &mut proc.logs[stream as usize];
    if log.file.is_none() {
        return;
    }
    let data = log.lines.apply(data, line_stamp);
    write_raw(proc, stream, &data, logger);
}

/// The stamp in front of a child log line: `2026-12-04T18:15:27.123+01:00 `.
fn line_stamp() -> String {
    let ms = crate::sys::wall_clock_ms();
    let tm = crate::sys::localtime((ms / 1000) as i64);
    let mut s = crate::time::iso8601_ms(&tm, (ms % 1000) as u32);
    s.push(' ');
    s
}

/// `log_lifecycle`: one activity-log line (`spawned: 'web' with pid 42`, with the activity
/// log's time and level) also written into the process's stdout log, after finishing the
/// child's partial line if it left one. A process that is not running keeps no descriptor.
pub fn write_lifecycle(proc: &mut Proc, level: LogLevel, msg: &str, logger: &mut Logger) {
    let log = &proc.logs[Stream::Stdout as usize];
    if log.path.is_none() {
        return;
    }
    if log.file.is_none() {
        // A spawn that failed before the logs were opened (no such command) is worth a line.
        for (level, msg) in open_logs(proc) {
            logger.log(level, &msg);
        }
    }
    let log = &mut proc.logs[Stream::Stdout as usize];
    let ms = crate::sys::wall_clock_ms();
    let tm = crate::sys::localtime((ms / 1000) as i64);
    let line = crate::logfile::activity::format_line(&tm, (ms % 1000) as u32, level, msg);
    let mut data = log.lines.end_line().to_vec();
    data.extend_from_slice(line.as_bytes());
    write_raw(proc, Stream::Stdout, &data, logger);
    if proc.machine.pid().is_none() {
        proc.close_logs();
    }
}

/// Writes bytes as they are and reports write trouble.
fn write_raw(proc: &mut Proc, stream: Stream, data: &[u8], logger: &mut Logger) {
    let Some(file) = proc.logs[stream as usize].file.as_mut() else {
        return;
    };
    let lost_before = file.lost_bytes();
    let events = file.write(data);
    // What this write lost: the growth of the file's loss count (a write that succeeds
    // after a failing spell resets it, and lost nothing).
    let dropped = file.lost_bytes().saturating_sub(lost_before);
    let written = (data.len() as u64).saturating_sub(dropped);
    proc.counters.on_log_write(stream, written, dropped);
    if events.is_empty() {
        return;
    }
    for ev in events {
        report_log_event(proc, stream, ev, logger);
    }
}

/// Logs what a [`LogEvent`] of `proc`'s `stream` log says.
pub fn report_log_event(proc: &Proc, stream: Stream, ev: LogEvent, logger: &mut Logger) {
    if let Some(file) = proc.logs[stream as usize].file.as_ref() {
        report(logger, proc.machine.name(), stream, file, ev);
    }
}

fn report(logger: &mut Logger, name: &str, stream: Stream, file: &LogFile, ev: LogEvent) {
    let path = file.path().display();
    match ev {
        LogEvent::WriteFailed { errno_name } => logger.critical(&format!(
            "cannot write {} log of '{name}' to {path}: {errno_name}; dropping output until writing works again",
            stream.name()
        )),
        LogEvent::Resumed { lost_bytes } => logger.warn(&format!(
            "writing {} log of '{name}' to {path} again; {lost_bytes} bytes were lost",
            stream.name()
        )),
        LogEvent::RotateFailed { errno_name } => logger.warn(&format!(
            "could not rotate {} log of '{name}' ({path}): {errno_name}",
            stream.name()
        )),
        LogEvent::FreshFailed { errno_name } => logger.error(&format!(
            "rotated {} log of '{name}' but could not create a fresh {path}: {errno_name}; \
             refusing whatever is at that name (a symbolic link is never followed)",
            stream.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn channel() -> (OutputPipe, File) {
        let (r, w) = crate::sys::pipe().unwrap();
        (
            OutputPipe::new(File::from(r), 0, Stream::Stdout),
            File::from(w),
        )
    }

    #[test]
    fn only_a_recent_small_trickle_is_parked() {
        let now = Mono::from_secs(100);
        let (mut ch, mut w) = channel();
        ch.last_read = now;
        ch.last_len = 80;
        w.write_all(b"one line\n").unwrap();
        assert!(
            ch.should_park(now.plus_ms(1)),
            "a line right after a line waits"
        );
        assert!(
            !ch.should_park(now.plus_ms(BATCH_MS)),
            "not after the batching time"
        );
        ch.last_len = 64 * 1024;
        assert!(
            !ch.should_park(now.plus_ms(1)),
            "a fast writer is never delayed"
        );
        ch.last_len = 80;
        w.write_all(&[b'x'; BATCH_SMALL]).unwrap();
        assert!(
            !ch.should_park(now.plus_ms(1)),
            "a pipe that holds a lot is read now"
        );
    }

    #[test]
    fn only_a_pipe_seen_full_is_grown() {
        let (mut ch, _w) = channel();
        ch.note_read(4096);
        assert_eq!(crate::sys::fd::pipe_size(&ch.file).unwrap(), 64 * 1024);
        ch.note_read(FULL_PIPE);
        assert!(ch.grown);
        assert_eq!(crate::sys::fd::pipe_size(&ch.file).unwrap(), BIG_PIPE);
    }

    #[test]
    fn a_parked_pipe_stays_parked_while_it_trickles() {
        let now = Mono::from_secs(100);
        let (mut ch, _w) = channel();
        assert!(ch.after_batch(&ReadResult::Data(8000), now));
        assert_eq!((ch.last_read, ch.last_len), (now, 8000));
        assert!(
            !ch.after_batch(&ReadResult::Data(BATCH_UNPARK), now),
            "a fast writer goes back to the poll set"
        );
        assert!(!ch.after_batch(&ReadResult::Empty, now), "a quiet pipe too");
        assert!(
            !ch.should_park(now.plus_ms(1)),
            "and its next line is read at once"
        );
        assert!(!ch.after_batch(&ReadResult::Eof, now));
    }

    #[test]
    fn batches_share_one_grid() {
        let a = next_batch(Mono(1_000_001));
        assert_eq!(a, next_batch(Mono(1_000_049)));
        assert_eq!(a.0 % BATCH_MS, 0);
        assert!(a > Mono(1_000_049));
    }
}
