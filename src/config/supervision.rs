//! The supervisor-rs keys of a program-like section (issue #15): `ready*`, `depends_on`,
//! `healthcheck*`, `backoff*`, `fatal_retry`, and `startretries = unlimited`. Read per
//! process (so `%(process_num)d` works in them), after every key of the reference, so that
//! a config the reference refuses is refused with the reference's first error.
//!
//! `depends_on` is only split here; `depends` resolves the names once every group exists.

use super::error::ConfigError;
use super::expand::Names;
use super::ini::Section;
use super::loader::Loader;
use super::model::{Backoff, Curve, Health, Ready, Supervision};
use super::values;
use crate::probe::check::Check;
use crate::probe::pattern::Pattern;

/// The largest number of seconds any of these keys takes (one year): the daemon adds them
/// to its clock, so they must stay far from overflowing it.
pub const MAX_SECONDS: i64 = 365 * 24 * 3600;

/// The most `healthcheck_retries` (a count of consecutive failures).
pub const MAX_HEALTH_RETRIES: i64 = 1000;

/// The most names one `depends_on` may list (after removing repeats).
pub const MAX_DEPENDS_NAMES: usize = 10_000;

/// The health keys that need `healthcheck`.
const HEALTH_SETTINGS: [&str; 4] = [
    "healthcheck_interval",
    "healthcheck_timeout",
    "healthcheck_retries",
    "healthcheck_start_period",
];

/// The keys an `[eventlistener:x]` may not have: listeners become RUNNING and stay healthy
/// through their own protocol.
const NOT_FOR_LISTENERS: [&str; 8] = [
    "ready",
    "ready_timeout",
    "ready_interval",
    "healthcheck",
    "healthcheck_interval",
    "healthcheck_timeout",
    "healthcheck_retries",
    "healthcheck_start_period",
];

/// `startretries`: a number as the reference reads it, or `unlimited` (any case), given
/// as `i64::MAX` (the caller clamps it to [`super::model::UNLIMITED_RETRIES`]).
pub(crate) fn start_retries(v: &str) -> Result<i64, String> {
    if v.trim().eq_ignore_ascii_case("unlimited") {
        return Ok(i64::MAX);
    }
    values::integer(v)
}

/// The supervision keys of section `s` for one process; `listener` for `[eventlistener:x]`.
pub(crate) fn read(
    l: &Loader,
    s: &Section,
    names: &Names,
    listener: bool,
) -> Result<Supervision, ConfigError> {
    let mut sup = Supervision::default();
    if listener {
        if let Some(e) = NOT_FOR_LISTENERS.iter().find_map(|k| s.get(k)) {
            return Err(e.error(format!(
                "an eventlistener cannot set {}: listeners become ready through their own \
                 protocol",
                e.key
            )));
        }
    } else {
        if let Some(r) = l.parsed(s, "ready", names, ready)? {
            sup.ready = r;
        }
        sup.ready_timeout = seconds(l, s, names, "ready_timeout", 0)?.unwrap_or(60);
        sup.ready_interval = seconds(l, s, names, "ready_interval", 1)?.unwrap_or(1);
        sup.health = health(l, s, names)?;
    }
    if let Some(g) = l.get(s, "depends_on", names)? {
        let mut seen = std::collections::HashSet::new();
        for name in values::list_of_strings(&g.value) {
            if !name.is_empty() && seen.insert(name.clone()) {
                sup.depends_on.push(name);
            }
        }
        if sup.depends_on.len() > MAX_DEPENDS_NAMES {
            return Err(g.err(format!(
                "depends_on lists more than {MAX_DEPENDS_NAMES} names"
            )));
        }
    }
    sup.backoff = backoff(l, s, names)?;
    sup.fatal_retry = seconds(l, s, names, "fatal_retry", 1)?;
    Ok(sup)
}

/// `ready=`: a keyword, `log:REGEX`, or a check.
fn ready(v: &str) -> Result<Ready, String> {
    let t = v.trim();
    match t.to_ascii_lowercase().as_str() {
        "startsecs" => return Ok(Ready::Startsecs),
        "notify" => return Ok(Ready::Notify),
        "exit" => return Ok(Ready::Exit),
        _ => {}
    }
    if let Some(re) = t.strip_prefix("log:") {
        return Pattern::compile(re)
            .map(Ready::Log)
            .map_err(|e| format!("invalid ready log pattern {re:?}: {e}"));
    }
    if ["tcp:", "http://", "exec:"]
        .iter()
        .any(|p| t.starts_with(p))
    {
        return Check::parse(t)
            .map(Ready::Check)
            .map_err(|e| format!("invalid ready check: {e}"));
    }
    Err(format!(
        "{t:?} is not a readiness check (startsecs, notify, tcp:HOST:PORT, \
         http://HOST:PORT/PATH, exec:COMMAND, log:REGEX or exit)"
    ))
}

/// `healthcheck=` and its settings; the settings alone are an error.
fn health(l: &Loader, s: &Section, names: &Names) -> Result<Option<Health>, ConfigError> {
    let Some(g) = l.get(s, "healthcheck", names)? else {
        if let Some(e) = HEALTH_SETTINGS.iter().find_map(|k| s.get(k)) {
            return Err(e.error(format!("{} is set but healthcheck is not", e.key)));
        }
        return Ok(None);
    };
    let check = g.parse(|v| Check::parse(v).map_err(|e| format!("invalid healthcheck: {e}")))?;
    let retries = match l.get(s, "healthcheck_retries", names)? {
        Some(g) => g.parse(|v| {
            let n = values::integer(v)?;
            if !(1..=MAX_HEALTH_RETRIES).contains(&n) {
                return Err(format!(
                    "healthcheck_retries must be from 1 to {MAX_HEALTH_RETRIES}, not {n}"
                ));
            }
            Ok(n as u32)
        })?,
        None => 3,
    };
    Ok(Some(Health {
        check,
        interval: seconds(l, s, names, "healthcheck_interval", 1)?.unwrap_or(10),
        timeout: seconds(l, s, names, "healthcheck_timeout", 1)?.unwrap_or(5),
        retries,
        start_period: seconds(l, s, names, "healthcheck_start_period", 0)?.unwrap_or(0),
    }))
}

/// The backoff policy: `Some` as soon as one of its four keys is written.
fn backoff(l: &Loader, s: &Section, names: &Names) -> Result<Option<Backoff>, ConfigError> {
    let curve = l.parsed(s, "backoff", names, curve)?;
    let max = seconds(l, s, names, "backoff_max", 0)?;
    let jitter = l.parsed(s, "backoff_jitter", names, permille)?;
    let reset = seconds(l, s, names, "backoff_reset", 0)?;
    if curve.is_none() && max.is_none() && jitter.is_none() && reset.is_none() {
        return Ok(None);
    }
    Ok(Some(Backoff {
        curve: curve.unwrap_or(Curve::Linear),
        max: max.unwrap_or(60),
        jitter_permille: jitter.unwrap_or(100),
        reset: reset.unwrap_or(60),
    }))
}

fn curve(v: &str) -> Result<Curve, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "linear" => Ok(Curve::Linear),
        "exponential" => Ok(Curve::Exponential),
        _ => Err(format!(
            "backoff must be linear or exponential, not {:?}",
            v.trim()
        )),
    }
}

/// A decimal fraction from 0 to 1 with at most three decimals, in thousandths.
fn permille(v: &str) -> Result<u32, String> {
    let t = v.trim();
    let bad = || {
        format!(
            "backoff_jitter must be a fraction from 0 to 1 with at most three decimals \
             (such as 0.1), not {t:?}"
        )
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) || frac.len() > 3 {
        return Err(bad());
    }
    let whole: u32 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let thousandths: u32 = format!("{frac:0<3}").parse().map_err(|_| bad())?;
    let n = whole
        .checked_mul(1000)
        .and_then(|w| w.checked_add(thousandths))
        .ok_or_else(bad)?;
    if n > 1000 {
        return Err(bad());
    }
    Ok(n)
}

/// A number of seconds from `min` to [`MAX_SECONDS`], if written.
fn seconds(
    l: &Loader,
    s: &Section,
    names: &Names,
    key: &str,
    min: i64,
) -> Result<Option<u64>, ConfigError> {
    l.parsed(s, key, names, |v| {
        let n = values::integer(v)?;
        if !(min..=MAX_SECONDS).contains(&n) {
            return Err(format!(
                "{key} must be from {min} to {MAX_SECONDS} seconds, not {n}"
            ));
        }
        Ok(n as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_kinds() {
        assert_eq!(ready("startsecs"), Ok(Ready::Startsecs));
        assert_eq!(ready(" notify "), Ok(Ready::Notify));
        assert_eq!(ready("exit"), Ok(Ready::Exit));
        assert_eq!(
            ready("tcp:127.0.0.1:5432"),
            Ok(Ready::Check(Check::parse("tcp:127.0.0.1:5432").unwrap()))
        );
        assert!(matches!(
            ready("http://h:1/x"),
            Ok(Ready::Check(Check::Http { .. }))
        ));
        assert!(matches!(
            ready("exec:true"),
            Ok(Ready::Check(Check::Exec { .. }))
        ));
        match ready("log:^listening on \\d+$") {
            Ok(Ready::Log(p)) => assert_eq!(p.source(), "^listening on \\d+$"),
            other => panic!("{other:?}"),
        }
        assert!(ready("tcp:nohost")
            .unwrap_err()
            .starts_with("invalid ready check: "));
        assert!(ready("log:a**")
            .unwrap_err()
            .starts_with("invalid ready log pattern"));
        assert!(ready("sometimes")
            .unwrap_err()
            .contains("is not a readiness check"));
        assert_eq!(ready("Notify"), Ok(Ready::Notify));
        assert!(ready("TCP:h:1").is_err());
    }

    #[test]
    fn start_retries_takes_unlimited() {
        assert_eq!(start_retries("UnLimited "), Ok(i64::MAX));
        assert_eq!(start_retries("5"), Ok(5));
        assert!(start_retries("forever").is_err());
    }

    #[test]
    fn jitter_in_thousandths() {
        for (v, n) in [
            ("0", 0),
            ("1", 1000),
            ("0.1", 100),
            (".25", 250),
            ("0.125", 125),
            ("1.0", 1000),
            ("1.", 1000),
        ] {
            assert_eq!(permille(v), Ok(n), "{v}");
        }
        for v in [
            "",
            ".",
            "1.5",
            "2",
            "-0.1",
            "0.1234",
            "x",
            "10%",
            "99999999999",
        ] {
            assert!(permille(v).is_err(), "{v}");
        }
    }

    #[test]
    fn curves() {
        assert_eq!(curve("Exponential"), Ok(Curve::Exponential));
        assert_eq!(curve("linear"), Ok(Curve::Linear));
        assert!(curve("quadratic").is_err());
    }
}
