//! Readiness, health, dependencies, backoff policies and fatal_retry (the supervisor-rs keys
//! of a process), on a fake clock.

use super::*;
use crate::config::model::{Backoff, Curve, Health, Ready, UNLIMITED_RETRIES};
use crate::probe::check::Check;

fn tcp() -> Check {
    Check::parse("tcp:127.0.0.1:5432").unwrap()
}

fn ready(r: Ready) -> ProcessConfig {
    with(|c| c.supervision.ready = r)
}

fn policy(curve: Curve) -> Backoff {
    Backoff {
        curve,
        max: 60,
        jitter_permille: 0,
        reset: 60,
    }
}

#[test]
fn a_probed_process_is_running_only_once_ready() {
    let mut p = starting_at(ready(Ready::Check(tcp())), 0);
    assert!(p.awaits_readiness());
    // startsecs does not apply: the deadline is ready_timeout (60 s).
    assert_eq!(p.deadline(), Some(Mono(60_000)));
    step(&mut p, Input::Deadline, 5_000);
    assert_eq!(p.state(), Starting);
    let (o, a) = step(
        &mut p,
        Input::Ready {
            how: "tcp:127.0.0.1:5432 accepted".into(),
        },
        7_000,
    );
    assert_eq!(o, Outcome::Ok);
    assert_eq!(edges(&a), [(Starting, Running)]);
    assert_eq!(
        log_lines(&a),
        ["INFO success: p entered RUNNING state, ready (tcp:127.0.0.1:5432 accepted)"]
    );
    assert_eq!(p.running_since(), Some(Mono(7_000)));
    assert_eq!(p.deadline(), None);
}

#[test]
fn startsecs_zero_does_not_skip_readiness() {
    let mut p = starting_at(
        with(|c| {
            c.startsecs = 0;
            c.supervision.ready = Ready::Notify;
        }),
        0,
    );
    assert_eq!(p.state(), Starting);
    step(
        &mut p,
        Input::Ready {
            how: "READY=1".into(),
        },
        10,
    );
    assert_eq!(p.state(), Running);
}

#[test]
fn not_ready_in_time_is_a_failed_start_that_says_which_check_failed() {
    let mut p = starting_at(
        with(|c| {
            c.supervision.ready = Ready::Check(tcp());
            c.supervision.ready_timeout = 5;
        }),
        0,
    );
    step(
        &mut p,
        Input::NotReady {
            reason: "connection refused".into(),
        },
        1_000,
    );
    let (_, a) = step(&mut p, Input::Deadline, 5_000);
    assert_eq!(edges(&a), [(Starting, Stopping)]);
    assert_eq!(kills(&a), [(PID, libc::SIGTERM, false)]);
    assert!(log_lines(&a).contains(
        &"WARN p: not ready after 5 s (tcp:127.0.0.1:5432: connection refused)".to_string()
    ));
    let (_, a) = step(&mut p, killed(libc::SIGTERM), 5_100);
    assert_eq!(edges(&a), [(Stopping, Backoff)]);
    assert_eq!(
        p.spawnerr(),
        Some("not ready after 5 s (tcp:127.0.0.1:5432: connection refused)")
    );
    assert_eq!(p.backoff(), 1);
    // ... and it is retried as any failed start.
    assert_eq!(p.deadline(), Some(Mono(6_100)));
    let (_, a) = step(&mut p, Input::Deadline, 6_100);
    assert_eq!(spawns(&a), 1);
}

#[test]
fn ready_timeout_zero_waits_forever() {
    let p = starting_at(
        with(|c| {
            c.supervision.ready = Ready::Notify;
            c.supervision.ready_timeout = 0;
        }),
        0,
    );
    assert_eq!(p.deadline(), None);
}

#[test]
fn a_stop_while_stopping_to_restart_becomes_a_plain_stop() {
    let mut p = starting_at(
        with(|c| {
            c.supervision.ready = Ready::Notify;
            c.supervision.ready_timeout = 1;
        }),
        0,
    );
    step(&mut p, Input::Deadline, 1_000);
    assert_eq!(p.state(), Stopping);
    step(&mut p, Input::Stop, 1_100);
    let (_, a) = step(&mut p, killed(libc::SIGTERM), 1_200);
    assert_eq!(edges(&a), [(Stopping, Stopped)]);
    assert_eq!(p.want(), Want::Down);
}

#[test]
fn an_exit_task_is_ready_once_it_exits_expected() {
    let mut p = starting_at(ready(Ready::Exit), 0);
    assert!(!p.is_ready());
    // Readiness inputs do not apply to a task.
    step(&mut p, Input::Ready { how: "x".into() }, 10);
    assert_eq!(p.state(), Starting);
    let (_, a) = step(&mut p, exit(0), 30_000);
    assert_eq!(edges(&a), [(Starting, Exited)]);
    assert!(p.is_ready());
    assert_eq!(
        spawns(&a),
        0,
        "autorestart=unexpected: a done task stays EXITED"
    );
}

#[test]
fn an_exit_task_that_fails_backs_off() {
    let mut p = starting_at(ready(Ready::Exit), 0);
    let (_, a) = step(&mut p, exit(3), 30_000);
    assert_eq!(edges(&a), [(Starting, Backoff)]);
    assert_eq!(p.spawnerr(), Some("exited with 3"));
    assert!(!p.is_ready());
}

#[test]
fn a_process_held_for_dependencies_stops_at_once_and_fails_with_them() {
    let mut p = Process::new(cfg());
    step(&mut p, Input::Start, 0);
    assert_eq!((p.state(), p.pid()), (Starting, None));
    let (o, a) = step(&mut p, Input::Stop, 10);
    assert_eq!(o, Outcome::Ok);
    assert_eq!(edges(&a), [(Starting, Stopped)]);
    assert!(kills(&a).is_empty());

    let mut p = Process::new(cfg());
    step(&mut p, Input::Start, 0);
    let (_, a) = step(
        &mut p,
        Input::DependencyFailed {
            dependency: "db".into(),
        },
        10,
    );
    assert_eq!(edges(&a), [(Starting, Fatal)]);
    assert_eq!(p.spawnerr(), Some("dependency db failed"));
    assert_eq!(p.deadline(), None);
    // With fatal_retry it tries again later (and waits for its dependency again).
    let mut p = Process::new(with(|c| c.supervision.fatal_retry = Some(30)));
    step(&mut p, Input::Start, 0);
    step(
        &mut p,
        Input::DependencyFailed {
            dependency: "db".into(),
        },
        10,
    );
    assert_eq!(p.deadline(), Some(Mono(30_010)));
    // Once spawned, a dependency's failure no longer applies.
    let mut p = starting_at(cfg(), 0);
    let (o, _) = step(
        &mut p,
        Input::DependencyFailed {
            dependency: "db".into(),
        },
        10,
    );
    assert_eq!(o, Outcome::Ignored);
}

fn healthy_cfg(retries: u32, start_period: u64) -> ProcessConfig {
    with(|c| {
        c.supervision.health = Some(Health {
            check: Check::parse("http://127.0.0.1:8080/health").unwrap(),
            interval: 10,
            timeout: 5,
            retries,
            start_period,
        })
    })
}

#[test]
fn consecutive_health_failures_restart_it_like_a_crash() {
    let mut p = running(healthy_cfg(3, 0));
    step(&mut p, Input::Health(Err("status 500".into())), 2_000);
    step(&mut p, Input::Health(Err("status 500".into())), 3_000);
    assert_eq!(p.state(), Running);
    assert_eq!(p.health_failures(), 2);
    // A pass in between resets the count.
    step(&mut p, Input::Health(Ok(())), 4_000);
    assert_eq!(p.health_failures(), 0);
    for t in [5_000, 6_000] {
        step(&mut p, Input::Health(Err("status 500".into())), t);
    }
    let (_, a) = step(&mut p, Input::Health(Err("status 503".into())), 7_000);
    assert_eq!(edges(&a), [(Running, Stopping)]);
    assert!(a.contains(&Action::Health {
        healthy: false,
        detail: "http://127.0.0.1:8080/health: status 503".into()
    }));
    assert!(log_lines(&a).contains(
        &"WARN p: unhealthy after 3 failed checks (http://127.0.0.1:8080/health: status 503), \
          restarting"
            .to_string()
    ));
    assert!(p.unhealthy());
    let (_, a) = step(&mut p, killed(libc::SIGTERM), 7_100);
    assert_eq!(edges(&a), [(Stopping, Backoff)]);
    assert_eq!(p.backoff(), 1, "the restart counts for backoff");
    assert_eq!(p.want(), Want::Up);
    // Back up and healthy: one HEALTHY event.
    step(&mut p, Input::Deadline, 8_100);
    step(&mut p, Input::Spawned { pid: PID + 1 }, 8_100);
    step(&mut p, Input::Deadline, 9_101);
    assert_eq!(p.state(), Running);
    let (_, a) = step(&mut p, Input::Health(Ok(())), 10_000);
    assert!(a.contains(&Action::Health {
        healthy: true,
        detail: "http://127.0.0.1:8080/health".into()
    }));
    assert!(!p.unhealthy());
    let (_, a) = step(&mut p, Input::Health(Ok(())), 11_000);
    assert!(a.is_empty(), "healthy again only once");
}

#[test]
fn failures_in_the_start_period_do_not_count() {
    let mut p = running(healthy_cfg(1, 30));
    // RUNNING since 1001.
    let (_, a) = step(&mut p, Input::Health(Err("refused".into())), 20_000);
    assert!(edges(&a).is_empty());
    assert_eq!(
        p.probe_error(),
        Some("http://127.0.0.1:8080/health: refused")
    );
    let (_, a) = step(&mut p, Input::Health(Err("refused".into())), 31_001);
    assert_eq!(edges(&a), [(Running, Stopping)]);
}

#[test]
fn exponential_backoff_after_failed_starts() {
    let mut p = starting_at(
        with(|c| {
            c.startretries = 10;
            c.supervision.backoff = Some(policy(Curve::Exponential));
        }),
        0,
    );
    let mut t = 0;
    let mut delays = Vec::new();
    for _ in 0..5 {
        step(&mut p, exit(1), t + 100);
        let next = p.next_try().unwrap().0;
        delays.push(next - (t + 100));
        t = next;
        step(&mut p, Input::Deadline, t);
        step(&mut p, Input::Spawned { pid: PID }, t);
    }
    assert_eq!(delays, [1000, 2000, 4000, 8000, 16000]);
}

#[test]
fn with_a_policy_a_short_run_counts_and_waits() {
    let c = with(|c| {
        c.autorestart = AutoRestart::Always;
        c.startsecs = 0;
        c.startretries = 2;
        c.supervision.backoff = Some(policy(Curve::Linear));
    });
    let mut p = running(c);
    // RUNNING at 0, exits 5 s later: EXITED -> BACKOFF, no spawn at once.
    let (_, a) = step(&mut p, exit(1), 5_000);
    assert_eq!(edges(&a), [(Running, Exited), (Exited, Backoff)]);
    assert_eq!(spawns(&a), 0);
    assert_eq!(p.spawnerr(), Some("exited with 1"));
    assert_eq!(p.next_try(), Some(Mono(6_000)));
    // Second and third short runs: 2 s, then FATAL after startretries=2 (#1285).
    step(&mut p, Input::Deadline, 6_000);
    step(&mut p, Input::Spawned { pid: PID }, 6_000);
    step(&mut p, exit(1), 7_000);
    assert_eq!(p.next_try(), Some(Mono(9_000)));
    step(&mut p, Input::Deadline, 9_000);
    step(&mut p, Input::Spawned { pid: PID }, 9_000);
    let (_, a) = step(&mut p, exit(1), 10_000);
    assert_eq!(edges(&a).last(), Some(&(Backoff, Fatal)));
}

#[test]
fn with_a_policy_a_long_run_resets_the_count() {
    let c = with(|c| {
        c.autorestart = AutoRestart::Always;
        c.startsecs = 0;
        c.supervision.backoff = Some(policy(Curve::Exponential));
    });
    let mut p = running(c);
    step(&mut p, exit(1), 1_000);
    step(&mut p, Input::Deadline, 2_000);
    step(&mut p, Input::Spawned { pid: PID }, 2_000);
    step(&mut p, exit(1), 3_000);
    assert_eq!(p.backoff(), 2);
    step(&mut p, Input::Deadline, 5_000);
    step(&mut p, Input::Spawned { pid: PID }, 5_000);
    // Up for 60 s: the count starts over (the delay is the first one again).
    step(&mut p, exit(1), 65_000);
    assert_eq!(p.backoff(), 1);
    assert_eq!(p.next_try(), Some(Mono(66_000)));
}

#[test]
fn without_a_policy_a_running_exit_restarts_at_once_as_the_reference() {
    let c = with(|c| c.autorestart = AutoRestart::Always);
    let mut p = running(c);
    let (_, a) = step(&mut p, exit(1), 5_000);
    assert_eq!(edges(&a), [(Running, Exited), (Exited, Starting)]);
    assert_eq!(spawns(&a), 1);
}

#[test]
fn unlimited_retries_never_give_up() {
    let mut p = starting_at(with(|c| c.startretries = UNLIMITED_RETRIES), 0);
    let mut t = 0;
    for _ in 0..50 {
        step(&mut p, exit(1), t + 10);
        assert_eq!(p.state(), Backoff);
        t = p.deadline().unwrap().0;
        step(&mut p, Input::Deadline, t);
        step(&mut p, Input::Spawned { pid: PID }, t);
    }
    assert_eq!(p.backoff(), 50);
}

#[test]
fn fatal_retry_leaves_fatal_by_itself() {
    let mut p = starting_at(
        with(|c| {
            c.startretries = 0;
            c.supervision.fatal_retry = Some(30);
        }),
        0,
    );
    let (_, a) = step(&mut p, exit(1), 100);
    assert_eq!(edges(&a), [(Starting, Backoff), (Backoff, Fatal)]);
    assert_eq!(p.deadline(), Some(Mono(30_100)));
    let (_, a) = step(&mut p, Input::Deadline, 30_100);
    assert_eq!(edges(&a), [(Fatal, Starting)]);
    assert!(log_lines(&a).contains(&"INFO p: leaving FATAL after 30 s (fatal_retry)".to_string()));
    // Not while shutting down, and not without the key.
    let mut q = starting_at(with(|c| c.startretries = 0), 0);
    step(&mut q, exit(1), 100);
    assert_eq!(q.deadline(), None);
}
