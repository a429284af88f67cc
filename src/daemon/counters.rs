//! What the daemon counts about one process for `metrics`, beside what its machine knows:
//! spawns, failed starts, log bytes written and dropped, and the health verdict. Counted
//! where the reactor already is (a state change, a log write); no policy reads them.

use crate::process::state::State;
use crate::stream::Stream;

/// One process's counters. They survive its restarts, not its removal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcCounters {
    spawns: u64,
    start_failures: u64,
    log_written: [u64; 2],
    log_dropped: [u64; 2],
    last_exit: Option<i32>,
    healthy: Option<bool>,
}

impl ProcCounters {
    /// A state change: entering STARTING is a spawn, entering BACKOFF a failed start.
    pub fn on_transition(&mut self, to: State) {
        match to {
            State::Starting => self.spawns += 1,
            State::Backoff => self.start_failures += 1,
            _ => {}
        }
    }

    /// `written` bytes reached the stream's log file and `dropped` did not.
    pub fn on_log_write(&mut self, stream: Stream, written: u64, dropped: u64) {
        let i = stream as usize;
        self.log_written[i] = self.log_written[i].saturating_add(written);
        self.log_dropped[i] = self.log_dropped[i].saturating_add(dropped);
    }

    /// The process exited with `code` (the reference's exit status: -1 for a signal).
    pub fn on_exit(&mut self, code: i32) {
        self.last_exit = Some(code);
    }

    /// The code of the last exit, once there was one.
    pub fn last_exit(&self) -> Option<i32> {
        self.last_exit
    }

    /// Spawns after the first.
    pub fn restarts(&self) -> u64 {
        self.spawns.saturating_sub(1)
    }

    /// Start attempts that failed.
    pub fn start_failures(&self) -> u64 {
        self.start_failures
    }

    /// Log bytes written, per stream.
    pub fn log_written(&self) -> [u64; 2] {
        self.log_written
    }

    /// Log bytes dropped, per stream.
    pub fn log_dropped(&self) -> [u64; 2] {
        self.log_dropped
    }

    /// A health verdict set here, which `metrics` prefers to the machine's own (the
    /// machine's `unhealthy()` when `healthcheck=` is set; healthy without a check).
    pub fn healthy(&self) -> Option<bool> {
        self.healthy
    }

    /// Records a health verdict from outside the machine (`None`: none). A hook for checks
    /// the process machine does not run itself.
    pub fn set_healthy(&mut self, healthy: Option<bool>) {
        self.healthy = healthy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_spawns_failures_and_log_bytes() {
        let mut c = ProcCounters::default();
        assert_eq!(c.restarts(), 0);
        for to in [
            State::Starting,
            State::Backoff,
            State::Starting,
            State::Running,
        ] {
            c.on_transition(to);
        }
        assert_eq!((c.restarts(), c.start_failures()), (1, 1));
        c.on_log_write(Stream::Stderr, 10, 3);
        c.on_log_write(Stream::Stdout, 4, 0);
        assert_eq!((c.log_written(), c.log_dropped()), ([4, 10], [0, 3]));
        assert_eq!(c.last_exit(), None);
        c.on_exit(-1);
        assert_eq!(c.last_exit(), Some(-1));
        assert_eq!(c.healthy(), None);
        c.set_healthy(Some(false));
        assert_eq!(c.healthy(), Some(false));
    }
}
