//! `supervisor-rs`: one binary for every tool, picked by the name it runs under (the
//! basename of `argv[0]`, so a symlink `supervisorctl -> supervisor-rs` runs supervisorctl)
//! or, under any other name, by its first argument (`supervisor-rs supervisorctl status`).
//! `supervisor-rs --install-links DIR` creates those symlinks in DIR.

use std::path::Path;

/// One entry per tool: its name and its entry point (`argv0`, the arguments after it).
type Entry = fn(&str, &[String]) -> i32;

/// The tools this binary can act as.
const TOOLS: &[(&str, Entry)] = &[
    ("supervisord", super::supervisord::main),
    ("supervisorctl", crate::ctl::main),
    ("pidproxy", super::pidproxy::main),
    ("echo_supervisord_conf", super::echo_conf::main),
];

fn tool(name: &str) -> Option<Entry> {
    TOOLS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

fn usage(argv0: &str) -> String {
    let names: Vec<&str> = TOOLS.iter().map(|(n, _)| *n).collect();
    format!(
        "Usage: {argv0} TOOL [ARGS...]\n       \
         {argv0} --install-links DIR\n\n\
         Runs TOOL, one of: {}.\n\
         Invoked through a link named after a tool, it runs that tool.\n\
         --install-links DIR creates those links in DIR (pointing at this binary).\n",
        names.join(", ")
    )
}

/// Creates `DIR/<tool>` symlinks to this binary, replacing nothing that exists.
fn install_links(argv0: &str, dir: &str) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{argv0}: cannot find this binary's path: {e}");
            return 1;
        }
    };
    let mut code = 0;
    for (name, _) in TOOLS {
        let link = Path::new(dir).join(name);
        match std::os::unix::fs::symlink(&exe, &link) {
            Ok(()) => println!("{} -> {}", link.display(), exe.display()),
            Err(e) => {
                eprintln!("{argv0}: {}: {e}", link.display());
                code = 1;
            }
        }
    }
    code
}

/// Runs the tool `argv[0]` or `args[0]` names; `args` are the arguments after `argv[0]`.
pub fn main(argv0: &str, args: &[String]) -> i32 {
    let base = Path::new(argv0)
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if let Some(run) = tool(&base) {
        return run(argv0, args);
    }
    match args.first().map(String::as_str) {
        Some("-h" | "--help") => {
            print!("{}", usage(argv0));
            0
        }
        Some("--install-links") => match args.get(1) {
            Some(dir) if args.len() == 2 => install_links(argv0, dir),
            _ => {
                eprint!("{}", usage(argv0));
                2
            }
        },
        Some(name) => match tool(name) {
            // The tool's messages name it as `supervisor-rs supervisord`, a runnable prefix.
            Some(run) => run(&format!("{argv0} {name}"), &args[1..]),
            None => {
                eprintln!("{argv0}: unknown tool {name:?}");
                eprint!("{}", usage(argv0));
                2
            }
        },
        None => {
            eprint!("{}", usage(argv0));
            2
        }
    }
}
