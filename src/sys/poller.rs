//! A safe face for `polling::Poller`, whose `add` is `unsafe` because the poller must not
//! outlive the registration of a descriptor that gets closed. Every descriptor the daemon
//! watches is owned by a table in the daemon, and the daemon calls [`Reactor::unwatch`]
//! before it drops that owner; that is the invariant the SAFETY comment below relies on.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use polling::{Event, Events, PollMode, Poller};

/// Interest in a descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    /// Wake when readable.
    pub read: bool,
    /// Wake when writable.
    pub write: bool,
}

impl Interest {
    /// Readable only.
    pub const READ: Interest = Interest {
        read: true,
        write: false,
    };
    /// Readable and writable.
    pub const BOTH: Interest = Interest {
        read: true,
        write: true,
    };
    /// Writable only.
    pub const WRITE: Interest = Interest {
        read: false,
        write: true,
    };
    /// Nothing (registered but quiet).
    pub const NONE: Interest = Interest {
        read: false,
        write: false,
    };

    fn event(self, key: usize) -> Event {
        match (self.read, self.write) {
            (true, true) => Event::all(key),
            (true, false) => Event::readable(key),
            (false, true) => Event::writable(key),
            (false, false) => Event::none(key),
        }
    }
}

/// One readiness report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    /// The key given to `watch`.
    pub key: usize,
    /// Readable (or hung up).
    pub readable: bool,
    /// Writable.
    pub writable: bool,
}

/// The poll set. Level-triggered, so a source that still has data is reported again on the
/// next wait and nothing needs re-arming.
#[derive(Debug)]
pub struct Reactor {
    poller: Poller,
    events: Events,
}

impl Reactor {
    /// Creates the poller (epoll on Linux).
    pub fn new() -> io::Result<Reactor> {
        Ok(Reactor {
            poller: Poller::new()?,
            events: Events::new(),
        })
    }

    /// Starts watching `fd` under `key`. The caller must call [`Reactor::unwatch`] before the
    /// descriptor is closed.
    pub fn watch(&self, fd: BorrowedFd<'_>, key: usize, interest: Interest) -> io::Result<()> {
        // SAFETY: polling requires the source to be deleted before it is closed. Every caller
        // keeps the owning object in a table and unwatches it before dropping it (module docs).
        unsafe {
            self.poller
                .add_with_mode(fd.as_raw_fd(), interest.event(key), PollMode::Level)
        }
    }

    /// Changes the interest of a watched descriptor.
    pub fn modify(&self, fd: BorrowedFd<'_>, key: usize, interest: Interest) -> io::Result<()> {
        self.poller
            .modify_with_mode(fd, interest.event(key), PollMode::Level)
    }

    /// Stops watching a descriptor; call before closing it.
    pub fn unwatch(&self, fd: BorrowedFd<'_>) {
        // A failure means it was not registered; nothing to undo.
        let _ = self.poller.delete(fd);
    }

    /// Waits until something is ready or `timeout` passes (`None` = no timeout: an idle
    /// daemon sleeps here without waking). Returns the ready sources.
    pub fn wait(&mut self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        self.events.clear();
        match self.poller.wait(&mut self.events, timeout) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        out.extend(self.events.iter().map(|ev| Ready {
            key: ev.key,
            readable: ev.readable,
            writable: ev.writable,
        }));
        Ok(())
    }
}
