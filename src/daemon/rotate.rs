//! The `rotate` command (ours): a process's stdout and stderr logs rotated now, as a
//! size-triggered rotation would (the file becomes `.1`, older backups shift, the oldest
//! beyond `*_logfile_backups` goes; with no backups the file is truncated). `maxbytes` plays
//! no part, so `maxbytes = 0` with backups rotates only on demand. An empty log is left as
//! it is. Special files (`/dev/stdout`, a FIFO) are never rotated.

use crate::daemon::output;
use crate::daemon::procs::{Proc, Stream};
use crate::logfile::activity::Logger;
use crate::logfile::writer::{log_dir_of, LogEvent, RotateNow};
use crate::protocol::fault::Fault;
use crate::sys;

/// Whether the process has a log that `rotate` could rotate: a path that is not a stream
/// alias such as `/dev/stdout`. `rotate all` and `rotate g:*` take only these.
pub fn has_log_file(p: &Proc) -> bool {
    p.logs
        .iter()
        .any(|l| l.path.as_deref().is_some_and(|p| log_dir_of(p).is_some()))
}

/// Rotates both logs of `proc`. `Err` carries the fault and its text for the reply line:
/// no regular log file at all, or a rotation that failed (also logged).
pub fn rotate_proc(proc: &mut Proc, logger: &mut Logger) -> Result<(), (Fault, String)> {
    if proc
        .logs
        .iter()
        .any(|l| l.path.is_some() && l.file.is_none())
    {
        // Never spawned yet: its logs were never opened.
        for (level, msg) in output::open_logs(proc) {
            logger.log(level, &msg);
        }
    }
    let mut rotated = false;
    let mut failure = None;
    for (i, stream) in [Stream::Stdout, Stream::Stderr].into_iter().enumerate() {
        let Some(file) = proc.logs[i].file.as_mut() else {
            continue;
        };
        match file.rotate_now() {
            Ok((RotateNow::Special, _)) => {}
            Ok((_, events)) => {
                rotated = true;
                for ev in events {
                    if let LogEvent::RotateFailed { errno_name }
                    | LogEvent::FreshFailed { errno_name } = ev
                    {
                        failure.get_or_insert(format!(
                            "could not rotate {} log: {errno_name}",
                            stream.name()
                        ));
                    }
                    output::report_log_event(proc, stream, ev, logger);
                }
            }
            Err(e) => {
                rotated = true;
                let errno = sys::errno_name(e.raw_os_error().unwrap_or(libc::EIO));
                failure.get_or_insert(format!("could not open {} log: {errno}", stream.name()));
            }
        }
    }
    // A process that is not running holds no log descriptor.
    if proc.machine.pid().is_none() {
        proc.close_logs();
    }
    match (rotated, failure) {
        (_, Some(why)) => Err((Fault::Failed, why)),
        (false, None) => Err((Fault::NoFile, "no log file to rotate".to_string())),
        (true, None) => Ok(()),
    }
}
