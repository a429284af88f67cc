//! The event bus part: the listener pools (with the global event serial, which survives
//! reloads, and the tick clock) and the loop's side of the listener protocol with each
//! `[eventlistener:x]` process over its stdin and stdout. Writes to a listener never
//! block: what its stdin does not take now waits in the process's [`ListenerIo`] and goes
//! out when the pipe is writable.

use crate::config::model::{GroupConfig, LogLevel};
use crate::daemon::io::{Io, Key};
use crate::daemon::output;
use crate::daemon::procs::{ListenerIo, Proc, ProcId, Procs, Stream};
use crate::events::listener::{default_handler, ListenerState};
use crate::events::pool::{self, Line, Pool, Queued};
use crate::events::tap::Taps;
use crate::events::types::{Event, Kind, StateChange};
use crate::logfile::activity::Logger;
use crate::messages;
use crate::process::state::State;
use crate::pyrepr::bytes_repr;
use crate::sys::poller::Interest;
use crate::time::Mono;

/// The pools and the listener protocol's I/O.
#[derive(Debug, Default)]
pub struct Bus {
    pools: pool::Bus,
    /// Live subscribers (`events` on the control socket).
    taps: Taps<Key>,
}

/// What a state change event needs from the process machine's snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    /// Old state.
    pub from: State,
    /// New state.
    pub to: State,
    /// For EXITED: whether the exit was expected.
    pub expected: bool,
    /// The pid at the transition.
    pub pid: Option<i32>,
    /// The backoff counter at the transition.
    pub tries: u32,
}

/// When the next tick is due on the monotonic clock, given the wall-clock second it is due
/// at (`at`), the wall clock now (`wall_ms`) and the monotonic clock now. A millisecond late
/// rather than early: the two clocks need not agree to the millisecond, and an early
/// wake-up finds the old slice and sleeps again.
pub fn tick_deadline(at: u64, wall_ms: u64, now: Mono) -> Mono {
    now.plus_ms((at * 1000).saturating_sub(wall_ms) + 1)
}

impl Bus {
    /// Startup: one pool per listener group, then the events the reference raises before its
    /// loop runs: PROCESS_GROUP_ADDED for each group (a pool sees those from its own group
    /// on), and SUPERVISOR_STATE_CHANGE_RUNNING.
    pub fn start(&mut self, groups: &[GroupConfig], log: &mut Logger) {
        self.pools.pools.clear();
        for g in groups {
            self.group_added(g, log);
        }
        self.emit(Event::supervisor(true), log);
    }

    /// A group was added: its pool (for a listener group) starts taking events, then
    /// PROCESS_GROUP_ADDED.
    pub fn group_added(&mut self, g: &GroupConfig, log: &mut Logger) {
        if let Some(l) = &g.listener {
            self.pools
                .add_pool(Pool::new(&g.name, &l.events, l.buffer_size));
        }
        self.emit(Event::group(true, &g.name), log);
    }

    /// A group was removed: PROCESS_GROUP_REMOVED, and its pool goes with what it held.
    pub fn group_removed(&mut self, name: &str, log: &mut Logger) {
        self.pools.remove_pool(name);
        self.emit(Event::group(false, name), log);
    }

    /// Whether some pool or live subscriber takes events of `kind`.
    pub fn wants(&self, kind: Kind) -> bool {
        self.pools.wants(kind) || self.taps.wants(kind)
    }

    /// Offers an event to the pools and live subscribers; logs buffer overflows.
    pub fn emit(&mut self, event: Event, log: &mut Logger) {
        let tapped = self.taps.wants(event.kind).then(|| event.clone());
        let (serial, lines) = self.pools.notify_tapped(event, tapped.is_some());
        if let (Some(serial), Some(event)) = (serial, tapped) {
            self.taps.offer(serial, &event);
        }
        log_lines(log, lines);
    }

    /// The live subscribers (`daemon::live`).
    pub fn taps_mut(&mut self) -> &mut Taps<Key> {
        &mut self.taps
    }

    /// Events waiting in the pools, and how many full pools discarded.
    pub fn pool_counts(&self) -> (u64, u64) {
        let p = &self.pools.pools;
        let buffered = p.iter().map(|p| p.len() as u64).sum();
        (buffered, p.iter().map(Pool::dropped).sum())
    }

    /// Live subscribers, and the lines they missed.
    pub fn tap_counts(&self) -> (u64, u64) {
        (self.taps.len() as u64, self.taps.dropped_total())
    }

    fn wants_ticks(&self) -> bool {
        self.pools.wants_ticks() || self.taps.wants_ticks()
    }

    /// A process changed state: PROCESS_STATE_* with the machine's snapshot.
    pub fn emit_state(&mut self, p: &Proc, t: &Transition, log: &mut Logger) {
        if !self.wants(Kind::ProcessState(t.to)) {
            return;
        }
        let event = Event::process_state(&StateChange {
            process: p.machine.name(),
            group: p.group(),
            from: t.from,
            to: t.to,
            expected: t.expected,
            pid: t.pid.unwrap_or(0),
            tries: t.tries,
        });
        self.emit(event, log);
    }

    /// TICK_* events whose slice began by `wall_secs`, when some pool listens for ticks;
    /// how many were raised.
    pub fn fire_ticks(&mut self, wall_secs: u64, log: &mut Logger) -> usize {
        if !self.wants_ticks() {
            return 0;
        }
        let due = self.pools.ticks_due(wall_secs);
        let n = due.len();
        for event in due {
            self.emit(event, log);
        }
        n
    }

    /// When the next tick is due; None when nobody listens for ticks.
    pub fn next_tick(&self, wall_ms: u64, now: Mono) -> Option<Mono> {
        if !self.wants_ticks() {
            return None;
        }
        let at = pool::next_tick_boundary(wall_ms / 1000);
        Some(tick_deadline(at, wall_ms, now))
    }

    /// A listener process died: the event it was working on goes back to its pool, and
    /// what was left to write is dropped.
    pub fn listener_exited(&mut self, p: &mut Proc, io: &mut Io, log: &mut Logger) {
        let group = p.group().to_string();
        let stdin = p.stdin;
        let Some(l) = p.listener.as_mut() else {
            return;
        };
        let event = l.event.take();
        if !l.out.is_empty() {
            l.out.clear();
            if let Some(key) = stdin {
                io.set_interest(key, Interest::NONE);
            }
        }
        if let Some(q) = event {
            self.rebuffer(&group, q, log);
        }
    }

    fn rebuffer(&mut self, pool: &str, q: Queued, log: &mut Logger) {
        let lines = match self.pools.pool_mut(pool) {
            Some(p) => p.rebuffer(q),
            None => Vec::new(),
        };
        log_lines(log, lines);
    }

    /// Bytes from a listener's stdout: logged like output, then parsed as protocol.
    pub fn listener_output(&mut self, p: &mut Proc, data: &[u8], log: &mut Logger) {
        let name = p.machine.name().to_string();
        let group = p.group().to_string();
        if log.enabled(LogLevel::Debug) {
            log.debug(&messages::listener_stdout(&name, &bytes_repr(data)));
        }
        let logged = output::strip(p, Stream::Stdout, data);
        output::write_log(p, Stream::Stdout, &logged, log);
        let Some(l) = p.listener.as_mut() else {
            return;
        };
        let notes = l.proto.feed(data, &mut default_handler);
        let mut back = None;
        for note in &notes {
            if note.rebuffers() {
                back = l.event.take();
            }
        }
        // The event is done once the listener answered it or broke the protocol.
        if !matches!(l.proto.state(), ListenerState::Busy) {
            l.event = None;
        }
        for note in &notes {
            log_lines(log, note.log_lines(&name));
        }
        if let Some(q) = back {
            self.rebuffer(&group, q, log);
        }
    }

    /// Sends buffered events to READY listeners of RUNNING processes, oldest first, one per
    /// listener; an event no listener can take now goes back to the head of its pool.
    pub fn dispatch(&mut self, procs: &mut Procs, io: &mut Io, identifier: &str, log: &mut Logger) {
        for i in 0..self.pools.pools.len() {
            if self.pools.pools[i].is_empty() {
                continue;
            }
            let name = self.pools.pools[i].name.clone();
            let ids = procs.group_ids(&name);
            if !ids.iter().any(|id| can_take_event(procs, *id)) {
                continue;
            }
            while let Some(q) = self.pools.pools[i].pop() {
                let envelope = self.pools.pools[i].envelope(&q, identifier);
                if !send_event(procs, &ids, io, &q, &envelope, log) {
                    let lines = self.pools.pools[i].rebuffer(q);
                    log_lines(log, lines);
                    break;
                }
            }
        }
    }
}

/// A RUNNING listener process in the READY state.
fn can_take_event(procs: &Procs, id: ProcId) -> bool {
    procs.get(id).is_some_and(|p| {
        p.machine.state() == State::Running
            && p.listener
                .as_ref()
                .is_some_and(|l| l.proto.state() == ListenerState::Ready)
    })
}

/// Writes `q` to the first READY listener among `ids` that takes it; false when none did.
fn send_event(
    procs: &mut Procs,
    ids: &[ProcId],
    io: &mut Io,
    q: &Queued,
    envelope: &[u8],
    log: &mut Logger,
) -> bool {
    for id in ids.iter().copied() {
        if !can_take_event(procs, id) {
            continue;
        }
        let Some(p) = procs.get_mut(id) else {
            continue;
        };
        let name = p.machine.name().to_string();
        let written = match p.stdin {
            Some(key) => io.write(key, envelope),
            None => Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        };
        let Ok(n) = written else {
            log.debug(&messages::listener_epipe(q.serial, &name));
            continue;
        };
        let Some(l) = p.listener.as_mut() else {
            continue;
        };
        l.proto.sent();
        l.event = Some(q.clone());
        if n < envelope.len() {
            l.out = envelope[n..].to_vec();
            if let Some(key) = p.stdin {
                io.set_interest(key, Interest::WRITE);
            }
        }
        log.debug(&messages::event_sent(q.serial, &name));
        return true;
    }
    false
}

/// A child's stdin has room: writes more of the listener's pending envelope.
pub fn write_listener(p: &mut Proc, key: Key, io: &mut Io) {
    let Some(l) = p.listener.as_mut() else {
        io.set_interest(key, Interest::NONE);
        return;
    };
    let done = match io.write(key, &l.out) {
        Ok(n) => {
            l.out.drain(..n);
            l.out.is_empty()
        }
        // The listener is going away; its exit puts the event back.
        Err(_) => true,
    };
    if done {
        l.out.clear();
        io.set_interest(key, Interest::NONE);
    }
}

fn log_lines(log: &mut Logger, lines: Vec<Line>) {
    for (level, text) in lines {
        log.log(level, &text);
    }
}

/// A fresh protocol state for a listener process that was just spawned (its last exit
/// already put back its event and dropped what was left to write).
pub fn listener_spawned(l: &mut ListenerIo) {
    l.proto.reset();
}
