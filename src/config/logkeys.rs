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
