//! The `status` and `avail` tables and the description column (reference 4.4), as pure
//! functions of plain data so the daemon's internals stay out of this module.

use std::fmt::Write;

use super::fault::{exit, Fault, Outcome};

/// One row of `status`: what the daemon knows about a process, already described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessStatus {
    /// Group name.
    pub group: String,
    /// Process name.
    pub name: String,
    /// State name as the reference prints it (`RUNNING`, `FATAL`, ...).
    pub state_name: String,
    /// The description column; see [`describe`].
    pub description: String,
}

impl ProcessStatus {
    /// The namespec as supervisorctl shows it.
    pub fn namespec(&self) -> String {
        namespec(&self.group, &self.name)
    }

    /// True for the states `status` counts as not running (STOPPED_STATES).
    pub fn is_stopped(&self) -> bool {
        is_stopped_state(&self.state_name)
    }
}

/// The short name of a process: `name` when group and process names are equal, otherwise
/// `group:name`.
pub fn namespec(group: &str, name: &str) -> String {
    if group == name {
        name.to_string()
    } else {
        format!("{group}:{name}")
    }
}

/// Splits a namespec: `g:p` → (`g`, Some(`p`)); `g:*` and `g:` → (`g`, None), the whole
/// group; a bare `x` → (`x`, Some(`x`)).
pub fn split_namespec(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once(':') {
        Some((g, "" | "*")) => (g, None),
        Some((g, p)) => (g, Some(p)),
        None => (spec, Some(spec)),
    }
}

/// What the description column needs from a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescribeInput<'a> {
    /// State name (`RUNNING`, ...).
    pub state_name: &'a str,
    /// The process name (not the namespec), for `unknown error (try "tail NAME")`.
    pub name: &'a str,
    /// Current pid (RUNNING only).
    pub pid: u32,
    /// Wall-clock seconds since the process started (RUNNING only).
    pub uptime_secs: i64,
    /// The stop time already formatted with [`crate::time::stop_time`], or `None` when the process
    /// was never started.
    pub stop_time: Option<&'a str>,
    /// The last spawn error, empty when none.
    pub spawnerr: &'a str,
    /// What the supervisor-rs keys add (empty without them): STARTING `waiting for db
    /// (tcp:...)`; RUNNING `unhealthy (...)` or the program's notify `STATUS=` after the
    /// uptime; BACKOFF `next try in 8 s (exited with 1)` instead of the spawn error.
    pub note: &'a str,
}

/// The description column (also `getProcessInfo`'s `description`):
/// RUNNING `pid N, uptime H:MM:SS`; STOPPED/EXITED the stop time or `Not started`;
/// BACKOFF/FATAL the spawn error or `unknown error (try "tail NAME")`; otherwise empty.
pub fn describe(d: &DescribeInput<'_>) -> String {
    let mut out = String::new();
    describe_into(d, &mut out);
    out
}

/// [`describe`], appended to `out` (no allocation of its own).
pub fn describe_into(d: &DescribeInput<'_>, out: &mut String) {
    match d.state_name {
        // A negative uptime (the clock was set back) reads as 0:00:00, as the reference.
        "RUNNING" => {
            let _ = write!(out, "pid {}, uptime ", d.pid);
            crate::time::write_uptime(out, d.uptime_secs.max(0) as u64);
            if !d.note.is_empty() {
                out.push_str(", ");
                out.push_str(d.note);
            }
        }
        "STARTING" | "BACKOFF" if !d.note.is_empty() => out.push_str(d.note),
        "BACKOFF" | "FATAL" if d.spawnerr.is_empty() => {
            let _ = write!(out, "unknown error (try \"tail {}\")", d.name);
        }
        "BACKOFF" | "FATAL" => out.push_str(d.spawnerr),
        "STOPPED" | "EXITED" => out.push_str(d.stop_time.unwrap_or("Not started")),
        _ => {}
    }
}

/// What a `status` row needs, borrowed, so the daemon can render its processes without
/// building a [`ProcessStatus`] (a `String` per field) for each.
pub trait StatusView {
    /// Group name.
    fn group(&self) -> &str;
    /// Process name.
    fn name(&self) -> &str;
    /// State name (`RUNNING`, ...).
    fn state_name(&self) -> &str;
    /// Appends the description column (see [`describe`]) to `out`.
    fn write_description(&self, out: &mut String);
}

impl StatusView for ProcessStatus {
    fn group(&self) -> &str {
        &self.group
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn state_name(&self) -> &str {
        &self.state_name
    }
    fn write_description(&self, out: &mut String) {
        out.push_str(&self.description);
    }
}

/// True for the states `status` counts as not running (STOPPED_STATES).
fn is_stopped_state(state_name: &str) -> bool {
    matches!(state_name, "STOPPED" | "EXITED" | "FATAL" | "UNKNOWN")
}

/// Appends `text` to `out`, then spaces up to `width` characters (`format!("{:<width$}")`).
fn push_padded(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    let chars = text.chars().count();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(chars)));
}

/// The status table lines: `'%-(W)s%-10s%s'` with W = max(30, longest namespec) + 3.
pub fn status_table(rows: &[&ProcessStatus]) -> Vec<String> {
    let mut lines = Vec::with_capacity(rows.len());
    write_status_table(rows, &mut |l| lines.push(l.to_string()));
    lines
}

/// [`status_table`], each line handed to `line` (one buffer reused for every row).
pub fn write_status_table<T: StatusView>(rows: &[&T], line: &mut dyn FnMut(&str)) {
    let spec_chars = |r: &T| match r.group() == r.name() {
        true => r.name().chars().count(),
        false => r.group().chars().count() + 1 + r.name().chars().count(),
    };
    let width = rows.iter().map(|r| spec_chars(r)).fold(30, usize::max) + 3;
    let mut buf = String::with_capacity(width + 64);
    for r in rows {
        buf.clear();
        if r.group() != r.name() {
            buf.push_str(r.group());
            buf.push(':');
        }
        buf.push_str(r.name());
        let pad = width.saturating_sub(spec_chars(r));
        buf.extend(std::iter::repeat_n(' ', pad));
        push_padded(&mut buf, r.state_name(), 10);
        r.write_description(&mut buf);
        line(&buf);
    }
}

/// The whole `status [names]` reply from every process (sorted by group, then name):
/// `NAME: ERROR (no such process|group)` lines for unknown names first, then the table of
/// the matches in the order asked (duplicates kept). Exit code: 4 after an unknown name,
/// then 3 when a listed process is STOPPED/EXITED/FATAL/UNKNOWN (last writer wins).
pub fn status_reply(all: &[ProcessStatus], names: &[String]) -> (Vec<String>, Outcome) {
    let mut lines = Vec::new();
    let outcome = write_status_reply(all, names, &mut |l| lines.push(l.to_string()));
    (lines, outcome)
}

/// [`status_reply`], each line handed to `line` in order; returns the outcome.
pub fn write_status_reply<T: StatusView>(
    all: &[T],
    names: &[String],
    line: &mut dyn FnMut(&str),
) -> Outcome {
    let mut outcome = Outcome::ok();
    let matched = select(all, names, &mut |l| {
        line(&l);
        outcome = Outcome::failed(Fault::BadName, exit::STATUS_UNKNOWN);
    });
    write_status_table(&matched, line);
    if matched.iter().any(|p| is_stopped_state(p.state_name())) {
        outcome = Outcome::failed(Fault::NotRunning, exit::STATUS_NOT_RUNNING);
    }
    outcome
}

/// The rows `names` list for `status`, in the order asked (duplicates kept; none or `all`:
/// every row); `unknown` hears the error line of each name that matches nothing.
pub fn select<'a, T: StatusView>(
    all: &'a [T],
    names: &[String],
    unknown: &mut dyn FnMut(String),
) -> Vec<&'a T> {
    if names.is_empty() || names.iter().any(|n| n == "all") {
        return all.iter().collect();
    }
    let mut matched = Vec::new();
    for spec in names {
        let (group, proc_name) = split_namespec(spec);
        let before = matched.len();
        matched.extend(
            all.iter()
                .filter(|p| p.group() == group && proc_name.is_none_or(|n| p.name() == n)),
        );
        if matched.len() == before {
            unknown(match proc_name {
                None => format!("{group}: ERROR (no such group)"),
                Some(_) => format!("{spec}: ERROR (no such process)"),
            });
        }
    }
    matched
}

/// One row of `avail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailInfo {
    /// Group name.
    pub group: String,
    /// Process name.
    pub name: String,
    /// True when the group is active (`in use`), false when only in the new config.
    pub in_use: bool,
    /// `autostart`.
    pub autostart: bool,
    /// Group priority.
    pub group_prio: i64,
    /// Process priority.
    pub process_prio: i64,
}

/// `avail` lines, `'%-32s %-9s %-9s %s'`, sorted by process name (not namespec), as the
/// reference does.
pub fn avail_lines(infos: &[AvailInfo]) -> Vec<String> {
    let mut sorted: Vec<&AvailInfo> = infos.iter().collect();
    crate::sort::sort_by(&mut sorted, &|a, b| a.name.cmp(&b.name));
    sorted
        .iter()
        .map(|i| {
            format!(
                "{:<32} {:<9} {:<9} {}:{}",
                namespec(&i.group, &i.name),
                if i.in_use { "in use" } else { "avail" },
                if i.autostart { "auto" } else { "manual" },
                i.group_prio,
                i.process_prio
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(group: &str, name: &str, state: &str, desc: &str) -> ProcessStatus {
        ProcessStatus {
            group: group.into(),
            name: name.into(),
            state_name: state.into(),
            description: desc.into(),
        }
    }

    #[test]
    fn namespecs() {
        assert_eq!(namespec("web", "web"), "web");
        assert_eq!(namespec("g", "p"), "g:p");
        assert_eq!(split_namespec("web"), ("web", Some("web")));
        assert_eq!(split_namespec("g:p"), ("g", Some("p")));
        assert_eq!(split_namespec("g:*"), ("g", None));
        assert_eq!(split_namespec("g:"), ("g", None));
        assert_eq!(split_namespec("g:p:q"), ("g", Some("p:q")));
    }

    #[test]
    fn descriptions() {
        let base = DescribeInput {
            state_name: "RUNNING",
            name: "web",
            pid: 4967,
            uptime_secs: 13,
            stop_time: None,
            spawnerr: "",
            note: "",
        };
        let cases = [
            (base, "pid 4967, uptime 0:00:13"),
            (
                DescribeInput {
                    state_name: "STOPPED",
                    ..base
                },
                "Not started",
            ),
            (
                DescribeInput {
                    state_name: "EXITED",
                    stop_time: Some("Nov 23 06:59 PM"),
                    ..base
                },
                "Nov 23 06:59 PM",
            ),
            (
                DescribeInput {
                    state_name: "FATAL",
                    spawnerr: "Exited too quickly (process log may have details)",
                    ..base
                },
                "Exited too quickly (process log may have details)",
            ),
            (
                DescribeInput {
                    state_name: "BACKOFF",
                    ..base
                },
                "unknown error (try \"tail web\")",
            ),
            (
                DescribeInput {
                    state_name: "STARTING",
                    ..base
                },
                "",
            ),
            (
                DescribeInput {
                    state_name: "STOPPING",
                    ..base
                },
                "",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(describe(&input), want, "{input:?}");
        }
    }

    #[test]
    fn status_table_widths() {
        let a = ps("ok", "ok", "RUNNING", "pid 4967, uptime 0:00:13");
        let t = status_table(&[&a]);
        assert_eq!(
            t,
            vec!["ok                               RUNNING   pid 4967, uptime 0:00:13"]
        );
        let long = "x".repeat(40);
        let b = ps(&long, &long, "STARTING", "");
        let t = status_table(&[&a, &b]);
        assert_eq!(t[0].find("RUNNING"), Some(43));
        assert_eq!(t[1], format!("{long}   STARTING  "));
    }

    #[test]
    fn status_exit_codes() {
        let all = vec![
            ps("m", "m_00", "STOPPED", "Not started"),
            ps("sleeper", "sleeper", "RUNNING", "pid 1, uptime 0:00:01"),
            ps("starting", "starting", "STARTING", ""),
        ];
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases: Vec<(Vec<String>, usize, i32)> = vec![
            (n(&[]), 3, 3),
            (n(&["sleeper"]), 1, 0),
            (n(&["starting"]), 1, 0),
            (n(&["nosuch"]), 1, 4),
            (n(&["nosuch", "sleeper"]), 2, 4),
            (n(&["sleeper", "nosuch"]), 2, 4),
            (n(&["nosuch", "m:*"]), 2, 3),
            (n(&["sleeper", "sleeper"]), 2, 0),
            (n(&["all", "nosuch"]), 3, 3),
            (n(&["m:"]), 1, 3),
            (n(&["x:*"]), 1, 4),
        ];
        for (names, count, code) in cases {
            let (lines, o) = status_reply(&all, &names);
            assert_eq!(lines.len(), count, "{names:?}: {lines:?}");
            assert_eq!(o.exit_code, code, "{names:?}");
        }
        let (lines, _) = status_reply(&all, &n(&["sleeper", "nosuch", "x:*"]));
        assert_eq!(lines[0], "nosuch: ERROR (no such process)");
        assert_eq!(lines[1], "x: ERROR (no such group)");
        assert!(lines[2].starts_with("sleeper "));
    }

    #[test]
    fn avail_format_and_order() {
        let i = |g: &str, n: &str, inuse, auto| AvailInfo {
            group: g.into(),
            name: n.into(),
            in_use: inuse,
            autostart: auto,
            group_prio: 999,
            process_prio: if auto { 999 } else { -1 },
        };
        let lines = avail_lines(&[i("zz", "b", true, true), i("aa", "c", false, false)]);
        assert_eq!(
            lines,
            vec![
                "zz:b                             in use    auto      999:999",
                "aa:c                             avail     manual    999:-1",
            ]
        );
    }
}
