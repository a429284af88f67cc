//! A machine's state as data, for the upgrade handover (`process::snapshot`).

use super::*;

impl Process {
    /// Its state for a handover to the upgraded daemon (`supervisord --upgrade`).
    pub fn snapshot(&self) -> crate::process::snapshot::Snapshot {
        crate::process::snapshot::Snapshot {
            state: self.state,
            want: self.want,
            pid: self.pid,
            laststart: self.laststart,
            laststop: self.laststop,
            spawnerr: self.spawnerr.clone(),
            exitstatus: self.exitstatus,
            backoff: self.backoff,
            delay: self.delay,
            fail: self.probing.fail.clone(),
            running_since: self.running_since,
            probe_error: self.probing.probe_error.clone(),
            health_failures: self.probing.health_failures,
            unhealthy: self.probing.unhealthy,
        }
    }

    /// The process a [`Process::snapshot`] describes, under `cfg`, mood `Running`.
    pub fn restore(
        cfg: impl Into<std::sync::Arc<ProcessConfig>>,
        s: crate::process::snapshot::Snapshot,
    ) -> Process {
        let mut p = Process::new(cfg);
        p.state = s.state;
        p.want = s.want;
        p.pid = s.pid;
        p.laststart = s.laststart;
        p.laststop = s.laststop;
        p.spawnerr = s.spawnerr;
        p.exitstatus = s.exitstatus;
        p.backoff = s.backoff;
        p.delay = s.delay;
        p.running_since = s.running_since;
        p.probing = Rare::new(Probing {
            fail: s.fail,
            probe_error: s.probe_error,
            health_failures: s.health_failures,
            unhealthy: s.unhealthy,
        });
        p
    }
}
