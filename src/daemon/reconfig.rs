//! The config requests of the control protocol: `avail`, `reread`, `update`, `add` and
//! `remove`, with the reference's semantics. `update` is a [`Wait`] whose steps run one after
//! another; a step that removes or replaces a group first stops it, level by level.

use crate::config::model::{Config, GroupConfig};
use crate::daemon::commands::{Item, Wait, WaitKind};
use crate::daemon::event_loop::Daemon;
use crate::process::machine::Input;
use crate::process::order::StopSequencer;
use crate::protocol::fault::{Fault, Outcome};
use crate::protocol::results::{self, ResultLine, UpdateStep};
use crate::protocol::status::{self, AvailInfo};
use crate::time::Mono;

impl Daemon {
    pub(super) fn avail_request(&mut self, key: usize) {
        let config = self.loaded.clone().unwrap_or_else(|| self.config.clone());
        let mut infos = Vec::new();
        for g in &config.groups {
            let in_use = self.procs.group(&g.name).is_some();
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
        self.reply_lines(key, status::avail_lines(&infos), Outcome::ok());
    }

    /// Group names added, changed and removed between the running groups and `new`.
    fn diff_groups(&self, new: &Config) -> (Vec<String>, Vec<String>, Vec<String>) {
        let mut added = Vec::new();
        let mut changed = Vec::new();
        for g in &new.groups {
            match self.procs.group(&g.name) {
                None => added.push(g.name.clone()),
                Some(old) if old != g => changed.push(g.name.clone()),
                Some(_) => {}
            }
        }
        let removed: Vec<String> = self
            .procs
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

    pub(super) fn reread_request(&mut self, key: usize) {
        match (self.reloader)() {
            Ok(new) => {
                let (a, c, r) = self.diff_groups(&new);
                self.loaded = Some(new);
                let lines = results::reread_lines(&a, &c, &r);
                self.reply_lines(key, lines, Outcome::ok());
            }
            Err(e) => self.reply(
                key,
                vec![results::reread_error(Fault::CantReread, &e, false)],
            ),
        }
    }

    pub(super) fn update_request(&mut self, key: usize, names: &[String], now: Mono) {
        let new = match (self.reloader)() {
            Ok(c) => c,
            Err(e) => {
                return self.reply(
                    key,
                    vec![results::reread_error(Fault::CantReread, &e, true)],
                )
            }
        };
        let (a, c, r) = self.diff_groups(&new);
        let active: Vec<String> = self.procs.groups.iter().map(|g| g.name.clone()).collect();
        let plan = results::update_plan(&a, &c, &r, &active, names);
        self.loaded = Some(new.clone());
        if let Some(client) = self.control.clients.get_mut(&key) {
            for l in &plan.errors {
                client.conn.push_result(l);
            }
        }
        self.waits.push(Wait {
            key,
            kind: WaitKind::Update {
                config: Box::new(new),
                steps: plan.steps.into(),
                stopping: None,
            },
        });
        self.check_waits(now);
    }

    fn push_line(&mut self, key: usize, line: &ResultLine) {
        if let Some(c) = self.control.clients.get_mut(&key) {
            c.conn.push_result(line);
        }
    }

    pub(super) fn advance_update(&mut self, wait: &mut Wait, now: Mono) -> bool {
        let key = wait.key;
        let WaitKind::Update {
            config,
            steps,
            stopping,
        } = &mut wait.kind
        else {
            return true;
        };
        loop {
            if let Some((step, seq, items)) = stopping.as_mut() {
                if !self.step_stop(seq, items, now) {
                    return false;
                }
                let failed = items.iter().any(|it| it.result.is_some());
                let step = step.clone();
                *stopping = None;
                match step {
                    UpdateStep::Remove(g) => {
                        self.push_line(key, &results::update_line(&g, "stopped"));
                        if failed {
                            self.push_line(key, &results::update_has_problems(&g));
                        } else {
                            self.remove_group(&g);
                            self.push_line(key, &results::update_line(&g, "removed process group"));
                        }
                    }
                    UpdateStep::Replace(g) => {
                        self.push_line(key, &results::update_line(&g, "stopped"));
                        self.remove_group(&g);
                        if let Some(gc) = config.groups.iter().find(|x| x.name == g).cloned() {
                            self.add_group(&config.clone(), &gc, now);
                        }
                        self.push_line(key, &results::update_line(&g, "updated process group"));
                    }
                    UpdateStep::Add(_) => {}
                }
                continue;
            }
            let Some(step) = steps.pop_front() else {
                if let Some(c) = self.control.clients.get_mut(&key) {
                    c.conn.finish();
                }
                self.control.flush_client(key, &self.reactor);
                return true;
            };
            match &step {
                UpdateStep::Add(g) => {
                    if let Some(gc) = config.groups.iter().find(|x| &x.name == g).cloned() {
                        self.add_group(&config.clone(), &gc, now);
                    }
                    self.push_line(key, &results::update_line(g, "added process group"));
                }
                UpdateStep::Remove(g) | UpdateStep::Replace(g) => {
                    let ids = self.procs.group_ids(g);
                    let seq = StopSequencer::new(self.stop_levels(Some(&ids)));
                    let items = ids
                        .into_iter()
                        .map(|id| Item {
                            slot: Some(id),
                            spec: String::new(),
                            result: None,
                            reported: None,
                        })
                        .collect();
                    *stopping = Some((step.clone(), seq, items));
                }
            }
        }
    }

    fn add_group(&mut self, config: &Config, g: &GroupConfig, now: Mono) {
        let mut warnings = Vec::new();
        self.procs.add_group(config, g, &mut warnings);
        self.procs_changed();
        for w in warnings {
            self.logger.warn(&w);
        }
        if let Some(f) = &g.fcgi {
            let (lines, err) = self.fcgi.add(&g.name, f);
            for l in lines {
                self.logger.info(&l);
            }
            if let Some(e) = err {
                self.logger.error(&e);
            }
        }
        self.group_added(g);
        let ids = self.procs.group_ids(&g.name);
        for id in self.start_order() {
            if ids.contains(&id) {
                self.feed(id, Input::AutoStart, now);
            }
        }
    }

    fn remove_group(&mut self, name: &str) {
        let ids = self.procs.group_ids(name);
        for id in ids {
            self.close_slot_channels(id);
        }
        self.procs.remove_group(name);
        self.procs_changed();
        self.fcgi.remove(name);
        self.group_removed(name);
    }

    pub(super) fn add_request(&mut self, key: usize, names: &[String], now: Mono) {
        let config = self.loaded.clone().unwrap_or_else(|| self.config.clone());
        let mut lines = Vec::new();
        for name in names {
            let fault = if self.procs.group(name).is_some() {
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

    pub(super) fn remove_request(&mut self, key: usize, names: &[String]) {
        let mut lines = Vec::new();
        for name in names {
            let fault = if self.procs.group(name).is_none() {
                Some(Fault::BadName)
            } else if self.procs.group_ids(name).iter().any(|id| {
                self.procs
                    .get(*id)
                    .is_some_and(|s| !s.machine.state().is_stopped())
            }) {
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
