//! Control requests whose reply waits for processes (`start`, `stop`, `restart`, `update`),
//! as pure state machines: [`Wait::step`] looks at the process table at `now` and returns
//! the [`Effect`]s to carry out; the loop carries them out, reports a failed stop back with
//! [`Wait::stop_failed`], and steps again until a step returns nothing. The loop steps
//! every wait after each wake-up and wakes at [`Wait::next_report`] for the
//! `waiting for NAME to stop` lines.

use std::collections::VecDeque;
use std::time::Duration;

use crate::config::diff::{Action as Plan, Change};
use crate::config::model::Config;
use crate::daemon::io::Key;
use crate::daemon::names::Item;
use crate::daemon::procs::{ProcId, Procs};
use crate::messages;
use crate::process::order::{Step, StopSequencer};
use crate::process::state::State;
use crate::protocol::fault::Fault;
use crate::protocol::results::{self, Action, ResultLine, UpdateStep};
use crate::time::Mono;

/// How often a waiting stop request logs `waiting for NAME to stop`, as the reference.
pub const STOP_REPORT: Duration = Duration::from_secs(2);

/// What the loop must do for a wait.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Feed `Stop` to the process; report a failure with [`Wait::stop_failed`].
    Stop(ProcId),
    /// Log this line at INFO.
    Log(String),
    /// Send this result line to the client.
    Line(ResultLine),
    /// `update`: add this group of the wait's config (and autostart it).
    AddGroup(String),
    /// `update`: remove this (stopped) group.
    RemoveGroup(String),
    /// `update`: bring this group's members to the wait's config one by one (the processes to
    /// stop or restart are stopped); restart those of `up` that were running.
    ApplyMembers {
        /// The group.
        group: String,
        /// What happens to each changed member.
        changes: Vec<Change>,
        /// Members restarted that were running before their stop.
        up: Vec<String>,
    },
    /// The stop half of a `restart` is done: start these names for the same client.
    Start(Vec<String>),
    /// The reply is complete.
    Finish,
    /// How each process of a start or stop ended, in request order, just before their
    /// lines: what a codec that answers with data (XML-RPC) reports.
    Verdicts(Vec<Verdict>),
}

/// How a waited-for request ended for one process.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The process, if the name matched one.
    pub proc: Option<ProcId>,
    /// The name as given or resolved.
    pub spec: String,
    /// `None`: done.
    pub fault: Option<Fault>,
    /// Why, when it says more than the name (`can't find command 'x'`).
    pub why: String,
}

impl Verdict {
    /// The verdict of a settled item.
    pub fn of(it: &Item) -> Verdict {
        Verdict {
            proc: it.proc,
            spec: it.spec.clone(),
            fault: it.fault,
            why: it.why.clone(),
        }
    }

    /// The fault's detail: the reason when there is one, else the name.
    pub fn detail(&self) -> &str {
        if self.why.is_empty() {
            &self.spec
        } else {
            &self.why
        }
    }
}

fn verdicts(items: &[Item]) -> Vec<Verdict> {
    items.iter().map(Verdict::of).collect()
}

/// A request whose reply waits for processes.
#[derive(Debug)]
pub struct Wait {
    client: Key,
    kind: Kind,
    done: bool,
}

#[derive(Debug)]
enum Kind {
    /// Waiting for started processes to reach RUNNING (or fail).
    Start { items: Vec<Item> },
    /// Stopping processes level by level; `then_start` holds the names of a `restart`.
    Stop {
        items: Vec<Item>,
        seq: StopSequencer<ProcId>,
        then_start: Option<Vec<String>>,
    },
    /// `update`: steps run one after another; a step may be stopping a group.
    Update {
        config: Box<Config>,
        steps: VecDeque<UpdateTask>,
        stopping: Option<Stopping>,
    },
}

/// One step of an `update` wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateTask {
    /// The reference's step for a whole group (added, removed, or replaced).
    Group(UpdateStep),
    /// A changed group whose members change one by one (`config::diff`): stop those removed
    /// or restarted, then apply.
    Members {
        /// The group.
        group: String,
        /// Its changed members.
        changes: Vec<Change>,
    },
}

#[derive(Debug)]
struct Stopping {
    task: UpdateTask,
    seq: StopSequencer<ProcId>,
    items: Vec<Item>,
    /// `Members`: the restarted members that were running.
    up: Vec<String>,
}

/// How a start request ended for one process, per the reference's `startProcess` wait
/// (`done`: a `ready=exit` task exited as expected, which is its success).
fn start_verdict(state: State, spawnerr: Option<&str>, done: bool) -> Option<Option<Fault>> {
    if state == State::Running || done {
        return Some(None);
    }
    if spawnerr.is_some() && state != State::Starting {
        return Some(Some(Fault::SpawnError));
    }
    if state != State::Starting {
        return Some(Some(Fault::AbnormalTermination));
    }
    None
}

impl Wait {
    /// A `start` whose items were started (or failed at once, with their result set).
    pub fn start(client: Key, items: Vec<Item>) -> Wait {
        Wait {
            client,
            kind: Kind::Start { items },
            done: false,
        }
    }

    /// A `stop` (or the stop half of a `restart`, which then starts `then_start`). Items of
    /// processes not running get NOT_RUNNING now; the rest stop level by level.
    pub fn stop(
        client: Key,
        mut items: Vec<Item>,
        procs: &Procs,
        then_start: Option<Vec<String>>,
    ) -> Wait {
        let mut ids = Vec::new();
        for it in items.iter_mut() {
            let Some(id) = it.proc else { continue };
            // A repeated name finds the process already stopped by the earlier one.
            if procs.state_of(id).is_running() && !ids.contains(&id) {
                ids.push(id);
            } else {
                it.settle(Action::Stop, Some(Fault::NotRunning), "");
            }
        }
        let seq = StopSequencer::new(procs.stop_levels(Some(&ids)));
        Wait {
            client,
            kind: Kind::Stop {
                items,
                seq,
                then_start,
            },
            done: false,
        }
    }

    /// An `update` running `steps` against `config`.
    pub fn update(client: Key, config: Config, steps: Vec<UpdateTask>) -> Wait {
        Wait {
            client,
            kind: Kind::Update {
                config: Box::new(config),
                steps: steps.into(),
                stopping: None,
            },
            done: false,
        }
    }

    /// The client waiting.
    pub fn client(&self) -> Key {
        self.client
    }

    /// True once the reply is complete (or handed to a follow-up `start`).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The config an `update` applies.
    pub fn config(&self) -> Option<&Config> {
        match &self.kind {
            Kind::Update { config, .. } => Some(config),
            _ => None,
        }
    }

    /// A `Stop` effect failed: the process's line says FAILED with the reason.
    pub fn stop_failed(&mut self, id: ProcId, message: &str) {
        let items = match &mut self.kind {
            Kind::Stop { items, .. } => items,
            Kind::Update {
                stopping: Some(s), ..
            } => &mut s.items,
            _ => return,
        };
        if let Some(it) = items.iter_mut().find(|it| it.proc == Some(id)) {
            it.settle(
                Action::Stop,
                Some(Fault::Failed),
                &format!("FAILED: {message}"),
            );
        }
    }

    /// Moves the wait forward over the processes' states at `now`.
    pub fn step(&mut self, procs: &Procs, now: Mono) -> Vec<Effect> {
        if self.done {
            return Vec::new();
        }
        let mut out = Vec::new();
        let done = match &mut self.kind {
            Kind::Start { items } => step_start(items, procs, &mut out),
            Kind::Stop {
                items,
                seq,
                then_start,
            } => step_stop(items, seq, then_start, procs, now, &mut out),
            Kind::Update {
                config,
                steps,
                stopping,
            } => step_update(config, steps, stopping, procs, now, &mut out),
        };
        self.done = done;
        out
    }

    /// When the next `waiting for NAME to stop` is due.
    pub fn next_report(&self, procs: &Procs) -> Option<Mono> {
        let items = match &self.kind {
            Kind::Stop { items, .. } => items,
            Kind::Update {
                stopping: Some(s), ..
            } => &s.items,
            _ => return None,
        };
        items
            .iter()
            .filter(|it| {
                it.proc
                    .is_some_and(|id| procs.state_of(id) == State::Stopping)
            })
            .filter_map(|it| it.reported.map(|t| t.plus(STOP_REPORT)))
            .min()
    }
}

fn step_start(items: &mut [Item], procs: &Procs, out: &mut Vec<Effect>) -> bool {
    for it in items.iter_mut().filter(|it| it.result.is_none()) {
        let Some(p) = it.proc.and_then(|id| procs.get(id)) else {
            it.settle(Action::Start, Some(Fault::BadName), "");
            continue;
        };
        if let Some(verdict) = start_verdict(
            p.machine.state(),
            p.machine.spawnerr(),
            p.machine.is_ready(),
        ) {
            it.settle(Action::Start, verdict, "");
        }
    }
    if items.iter().any(|it| it.result.is_none()) {
        return false;
    }
    out.push(Effect::Verdicts(verdicts(items)));
    out.extend(
        items
            .iter_mut()
            .filter_map(|it| it.result.take())
            .map(Effect::Line),
    );
    out.push(Effect::Finish);
    true
}

fn step_stop(
    items: &mut [Item],
    seq: &mut StopSequencer<ProcId>,
    then_start: &mut Option<Vec<String>>,
    procs: &Procs,
    now: Mono,
    out: &mut Vec<Effect>,
) -> bool {
    if !stop_levels(seq, items, procs, now, out) {
        return false;
    }
    for it in items.iter_mut().filter(|it| it.result.is_none()) {
        it.settle(Action::Stop, None, "");
    }
    out.push(Effect::Verdicts(verdicts(items)));
    out.extend(items.iter_mut().map(|it| {
        Effect::Line(
            it.result
                .take()
                .unwrap_or_else(|| results::process_result(Action::Stop, &it.spec, None, "")),
        )
    }));
    out.push(match then_start.take() {
        Some(names) => Effect::Start(names),
        None => Effect::Finish,
    });
    true
}

fn step_update(
    config: &Config,
    steps: &mut VecDeque<UpdateTask>,
    stopping: &mut Option<Stopping>,
    procs: &Procs,
    now: Mono,
    out: &mut Vec<Effect>,
) -> bool {
    if let Some(s) = stopping.as_mut() {
        if !stop_levels(&mut s.seq, &mut s.items, procs, now, out) {
            return false;
        }
        let failed = s.items.iter().any(|it| it.result.is_some());
        let task = s.task.clone();
        let up = std::mem::take(&mut s.up);
        *stopping = None;
        let step = match task {
            UpdateTask::Group(step) => step,
            UpdateTask::Members { group, changes } => {
                out.push(Effect::Line(results::update_line(&group, "stopped")));
                apply_members(group, changes, up, out);
                return false;
            }
        };
        match step {
            UpdateStep::Remove(g) => {
                out.push(Effect::Line(results::update_line(&g, "stopped")));
                if failed {
                    out.push(Effect::Line(results::update_has_problems(&g)));
                } else {
                    out.push(Effect::RemoveGroup(g.clone()));
                    out.push(Effect::Line(results::update_line(
                        &g,
                        "removed process group",
                    )));
                }
            }
            UpdateStep::Replace(g) => {
                out.push(Effect::Line(results::update_line(&g, "stopped")));
                out.push(Effect::RemoveGroup(g.clone()));
                if config.groups.iter().any(|x| x.name == g) {
                    out.push(Effect::AddGroup(g.clone()));
                }
                out.push(Effect::Line(results::update_line(
                    &g,
                    "updated process group",
                )));
            }
            UpdateStep::Add(_) => {}
        }
        // The loop carries these out, then steps again for the next update step.
        return false;
    }
    let Some(task) = steps.pop_front() else {
        out.push(Effect::Finish);
        return true;
    };
    let step = match task {
        UpdateTask::Group(step) => step,
        UpdateTask::Members { group, changes } => {
            let mut ids = Vec::new();
            let mut up = Vec::new();
            for c in &changes {
                let Some(id) = procs.find(&group, &c.name) else {
                    continue;
                };
                match c.action {
                    Plan::Stop => ids.push(id),
                    Plan::Restart(_) => {
                        ids.push(id);
                        if procs.state_of(id).is_running() {
                            up.push(c.name.clone());
                        }
                    }
                    Plan::Start | Plan::InPlace(_) => {}
                }
            }
            if ids.is_empty() {
                apply_members(group, changes, up, out);
                return false;
            }
            let seq = StopSequencer::new(procs.stop_levels(Some(&ids)));
            let items = ids.into_iter().map(stop_item).collect();
            let task = UpdateTask::Members { group, changes };
            *stopping = Some(Stopping {
                task,
                seq,
                items,
                up,
            });
            return step_update(config, steps, stopping, procs, now, out);
        }
    };
    match &step {
        UpdateStep::Add(g) => {
            if config.groups.iter().any(|x| &x.name == g) {
                out.push(Effect::AddGroup(g.clone()));
            }
            out.push(Effect::Line(results::update_line(g, "added process group")));
            false
        }
        UpdateStep::Remove(g) | UpdateStep::Replace(g) => {
            let ids = procs.group_ids(g);
            let seq = StopSequencer::new(procs.stop_levels(Some(&ids)));
            let items = ids.into_iter().map(stop_item).collect();
            *stopping = Some(Stopping {
                task: UpdateTask::Group(step),
                seq,
                items,
                up: Vec::new(),
            });
            step_update(config, steps, stopping, procs, now, out)
        }
    }
}

/// The item of a process an `update` stops.
fn stop_item(id: ProcId) -> Item {
    Item {
        proc: Some(id),
        spec: String::new(),
        result: None,
        fault: None,
        why: String::new(),
        reported: None,
    }
}

/// The end of a `Members` task: apply, then `g: updated process group`.
fn apply_members(group: String, changes: Vec<Change>, up: Vec<String>, out: &mut Vec<Effect>) {
    let line = results::update_line(&group, "updated process group");
    out.push(Effect::ApplyMembers { group, changes, up });
    out.push(Effect::Line(line));
}

/// Drives a stop sequencer over `items`: asks to stop the current level's running
/// processes and logs `waiting for NAME to stop` for those STOPPING; true when every level
/// is stopped.
fn stop_levels(
    seq: &mut StopSequencer<ProcId>,
    items: &mut [Item],
    procs: &Procs,
    now: Mono,
    out: &mut Vec<Effect>,
) -> bool {
    match seq.next(|id| procs.state_of(*id)) {
        Step::Done => return true,
        Step::Level { stop, .. } => out.extend(stop.into_iter().map(Effect::Stop)),
    }
    for it in items.iter_mut() {
        let Some(p) = it.proc.and_then(|id| procs.get(id)) else {
            continue;
        };
        if p.machine.state() != State::Stopping {
            continue;
        }
        if it.reported.is_none_or(|t| now >= t.plus(STOP_REPORT)) {
            out.push(Effect::Log(messages::waiting_for_stop(p.machine.name())));
            it.reported = Some(now);
        }
    }
    false
}
