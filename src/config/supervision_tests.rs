//! Tests of the #15 keys through the whole loader: `supervision` (parsing) and `depends`
//! (resolution, cycles, start order), on small configs written to a temp dir.

use std::path::{Path, PathBuf};

use super::depends::start_order;
use super::error::ConfigError;
use super::load::{load, LoadContext};
use super::model::{
    Backoff, Config, Curve, Health, ProcessConfig, Ready, Supervision, UNLIMITED_RETRIES,
};
use super::users::FakeUserDb;
use crate::probe::check::Check;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("sv-sup-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ctx(dir: &Path) -> LoadContext {
    LoadContext {
        env: vec![("HOME".into(), "/root".into())],
        hostname: "box".into(),
        cwd: dir.to_path_buf(),
        users: FakeUserDb::parse("root:x:0:0:root:/root:/bin/sh\n", "root:x:0:\n").shared(),
        euid: 0,
    }
}

/// Three lines: a section's keys start on line 4.
const HEAD: &str = "[supervisord]\nlogfile=/tmp/sv-t.log\npidfile=/tmp/sv-t.pid\n";

fn load_body(tag: &str, body: &str) -> Result<Config, ConfigError> {
    let d = TempDir::new(tag);
    let p = d.0.join("s.conf");
    std::fs::write(&p, format!("{HEAD}{body}")).unwrap();
    load(&p, &ctx(&d.0))
}

fn ok(tag: &str, body: &str) -> Config {
    load_body(tag, body).unwrap_or_else(|e| panic!("{tag}: {}", e.located()))
}

/// The error's message, line and option.
fn err(tag: &str, body: &str) -> (String, Option<usize>, Option<String>) {
    let e = load_body(tag, body).expect_err(tag);
    assert!(
        e.file.as_ref().is_some_and(|f| f.ends_with("s.conf")),
        "{tag}: {e:?}"
    );
    assert!(!e.message.contains('\n'), "{tag}: one line: {}", e.message);
    (e.message, e.line, e.option)
}

fn process<'c>(c: &'c Config, spec: &str) -> &'c ProcessConfig {
    c.groups
        .iter()
        .flat_map(|g| g.processes.iter().map(move |p| (g, p)))
        .find(|(g, p)| super::depends::namespec(&g.name, &p.name) == spec)
        .map(|(_, p)| &**p)
        .unwrap_or_else(|| panic!("no process {spec}"))
}

fn sup(tag: &str, keys: &str) -> Supervision {
    let c = ok(tag, &format!("[program:p]\ncommand=x\n{keys}"));
    (*process(&c, "p").supervision).clone()
}

#[test]
fn defaults_are_the_reference_behaviour() {
    let c = ok("defaults", "[program:p]\ncommand=x\n");
    let p = process(&c, "p");
    assert_eq!(*p.supervision, Supervision::default());
    assert_eq!(p.supervision.ready, Ready::Startsecs);
    assert_eq!(
        (p.supervision.ready_timeout, p.supervision.ready_interval),
        (60, 1)
    );
    assert_eq!(p.startretries, 3);
    assert_eq!(start_order(&c), vec![vec!["p".to_string()]]);
}

#[test]
fn ready_kinds_and_settings() {
    let tcp = Check::parse("tcp:127.0.0.1:5432").unwrap();
    assert_eq!(
        sup("r-tcp", "ready = tcp:127.0.0.1:5432\n").ready,
        Ready::Check(tcp)
    );
    assert!(matches!(
        sup("r-http", "ready=http://localhost:8080/health\n").ready,
        Ready::Check(Check::Http { port: 8080, .. })
    ));
    assert!(matches!(
        sup("r-exec", "ready=exec:pg_isready -q\n").ready,
        Ready::Check(Check::Exec { .. })
    ));
    assert_eq!(sup("r-notify", "ready=notify\n").ready, Ready::Notify);
    assert_eq!(sup("r-exit", "ready=exit\n").ready, Ready::Exit);
    assert_eq!(sup("r-ss", "ready=startsecs\n").ready, Ready::Startsecs);
    match sup("r-log", "ready=log:^listening on port \\d+\n").ready {
        Ready::Log(p) => assert_eq!(p.source(), "^listening on port \\d+"),
        other => panic!("{other:?}"),
    }
    let s = sup("r-set", "ready=notify\nready_timeout=0\nready_interval=3\n");
    assert_eq!((s.ready_timeout, s.ready_interval), (0, 3));
}

#[test]
fn keys_expand_per_process() {
    let c = ok(
        "expand",
        "[program:db]\ncommand=x\n[program:api]\ncommand=x\nnumprocs=2\n\
         process_name=%(program_name)s_%(process_num)d\n\
         ready=tcp:127.0.0.1:80%(process_num)02d\nhealthcheck=exec:check %(process_num)d\n\
         depends_on=%(ENV_DEP)s\n[supervisord]\nenvironment=DEP=db\n",
    );
    let p1 = process(&c, "api:api_1");
    assert_eq!(
        p1.supervision.ready,
        Ready::Check(Check::parse("tcp:127.0.0.1:8001").unwrap())
    );
    assert_eq!(
        p1.supervision.health.as_ref().unwrap().check.to_string(),
        "exec:check 1"
    );
    assert_eq!(p1.supervision.depends_on, ["db"]);
}

#[test]
fn health_defaults_and_settings() {
    let s = sup("h-def", "healthcheck=tcp:localhost:80\n");
    assert_eq!(
        s.health,
        Some(Health {
            check: Check::parse("tcp:localhost:80").unwrap(),
            interval: 10,
            timeout: 5,
            retries: 3,
            start_period: 0,
        })
    );
    let s = sup(
        "h-set",
        "healthcheck=http://h/x\nhealthcheck_interval=2\nhealthcheck_timeout=1\n\
         healthcheck_retries=1\nhealthcheck_start_period=30\n",
    );
    let h = s.health.unwrap();
    assert_eq!(
        (h.interval, h.timeout, h.retries, h.start_period),
        (2, 1, 1, 30)
    );
}

#[test]
fn backoff_is_set_by_any_of_its_keys() {
    assert_eq!(sup("b-none", "").backoff, None);
    let default = Backoff {
        curve: Curve::Linear,
        max: 60,
        jitter_permille: 100,
        reset: 60,
    };
    assert_eq!(sup("b-curve", "backoff=linear\n").backoff, Some(default));
    assert_eq!(
        sup("b-max", "backoff_max=5\n").backoff,
        Some(Backoff { max: 5, ..default })
    );
    assert_eq!(
        sup("b-jit", "backoff_jitter=0.25\n").backoff,
        Some(Backoff {
            jitter_permille: 250,
            ..default
        })
    );
    assert_eq!(
        sup("b-reset", "backoff_reset=0\n").backoff,
        Some(Backoff {
            reset: 0,
            ..default
        })
    );
    assert_eq!(
        sup("b-exp", "backoff=Exponential\nbackoff_jitter=0\n").backoff,
        Some(Backoff {
            curve: Curve::Exponential,
            jitter_permille: 0,
            ..default
        })
    );
}

#[test]
fn unlimited_retries_and_fatal_retry() {
    let c = ok(
        "retries",
        "[program:p]\ncommand=x\nstartretries=UNLIMITED\nfatal_retry=300\n\
         [program:q]\ncommand=x\nstartretries=7\n",
    );
    assert_eq!(process(&c, "p").startretries, UNLIMITED_RETRIES);
    assert_eq!(process(&c, "p").supervision.fatal_retry, Some(300));
    assert_eq!(process(&c, "q").startretries, 7);
    assert_eq!(process(&c, "q").supervision.fatal_retry, None);
}

#[test]
fn bad_values_are_errors_at_their_line() {
    // (keys of [program:p] from line 6, the error's start, its option)
    let cases: &[(&str, &str, &str)] = &[
        (
            "ready=sometimes",
            "\"sometimes\" is not a readiness check",
            "ready",
        ),
        ("ready=tcp:localhost", "invalid ready check: ", "ready"),
        ("ready=http://h:x/", "invalid ready check: ", "ready"),
        (
            "ready=exec:",
            "invalid ready check: exec: needs a command",
            "ready",
        ),
        ("ready=log:[a", "invalid ready log pattern", "ready"),
        (
            "ready_timeout=-1",
            "ready_timeout must be from 0 to ",
            "ready_timeout",
        ),
        (
            "ready_interval=0",
            "ready_interval must be from 1 to ",
            "ready_interval",
        ),
        (
            "ready_interval=soon",
            "invalid literal for int()",
            "ready_interval",
        ),
        ("healthcheck=notify", "invalid healthcheck: ", "healthcheck"),
        (
            "healthcheck_interval=5",
            "healthcheck_interval is set but healthcheck is not",
            "healthcheck_interval",
        ),
        (
            "healthcheck_start_period=5",
            "healthcheck_start_period is set but",
            "healthcheck_start_period",
        ),
        (
            "healthcheck=tcp:h:1\nhealthcheck_retries=0",
            "healthcheck_retries must be from 1 to 1000",
            "healthcheck_retries",
        ),
        (
            "healthcheck=tcp:h:1\nhealthcheck_timeout=0",
            "healthcheck_timeout must be from 1",
            "healthcheck_timeout",
        ),
        (
            "backoff=fibonacci",
            "backoff must be linear or exponential",
            "backoff",
        ),
        (
            "backoff_jitter=1.01",
            "backoff_jitter must be a fraction",
            "backoff_jitter",
        ),
        (
            "backoff_max=99999999999",
            "backoff_max must be from 0 to 31536000",
            "backoff_max",
        ),
        (
            "fatal_retry=0",
            "fatal_retry must be from 1 to ",
            "fatal_retry",
        ),
        (
            "startretries=forever",
            "invalid literal for int() with base 10: 'forever'",
            "startretries",
        ),
    ];
    for (i, (keys, want, option)) in cases.iter().enumerate() {
        let body = format!("[program:p]\ncommand=x\n{keys}\n");
        let (msg, line, opt) = err(&format!("bad{i}"), &body);
        assert!(msg.starts_with(want), "{keys}: {msg}");
        assert!(
            msg.ends_with("in section 'program:p' (file: 's.conf')")
                || msg.contains("in section 'program:p'"),
            "{keys}: {msg}"
        );
        let expected_line = 6 + keys.matches('\n').count();
        assert_eq!(line, Some(expected_line), "{keys}");
        assert_eq!(opt.as_deref(), Some(*option), "{keys}");
    }
}

#[test]
fn listeners_take_only_dependencies_backoff_and_retries() {
    let c = ok(
        "listener-ok",
        "[program:db]\ncommand=x\n[eventlistener:l]\ncommand=x\nevents=TICK_5\n\
         depends_on=db\nbackoff=exponential\nstartretries=unlimited\nfatal_retry=10\n",
    );
    let l = process(&c, "l");
    assert_eq!(l.supervision.depends_on, ["db"]);
    assert_eq!(l.supervision.backoff.unwrap().curve, Curve::Exponential);
    assert_eq!(l.startretries, UNLIMITED_RETRIES);
    assert_eq!(l.supervision.fatal_retry, Some(10));
    for key in [
        "ready=notify",
        "ready_timeout=5",
        "ready_interval=5",
        "healthcheck=tcp:h:1",
        "healthcheck_interval=5",
        "healthcheck_timeout=5",
        "healthcheck_retries=5",
        "healthcheck_start_period=5",
    ] {
        let body = format!("[eventlistener:l]\ncommand=x\nevents=TICK_5\n{key}\n");
        let (msg, line, opt) = err("listener-bad", &body);
        let name = key.split('=').next().unwrap();
        assert!(
            msg.starts_with(&format!("an eventlistener cannot set {name}: ")),
            "{msg}"
        );
        assert_eq!(line, Some(7));
        assert_eq!(opt.as_deref(), Some(name));
    }
}

#[test]
fn fcgi_programs_take_every_key() {
    let c = ok(
        "fcgi",
        "[program:db]\ncommand=x\n[fcgi-program:f]\ncommand=x\nsocket=tcp://127.0.0.1:9999\n\
         ready=notify\ndepends_on=db\nhealthcheck=tcp:127.0.0.1:9999\n",
    );
    let f = process(&c, "f");
    assert_eq!(f.supervision.ready, Ready::Notify);
    assert_eq!(f.supervision.depends_on, ["db"]);
    assert!(f.supervision.health.is_some());
}

/// Programs `db`, `cache` (priority 5), a numprocs=2 `api`, a `[group:back]` of `q` and
/// `r`, and `w` with `depends_on = {deps}`.
fn world(tag: &str, deps: &str) -> Result<Config, ConfigError> {
    load_body(
        tag,
        &format!(
            "[program:w]\ncommand=x\ndepends_on={deps}\n\
             [program:db]\ncommand=x\n[program:cache]\ncommand=x\npriority=5\n\
             [program:api]\ncommand=x\nnumprocs=2\nprocess_name=api_%(process_num)d\n\
             [group:back]\nprograms=q,r\n[program:q]\ncommand=x\n[program:r]\ncommand=x\n"
        ),
    )
}

#[test]
fn names_resolve_to_namespecs() {
    let cases: &[(&str, &[&str])] = &[
        ("db", &["db"]),
        ("api", &["api:api_0", "api:api_1"]),
        ("api:api_1", &["api:api_1"]),
        ("api:*", &["api:api_0", "api:api_1"]),
        ("api:", &["api:api_0", "api:api_1"]),
        ("db:db", &["db"]),
        ("back", &["back:q", "back:r"]),
        ("back:r", &["back:r"]),
        // A member of a [group:x] by its program name.
        ("q", &["back:q"]),
        // Written order, repeats dropped.
        (
            "cache, db, cache, api:api_0, api",
            &["cache", "db", "api:api_0", "api:api_1"],
        ),
        (" , db,", &["db"]),
    ];
    for (deps, want) in cases {
        let c = world("resolve", deps).unwrap_or_else(|e| panic!("{deps}: {}", e.located()));
        assert_eq!(process(&c, "w").supervision.depends_on, *want, "{deps}");
    }
}

#[test]
fn unknown_names_and_self_dependencies_are_errors() {
    for (deps, want) in [
        (
            "nope",
            "[program:w] depends_on names unknown program, group or process nope",
        ),
        (
            "db, api:api_7",
            "[program:w] depends_on names unknown program, group or process api:api_7",
        ),
        (
            "nogroup:x",
            "[program:w] depends_on names unknown program, group or process nogroup:x",
        ),
        (
            "w",
            "[program:w] process w depends on itself (depends_on w)",
        ),
        (
            "db, w:w",
            "[program:w] process w depends on itself (depends_on w:w)",
        ),
    ] {
        let e = world("unknown", deps).expect_err(deps);
        assert_eq!(e.message, want);
        assert_eq!((e.line, e.option.as_deref()), (Some(6), Some("depends_on")));
    }
    // A process of a group naming its own group.
    let (msg, line, _) = err(
        "own-group",
        "[program:a]\ncommand=x\nnumprocs=2\nprocess_name=a%(process_num)d\ndepends_on=a\n",
    );
    assert_eq!(
        msg,
        "[program:a] process a:a0 depends on itself (depends_on a)"
    );
    assert_eq!(line, Some(8));
    let (msg, _, _) = err(
        "own-hetero",
        "[group:g]\nprograms=a,b\n[program:a]\ncommand=x\ndepends_on=g\n[program:b]\ncommand=x\n",
    );
    assert_eq!(
        msg,
        "[program:a] process g:a depends on itself (depends_on g)"
    );
}

#[test]
fn cycles_are_spelled_out() {
    // Two processes.
    let (msg, line, opt) = err(
        "cycle2",
        "[program:a]\ncommand=x\ndepends_on=b\n[program:b]\ncommand=x\ndepends_on=a\n",
    );
    assert_eq!(msg, "depends_on cycle: a -> b -> a");
    assert_eq!((line, opt.as_deref()), (Some(6), Some("depends_on")));
    // Three, entered at web (the first group by name is api, which is not on it).
    let (msg, line, _) = err(
        "cycle3",
        "[program:web]\ncommand=x\ndepends_on=db\n[program:db]\ncommand=x\ndepends_on=cache\n\
         [program:cache]\ncommand=x\ndepends_on=web\n[program:api]\ncommand=x\npriority=1\n\
         depends_on=web\n",
    );
    assert_eq!(msg, "depends_on cycle: web -> db -> cache -> web");
    assert_eq!(line, Some(6));
    // Through a group name and a namespec.
    let (msg, _, _) = err(
        "cycle-group",
        "[group:g]\nprograms=a,b\n[program:a]\ncommand=x\n[program:b]\ncommand=x\n\
         depends_on=c\n[program:c]\ncommand=x\ndepends_on=g:a,g:b\n",
    );
    assert_eq!(msg, "depends_on cycle: c -> g:b -> c");
}

#[test]
fn start_order_levels() {
    let c = ok(
        "order",
        "[program:web]\ncommand=x\ndepends_on=api,db\n\
         [program:api]\ncommand=x\nnumprocs=2\nprocess_name=api_%(process_num)d\n\
         depends_on=db,cache\n\
         [program:db]\ncommand=x\n[program:cache]\ncommand=x\npriority=5\n\
         [program:lone]\ncommand=x\nautostart=false\n\
         [program:job]\ncommand=x\nready=exit\n[program:after]\ncommand=x\ndepends_on=job\n",
    );
    assert_eq!(
        start_order(&c),
        vec![
            vec!["cache", "db", "job", "lone"],
            vec!["after", "api:api_0", "api:api_1"],
            vec!["web"],
        ]
    );
    assert!(super::depends::any(&c));
    assert!(!super::depends::any(&ok(
        "none",
        "[program:a]\ncommand=x\n"
    )));
}

#[test]
fn dependency_counts_are_bounded() {
    let names: Vec<String> = (0..=super::supervision::MAX_DEPENDS_NAMES)
        .map(|i| format!("n{i}"))
        .collect();
    let (msg, line, _) = err(
        "many-names",
        &format!("[program:p]\ncommand=x\ndepends_on={}\n", names.join(",")),
    );
    assert!(
        msg.starts_with("depends_on lists more than 10000 names"),
        "{msg}"
    );
    assert_eq!(line, Some(6));
    // 300 processes naming a group of 400: 120000 dependencies.
    let (msg, _, _) = err(
        "many-deps",
        "[program:a]\ncommand=x\nnumprocs=400\nprocess_name=a%(process_num)d\n\
         [program:b]\ncommand=x\nnumprocs=300\nprocess_name=b%(process_num)d\ndepends_on=a\n",
    );
    assert_eq!(
        msg,
        "[program:b] depends_on gives more than 100000 dependencies in total"
    );
}
