//! `[rpcinterface:x]` sections with another factory than Supervisor's own and `[ctlplugin:x]`
//! sections name Python plugins: skipped with a warning (activity log, `--check-config` text
//! and JSON) instead of refusing the config; the JSON also says what Supervisor 4.3.0 would answer.

mod common;

use common::{supervisord_bin, Daemon, TestDir};
use std::process::Command;
use std::time::Duration;

fn conf(dir: &TestDir) -> String {
    format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         [unix_http_server]\nfile={d}/s.sock\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [rpcinterface:twiddler]\n\
         supervisor.rpcinterface_factory = supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface\n\
         [ctlplugin:quick]\n\
         supervisor.ctl_factory = supervisor_quick:make_quick_controllerplugin\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\
         [program:a]\ncommand=/bin/sleep 30\nstartsecs=0\n",
        d = dir.s()
    )
}

const TWIDDLER: &str = "[rpcinterface:twiddler] (supervisor.rpcinterface_factory = \
    supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface) names a Python plugin, which \
    supervisor-rs cannot load; the section is ignored";
const QUICK: &str = "[ctlplugin:quick] (supervisor.ctl_factory = \
    supervisor_quick:make_quick_controllerplugin) names a Python plugin, which supervisor-rs \
    cannot load; the section is ignored";
const REFUSAL: &str = "supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface cannot be \
    resolved within [rpcinterface:twiddler]";

fn check(dir: &TestDir, json: bool) -> (String, i32) {
    let path = dir.write("supervisord.conf", &conf(dir));
    let mut cmd = Command::new(supervisord_bin());
    cmd.arg("--check-config");
    if json {
        cmd.arg("--json");
    }
    let out = cmd.arg("-c").arg(&path).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn check_config_warns_and_accepts() {
    let dir = TestDir::new();
    let (text, code) = check(&dir, false);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("warning: {TWIDDLER}\n")), "{text}");
    assert!(text.contains(&format!("warning: {QUICK}\n")), "{text}");
    assert!(
        text.contains(&format!(
            "warning: Supervisor 4.3.0 refuses this file: {REFUSAL}\n"
        )),
        "{text}"
    );
    assert!(text.contains("1 process in 1 group"), "{text}");
}

#[test]
fn json_accepts_and_says_what_the_reference_would_answer() {
    let dir = TestDir::new();
    let (json, code) = check(&dir, true);
    assert_eq!(code, 0, "{json}");
    for want in [
        "\"accepted\": true".to_string(),
        "\"error\": null".to_string(),
        format!("\"reference_error\": \"{REFUSAL}\""),
        "\"exit_status\": null".to_string(),
        format!("\"{TWIDDLER}\""),
        format!("\"{QUICK}\""),
    ] {
        assert!(json.contains(&want), "lacks {want}: {json}");
    }
}

#[test]
fn the_daemon_logs_the_warnings_and_runs() {
    let dir = TestDir::new();
    let d = Daemon::start(&dir, &conf(&dir));
    assert!(
        d.wait_log("success: a entered RUNNING state", Duration::from_secs(10)),
        "{}",
        d.log()
    );
    let log = d.log();
    assert!(log.contains(&format!("WARN {TWIDDLER}\n")), "{log}");
    assert!(log.contains(&format!("WARN {QUICK}\n")), "{log}");
    assert!(
        log.contains("INFO RPC interface 'supervisor' initialized"),
        "{log}"
    );
    assert!(!log.contains("'twiddler' initialized"), "{log}");
}
