//! `status --json` and `avail --json` on the text protocol: the rows as
//! `protocol::info` renders them, one JSON document in the reply's body.

use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::daemon::procs::Proc;
use crate::protocol::fault::Outcome;
use crate::protocol::info::{self, ProcessInfo};
use crate::protocol::status::{self, DescribeInput};
use crate::sys;

/// Epoch seconds of a wall-clock time in ms, 0 for none.
fn secs(ms: Option<u64>) -> i64 {
    ms.map_or(0, |ms| (ms / 1000) as i64)
}

/// One process's row, at `now_ms`.
fn process_info(p: &Proc, now_ms: u64) -> ProcessInfo {
    let state = p.machine.state();
    let pid = p.machine.pid().unwrap_or(0);
    let (start, stop, now) = (
        secs(p.start_wall_ms),
        secs(p.stop_wall_ms),
        secs(Some(now_ms)),
    );
    let stop_text = match state.name() {
        "STOPPED" | "EXITED" if p.machine.laststart().is_some() && stop > 0 => {
            Some(crate::time::stop_time(&sys::localtime(stop)))
        }
        _ => None,
    };
    let description = status::describe(&DescribeInput {
        state_name: state.name(),
        name: p.machine.name(),
        pid: pid as u32,
        uptime_secs: now - start,
        stop_time: stop_text.as_deref(),
        spawnerr: p.machine.spawnerr().unwrap_or(""),
        note: &crate::daemon::requests::status_note(p, crate::time::Mono::now()),
    });
    let log = |i: usize| {
        p.logs[i]
            .path
            .as_ref()
            .map(|x| x.display().to_string())
            .unwrap_or_default()
    };
    ProcessInfo {
        name: p.machine.name().to_string(),
        group: p.group().to_string(),
        statename: state.name().to_string(),
        state: i64::from(state.code()),
        pid: i64::from(pid),
        start,
        stop,
        now,
        exitstatus: i64::from(p.machine.exitstatus().unwrap_or(0)),
        spawnerr: p.machine.spawnerr().unwrap_or("").to_string(),
        description,
        stdout_logfile: log(0),
        stderr_logfile: log(1),
    }
}

impl Daemon {
    /// `status --json [NAME...]`.
    pub(super) fn status_json_request(&mut self, key: Key, names: &[String]) {
        let now_ms = sys::wall_clock_ms();
        let mut rows: Vec<ProcessInfo> = self
            .sup
            .procs()
            .iter()
            .map(|(_, p)| process_info(p, now_ms))
            .collect();
        crate::sort::sort_by(&mut rows, &|a, b| {
            (&a.group, &a.name).cmp(&(&b.group, &b.name))
        });
        let (doc, outcome) = info::status_json(&rows, names);
        self.control.push_text(key, doc.as_bytes());
        self.control.finish_with(key, outcome, &mut self.io);
    }

    /// `avail --json`.
    pub(super) fn avail_json_request(&mut self, key: Key) {
        let doc = info::avail_json(&self.avail_infos());
        self.control.push_text(key, doc.as_bytes());
        self.control.finish_with(key, Outcome::ok(), &mut self.io);
    }
}
