//! The config requests of the control protocol: `avail`, `reread`, `update`, `add` and
//! `remove`, with the reference's semantics. `update` is a [`Wait`] whose steps run one after
//! another; a step that removes or replaces a group first stops it, level by level.

use crate::config::model::{Config, GroupConfig};
use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::daemon::waits::Wait;
use crate::process::machine::Input;
use crate::protocol::fault::{Fault, Outcome};
use crate::protocol::results;
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
            v.sort();
            v
        };
        (sort(added), sort(changed), sort(removed))
    }

    pub(super) fn reread_request(&mut self, key: Key) {
        match self.reload.read() {
            Ok(new) => {
                let (a, c, r) = self.diff_groups(&new);
                self.reload.set_loaded(new);
                let lines = results::reread_lines(&a, &c, &r);
                self.control
                    .reply_lines(key, &lines, Outcome::ok(), &mut self.io);
            }
            Err(e) => self.reply(
                key,
                vec![results::reread_error(Fault::CantReread, &e, false)],
            ),
        }
    }

    pub(super) fn update_request(&mut self, key: Key, names: &[String], now: Mono) {
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
        self.reload.set_loaded(new.clone());
        for l in &plan.errors {
            self.control.push_result(key, l);
        }
        let mut wait = Wait::update(key, new, plan.steps);
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
                self.feed(id, Input::AutoStart, now);
            }
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
