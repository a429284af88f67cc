//! `depends_on`: names resolved to processes once every group exists, the check that the
//! dependencies have no cycle, and the start order they give. Pure: groups in, names and
//! errors out.
//!
//! A name in `depends_on` is, in this order of preference:
//! - `group:process`: that one process (`group:` or `group:*`: every process of the group);
//! - a group name: every process of that group (a `[program:x]`'s own group, a
//!   `[group:x]`, an `[eventlistener:x]` pool or an `[fcgi-program:x]`);
//! - the name of a `[program:x]` or `[fcgi-program:x]` that is a member of a `[group:y]`:
//!   its processes.
//!
//! Resolved names are process namespecs as the daemon spells them (`daemon::procs::namespec`,
//! `summary::full_name`): `name` when the group and the process have the same name, else
//! `group:name`.

use std::collections::{HashMap, HashSet};

use super::error::ConfigError;
use super::ini::Ini;
use super::model::{Config, GroupConfig};

/// The most dependencies all processes together may have once group names are resolved
/// (a group of thousands named by thousands of processes would otherwise grow without bound).
pub const MAX_DEPENDENCIES: usize = 100_000;

/// `name` when the group and the process have the same name, else `group:name`.
pub fn namespec(group: &str, name: &str) -> String {
    if group == name {
        name.to_string()
    } else {
        format!("{group}:{name}")
    }
}

/// Where each process is, for resolving names: namespecs, process names, and the
/// processes of each group and of each section, all in config order.
struct Index {
    specs: Vec<String>,
    names: Vec<String>,
    by_group: HashMap<String, Vec<usize>>,
    by_section: HashMap<String, Vec<usize>>,
}

impl Index {
    fn new(groups: &[GroupConfig]) -> Index {
        let mut ix = Index {
            specs: Vec::new(),
            names: Vec::new(),
            by_group: HashMap::new(),
            by_section: HashMap::new(),
        };
        for g in groups {
            for p in &g.processes {
                let i = ix.specs.len();
                ix.specs.push(namespec(&g.name, &p.name));
                ix.names.push(p.name.clone());
                ix.by_group.entry(g.name.clone()).or_default().push(i);
                ix.by_section.entry(p.section.clone()).or_default().push(i);
            }
        }
        ix
    }

    /// The processes `name` stands for, in config order (empty if none).
    fn targets(&self, name: &str) -> Vec<usize> {
        let none = Vec::new();
        if let Some((group, process)) = name.split_once(':') {
            let members = self.by_group.get(group).unwrap_or(&none);
            let whole = process.is_empty() || process == "*";
            return members
                .iter()
                .copied()
                .filter(|&i| whole || self.names[i] == process)
                .collect();
        }
        if let Some(members) = self.by_group.get(name) {
            return members.clone();
        }
        let mut out = Vec::new();
        for section in [format!("program:{name}"), format!("fcgi-program:{name}")] {
            out.extend(self.by_section.get(&section).unwrap_or(&none));
        }
        crate::sort::sort(&mut out);
        out
    }
}

/// Replaces the names written in each process's `depends_on` by the namespecs they stand
/// for, then checks for cycles. Returns the errors found (one per section at most), each
/// located at the `depends_on` line of the section it is about (looked up in `ini`); a
/// cycle is looked for only when every name resolved.
pub(crate) fn resolve(groups: &mut [GroupConfig], ini: &Ini) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let mut total = 0usize;
    let ix = Index::new(groups);
    let mut failed_sections: HashSet<String> = HashSet::new();
    let mut own = 0usize;
    for g in groups.iter_mut() {
        for p in &mut g.processes {
            let me = own;
            own += 1;
            if p.supervision.depends_on.is_empty() || failed_sections.contains(&p.section) {
                continue;
            }
            let locate = |msg: String| located(ini, &p.section, msg);
            let mut resolved: Vec<usize> = Vec::new();
            let mut seen: HashSet<usize> = HashSet::new();
            let mut error = None;
            for name in &p.supervision.depends_on {
                let targets = ix.targets(name);
                if targets.is_empty() {
                    error = Some(format!(
                        "[{}] depends_on names unknown program, group or process {name}",
                        p.section
                    ));
                    break;
                }
                if targets.contains(&me) {
                    error = Some(format!(
                        "[{}] process {} depends on itself (depends_on {name})",
                        p.section, ix.specs[me]
                    ));
                    break;
                }
                resolved.extend(targets.into_iter().filter(|t| seen.insert(*t)));
                if total + resolved.len() > MAX_DEPENDENCIES {
                    errors.push(locate(format!(
                        "[{}] depends_on gives more than {MAX_DEPENDENCIES} dependencies in total",
                        p.section
                    )));
                    return errors;
                }
            }
            if let Some(msg) = error {
                errors.push(locate(msg));
                failed_sections.insert(p.section.clone());
                continue;
            }
            total += resolved.len();
            std::sync::Arc::make_mut(p).supervision.depends_on =
                resolved.iter().map(|&i| ix.specs[i].clone()).collect();
        }
    }
    if errors.is_empty() {
        if let Some((cycle, section)) = find_cycle(groups) {
            errors.push(located(
                ini,
                &section,
                format!("depends_on cycle: {}", cycle.join(" -> ")),
            ));
        }
    }
    errors
}

/// `msg` located at the `depends_on` line of `section` (or its header).
fn located(ini: &Ini, section: &str, msg: String) -> ConfigError {
    match ini.section(section) {
        Some(s) => match s.get("depends_on") {
            Some(e) => e.error(msg),
            None => ConfigError::at(msg, &s.file, s.line),
        },
        None => ConfigError::new(msg),
    }
}

/// Every process as a node: its namespec, section and resolved dependencies (indices).
struct Graph {
    specs: Vec<String>,
    sections: Vec<String>,
    deps: Vec<Vec<usize>>,
}

fn graph(groups: &[GroupConfig]) -> Graph {
    let mut specs = Vec::new();
    let mut sections = Vec::new();
    for g in groups {
        for p in &g.processes {
            specs.push(namespec(&g.name, &p.name));
            sections.push(p.section.clone());
        }
    }
    let index: HashMap<&str, usize> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let deps = groups
        .iter()
        .flat_map(|g| g.processes.iter())
        .map(|p| {
            p.supervision
                .depends_on
                .iter()
                .filter_map(|d| index.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    Graph {
        specs,
        sections,
        deps,
    }
}

/// The first cycle a depth-first walk finds (processes in config order, dependencies in
/// written order), spelled from where the walk entered it back to the same process, with
/// the section of that process.
fn find_cycle(groups: &[GroupConfig]) -> Option<(Vec<String>, String)> {
    let g = graph(groups);
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; g.specs.len()];
    for root in 0..g.specs.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // Iterative, so a long chain cannot overflow the stack: (node, next edge).
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::OnPath;
        while let Some(top) = path.last_mut() {
            let node = top.0;
            match g.deps[node].get(top.1).copied() {
                Some(next) => {
                    top.1 += 1;
                    match mark[next] {
                        Mark::New => {
                            mark[next] = Mark::OnPath;
                            path.push((next, 0));
                        }
                        Mark::OnPath => {
                            let from = path.iter().position(|(n, _)| *n == next)?;
                            let mut cycle: Vec<String> = path[from..]
                                .iter()
                                .map(|(n, _)| g.specs[*n].clone())
                                .collect();
                            cycle.push(g.specs[next].clone());
                            return Some((cycle, g.sections[next].clone()));
                        }
                        Mark::Done => {}
                    }
                }
                None => {
                    mark[node] = Mark::Done;
                    path.pop();
                }
            }
        }
    }
    None
}

/// The levels in which the processes of `c` can start: level 0 holds those without
/// dependencies, level n those whose dependencies are all in lower levels (and one in
/// level n-1). Inside a level, the start order of `process::order`: (group priority, group
/// name, priority, name). Every process is listed, autostart or not. A loaded config has no
/// cycle; processes on one (only possible for a config built by hand) are left out.
pub fn start_order(c: &Config) -> Vec<Vec<String>> {
    let g = graph(&c.groups);
    let keys: Vec<(i64, &str, i64, &str)> = c
        .groups
        .iter()
        .flat_map(|gr| {
            gr.processes
                .iter()
                .map(move |p| (gr.priority, gr.name.as_str(), p.priority, p.name.as_str()))
        })
        .collect();
    let mut waiting: Vec<usize> = g.deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); g.specs.len()];
    for (i, deps) in g.deps.iter().enumerate() {
        for &d in deps {
            dependents[d].push(i);
        }
    }
    let mut level: Vec<usize> = (0..g.specs.len()).filter(|&i| waiting[i] == 0).collect();
    let mut levels = Vec::new();
    while !level.is_empty() {
        let mut next = Vec::new();
        for &i in &level {
            for &d in &dependents[i] {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    next.push(d);
                }
            }
        }
        crate::sort::sort_by(&mut level, &|a, b| keys[*a].cmp(&keys[*b]));
        levels.push(level.iter().map(|&i| g.specs[i].clone()).collect());
        level = next;
    }
    levels
}

/// Whether any process of `c` has a `depends_on`.
pub fn any(c: &Config) -> bool {
    c.groups
        .iter()
        .flat_map(|g| g.processes.iter())
        .any(|p| !p.supervision.depends_on.is_empty())
}
