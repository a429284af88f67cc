//! Listener pools and the bus that fills them (reference §6.2): each `[eventlistener:x]`
//! group subscribes to event types and keeps a FIFO of at most `buffer_size` events; an
//! event takes a global serial when the first pool accepts it and a per-pool serial in each
//! pool. The daemon takes events out with [`Pool::pop`] when one of the pool's processes is
//! READY, and puts a rejected one back at the head with [`Pool::rebuffer`].

use std::collections::VecDeque;
use std::rc::Rc;

use super::types::{timeslice, Event, Kind, TICK_PERIODS};
use crate::config::model::LogLevel;
use crate::messages;

/// An event waiting in (or taken from) a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The global serial.
    pub serial: u64,
    /// This pool's serial.
    pub pool_serial: u64,
    /// The event, shared by every pool that took it.
    pub event: Rc<Event>,
}

/// One listener pool.
#[derive(Debug)]
pub struct Pool {
    /// The pool (group) name.
    pub name: String,
    subscriptions: Vec<String>,
    buffer_size: usize,
    buffer: VecDeque<Queued>,
    /// The last pool serial given, None before the first.
    serial: Option<u64>,
    /// Events discarded because the buffer was full.
    dropped: u64,
}

/// A line for the activity log, with its level.
pub type Line = (LogLevel, String);

impl Pool {
    /// A pool subscribed to `events` (names from `events=`).
    pub fn new(name: &str, events: &[String], buffer_size: u32) -> Pool {
        Pool {
            name: name.to_string(),
            subscriptions: events.to_vec(),
            buffer_size: buffer_size as usize,
            buffer: VecDeque::new(),
            serial: None,
            dropped: 0,
        }
    }

    /// Whether this pool takes events of `kind`.
    pub fn wants(&self, kind: Kind) -> bool {
        self.subscriptions.iter().any(|s| kind.matches(s))
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    /// No event waiting.
    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// Appends a new event (global serial already given), dropping the oldest one when full.
    fn accept(&mut self, serial: u64, event: Rc<Event>) -> Option<Line> {
        let pool_serial = self.serial.map_or(0, |s| s + 1);
        self.serial = Some(pool_serial);
        let overflow = self.make_room();
        self.buffer.push_back(Queued {
            serial,
            pool_serial,
            event,
        });
        overflow
    }

    /// The reference drops the oldest event when the buffer is full, even when the one
    /// coming in goes to the head.
    fn make_room(&mut self) -> Option<Line> {
        if self.buffer.len() < self.buffer_size {
            return None;
        }
        let dropped = self.buffer.pop_front()?;
        self.dropped += 1;
        Some((
            LogLevel::Error,
            messages::event_buffer_overflowed(&self.name, dropped.serial),
        ))
    }

    /// Events discarded because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The oldest event, to send to a READY listener.
    pub fn pop(&mut self) -> Option<Queued> {
        self.buffer.pop_front()
    }

    /// Puts an event back at the head (no listener could take it, it was rejected, or its
    /// listener died with it). It keeps its serials.
    pub fn rebuffer(&mut self, q: Queued) -> Vec<Line> {
        let mut lines = vec![(
            LogLevel::Debug,
            messages::rebuffering_event(q.serial, &self.name, self.buffer.len(), self.buffer_size),
        )];
        lines.extend(self.make_room());
        self.buffer.push_front(q);
        lines
    }

    /// The bytes written to a listener's stdin for `q`: the header line and the payload.
    /// `len` counts characters, as the reference (and Python listeners reading text) do.
    pub fn envelope(&self, q: &Queued, identifier: &str) -> Vec<u8> {
        format!(
            "ver:3.0 server:{identifier} serial:{} pool:{} poolserial:{} eventname:{} len:{}\n{}",
            q.serial,
            self.name,
            q.pool_serial,
            q.event.kind.name(),
            q.event.payload.chars().count(),
            q.event.payload
        )
        .into_bytes()
    }
}

/// All pools, the global serial and the tick clock.
#[derive(Debug, Default)]
pub struct Bus {
    /// The pools, in the order they were added.
    pub pools: Vec<Pool>,
    /// The last global serial given, None before the first. Survives reloads.
    serial: Option<u64>,
    /// The current slice of each tick period, once the clock started.
    ticks: Option<[u64; 3]>,
}

impl Bus {
    /// Adds a pool; it receives events from now on.
    pub fn add_pool(&mut self, pool: Pool) {
        self.pools.retain(|p| p.name != pool.name);
        self.pools.push(pool);
    }

    /// Removes a pool and whatever it still held.
    pub fn remove_pool(&mut self, name: &str) {
        self.pools.retain(|p| p.name != name);
    }

    /// The pool named `name`.
    pub fn pool_mut(&mut self, name: &str) -> Option<&mut Pool> {
        self.pools.iter_mut().find(|p| p.name == name)
    }

    /// Whether any pool takes events of `kind` (so the caller can skip building them).
    pub fn wants(&self, kind: Kind) -> bool {
        self.pools.iter().any(|p| p.wants(kind))
    }

    /// Offers an event to every pool. It takes a global serial only if some pool takes it.
    /// Returns lines to log (buffer overflows).
    pub fn notify(&mut self, event: Event) -> Vec<Line> {
        self.notify_tapped(event, false).1
    }

    /// [`Bus::notify`], where `tapped` says a live subscriber also takes the event (it then
    /// takes a serial even when no pool does). Returns the serial given, if any.
    pub fn notify_tapped(&mut self, event: Event, tapped: bool) -> (Option<u64>, Vec<Line>) {
        let takers: Vec<usize> = (0..self.pools.len())
            .filter(|&i| self.pools[i].wants(event.kind))
            .collect();
        if takers.is_empty() && !tapped {
            return (None, Vec::new());
        }
        let serial = self.serial.map_or(0, |s| s + 1);
        self.serial = Some(serial);
        let event = Rc::new(event);
        let lines = takers
            .into_iter()
            .filter_map(|i| self.pools[i].accept(serial, Rc::clone(&event)))
            .collect();
        (Some(serial), lines)
    }

    /// Whether some pool listens for ticks (only then does the daemon wake for them).
    pub fn wants_ticks(&self) -> bool {
        TICK_PERIODS.iter().any(|&p| self.wants(Kind::Tick(p)))
    }

    /// The tick events due at `now` (epoch seconds): one for each period whose slice changed
    /// since the last call; the first call only starts the clock. No catch-up for skipped
    /// slices, as in the reference.
    pub fn ticks_due(&mut self, now: u64) -> Vec<Event> {
        let slices = TICK_PERIODS.map(|p| timeslice(p, now));
        let Some(last) = self.ticks.replace(slices) else {
            return Vec::new();
        };
        TICK_PERIODS
            .iter()
            .enumerate()
            .filter(|&(i, _)| slices[i] != last[i])
            .map(|(i, &p)| Event::tick(p, slices[i]))
            .collect()
    }

    /// Epoch seconds of the next tick boundary after `now`, if anyone listens for ticks.
    pub fn next_tick(&self, now: u64) -> Option<u64> {
        self.wants_ticks().then(|| next_tick_boundary(now))
    }
}

/// Epoch seconds of the next tick boundary of any period after `now`.
pub fn next_tick_boundary(now: u64) -> u64 {
    TICK_PERIODS
        .iter()
        .map(|&p| timeslice(p, now) + p)
        .min()
        .unwrap_or(now + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::state::State;

    fn fatal(name: &str) -> Event {
        Event::process_state(&crate::events::types::StateChange {
            process: name,
            group: name,
            from: State::Backoff,
            to: State::Fatal,
            expected: false,
            pid: 0,
            tries: 0,
        })
    }

    #[test]
    fn serials_are_given_only_to_taken_events() {
        let mut bus = Bus::default();
        bus.add_pool(Pool::new("a", &["PROCESS_STATE_FATAL".into()], 10));
        bus.add_pool(Pool::new("b", &["EVENT".into()], 10));
        assert!(bus.notify(Event::tick(5, 10)).is_empty());
        bus.notify(fatal("x"));
        let a = bus.pool_mut("a").unwrap().pop().unwrap();
        assert_eq!((a.serial, a.pool_serial), (1, 0), "the tick took serial 0");
        let b1 = bus.pool_mut("b").unwrap().pop().unwrap();
        let b2 = bus.pool_mut("b").unwrap().pop().unwrap();
        assert_eq!((b1.serial, b1.pool_serial), (0, 0));
        assert_eq!((b2.serial, b2.pool_serial), (1, 1));

        let mut bus = Bus::default();
        bus.add_pool(Pool::new("a", &["TICK".into()], 10));
        bus.notify(fatal("x"));
        bus.notify(Event::tick(5, 10));
        assert_eq!(bus.pool_mut("a").unwrap().pop().unwrap().serial, 0);
    }

    #[test]
    fn a_full_buffer_drops_its_oldest_event() {
        let mut bus = Bus::default();
        bus.add_pool(Pool::new("p", &["EVENT".into()], 2));
        assert!(bus.notify(fatal("a")).is_empty());
        assert!(bus.notify(fatal("b")).is_empty());
        assert_eq!(
            bus.notify(fatal("c")),
            vec![(
                LogLevel::Error,
                "pool p event buffer overflowed, discarding event 0".to_string()
            )]
        );
        let pool = bus.pool_mut("p").unwrap();
        let first = pool.pop().unwrap();
        assert_eq!(first.serial, 1);
        let lines = pool.rebuffer(first.clone());
        assert_eq!(
            lines,
            vec![(
                LogLevel::Debug,
                "rebuffering event 1 for pool p (buf size=1, max=2)".to_string()
            )]
        );
        assert_eq!(pool.pop(), Some(first), "back at the head, serials kept");
    }

    #[test]
    fn rebuffering_into_a_full_buffer_drops_the_oldest_too() {
        let mut pool = Pool::new("p", &["EVENT".into()], 1);
        pool.accept(0, Rc::new(fatal("a")));
        let taken = pool.pop().unwrap();
        pool.accept(1, Rc::new(fatal("b")));
        let lines = pool.rebuffer(taken);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[1].1,
            "pool p event buffer overflowed, discarding event 1"
        );
        assert_eq!(pool.pop().unwrap().serial, 0);
        assert!(pool.is_empty());
    }

    #[test]
    fn envelope_counts_characters() {
        let mut bus = Bus::default();
        bus.add_pool(Pool::new("lis", &["PROCESS_LOG".into()], 10));
        bus.notify(Event::process_log(
            "p",
            "g",
            3,
            crate::stream::Stream::Stdout,
            "é\n".as_bytes(),
        ));
        let pool = bus.pool_mut("lis").unwrap();
        let q = pool.pop().unwrap();
        let env = String::from_utf8(pool.envelope(&q, "supervisor")).unwrap();
        let body = "processname:p groupname:g pid:3 channel:stdout\né\n";
        assert_eq!(
            env,
            format!(
                "ver:3.0 server:supervisor serial:0 pool:lis poolserial:0 eventname:PROCESS_LOG_STDOUT len:{}\n{body}",
                body.chars().count()
            )
        );
    }

    #[test]
    fn ticks_fire_when_a_slice_changes_without_catch_up() {
        let mut bus = Bus::default();
        assert_eq!(bus.next_tick(100), None, "nobody listens");
        bus.add_pool(Pool::new("t", &["TICK_5".into()], 10));
        assert_eq!(bus.next_tick(101), Some(105));
        assert!(
            bus.ticks_due(3599).is_empty(),
            "the first call starts the clock"
        );
        let due = bus.ticks_due(3600);
        let names: Vec<&str> = due.iter().map(|e| e.kind.name()).collect();
        assert_eq!(names, ["TICK_5", "TICK_60", "TICK_3600"]);
        assert_eq!(due[0].payload, "when:3600");
        assert!(bus.ticks_due(3604).is_empty());
        let due = bus.ticks_due(3631);
        assert_eq!(due.len(), 1, "one TICK_5 for several skipped slices");
        assert_eq!(due[0].payload, "when:3630");
    }
}
