//! The daemon-level machine, pure: running, then stopping everything level by level in
//! descending priority (for a shutdown or a restart), then done. [`Lifecycle::stop`] and
//! [`Lifecycle::step`] look at the process table at `now` and return the [`Effect`]s to
//! carry out; the loop steps again until a step returns nothing, and wakes at
//! [`Lifecycle::deadline`] for the `waiting for NAMES to die` line.

use std::time::Duration;

use crate::daemon::procs::{ProcId, Procs};
use crate::messages;
use crate::process::machine::Mood;
use crate::process::order::{Step, StopSequencer};
use crate::time::Mono;

/// How often shutdown says which processes it is still waiting for.
pub const WAIT_LOG: Duration = Duration::from_secs(3);

/// What the loop must do for the daemon machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The daemon leaves RUNNING: raise SUPERVISOR_STATE_CHANGE_STOPPING.
    LeaveRunning,
    /// Tell every process the new mood (no more automatic starts).
    Mood(Mood),
    /// Feed `Shutdown` to these processes (the current level), in order.
    Shutdown(Vec<ProcId>),
    /// Log this line at INFO.
    Log(String),
    /// Everything is stopped: read what is left in the pipes, then exit or restart.
    Done(Mood),
}

/// The daemon's mood and, while stopping, where the stop is.
#[derive(Debug)]
pub struct Lifecycle {
    mood: Mood,
    seq: Option<StopSequencer<ProcId>>,
    next_report: Option<Mono>,
}

impl Default for Lifecycle {
    fn default() -> Lifecycle {
        Lifecycle::new()
    }
}

impl Lifecycle {
    /// A running daemon.
    pub fn new() -> Lifecycle {
        Lifecycle {
            mood: Mood::Running,
            seq: None,
            next_report: None,
        }
    }

    /// The daemon's mood.
    pub fn mood(&self) -> Mood {
        self.mood
    }

    /// Begins stopping everything for `goal` (`Restarting` or `ShuttingDown`). A shutdown
    /// under way is never turned into a restart; a restart may become a shutdown.
    pub fn stop(&mut self, goal: Mood, procs: &Procs, now: Mono) -> Vec<Effect> {
        if self.mood == Mood::ShuttingDown || goal == Mood::Running {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.mood == Mood::Running {
            out.push(Effect::LeaveRunning);
        }
        self.mood = goal;
        out.push(Effect::Mood(goal));
        self.seq = Some(StopSequencer::new(procs.stop_levels(None)));
        self.next_report = Some(now);
        out
    }

    /// Moves the stop forward.
    pub fn step(&mut self, procs: &Procs, now: Mono) -> Vec<Effect> {
        let Some(seq) = self.seq.as_mut() else {
            return Vec::new();
        };
        match seq.next(|id| procs.state_of(*id)) {
            Step::Level { stop, .. } if !stop.is_empty() => return vec![Effect::Shutdown(stop)],
            Step::Level { .. } => {}
            Step::Done => {
                self.seq = None;
                self.next_report = None;
                return vec![Effect::Done(self.mood)];
            }
        }
        if self.next_report.is_none_or(|t| t > now) {
            return Vec::new();
        }
        self.next_report = Some(now.plus(WAIT_LOG));
        let names: Vec<String> = procs
            .iter()
            .filter(|(_, p)| !p.machine.state().is_stopped())
            .map(|(_, p)| p.machine.name().to_string())
            .collect();
        if names.is_empty() {
            return Vec::new();
        }
        vec![Effect::Log(messages::waiting_to_die(&names))]
    }

    /// When the machine next needs a step of its own (the next waiting line).
    pub fn deadline(&self) -> Option<Mono> {
        self.next_report
    }
}
