//! Starting, RUNNING, backoff and exits, and the daemon mood.

use super::*;

// ---- starting --------------------------------------------------------------------------------

#[test]
fn autostart_spawns_at_once_only_the_first_time() {
    // (autostart, already started, mood, spawns)
    let table = [
        (true, false, Mood::Running, true),
        (false, false, Mood::Running, false),
        (true, true, Mood::Running, false),
        (true, false, Mood::ShuttingDown, false),
    ];
    for (autostart, started_before, mood, want) in table {
        let mut p = Process::new(with(|c| c.autostart = autostart));
        if started_before {
            // Started once, then stopped from BACKOFF: back in STOPPED with a laststart.
            step(&mut p, Input::Start, 0);
            step(
                &mut p,
                Input::SpawnFailed {
                    message: "x".into(),
                },
                0,
            );
            step(&mut p, Input::Stop, 0);
            assert_eq!(p.state(), Stopped);
        }
        if mood == Mood::ShuttingDown {
            step(&mut p, Input::Mood(mood), 0);
        }
        let (outcome, a) = step(&mut p, Input::AutoStart, 5);
        let row = format!("{autostart} {started_before} {mood:?}");
        if want {
            assert_eq!(outcome, Outcome::Ok, "{row}");
            assert_eq!(edges(&a), [(Stopped, Starting)], "{row}");
            assert_eq!(spawns(&a), 1, "{row}");
            assert_eq!(p.laststart(), Some(Mono(5)));
        } else {
            assert_eq!(outcome, Outcome::Ignored, "{row}");
            assert!(a.is_empty(), "{row}");
        }
    }
}

#[test]
fn spawned_logs_and_asks_for_the_startsecs_deadline() {
    let mut p = Process::new(cfg());
    let (_, a) = step(&mut p, Input::Start, 1000);
    assert_eq!(p.state(), Starting);
    assert_eq!(p.deadline(), None, "no deadline before the fork result");
    assert!(matches!(
        a[0],
        Action::StateChanged {
            from: Stopped,
            to: Starting,
            pid: None,
            tries: 0,
            ..
        }
    ));
    let (outcome, a) = step(&mut p, Input::Spawned { pid: 42 }, 1003);
    assert_eq!(outcome, Outcome::Ok);
    assert_eq!(log_lines(&a), ["INFO spawned: 'p' with pid 42"]);
    assert_eq!(p.pid(), Some(42));
    // Strictly more than startsecs after the fork (a spawn held back for its dependencies
    // starts its clock there, not at the request).
    assert_eq!(p.deadline(), Some(Mono(2004)));
}

#[test]
fn starting_becomes_running_strictly_after_startsecs() {
    let mut p = starting_at(with(|c| c.startsecs = 2), 0);
    let (outcome, a) = step(&mut p, Input::Deadline, 2000);
    assert_eq!(
        (outcome, a.len()),
        (Outcome::Ignored, 0),
        "exactly startsecs is not enough"
    );
    assert_eq!(p.state(), Starting);
    let (_, a) = step(&mut p, Input::Deadline, 2001);
    assert_eq!(edges(&a), [(Starting, Running)]);
    assert_eq!(
        log_lines(&a),
        [
            "INFO success: p entered RUNNING state, process has stayed up for > than 2 seconds \
          (startsecs)"
        ]
    );
    assert!(matches!(a[0], Action::StateChanged { pid: Some(PID), .. }));
}

#[test]
fn idle_running_process_has_no_deadline() {
    let p = running(cfg());
    assert_eq!(p.deadline(), None);
}

#[test]
fn startsecs_zero_is_running_at_once_and_an_exit_is_exited() {
    let mut p = Process::new(with(|c| {
        c.startsecs = 0;
        c.autorestart = AutoRestart::Never;
    }));
    step(&mut p, Input::Start, 0);
    let (_, a) = step(&mut p, Input::Spawned { pid: PID }, 0);
    assert_eq!(edges(&a), [(Starting, Running)]);
    assert_eq!(
        log_lines(&a),
        [
            "INFO spawned: 'p' with pid 100",
            "INFO success: p entered RUNNING state, process has stayed up for > than 0 seconds \
             (startsecs)"
        ]
    );
    assert_eq!(p.deadline(), None);
    let (_, a) = step(&mut p, exit(0), 0);
    assert_eq!(edges(&a), [(Running, Exited)]);
    assert_eq!(log_lines(&a), ["INFO exited: p (exit status 0; expected)"]);
}

// ---- backoff -----------------------------------------------------------------------------

#[test]
fn exit_before_startsecs_is_backoff_even_with_status_zero() {
    let mut p = starting_at(cfg(), 0);
    let (outcome, a) = step(&mut p, exit(0), 999);
    assert_eq!(outcome, Outcome::Ok);
    assert_eq!(edges(&a), [(Starting, Backoff)]);
    assert_eq!(
        log_lines(&a),
        ["WARN exited: p (exit status 0; not expected)"]
    );
    assert!(matches!(
        a[0],
        Action::StateChanged {
            to: Backoff,
            tries: 1,
            ..
        }
    ));
    assert_eq!(p.spawnerr(), Some(messages::EXITED_TOO_QUICKLY));
    assert_eq!(p.exitstatus(), None);
    assert_eq!(p.pid(), None);
    assert_eq!(p.backoff(), 1);
    assert_eq!(p.laststop(), Some(Mono(999)));
    assert_eq!(p.deadline(), Some(Mono(1999)));
}

#[test]
fn exit_exactly_at_startsecs_is_still_too_quick() {
    // Deliberate difference: never RUNNING before startsecs has strictly passed.
    let mut p = starting_at(cfg(), 0);
    let (_, a) = step(&mut p, exit(1), 1000);
    assert_eq!(edges(&a), [(Starting, Backoff)]);
}

#[test]
fn late_reaped_exit_after_startsecs_goes_running_then_exited() {
    // The deadline passed but the loop fed the exit first: the process did stay up.
    let mut p = starting_at(with(|c| c.autorestart = AutoRestart::Never), 0);
    let (_, a) = step(&mut p, exit(3), 1500);
    assert_eq!(edges(&a), [(Starting, Running), (Running, Exited)]);
    assert!(log_lines(&a)[0].starts_with("INFO success: p entered RUNNING"));
    assert_eq!(
        log_lines(&a)[1],
        "WARN exited: p (exit status 3; not expected)"
    );
}

#[test]
fn backoff_waits_one_two_three_seconds_then_gives_up() {
    let mut p = Process::new(cfg()); // startretries = 3
    let mut t = 0;
    step(&mut p, Input::Start, t);
    for k in 1..=3u64 {
        step(&mut p, Input::Spawned { pid: PID }, t);
        t += 100;
        let (_, a) = step(&mut p, exit(1), t);
        assert_eq!(edges(&a), [(Starting, Backoff)]);
        assert_eq!(p.deadline(), Some(Mono(t + k * 1000)), "retry {k}");
        // Not before the delay ...
        let (o, _) = step(&mut p, Input::Deadline, t + k * 1000 - 1);
        assert_eq!(o, Outcome::Ignored);
        // ... then BACKOFF -> STARTING.
        t += k * 1000;
        let (_, a) = step(&mut p, Input::Deadline, t);
        assert_eq!(edges(&a), [(Backoff, Starting)]);
        assert!(matches!(a[0], Action::StateChanged { tries, .. } if tries == k as u32));
        assert_eq!(spawns(&a), 1);
    }
    step(&mut p, Input::Spawned { pid: PID }, t);
    let (_, a) = step(&mut p, exit(1), t + 100);
    assert_eq!(edges(&a), [(Starting, Backoff), (Backoff, Fatal)]);
    assert_eq!(
        log_lines(&a),
        [
            "WARN exited: p (exit status 1; not expected)",
            "INFO gave up: p entered FATAL state, too many start retries too quickly"
        ]
    );
    assert_eq!(p.backoff(), 0, "giving up resets the counter");
    assert_eq!(p.deadline(), None);
}

#[test]
fn spawn_attempts_are_one_plus_startretries() {
    for retries in [0u32, 1, 2, 5] {
        let mut p = Process::new(with(|c| c.startretries = retries));
        let mut t = 0;
        let mut attempts = 0;
        let (_, mut a) = step(&mut p, Input::Start, t);
        while spawns(&a) == 1 {
            attempts += 1;
            step(
                &mut p,
                Input::SpawnFailed {
                    message: "x".into(),
                },
                t,
            );
            t = p.deadline().map_or(t, |d| d.0);
            a = step(&mut p, Input::Deadline, t).1;
        }
        assert_eq!(attempts, 1 + retries, "startretries={retries}");
        assert_eq!(p.state(), Fatal);
    }
}

#[test]
fn spawn_failure_logs_spawnerr_and_backs_off() {
    let mut p = Process::new(cfg());
    step(&mut p, Input::Start, 0);
    let msg = "can't find command 'nope'";
    let (outcome, a) = step(
        &mut p,
        Input::SpawnFailed {
            message: msg.into(),
        },
        0,
    );
    assert_eq!(outcome, Outcome::Ok);
    assert_eq!(log_lines(&a), ["INFO spawnerr: can't find command 'nope'"]);
    assert_eq!(edges(&a), [(Starting, Backoff)]);
    assert_eq!(p.spawnerr(), Some(msg));
    assert_eq!(p.deadline(), Some(Mono(1000)));
}

#[test]
fn manual_start_keeps_backoff_until_running_but_fatal_resets_it() {
    // Stopped out of BACKOFF with 2 failures: a manual start continues the count.
    let mut p = Process::new(cfg()); // startretries 3
    step(&mut p, Input::Start, 0);
    step(
        &mut p,
        Input::SpawnFailed {
            message: "x".into(),
        },
        0,
    );
    step(&mut p, Input::Deadline, 1000);
    step(
        &mut p,
        Input::SpawnFailed {
            message: "x".into(),
        },
        1000,
    );
    assert_eq!(p.backoff(), 2);
    step(&mut p, Input::Stop, 1500);
    assert_eq!((p.state(), p.backoff()), (Stopped, 2));
    let (_, a) = step(&mut p, Input::Start, 2000);
    assert!(matches!(a[0], Action::StateChanged { tries: 2, .. }));
    step(
        &mut p,
        Input::SpawnFailed {
            message: "x".into(),
        },
        2000,
    );
    assert_eq!(p.backoff(), 3);
    step(&mut p, Input::Deadline, 5000);
    let (_, a) = step(
        &mut p,
        Input::SpawnFailed {
            message: "x".into(),
        },
        5000,
    );
    assert_eq!(edges(&a), [(Starting, Backoff), (Backoff, Fatal)]);
    // From FATAL the counter starts over: 1 + 3 attempts again.
    let (o, _) = step(&mut p, Input::Start, 6000);
    assert_eq!(o, Outcome::Ok);
    step(
        &mut p,
        Input::SpawnFailed {
            message: "x".into(),
        },
        6000,
    );
    assert_eq!((p.state(), p.backoff()), (Backoff, 1));
    // Reaching RUNNING resets it.
    step(&mut p, Input::Deadline, 7000);
    step(&mut p, Input::Spawned { pid: PID }, 7000);
    step(&mut p, Input::Deadline, 8001);
    assert_eq!((p.state(), p.backoff()), (Running, 0));
}

// ---- exits from RUNNING --------------------------------------------------------------------

#[test]
fn exit_from_running_follows_autorestart_and_exitcodes() {
    use AutoRestart::*;
    /// (autorestart, exitcodes, status, restarts at once, log line)
    type Row = (AutoRestart, &'static [i32], WaitStatus, bool, &'static str);
    const E0: WaitStatus = WaitStatus::Exited(0);
    const E1: WaitStatus = WaitStatus::Exited(1);
    const E3: WaitStatus = WaitStatus::Exited(3);
    const TERM: WaitStatus = WaitStatus::Signaled {
        sig: 15,
        core: false,
    };
    const SEGV: WaitStatus = WaitStatus::Signaled {
        sig: 11,
        core: true,
    };
    let table: &[Row] = &[
        (
            Unexpected,
            &[0],
            E0,
            false,
            "INFO exited: p (exit status 0; expected)",
        ),
        (
            Unexpected,
            &[0],
            E3,
            true,
            "WARN exited: p (exit status 3; not expected)",
        ),
        (
            Unexpected,
            &[0, 3],
            E3,
            false,
            "INFO exited: p (exit status 3; expected)",
        ),
        (
            Unexpected,
            &[0],
            TERM,
            true,
            "WARN exited: p (terminated by SIGTERM; not expected)",
        ),
        (
            Unexpected,
            &[0],
            SEGV,
            true,
            "WARN exited: p (terminated by SIGSEGV (core dumped); not expected)",
        ),
        (
            Always,
            &[0],
            E0,
            true,
            "INFO exited: p (exit status 0; expected)",
        ),
        (
            Always,
            &[0],
            E1,
            true,
            "WARN exited: p (exit status 1; not expected)",
        ),
        (
            Never,
            &[0],
            E1,
            false,
            "WARN exited: p (exit status 1; not expected)",
        ),
        (
            Never,
            &[0],
            TERM,
            false,
            "WARN exited: p (terminated by SIGTERM; not expected)",
        ),
    ];
    for &(autorestart, codes, status, restarts, line) in table {
        let expected = line.ends_with("; expected)");
        let row = format!("{autorestart:?} {codes:?} {status:?}");
        let mut p = running(with(|c| {
            c.autorestart = autorestart;
            c.exitcodes = codes.to_vec();
        }));
        let (_, a) = step(&mut p, Input::Exited { status }, 60_000);
        assert_eq!(log_lines(&a), [line], "{row}");
        assert!(
            matches!(a[0], Action::StateChanged { from: Running, to: Exited, expected: e, pid: Some(PID), .. } if e == expected),
            "{row}"
        );
        let spawnerr = (!expected).then(|| format!("Bad exit code {}", status.code()));
        if restarts {
            // EXITED -> STARTING immediately, no delay, no backoff.
            assert_eq!(edges(&a), [(Running, Exited), (Exited, Starting)], "{row}");
            assert_eq!(spawns(&a), 1, "{row}");
            assert_eq!((p.spawnerr(), p.exitstatus()), (None, None), "{row}");
        } else {
            assert_eq!(edges(&a), [(Running, Exited)], "{row}");
            assert_eq!(spawns(&a), 0, "{row}");
            assert_eq!(p.spawnerr(), spawnerr.as_deref(), "{row}");
            assert_eq!(p.exitstatus(), Some(status.code()), "{row}");
            assert_eq!(p.deadline(), None, "{row}");
        }
    }
}

#[test]
fn no_automatic_restart_while_the_daemon_shuts_down() {
    let mut p = running(with(|c| c.autorestart = AutoRestart::Always));
    step(&mut p, Input::Mood(Mood::ShuttingDown), 5000);
    let (_, a) = step(&mut p, exit(1), 6000);
    assert_eq!(edges(&a), [(Running, Exited)]);
    // Back to running (a cancelled restart): the restart policy applies again.
    let (o, a) = step(&mut p, Input::Mood(Mood::Running), 7000);
    assert_eq!(o, Outcome::Ok);
    assert_eq!(edges(&a), [(Exited, Starting)]);
}

#[test]
fn no_backoff_retry_while_the_daemon_shuts_down() {
    let mut p = starting_at(cfg(), 0);
    step(&mut p, exit(1), 10);
    assert!(p.deadline().is_some());
    step(&mut p, Input::Mood(Mood::ShuttingDown), 20);
    assert_eq!(p.deadline(), None);
    let (o, a) = step(&mut p, Input::Deadline, 60_000);
    assert_eq!((o, a.len()), (Outcome::Ignored, 0));
    step(&mut p, Input::Mood(Mood::Running), 60_000);
    assert_eq!(p.deadline(), Some(Mono(1010)));
    let (_, a) = step(&mut p, Input::Deadline, 60_000);
    assert_eq!(edges(&a), [(Backoff, Starting)]);
}
