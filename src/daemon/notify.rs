//! What supervisord tells systemd (`sd_notify`), pure: which message, when, and the `STATUS=`
//! text. The I/O half is [`super::sd_notify`]; the loop reads the clock and passes `now`, so
//! the watchdog cadence runs on a fake clock in the tests below.
//!
//! - `READY=1` once the autostart programs are spawned (first start and after each restart);
//! - `RELOADING=1` + `MONOTONIC_USEC=` when a restart with a loaded config begins;
//! - `STOPPING=1` when shutdown begins (once);
//! - `STATUS=<n> programs: <counts>` only when the text changed (never from a timer);
//! - `WATCHDOG=1` every `WATCHDOG_USEC / 2`, only when the watchdog is on: otherwise
//!   [`Notify::deadline`] is always `None` and an idle daemon never wakes.

use std::time::Duration;

use crate::process::state::State;
use crate::time::Mono;

/// The variables that are for supervisord alone: children must not talk to systemd as us
/// (`sd_notify(unset_environment=1)`, `sd_watchdog_enabled(unset_environment=1)`).
pub const PRIVATE_ENV: [&str; 3] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/// One notification (one datagram).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `READY=1`.
    Ready,
    /// `RELOADING=1` with the CLOCK_MONOTONIC time in microseconds.
    Reloading {
        /// `MONOTONIC_USEC=`.
        monotonic_usec: u64,
    },
    /// `STOPPING=1`.
    Stopping,
    /// `STATUS=<line>`.
    Status(String),
    /// `WATCHDOG=1`.
    Watchdog,
}

impl Message {
    /// The datagram's text: newline-separated assignments.
    pub fn text(&self) -> String {
        match self {
            Message::Ready => "READY=1".into(),
            Message::Reloading { monotonic_usec } => {
                format!("RELOADING=1\nMONOTONIC_USEC={monotonic_usec}")
            }
            Message::Stopping => "STOPPING=1".into(),
            Message::Status(s) => format!("STATUS={s}"),
            Message::Watchdog => "WATCHDOG=1".into(),
        }
    }
}

/// Where the daemon is, as systemd sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Starting,
    Ready,
    Reloading,
    Stopping,
}

/// The notification policy.
#[derive(Debug)]
pub struct Notify {
    phase: Phase,
    /// The watchdog period (half of `WATCHDOG_USEC`), when the watchdog is on.
    watchdog: Option<Duration>,
    next_watchdog: Option<Mono>,
    /// The last `STATUS=` text sent.
    status: Option<String>,
}

impl Notify {
    /// A daemon that is starting; the first `WATCHDOG=1` is due one `watchdog` from `now`.
    pub fn new(watchdog: Option<Duration>, now: Mono) -> Notify {
        Notify {
            phase: Phase::Starting,
            watchdog,
            next_watchdog: watchdog.map(|w| now.plus(w)),
            status: None,
        }
    }

    /// The autostart programs are spawned (first start or after a restart).
    pub fn ready(&mut self) -> Option<Message> {
        if matches!(self.phase, Phase::Ready | Phase::Stopping) {
            return None;
        }
        self.phase = Phase::Ready;
        Some(Message::Ready)
    }

    /// A restart with a freshly loaded config begins (`monotonic_usec` = CLOCK_MONOTONIC).
    pub fn reloading(&mut self, monotonic_usec: u64) -> Option<Message> {
        if self.phase != Phase::Ready {
            return None;
        }
        self.phase = Phase::Reloading;
        Some(Message::Reloading { monotonic_usec })
    }

    /// Shutdown begins.
    pub fn stopping(&mut self) -> Option<Message> {
        if self.phase == Phase::Stopping {
            return None;
        }
        self.phase = Phase::Stopping;
        Some(Message::Stopping)
    }

    /// The process states may have changed: `STATUS=` when its text differs from the last.
    pub fn status(&mut self, states: impl IntoIterator<Item = State>) -> Option<Message> {
        let line = status_line(states);
        if self.status.as_deref() == Some(line.as_str()) {
            return None;
        }
        self.status = Some(line.clone());
        Some(Message::Status(line))
    }

    /// `WATCHDOG=1` when its time has come (the next one is one period from `now`).
    pub fn due(&mut self, now: Mono) -> Option<Message> {
        let (period, next) = (self.watchdog?, self.next_watchdog?);
        if next > now {
            return None;
        }
        self.next_watchdog = Some(now.plus(period));
        Some(Message::Watchdog)
    }

    /// When [`Notify::due`] next has something: `None` without a watchdog.
    pub fn deadline(&self) -> Option<Mono> {
        self.next_watchdog
    }
}

/// `4 programs: 3 RUNNING, 1 BACKOFF`: the count, then each state present, in code order.
pub fn status_line(states: impl IntoIterator<Item = State>) -> String {
    let mut counts = [0usize; State::ALL.len()];
    let mut total = 0usize;
    for s in states {
        if let Some(i) = State::ALL.iter().position(|x| *x == s) {
            counts[i] += 1;
        }
        total += 1;
    }
    let noun = if total == 1 { "program" } else { "programs" };
    let parts: Vec<String> = State::ALL
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.name()))
        .collect();
    if parts.is_empty() {
        format!("{total} {noun}")
    } else {
        format!("{total} {noun}: {}", parts.join(", "))
    }
}

/// The watchdog period from `$WATCHDOG_USEC` and `$WATCHDOG_PID` (as `sd_watchdog_enabled`):
/// half the timeout, when the timeout is a positive number and the pid is unset or `ours`.
pub fn watchdog_period(usec: Option<&str>, pid: Option<&str>, ours: i32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|u| *u > 0)?;
    if let Some(pid) = pid {
        if pid.trim().parse::<i32>().ok() != Some(ours) {
            return None;
        }
    }
    // The loop's clock counts milliseconds: never a period of zero.
    Some(Duration::from_micros(usec / 2).max(Duration::from_millis(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_then_reloading_then_ready_again() {
        let mut n = Notify::new(None, Mono(0));
        assert_eq!(n.reloading(5), None, "nothing to reload before READY");
        assert_eq!(n.ready(), Some(Message::Ready));
        assert_eq!(n.ready(), None);
        assert_eq!(
            n.reloading(1_234),
            Some(Message::Reloading {
                monotonic_usec: 1_234
            })
        );
        assert_eq!(
            n.reloading(1_300),
            None,
            "a restart under way is not repeated"
        );
        assert_eq!(n.ready(), Some(Message::Ready));
        assert_eq!(n.stopping(), Some(Message::Stopping));
        assert_eq!(n.stopping(), None);
        assert_eq!(n.ready(), None, "no READY once stopping");
        assert_eq!(n.reloading(9), None);
    }

    #[test]
    fn stopping_during_a_restart() {
        let mut n = Notify::new(None, Mono(0));
        n.ready();
        assert!(n.reloading(1).is_some());
        assert_eq!(n.stopping(), Some(Message::Stopping));
    }

    #[test]
    fn status_only_when_changed() {
        let mut n = Notify::new(None, Mono(0));
        let s = [
            State::Running,
            State::Backoff,
            State::Running,
            State::Running,
        ];
        assert_eq!(
            n.status(s),
            Some(Message::Status("4 programs: 3 RUNNING, 1 BACKOFF".into()))
        );
        assert_eq!(n.status(s), None);
        // Same counts in another order: same text, nothing sent.
        assert_eq!(
            n.status([
                State::Backoff,
                State::Running,
                State::Running,
                State::Running
            ]),
            None
        );
        assert_eq!(
            n.status([State::Running; 4]),
            Some(Message::Status("4 programs: 4 RUNNING".into()))
        );
    }

    #[test]
    fn status_line_orders_states_by_code() {
        assert_eq!(status_line([]), "0 programs");
        assert_eq!(status_line([State::Starting]), "1 program: 1 STARTING");
        assert_eq!(
            status_line([
                State::Fatal,
                State::Stopped,
                State::Exited,
                State::Stopping,
                State::Running,
                State::Unknown,
            ]),
            "6 programs: 1 STOPPED, 1 RUNNING, 1 STOPPING, 1 EXITED, 1 FATAL, 1 UNKNOWN"
        );
    }

    #[test]
    fn no_watchdog_no_deadline() {
        let mut n = Notify::new(None, Mono(0));
        assert_eq!(n.deadline(), None);
        assert_eq!(n.due(Mono::from_secs(1_000_000)), None);
        n.ready();
        n.status([State::Running]);
        assert_eq!(n.deadline(), None);
    }

    #[test]
    fn watchdog_every_period() {
        let period = Duration::from_millis(200);
        let mut n = Notify::new(Some(period), Mono(1_000));
        assert_eq!(n.deadline(), Some(Mono(1_200)));
        assert_eq!(n.due(Mono(1_199)), None);
        assert_eq!(n.due(Mono(1_200)), Some(Message::Watchdog));
        assert_eq!(n.deadline(), Some(Mono(1_400)));
        assert_eq!(n.due(Mono(1_300)), None);
        // A late wake-up sends one, and the next is a period from then.
        assert_eq!(n.due(Mono(2_000)), Some(Message::Watchdog));
        assert_eq!(n.due(Mono(2_000)), None);
        assert_eq!(n.deadline(), Some(Mono(2_200)));
        // It keeps going while stopping (systemd still watches).
        n.stopping();
        assert_eq!(n.due(Mono(2_200)), Some(Message::Watchdog));
    }

    #[test]
    fn watchdog_period_from_env() {
        let d = |ms| Some(Duration::from_millis(ms));
        assert_eq!(watchdog_period(Some("400000"), None, 7), d(200));
        assert_eq!(watchdog_period(Some("400000"), Some("7"), 7), d(200));
        assert_eq!(watchdog_period(Some("400000"), Some("8"), 7), None);
        assert_eq!(watchdog_period(Some("400000"), Some("x"), 7), None);
        assert_eq!(watchdog_period(None, Some("7"), 7), None);
        assert_eq!(watchdog_period(Some("0"), None, 7), None);
        assert_eq!(watchdog_period(Some("abc"), None, 7), None);
        assert_eq!(watchdog_period(Some("1"), None, 7), d(1));
    }

    #[test]
    fn message_texts() {
        assert_eq!(Message::Ready.text(), "READY=1");
        assert_eq!(
            Message::Reloading { monotonic_usec: 42 }.text(),
            "RELOADING=1\nMONOTONIC_USEC=42"
        );
        assert_eq!(Message::Stopping.text(), "STOPPING=1");
        assert_eq!(Message::Status("x".into()).text(), "STATUS=x");
        assert_eq!(Message::Watchdog.text(), "WATCHDOG=1");
    }
}
