//! Every activity-log line the process, daemon, event and log-file layers print, word for word
//! as Supervisor 4.3.0 prints them (reference §7.1). Operators grep logs for these texts, so they live in one
//! place and are unit-tested against lines copied from the reference's logs.
//!
//! Pure: each function only formats. The level each line is logged at is noted in its doc;
//! callers pick the level.

use crate::process::wait_status::WaitStatus;
use crate::pyrepr::str_repr;
use crate::signames::signame;

/// `spawnerr` when a process died before `startsecs` (also shown by `status`).
pub const EXITED_TOO_QUICKLY: &str = "Exited too quickly (process log may have details)";

/// `spawnerr` after an unexpected exit from RUNNING: `Bad exit code N` (status shows it).
pub fn bad_exit_code(es: i32) -> String {
    format!("Bad exit code {es}")
}

// ---- process life cycle -------------------------------------------------------------------

/// INFO `spawned: 'NAME' with pid PID`
pub fn spawned(name: &str, pid: i32) -> String {
    format!("spawned: '{name}' with pid {pid}")
}

/// INFO `spawnerr: MSG`
pub fn spawnerr(msg: &str) -> String {
    format!("spawnerr: {msg}")
}

/// INFO `success: NAME entered RUNNING state, process has stayed up for > than N seconds (startsecs)`
pub fn success(name: &str, startsecs: u64) -> String {
    format!(
        "success: {name} entered RUNNING state, process has stayed up for > than {startsecs} \
         seconds (startsecs)"
    )
}

/// INFO (expected) or WARN: `exited: NAME (exit status N; expected)`,
/// `exited: NAME (terminated by SIGX; not expected)`.
pub fn exited(name: &str, status: &WaitStatus, expected: bool) -> String {
    let tail = if expected { "expected" } else { "not expected" };
    format!("exited: {name} ({}; {tail})", status.describe())
}

/// INFO when the status is in exitcodes, else WARN: `stopped: NAME (terminated by SIGTERM)`.
pub fn stopped(name: &str, status: &WaitStatus) -> String {
    format!("stopped: {name} ({})", status.describe())
}

/// INFO `gave up: NAME entered FATAL state, too many start retries too quickly`
pub fn gave_up(name: &str) -> String {
    format!("gave up: {name} entered FATAL state, too many start retries too quickly")
}

/// WARN `killing 'NAME' (PID) with SIGKILL` (stopwaitsecs ran out).
pub fn killing(name: &str, pid: i32) -> String {
    format!("killing '{name}' ({pid}) with SIGKILL")
}

/// DEBG `killing NAME (pid N) with signal SIGTERM` /
/// `killing NAME (pid N) process group with signal SIGKILL`.
pub fn killing_with_signal(name: &str, pid: i32, group: bool, sig: i32) -> String {
    let as_group = if group { "process group " } else { "" };
    format!(
        "killing {name} (pid {pid}) {as_group}with signal {}",
        signame(sig)
    )
}

/// DEBG `sending NAME (pid N) sig SIGX` (a manual `signal`).
pub fn sending_signal(name: &str, pid: i32, sig: i32) -> String {
    format!("sending {name} (pid {pid}) sig {}", signame(sig))
}

/// DEBG `Attempted to kill NAME, which is in BACKOFF state.`
pub fn attempted_kill_in_backoff(name: &str) -> String {
    format!("Attempted to kill {name}, which is in BACKOFF state.")
}

/// DEBG `attempted to kill NAME with sig SIGX but it wasn't running`
pub fn attempted_kill_not_running(name: &str, sig: i32) -> String {
    format!(
        "attempted to kill {name} with sig {} but it wasn't running",
        signame(sig)
    )
}

/// DEBG `attempted to send NAME sig SIGX but it wasn't running`
pub fn attempted_signal_not_running(name: &str, sig: i32) -> String {
    format!(
        "attempted to send {name} sig {} but it wasn't running",
        signame(sig)
    )
}

/// Python's `str(OSError(ESRCH))`, quoted by the two "unable to signal" lines.
const ESRCH_TEXT: &str = "[Errno 3] No such process";

/// DEBG `unable to signal NAME (pid N), it probably just exited on its own: [Errno 3] No such process`
/// (a stop signal hit a process that had already died).
pub fn unable_to_kill_esrch(name: &str, pid: i32) -> String {
    format!("unable to signal {name} (pid {pid}), it probably just exited on its own: {ESRCH_TEXT}")
}

/// DEBG `unable to signal NAME (pid N), it probably just now exited on its own: ...` (a manual
/// signal hit a process that had already died).
pub fn unable_to_signal_esrch(name: &str, pid: i32) -> String {
    format!(
        "unable to signal {name} (pid {pid}), it probably just now exited on its own: {ESRCH_TEXT}"
    )
}

/// CRIT `unknown problem killing NAME (PID):DETAIL` (the reference appends a traceback; we
/// append the errno name).
pub fn unknown_problem_killing(name: &str, pid: i32, detail: &str) -> String {
    format!("unknown problem killing {name} ({pid}):{detail}")
}

/// CRIT `unknown problem sending sig NAME (PID):DETAIL`
pub fn unknown_problem_signalling(name: &str, pid: i32, detail: &str) -> String {
    format!("unknown problem sending sig {name} ({pid}):{detail}")
}

/// WARN `process 'NAME' already running` (start while the old instance is still stopping).
pub fn already_running(name: &str) -> String {
    format!("process '{name}' already running")
}

/// The FAILED fault text for starting a process in the UNKNOWN state.
pub fn unknown_process_state(name: &str) -> String {
    format!("{name} is in an unknown process state")
}

/// INFO `waiting for NAME to stop` (a stop request waiting, every 2 s).
pub fn waiting_for_stop(name: &str) -> String {
    format!("waiting for {name} to stop")
}

/// INFO `waiting for A, B, C to die` (shutdown, every 3 s; every unstopped process name).
pub fn waiting_to_die<S: AsRef<str>>(names: &[S]) -> String {
    let joined: Vec<&str> = names.iter().map(|s| s.as_ref()).collect();
    format!("waiting for {} to die", joined.join(", "))
}

/// BLAT `NAME state: STATE` (after each `waiting for ... to die`, once per process).
pub fn unstopped_state(name: &str, state: &str) -> String {
    format!("{name} state: {state}")
}

/// CRIT `supervisor: couldn't setuid to UID: MSG` line written to a child's stderr.
pub fn child_setuid_failed(uid: u32, msg: &str) -> String {
    format!("supervisor: couldn't setuid to {uid}: {msg}\n")
}

/// The last line a child writes to its stderr before `_exit(127)`.
pub const CHILD_NOT_SPAWNED: &str = "supervisor: child process was not spawned\n";

// ---- daemon -------------------------------------------------------------------------------

/// WARN `received SIGTERM indicating exit request` (also SIGINT, SIGQUIT).
pub fn received_exit_request(sig: i32) -> String {
    format!("received {} indicating exit request", signame(sig))
}

/// WARN `received SIGHUP indicating restart request`
pub fn received_restart_request(sig: i32) -> String {
    format!("received {} indicating restart request", signame(sig))
}

/// WARN `ignored SIGHUP indicating restart request (shutdown in progress)`
pub fn ignored_restart_request(sig: i32) -> String {
    format!(
        "ignored {} indicating restart request (shutdown in progress)",
        signame(sig)
    )
}

/// INFO `received SIGUSR2 indicating log reopen request`
pub fn received_log_reopen_request(sig: i32) -> String {
    format!("received {} indicating log reopen request", signame(sig))
}

/// DEBG `received SIGCHLD indicating a child quit`
pub fn received_child_quit(sig: i32) -> String {
    format!("received {} indicating a child quit", signame(sig))
}

/// BLAT `received SIGX indicating nothing` (any other handled signal).
pub fn received_nothing(sig: i32) -> String {
    format!("received {} indicating nothing", signame(sig))
}

/// INFO `supervisord logreopen`
pub const LOGREOPEN: &str = "supervisord logreopen";

/// INFO `reopening log file` (clearLog).
pub const REOPENING_LOG_FILE: &str = "reopening log file";

/// INFO `reaped unknown pid PID (exit status N)`
pub fn reaped_unknown(pid: i32, status: &WaitStatus) -> String {
    format!("reaped unknown pid {pid} ({})", status.describe())
}

/// CRIT `waitpid error N; a process may not be cleaned up properly` (N is the errno number).
pub fn waitpid_error(errno: i32) -> String {
    format!("waitpid error {errno}; a process may not be cleaned up properly")
}

/// INFO `supervisord started with pid PID`
pub fn supervisord_started(pid: u32) -> String {
    format!("supervisord started with pid {pid}")
}

/// INFO `daemonizing the supervisord process`
pub const DAEMONIZING: &str = "daemonizing the supervisord process";

/// INFO `set current directory: 'DIR'`
pub fn set_current_directory(dir: &str) -> String {
    format!("set current directory: {}", str_repr(dir))
}

/// CRIT `can't chdir into 'DIR': ERR` (ERR is Python's `str(OSError)`, e.g.
/// `[Errno 2] No such file or directory: '/x'`).
pub fn cant_chdir_into(dir: &str, err: &str) -> String {
    format!("can't chdir into {}: {err}", str_repr(dir))
}

/// CRIT `could not write pidfile PATH`
pub fn could_not_write_pidfile(path: &str) -> String {
    format!("could not write pidfile {path}")
}

/// INFO `RPC interface 'supervisor' initialized`
pub fn rpc_interface_initialized(name: &str) -> String {
    format!("RPC interface {} initialized", str_repr(name))
}

/// CRIT `Server 'unix_http_server' running without any HTTP authentication checking`
pub fn server_without_auth(section: &str) -> String {
    format!(
        "Server {} running without any HTTP authentication checking",
        str_repr(section)
    )
}

/// CRIT when root without `user=`.
pub const RUNNING_AS_ROOT: &str = "Supervisor is running as root.  Privileges were not dropped \
     because no user is specified in the config file.  If you intend to run as root, you can set \
     user=root in the config file to avoid this message.";

/// INFO `Set uid to user UID succeeded`
pub fn set_uid_succeeded(uid: u32) -> String {
    format!("Set uid to user {uid} succeeded")
}

/// INFO `Increased RLIMIT_NOFILE limit to N`
pub fn increased_rlimit(name: &str, n: u64) -> String {
    format!("Increased {name} limit to {n}")
}

/// WARN `Could not clear childlog dir`
pub const COULD_NOT_CLEAR_CHILDLOGDIR: &str = "Could not clear childlog dir";

/// WARN `Failed to clean up 'PATH'`
pub fn failed_to_clean_up(path: &str) -> String {
    format!("Failed to clean up {}", str_repr(path))
}

// ----- event listeners (the reference's `supervisor/events`, `dispatchers.py`) -------------

/// DEBUG: what a listener wrote on stdout.
pub fn listener_stdout(name: &str, repr: &str) -> String {
    format!("'{name}' stdout output:\n{repr}")
}

/// DEBUG: an event went to a listener.
pub fn event_sent(serial: u64, name: &str) -> String {
    format!("event {serial} sent to listener {name}")
}

/// DEBUG: a listener's stdin broke while an event was written to it.
pub fn listener_epipe(serial: u64, name: &str) -> String {
    format!(
        "epipe occurred while sending event {serial} to listener {name}, listener state unchanged"
    )
}

/// INFO `Creating socket URL` (an fcgi group's socket is bound).
pub fn creating_socket(url: &str) -> String {
    format!("Creating socket {url}")
}

/// INFO `Closing socket URL` (an fcgi group's socket is closed).
pub fn closing_socket(url: &str) -> String {
    format!("Closing socket {url}")
}

/// DEBUG `'NAME' stdout emitted a comm event`
pub fn emitted_comm_event(name: &str, stream: &str) -> String {
    format!("'{name}' {stream} emitted a comm event")
}

// ----- the loop --------------------------------------------------------------------------

/// CRIT: the poller failed (the loop retries after a pause).
pub fn poll_failed(e: &std::io::Error) -> String {
    format!("poll failed: {e}")
}

/// DEBUG: a child failed between fork and exec.
pub fn failed_before_exec(name: &str, stage: &str, errno_name: &str) -> String {
    format!("'{name}' failed before exec at {stage}: {errno_name}")
}

/// ERROR: SIGHUP or `reload` with a config that does not load.
pub fn reload_failed(e: &str) -> String {
    format!("could not reload the configuration, keeping the current one: {e}")
}

// ---- event listeners and pools ---------------------------------------------------------------

/// DEBG `NAME: ACKNOWLEDGED -> READY` (every listener state change, also to the same state).
pub fn listener_state_change(name: &str, from: &str, to: &str) -> String {
    format!("{name}: {from} -> {to}")
}

/// WARN after a listener's change to UNKNOWN.
pub fn listener_entered_unknown(name: &str) -> String {
    format!(
        "{name}: has entered the UNKNOWN state and will no longer receive events, this usually \
         indicates the process violated the eventlistener protocol"
    )
}

/// DEBG `NAME: event was processed`
pub fn event_processed(name: &str) -> String {
    format!("{name}: event was processed")
}

/// WARN `NAME: event was rejected`
pub fn event_rejected(name: &str) -> String {
    format!("{name}: event was rejected")
}

/// WARN `NAME: event caused an error`
pub fn event_caused_error(name: &str) -> String {
    format!("{name}: event caused an error")
}

/// WARN `NAME: bad result line: 'TEXT'` (TEXT quoted literally, without escaping, as the
/// reference does).
pub fn bad_result_line(name: &str, text: &str) -> String {
    format!("{name}: bad result line: '{text}'")
}

/// ERRO `pool POOL event buffer overflowed, discarding event SERIAL`
pub fn event_buffer_overflowed(pool: &str, serial: u64) -> String {
    format!("pool {pool} event buffer overflowed, discarding event {serial}")
}

/// DEBG `rebuffering event SERIAL for pool POOL (buf size=N, max=M)`
pub fn rebuffering_event(serial: u64, pool: &str, size: usize, max: usize) -> String {
    format!("rebuffering event {serial} for pool {pool} (buf size={size}, max={max})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use WaitStatus::*;

    /// Each line as observed in a Supervisor 4.3.0 activity log (timestamp and level cut).
    #[test]
    fn lines_match_the_reference_logs() {
        let term = Signaled {
            sig: 15,
            core: false,
        };
        let segv_core = Signaled {
            sig: 11,
            core: true,
        };
        let cases: Vec<(String, &str)> = vec![
            (spawned("false", 5499), "spawned: 'false' with pid 5499"),
            (
                spawnerr("command at '/tmp' is a directory"),
                "spawnerr: command at '/tmp' is a directory",
            ),
            (
                success("true0", 0),
                "success: true0 entered RUNNING state, process has stayed up for > than 0 \
                 seconds (startsecs)",
            ),
            (
                exited("false5", &Exited(1), false),
                "exited: false5 (exit status 1; not expected)",
            ),
            (
                exited("true0", &Exited(0), true),
                "exited: true0 (exit status 0; expected)",
            ),
            (
                exited(
                    "segv",
                    &Signaled {
                        sig: 11,
                        core: false,
                    },
                    false,
                ),
                "exited: segv (terminated by SIGSEGV; not expected)",
            ),
            (
                exited("segv", &segv_core, false),
                "exited: segv (terminated by SIGSEGV (core dumped); not expected)",
            ),
            (
                stopped("sleep", &term),
                "stopped: sleep (terminated by SIGTERM)",
            ),
            (stopped("x", &Exited(0)), "stopped: x (exit status 0)"),
            (
                gave_up("dir"),
                "gave up: dir entered FATAL state, too many start retries too quickly",
            ),
            (killing("trap", 5513), "killing 'trap' (5513) with SIGKILL"),
            (
                killing_with_signal("trap", 5513, false, 15),
                "killing trap (pid 5513) with signal SIGTERM",
            ),
            (
                killing_with_signal("trap", 5513, true, 9),
                "killing trap (pid 5513) process group with signal SIGKILL",
            ),
            (sending_signal("w", 7, 1), "sending w (pid 7) sig SIGHUP"),
            (
                attempted_kill_in_backoff("trap"),
                "Attempted to kill trap, which is in BACKOFF state.",
            ),
            (waiting_for_stop("trap"), "waiting for trap to stop"),
            (
                waiting_to_die(&["a", "b", "c"]),
                "waiting for a, b, c to die",
            ),
            (already_running("x"), "process 'x' already running"),
            (
                reaped_unknown(42, &Exited(0)),
                "reaped unknown pid 42 (exit status 0)",
            ),
            (
                received_exit_request(15),
                "received SIGTERM indicating exit request",
            ),
            (
                received_restart_request(1),
                "received SIGHUP indicating restart request",
            ),
            (
                ignored_restart_request(1),
                "ignored SIGHUP indicating restart request (shutdown in progress)",
            ),
            (
                received_log_reopen_request(12),
                "received SIGUSR2 indicating log reopen request",
            ),
            (
                received_child_quit(17),
                "received SIGCHLD indicating a child quit",
            ),
            (
                supervisord_started(5476),
                "supervisord started with pid 5476",
            ),
            (
                rpc_interface_initialized("supervisor"),
                "RPC interface 'supervisor' initialized",
            ),
            (
                server_without_auth("unix_http_server"),
                "Server 'unix_http_server' running without any HTTP authentication checking",
            ),
            (
                child_setuid_failed(0, "Can't drop privilege as nonroot user"),
                "supervisor: couldn't setuid to 0: Can't drop privilege as nonroot user\n",
            ),
            (
                set_current_directory("/tmp"),
                "set current directory: '/tmp'",
            ),
            (
                waitpid_error(10),
                "waitpid error 10; a process may not be cleaned up properly",
            ),
            (
                increased_rlimit("RLIMIT_NOFILE", 1024),
                "Increased RLIMIT_NOFILE limit to 1024",
            ),
            (bad_exit_code(3), "Bad exit code 3"),
            (
                listener_state_change("lis", "ACKNOWLEDGED", "READY"),
                "lis: ACKNOWLEDGED -> READY",
            ),
            (
                listener_entered_unknown("lis"),
                "lis: has entered the UNKNOWN state and will no longer receive events, this \
                 usually indicates the process violated the eventlistener protocol",
            ),
            (event_processed("lis"), "lis: event was processed"),
            (event_rejected("lis"), "lis: event was rejected"),
            (event_caused_error("lis"), "lis: event caused an error"),
            (
                bad_result_line("lis", "what?"),
                "lis: bad result line: 'what?'",
            ),
            (
                event_buffer_overflowed("lis", 0),
                "pool lis event buffer overflowed, discarding event 0",
            ),
            (
                rebuffering_event(1, "p", 1, 2),
                "rebuffering event 1 for pool p (buf size=1, max=2)",
            ),
            (
                failed_to_clean_up("/x/a.log"),
                "Failed to clean up '/x/a.log'",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
        assert_eq!(
            RUNNING_AS_ROOT,
            "Supervisor is running as root.  Privileges were not dropped because no user is \
             specified in the config file.  If you intend to run as root, you can set user=root \
             in the config file to avoid this message."
        );
    }
}
