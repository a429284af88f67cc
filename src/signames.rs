//! Signal names and numbers (Linux), shared by the config parser (`stopsignal=`), the log
//! messages (`terminated by SIGTERM`) and the control protocol (`signal HUP web`).

/// (number, name without `SIG`) for every signal a user can name.
const TABLE: &[(i32, &str)] = &[
    (libc::SIGHUP, "HUP"),
    (libc::SIGINT, "INT"),
    (libc::SIGQUIT, "QUIT"),
    (libc::SIGILL, "ILL"),
    (libc::SIGTRAP, "TRAP"),
    (libc::SIGABRT, "ABRT"),
    (libc::SIGBUS, "BUS"),
    (libc::SIGFPE, "FPE"),
    (libc::SIGKILL, "KILL"),
    (libc::SIGUSR1, "USR1"),
    (libc::SIGSEGV, "SEGV"),
    (libc::SIGUSR2, "USR2"),
    (libc::SIGPIPE, "PIPE"),
    (libc::SIGALRM, "ALRM"),
    (libc::SIGTERM, "TERM"),
    (libc::SIGSTKFLT, "STKFLT"),
    (libc::SIGCHLD, "CHLD"),
    (libc::SIGCONT, "CONT"),
    (libc::SIGSTOP, "STOP"),
    (libc::SIGTSTP, "TSTP"),
    (libc::SIGTTIN, "TTIN"),
    (libc::SIGTTOU, "TTOU"),
    (libc::SIGURG, "URG"),
    (libc::SIGXCPU, "XCPU"),
    (libc::SIGXFSZ, "XFSZ"),
    (libc::SIGVTALRM, "VTALRM"),
    (libc::SIGPROF, "PROF"),
    (libc::SIGWINCH, "WINCH"),
    (libc::SIGIO, "IO"),
    (libc::SIGPWR, "PWR"),
    (libc::SIGSYS, "SYS"),
    (34, "RTMIN"),
    (64, "RTMAX"),
];

/// Aliases Python's `signal` module also knows.
const ALIASES: &[(i32, &str)] = &[
    (libc::SIGIOT, "IOT"),
    (libc::SIGCHLD, "CLD"),
    (libc::SIGPOLL, "POLL"),
];

/// The name of signal `n` with the `SIG` prefix (`SIGTERM`), as Python's
/// `signal.Signals(n).name` prints it; `None` for a number Python does not name.
pub fn name(n: i32) -> Option<String> {
    TABLE
        .iter()
        .find(|(num, _)| *num == n)
        .map(|(_, nm)| format!("SIG{nm}"))
}

/// The reference's `signame()`: `SIGTERM`, or `signal N` for an unnamed number.
pub fn signame(n: i32) -> String {
    name(n).unwrap_or_else(|| format!("signal {n}"))
}

/// The short name (`TERM`) used in config dumps; `signal N` for unnamed numbers.
pub fn short_name(n: i32) -> String {
    match name(n) {
        Some(s) => s.trim_start_matches("SIG").to_string(),
        None => format!("signal {n}"),
    }
}

/// Parses a signal given as a name (`TERM`, `SIGTERM`, any case) or a number. Returns the
/// reference's error text (`value 'X' is not a valid signal name|number`) otherwise.
pub fn parse(s: &str) -> Result<i32, String> {
    parse_opt(s).ok_or_else(|| {
        let kind = if s.trim().parse::<i64>().is_ok() {
            "number"
        } else {
            "name"
        };
        format!(
            "value {} is not a valid signal {kind}",
            crate::pyrepr::str_repr(s)
        )
    })
}

fn parse_opt(s: &str) -> Option<i32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i32>() {
        // 0 is accepted as a number (the reference takes `stopsignal=0`).
        return if n == 0 || name(n).is_some() {
            Some(n)
        } else {
            None
        };
    }
    let up = t.to_ascii_uppercase();
    let bare = up.strip_prefix("SIG").unwrap_or(&up);
    TABLE
        .iter()
        .chain(ALIASES.iter())
        .find(|(_, nm)| *nm == bare)
        .map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        assert_eq!(parse("TERM"), Ok(15));
        assert_eq!(parse("sigterm"), Ok(15));
        assert_eq!(parse("SigHup"), Ok(1));
        assert_eq!(parse("9"), Ok(9));
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("IOT"), Ok(6));
        assert_eq!(parse("RTMIN"), Ok(34));
        assert_eq!(
            parse("FOO").unwrap_err(),
            "value 'FOO' is not a valid signal name"
        );
        assert_eq!(
            parse("99").unwrap_err(),
            "value '99' is not a valid signal number"
        );
        assert_eq!(
            parse("35").unwrap_err(),
            "value '35' is not a valid signal number"
        );
        assert_eq!(name(15).as_deref(), Some("SIGTERM"));
        assert_eq!(signame(35), "signal 35");
        assert_eq!(short_name(2), "INT");
        assert_eq!(short_name(0), "signal 0");
    }
}
