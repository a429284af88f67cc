//! Namespec resolution, pure: which processes a request's names mean, the way
//! supervisorctl walks them. As in the reference, `all` anywhere means `all` alone, and
//! `all` or `g:*` take only the processes the action applies to (start: not running; stop:
//! running; signal: signallable), so they never report `already started` / `not running`.
//! Names are not deduplicated (supervisorctl acts on each in turn); a process an earlier
//! name already starts or stops counts as started or stopped for a later `all` / `g:*`.

use crate::daemon::procs::{ProcId, Procs};
use crate::daemon::rotate;
use crate::protocol::fault::Fault;
use crate::protocol::results::{self, Action, ResultLine};
use crate::protocol::status;
use crate::time::Mono;

/// One process a request acts on, or one name that matched nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// None for a name that matched nothing (its error is already in `result`).
    pub proc: Option<ProcId>,
    /// The namespec as replies spell it.
    pub spec: String,
    /// The reply line, once known.
    pub result: Option<ResultLine>,
    /// The fault behind `result` (`None`: success), for codecs that report it as data.
    pub fault: Option<Fault>,
    /// Why, when the fault says more than the name (XML-RPC's fault text).
    pub why: String,
    /// When `waiting for NAME to stop` was last logged for it.
    pub reported: Option<Mono>,
}

impl Item {
    /// An item for a known process.
    pub fn of(procs: &Procs, id: ProcId) -> Item {
        Item {
            proc: Some(id),
            spec: procs.get(id).map(|p| p.namespec()).unwrap_or_default(),
            result: None,
            fault: None,
            why: String::new(),
            reported: None,
        }
    }

    fn failed(name: &str, line: ResultLine) -> Item {
        Item {
            proc: None,
            spec: name.to_string(),
            result: Some(line),
            fault: Some(Fault::BadName),
            why: String::new(),
            reported: None,
        }
    }
}

impl Item {
    /// Settles the item: its reply line for `action` and the fault behind it.
    pub fn settle(&mut self, action: Action, fault: Option<Fault>, detail: &str) {
        self.result = Some(results::process_result(action, &self.spec, fault, detail));
        self.fault = fault;
    }
}

/// `names` with `all` anywhere meaning `all` alone.
pub fn normalize(names: &[String]) -> Vec<String> {
    if names.iter().any(|n| n == "all") {
        vec!["all".to_string()]
    } else {
        names.to_vec()
    }
}

/// The items `names` mean for `action`, in request order.
pub fn resolve(procs: &Procs, names: &[String], action: Action) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    let applies = |id: ProcId, items: &[Item]| {
        let claimed = items.iter().any(|it| it.proc == Some(id));
        let state = procs.get(id).map(|s| s.machine.state());
        match (action, state) {
            (_, None) => false,
            (Action::Start, Some(st)) => !st.is_running() && !claimed,
            (Action::Stop, Some(st)) => st.is_running() && !claimed,
            (Action::Signal, Some(st)) => st.is_signallable(),
            (Action::Clear, Some(_)) => true,
            (Action::Rotate, Some(_)) => procs.get(id).is_some_and(rotate::has_log_file),
        }
    };
    let order = procs.start_order();
    for name in &normalize(names) {
        if name == "all" {
            for id in order.iter().copied() {
                if applies(id, &items) {
                    items.push(Item::of(procs, id));
                }
            }
            continue;
        }
        match status::split_namespec(name) {
            // clearProcessLogs takes no group; supervisorctl then shows `g:None`.
            (g, None) if action == Action::Clear => items.push(Item::failed(
                name,
                results::process_result(action, &format!("{g}:None"), Some(Fault::BadName), ""),
            )),
            (g, None) if procs.group(g).is_none() => {
                items.push(Item::failed(name, results::no_such_group(action, g)))
            }
            (g, None) => {
                for id in order.iter().copied() {
                    let in_group = procs.get(id).is_some_and(|s| s.group() == g);
                    if in_group && applies(id, &items) {
                        items.push(Item::of(procs, id));
                    }
                }
            }
            (g, Some(p)) => match procs.find(g, p) {
                Some(id) => items.push(Item::of(procs, id)),
                None => items.push(Item::failed(
                    name,
                    results::process_result(action, name, Some(Fault::BadName), ""),
                )),
            },
        }
    }
    items
}

/// The one process `group:name` (or `name`) names.
pub fn find_one(procs: &Procs, name: &str) -> Option<ProcId> {
    match status::split_namespec(name) {
        (g, Some(p)) => procs.find(g, p),
        _ => None,
    }
}
