//! Manual start/stop/signal, shutdown, stop escalation and kill failures.

use super::*;

#[test]
fn manual_start_by_state() {
    let table = [
        (Stopped, Outcome::Ok),
        (Exited, Outcome::Ok),
        (Fatal, Outcome::Ok),
        (Starting, Outcome::AlreadyStarted),
        (Running, Outcome::AlreadyStarted),
        (Backoff, Outcome::AlreadyStarted),
        (Stopping, Outcome::StillStopping),
        (Unknown, Outcome::InUnknownState),
    ];
    for (state, want) in table {
        let mut p = in_state(state);
        let (got, a) = step(&mut p, Input::Start, 100_000);
        assert_eq!(got, want, "{state}");
        if want == Outcome::Ok {
            assert_eq!(edges(&a), [(state, Starting)], "{state}");
            assert_eq!(spawns(&a), 1);
            assert_eq!(p.spawnerr(), None);
            assert_eq!(p.want(), Want::Up);
        } else {
            assert_eq!(p.state(), state, "{state}");
            assert_eq!(spawns(&a), 0, "{state}");
        }
        if state == Stopping {
            assert_eq!(log_lines(&a), ["WARN process 'p' already running"]);
        }
    }
}

#[test]
fn manual_stop_by_state() {
    for state in State::ALL {
        let mut p = in_state(state);
        let (got, a) = step(&mut p, Input::Stop, 100_000);
        match state {
            Running | Starting => {
                assert_eq!(got, Outcome::Ok, "{state}");
                assert_eq!(edges(&a), [(state, Stopping)]);
                assert_eq!(kills(&a), [(PID, libc::SIGTERM, false)]);
                assert_eq!(
                    log_lines(&a),
                    ["DEBG killing p (pid 100) with signal SIGTERM"]
                );
                assert_eq!(p.deadline(), Some(Mono(110_000)));
                assert_eq!(p.want(), Want::Down);
            }
            Backoff => {
                assert_eq!(got, Outcome::Ok);
                assert_eq!(edges(&a), [(Backoff, Stopped)]);
                assert!(kills(&a).is_empty());
                assert_eq!(
                    log_lines(&a),
                    ["DEBG Attempted to kill p, which is in BACKOFF state."]
                );
                assert_eq!(p.deadline(), None);
            }
            Stopped | Stopping | Exited | Fatal | Unknown => {
                assert_eq!(got, Outcome::NotRunning, "{state}");
                assert!(a.is_empty(), "{state}");
            }
        }
    }
}

#[test]
fn stop_uses_stopsignal_and_stopasgroup() {
    let mut p = running(with(|c| {
        c.stopsignal = libc::SIGINT;
        c.stopasgroup = true;
    }));
    let (_, a) = step(&mut p, Input::Stop, 5000);
    assert_eq!(kills(&a), [(PID, libc::SIGINT, true)]);
    assert_eq!(
        log_lines(&a),
        ["DEBG killing p (pid 100) process group with signal SIGINT"]
    );
    // Order: log, STOPPING event, then the signal.
    assert!(matches!(a[0], Action::Log { .. }));
    assert!(matches!(
        a[1],
        Action::StateChanged {
            to: Stopping,
            pid: Some(PID),
            ..
        }
    ));
    assert!(matches!(a[2], Action::Kill { .. }));
}

#[test]
fn stopping_exit_is_stopped_with_level_by_exitcodes() {
    let table = [
        (killed(15), "WARN stopped: p (terminated by SIGTERM)"),
        (exit(0), "INFO stopped: p (exit status 0)"),
        (exit(1), "WARN stopped: p (exit status 1)"),
    ];
    for (input, line) in table {
        let mut p = in_state(Stopping);
        let (_, a) = step(&mut p, input, 6000);
        assert_eq!(edges(&a), [(Stopping, Stopped)]);
        assert!(matches!(a[0], Action::StateChanged { pid: Some(PID), .. }));
        assert_eq!(log_lines(&a), [line]);
        assert_eq!(p.pid(), None);
        assert_eq!(p.deadline(), None);
        assert_eq!(p.laststop(), Some(Mono(6000)));
    }
}

#[test]
fn stopped_process_is_not_restarted_even_with_autorestart_true() {
    let mut p = running(with(|c| c.autorestart = AutoRestart::Always));
    step(&mut p, Input::Stop, 5000);
    let (_, a) = step(&mut p, killed(15), 5100);
    assert_eq!(edges(&a), [(Stopping, Stopped)]);
    assert_eq!(spawns(&a), 0);
    let (o, _) = step(&mut p, Input::AutoStart, 5200);
    assert_eq!(
        o,
        Outcome::Ignored,
        "once started, autostart does not apply again"
    );
}

#[test]
fn stop_escalates_to_sigkill_and_repeats_every_stopwaitsecs() {
    for killasgroup in [false, true] {
        let mut p = running(with(|c| {
            c.stopwaitsecs = 3;
            c.stopasgroup = killasgroup;
            c.killasgroup = killasgroup;
        }));
        step(&mut p, Input::Stop, 10_000);
        assert_eq!(p.deadline(), Some(Mono(13_000)));
        let (o, a) = step(&mut p, Input::Deadline, 12_999);
        assert_eq!((o, a.len()), (Outcome::Ignored, 0));
        for round in 0..3u64 {
            let t = 13_000 + round * 3000;
            let (_, a) = step(&mut p, Input::Deadline, t);
            let group = if killasgroup { "process group " } else { "" };
            assert_eq!(
                log_lines(&a),
                [
                    "WARN killing 'p' (100) with SIGKILL".to_string(),
                    format!("DEBG killing p (pid 100) {group}with signal SIGKILL"),
                ]
            );
            assert_eq!(kills(&a), [(PID, libc::SIGKILL, killasgroup)]);
            assert!(edges(&a).is_empty(), "stays STOPPING");
            assert_eq!(p.deadline(), Some(Mono(t + 3000)));
        }
        let (_, a) = step(&mut p, killed(9), 20_000);
        assert_eq!(log_lines(&a), ["WARN stopped: p (terminated by SIGKILL)"]);
    }
}

#[test]
fn sigkill_repeats_at_least_a_second_apart_with_stopwaitsecs_zero() {
    let mut p = running(with(|c| c.stopwaitsecs = 0));
    step(&mut p, Input::Stop, 5000);
    assert_eq!(p.deadline(), Some(Mono(5000)));
    let (_, a) = step(&mut p, Input::Deadline, 5000);
    assert_eq!(kills(&a), [(PID, libc::SIGKILL, false)]);
    assert_eq!(p.deadline(), Some(Mono(6000)));
}

#[test]
fn shutdown_by_state() {
    for state in State::ALL {
        let mut p = in_state(state);
        let (got, a) = step(&mut p, Input::Shutdown, 100_000);
        assert_eq!(p.mood(), Mood::ShuttingDown, "{state}");
        match state {
            Running | Starting => {
                assert_eq!(got, Outcome::Ok);
                assert_eq!(edges(&a), [(state, Stopping)]);
                assert_eq!(kills(&a), [(PID, libc::SIGTERM, false)]);
            }
            Backoff => {
                // give_up: FATAL without a `gave up:` line.
                assert_eq!(got, Outcome::Ok);
                assert_eq!(edges(&a), [(Backoff, Fatal)]);
                assert!(logs(&a).is_empty());
                assert_eq!(p.backoff(), 0);
            }
            Stopped | Stopping | Exited | Fatal | Unknown => {
                assert_eq!(got, Outcome::Ignored, "{state}");
                assert!(a.is_empty(), "{state}");
            }
        }
    }
}

#[test]
fn process_shut_down_is_not_restarted_after_it_exits() {
    let mut p = running(with(|c| c.autorestart = AutoRestart::Always));
    step(&mut p, Input::Shutdown, 1000);
    let (_, a) = step(&mut p, killed(15), 1100);
    assert_eq!(edges(&a), [(Stopping, Stopped)]);
    assert_eq!(spawns(&a), 0);
}

#[test]
fn signal_by_state() {
    for state in State::ALL {
        let mut p = in_state(state);
        let before = p.state();
        let (got, a) = step(&mut p, Input::Signal(libc::SIGHUP), 100_000);
        if state.is_signallable() {
            assert_eq!(got, Outcome::Ok, "{state}");
            assert_eq!(
                kills(&a),
                [(PID, libc::SIGHUP, false)],
                "never to the group"
            );
            assert_eq!(log_lines(&a), ["DEBG sending p (pid 100) sig SIGHUP"]);
        } else {
            assert_eq!(got, Outcome::NotRunning, "{state}");
            assert!(a.is_empty());
        }
        assert_eq!(p.state(), before, "a signal never changes the state");
    }
}

// ---- kill failures -------------------------------------------------------------------------

#[test]
fn failed_stop_kill_goes_unknown_and_a_later_exit_is_a_stop() {
    let mut p = running(cfg());
    step(&mut p, Input::Stop, 5000);
    let (o, a) = step(
        &mut p,
        Input::KillFailed {
            errno_name: "EPERM".into(),
        },
        5000,
    );
    assert_eq!(
        o,
        Outcome::Failed("unknown problem killing p (100):EPERM".into())
    );
    assert_eq!(edges(&a), [(Stopping, Unknown)]);
    assert_eq!(
        log_lines(&a),
        ["CRIT unknown problem killing p (100):EPERM"]
    );
    assert_eq!(p.deadline(), None);
    let (_, a) = step(&mut p, killed(15), 6000);
    assert_eq!(edges(&a), [(Unknown, Stopped)]);
}

#[test]
fn failed_signal_goes_unknown_and_a_later_exit_is_exited() {
    let mut p = running(with(|c| c.autorestart = AutoRestart::Never));
    step(&mut p, Input::Signal(libc::SIGUSR1), 5000);
    let (o, a) = step(
        &mut p,
        Input::KillFailed {
            errno_name: "EPERM".into(),
        },
        5000,
    );
    assert_eq!(
        o,
        Outcome::Failed("unknown problem sending sig p (100):EPERM".into())
    );
    assert_eq!(edges(&a), [(Running, Unknown)]);
    let (_, a) = step(&mut p, exit(2), 6000);
    assert_eq!(edges(&a), [(Unknown, Exited)]);
}

#[test]
fn esrch_is_only_logged() {
    let mut p = running(cfg());
    step(&mut p, Input::Stop, 5000);
    let (o, a) = step(
        &mut p,
        Input::KillFailed {
            errno_name: "ESRCH".into(),
        },
        5000,
    );
    assert_eq!(o, Outcome::Ok);
    assert!(edges(&a).is_empty());
    assert_eq!(
        log_lines(&a),
        [
            "DEBG unable to signal p (pid 100), it probably just exited on its own: [Errno 3] No \
          such process"
        ]
    );
    assert_eq!(p.state(), Stopping);
}
