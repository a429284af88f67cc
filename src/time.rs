//! Time as values. The state machine never reads a clock: the loop reads
//! [`Mono::now`] once per wake-up and passes it in, so tests drive a fake clock.

use std::time::Duration;

/// A point on the monotonic clock, in milliseconds since an arbitrary origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mono(pub u64);

impl Mono {
    /// Reads CLOCK_MONOTONIC.
    pub fn now() -> Mono {
        Mono(crate::sys::monotonic_ms())
    }

    /// Milliseconds.
    pub fn from_ms(ms: u64) -> Mono {
        Mono(ms)
    }

    /// Whole seconds.
    pub fn from_secs(s: u64) -> Mono {
        Mono(s.saturating_mul(1000))
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: Duration) -> Mono {
        Mono(self.0.saturating_add(d.as_millis() as u64))
    }

    /// `self + secs` seconds, saturating.
    pub fn plus_secs(self, secs: u64) -> Mono {
        Mono(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    /// The time from `earlier` to `self`, zero when `earlier` is later.
    pub fn since(self, earlier: Mono) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}
