//! The poll set, and the table that owns every descriptor in it.
//!
//! `polling::Poller::add` is `unsafe` because a descriptor must be deleted from the poller
//! before it is closed. [`Sources`] makes that a property of the type rather than of every
//! caller: it owns each watched source (anything [`AsFd`]), and the only ways to get one
//! back out ([`Sources::remove`], dropping the table) delete it from the poller first. A
//! source is registered lazily, on the first interest other than [`Interest::NONE`], so a
//! descriptor that is only written now and then (a child's stdin) costs no `epoll_ctl`.
//!
//! Keys carry a generation: a key whose source was removed, and whose index was reused
//! within the same batch of readiness reports, no longer resolves.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
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
    /// Nothing (owned, quiet).
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

/// A source's handle: an index into the table plus a generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(usize);

/// Bits of a key that hold the index (a million sources); the rest hold the generation.
const INDEX_BITS: u32 = 20;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;

impl Key {
    fn new(index: usize, generation: usize) -> Key {
        Key(index | (generation << INDEX_BITS))
    }

    fn index(self) -> usize {
        self.0 & INDEX_MASK
    }
}

/// One readiness report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    /// The source's key.
    pub key: Key,
    /// Readable (or hung up).
    pub readable: bool,
    /// Writable.
    pub writable: bool,
}

#[derive(Debug)]
struct Entry<S> {
    generation: usize,
    source: Option<S>,
    interest: Interest,
    registered: bool,
}

/// The poller and the sources it watches. Level-triggered, so a source that still has data
/// is reported again on the next wait and nothing needs re-arming.
#[derive(Debug)]
pub struct Sources<S: AsFd> {
    poller: Poller,
    events: Events,
    entries: Vec<Entry<S>>,
    free: Vec<usize>,
}

impl<S: AsFd> Sources<S> {
    /// An empty table over a new poller (epoll on Linux).
    pub fn new() -> io::Result<Sources<S>> {
        Ok(Sources {
            poller: Poller::new()?,
            events: Events::new(),
            entries: Vec::new(),
            free: Vec::new(),
        })
    }

    /// Takes ownership of `source` and watches it for `interest`.
    pub fn insert(&mut self, source: S, interest: Interest) -> io::Result<Key> {
        let index = match self.free.pop() {
            Some(i) => i,
            None if self.entries.len() <= INDEX_MASK => {
                self.entries.push(Entry {
                    generation: 0,
                    source: None,
                    interest: Interest::NONE,
                    registered: false,
                });
                self.entries.len() - 1
            }
            None => return Err(io::Error::from_raw_os_error(libc::EMFILE)),
        };
        let entry = &mut self.entries[index];
        let key = Key::new(index, entry.generation);
        entry.source = Some(source);
        entry.interest = Interest::NONE;
        entry.registered = false;
        if let Err(e) = self.set_interest(key, interest) {
            self.release(index);
            return Err(e);
        }
        Ok(key)
    }

    fn entry(&self, key: Key) -> Option<&Entry<S>> {
        self.entries
            .get(key.index())
            .filter(|e| e.source.is_some() && Key::new(key.index(), e.generation) == key)
    }

    /// The source under `key`, if it is still there.
    pub fn get(&self, key: Key) -> Option<&S> {
        self.entry(key).and_then(|e| e.source.as_ref())
    }

    /// The source under `key`, mutably.
    pub fn get_mut(&mut self, key: Key) -> Option<&mut S> {
        self.entry(key)?;
        self.entries[key.index()].source.as_mut()
    }

    /// What the source is watched for now.
    pub fn interest(&self, key: Key) -> Option<Interest> {
        self.entry(key).map(|e| e.interest)
    }

    /// Changes what `key` is watched for (registering it at the first real interest).
    pub fn set_interest(&mut self, key: Key, interest: Interest) -> io::Result<()> {
        if self.entry(key).is_none() {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        let entry = &mut self.entries[key.index()];
        if entry.interest == interest && (entry.registered || interest == Interest::NONE) {
            return Ok(());
        }
        let Some(source) = entry.source.as_ref() else {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        };
        let fd = source.as_fd();
        if entry.registered {
            self.poller
                .modify_with_mode(fd, interest.event(key.0), PollMode::Level)?;
        } else {
            // SAFETY: polling requires the descriptor to be deleted from the poller before
            // it is closed. The table owns the source; `remove` and `Drop` delete every
            // registered descriptor before the source can be dropped or handed back.
            unsafe {
                self.poller
                    .add_with_mode(fd.as_raw_fd(), interest.event(key.0), PollMode::Level)?
            };
            entry.registered = true;
        }
        entry.interest = interest;
        Ok(())
    }

    /// Stops watching `key` and hands its source back (dropping it closes it).
    pub fn remove(&mut self, key: Key) -> Option<S> {
        self.entry(key)?;
        Some(self.release(key.index())).flatten()
    }

    fn release(&mut self, index: usize) -> Option<S> {
        let entry = &mut self.entries[index];
        let source = entry.source.take()?;
        if entry.registered {
            // A failure means it was not registered after all; nothing to undo.
            let _ = self.poller.delete(source.as_fd());
        }
        entry.registered = false;
        entry.interest = Interest::NONE;
        entry.generation = entry.generation.wrapping_add(1) & (usize::MAX >> INDEX_BITS);
        self.free.push(index);
        Some(source)
    }

    /// Keys of every source `pick` selects.
    pub fn keys_where(&self, mut pick: impl FnMut(&S) -> bool) -> Vec<Key> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let s = e.source.as_ref()?;
                pick(s).then_some(Key::new(i, e.generation))
            })
            .collect()
    }

    /// Every source with its key.
    pub fn iter(&self) -> impl Iterator<Item = (Key, &S)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.source.as_ref().map(|s| (Key::new(i, e.generation), s)))
    }

    /// Number of sources held.
    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// True when no source is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until something is ready or `timeout` passes (`None` = no timeout: an idle
    /// daemon sleeps here without waking). Appends the ready sources to `out`.
    pub fn wait(&mut self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        self.events.clear();
        match self.poller.wait(&mut self.events, timeout) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        out.extend(self.events.iter().map(|ev| Ready {
            key: Key(ev.key),
            readable: ev.readable,
            writable: ev.writable,
        }));
        Ok(())
    }
}

impl<S: AsFd> Drop for Sources<S> {
    fn drop(&mut self) {
        for i in 0..self.entries.len() {
            drop(self.release(i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    fn pipe() -> (File, File) {
        let (r, w) = crate::sys::pipe().unwrap();
        (File::from(r), File::from(w))
    }

    #[test]
    fn a_removed_key_does_not_resolve_after_reuse() {
        let mut s: Sources<File> = Sources::new().unwrap();
        let (r1, _w1) = pipe();
        let k1 = s.insert(r1, Interest::READ).unwrap();
        assert!(s.remove(k1).is_some());
        let (r2, _w2) = pipe();
        let k2 = s.insert(r2, Interest::READ).unwrap();
        assert_eq!(k1.index(), k2.index(), "the index is reused");
        assert!(s.get(k1).is_none(), "the old key is stale");
        assert!(s.get(k2).is_some());
        assert!(s.remove(k1).is_none());
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn readiness_is_reported_under_the_key_and_quiet_sources_are_not_registered() {
        let mut s: Sources<File> = Sources::new().unwrap();
        let (r, mut w) = pipe();
        let quiet = s.insert(r, Interest::NONE).unwrap();
        assert!(!s.entries[quiet.index()].registered);
        let (r2, mut w2) = pipe();
        let loud = s.insert(r2, Interest::READ).unwrap();
        w.write_all(b"x").unwrap();
        w2.write_all(b"y").unwrap();
        let mut out = Vec::new();
        s.wait(Some(Duration::from_secs(5)), &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].key, loud);
        s.set_interest(quiet, Interest::READ).unwrap();
        out.clear();
        s.wait(Some(Duration::from_secs(5)), &mut out).unwrap();
        assert_eq!(out.len(), 2);
    }
}
