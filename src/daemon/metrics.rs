//! The `metrics` request and `GET /metrics`: a snapshot of the parts, rendered by
//! `protocol::metrics` in the Prometheus text format. Read-only; nothing is kept between
//! two scrapes.

use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::protocol::fault::Outcome;
use crate::protocol::metrics::{self, DaemonSample, ProcessSample};
use crate::sys;

impl Daemon {
    /// The exposition of the daemon and every process (sorted by group, then name).
    pub(super) fn metrics_text(&self) -> String {
        let now_wall = sys::wall_clock_ms();
        let mut procs: Vec<ProcessSample<'_>> = self
            .sup
            .procs()
            .iter()
            .map(|(_, p)| {
                let running = p.machine.pid().is_some();
                let uptime_secs = match (running, p.start_wall_ms) {
                    (true, Some(st)) => now_wall.saturating_sub(st) / 1000,
                    _ => 0,
                };
                ProcessSample {
                    group: p.group(),
                    name: p.machine.name(),
                    state: p.machine.state(),
                    uptime_secs,
                    restarts: p.counters.restarts(),
                    spawn_failures: p.counters.start_failures(),
                    last_exit: p.counters.last_exit(),
                    log_written: p.counters.log_written(),
                    log_dropped: p.counters.log_dropped(),
                    healthy: p.counters.healthy().or_else(|| {
                        let checked = p.cfg().supervision.health.is_some();
                        checked.then(|| !p.machine.unhealthy())
                    }),
                }
            })
            .collect();
        crate::sort::sort_by(&mut procs, &|a, b| {
            (a.group, a.name).cmp(&(b.group, b.name))
        });
        let (events_buffered, events_dropped_pool) = self.bus.pool_counts();
        let (event_subscribers, events_dropped_live) = self.bus.tap_counts();
        let d = DaemonSample {
            version: crate::VERSION.to_string(),
            rss_bytes: sys::usage::resident_bytes(),
            open_fds: sys::usage::open_fds(),
            clients: self.control.client_count() as u64,
            event_subscribers,
            events_buffered,
            events_dropped_pool,
            events_dropped_live,
            reloads: self.reloads(),
        };
        metrics::render(&d, &procs)
    }

    /// `metrics` on the text protocol: the exposition as body lines.
    pub(super) fn metrics_request(&mut self, key: Key) {
        let text = self.metrics_text();
        self.control.push_text(key, text.as_bytes());
        self.control.finish_with(key, Outcome::ok(), &mut self.io);
    }

    /// `GET /metrics`.
    #[cfg(feature = "xmlrpc")]
    pub(super) fn metrics_http(&mut self, key: Key) {
        let body = self.metrics_text().into_bytes();
        let resp = crate::protocol::http::Response::new(200, metrics::CONTENT_TYPE, body);
        self.control.respond(key, resp, &mut self.io);
    }
}
