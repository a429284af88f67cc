//! Live event subscribers (`events [TYPE...]` on the control socket): each subscribes to
//! event type names the way `[eventlistener:x] events=` does, and gets one line per event,
//! `SERIAL TYPE key:value ...`, in the order events happen. Nothing is buffered for a
//! subscriber here beyond one wake-up's events: the daemon moves them into the client's
//! connection, which bounds them the way it bounds `tail -f` (see `daemon::live`).
//!
//! The line: the event's global serial and type name, then the payload's header
//! `key:value` pairs as a listener reads them, then, for an event with a body
//! (PROCESS_LOG, PROCESS_COMMUNICATION, REMOTE_COMMUNICATION), ` data:` and the body with
//! `\\`, LF, CR, TAB and other control characters escaped (`\\`, `\n`, `\r`, `\t`,
//! `\xHH`), so the whole event is one line and `data:` takes the rest of it.

use std::rc::Rc;

use super::types::{Event, Kind, TICK_PERIODS};

/// Subscribers, and the lines owed to them since the daemon last took them.
#[derive(Debug)]
pub struct Taps<K> {
    taps: Vec<Tap<K>>,
    outbox: Vec<(K, Rc<str>)>,
    /// Bytes of the lines in `outbox`, each counted once per subscriber.
    outbox_bytes: usize,
    dropped_total: u64,
}

impl<K> Default for Taps<K> {
    fn default() -> Self {
        Taps {
            taps: Vec::new(),
            outbox: Vec::new(),
            outbox_bytes: 0,
            dropped_total: 0,
        }
    }
}

#[derive(Debug)]
struct Tap<K> {
    key: K,
    subscriptions: Vec<String>,
    /// Lines not sent since the last one that was (a marker line reports them).
    dropped: u64,
}

/// Bytes of lines held between two takes, over every subscriber: one wake-up's events are
/// far fewer, so this only bounds a flood inside one wake-up; beyond it lines are dropped.
pub const MAX_OUTBOX: usize = 4 * 1024 * 1024;

/// Checks subscription names: each must be an event type a listener may name. None means
/// every event (`EVENT`).
pub fn subscriptions(names: &[String]) -> Result<Vec<String>, String> {
    if names.is_empty() {
        return Ok(vec!["EVENT".to_string()]);
    }
    let mut out = Vec::new();
    for n in names {
        let up = n.to_ascii_uppercase();
        if !crate::config::EVENT_TYPES.contains(&up.as_str()) {
            return Err(format!("Error: unknown event type {n}"));
        }
        out.push(up);
    }
    Ok(out)
}

impl<K: Copy + Eq> Taps<K> {
    /// Adds (or replaces) the subscriber `key`.
    pub fn add(&mut self, key: K, subscriptions: Vec<String>) {
        self.remove(key);
        self.taps.push(Tap {
            key,
            subscriptions,
            dropped: 0,
        });
    }

    /// Removes the subscriber `key` and its lines.
    pub fn remove(&mut self, key: K) {
        self.taps.retain(|t| t.key != key);
        self.outbox.retain(|(k, _)| *k != key);
        self.outbox_bytes = self.outbox.iter().map(|(_, l)| l.len()).sum();
    }

    /// Subscribers.
    pub fn len(&self) -> usize {
        self.taps.len()
    }

    /// No subscriber.
    pub fn is_empty(&self) -> bool {
        self.taps.is_empty()
    }

    /// Whether some subscriber takes events of `kind`.
    pub fn wants(&self, kind: Kind) -> bool {
        self.taps
            .iter()
            .any(|t| t.subscriptions.iter().any(|s| kind.matches(s)))
    }

    /// Whether some subscriber takes tick events.
    pub fn wants_ticks(&self) -> bool {
        TICK_PERIODS.iter().any(|&p| self.wants(Kind::Tick(p)))
    }

    /// Queues `event`, which took `serial`, for every subscriber that takes it.
    pub fn offer(&mut self, serial: u64, event: &Event) {
        let mut line: Option<Rc<str>> = None;
        for i in 0..self.taps.len() {
            if !self.taps[i]
                .subscriptions
                .iter()
                .any(|s| event.kind.matches(s))
            {
                continue;
            }
            let l = line.get_or_insert_with(|| render(serial, event).into());
            if self.outbox_bytes + l.len() > MAX_OUTBOX {
                self.taps[i].dropped += 1;
                self.dropped_total += 1;
                continue;
            }
            self.outbox_bytes += l.len();
            self.outbox.push((self.taps[i].key, Rc::clone(l)));
        }
    }

    /// The lines owed, oldest first.
    pub fn take(&mut self) -> Vec<(K, Rc<str>)> {
        self.outbox_bytes = 0;
        std::mem::take(&mut self.outbox)
    }

    /// A line for `key` could not be sent (its reader is behind).
    pub fn dropped(&mut self, key: K) {
        if let Some(t) = self.taps.iter_mut().find(|t| t.key == key) {
            t.dropped += 1;
            self.dropped_total += 1;
        }
    }

    /// Lines dropped for `key` since its last line went out, reset: the caller sends
    /// [`dropped_line`] before the next one when this is not 0.
    pub fn take_dropped(&mut self, key: K) -> u64 {
        self.taps
            .iter_mut()
            .find(|t| t.key == key)
            .map_or(0, |t| std::mem::take(&mut t.dropped))
    }

    /// Lines dropped over every subscriber since the daemon started.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }
}

/// The marker sent to a subscriber before its next line after `n` lines were dropped.
pub fn dropped_line(n: u64) -> String {
    format!("- EVENTS_DROPPED count:{n}")
}

/// The line for `event` with `serial` (see the module docs).
pub fn render(serial: u64, event: &Event) -> String {
    let mut out = format!("{serial} {}", event.kind.name());
    let (header, body) = match event.payload.split_once('\n') {
        Some((h, b)) => (h, Some(b)),
        None => (event.payload.as_str(), None),
    };
    if !header.is_empty() {
        out.push(' ');
        escape(&mut out, header);
    }
    let has_body = matches!(
        event.kind,
        Kind::ProcessLog(_) | Kind::ProcessCommunication(_) | Kind::RemoteCommunication
    );
    if let (true, Some(b)) = (has_body, body) {
        out.push_str(" data:");
        escape(&mut out, b);
    }
    out
}

/// Backslash escapes for `\`, LF, CR, TAB and other control characters.
fn escape(out: &mut String, s: &str) {
    crate::pyrepr::escape_into(out, s, None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::state::State;
    use crate::stream::Stream;

    fn running() -> Event {
        Event::process_state(&crate::events::types::StateChange {
            process: "web",
            group: "web",
            from: State::Starting,
            to: State::Running,
            expected: false,
            pid: 42,
            tries: 0,
        })
    }

    #[test]
    fn lines_are_one_per_event() {
        assert_eq!(
            render(7, &running()),
            "7 PROCESS_STATE_RUNNING processname:web groupname:web from_state:STARTING pid:42"
        );
        let log = Event::process_log("p", "g", 3, Stream::Stderr, b"a\\b\nc\t\x01");
        assert_eq!(
            render(8, &log),
            "8 PROCESS_LOG_STDERR processname:p groupname:g pid:3 channel:stderr data:a\\\\b\\nc\\t\\x01"
        );
        assert_eq!(render(9, &Event::tick(5, 100)), "9 TICK_5 when:100");
        assert_eq!(
            render(10, &Event::group(true, "g")),
            "10 PROCESS_GROUP_ADDED groupname:g"
        );
        assert_eq!(
            render(11, &Event::supervisor(false)),
            "11 SUPERVISOR_STATE_CHANGE_STOPPING"
        );
        assert_eq!(
            render(12, &Event::remote("deploy", "")),
            "12 REMOTE_COMMUNICATION type:deploy data:"
        );
    }

    #[test]
    fn subscriptions_match_like_listeners() {
        let mut t: Taps<u32> = Taps::default();
        t.add(1, subscriptions(&["process_state".into()]).unwrap());
        t.add(2, subscriptions(&[]).unwrap());
        t.add(3, subscriptions(&["TICK_60".into()]).unwrap());
        assert!(t.wants(Kind::ProcessState(State::Fatal)));
        assert!(t.wants_ticks());
        t.offer(0, &running());
        t.offer(1, &Event::tick(5, 100));
        let got: Vec<(u32, String)> = t
            .take()
            .into_iter()
            .map(|(k, l)| (k, l.to_string()))
            .collect();
        assert_eq!(got.len(), 3);
        assert_eq!((got[0].0, got[1].0, got[2].0), (1, 2, 2));
        assert!(got[2].1.starts_with("1 TICK_5"));
        assert!(subscriptions(&["NOPE".into()]).is_err());
        t.remove(2);
        t.offer(2, &running());
        assert_eq!(t.take().len(), 1);
    }

    #[test]
    fn drops_are_counted_and_reported_once() {
        let mut t: Taps<u32> = Taps::default();
        t.add(1, vec!["EVENT".into()]);
        t.dropped(1);
        t.dropped(1);
        assert_eq!(t.take_dropped(1), 2);
        assert_eq!(t.take_dropped(1), 0);
        assert_eq!(t.dropped_total(), 2);
        assert_eq!(dropped_line(2), "- EVENTS_DROPPED count:2");
        let big = "x".repeat(MAX_OUTBOX / 4);
        for i in 0..6 {
            t.offer(i, &Event::remote("t", &big));
        }
        assert_eq!(t.take().len(), 3, "the fourth would cross the bound");
        assert_eq!(t.take_dropped(1), 3);
        t.offer(7, &Event::remote("t", &big));
        assert_eq!(t.take().len(), 1, "taking empties the outbox");
    }
}
