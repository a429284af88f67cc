//! What Tab completes in the shell, as the reference's `Controller.complete`: a command
//! name first (and after `help`), group names after `add`, `remove` and `update`, process
//! names after the commands that take them (`name` for a process alone in its group,
//! `group:name` and `group:*` otherwise, or when the word has a `:`). Every candidate ends
//! with a space. The command names are those of the interpreter's tables
//! (`commands::UPCHECK`, `NO_UPCHECK`) and the commands `help` lists, so a new command is
//! completed once it is in a table; its arguments complete to process names when its help
//! shows a `<name>` (as `rotate <name>`).
//!
//! The names come from a `status` request, made only when a name is being completed and
//! kept for a few seconds while one line is edited (the shell makes a completer per line:
//! the command just run may have changed them).

use std::time::{Duration, Instant};

use super::commands::{NO_UPCHECK, UPCHECK};
use super::edit::line::Completer;
use crate::protocol::help;
use crate::protocol::status::split_namespec;

/// Commands whose arguments are process names in the reference.
const TAKE_PROCESSES: &[&str] = &[
    "clear", "fg", "pid", "restart", "signal", "start", "status", "stop", "tail",
];

/// True for the reference's commands that take process names, and for ours whose help
/// shows a `<name>` (`rotate <name>`; not `metrics`, not `events [<type> ...]`).
fn takes_processes(cmd: &str) -> bool {
    TAKE_PROCESSES.contains(&cmd)
        || (!TAKE_GROUPS.contains(&cmd) && help::topic(cmd).is_some_and(|t| t.contains("<name>")))
}

/// Commands whose arguments are group names.
const TAKE_GROUPS: &[&str] = &["add", "remove", "update"];

/// How long fetched names are used.
const KEEP: Duration = Duration::from_secs(5);

/// Most names kept from one `status` reply.
const MAX_NAMES: usize = 100_000;

/// One process: its group and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub group: String,
    pub name: String,
}

/// The command names completed: `help`, then those `help` lists, then the interpreter's
/// others.
pub fn commands() -> Vec<&'static str> {
    let mut v = vec!["help"];
    for c in help::COMMANDS.iter().chain(UPCHECK).chain(NO_UPCHECK) {
        if !v.contains(c) {
            v.push(c);
        }
    }
    v
}

/// The candidates for `word` at the end of `line` (the text before the cursor);
/// `procs` is asked for the processes only when they are needed.
pub fn candidates(line: &str, word: &str, procs: &mut dyn FnMut() -> Vec<Proc>) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let action = words.first().copied().unwrap_or("");
    let first_word = words.len() <= 1 && !line.ends_with(char::is_whitespace);
    let names: Vec<String> = if words.is_empty() || first_word || action == "help" {
        commands().iter().map(|c| c.to_string()).collect()
    } else if TAKE_GROUPS.contains(&action) {
        let mut groups: Vec<String> = Vec::new();
        for p in procs() {
            if !groups.contains(&p.group) {
                groups.push(p.group);
            }
        }
        groups
    } else if takes_processes(action) {
        let mut names: Vec<String> = Vec::new();
        for p in procs() {
            if word.contains(':') || p.name != p.group {
                names.push(format!("{}:{}", p.group, p.name));
                let all = format!("{}:*", p.group);
                if !names.contains(&all) {
                    names.push(all);
                }
            } else {
                names.push(p.name);
            }
        }
        names
    } else {
        Vec::new()
    };
    names
        .into_iter()
        .filter(|n| n.starts_with(word))
        .map(|n| format!("{n} "))
        .collect()
}

/// The processes named by `status` reply lines (`name STATE ...` or `group:name STATE
/// ...`); other lines (errors) name none.
pub fn parse_status(lines: &[String]) -> Vec<Proc> {
    const STATES: &[&str] = &[
        "STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN",
    ];
    lines
        .iter()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let spec = w.next()?;
            STATES.contains(&w.next()?).then_some(())?;
            let (group, name) = split_namespec(spec);
            Some(Proc {
                group: group.to_string(),
                name: name?.to_string(),
            })
        })
        .take(MAX_NAMES)
        .collect()
}

/// The shell's completer: [`candidates`] over names fetched by `fetch` (a `status`
/// request), kept for [`KEEP`].
pub struct ShellCompleter<F: FnMut() -> Vec<Proc>> {
    fetch: F,
    cache: Option<(Instant, Vec<Proc>)>,
}

impl<F: FnMut() -> Vec<Proc>> ShellCompleter<F> {
    /// A completer that fetches names with `fetch`.
    pub fn new(fetch: F) -> Self {
        ShellCompleter { fetch, cache: None }
    }

    fn procs(&mut self) -> Vec<Proc> {
        match &self.cache {
            Some((at, procs)) if at.elapsed() < KEEP => procs.clone(),
            _ => {
                let procs = (self.fetch)();
                self.cache = Some((Instant::now(), procs.clone()));
                procs
            }
        }
    }
}

impl<F: FnMut() -> Vec<Proc>> Completer for ShellCompleter<F> {
    fn complete(&mut self, line: &str, word: &str) -> Vec<String> {
        let mut cached = None;
        let mut procs = || cached.get_or_insert_with(|| self.procs()).clone();
        candidates(line, word, &mut procs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn procs() -> Vec<Proc> {
        [
            ("cat", "cat"),
            ("web", "web_00"),
            ("web", "web_01"),
            ("db", "db"),
        ]
        .iter()
        .map(|(g, n)| Proc {
            group: g.to_string(),
            name: n.to_string(),
        })
        .collect()
    }

    fn cands(line: &str, word: &str) -> (Vec<String>, usize) {
        let mut asked = 0;
        let mut p = || {
            asked += 1;
            procs()
        };
        (candidates(line, word, &mut p), asked)
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn commands_come_from_help() {
        let c = commands();
        assert_eq!(c[0], "help");
        for name in help::COMMANDS.iter().chain(UPCHECK).chain(NO_UPCHECK) {
            assert!(c.contains(name));
        }
        for cmd in TAKE_PROCESSES.iter().chain(&["rotate"]) {
            assert!(takes_processes(cmd), "{cmd}");
        }
        for cmd in [
            "maintail", "version", "avail", "open", "help", "add", "metrics", "events",
        ] {
            assert!(!takes_processes(cmd), "{cmd}");
        }
        assert_eq!(
            cands("", ""),
            (commands().iter().map(|c| format!("{c} ")).collect(), 0)
        );
        assert_eq!(
            cands("st", "st"),
            (strs(&["start ", "status ", "stop "]), 0)
        );
        assert_eq!(
            cands("  re", "re"),
            (strs(&["reload ", "remove ", "reread ", "restart "]), 0)
        );
        assert_eq!(cands("help sh", "sh"), (strs(&["shutdown "]), 0));
    }

    #[test]
    fn process_and_group_names() {
        assert_eq!(
            cands("stop ", ""),
            (
                strs(&["cat ", "web:web_00 ", "web:* ", "web:web_01 ", "db "]),
                1
            )
        );
        assert_eq!(cands("stop c", "c"), (strs(&["cat "]), 1));
        assert_eq!(
            cands("restart cat w", "w"),
            (strs(&["web:web_00 ", "web:* ", "web:web_01 "]), 1)
        );
        // With a `:`, a process alone in its group is `group:name` too.
        assert_eq!(cands("tail c", "cat:"), (strs(&["cat:cat ", "cat:* "]), 1));
        assert_eq!(cands("update ", ""), (strs(&["cat ", "web ", "db "]), 1));
        assert_eq!(cands("remove w", "w"), (strs(&["web "]), 1));
        // Commands without names complete nothing and ask nothing.
        assert_eq!(cands("version ", ""), (vec![], 0));
        assert_eq!(cands("status", "status"), (strs(&["status "]), 0));
    }

    #[test]
    fn status_lines() {
        let lines = strs(&[
            "cat                              RUNNING   pid 12, uptime 0:00:05",
            "web:web_00                       STOPPED   Not started",
            "web:*                            nonsense",
            "unix:///tmp/x.sock no such file",
            "",
        ]);
        assert_eq!(
            parse_status(&lines),
            vec![
                Proc {
                    group: "cat".into(),
                    name: "cat".into()
                },
                Proc {
                    group: "web".into(),
                    name: "web_00".into()
                }
            ]
        );
    }

    #[test]
    fn names_are_kept_briefly() {
        let mut fetched = 0;
        let mut c = ShellCompleter::new(|| {
            fetched += 1;
            procs()
        });
        assert_eq!(c.complete("stop c", "c"), strs(&["cat "]));
        assert_eq!(c.complete("stop d", "d"), strs(&["db "]));
        assert_eq!(c.complete("st", "st").len(), 3);
        drop(c);
        assert_eq!(fetched, 1);
    }
}
