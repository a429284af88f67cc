//! The #15 keys through the real binary: `supervisord --check-config` prints the start
//! order and each process's readiness, dependencies, health check and backoff; `--json`
//! carries them per process and `start_order` at the top; bad values are one-line errors
//! with the file and line.

mod common;

use common::TestDir;
use std::process::Output;

fn check(dir: &TestDir, body: &str, json: bool) -> Output {
    let conf = format!(
        "[supervisord]\nlogfile={d}/s.log\npidfile={d}/s.pid\n{body}",
        d = dir.s()
    );
    common::check_config(dir, &conf, json)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The JSON without the layout whitespace (none of the strings checked has a space).
fn compact(json: &str) -> String {
    json.chars().filter(|c| !c.is_whitespace()).collect()
}

const STACK: &str = "\
[program:db]
command=/bin/cat
ready=tcp:127.0.0.1:5432
[program:cache]
command=/bin/cat
priority=5
ready=log:^Ready to accept
[program:api]
command=/bin/cat
numprocs=2
process_name=api_%(process_num)d
depends_on=db, cache, db
healthcheck=http://127.0.0.1:80%(process_num)02d/health
healthcheck_retries=2
backoff=exponential
backoff_jitter=0.25
startretries=unlimited
[program:web]
command=/bin/cat
ready=notify
depends_on=api
fatal_retry=300
[program:migrate]
command=/bin/true
ready=exit
[eventlistener:watch]
command=/bin/cat
events=PROCESS_STATE
depends_on=web
";

#[test]
fn text_mode_shows_the_start_order_and_the_keys() {
    let dir = TestDir::new();
    let out = check(&dir, STACK, false);
    let summary = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        summary
            .contains("\nstart order: cache, db, migrate | api:api_0, api:api_1 | web | watch\n"),
        "{summary}"
    );
    for line in [
        "    ready: tcp:127.0.0.1:5432\n",
        "    ready: log:^Ready to accept\n",
        "    ready: exit\n",
        "    depends on: db, cache; healthcheck: http://127.0.0.1:8001/health every 10 s; \
         backoff: exponential up to 60 s; startretries: unlimited\n",
        "    ready: notify; depends on: api:api_0, api:api_1; fatal_retry: 300 s\n",
        "    depends on: web\n",
    ] {
        assert!(summary.contains(line), "{line:?} in {summary}");
    }
}

#[test]
fn text_mode_without_depends_on_has_no_start_order() {
    let dir = TestDir::new();
    let out = check(&dir, "[program:a]\ncommand=/bin/cat\n", false);
    assert_eq!(out.status.code(), Some(0));
    let summary = text(&out.stdout);
    assert!(!summary.contains("start order"), "{summary}");
    assert!(!summary.contains("ready:"), "{summary}");
}

#[test]
fn json_carries_every_key_and_the_start_order() {
    let dir = TestDir::new();
    let out = check(&dir, STACK, true);
    let json = compact(&text(&out.stdout));
    assert_eq!(out.status.code(), Some(0), "{json}");
    for want in [
        r#""start_order":[["cache","db","migrate"],["api:api_0","api:api_1"],["web"],["watch"]]"#,
        // api_1: every key, startretries=unlimited as -1.
        r#""startretries":-1,"#,
        r#""serverurl":null,"ready":"startsecs","ready_timeout":60,"ready_interval":1,"depends_on":["db","cache"],"healthcheck":"http://127.0.0.1:8001/health","healthcheck_interval":10,"healthcheck_timeout":5,"healthcheck_retries":2,"healthcheck_start_period":0,"backoff":{"curve":"exponential","max":60,"jitter_permille":250,"reset":60},"fatal_retry":null}"#,
        // web
        r#""ready":"notify","ready_timeout":60,"ready_interval":1,"depends_on":["api:api_0","api:api_1"],"healthcheck":null,"healthcheck_interval":null,"healthcheck_timeout":null,"healthcheck_retries":null,"healthcheck_start_period":null,"backoff":null,"fatal_retry":300}"#,
        r#""ready":"log:^Readytoaccept""#,
        r#""ready":"tcp:127.0.0.1:5432""#,
        r#""ready":"exit""#,
    ] {
        assert!(json.contains(want), "{want} in {json}");
    }
}

#[test]
fn json_of_a_plain_config_has_the_defaults() {
    let dir = TestDir::new();
    let out = check(&dir, "[program:a]\ncommand=/bin/cat\n", true);
    let json = compact(&text(&out.stdout));
    assert!(json.contains(r#""startretries":3,"#), "{json}");
    assert!(
        json.contains(r#""ready":"startsecs","ready_timeout":60,"ready_interval":1,"depends_on":[],"healthcheck":null,"#),
        "{json}"
    );
    assert!(
        json.contains(r#""backoff":null,"fatal_retry":null}"#),
        "{json}"
    );
    assert!(json.contains(r#""start_order":[["a"]]"#), "{json}");
}

#[test]
fn errors_are_one_line_with_file_and_line() {
    let dir = TestDir::new();
    let conf = dir.join("supervisord.conf").display().to_string();
    let cases: &[(&str, &str)] = &[
        (
            "[program:web]\ncommand=x\ndepends_on=api\n[program:api]\ncommand=x\n\
             depends_on=db\n[program:db]\ncommand=x\ndepends_on=web\n",
            // Groups sort by name: the walk starts at api.
            "Error: depends_on cycle: api -> db -> web -> api (depends_on at {conf}:9)",
        ),
        (
            "[program:web]\ncommand=x\ndepends_on=db, nope\n[program:db]\ncommand=x\n",
            "Error: [program:web] depends_on names unknown program, group or process nope \
             (depends_on at {conf}:6)",
        ),
        (
            "[program:web]\ncommand=x\ndepends_on=web\n",
            "Error: [program:web] process web depends on itself (depends_on web) \
             (depends_on at {conf}:6)",
        ),
        (
            "[program:web]\ncommand=x\n\nhealthcheck_interval=3\n",
            "Error: healthcheck_interval is set but healthcheck is not in section \
             'program:web' (file: '{conf}') (healthcheck_interval at {conf}:7)",
        ),
        (
            "[eventlistener:l]\ncommand=x\nevents=TICK_5\nready=notify\n",
            "Error: an eventlistener cannot set ready: listeners become ready through their \
             own protocol in section 'eventlistener:l' (file: '{conf}') (ready at {conf}:7)",
        ),
    ];
    for (body, want) in cases {
        let out = check(&dir, body, false);
        assert_eq!(out.status.code(), Some(2), "{body}");
        let err = text(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert_eq!(first, want.replace("{conf}", &conf), "{body}");
        let out = check(&dir, body, true);
        let json = text(&out.stdout);
        assert!(json.contains("\"accepted\": false"), "{json}");
        assert!(json.contains("\"start_order\": null"), "{json}");
    }
}
