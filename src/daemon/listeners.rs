//! The loop's side of the event system: it raises events where they happen (state changes,
//! output, groups, ticks, the daemon's own state), keeps the listener pools' buffers, and
//! talks the listener protocol with each `[eventlistener:x]` process over its stdin and
//! stdout. Writes to a listener never block: what the pipe does not take now waits in the
//! slot and goes out when the pipe is writable.

use std::io::{ErrorKind, Write};
use std::os::fd::AsFd;

use crate::config::model::GroupConfig;
use crate::daemon::event_loop::Daemon;
use crate::daemon::procs::SlotId;
use crate::events::listener::{default_handler, Listener, ListenerState};
use crate::events::pool::{Line, Pool, Queued};
use crate::events::types::{Event, Kind, StateChange};
use crate::process::state::State;
use crate::pyrepr::bytes_repr;
use crate::sys::poller::Interest;
use crate::time::Mono;

/// A listener process's protocol state, the event it is working on, and the part of that
/// event's envelope its stdin has not taken yet.
#[derive(Debug, Default)]
pub struct ListenerSlot {
    /// Protocol state (ACKNOWLEDGED at every spawn).
    pub proto: Listener,
    /// The event sent and not yet answered.
    pub event: Option<Queued>,
    /// Envelope bytes still to write.
    pub out: Vec<u8>,
    /// Poll key of its stdin while `out` waits for room.
    pub out_key: Option<usize>,
}

impl Daemon {
    /// Startup: one pool per listener group, then the events the reference raises before its
    /// loop runs: PROCESS_GROUP_ADDED for each group (a pool sees those from its own group
    /// on), and SUPERVISOR_STATE_CHANGE_RUNNING.
    pub(crate) fn start_events(&mut self) {
        self.bus.pools.clear();
        let groups = self.config.groups.clone();
        for g in &groups {
            self.group_added(g);
        }
        self.emit(Event::supervisor(true));
    }

    /// A group was added: its pool (for a listener group) starts taking events, then
    /// PROCESS_GROUP_ADDED.
    pub(crate) fn group_added(&mut self, g: &GroupConfig) {
        if let Some(l) = &g.listener {
            self.bus
                .add_pool(Pool::new(&g.name, &l.events, l.buffer_size));
        }
        self.emit(Event::group(true, &g.name));
    }

    /// A group was removed: PROCESS_GROUP_REMOVED, and its pool goes with what it held.
    pub(crate) fn group_removed(&mut self, name: &str) {
        self.bus.remove_pool(name);
        self.emit(Event::group(false, name));
    }

    /// Offers an event to the pools; logs buffer overflows.
    pub(crate) fn emit(&mut self, event: Event) {
        let lines = self.bus.notify(event);
        self.log_lines(lines);
    }

    fn log_lines(&mut self, lines: Vec<Line>) {
        for (level, text) in lines {
            self.logger.log(level, &text);
        }
    }

    /// A process changed state: PROCESS_STATE_* with the machine's snapshot.
    pub(crate) fn emit_state(
        &mut self,
        id: SlotId,
        from: State,
        to: State,
        expected: bool,
        pid: Option<i32>,
        tries: u32,
    ) {
        if !self.bus.wants(Kind::ProcessState(to)) {
            return;
        }
        let Some(slot) = self.procs.get(id) else {
            return;
        };
        let event = Event::process_state(&StateChange {
            process: slot.machine.name(),
            group: &slot.group,
            from,
            to,
            expected,
            pid: pid.unwrap_or(0),
            tries,
        });
        self.emit(event);
    }

    /// TICK_* events whose slice began, when some pool listens for ticks.
    pub(crate) fn fire_ticks(&mut self) {
        if !self.bus.wants_ticks() {
            return;
        }
        let now = crate::sys::wall_clock_ms() / 1000;
        for event in self.bus.ticks_due(now) {
            self.emit(event);
        }
    }

    /// When the next tick is due on our monotonic clock; None when nobody listens.
    pub(crate) fn next_tick(&self) -> Option<Mono> {
        if !self.bus.wants_ticks() {
            return None;
        }
        let now = Mono::now();
        let wall_ms = crate::sys::wall_clock_ms();
        let at = self.bus.next_tick(wall_ms / 1000)?;
        // A millisecond late rather than early: the two clocks need not agree to the
        // millisecond, and an early wake-up finds the old slice and sleeps again.
        Some(now.plus_ms((at * 1000).saturating_sub(wall_ms) + 1))
    }

    /// A listener process was spawned: its protocol starts over (its last exit already put
    /// back its event and dropped what was left to write).
    pub(crate) fn listener_spawned(&mut self, id: SlotId) {
        if let Some(l) = self.procs.get_mut(id).and_then(|s| s.listener.as_mut()) {
            l.proto.reset();
        }
    }

    /// A listener process died: the event it was working on goes back to its pool.
    pub(crate) fn listener_exited(&mut self, id: SlotId) {
        let Some(slot) = self.procs.get_mut(id) else {
            return;
        };
        let group = slot.group.clone();
        let Some(l) = slot.listener.as_mut() else {
            return;
        };
        let event = l.event.take();
        l.out.clear();
        if let Some(key) = l.out_key.take() {
            self.stdin_watch.retain(|(k, _)| *k != key);
            if let Some(f) = slot.stdin.as_ref() {
                self.reactor.unwatch(f.as_fd());
            }
        }
        if let Some(q) = event {
            self.rebuffer(&group, q);
        }
    }

    fn rebuffer(&mut self, pool: &str, q: Queued) {
        let lines = match self.bus.pool_mut(pool) {
            Some(p) => p.rebuffer(q),
            None => Vec::new(),
        };
        self.log_lines(lines);
    }

    /// Bytes from a listener's stdout: logged like output, then parsed as protocol.
    pub(crate) fn listener_output(&mut self, id: SlotId, data: &[u8]) {
        let Some(slot) = self.procs.get_mut(id) else {
            return;
        };
        let name = slot.machine.name().to_string();
        let group = slot.group.clone();
        if self.logger.enabled(crate::config::model::LogLevel::Debug) {
            self.logger
                .debug(&format!("'{name}' stdout output:\n{}", bytes_repr(data)));
        }
        let stdout = crate::daemon::procs::Stream::Stdout;
        let logged = crate::daemon::output::strip(slot, stdout, data);
        crate::daemon::output::write_log(slot, stdout, &logged, &mut self.logger);
        let Some(l) = slot.listener.as_mut() else {
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
            self.log_lines(note.log_lines(&name));
        }
        if let Some(q) = back {
            self.rebuffer(&group, q);
        }
    }

    /// Sends buffered events to READY listeners of RUNNING processes, oldest first, one per
    /// listener; an event no listener can take now goes back to the head of its pool.
    pub(crate) fn dispatch_events(&mut self) {
        for p in 0..self.bus.pools.len() {
            if self.bus.pools[p].is_empty() {
                continue;
            }
            let name = self.bus.pools[p].name.clone();
            if self.ready_listener(&name).is_none() {
                continue;
            }
            while let Some(q) = self.bus.pools[p].pop() {
                if !self.send_event(&name, p, &q) {
                    let lines = self.bus.pools[p].rebuffer(q);
                    self.log_lines(lines);
                    break;
                }
            }
        }
    }

    /// The first process of pool `name` that may take an event now.
    fn ready_listener(&self, name: &str) -> Option<SlotId> {
        self.procs
            .group_ids(name)
            .into_iter()
            .find(|id| self.can_take_event(*id))
    }

    /// A RUNNING listener process in the READY state.
    fn can_take_event(&self, id: SlotId) -> bool {
        self.procs.get(id).is_some_and(|s| {
            s.machine.state() == State::Running
                && s.listener
                    .as_ref()
                    .is_some_and(|l| l.proto.state() == ListenerState::Ready)
        })
    }

    /// Writes `q` to the first READY listener of the pool that takes it; false when none did.
    fn send_event(&mut self, name: &str, pool: usize, q: &Queued) -> bool {
        let envelope = self.bus.pools[pool].envelope(q, &self.config.supervisord.identifier);
        for id in self.procs.group_ids(name) {
            if !self.can_take_event(id) {
                continue;
            }
            let Some(slot) = self.procs.get_mut(id) else {
                continue;
            };
            let pname = slot.machine.name().to_string();
            let written = match slot.stdin.as_ref() {
                Some(mut f) => match f.write(&envelope) {
                    Ok(n) => Ok(n),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(0),
                    Err(e) => Err(e),
                },
                None => Err(std::io::Error::from(ErrorKind::BrokenPipe)),
            };
            let n = match written {
                Ok(n) => n,
                Err(_) => {
                    self.logger.debug(&format!(
                        "epipe occurred while sending event {} to listener {pname}, listener state unchanged",
                        q.serial
                    ));
                    continue;
                }
            };
            let Some(l) = slot.listener.as_mut() else {
                continue;
            };
            l.proto.sent();
            l.event = Some(q.clone());
            if n < envelope.len() {
                l.out = envelope[n..].to_vec();
                self.watch_stdin(id);
            }
            self.logger
                .debug(&format!("event {} sent to listener {pname}", q.serial));
            return true;
        }
        false
    }

    /// Waits for room in a listener's stdin for the rest of its envelope.
    fn watch_stdin(&mut self, id: SlotId) {
        let key = self.next_key;
        self.next_key += 1;
        let Some(slot) = self.procs.get_mut(id) else {
            return;
        };
        let Some(f) = slot.stdin.as_ref() else {
            return;
        };
        if self.reactor.watch(f.as_fd(), key, Interest::WRITE).is_ok() {
            if let Some(l) = slot.listener.as_mut() {
                l.out_key = Some(key);
            }
            self.stdin_watch.push((key, id));
        }
    }

    /// A listener's stdin has room: writes more of the pending envelope.
    pub(crate) fn write_listener(&mut self, key: usize) {
        let Some(&(_, id)) = self.stdin_watch.iter().find(|(k, _)| *k == key) else {
            return;
        };
        let Some(slot) = self.procs.get_mut(id) else {
            return;
        };
        let (Some(mut f), Some(l)) = (slot.stdin.as_ref(), slot.listener.as_mut()) else {
            return;
        };
        let done = match f.write(&l.out) {
            Ok(n) => {
                l.out.drain(..n);
                l.out.is_empty()
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => false,
            // The listener is going away; its exit puts the event back.
            Err(_) => true,
        };
        if done {
            l.out.clear();
            l.out_key = None;
            self.reactor.unwatch(f.as_fd());
            self.stdin_watch.retain(|(k, _)| *k != key);
        }
    }
}
