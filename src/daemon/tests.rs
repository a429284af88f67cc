//! The daemon's policy on a fake clock: the daemon machine, the control waits, namespec
//! resolution, the tick schedule and the supervisor's merge of a failed kill. Processes are
//! driven through their machines directly (no fork); times are milliseconds.

use std::path::PathBuf;

use crate::config::load::{load, LoadContext};
use crate::daemon::bus::{tick_deadline, Bus};
use crate::daemon::fcgi::FcgiSockets;
use crate::daemon::io::Io;
use crate::daemon::lifecycle::{Effect as Life, Lifecycle};
use crate::daemon::names;
use crate::daemon::procs::{ProcId, Procs};
use crate::daemon::supervisor::{Cx, Supervisor};
use crate::daemon::waits::{Effect, Wait};
use crate::logfile::activity::Logger;
use crate::process::machine::{Input, Mood, Outcome};
use crate::process::state::State;
use crate::process::wait_status::WaitStatus;
use crate::protocol::results::Action;
use crate::time::Mono;

/// A config of `programs` (each `[program:x]` text), loaded as the daemon loads it.
fn config(tag: &str, programs: &str) -> crate::config::model::Config {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sv-daemon-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join("s.conf");
    let text = format!(
        "[supervisord]\nlogfile={d}/d.log\nchildlogdir={d}\n{programs}",
        d = dir.display()
    );
    std::fs::write(&path, text).unwrap();
    let ctx = LoadContext::from_process(crate::config::users::nss());
    let cfg = load(&path, &ctx).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    cfg
}

fn procs(tag: &str, programs: &str) -> Procs {
    Procs::from_config(&config(tag, programs)).0
}

fn prog(name: &str, priority: i64) -> String {
    format!(
        "[program:{name}]\ncommand=/bin/sleep 100\npriority={priority}\nstartsecs=0\n\
         stdout_logfile=NONE\nstderr_logfile=NONE\n"
    )
}

fn at(ms: u64) -> Mono {
    Mono(1_000_000 + ms)
}

fn id(procs: &Procs, name: &str) -> ProcId {
    procs.find(name, name).unwrap()
}

/// Feeds the machine directly, ignoring its actions (no fork, no signal).
fn feed(procs: &mut Procs, id: ProcId, input: Input, now: Mono) -> Outcome {
    procs
        .get_mut(id)
        .unwrap()
        .machine
        .on(input, now, &mut Vec::new())
}

/// Drives `name` to RUNNING with pid `pid`.
fn run(procs: &mut Procs, name: &str, pid: i32, now: Mono) {
    let id = id(procs, name);
    feed(procs, id, Input::Start, now);
    feed(procs, id, Input::Spawned { pid }, now);
    feed(procs, id, Input::Deadline, now);
    assert_eq!(procs.state_of(id), State::Running, "{name}");
}

fn exited(procs: &mut Procs, name: &str, now: Mono) {
    let id = id(procs, name);
    feed(
        procs,
        id,
        Input::Exited {
            status: WaitStatus::Signaled {
                sig: 15,
                core: false,
            },
        },
        now,
    );
}

fn three() -> Procs {
    let mut p = procs(
        "three",
        &(prog("low", 1) + &prog("mid", 2) + &prog("high", 3)),
    );
    for (i, n) in ["low", "mid", "high"].iter().enumerate() {
        run(&mut p, n, 100 + i as i32, at(0));
    }
    p
}

// ----- the daemon machine ----------------------------------------------------------------

#[test]
fn shutdown_stops_level_by_level_in_descending_priority() {
    let mut p = three();
    let mut life = Lifecycle::new();
    assert_eq!(
        life.stop(Mood::ShuttingDown, &p, at(0)),
        vec![Life::LeaveRunning, Life::Mood(Mood::ShuttingDown)]
    );
    assert_eq!(life.mood(), Mood::ShuttingDown);
    let high = id(&p, "high");
    assert_eq!(life.step(&p, at(0)), vec![Life::Shutdown(vec![high])]);
    feed(&mut p, high, Input::Shutdown, at(0));
    let waiting = Life::Log("waiting for low, mid, high to die".into());
    assert_eq!(life.step(&p, at(0)), vec![waiting.clone()]);
    assert_eq!(
        life.step(&p, at(0)),
        vec![],
        "nothing until the next report"
    );
    assert_eq!(life.deadline(), Some(at(3000)));
    assert_eq!(life.step(&p, at(2999)), vec![]);
    assert_eq!(life.step(&p, at(3000)), vec![waiting]);
    exited(&mut p, "high", at(3100));
    let mid = id(&p, "mid");
    assert_eq!(life.step(&p, at(3100)), vec![Life::Shutdown(vec![mid])]);
    feed(&mut p, mid, Input::Shutdown, at(3100));
    exited(&mut p, "mid", at(3200));
    let low = id(&p, "low");
    assert_eq!(life.step(&p, at(3200)), vec![Life::Shutdown(vec![low])]);
    feed(&mut p, low, Input::Shutdown, at(3200));
    exited(&mut p, "low", at(3300));
    assert_eq!(
        life.step(&p, at(3300)),
        vec![Life::Done(Mood::ShuttingDown)]
    );
    assert_eq!(life.step(&p, at(3300)), vec![]);
    assert_eq!(life.deadline(), None);
}

#[test]
fn a_restart_can_become_a_shutdown_but_not_the_other_way() {
    let p = three();
    let mut life = Lifecycle::new();
    assert_eq!(
        life.stop(Mood::Restarting, &p, at(0)),
        vec![Life::LeaveRunning, Life::Mood(Mood::Restarting)]
    );
    assert_eq!(
        life.stop(Mood::ShuttingDown, &p, at(0)),
        vec![Life::Mood(Mood::ShuttingDown)],
        "no second STOPPING event"
    );
    assert_eq!(life.stop(Mood::Restarting, &p, at(0)), vec![]);
    assert_eq!(life.mood(), Mood::ShuttingDown);
}

#[test]
fn nothing_running_is_done_at_once() {
    let p = procs("idle", &prog("a", 1));
    let mut life = Lifecycle::new();
    life.stop(Mood::Restarting, &p, at(0));
    assert_eq!(life.step(&p, at(0)), vec![Life::Done(Mood::Restarting)]);
}

// ----- control waits ---------------------------------------------------------------------

fn key() -> crate::daemon::io::Key {
    let mut io = Io::for_tests();
    let (r, _w) = crate::sys::pipe().unwrap();
    io.add(
        crate::daemon::io::Source::ExecStatus {
            proc: 0,
            file: std::fs::File::from(r),
        },
        crate::sys::poller::Interest::NONE,
    )
    .unwrap()
}

fn lines(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Line(l) => Some(l.text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn stop_all_waits_level_by_level_and_reports_every_two_seconds() {
    let mut p = three();
    let items = names::resolve(&p, &["all".into()], Action::Stop);
    let mut w = Wait::stop(key(), items, &p, None);
    let high = id(&p, "high");
    assert_eq!(w.step(&p, at(0)), vec![Effect::Stop(high)]);
    feed(&mut p, high, Input::Stop, at(0));
    assert_eq!(
        w.step(&p, at(0)),
        vec![Effect::Log("waiting for high to stop".into())]
    );
    assert_eq!(w.step(&p, at(0)), vec![]);
    assert_eq!(w.next_report(&p), Some(at(2000)));
    assert_eq!(w.step(&p, at(1999)), vec![]);
    assert_eq!(
        w.step(&p, at(2000)),
        vec![Effect::Log("waiting for high to stop".into())]
    );
    exited(&mut p, "high", at(2500));
    let mid = id(&p, "mid");
    assert_eq!(w.step(&p, at(2500)), vec![Effect::Stop(mid)]);
    feed(&mut p, mid, Input::Stop, at(2500));
    exited(&mut p, "mid", at(2500));
    let low = id(&p, "low");
    assert_eq!(w.step(&p, at(2500)), vec![Effect::Stop(low)]);
    feed(&mut p, low, Input::Stop, at(2500));
    exited(&mut p, "low", at(2500));
    let done = w.step(&p, at(2500));
    assert_eq!(
        lines(&done),
        vec!["low: stopped", "mid: stopped", "high: stopped"]
    );
    assert_eq!(done.last(), Some(&Effect::Finish));
    assert!(w.is_done());
}

#[test]
fn a_stop_that_fails_to_signal_says_failed() {
    let mut p = three();
    let items = names::resolve(&p, &["low".into(), "nosuch".into()], Action::Stop);
    let mut w = Wait::stop(key(), items, &p, None);
    let low = id(&p, "low");
    assert_eq!(w.step(&p, at(0)), vec![Effect::Stop(low)]);
    // What the reactor does when the kill fails: the machine goes UNKNOWN and says why.
    feed(&mut p, low, Input::Stop, at(0));
    let why = feed(
        &mut p,
        low,
        Input::KillFailed {
            errno_name: "EPERM".into(),
        },
        at(0),
    );
    let Outcome::Failed(msg) = why else {
        panic!("{why:?}")
    };
    w.stop_failed(low, &msg);
    let done = w.step(&p, at(0));
    assert_eq!(
        lines(&done),
        vec![
            format!("FAILED: {msg}"),
            "nosuch: ERROR (no such process)".to_string()
        ]
    );
}

#[test]
fn restart_hands_its_names_to_a_start() {
    let mut p = three();
    let names = vec!["low".to_string()];
    let items = names::resolve(&p, &names, Action::Stop);
    let mut w = Wait::stop(key(), items, &p, Some(names.clone()));
    let low = id(&p, "low");
    assert_eq!(w.step(&p, at(0)), vec![Effect::Stop(low)]);
    feed(&mut p, low, Input::Stop, at(0));
    exited(&mut p, "low", at(10));
    let done = w.step(&p, at(10));
    assert_eq!(lines(&done), vec!["low: stopped"]);
    assert_eq!(done.last(), Some(&Effect::Start(names)));
}

#[test]
fn a_start_wait_answers_when_running_or_failed() {
    let mut p = procs("start", &(prog("a", 1) + &prog("b", 2)));
    let items = names::resolve(&p, &["a".into(), "b".into()], Action::Start);
    let (a, b) = (id(&p, "a"), id(&p, "b"));
    feed(&mut p, a, Input::Start, at(0));
    feed(&mut p, b, Input::Start, at(0));
    let mut w = Wait::start(key(), items);
    assert_eq!(w.step(&p, at(0)), vec![], "both STARTING");
    feed(&mut p, a, Input::Spawned { pid: 7 }, at(0));
    feed(&mut p, a, Input::Deadline, at(0));
    feed(
        &mut p,
        b,
        Input::SpawnFailed {
            message: "can't find command".into(),
        },
        at(0),
    );
    // As the reference: a spawn error ends the wait at once, while b goes on retrying.
    assert_eq!(p.state_of(b), State::Backoff);
    let done = w.step(&p, at(0));
    assert_eq!(lines(&done), vec!["a: started", "b: ERROR (spawn error)"]);
    assert_eq!(done.last(), Some(&Effect::Finish));
}

#[test]
fn all_takes_only_what_the_action_applies_to() {
    let mut p = three();
    let mid = id(&p, "mid");
    feed(&mut p, mid, Input::Stop, at(0));
    exited(&mut p, "mid", at(0));
    let stop = names::resolve(&p, &["low".into(), "all".into()], Action::Stop);
    let specs: Vec<&str> = stop.iter().map(|i| i.spec.as_str()).collect();
    assert_eq!(specs, vec!["low", "high"], "`all` anywhere is `all` alone");
    let start = names::resolve(&p, &["all".into()], Action::Start);
    assert_eq!(start.len(), 1);
    let bad = names::resolve(&p, &["nogroup:*".into()], Action::Start);
    assert_eq!(
        bad[0].result.as_ref().unwrap().text,
        "nogroup: ERROR (no such group)"
    );
}

// ----- the tick schedule ---------------------------------------------------------------

#[test]
fn ticks_wake_just_after_the_boundary_and_fire_once_per_slice() {
    // Wall clock 1000.400 s; the next 5 s boundary is 1005 s: 4.6 s and a millisecond on.
    assert_eq!(tick_deadline(1005, 1_000_400, at(0)), at(4601));
    assert_eq!(
        tick_deadline(1005, 1_005_300, at(0)),
        at(1),
        "late: at once"
    );
    let cfg = config(
        "ticks",
        "[eventlistener:l]\ncommand=/bin/cat\nevents=TICK_5\n",
    );
    let mut bus = Bus::default();
    let mut log = Logger::new(crate::config::model::LogLevel::Critical);
    bus.start(&cfg.groups, &mut log);
    assert_eq!(bus.next_tick(1_000_400, at(0)), Some(at(4601)));
    let fired: Vec<usize> = [1000, 1004, 1005, 1009, 1010, 1015]
        .iter()
        .map(|s| bus.fire_ticks(*s, &mut log))
        .collect();
    assert_eq!(
        fired,
        vec![0, 0, 1, 0, 1, 1],
        "the first call starts the clock; no catch-up"
    );
    let empty = Bus::default();
    assert_eq!(empty.next_tick(1_000_400, at(0)), None, "nobody listens");
}

// ----- the supervisor ------------------------------------------------------------------

fn eperm(_pid: i32, _sig: i32, _group: bool) -> std::io::Result<()> {
    Err(std::io::Error::from_raw_os_error(libc::EPERM))
}

#[test]
fn a_failed_kill_fails_the_stop_and_the_signal() {
    let cfg = config("kill", &prog("a", 1));
    let mut p = Procs::from_config(&cfg).0;
    run(&mut p, "a", 4242, at(0));
    let a = id(&p, "a");
    let mut sup = Supervisor::new(&cfg, p, FcgiSockets::default(), None);
    sup.set_killer(eperm);
    let mut io = Io::for_tests();
    let mut log = Logger::new(crate::config::model::LogLevel::Critical);
    let mut bus = Bus::default();
    let mut cx = Cx {
        io: &mut io,
        log: &mut log,
        bus: &mut bus,
    };
    let out = sup.feed(a, Input::Signal(libc::SIGHUP), at(0), &mut cx);
    assert!(matches!(out, Outcome::Failed(_)), "{out:?}");
    assert_eq!(sup.procs().state_of(a), State::Unknown);
    let mut p = Procs::from_config(&cfg).0;
    run(&mut p, "a", 4243, at(0));
    let mut sup = Supervisor::new(&cfg, p, FcgiSockets::default(), None);
    sup.set_killer(eperm);
    let out = sup.feed(a, Input::Stop, at(0), &mut cx);
    let Outcome::Failed(msg) = out else {
        panic!("{out:?}")
    };
    assert!(msg.contains("unknown problem killing a (4243)"), "{msg}");
}

#[test]
fn a_source_is_small() {
    // One per child pipe (three per process): its size is most of the table's memory per
    // process. 40 bytes: the output pipe; the signal pipe and servers are boxed.
    assert!(std::mem::size_of::<crate::daemon::io::Source>() <= 40);
}

#[test]
fn a_process_is_small_without_the_supervisor_rs_keys() {
    // Per process, the table holds a `Proc` and its group a `ProcessConfig`: a thousand of
    // each for `numprocs=1000`. New per-process extras go out of line (`config::rare::Rare`,
    // a box) rather than growing these.
    assert!(std::mem::size_of::<crate::daemon::procs::Proc>() <= 536);
    assert!(std::mem::size_of::<crate::config::model::ProcessConfig>() <= 464);
    assert!(std::mem::size_of::<crate::process::machine::Process>() <= 128);
    // And a config that uses none of them boxes none.
    let procs = procs("small", &prog("a", 1));
    let p = procs.get(id(&procs, "a")).unwrap();
    let c = p.cfg();
    assert!(!c.supervision.is_boxed() && !c.environment_files.is_boxed());
    assert!(!c.stdout.log.is_boxed() && !c.stderr.log.is_boxed());
    assert!(!p.readiness.is_boxed() && p.listener.is_none());
    assert!(p.logs.iter().all(|l| l.capture.is_none()));
}

/// `depends_on` set on `name` (the loader's job, done by hand until a test needs the text).
fn depend(cfg: &mut crate::config::model::Config, name: &str, deps: &[&str]) {
    for g in cfg.groups.iter_mut() {
        for p in g.processes.iter_mut() {
            if p.name == name {
                let p = std::sync::Arc::make_mut(p);
                p.supervision.depends_on = deps.iter().map(|d| d.to_string()).collect();
            }
        }
    }
}

/// A program that needs 1 s up to be RUNNING.
fn slow(name: &str) -> String {
    prog(name, 1).replace("startsecs=0", "startsecs=1")
}

fn missing(name: &str) -> String {
    format!(
        "[program:{name}]\ncommand=/nonexistent/{name}\nstartsecs=0\nstartretries=0\n\
         stdout_logfile=NONE\nstderr_logfile=NONE\n"
    )
}

/// What a supervisor's actions reach, quiet (the activity log takes only CRIT).
struct Parts {
    io: Io,
    log: Logger,
    bus: Bus,
}

impl Parts {
    fn new() -> Parts {
        Parts {
            io: Io::for_tests(),
            log: Logger::new(crate::config::model::LogLevel::Critical),
            bus: Bus::default(),
        }
    }

    fn cx(&mut self) -> Cx<'_> {
        Cx {
            io: &mut self.io,
            log: &mut self.log,
            bus: &mut self.bus,
        }
    }
}

#[test]
fn a_dependent_waits_for_its_dependency_then_spawns() {
    let mut cfg = config("deps", &format!("{}{}", slow("db"), missing("web")));
    depend(&mut cfg, "web", &["db"]);
    let mut p = Procs::from_config(&cfg).0;
    let (db, web) = (id(&p, "db"), id(&p, "web"));
    // db is on its way up (driven by hand: no fork in this test).
    feed(&mut p, db, Input::Start, at(0));
    feed(&mut p, db, Input::Spawned { pid: 4000 }, at(0));
    let mut sup = Supervisor::new(&cfg, p, FcgiSockets::default(), None);
    let mut parts = Parts::new();
    let mut cx = parts.cx();
    assert_eq!(sup.feed(web, Input::Start, at(10), &mut cx), Outcome::Ok);
    let w = sup.procs().get(web).unwrap();
    assert_eq!(
        (w.machine.state(), w.machine.pid()),
        (State::Starting, None)
    );
    assert_eq!(
        w.readiness.waiting.as_deref(),
        Some("waiting for db (startsecs)")
    );
    assert_eq!(
        crate::daemon::requests::status_note(w, at(10)),
        "waiting for db (startsecs)"
    );
    // db becomes ready: web's spawn goes ahead (and fails here: its command is missing).
    sup.feed(db, Input::Deadline, at(2_000), &mut cx);
    assert_eq!(sup.procs().state_of(db), State::Running);
    let w = sup.procs().get(web).unwrap();
    assert_eq!(w.readiness.waiting, None);
    assert_eq!(w.machine.state(), State::Fatal);
    assert!(w.machine.spawnerr().unwrap().contains("can't find command"));
}

#[test]
fn a_fatal_dependency_fails_its_waiting_dependents() {
    let mut cfg = config("depfail", &format!("{}{}", missing("db"), missing("web")));
    depend(&mut cfg, "web", &["db"]);
    let mut p = Procs::from_config(&cfg).0;
    let (db, web) = (id(&p, "db"), id(&p, "web"));
    feed(&mut p, db, Input::Start, at(0));
    let mut sup = Supervisor::new(&cfg, p, FcgiSockets::default(), None);
    let mut parts = Parts::new();
    let mut cx = parts.cx();
    sup.feed(web, Input::Start, at(10), &mut cx);
    assert_eq!(sup.procs().state_of(web), State::Starting);
    // db's spawn fails (missing command, startretries=0): FATAL, and web with it.
    sup.feed(
        db,
        Input::SpawnFailed {
            message: "can't find command".into(),
        },
        at(20),
        &mut cx,
    );
    assert_eq!(sup.procs().state_of(db), State::Fatal);
    let w = sup.procs().get(web).unwrap();
    assert_eq!(w.machine.state(), State::Fatal);
    assert_eq!(w.machine.spawnerr(), Some("dependency db failed"));
}

#[test]
fn starting_a_dependent_starts_its_stopped_dependencies() {
    let mut cfg = config("depstart", &format!("{}{}", missing("db"), missing("web")));
    depend(&mut cfg, "web", &["db"]);
    let p = Procs::from_config(&cfg).0;
    let (db, web) = (id(&p, "db"), id(&p, "web"));
    let mut sup = Supervisor::new(&cfg, p, FcgiSockets::default(), None);
    let mut parts = Parts::new();
    let mut cx = parts.cx();
    sup.feed(web, Input::Start, at(0), &mut cx);
    // db was started for web (and failed: missing command), so web failed with it.
    assert_eq!(sup.procs().state_of(db), State::Fatal);
    assert_eq!(sup.procs().state_of(web), State::Fatal);
}

#[test]
fn a_held_process_stops_at_once() {
    let mut cfg = config("depstop", &format!("{}{}", slow("db"), missing("web")));
    depend(&mut cfg, "web", &["db"]);
    let mut p = Procs::from_config(&cfg).0;
    let (db, web) = (id(&p, "db"), id(&p, "web"));
    feed(&mut p, db, Input::Start, at(0));
    feed(&mut p, db, Input::Spawned { pid: 4001 }, at(0));
    let mut sup = Supervisor::new(&cfg, p, FcgiSockets::default(), None);
    let mut parts = Parts::new();
    let mut cx = parts.cx();
    sup.feed(web, Input::Start, at(10), &mut cx);
    assert_eq!(sup.feed(web, Input::Stop, at(20), &mut cx), Outcome::Ok);
    assert_eq!(sup.procs().state_of(web), State::Stopped);
    // db getting ready later spawns nothing for web.
    sup.feed(db, Input::Deadline, at(2_000), &mut cx);
    assert_eq!(sup.procs().state_of(web), State::Stopped);
    assert_eq!(sup.procs().get(web).unwrap().readiness.waiting, None);
}

#[test]
fn dependents_stop_before_their_dependencies() {
    // web -> api -> db, all at the same priority; a lone program beside them.
    let mut cfg = config(
        "deplevels",
        &format!(
            "{}{}{}{}",
            prog("db", 5),
            prog("api", 5),
            prog("web", 5),
            prog("solo", 5)
        ),
    );
    depend(&mut cfg, "web", &["api"]);
    depend(&mut cfg, "api", &["db"]);
    let p = Procs::from_config(&cfg).0;
    let name = |i: &ProcId| p.get(*i).unwrap().machine.name().to_string();
    let levels: Vec<Vec<String>> = p
        .stop_levels(None)
        .iter()
        .map(|l| l.iter().map(name).collect())
        .collect();
    assert_eq!(levels, [vec!["web"], vec!["api"], vec!["solo", "db"]]);
}

/// `update` of a group whose members change one by one: only the restarted member is
/// stopped (and said to have been running), then the group is applied; a group whose
/// changes are all in place stops nothing.
#[test]
fn an_update_of_members_stops_only_the_restarted_ones() {
    use crate::config::diff::{group_change, GroupChange};
    use crate::daemon::waits::UpdateTask;
    let multi = |n: u32, cmd: &str| {
        format!(
            "[program:m]\ncommand={cmd}\nnumprocs={n}\nprocess_name=m_%(process_num)d\n\
             startsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n"
        )
    };
    // m_0's command stays `sleep 100`, m_1's goes from `sleep 101` to `sleep 111`.
    let old_text = multi(2, "/bin/sleep 10%(process_num)d");
    let old = config("members-old", &old_text);
    let new = config(
        "members-new",
        &multi(3, "/bin/sleep 1%(process_num)d%(process_num)d"),
    );
    let mut p = Procs::from_config(&old).0;
    for (i, name) in ["m_0", "m_1"].iter().enumerate() {
        let id = p.find("m", name).unwrap();
        feed(&mut p, id, Input::Start, at(0));
        feed(&mut p, id, Input::Spawned { pid: 10 + i as i32 }, at(0));
        feed(&mut p, id, Input::Deadline, at(0));
    }
    let Some(GroupChange::Members(changes)) = group_change(&old.groups[0], &new.groups[0]) else {
        panic!("not member by member");
    };
    let task = UpdateTask::Members {
        group: "m".into(),
        changes: changes.clone(),
    };
    let mut w = Wait::update(key(), new.clone(), vec![task]);
    let restarted: Vec<ProcId> = changes
        .iter()
        .filter(|c| matches!(c.action, crate::config::diff::Action::Restart(_)))
        .map(|c| p.find("m", &c.name).unwrap())
        .collect();
    assert_eq!(restarted, vec![p.find("m", "m_1").unwrap()]);
    let first = w.step(&p, at(0));
    assert!(first
        .iter()
        .all(|e| matches!(e, Effect::Stop(id) if restarted.contains(id))));
    for id in &restarted {
        feed(&mut p, *id, Input::Stop, at(0));
        let status = WaitStatus::Signaled {
            sig: 15,
            core: false,
        };
        feed(&mut p, *id, Input::Exited { status }, at(5));
    }
    let done = w.step(&p, at(5));
    let up: Vec<String> = restarted
        .iter()
        .map(|id| p.get(*id).unwrap().machine.name().to_string())
        .collect();
    assert_eq!(
        done,
        vec![
            Effect::Line(crate::protocol::results::update_line("m", "stopped")),
            Effect::ApplyMembers {
                group: "m".into(),
                changes,
                up,
            },
            Effect::Line(crate::protocol::results::update_line(
                "m",
                "updated process group"
            )),
        ]
    );
    assert_eq!(w.step(&p, at(5)), vec![Effect::Finish]);

    // All in place: nothing stopped, the group applied at once.
    let calm_text = old_text.replace("startsecs=0", "startsecs=0\nstopwaitsecs=3");
    let calm = config("members-calm", &calm_text);
    let Some(GroupChange::Members(changes)) = group_change(&old.groups[0], &calm.groups[0]) else {
        panic!("not member by member");
    };
    let mut w = Wait::update(
        key(),
        calm,
        vec![UpdateTask::Members {
            group: "m".into(),
            changes,
        }],
    );
    let steps = w.step(&p, at(0));
    assert!(matches!(steps[0], Effect::ApplyMembers { ref up, .. } if up.is_empty()));
    assert_eq!(lines(&steps), vec!["m: updated process group"]);
}

/// A new config given in place keeps the machine's state, pid and counters; the new values
/// rule the next transition (here: the stop signal and wait of the next stop).
#[test]
fn a_config_given_in_place_keeps_the_process_and_rules_the_next_stop() {
    let mut p = procs("inplace", &prog("a", 1));
    run(&mut p, "a", 42, at(0));
    let a = id(&p, "a");
    let mut cfg = p.get(a).unwrap().cfg().clone();
    cfg.stopsignal = 2;
    cfg.stopwaitsecs = 3;
    p.get_mut(a).unwrap().machine.set_config(cfg.into());
    let m = &p.get(a).unwrap().machine;
    assert_eq!((m.state(), m.pid()), (State::Running, Some(42)));
    let mut actions = Vec::new();
    p.get_mut(a)
        .unwrap()
        .machine
        .on(Input::Stop, at(10), &mut actions);
    assert!(actions.contains(&crate::process::machine::Action::Kill {
        pid: 42,
        signal: 2,
        group: false
    }));
    assert_eq!(p.get(a).unwrap().machine.deadline(), Some(at(3010)));
}
