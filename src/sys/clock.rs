//! The wall clock, conversion to local time, and the host name. Formatting of these
//! values is pure and lives in `crate::time`.

use std::sync::Once;

use crate::time::Tm;

/// CLOCK_REALTIME in milliseconds since the Unix epoch.
pub fn wall_clock_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_REALTIME always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    (ts.tv_sec.max(0) as u64) * 1000 + (ts.tv_nsec as u64) / 1_000_000
}

static TZSET: Once = Once::new();

extern "C" {
    /// POSIX `tzset(3)`; the libc crate does not declare it.
    fn tzset();
}

/// `localtime_r(secs)`: broken-down local time (TZ read once, at the first call, like
/// Python's `time` module). Out-of-range inputs give the epoch.
pub fn localtime(secs: i64) -> Tm {
    // SAFETY: tzset takes no arguments; Once serialises it against itself and it runs
    // before any localtime_r of ours.
    TZSET.call_once(|| unsafe { tzset() });
    // `as _` takes whatever width time_t has on this libc (64-bit on glibc and musl >= 1.2).
    #[allow(clippy::unnecessary_cast)]
    let t = secs as _;
    // SAFETY: libc::tm is plain data; all-zero is a valid value that localtime_r fills.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live values on this frame; localtime_r is reentrant.
    let ok = !unsafe { libc::localtime_r(&t, &mut tm) }.is_null();
    if !ok {
        return Tm::default();
    }
    Tm {
        year: tm.tm_year + 1900,
        mon: (tm.tm_mon + 1) as u32,
        mday: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        min: tm.tm_min as u32,
        sec: tm.tm_sec as u32,
        wday: tm.tm_wday as u32,
        yday: tm.tm_yday as u32,
        utc_offset: tm.tm_gmtoff as i32,
    }
}

/// The node name from `uname(2)` (what Python's `socket.gethostname()` returns).
pub fn hostname() -> String {
    // SAFETY: utsname is plain data; all-zero is valid and uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a live, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return String::new();
    }
    let bytes: Vec<u8> = u
        .nodename
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_are_plausible() {
        // After 2020-01-01 in ms.
        assert!(wall_clock_ms() > 1_577_836_800_000);
        assert!(!hostname().is_empty());
    }

    #[test]
    fn localtime_fields_in_range() {
        let tm = localtime(1_700_000_000);
        assert!((2023..=2024).contains(&tm.year));
        assert!((1..=12).contains(&tm.mon));
        assert!((1..=31).contains(&tm.mday));
        assert!(tm.hour < 24 && tm.min < 60 && tm.sec < 61);
        assert!(tm.wday < 7 && tm.yday < 366);
    }
}
