//! `depends_on` at run time, as pure functions over the process table: whether a process
//! may be spawned now (its gate) and which stopped dependencies to start for it. (How deep
//! each process sits in the graph, for the stop order, is `Procs::order_entries`'.)

use crate::daemon::procs::{ProcId, Procs};
use crate::process::machine::describe_ready;
use crate::process::state::State;

/// Whether a process may be spawned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Every dependency is ready (or it has none).
    Open,
    /// Waiting for a dependency: `waiting for db (tcp:127.0.0.1:5432)`.
    Wait(String),
    /// A dependency went FATAL (its namespec).
    Failed(String),
}

/// The gate of process `id`. A dependency that no longer exists (removed by `update`) does
/// not hold it back.
pub fn gate(procs: &Procs, id: ProcId) -> Gate {
    let Some(p) = procs.get(id) else {
        return Gate::Open;
    };
    let mut waiting = None;
    for spec in &p.cfg().supervision.depends_on {
        let Some(d) = procs.find_spec(spec).and_then(|d| procs.get(d)) else {
            continue;
        };
        if d.machine.is_ready() {
            continue;
        }
        if d.machine.state() == State::Fatal {
            return Gate::Failed(spec.clone());
        }
        if waiting.is_none() {
            let how = describe_ready(&d.cfg().supervision.ready);
            waiting = Some(format!("waiting for {spec} ({how})"));
        }
    }
    waiting.map_or(Gate::Open, Gate::Wait)
}

/// The dependencies of `id` that nothing will start by itself: STOPPED, or EXITED and not
/// ready. Starting a process starts these first.
pub fn to_start(procs: &Procs, id: ProcId) -> Vec<ProcId> {
    let Some(p) = procs.get(id) else {
        return Vec::new();
    };
    p.cfg()
        .supervision
        .depends_on
        .iter()
        .filter_map(|spec| procs.find_spec(spec))
        .filter(|&d| {
            procs.get(d).is_some_and(|dp| {
                let state = dp.machine.state();
                state == State::Stopped || (state == State::Exited && !dp.machine.is_ready())
            })
        })
        .collect()
}
