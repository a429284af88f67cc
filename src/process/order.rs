//! Start, stop and display order of processes, as pure functions over (group priority, group
//! name, process priority, process name), plus a small stop sequencer the loop drives during
//! shutdown and `stop all`.
//!
//! - Start order (autostart, `start all`): ascending by (group priority, group name, process
//!   priority, process name), as the reference sorts its groups and their processes.
//! - Stop order (shutdown, restart, `stop all`): the exact reverse, cut into *levels* of equal
//!   group priority. Every process of a level is stopped at once; the next level starts only
//!   once the whole level has stopped. (Deliberate difference: the reference's `stop all` goes
//!   in ascending order, and its shutdown one group at a time.) A `[group:x]` is therefore
//!   stopped as a whole, as in the reference.
//! - Status order: lexical by group name, then process name.

use crate::config::model::{GroupConfig, ProcessConfig};
use crate::process::state::State;
use std::cmp::Ordering;

/// One process, as the ordering functions see it. `Id` is whatever the loop uses to find the
/// process again (an index, a name pair, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a, Id> {
    /// The caller's handle.
    pub id: Id,
    /// Depth in the `depends_on` graph (0: depends on nothing). Dependents stop first.
    pub depth: u32,
    /// Priority of its group.
    pub group_priority: i64,
    /// Group name.
    pub group: &'a str,
    /// Priority of the process.
    pub priority: i64,
    /// Process name.
    pub name: &'a str,
}

impl<'a, Id> Entry<'a, Id> {
    /// The entry for `process` of `group`.
    pub fn new(id: Id, group: &'a GroupConfig, process: &'a ProcessConfig) -> Entry<'a, Id> {
        Entry {
            id,
            depth: 0,
            group_priority: group.priority,
            group: &group.name,
            priority: process.priority,
            name: &process.name,
        }
    }

    fn start_cmp(&self, other: &Self) -> Ordering {
        (self.group_priority, self.group, self.priority, self.name).cmp(&(
            other.group_priority,
            other.group,
            other.priority,
            other.name,
        ))
    }
}

/// Ids in start order (ascending priority).
pub fn start_order<Id: Clone>(entries: &[Entry<'_, Id>]) -> Vec<Id> {
    let mut sorted: Vec<&Entry<'_, Id>> = entries.iter().collect();
    crate::sort::sort_by(&mut sorted, &|a, b| a.start_cmp(b));
    sorted.into_iter().map(|e| e.id.clone()).collect()
}

/// Ids in stop order, grouped into levels: deepest in the `depends_on` graph first (what
/// depends on others stops before them), then highest group priority; within a level, the
/// reverse of start order (the order to send the signals in).
pub fn stop_levels<Id: Clone>(entries: &[Entry<'_, Id>]) -> Vec<Vec<Id>> {
    let mut sorted: Vec<&Entry<'_, Id>> = entries.iter().collect();
    crate::sort::sort_by(&mut sorted, &|a, b| {
        b.depth.cmp(&a.depth).then_with(|| b.start_cmp(a))
    });
    let mut levels: Vec<Vec<Id>> = Vec::new();
    let mut level_key = None;
    for e in sorted {
        if level_key != Some((e.depth, e.group_priority)) {
            level_key = Some((e.depth, e.group_priority));
            levels.push(Vec::new());
        }
        if let Some(level) = levels.last_mut() {
            level.push(e.id.clone());
        }
    }
    levels
}

/// Ids in `status` order: lexical by group name, then process name.
pub fn status_order<Id: Clone>(entries: &[Entry<'_, Id>]) -> Vec<Id> {
    let mut sorted: Vec<&Entry<'_, Id>> = entries.iter().collect();
    crate::sort::sort_by(&mut sorted, &|a, b| {
        (a.group, a.name).cmp(&(b.group, b.name))
    });
    sorted.into_iter().map(|e| e.id.clone()).collect()
}

/// What the loop should do next while stopping level by level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<Id> {
    /// Work on the current level: feed `Stop` (or `Shutdown`) to each of `stop` now, in this
    /// order; `waiting` are already STOPPING. Call [`StopSequencer::next`] again after the
    /// next state change.
    Level {
        /// Processes of the level still in a running state (RUNNING, STARTING, BACKOFF).
        stop: Vec<Id>,
        /// Processes of the level in STOPPING.
        waiting: Vec<Id>,
    },
    /// Every level is stopped.
    Done,
}

/// Drives a stop level by level. Stateless apart from the current level: each call looks at
/// the processes' states afresh, so a process restarted behind its back is simply stopped
/// again, and repeated calls never signal a STOPPING process twice.
#[derive(Debug, Clone)]
pub struct StopSequencer<Id> {
    levels: Vec<Vec<Id>>,
    current: usize,
}

impl<Id: Clone> StopSequencer<Id> {
    /// A sequencer over `levels` (from [`stop_levels`]).
    pub fn new(levels: Vec<Vec<Id>>) -> StopSequencer<Id> {
        StopSequencer { levels, current: 0 }
    }

    /// Skips the levels that are fully stopped (STOPPED, EXITED, FATAL or UNKNOWN, per
    /// `state_of`) and says what to do with the first one that is not.
    pub fn next(&mut self, state_of: impl Fn(&Id) -> State) -> Step<Id> {
        while let Some(level) = self.levels.get(self.current) {
            let mut stop = Vec::new();
            let mut waiting = Vec::new();
            for id in level {
                let state = state_of(id);
                if state.is_running() {
                    stop.push(id.clone());
                } else if !state.is_stopped() {
                    waiting.push(id.clone());
                }
            }
            if stop.is_empty() && waiting.is_empty() {
                self.current += 1;
            } else {
                return Step::Level { stop, waiting };
            }
        }
        Step::Done
    }

    /// Index of the level being worked on (== number of levels when done).
    pub fn current_level(&self) -> usize {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn e<'a>(gp: i64, g: &'a str, p: i64, n: &'a str) -> Entry<'a, &'a str> {
        Entry {
            id: n,
            depth: 0,
            group_priority: gp,
            group: g,
            priority: p,
            name: n,
        }
    }

    fn sample() -> Vec<Entry<'static, &'static str>> {
        vec![
            e(999, "web", 999, "web"),
            e(10, "db", 10, "db"),
            e(999, "api", 999, "api"),
            e(500, "pool", 2, "pool_b"),
            e(500, "pool", 1, "pool_z"),
            e(500, "pool", 2, "pool_a"),
            e(-5, "first", -5, "first"),
        ]
    }

    #[test]
    fn start_order_is_ascending_priority_then_names() {
        assert_eq!(
            start_order(&sample()),
            ["first", "db", "pool_z", "pool_a", "pool_b", "api", "web"]
        );
    }

    #[test]
    fn stop_levels_are_descending_and_reverse_start_order() {
        let levels = stop_levels(&sample());
        let want: Vec<Vec<&str>> = vec![
            vec!["web", "api"],
            vec!["pool_b", "pool_a", "pool_z"],
            vec!["db"],
            vec!["first"],
        ];
        assert_eq!(levels, want);
        let flat: Vec<&str> = levels.concat();
        let mut reversed = start_order(&sample());
        reversed.reverse();
        assert_eq!(flat, reversed);
        assert!(stop_levels::<u8>(&[]).is_empty());
    }

    #[test]
    fn dependents_stop_before_what_they_depend_on_then_priorities() {
        // db (depth 0) is depended on by api (1), which web (2) depends on; a low-priority
        // web still stops first.
        let mut entries = sample();
        for x in entries.iter_mut() {
            x.depth = match x.name {
                "api" => 1,
                "web" => 2,
                _ => 0,
            };
            if x.name == "web" {
                x.group_priority = -100;
            }
        }
        let levels = stop_levels(&entries);
        let want: Vec<Vec<&str>> = vec![
            vec!["web"],
            vec!["api"],
            vec!["pool_b", "pool_a", "pool_z"],
            vec!["db"],
            vec!["first"],
        ];
        assert_eq!(levels, want);
    }

    #[test]
    fn status_order_is_lexical_by_group_then_name() {
        assert_eq!(
            status_order(&sample()),
            ["api", "db", "first", "pool_a", "pool_b", "pool_z", "web"]
        );
    }

    #[test]
    fn sequencer_stops_one_level_at_a_time() {
        use State::*;
        let mut states: HashMap<&str, State> = [
            ("web", Running),
            ("api", Backoff),
            ("pool_a", Running),
            ("pool_b", Stopped),
            ("pool_z", Starting),
            ("db", Exited),
            ("first", Running),
        ]
        .into_iter()
        .collect();
        let mut seq = StopSequencer::new(stop_levels(&sample()));
        let mut next = |states: &HashMap<&str, State>| seq.next(|id| states[id]);

        // Level 999: both signalled at once.
        assert_eq!(
            next(&states),
            Step::Level {
                stop: vec!["web", "api"],
                waiting: vec![]
            }
        );
        states.insert("web", Stopping);
        states.insert("api", Stopped);
        assert_eq!(
            next(&states),
            Step::Level {
                stop: vec![],
                waiting: vec!["web"]
            },
            "level 500 waits for web"
        );
        states.insert("web", Stopped);
        // Level 500; pool_b already stopped.
        assert_eq!(
            next(&states),
            Step::Level {
                stop: vec!["pool_a", "pool_z"],
                waiting: vec![]
            }
        );
        // pool_z was restarted behind our back: it is asked to stop again.
        states.insert("pool_a", Stopping);
        states.insert("pool_z", Running);
        assert_eq!(
            next(&states),
            Step::Level {
                stop: vec!["pool_z"],
                waiting: vec!["pool_a"]
            }
        );
        states.insert("pool_a", Unknown);
        states.insert("pool_z", Fatal);
        // Level 10 (db) is already EXITED: skipped. Level -5 next.
        assert_eq!(
            next(&states),
            Step::Level {
                stop: vec!["first"],
                waiting: vec![]
            }
        );
        states.insert("first", Stopped);
        assert_eq!(next(&states), Step::Done);
        assert_eq!(next(&states), Step::Done);
        assert_eq!(seq.current_level(), 4);
    }
}
