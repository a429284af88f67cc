//! The config requests of the control protocol: `avail`, `reread`, `update`, `add` and
//! `remove`, with the reference's semantics. `update` is a [`Wait`] whose steps run one after
//! another; a step that removes or replaces a group first stops it, level by level.
//!
//! Unlike the reference, a changed `[program:x]` or `[group:x]` is not replaced whole: only
//! its members whose spawn settings changed restart, removed members stop, new ones start,
//! and the rest take their new settings in place (`config::diff` says which).

use std::sync::Arc;

use crate::config::diff::{self, Action as Plan, Change, GroupChange};
use crate::config::model::{ChannelConfig, Config, GroupConfig, LogTarget, ProcessConfig};
use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::daemon::output;
use crate::daemon::procs::ProcId;
use crate::daemon::waits::{UpdateTask, Wait};
use crate::events::capture::Capture;
use crate::logfile::stamp::LineStamper;
use crate::process::machine::Input;
use crate::protocol::fault::{Fault, Outcome};
use crate::protocol::results::{self, ResultLine, UpdateStep};
use crate::protocol::status::{self, AvailInfo};
use crate::time::Mono;

impl Daemon {
    pub(super) fn avail_request(&mut self, key: Key) {
        let lines = status::avail_lines(&self.avail_infos());
        self.control
            .reply_lines(key, &lines, Outcome::ok(), &mut self.io);
    }

    /// The `avail` rows: every process of the last `reread` (or of the config in force).
    pub(super) fn avail_infos(&self) -> Vec<AvailInfo> {
        let config = self
            .reload
            .loaded()
            .cloned()
            .unwrap_or_else(|| self.config.clone());
        let mut infos = Vec::new();
        for g in &config.groups {
            let in_use = self.sup.procs().group(&g.name).is_some();
            for p in &g.processes {
                infos.push(AvailInfo {
                    group: g.name.clone(),
                    name: p.name.clone(),
                    in_use,
                    autostart: p.autostart,
                    group_prio: g.priority,
                    process_prio: p.priority,
                });
            }
        }
        infos
    }

    /// Group names added, changed and removed between the running groups and `new`.
    pub(super) fn diff_groups(&self, new: &Config) -> (Vec<String>, Vec<String>, Vec<String>) {
        let mut added = Vec::new();
        let mut changed = Vec::new();
        for g in &new.groups {
            match self.sup.procs().group(&g.name) {
                None => added.push(g.name.clone()),
                Some(old) if old != g => changed.push(g.name.clone()),
                Some(_) => {}
            }
        }
        let removed: Vec<String> = self
            .sup
            .procs()
            .groups
            .iter()
            .filter(|g| !new.groups.iter().any(|n| n.name == g.name))
            .map(|g| g.name.clone())
            .collect();
        let sort = |mut v: Vec<String>| {
            crate::sort::sort(&mut v);
            v
        };
        (sort(added), sort(changed), sort(removed))
    }

    pub(super) fn reread_request(&mut self, key: Key, verbose: bool) {
        match self.reload.read() {
            Ok(new) => {
                let (a, c, r) = self.diff_groups(&new);
                let mut lines = results::reread_lines(&a, &c, &r);
                if verbose {
                    lines.extend(diff::plan_lines(
                        &self.sup.procs().groups,
                        &new.groups,
                        None,
                    ));
                }
                self.reload.set_loaded(new);
                self.control
                    .reply_lines(key, &lines, Outcome::ok(), &mut self.io);
            }
            Err(e) => self.reply(
                key,
                vec![results::reread_error(Fault::CantReread, &e, false)],
            ),
        }
    }

    pub(super) fn update_request(&mut self, key: Key, names: &[String], dry_run: bool, now: Mono) {
        let new = match self.reload.read() {
            Ok(c) => c,
            Err(e) => {
                return self.reply(
                    key,
                    vec![results::reread_error(Fault::CantReread, &e, true)],
                )
            }
        };
        let (a, c, r) = self.diff_groups(&new);
        let procs = self.sup.procs();
        let active: Vec<String> = procs.groups.iter().map(|g| g.name.clone()).collect();
        let plan = results::update_plan(&a, &c, &r, &active, names);
        if dry_run {
            // Only the groups the plan kept (unknown names are its error lines).
            let kept: Vec<String> = plan
                .steps
                .iter()
                .map(|s| match s {
                    UpdateStep::Remove(g) | UpdateStep::Replace(g) | UpdateStep::Add(g) => {
                        g.clone()
                    }
                })
                .collect();
            let mut lines = plan.errors;
            lines.extend(
                diff::plan_lines(&procs.groups, &new.groups, Some(&kept))
                    .into_iter()
                    .map(ResultLine::plain),
            );
            return self.reply(key, lines);
        }
        let tasks = plan
            .steps
            .into_iter()
            .map(|step| match &step {
                UpdateStep::Replace(g) => {
                    let old = procs.group(g);
                    let newg = new.groups.iter().find(|x| &x.name == g);
                    match old.zip(newg).and_then(|(o, n)| diff::group_change(o, n)) {
                        Some(GroupChange::Members(changes)) => UpdateTask::Members {
                            group: g.clone(),
                            changes,
                        },
                        _ => UpdateTask::Group(step),
                    }
                }
                _ => UpdateTask::Group(step),
            })
            .collect();
        self.reload.set_loaded(new.clone());
        for l in &plan.errors {
            self.control.push_result(key, l);
        }
        let mut wait = Wait::update(key, new, tasks);
        self.run_wait(&mut wait, now);
        if !wait.is_done() {
            self.control.add_wait(wait);
        }
    }

    /// Adds a group of `config` and autostarts it.
    pub(super) fn add_group(&mut self, config: &Config, g: &GroupConfig, now: Mono) {
        let mut warnings = Vec::new();
        self.sup.procs_mut().add_group(config, g, &mut warnings);
        self.sup.procs_changed();
        for w in warnings {
            self.log.warn(&w);
        }
        if let Some(f) = &g.fcgi {
            let (lines, err) = self.sup.fcgi_mut().add(&g.name, f);
            for l in lines {
                self.log.info(&l);
            }
            if let Some(e) = err {
                self.log.error(&e);
            }
        }
        self.bus.group_added(g, &mut self.log);
        let ids = self.sup.procs().group_ids(&g.name);
        for id in self.sup.procs().start_order() {
            if ids.contains(&id) {
                self.boot(id, now);
            }
        }
    }

    /// Brings group `group`'s members to `config` one by one: removes those stopped for
    /// removal, replaces those stopped for a restart (starting them again if they were in
    /// `up` or autostart), adds new ones, and gives the rest their new settings in place.
    pub(super) fn apply_members(
        &mut self,
        config: &Config,
        group: &str,
        changes: &[Change],
        up: &[String],
        now: Mono,
    ) {
        let Some(g) = config.groups.iter().find(|g| g.name == group) else {
            return;
        };
        let mut warnings = Vec::new();
        let mut started: Vec<(ProcId, bool)> = Vec::new();
        for c in changes {
            self.log
                .info(&format!("update: {}", diff::change_line(group, c)));
            let old = self.sup.procs().find(group, &c.name);
            let new = g.processes.iter().find(|p| p.name == c.name);
            match (&c.action, old, new) {
                (Plan::Stop, Some(id), _) => {
                    self.close_pipes(id);
                    self.sup.procs_mut().remove_process(id);
                }
                (Plan::Restart(_), Some(id), Some(p)) => {
                    self.close_pipes(id);
                    let old = self.sup.procs_mut().remove_process(id);
                    // Counters survive a restart, and this is one.
                    let counters = old.as_ref().map(|o| o.counters.clone());
                    let keep = old.map(|old| {
                        let cfg = old.cfg().clone();
                        kept_logs(&cfg, p, old.logs.map(|l| l.path_buf()))
                    });
                    let procs = self.sup.procs_mut();
                    let id = procs.add_process(config, g, p, keep, &mut warnings);
                    if let (Some(kept), Some(new)) = (counters, procs.get_mut(id)) {
                        new.counters = kept;
                    }
                    started.push((id, up.contains(&c.name)));
                }
                (Plan::Start | Plan::Restart(_), None, Some(p)) => {
                    let procs = self.sup.procs_mut();
                    let id = procs.add_process(config, g, p, None, &mut warnings);
                    started.push((id, false));
                }
                (Plan::InPlace(_), Some(id), Some(p)) => self.update_in_place(config, id, p, now),
                _ => {}
            }
        }
        self.sup.procs_mut().set_group(g);
        self.sup.procs_changed();
        for w in warnings {
            self.log.warn(&w);
        }
        for id in self.sup.procs().start_order() {
            let Some((_, was_up)) = started.iter().find(|(i, _)| *i == id) else {
                continue;
            };
            // As at startup: the state file's wishes apply to a respawned process.
            self.boot(id, now);
            if *was_up && self.sup.procs().state_of(id).is_stopped() {
                self.feed(id, Input::Start, now);
            }
        }
    }

    /// Gives a process settings that need no respawn: the machine keeps its state, pid and
    /// counters; an open log with new rotation limits, mode or owner is opened again with
    /// them, a changed capture buffer starts empty, new time stamping applies from the next
    /// line, and a process that now autostarts and never ran starts.
    fn update_in_place(
        &mut self,
        config: &Config,
        id: ProcId,
        new: &Arc<ProcessConfig>,
        now: Mono,
    ) {
        let Some(p) = self.sup.procs_mut().get_mut(id) else {
            return;
        };
        let old = p.machine.shared_config().clone();
        p.machine.set_config(new.clone());
        let listener = p.listener.is_some();
        let mut reopen = false;
        for (i, (o, n)) in [(&old.stdout, &new.stdout), (&old.stderr, &new.stderr)]
            .into_iter()
            .enumerate()
        {
            let log = &mut p.logs[i];
            let opened_with = |c: &ChannelConfig| {
                (
                    c.logfile_maxbytes,
                    c.logfile_backups,
                    c.log.mode,
                    c.log.owner,
                )
            };
            if opened_with(o) != opened_with(n) && log.file.take().is_some() {
                reopen = true;
            }
            if o.log.timestamps != n.log.timestamps {
                let stamp = n.log.timestamps;
                log.lines =
                    LineStamper::new(stamp.unwrap_or(config.supervisord.logfile_timestamps));
            }
            if o.capture_maxbytes != n.capture_maxbytes && !(listener && i == 0) {
                log.capture =
                    (n.capture_maxbytes > 0).then(|| Box::new(Capture::new(n.capture_maxbytes)));
            }
        }
        // A stopped process's logs open again at its next spawn.
        if reopen && p.machine.pid().is_some() {
            for (level, line) in output::open_logs(p) {
                self.log.log(level, &line);
            }
        }
        if new.autostart && !old.autostart {
            self.boot(id, now);
        }
    }

    /// Removes a stopped group.
    pub(super) fn remove_group(&mut self, name: &str) {
        for id in self.sup.procs().group_ids(name) {
            self.close_pipes(id);
        }
        self.sup.procs_mut().remove_group(name);
        self.sup.procs_changed();
        self.sup.fcgi_mut().remove(name);
        self.bus.group_removed(name, &mut self.log);
    }

    pub(super) fn add_request(&mut self, key: Key, names: &[String], now: Mono) {
        let config = self
            .reload
            .loaded()
            .cloned()
            .unwrap_or_else(|| self.config.clone());
        let mut lines = Vec::new();
        for name in names {
            let fault = if self.sup.procs().group(name).is_some() {
                Some(Fault::AlreadyAdded)
            } else {
                match config.groups.iter().find(|g| &g.name == name).cloned() {
                    Some(g) => {
                        self.add_group(&config, &g, now);
                        None
                    }
                    None => Some(Fault::BadName),
                }
            };
            lines.push(results::add_result(name, fault));
        }
        self.reply(key, lines);
    }

    pub(super) fn remove_request(&mut self, key: Key, names: &[String]) {
        let mut lines = Vec::new();
        for name in names {
            let fault = if self.sup.procs().group(name).is_none() {
                Some(Fault::BadName)
            } else if self
                .sup
                .procs()
                .group_ids(name)
                .iter()
                .any(|id| !self.sup.procs().state_of(*id).is_stopped())
            {
                Some(Fault::StillRunning)
            } else {
                self.remove_group(name);
                None
            };
            lines.push(results::remove_result(name, fault));
        }
        self.reply(key, lines);
    }
}

/// The log paths a restarted process keeps: an AUTO log whose target stayed AUTO keeps its
/// file, as it would across a plain restart.
fn kept_logs(
    old: &ProcessConfig,
    new: &ProcessConfig,
    paths: [Option<std::path::PathBuf>; 2],
) -> [Option<std::path::PathBuf>; 2] {
    let [out, err] = paths;
    let keep = |o: &LogTarget, n: &LogTarget, path| {
        (matches!(o, LogTarget::Auto) && matches!(n, LogTarget::Auto))
            .then_some(path)
            .flatten()
    };
    [
        keep(&old.stdout.logfile, &new.stdout.logfile, out),
        keep(&old.stderr.logfile, &new.stderr.logfile, err),
    ]
}
