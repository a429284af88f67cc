//! The `metrics` reply and `GET /metrics`: the Prometheus text exposition format, version
//! 0.0.4 (pure rendering of plain data, so the daemon's internals stay out of this module).
//!
//! Every family gets its `# HELP` and `# TYPE` lines before its samples; label values are
//! escaped as the format requires (`\\`, `\"`, `\n`); counters end in `_total` and units
//! are base units (`_seconds`, `_bytes`), so `promtool check metrics` finds nothing to say.

use std::fmt::Write;

use crate::process::state::State;
use crate::stream::Stream;

/// The `Content-Type` of the exposition over HTTP.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a process's samples are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSample<'a> {
    /// Group name.
    pub group: &'a str,
    /// Process name.
    pub name: &'a str,
    /// The current state.
    pub state: State,
    /// Seconds since the last spawn while it runs (STARTING, RUNNING, STOPPING), else 0.
    pub uptime_secs: u64,
    /// Spawns after the first.
    pub restarts: u64,
    /// Start attempts that failed (each entry into BACKOFF).
    pub spawn_failures: u64,
    /// The last exit status, once it exited.
    pub last_exit: Option<i32>,
    /// Log bytes written, per stream (stdout, stderr).
    pub log_written: [u64; 2],
    /// Log bytes dropped because the log could not be written, per stream.
    pub log_dropped: [u64; 2],
    /// The health check's verdict; `None` (no check) counts as healthy.
    pub healthy: Option<bool>,
}

/// What the daemon's own samples are made of. `None` where the system could not tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaemonSample {
    /// The version reported in `supervisor_build_info`.
    pub version: String,
    /// Resident set size, in bytes.
    pub rss_bytes: Option<u64>,
    /// Open descriptors.
    pub open_fds: Option<u64>,
    /// Control clients connected (text and HTTP).
    pub clients: u64,
    /// Live `events` subscribers.
    pub event_subscribers: u64,
    /// Events waiting in the listener pools.
    pub events_buffered: u64,
    /// Events a full listener pool discarded.
    pub events_dropped_pool: u64,
    /// Events not sent to a live `events` subscriber that fell behind.
    pub events_dropped_live: u64,
    /// Restarts of the daemon (SIGHUP, `reload`).
    pub reloads: u64,
}

/// Metric types used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// May go up and down.
    Gauge,
    /// Only goes up.
    Counter,
}

/// An exposition being written: families in order, each announced once.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
    family: String,
}

impl Exposition {
    /// Starts the family `name`: its HELP and TYPE lines.
    pub fn family(&mut self, name: &str, help: &str, kind: MetricType) {
        self.family = name.to_string();
        let _ = write!(self.out, "# HELP {name} ");
        escape_help(&mut self.out, help);
        let kind = match kind {
            MetricType::Gauge => "gauge",
            MetricType::Counter => "counter",
        };
        let _ = writeln!(self.out, "\n# TYPE {name} {kind}");
    }

    /// One sample of the current family. Every value here is a count, so an integer: no
    /// float formatting (8 KB of the static daemon) for them.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: i64) {
        self.out.push_str(&self.family);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"");
                escape_label(&mut self.out, v);
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = write!(self.out, " {value}");
        self.out.push('\n');
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

/// `\` and LF escaped, as HELP text requires.
fn escape_help(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// `\`, `"` and LF escaped, as label values require.
pub fn escape_label(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A count as a sample value (saturating: no count comes near 2^63).
fn count(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The whole exposition: the daemon's families, then the processes' (in the order given).
pub fn render(d: &DaemonSample, procs: &[ProcessSample<'_>]) -> String {
    use MetricType::{Counter, Gauge};
    let mut e = Exposition::default();
    e.family("supervisor_up", "1 while supervisord answers.", Gauge);
    e.sample(&[], 1);
    e.family(
        "supervisor_build_info",
        "The version supervisord reports, as a label; always 1.",
        Gauge,
    );
    e.sample(
        &[
            ("version", &d.version),
            ("implementation", "supervisor-rs"),
            ("crate_version", env!("CARGO_PKG_VERSION")),
        ],
        1,
    );
    if let Some(rss) = d.rss_bytes {
        e.family(
            "supervisor_resident_memory_bytes",
            "Resident memory of supervisord itself.",
            Gauge,
        );
        e.sample(&[], count(rss));
    }
    if let Some(fds) = d.open_fds {
        e.family(
            "supervisor_open_fds",
            "Descriptors supervisord holds open.",
            Gauge,
        );
        e.sample(&[], count(fds));
    }
    e.family(
        "supervisor_control_clients",
        "Clients connected to the control sockets (text protocol and HTTP).",
        Gauge,
    );
    e.sample(&[], count(d.clients));
    e.family(
        "supervisor_event_subscribers",
        "Clients streaming events with the events command.",
        Gauge,
    );
    e.sample(&[], count(d.event_subscribers));
    e.family(
        "supervisor_events_buffered",
        "Events waiting in event listener pools.",
        Gauge,
    );
    e.sample(&[], count(d.events_buffered));
    e.family(
        "supervisor_events_dropped_total",
        "Events discarded: by a full listener pool (pool_overflow), or not sent to an events subscriber that fell behind (slow_reader).",
        Counter,
    );
    e.sample(&[("reason", "pool_overflow")], count(d.events_dropped_pool));
    e.sample(&[("reason", "slow_reader")], count(d.events_dropped_live));
    e.family(
        "supervisor_reloads_total",
        "Restarts of supervisord in place (SIGHUP or reload).",
        Counter,
    );
    e.sample(&[], count(d.reloads));
    render_processes(&mut e, procs);
    e.finish()
}

fn render_processes(e: &mut Exposition, procs: &[ProcessSample<'_>]) {
    use MetricType::{Counter, Gauge};
    let each = |e: &mut Exposition, f: &dyn Fn(&ProcessSample<'_>) -> Option<i64>| {
        for p in procs {
            if let Some(v) = f(p) {
                e.sample(&[("group", p.group), ("name", p.name)], v);
            }
        }
    };
    e.family(
        "supervisor_process_state",
        "1 for the state the process is in, 0 for every other state.",
        Gauge,
    );
    for p in procs {
        for s in State::ALL {
            let labels = [("group", p.group), ("name", p.name), ("state", s.name())];
            e.sample(&labels, i64::from(s == p.state));
        }
    }
    e.family(
        "supervisor_process_uptime_seconds",
        "Seconds since the process was spawned, while it is running; 0 otherwise.",
        Gauge,
    );
    each(e, &|p| Some(count(p.uptime_secs)));
    e.family(
        "supervisor_process_restarts_total",
        "Spawns of the process after its first.",
        Counter,
    );
    each(e, &|p| Some(count(p.restarts)));
    e.family(
        "supervisor_process_spawn_failures_total",
        "Start attempts that failed (the process entered BACKOFF).",
        Counter,
    );
    each(e, &|p| Some(count(p.spawn_failures)));
    e.family(
        "supervisor_process_last_exit_code",
        "The exit status of the process's last exit, -1 when a signal ended it (absent before one).",
        Gauge,
    );
    each(e, &|p| p.last_exit.map(i64::from));
    e.family(
        "supervisor_process_healthy",
        "1 when the process passes its health check or has none, 0 when it fails it.",
        Gauge,
    );
    each(e, &|p| Some(i64::from(p.healthy != Some(false))));
    for (family, help, pick) in [
        (
            "supervisor_process_log_bytes_total",
            "Bytes of output written to the process's log file, per stream.",
            0,
        ),
        (
            "supervisor_process_log_dropped_bytes_total",
            "Bytes of output lost because the log file could not be written, per stream.",
            1,
        ),
    ] {
        e.family(family, help, Counter);
        for p in procs {
            for s in [Stream::Stdout, Stream::Stderr] {
                let v = if pick == 0 {
                    p.log_written[s as usize]
                } else {
                    p.log_dropped[s as usize]
                };
                let labels = [("group", p.group), ("name", p.name), ("stream", s.name())];
                e.sample(&labels, count(v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(group: &'a str, name: &'a str, state: State) -> ProcessSample<'a> {
        ProcessSample {
            group,
            name,
            state,
            uptime_secs: 7,
            restarts: 2,
            spawn_failures: 1,
            last_exit: Some(3),
            log_written: [10, 20],
            log_dropped: [0, 5],
            healthy: None,
        }
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let mut e = Exposition::default();
        e.family("x", "a \\ b\nc", MetricType::Gauge);
        e.sample(&[("l", "q\"uo\\te\nnl")], -2);
        assert_eq!(
            e.finish(),
            "# HELP x a \\\\ b\\nc\n# TYPE x gauge\nx{l=\"q\\\"uo\\\\te\\nnl\"} -2\n"
        );
    }

    #[test]
    fn counts_saturate_at_the_largest_sample() {
        assert_eq!(count(7), 7);
        assert_eq!(count(u64::MAX), i64::MAX);
    }

    #[test]
    fn states_are_one_hot() {
        let procs = [
            sample("g", "a", State::Running),
            sample("g", "b", State::Fatal),
        ];
        let text = render(&DaemonSample::default(), &procs);
        for (name, on) in [("a", "RUNNING"), ("b", "FATAL")] {
            let rows: Vec<&str> = text
                .lines()
                .filter(|l| {
                    l.starts_with(&format!(
                        "supervisor_process_state{{group=\"g\",name=\"{name}\""
                    ))
                })
                .collect();
            assert_eq!(rows.len(), State::ALL.len());
            let ones: Vec<&&str> = rows.iter().filter(|l| l.ends_with(" 1")).collect();
            assert_eq!(ones.len(), 1, "{rows:?}");
            assert!(ones[0].contains(&format!("state=\"{on}\"")), "{ones:?}");
        }
    }

    #[test]
    fn every_family_is_announced_once_before_its_samples() {
        let mut p = sample("g\"x", "a", State::Stopped);
        p.last_exit = None;
        p.healthy = Some(false);
        let d = DaemonSample {
            version: "4.3.0".into(),
            rss_bytes: Some(4096),
            open_fds: Some(9),
            ..DaemonSample::default()
        };
        let text = render(&d, &[p]);
        let mut seen = std::collections::HashSet::new();
        let mut current = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap().to_string();
                assert!(seen.insert(name.clone()), "{name} twice");
                current = name;
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                assert!(rest.starts_with(&format!("{current} ")));
            } else {
                let name = line.split(['{', ' ']).next().unwrap();
                assert_eq!(name, current, "{line}");
            }
        }
        assert!(text.contains("supervisor_up 1\n"));
        assert!(text.contains("supervisor_build_info{version=\"4.3.0\""));
        assert!(text.contains("supervisor_resident_memory_bytes 4096\n"));
        assert!(text.contains("supervisor_process_healthy{group=\"g\\\"x\",name=\"a\"} 0\n"));
        assert!(!text.contains("supervisor_process_last_exit_code{"));
        assert!(text.contains(
            "supervisor_process_log_dropped_bytes_total{group=\"g\\\"x\",name=\"a\",stream=\"stderr\"} 5\n"
        ));
        assert!(text.ends_with('\n'));
    }
}
