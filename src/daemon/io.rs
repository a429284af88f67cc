//! The I/O part: the poller and the one table of sources that owns every descriptor the
//! loop watches (the signal pipe, control servers and clients, children's pipes). A source
//! is removed, unwatched and closed in one call; a readiness report resolves to its source
//! with one `match`. Every pipe the daemon reads (a child's stdout or stderr, a listener's
//! stdout, a child's exec-status pipe) is read by [`Io::read`] into the buffer owned here.
//!
//! Trickling output pipes are parked (out of the poll set) and read in batches on a shared
//! grid; the schedule is `output::OutputPipe`'s pure policy, the bookkeeping is here.

use std::fs::File;
use std::io::{self, Write as _};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use crate::daemon::output::{self, OutputPipe, ReadResult, READ_CHUNK};
use crate::daemon::procs::{ProcId, Stream};
use crate::daemon::signals::SignalPipe;
use crate::daemon::sockets::{Server, Sock};
use crate::sys::poller::{Interest, Ready, Sources};
use crate::time::Mono;

pub use crate::sys::poller::Key;

/// Something the loop watches; it owns its descriptor.
#[derive(Debug)]
pub enum Source {
    /// The signal self-pipe (boxed: it is large and there is one).
    Signals(Box<SignalPipe>),
    /// A listening control socket (boxed: its config is large and servers are few).
    Server(Box<Server>),
    /// A control client's connection.
    Client(Sock),
    /// A child's stdout or stderr (a listener's stdout carries its protocol).
    Output(OutputPipe),
    /// A child's close-on-exec status pipe, until it execs.
    ExecStatus {
        /// The child's process.
        proc: ProcId,
        /// The read end.
        file: File,
    },
    /// The write end of a child's stdin.
    Stdin {
        /// The child's process.
        proc: ProcId,
        /// The write end (non-blocking).
        file: File,
    },
    /// A readiness or health probe of a process: the TCP socket of a `tcp:`/`http://` check,
    /// or the output pipe of an `exec:` check (read and kept short for the failure line).
    Probe {
        /// The probed process.
        proc: ProcId,
        /// The socket or pipe (non-blocking).
        file: File,
    },
    /// The `$NOTIFY_SOCKET` of a `ready=notify` process (datagrams with credentials).
    Notify {
        /// The process it belongs to.
        proc: ProcId,
        /// The bound datagram socket (non-blocking).
        sock: std::os::unix::net::UnixDatagram,
    },
}

impl AsFd for Source {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Source::Signals(s) => s.fd(),
            Source::Server(s) => s.as_fd(),
            Source::Client(s) => s.as_fd(),
            Source::Output(p) => p.file.as_fd(),
            Source::ExecStatus { file, .. }
            | Source::Stdin { file, .. }
            | Source::Probe { file, .. } => file.as_fd(),
            Source::Notify { sock, .. } => sock.as_fd(),
        }
    }
}

/// Where bytes read by [`Io::read`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A child's output stream.
    Output(ProcId, Stream),
    /// A child's exec-status pipe.
    ExecStatus(ProcId),
}

/// What one read of a pipe gave.
#[derive(Debug)]
pub enum Read<'a> {
    /// Bytes, and whose they are.
    Data(Origin, &'a [u8]),
    /// Nothing now (or not a pipe).
    Empty,
    /// The pipe closed; the source is gone.
    Closed(Origin),
}

/// The poller, its sources, and the read buffer.
#[derive(Debug)]
pub struct Io {
    sources: Sources<Source>,
    buf: Vec<u8>,
    ready: Vec<Ready>,
    /// When parked pipes are next read (the earliest `parked_until`), cached so that a
    /// wake-up costs nothing per idle pipe.
    batch_due: Option<Mono>,
}

impl Io {
    /// A new poller watching the signal pipe.
    pub fn new(signals: SignalPipe) -> io::Result<Io> {
        let mut sources = Sources::new()?;
        sources.insert(Source::Signals(Box::new(signals)), Interest::READ)?;
        Ok(Io {
            sources,
            buf: vec![0; READ_CHUNK],
            ready: Vec::new(),
            batch_due: None,
        })
    }

    /// A poller without the signal pipe, for tests.
    #[cfg(test)]
    pub fn for_tests() -> Io {
        Io {
            sources: Sources::new().unwrap(),
            buf: vec![0; READ_CHUNK],
            ready: Vec::new(),
            batch_due: None,
        }
    }

    /// Takes `source` and watches it for `interest`.
    pub fn add(&mut self, source: Source, interest: Interest) -> io::Result<Key> {
        self.sources.insert(source, interest)
    }

    /// Unwatches, closes and forgets a source.
    pub fn remove(&mut self, key: Key) {
        drop(self.sources.remove(key));
    }

    /// Unwatches a source and hands it back.
    pub fn take(&mut self, key: Key) -> Option<Source> {
        self.sources.remove(key)
    }

    /// The source under `key`.
    pub fn get(&self, key: Key) -> Option<&Source> {
        self.sources.get(key)
    }

    /// The source under `key`, mutably.
    pub fn get_mut(&mut self, key: Key) -> Option<&mut Source> {
        self.sources.get_mut(key)
    }

    /// Changes what a source is watched for; false when that failed.
    pub fn set_interest(&mut self, key: Key, interest: Interest) -> bool {
        self.sources.set_interest(key, interest).is_ok()
    }

    /// Keys of the sources `pick` selects.
    pub fn keys_where(&self, pick: impl FnMut(&Source) -> bool) -> Vec<Key> {
        self.sources.keys_where(pick)
    }

    /// Keys of the output and exec-status pipes of `proc`.
    pub fn pipes_of(&self, proc: ProcId) -> Vec<Key> {
        self.keys_where(|s| match s {
            Source::Output(p) => p.proc == proc,
            Source::ExecStatus { proc: p, .. } => *p == proc,
            _ => false,
        })
    }

    /// Waits for readiness until `timeout` (`None`: forever).
    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<Vec<Ready>> {
        let mut ready = std::mem::take(&mut self.ready);
        ready.clear();
        let res = self.sources.wait(timeout, &mut ready);
        res.map(|_| ready)
    }

    /// Gives the readiness vector back for reuse.
    pub fn recycle(&mut self, ready: Vec<Ready>) {
        self.ready = ready;
    }

    /// Reads the signals that arrived.
    pub fn signals(&mut self) -> Vec<i32> {
        let keys = self.keys_where(|s| matches!(s, Source::Signals(_)));
        keys.first()
            .and_then(|k| match self.sources.get_mut(*k) {
                Some(Source::Signals(s)) => Some(s.pending()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Hands the signal pipe back (at exit).
    pub fn into_signals(mut self) -> Option<SignalPipe> {
        let key = *self
            .keys_where(|s| matches!(s, Source::Signals(_)))
            .first()?;
        match self.sources.remove(key) {
            Some(Source::Signals(s)) => Some(*s),
            _ => None,
        }
    }

    // ----- the one read path ---------------------------------------------------------

    /// Reads once from the pipe under `key` into the buffer. A closed pipe is removed.
    pub fn read(&mut self, key: Key) -> Read<'_> {
        let (origin, result) = match self.sources.get_mut(key) {
            Some(Source::Output(p)) => (
                Origin::Output(p.proc, p.stream),
                output::read_once(&p.file, &mut self.buf),
            ),
            Some(Source::ExecStatus { proc, file }) => (
                Origin::ExecStatus(*proc),
                output::read_once(file, &mut self.buf[..8]),
            ),
            _ => return Read::Empty,
        };
        match result {
            ReadResult::Data(n) => Read::Data(origin, &self.buf[..n]),
            ReadResult::Empty => Read::Empty,
            ReadResult::Eof => {
                self.remove(key);
                Read::Closed(origin)
            }
        }
    }

    /// Whether a readable output pipe should be parked rather than read now; parks it.
    pub fn park_if_trickling(&mut self, key: Key, now: Mono) -> bool {
        let Some(Source::Output(p)) = self.sources.get(key) else {
            return false;
        };
        if p.parked_until.is_some() || !p.should_park(now) {
            return false;
        }
        if !self.set_interest(key, Interest::NONE) {
            return false;
        }
        let due = output::next_batch(now);
        if let Some(Source::Output(p)) = self.sources.get_mut(key) {
            p.parked_until = Some(due);
        }
        self.batch_due = Some(self.batch_due.map_or(due, |t| t.min(due)));
        true
    }

    /// Records a read of `n` bytes from an output pipe read at `now`.
    pub fn note_read(&mut self, key: Key, n: usize, now: Mono) {
        if let Some(Source::Output(p)) = self.sources.get_mut(key) {
            p.last_read = now;
            p.last_len = u32::try_from(n).unwrap_or(u32::MAX);
            p.note_read(n);
        }
    }

    /// Parked pipes whose batch time has come.
    pub fn due_batches(&self, now: Mono) -> Vec<Key> {
        if self.batch_due.is_none_or(|t| t > now) {
            return Vec::new();
        }
        self.keys_where(
            |s| matches!(s, Source::Output(p) if p.parked_until.is_some_and(|t| t <= now)),
        )
    }

    /// After a batch read of a parked pipe: it stays parked while it trickles; one that went
    /// quiet, or filled up like a fast writer, goes back to the poll set.
    pub fn after_batch(&mut self, key: Key, result: &ReadResult, now: Mono) {
        let Some(Source::Output(p)) = self.sources.get_mut(key) else {
            return;
        };
        if p.after_batch(result, now) {
            p.parked_until = Some(output::next_batch(now));
        } else {
            p.parked_until = None;
            self.set_interest(key, Interest::READ);
        }
    }

    /// Recomputes the batch time after a round of batch reads.
    pub fn reschedule_batches(&mut self) {
        self.batch_due = self
            .sources
            .iter()
            .filter_map(|(_, s)| match s {
                Source::Output(p) => p.parked_until,
                _ => None,
            })
            .min();
    }

    /// When parked pipes are next read.
    pub fn batch_due(&self) -> Option<Mono> {
        self.batch_due
    }

    // ----- writes --------------------------------------------------------------------

    /// Writes to a stdin or client source without blocking; `Ok(n)` may be short (0 when
    /// the descriptor has no room).
    pub fn write(&mut self, key: Key, data: &[u8]) -> io::Result<usize> {
        let res = match self.sources.get_mut(key) {
            Some(Source::Stdin { file, .. }) => file.write(data),
            Some(Source::Client(sock)) => sock.write(data),
            _ => return Err(io::Error::from(io::ErrorKind::BrokenPipe)),
        };
        match res {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            other => other,
        }
    }

    /// Bytes a write to the stdin pipe under `key` surely takes whole now (a lower bound:
    /// the pipe's size less what it holds, less two pages of slack for partly used pages);
    /// 0 when unknown.
    pub fn stdin_room(&self, key: Key) -> usize {
        let Some(Source::Stdin { file, .. }) = self.sources.get(key) else {
            return 0;
        };
        let (Ok(size), Ok(held)) = (
            crate::sys::fd::pipe_size(file),
            crate::sys::fd::bytes_readable(file),
        ) else {
            return 0;
        };
        size.saturating_sub(held).saturating_sub(2 * 4096)
    }

    /// A child's stdin has room: writes more of the `sendstdin` text `out` holds; stops
    /// watching when it is all out (or the child closed its stdin, which drops the rest).
    pub fn write_stdin(&mut self, key: Key, out: &mut Vec<u8>) {
        match self.write(key, out) {
            Ok(n) => {
                out.drain(..n);
            }
            Err(_) => out.clear(),
        }
        if out.is_empty() {
            self.set_interest(key, Interest::NONE);
        }
    }

    /// Reads from a client socket (bounded by `buf`).
    pub fn read_client(&mut self, key: Key, buf: &mut [u8]) -> io::Result<usize> {
        match self.sources.get_mut(key) {
            Some(Source::Client(sock)) => loop {
                match sock.read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => return other,
                }
            },
            _ => Ok(0),
        }
    }

    /// Watches a newly spawned child's pipes.
    pub fn add_child_pipes(&mut self, proc: ProcId, pipes: ChildPipes) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(status) = pipes.exec_status {
            let src = Source::ExecStatus {
                proc,
                file: File::from(status),
            };
            if let Err(e) = self.add(src, Interest::READ) {
                problems.push(format!("cannot watch exec status pipe: {e}"));
            }
        }
        for (fd, stream) in [
            (Some(pipes.stdout), Stream::Stdout),
            (pipes.stderr, Stream::Stderr),
        ] {
            let Some(fd) = fd else { continue };
            let mut pipe = OutputPipe::new(File::from(fd), proc, stream);
            pipe.protocol = stream == Stream::Stdout && pipes.listener;
            if let Err(e) = self.add(Source::Output(pipe), Interest::READ) {
                problems.push(format!("cannot watch {} pipe: {e}", stream.name()));
            }
        }
        problems
    }

    /// Lets the descriptors of `keys` be inherited across an `exec` (`on`), or makes them
    /// close-on-exec again; stops at the first failure.
    pub fn set_inherited(&self, keys: &[Key], on: bool) -> io::Result<()> {
        for k in keys {
            if let Some(src) = self.get(*k) {
                crate::sys::fd::set_cloexec(src, !on)?;
            }
        }
        Ok(())
    }

    /// Number of sources held.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// True when nothing is held (never: the signal pipe is always there).
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// A new child's pipe ends the loop reads.
#[derive(Debug)]
pub struct ChildPipes {
    /// stdout (and stderr when redirected).
    pub stdout: OwnedFd,
    /// stderr, unless redirected.
    pub stderr: Option<OwnedFd>,
    /// The close-on-exec status pipe.
    pub exec_status: Option<OwnedFd>,
    /// The child is an event listener: its stdout is protocol, read at once.
    pub listener: bool,
}
