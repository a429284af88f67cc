//! Per-name result lines and their effect on the exit code (reference 4.3 and 4.4), and the
//! `update` plan. The daemon pushes each [`ResultLine`]'s text as a body line and folds its
//! effect into the reply's [`Outcome`] with [`Outcome::absorb`].

use super::fault::{exit, Fault, Outcome};

/// One line of output and what it does to the exit code (`None`: leaves it alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultLine {
    /// The line, without newline.
    pub text: String,
    /// The exit-code effect ("last writer wins").
    pub effect: Option<Outcome>,
}

impl ResultLine {
    /// A line that leaves the exit code alone.
    pub fn plain(text: String) -> ResultLine {
        ResultLine { text, effect: None }
    }

    fn failing(text: String, fault: Fault, code: i32) -> ResultLine {
        ResultLine {
            text,
            effect: Some(Outcome::failed(fault, code)),
        }
    }
}

/// Which per-process command a result belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `start` (and the start half of `restart`): ignores ALREADY_STARTED.
    Start,
    /// `stop` (and the stop half of `restart`): ignores NOT_RUNNING.
    Stop,
    /// `signal`: ignores nothing.
    Signal,
    /// `clear`: ignores nothing.
    Clear,
    /// `rotate` (ours): ignores nothing.
    Rotate,
}

impl Action {
    fn ignored(self) -> Option<Fault> {
        match self {
            Action::Start => Some(Fault::AlreadyStarted),
            Action::Stop => Some(Fault::NotRunning),
            Action::Signal | Action::Clear | Action::Rotate => None,
        }
    }

    fn success_word(self) -> &'static str {
        match self {
            Action::Start => "started",
            Action::Stop => "stopped",
            Action::Signal => "signalled",
            Action::Clear => "cleared",
            Action::Rotate => "rotated",
        }
    }
}

/// The result line of one process: `NAME: started|stopped|signalled|cleared` or
/// `NAME: ERROR (reason)`. `spec` is the namespec as supervisorctl shows it (see
/// [`super::status::namespec`]); `fault_text` is the fault's full text (`FAILED: why`), which
/// `stop` and `signal` print alone for FAILED, as the reference does.
pub fn process_result(
    action: Action,
    spec: &str,
    fault: Option<Fault>,
    fault_text: &str,
) -> ResultLine {
    let Some(f) = fault else {
        return ResultLine::plain(format!("{spec}: {}", action.success_word()));
    };
    let err = |why: &str| format!("{spec}: ERROR ({why})");
    let text = match (action, f) {
        (_, Fault::BadName) => err("no such process"),
        (Action::Start, Fault::NoFile) => err("no such file"),
        (Action::Start, Fault::NotExecutable) => err("file is not executable"),
        (Action::Start, Fault::AlreadyStarted) => err("already started"),
        (Action::Start, Fault::SpawnError) => err("spawn error"),
        (Action::Start, Fault::AbnormalTermination) => err("abnormal termination"),
        (Action::Stop | Action::Signal, Fault::BadSignal) => err("bad signal name"),
        (Action::Stop | Action::Signal, Fault::NotRunning) => err("not running"),
        (Action::Stop | Action::Signal, Fault::Failed) if !fault_text.is_empty() => {
            fault_text.to_string()
        }
        (Action::Clear, Fault::Failed) => err("failed"),
        _ if fault_text.is_empty() => err(f.name()),
        _ => err(fault_text),
    };
    ResultLine {
        text,
        effect: Outcome::for_fault(f, action.ignored()),
    }
}

/// `GROUP: ERROR (no such group)` for a `g:*` that names no group. `start` exits 2 for it,
/// the other commands 1.
pub fn no_such_group(action: Action, group: &str) -> ResultLine {
    let code = match action {
        Action::Start => exit::INVALID_ARGS,
        _ => exit::GENERIC,
    };
    ResultLine::failing(
        format!("{group}: ERROR (no such group)"),
        Fault::BadName,
        code,
    )
}

/// A `tail`/`maintail` failure: `NAME: ERROR (no log file|unknown error reading log|no such
/// process name)`, exit 1. `maintail` uses the name `supervisord`.
pub fn tail_error(name: &str, fault: Fault) -> ResultLine {
    let why = match fault {
        Fault::NoFile => "no log file",
        Fault::BadName => "no such process name",
        _ => "unknown error reading log",
    };
    ResultLine::failing(format!("{name}: ERROR ({why})"), fault, exit::GENERIC)
}

/// `pid NAME`: the pid; 0 (not running) exits 7.
pub fn pid_result(pid: u32) -> ResultLine {
    if pid == 0 {
        ResultLine::failing("0".into(), Fault::NotRunning, exit::NOT_RUNNING)
    } else {
        ResultLine::plain(pid.to_string())
    }
}

/// `pid NAME` for an unknown name: `No such process NAME`, exit 1.
pub fn pid_no_such(name: &str) -> ResultLine {
    ResultLine::failing(
        format!("No such process {name}"),
        Fault::BadName,
        exit::GENERIC,
    )
}

/// `add GROUP`: `g: added process group`, or ERROR lines (`already active` keeps exit 0).
pub fn add_result(group: &str, fault: Option<Fault>) -> ResultLine {
    match fault {
        None => ResultLine::plain(format!("{group}: added process group")),
        Some(Fault::AlreadyAdded) => {
            ResultLine::plain("ERROR: process group already active".into())
        }
        Some(Fault::ShutdownState) => {
            ResultLine::failing("ERROR: shutting down".into(), Fault::ShutdownState, 1)
        }
        Some(Fault::BadName) => ResultLine::failing(
            format!("ERROR: no such process/group: {group}"),
            Fault::BadName,
            1,
        ),
        Some(f) => ResultLine::failing(format!("ERROR: {f}"), f, 1),
    }
}

/// `remove GROUP`: `g: removed process group`, or ERROR lines (exit 1).
pub fn remove_result(group: &str, fault: Option<Fault>) -> ResultLine {
    match fault {
        None => ResultLine::plain(format!("{group}: removed process group")),
        Some(Fault::StillRunning) => ResultLine::failing(
            format!("ERROR: process/group still running: {group}"),
            Fault::StillRunning,
            1,
        ),
        Some(Fault::BadName) => ResultLine::failing(
            format!("ERROR: no such process/group: {group}"),
            Fault::BadName,
            1,
        ),
        Some(f) => ResultLine::failing(format!("ERROR: {f}"), f, 1),
    }
}

/// `reread` output: `NAME: available|changed|disappeared` sorted by name (a name in several
/// lists shows the last of added, changed, removed), or `No config updates to processes`.
pub fn reread_lines(added: &[String], changed: &[String], removed: &[String]) -> Vec<String> {
    let mut all: std::collections::BTreeMap<&str, &str> = Default::default();
    for (names, word) in [
        (added, "available"),
        (changed, "changed"),
        (removed, "disappeared"),
    ] {
        for n in names {
            all.insert(n, word);
        }
    }
    if all.is_empty() {
        return vec!["No config updates to processes".into()];
    }
    all.iter().map(|(n, w)| format!("{n}: {w}")).collect()
}

/// A failed re-read (`reread`, `update`): `ERROR: supervisor shutting down` or
/// `ERROR: CANT_REREAD: <message>`, exit 1. `update` says `already shutting down`.
pub fn reread_error(fault: Fault, message: &str, for_update: bool) -> ResultLine {
    let text = match (fault, for_update) {
        (Fault::ShutdownState, false) => "ERROR: supervisor shutting down".to_string(),
        (Fault::ShutdownState, true) => "ERROR: already shutting down".to_string(),
        (f, _) if message.is_empty() => format!("ERROR: {f}"),
        (f, _) => format!("ERROR: {f}: {message}"),
    };
    ResultLine::failing(text, fault, exit::GENERIC)
}

/// `avail` while shutting down.
pub fn avail_shutting_down() -> ResultLine {
    ResultLine::failing(
        "ERROR: supervisor shutting down".into(),
        Fault::ShutdownState,
        1,
    )
}

/// `reload`: `Restarted supervisord`, or `ERROR: already shutting down` (exit 1).
pub fn reload_result(fault: Option<Fault>) -> ResultLine {
    match fault {
        None => ResultLine::plain("Restarted supervisord".into()),
        Some(f) => ResultLine::failing("ERROR: already shutting down".into(), f, 1),
    }
}

/// `shutdown`: `Shut down`, or `ERROR: already shutting down` (exit stays 0, as reference).
pub fn shutdown_result(fault: Option<Fault>) -> ResultLine {
    match fault {
        None => ResultLine::plain("Shut down".into()),
        Some(_) => ResultLine::plain("ERROR: already shutting down".into()),
    }
}

/// `sendstdin NAME TEXT` failures (ours; the reference has no such command):
/// `NAME: ERROR (no such process|not running|stdin is closed)`.
pub fn sendstdin_error(name: &str, fault: Fault) -> ResultLine {
    let why = match fault {
        Fault::BadName => "no such process",
        Fault::NotRunning => "not running",
        Fault::NoFile => "stdin is closed",
        _ => "failed",
    };
    let code = fault.exit_code(None).unwrap_or(1);
    ResultLine::failing(format!("{name}: ERROR ({why})"), fault, code)
}

/// One step of `update`, in the order the daemon must run them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateStep {
    /// Removed from the config: stop the group (print `g: stopped`); if any stop FAILED print
    /// `g: has problems; not removing` (exit 1), else remove it (`g: removed process group`).
    Remove(String),
    /// Changed: stop (`g: stopped`), remove, add again (`g: updated process group`).
    Replace(String),
    /// New: add (`g: added process group`); its autostart processes then start.
    Add(String),
}

/// What `update [names]` must do, from `reread`'s three lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePlan {
    /// `ERROR: no such group: X` lines, printed first (exit 1).
    pub errors: Vec<ResultLine>,
    /// The steps: removals, then replacements, then additions.
    pub steps: Vec<UpdateStep>,
}

/// Plans `update`: `names` empty or containing `all` means everything; otherwise only the
/// named groups, and names that are neither active (`active_groups`) nor added are errors.
pub fn update_plan(
    added: &[String],
    changed: &[String],
    removed: &[String],
    active_groups: &[String],
    names: &[String],
) -> UpdatePlan {
    let mut wanted: Vec<&String> = Vec::new();
    if !names.iter().any(|n| n == "all") {
        for n in names {
            if !wanted.contains(&n) {
                wanted.push(n);
            }
        }
    }
    let mut errors = Vec::new();
    for n in &wanted {
        if !active_groups.contains(n) && !added.contains(n) {
            errors.push(ResultLine::failing(
                format!("ERROR: no such group: {n}"),
                Fault::BadName,
                1,
            ));
        }
    }
    let keep = |g: &String| wanted.is_empty() || wanted.contains(&g);
    let mut steps = Vec::new();
    steps.extend(
        removed
            .iter()
            .filter(|g| keep(g))
            .map(|g| UpdateStep::Remove(g.clone())),
    );
    steps.extend(
        changed
            .iter()
            .filter(|g| keep(g))
            .map(|g| UpdateStep::Replace(g.clone())),
    );
    steps.extend(
        added
            .iter()
            .filter(|g| keep(g))
            .map(|g| UpdateStep::Add(g.clone())),
    );
    UpdatePlan { errors, steps }
}

/// The line `update` prints for a step's stage: `g: stopped`, `g: removed process group`,
/// `g: updated process group`, `g: added process group`.
pub fn update_line(group: &str, what: &str) -> ResultLine {
    ResultLine::plain(format!("{group}: {what}"))
}

/// What `update` would do to whole groups, when only group names are known (a server that
/// speaks XML-RPC only, whose `update` the client drives the reference's way):
/// `g: stop (removed)`, `g: restart (changed)`, `g: start (added)`, for the groups `names`
/// selects (empty or `all`: every one).
pub fn group_plan_lines(
    added: &[String],
    changed: &[String],
    removed: &[String],
    names: &[String],
) -> Vec<String> {
    let every = names.is_empty() || names.iter().any(|n| n == "all");
    let mut lines = Vec::new();
    for (groups, what) in [
        (removed, "stop (removed)"),
        (changed, "restart (changed)"),
        (added, "start (added)"),
    ] {
        let mut groups: Vec<&String> = groups
            .iter()
            .filter(|g| every || names.contains(g))
            .collect();
        crate::sort::sort(&mut groups);
        lines.extend(groups.into_iter().map(|g| format!("{g}: {what}")));
    }
    lines
}

/// `g: has problems; not removing` (exit 1).
pub fn update_has_problems(group: &str) -> ResultLine {
    ResultLine::failing(
        format!("{group}: has problems; not removing"),
        Fault::Failed,
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(action: Action, f: Option<Fault>, text: &str) -> (String, i32) {
        let r = process_result(action, "web", f, text);
        let mut o = Outcome::ok();
        o.absorb(r.effect);
        (r.text, o.exit_code)
    }

    #[test]
    fn per_process_results_match_the_reference() {
        use Action::*;
        use Fault::*;
        let cases: &[(Action, Option<Fault>, &str, &str, i32)] = &[
            (Start, None, "", "web: started", 0),
            (
                Start,
                Some(BadName),
                "BAD_NAME: web",
                "web: ERROR (no such process)",
                1,
            ),
            (Start, Some(NoFile), "", "web: ERROR (no such file)", 1),
            (
                Start,
                Some(NotExecutable),
                "",
                "web: ERROR (file is not executable)",
                1,
            ),
            (
                Start,
                Some(AlreadyStarted),
                "",
                "web: ERROR (already started)",
                0,
            ),
            (Start, Some(SpawnError), "", "web: ERROR (spawn error)", 7),
            (
                Start,
                Some(AbnormalTermination),
                "",
                "web: ERROR (abnormal termination)",
                7,
            ),
            (
                Start,
                Some(Failed),
                "FAILED: odd",
                "web: ERROR (FAILED: odd)",
                1,
            ),
            (Stop, None, "", "web: stopped", 0),
            (Stop, Some(NotRunning), "", "web: ERROR (not running)", 0),
            (Stop, Some(BadName), "", "web: ERROR (no such process)", 1),
            (
                Stop,
                Some(Failed),
                "FAILED: kill: EPERM",
                "FAILED: kill: EPERM",
                1,
            ),
            (Signal, None, "", "web: signalled", 0),
            (Signal, Some(NotRunning), "", "web: ERROR (not running)", 7),
            (
                Signal,
                Some(BadSignal),
                "",
                "web: ERROR (bad signal name)",
                1,
            ),
            (Signal, Some(BadName), "", "web: ERROR (no such process)", 1),
            (Clear, None, "", "web: cleared", 0),
            (Clear, Some(BadName), "", "web: ERROR (no such process)", 1),
            (Clear, Some(Failed), "FAILED: x", "web: ERROR (failed)", 1),
            (Rotate, None, "", "web: rotated", 0),
            (Rotate, Some(BadName), "", "web: ERROR (no such process)", 1),
            (
                Rotate,
                Some(NoFile),
                "no log file to rotate",
                "web: ERROR (no log file to rotate)",
                1,
            ),
            (
                Rotate,
                Some(Failed),
                "could not rotate stdout log: EACCES",
                "web: ERROR (could not rotate stdout log: EACCES)",
                1,
            ),
        ];
        for (a, f, text, want, code) in cases {
            assert_eq!(line(*a, *f, text), (want.to_string(), *code), "{a:?} {f:?}");
        }
        let g = no_such_group(Action::Start, "g");
        assert_eq!(g.text, "g: ERROR (no such group)");
        assert_eq!(g.effect.unwrap().exit_code, 2);
        assert_eq!(
            no_such_group(Action::Stop, "g").effect.unwrap().exit_code,
            1
        );
    }

    #[test]
    fn other_results() {
        assert_eq!(
            tail_error("web", Fault::NoFile).text,
            "web: ERROR (no log file)"
        );
        assert_eq!(
            tail_error("supervisord", Fault::Failed).text,
            "supervisord: ERROR (unknown error reading log)"
        );
        assert_eq!(
            tail_error("x", Fault::BadName).text,
            "x: ERROR (no such process name)"
        );
        assert_eq!(pid_result(0).effect.unwrap().exit_code, 7);
        assert_eq!(pid_result(42), ResultLine::plain("42".into()));
        assert_eq!(pid_no_such("x").text, "No such process x");
        assert_eq!(add_result("g", None).text, "g: added process group");
        assert_eq!(add_result("g", Some(Fault::AlreadyAdded)).effect, None);
        assert_eq!(
            add_result("g", Some(Fault::BadName)).text,
            "ERROR: no such process/group: g"
        );
        assert_eq!(
            remove_result("g", Some(Fault::StillRunning)).text,
            "ERROR: process/group still running: g"
        );
        assert_eq!(shutdown_result(Some(Fault::ShutdownState)).effect, None);
        assert_eq!(
            reload_result(Some(Fault::ShutdownState))
                .effect
                .unwrap()
                .exit_code,
            1
        );
        assert_eq!(
            reread_error(Fault::CantReread, "bad line", false).text,
            "ERROR: CANT_REREAD: bad line"
        );
        assert_eq!(
            sendstdin_error("web", Fault::NotRunning)
                .effect
                .unwrap()
                .exit_code,
            7
        );
    }

    #[test]
    fn reread_lines_sorted_and_merged() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            reread_lines(&s(&["new", "b"]), &s(&["a", "b"]), &s(&["old"])),
            vec![
                "a: changed",
                "b: changed",
                "new: available",
                "old: disappeared"
            ]
        );
        assert_eq!(
            reread_lines(&[], &[], &[]),
            vec!["No config updates to processes"]
        );
    }

    #[test]
    fn update_plans() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (added, changed, removed) = (s(&["new"]), s(&["chg"]), s(&["gone"]));
        let active = s(&["chg", "gone", "same"]);
        let p = update_plan(&added, &changed, &removed, &active, &[]);
        assert!(p.errors.is_empty());
        assert_eq!(
            p.steps,
            vec![
                UpdateStep::Remove("gone".into()),
                UpdateStep::Replace("chg".into()),
                UpdateStep::Add("new".into())
            ]
        );
        let p = update_plan(&added, &changed, &removed, &active, &s(&["all", "x"]));
        assert_eq!(p.steps.len(), 3);
        assert!(p.errors.is_empty());
        let p = update_plan(
            &added,
            &changed,
            &removed,
            &active,
            &s(&["new", "nosuch", "same"]),
        );
        assert_eq!(p.steps, vec![UpdateStep::Add("new".into())]);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].text, "ERROR: no such group: nosuch");
    }
}
