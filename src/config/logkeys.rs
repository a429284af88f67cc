//! The keys of "logs people can read" (supervisor-rs options, none in Supervisor 4.3.0):
//! `*_logfile_timestamps`, `*_logfile_mode` and `*_logfile_owner` of one output channel, and
//! `log_lifecycle`. A section without them gets today's behaviour.

use super::error::ConfigError;
use super::expand::Names;
use super::ini::Section;
use super::loader::Loader;
use super::model::LogOptions;
use super::values;

/// The three per-channel keys of channel `ch` (`stdout` or `stderr`).
pub(crate) fn channel(
    l: &Loader,
    s: &Section,
    ch: &str,
    names: &Names,
) -> Result<LogOptions, ConfigError> {
    let timestamps = l.parsed(
        s,
        &format!("{ch}_logfile_timestamps"),
        names,
        values::boolean,
    )?;
    let mode_key = format!("{ch}_logfile_mode");
    let mode = l.parsed(s, &mode_key, names, |v| file_mode(v, &mode_key))?;
    let owner_key = format!("{ch}_logfile_owner");
    let owner = l.parsed(s, &owner_key, names, |v| {
        owner(v, l).map_err(|_| format!("Invalid {owner_key} value {v}"))
    })?;
    Ok(LogOptions {
        timestamps,
        mode,
        owner,
    })
}

/// `log_lifecycle`.
pub(crate) fn lifecycle(l: &Loader, s: &Section, names: &Names) -> Result<bool, ConfigError> {
    l.flag(s, "log_lifecycle", names)
}

/// Permission bits in octal, 0 to 0777 (a log has no use for set-id or sticky bits).
fn file_mode(v: &str, key: &str) -> Result<u32, String> {
    match values::octal(v) {
        Ok(m) if m <= 0o777 => Ok(m),
        _ => Err(format!(
            "Invalid {key} value {v} (an octal mode from 0 to 0777)"
        )),
    }
}

/// `user` or `user:group`; `user` alone gives that user's primary group.
fn owner(v: &str, l: &Loader) -> Result<(u32, u32), String> {
    let (uid, gid) = values::user_group(v, l.users)?;
    if gid != u32::MAX {
        return Ok((uid, gid));
    }
    Ok((uid, values::gid_for_uid(uid, l.users).unwrap_or(u32::MAX)))
}

#[cfg(test)]
mod tests {
    use crate::config::load::{load, LoadContext};
    use crate::config::model::Config;
    use crate::config::users::FakeUserDb;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nweb:x:5001:5002:web:/srv:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nwww:x:5002:\nlogs:x:7000:\n";

    fn load_text(body: &str) -> Result<Config, String> {
        let dir = std::env::temp_dir().join(format!("sv-logkeys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = dir.join(format!("s{n}.conf"));
        let text = format!("[supervisord]\nlogfile=/tmp/sv-t.log\npidfile=/tmp/sv-t.pid\n{body}");
        std::fs::write(&path, text).unwrap();
        let ctx = LoadContext {
            env: vec![("PATH".into(), "/bin".into())],
            hostname: "box".into(),
            cwd: dir.clone(),
            users: FakeUserDb::parse(PASSWD, GROUP).shared(),
            euid: 0,
        };
        let r = load(&path, &ctx).map_err(|e| e.message);
        let _ = std::fs::remove_file(&path);
        r
    }

    #[test]
    fn unset_keys_change_nothing() {
        let c = load_text("[program:a]\ncommand=/bin/true\n").unwrap();
        let p = &c.groups[0].processes[0];
        assert_eq!(p.stdout.log, Default::default());
        assert_eq!(p.stderr.log, Default::default());
        assert!(!p.log_lifecycle);
        assert!(!c.supervisord.logfile_timestamps);
    }

    #[test]
    fn keys_are_read_per_channel() {
        let c = load_text(
            "logfile_timestamps=true\n[eventlistener:l]\ncommand=/bin/cat\nevents=TICK_5\n\
             stderr_logfile_timestamps=false\n[program:a]\ncommand=/bin/true\n\
             stdout_logfile_timestamps=true\nstdout_logfile_mode=0640\nstdout_logfile_owner=web\n\
             stderr_logfile_mode=600\nstderr_logfile_owner=web:logs\nlog_lifecycle=true\n",
        )
        .unwrap();
        assert!(c.supervisord.logfile_timestamps);
        let a = &c.groups.iter().find(|g| g.name == "a").unwrap().processes[0];
        assert_eq!(a.stdout.log.timestamps, Some(true));
        assert_eq!(a.stdout.log.mode, Some(0o640));
        // `user` alone: the user's primary group.
        assert_eq!(a.stdout.log.owner, Some((5001, 5002)));
        assert_eq!(a.stderr.log.timestamps, None);
        assert_eq!(a.stderr.log.mode, Some(0o600));
        assert_eq!(a.stderr.log.owner, Some((5001, 7000)));
        assert!(a.log_lifecycle);
        let l = &c.groups.iter().find(|g| g.name == "l").unwrap().processes[0];
        assert_eq!(l.stderr.log.timestamps, Some(false));
    }

    #[test]
    fn bad_values_are_errors_with_the_key() {
        let cases = [
            (
                "stdout_logfile_mode=0999",
                "Invalid stdout_logfile_mode value 0999",
            ),
            (
                "stderr_logfile_mode=4755",
                "Invalid stderr_logfile_mode value 4755",
            ),
            (
                "stdout_logfile_owner=nosuch",
                "Invalid stdout_logfile_owner value nosuch",
            ),
            (
                "stderr_logfile_owner=web:nosuch",
                "Invalid stderr_logfile_owner value web:nosuch",
            ),
            (
                "stdout_logfile_timestamps=maybe",
                "not a valid boolean value: 'maybe'",
            ),
            ("log_lifecycle=2", "not a valid boolean value: '2'"),
        ];
        for (line, want) in cases {
            let err = load_text(&format!("[program:a]\ncommand=/bin/true\n{line}\n")).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
    }
}
