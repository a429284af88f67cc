//! The help texts of supervisorctl, byte for byte as the reference prints them. Both the
//! client (`help`, usage errors) and the server (`help` over the socket) use them.

/// The topic list `help` prints (cmd.Cmd's column layout for the default commands).
pub const TOPICS: &str = "
default commands (type help <topic>):
=====================================
add    exit      open  reload  restart   start   tail   
avail  fg        pid   remove  shutdown  status  update 
clear  maintail  quit  reread  signal    stop    version

";

/// Every command `help` lists, in order.
pub const COMMANDS: &[&str] = &[
    "add", "avail", "clear", "exit", "fg", "maintail", "open", "pid", "quit", "reload", "remove",
    "reread", "restart", "shutdown", "signal", "start", "status", "stop", "tail", "update",
    "version",
];

/// The text `help <topic>` prints for a known topic, including its final newline.
pub fn topic(name: &str) -> Option<&'static str> {
    Some(match name {
        "add" => "add <name> [...]\tActivates any updates in config for process/group\n",
        "avail" => "avail\t\t\tDisplay all configured processes\n",
        "clear" => {
            "clear <name>\t\tClear a process' log files.\n\
             clear <name> <name>\tClear multiple process' log files\n\
             clear all\t\tClear all process' log files\n"
        }
        "exit" => "exit\tExit the supervisor shell.\n",
        // Ours: not in the reference's topic list above, which stays byte for byte.
        "rotate" => {
            "rotate <name>\t\tRotate a process' log files now\n\
             rotate <gname>:*\tRotate the log files of all processes in a group\n\
             rotate <name> <name>\tRotate multiple process' log files\n\
             rotate all\t\tRotate all process' log files\n"
        }
        "fg" => "fg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit\n",
        "maintail" => {
            "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n\
             maintail -100\tlast 100 *bytes* of supervisord main log file\n\
             maintail\tlast 1600 *bytes* of supervisor main log file\n\n"
        }
        "open" => {
            "open <url>\tConnect to a remote supervisord process.\n\
             \t\t(for UNIX domain socket, use unix:///socket/path)\n"
        }
        "pid" => {
            "pid\t\t\tGet the PID of supervisord.\n\
             pid <name>\t\tGet the PID of a single child process by name.\n\
             pid all\t\t\tGet the PID of every child process, one per line.\n"
        }
        "quit" => "quit\tExit the supervisor shell.\n",
        "reload" => "reload \t\tRestart the remote supervisord.\n",
        "remove" => "remove <name> [...]\tRemoves process/group from active config\n",
        "reread" => "reread \t\t\tReload the daemon's configuration files without add/remove\n",
        "restart" => {
            "restart <name>\t\tRestart a process\n\
             restart <gname>:*\tRestart all processes in a group\n\
             restart <name> <name>\tRestart multiple processes or groups\n\
             restart all\t\tRestart all processes\n\
             Note: restart does not reread config files. For that, see reread and update.\n"
        }
        "shutdown" => "shutdown \tShut the remote supervisord down.\n",
        "signal" => {
            "signal <signal name> <name>\t\tSignal a process\n\
             signal <signal name> <gname>:*\t\tSignal all processes in a group\n\
             signal <signal name> <name> <name>\tSignal multiple processes or groups\n\
             signal <signal name> all\t\tSignal all processes\n"
        }
        "start" => {
            "start <name>\t\tStart a process\n\
             start <gname>:*\t\tStart all processes in a group\n\
             start <name> <name>\tStart multiple processes or groups\n\
             start all\t\tStart all processes\n"
        }
        "status" => {
            "status <name>\t\tGet status for a single process\n\
             status <gname>:*\tGet status for all processes in a group\n\
             status <name> <name>\tGet status for multiple named processes\n\
             status\t\t\tGet all process status info\n"
        }
        "stop" => {
            "stop <name>\t\tStop a process\n\
             stop <gname>:*\t\tStop all processes in a group\n\
             stop <name> <name>\tStop multiple processes or groups\n\
             stop all\t\tStop all processes\n"
        }
        "tail" => {
            "tail [-f] <name> [stdout|stderr] (default stdout)\n\
             Ex:\n\
             tail -f <name>\t\tContinuous tail of named process stdout\n\
             \t\t\tCtrl-C to exit.\n\
             tail -100 <name>\tlast 100 *bytes* of process stdout\n\
             tail <name> stderr\tlast 1600 *bytes* of process stderr\n"
        }
        "update" => {
            "update\t\t\tReload config and add/remove as necessary, and will restart affected programs\n\
             update all\t\tReload config and add/remove as necessary, and will restart affected programs\n\
             update <gname> [...]\tUpdate specific groups\n"
        }
        "version" => "version\t\t\tShow the version of the remote supervisord process\n",
        "help" => "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>\n",
        // Ours (not in the topic list, which stays the reference's).
        "metrics" => "metrics\t\t\tThe daemon's metrics, in Prometheus text format\n",
        "events" => {
            "events [<type> ...]\tStream events (PROCESS_STATE, TICK_5, ...; default EVENT: all)\n\
             \t\t\tone line each: serial type key:value ... (Ctrl-C to exit)\n"
        }
        _ => return None,
    })
}

/// The whole output of `help [topic]`: the topic list, the topic's text, or
/// `*** No help on <topic>`. `topic` is the rest of the line after `help`, trimmed.
pub fn help_output(topic_arg: &str) -> String {
    let t = topic_arg.trim();
    if t.is_empty() {
        return TOPICS.to_string();
    }
    match topic(t) {
        Some(text) => text.to_string(),
        None => format!("*** No help on {t}\n"),
    }
}

/// Splits a multi-line text into the lines supervisorctl prints (the final newline ends the
/// last line; it does not start an empty one).
pub fn lines(text: &str) -> Vec<String> {
    text.strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_command_has_help() {
        for c in COMMANDS {
            assert!(topic(c).is_some(), "{c}");
            assert!(TOPICS.contains(c), "{c}");
        }
    }

    #[test]
    fn help_output_cases() {
        assert_eq!(help_output(""), TOPICS);
        assert_eq!(help_output(" start "), topic("start").unwrap());
        assert_eq!(help_output("EOF"), "*** No help on EOF\n");
        assert_eq!(help_output("exit x"), "*** No help on exit x\n");
        assert_eq!(lines("a\nb\n"), vec!["a", "b"]);
        assert_eq!(lines("a\n\n"), vec!["a", ""]);
    }
}
