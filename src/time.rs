//! Time as values. The state machine never reads a clock: the loop reads
//! [`Mono::now`] once per wake-up and passes it in, so tests drive a fake clock.
//!
//! Wall-clock text is pure too: [`Tm`] (from `sys::localtime`) goes in, the reference's
//! formats come out: [`asctime`] for log lines, [`stop_time`] and [`uptime`] for status
//! descriptions, [`syslog_stamp`] for syslog headers, [`ctime`] for web UI messages.

use std::time::Duration;

/// A point on the monotonic clock, in milliseconds since an arbitrary origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mono(pub u64);

impl Mono {
    /// Reads CLOCK_MONOTONIC.
    pub fn now() -> Mono {
        Mono(crate::sys::monotonic_ms())
    }

    /// Milliseconds.
    pub fn from_ms(ms: u64) -> Mono {
        Mono(ms)
    }

    /// Whole seconds.
    pub fn from_secs(s: u64) -> Mono {
        Mono(s.saturating_mul(1000))
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: Duration) -> Mono {
        Mono(self.0.saturating_add(d.as_millis() as u64))
    }

    /// `self + ms` milliseconds, saturating.
    pub fn plus_ms(self, ms: u64) -> Mono {
        Mono(self.0.saturating_add(ms))
    }

    /// `self + secs` seconds, saturating.
    pub fn plus_secs(self, secs: u64) -> Mono {
        Mono(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    /// The time from `earlier` to `self`, zero when `earlier` is later.
    pub fn since(self, earlier: Mono) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// Broken-down local time, as `sys::localtime` returns it. Fields use human
/// conventions: `year` is the full year, `mon` 1..=12, `mday` 1..=31, `wday` 0 = Sunday,
/// `yday` 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tm {
    /// Full year (2026).
    pub year: i32,
    /// Month, 1..=12.
    pub mon: u32,
    /// Day of the month, 1..=31.
    pub mday: u32,
    /// Hour, 0..=23.
    pub hour: u32,
    /// Minute, 0..=59.
    pub min: u32,
    /// Second, 0..=60.
    pub sec: u32,
    /// Day of the week, 0 = Sunday.
    pub wday: u32,
    /// Day of the year, 0-based.
    pub yday: u32,
    /// Seconds east of UTC in effect at that time (`tm_gmtoff`).
    pub utc_offset: i32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month_abbr(mon: u32) -> &'static str {
    MONTHS
        .get((mon as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("???")
}

/// `2026-11-23{sep}18:59:26{frac}288`: the date and time both stamps share.
fn date_time(tm: &Tm, sep: char, frac: char, ms: u32) -> String {
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}{frac}{:03}",
        tm.year,
        tm.mon,
        tm.mday,
        tm.hour,
        tm.min,
        tm.sec,
        ms.min(999)
    )
}

/// The activity log's timestamp: `2026-11-23 18:59:26,288` (`ms` is 0..=999).
pub fn asctime(tm: &Tm, ms: u32) -> String {
    date_time(tm, ' ', ',', ms)
}

/// ISO 8601 local time with milliseconds and the numeric UTC offset, the child-log line
/// stamp: `2026-12-04T18:15:27.123+01:00` (`ms` is 0..=999; an offset with seconds, which
/// only historical zones have, is cut to minutes).
pub fn iso8601_ms(tm: &Tm, ms: u32) -> String {
    let sign = if tm.utc_offset < 0 { '-' } else { '+' };
    let off = tm.utc_offset.unsigned_abs();
    format!(
        "{}{sign}{:02}:{:02}",
        date_time(tm, 'T', '.', ms),
        off / 3600,
        off % 3600 / 60
    )
}

/// The stop time in status descriptions, strftime `%b %d %I:%M %p` in the C locale:
/// `Nov 23 06:59 PM`.
pub fn stop_time(tm: &Tm) -> String {
    let h12 = match tm.hour % 12 {
        0 => 12,
        h => h,
    };
    let ampm = if tm.hour < 12 { "AM" } else { "PM" };
    format!(
        "{} {:02} {:02}:{:02} {}",
        month_abbr(tm.mon),
        tm.mday,
        h12,
        tm.min,
        ampm
    )
}

/// The syslog header timestamp glibc's `syslog(3)` writes, strftime `%h %e %T`:
/// `Nov  3 09:04:05` (day padded with a space).
pub fn syslog_stamp(tm: &Tm) -> String {
    format!(
        "{} {:>2} {:02}:{:02}:{:02}",
        month_abbr(tm.mon),
        tm.mday,
        tm.hour,
        tm.min,
        tm.sec
    )
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Python's `time.ctime()` (C `asctime` layout, day padded with a space):
/// `Fri Dec  4 21:30:00 2026`. The web UI stamps "All stopped at ..." with it.
pub fn ctime(tm: &Tm) -> String {
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        WEEKDAYS.get(tm.wday as usize).copied().unwrap_or("???"),
        month_abbr(tm.mon),
        tm.mday,
        tm.hour,
        tm.min,
        tm.sec,
        tm.year
    )
}

/// Python's `str(datetime.timedelta(seconds=secs))`: `0:00:13`, `1 day, 2:03:04`,
/// `3 days, 0:00:01`.
pub fn uptime(secs: u64) -> String {
    let mut out = String::new();
    write_uptime(&mut out, secs);
    out
}

/// [`uptime`], appended to `out`.
pub fn write_uptime(out: &mut String, secs: u64) {
    use std::fmt::Write;
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let _ = match days {
        0 => Ok(()),
        1 => out.write_str("1 day, "),
        d => write!(out, "{d} days, "),
    };
    let _ = write!(
        out,
        "{}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tm(year: i32, mon: u32, mday: u32, hour: u32, min: u32, sec: u32) -> Tm {
        Tm {
            year,
            mon,
            mday,
            hour,
            min,
            sec,
            ..Tm::default()
        }
    }

    #[test]
    fn asctime_format() {
        let cases = [
            (tm(2026, 11, 23, 18, 59, 26), 288, "2026-11-23 18:59:26,288"),
            (tm(2026, 1, 2, 3, 4, 5), 7, "2026-01-02 03:04:05,007"),
            (tm(999, 12, 31, 23, 59, 60), 0, "0999-12-31 23:59:60,000"),
        ];
        for (t, ms, want) in cases {
            assert_eq!(asctime(&t, ms), want);
        }
    }

    #[test]
    fn iso8601_format() {
        let at = |utc_offset| Tm {
            utc_offset,
            ..tm(2026, 12, 4, 18, 15, 27)
        };
        let cases = [
            (3600, 123, "2026-12-04T18:15:27.123+01:00"),
            (0, 0, "2026-12-04T18:15:27.000+00:00"),
            (-5 * 3600, 7, "2026-12-04T18:15:27.007-05:00"),
            (5 * 3600 + 45 * 60, 999, "2026-12-04T18:15:27.999+05:45"),
            (-(3 * 3600 + 30 * 60), 5000, "2026-12-04T18:15:27.999-03:30"),
            // Amsterdam's LMT was +00:19:32: seconds are dropped.
            (19 * 60 + 32, 1, "2026-12-04T18:15:27.001+00:19"),
        ];
        for (off, ms, want) in cases {
            assert_eq!(iso8601_ms(&at(off), ms), want, "{off}");
        }
    }

    #[test]
    fn stop_time_format() {
        let cases = [
            (tm(2026, 11, 23, 18, 59, 0), "Nov 23 06:59 PM"),
            (tm(2026, 1, 5, 0, 7, 0), "Jan 05 12:07 AM"),
            (tm(2026, 6, 15, 12, 0, 0), "Jun 15 12:00 PM"),
            (tm(2026, 12, 31, 11, 59, 0), "Dec 31 11:59 AM"),
        ];
        for (t, want) in cases {
            assert_eq!(stop_time(&t), want);
        }
    }

    #[test]
    fn syslog_stamp_format() {
        assert_eq!(syslog_stamp(&tm(2026, 11, 3, 9, 4, 5)), "Nov  3 09:04:05");
        assert_eq!(syslog_stamp(&tm(2026, 2, 23, 20, 34, 8)), "Feb 23 20:34:08");
    }

    #[test]
    fn ctime_format() {
        let t = Tm {
            wday: 5,
            ..tm(2026, 12, 4, 21, 30, 0)
        };
        assert_eq!(ctime(&t), "Fri Dec  4 21:30:00 2026");
        let t = Tm {
            wday: 0,
            ..tm(2027, 1, 17, 9, 5, 7)
        };
        assert_eq!(ctime(&t), "Sun Jan 17 09:05:07 2027");
    }

    #[test]
    fn uptime_format() {
        let cases = [
            (0, "0:00:00"),
            (13, "0:00:13"),
            (3600 * 10 + 61, "10:01:01"),
            (86_399, "23:59:59"),
            (86_400, "1 day, 0:00:00"),
            (86_400 + 2 * 3600 + 3 * 60 + 4, "1 day, 2:03:04"),
            (3 * 86_400 + 1, "3 days, 0:00:01"),
            (400 * 86_400, "400 days, 0:00:00"),
        ];
        for (secs, want) in cases {
            assert_eq!(uptime(secs), want, "{secs}");
        }
    }

    #[test]
    fn mono_arithmetic() {
        let t = Mono::from_secs(2);
        assert_eq!(t.plus_secs(3), Mono(5000));
        assert_eq!(Mono(5000).since(t), Duration::from_secs(3));
        assert_eq!(t.since(Mono(5000)), Duration::ZERO);
    }
}
