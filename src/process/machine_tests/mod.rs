//! Unit tests for the process state machine, on a fake clock: one test per edge and per
//! deliberate difference from the reference. Times are milliseconds. Shared helpers and
//! whole-table properties here; `start` covers starting, backoff and exits, `stop` the
//! manual commands, stopping and kill failures.

mod ready;
mod start;
mod stop;

use super::*;
use crate::config::model::{ChannelConfig, LogTarget};
use crate::process::state::State::*;

pub(super) const PID: Pid = 100;

pub(super) fn channel() -> ChannelConfig {
    ChannelConfig {
        logfile: LogTarget::Auto,
        logfile_maxbytes: 50 << 20,
        logfile_backups: 10,
        capture_maxbytes: 0,
        events_enabled: false,
        syslog: false,
        log: Default::default(),
    }
}

/// A `[program:p]` with the reference's defaults.
pub(crate) fn cfg() -> ProcessConfig {
    ProcessConfig {
        name: "p".into(),
        group: "p".into(),
        section: "program:p".into(),
        numprocs: 1,
        command: "/bin/sleep 100".into(),
        directory: None,
        umask: None,
        priority: 999,
        autostart: true,
        autorestart: AutoRestart::Unexpected,
        startsecs: 1,
        startretries: 3,
        exitcodes: vec![0],
        stopsignal: libc::SIGTERM,
        stopwaitsecs: 10,
        stopasgroup: false,
        killasgroup: false,
        log_lifecycle: false,
        user: None,
        uid: None,
        gid: None,
        groups: vec![],
        login: None,
        redirect_stderr: false,
        stdout: channel(),
        stderr: channel(),
        environment: vec![],
        serverurl: None,
        supervision: Default::default(),
        environment_files: Default::default(),
    }
}

pub(super) fn with(f: impl FnOnce(&mut ProcessConfig)) -> ProcessConfig {
    let mut c = cfg();
    f(&mut c);
    c
}

pub(super) fn step(p: &mut Process, input: Input, t: u64) -> (Outcome, Vec<Action>) {
    p.step(input, Mono(t))
}

pub(super) fn exit(code: i32) -> Input {
    Input::Exited {
        status: WaitStatus::Exited(code),
    }
}

pub(super) fn killed(sig: i32) -> Input {
    Input::Exited {
        status: WaitStatus::Signaled { sig, core: false },
    }
}

pub(super) fn edges(actions: &[Action]) -> Vec<(State, State)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::StateChanged { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

pub(super) fn logs(actions: &[Action]) -> Vec<(LogLevel, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log { level, message } => Some((*level, message.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn log_lines(actions: &[Action]) -> Vec<String> {
    logs(actions)
        .into_iter()
        .map(|(l, m)| format!("{} {m}", l.label()))
        .collect()
}

pub(super) fn kills(actions: &[Action]) -> Vec<(Pid, i32, bool)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Kill { pid, signal, group } => Some((*pid, *signal, *group)),
            _ => None,
        })
        .collect()
}

pub(super) fn spawns(actions: &[Action]) -> usize {
    actions.iter().filter(|a| **a == Action::Spawn).count()
}

/// Started manually at `t`, forked with `PID`.
pub(super) fn starting_at(c: ProcessConfig, t: u64) -> Process {
    let mut p = Process::new(c);
    step(&mut p, Input::Start, t);
    step(&mut p, Input::Spawned { pid: PID }, t);
    p
}

/// RUNNING: started at 0, promoted by its deadline.
pub(super) fn running(c: ProcessConfig) -> Process {
    let mut p = starting_at(c, 0);
    if p.state() == Starting {
        let due = p.deadline().unwrap();
        step(&mut p, Input::Deadline, due.0);
    }
    assert_eq!(p.state(), Running);
    p
}

// ---- manual commands -------------------------------------------------------------------------

/// A process brought into `state` by ordinary inputs.
pub(super) fn in_state(state: State) -> Process {
    let c = with(|c| c.autorestart = AutoRestart::Never);
    match state {
        Stopped => Process::new(c),
        Starting => starting_at(c, 0),
        Running => running(c),
        Backoff => {
            let mut p = starting_at(c, 0);
            step(&mut p, exit(1), 10);
            p
        }
        Stopping => {
            let mut p = running(c);
            step(&mut p, Input::Stop, 5000);
            p
        }
        Exited => {
            let mut p = running(c);
            step(&mut p, exit(0), 5000);
            p
        }
        Fatal => {
            let mut p = starting_at(with(|c| c.startretries = 0), 0);
            step(&mut p, exit(1), 10);
            p
        }
        Unknown => {
            let mut p = running(c);
            step(&mut p, Input::Stop, 5000);
            step(
                &mut p,
                Input::KillFailed {
                    errno_name: "EPERM".into(),
                },
                5000,
            );
            p
        }
    }
}

#[test]
fn mood_running_autostarts_a_never_started_process() {
    let mut p = Process::new(cfg());
    let (o, a) = step(&mut p, Input::Mood(Mood::Running), 0);
    assert_eq!(o, Outcome::Ok);
    assert_eq!(edges(&a), [(Stopped, Starting)]);
}

#[test]
pub(super) fn in_state_builds_every_state() {
    for s in State::ALL {
        assert_eq!(in_state(s).state(), s);
    }
}

// ---- whole-table properties -------------------------------------------------------------

fn all_inputs() -> Vec<Input> {
    vec![
        Input::AutoStart,
        Input::Start,
        Input::Stop,
        Input::Shutdown,
        Input::Signal(libc::SIGHUP),
        Input::Spawned { pid: 7 },
        Input::SpawnFailed {
            message: "x".into(),
        },
        exit(0),
        killed(9),
        Input::Deadline,
        Input::KillFailed {
            errno_name: "EPERM".into(),
        },
        Input::Mood(Mood::Running),
        Input::Mood(Mood::ShuttingDown),
    ]
}

#[test]
fn every_state_input_pair_keeps_the_invariants() {
    for state in State::ALL {
        for input in all_inputs() {
            let mut p = in_state(state);
            let row = format!("{state} {input:?}");
            let probe_failed = matches!(input, Input::NotReady { .. });
            let (_, a) = step(&mut p, input, 100_000);
            // Transitions chain from the old state to the new one.
            let mut cur = state;
            for (from, to) in edges(&a) {
                assert_eq!(from, cur, "{row}");
                assert_ne!(from, to, "{row}");
                cur = to;
            }
            assert_eq!(cur, p.state(), "{row}");
            // A pid exactly while something may be alive.
            let s = p.state();
            match s {
                Running | Stopping | Unknown => assert!(p.pid().is_some(), "{row}"),
                Stopped | Backoff | Exited | Fatal => assert!(p.pid().is_none(), "{row}"),
                Starting => {}
            }
            // Deadlines only where time matters.
            if matches!(s, Stopped | Running | Exited | Fatal | Unknown) {
                assert_eq!(p.deadline(), None, "{row}");
            }
            if s == Stopping {
                assert!(p.deadline().is_some(), "{row}");
            }
            // Each Spawn leaves it STARTING without a pid, waiting for the fork result.
            if spawns(&a) > 0 {
                assert_eq!((s, p.pid()), (Starting, None), "{row}");
            }
            // The reference's rules leave the readiness and health state unboxed (only a
            // readiness probe's failure, which they never see, sets it).
            if !probe_failed {
                assert!(!p.probing.is_boxed(), "{row}");
            }
        }
    }
}

#[test]
fn deadline_input_before_the_deadline_changes_nothing() {
    for state in State::ALL {
        let mut p = in_state(state);
        if let Some(d) = p.deadline() {
            let (o, a) = step(&mut p, Input::Deadline, d.0 - 1);
            assert_eq!((o, a.len()), (Outcome::Ignored, 0), "{state}");
            assert_eq!(p.state(), state);
        }
    }
}
