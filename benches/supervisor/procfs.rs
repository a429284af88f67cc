//! Counters read from `/proc` (resident memory, CPU time, context switches) and the cleanup
//! that finds every process this run started, by a marker in its environment, and kills it.

use std::fs;
use std::io;

/// Environment variable set on every process the harness starts; children inherit it, so a
/// `/proc/*/environ` scan finds them even after they were re-parented to init.
pub const MARK_VAR: &str = "SUPERVISOR_RS_BENCH";

/// `SIGKILL` and `SIGTERM` on Linux.
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;

/// Resident set size of `pid`, in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> io::Result<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status_field(&text, "VmRSS:").ok_or_else(|| io::Error::other("no VmRSS"))
}

fn status_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// Thread ids of `pid`.
fn tasks(pid: u32) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
        out.push(entry?.file_name().to_string_lossy().into_owned());
    }
    Ok(out)
}

/// Voluntary plus involuntary context switches of all threads of `pid`.
pub fn ctxt_switches(pid: u32) -> io::Result<u64> {
    let mut sum = 0;
    for tid in tasks(pid)? {
        let text = fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))?;
        sum += status_field(&text, "voluntary_ctxt_switches:").unwrap_or(0);
        sum += status_field(&text, "nonvoluntary_ctxt_switches:").unwrap_or(0);
    }
    Ok(sum)
}

/// CPU time used by all threads of `pid` (not its children), in nanoseconds. Uses the
/// nanosecond `schedstat` when the kernel has it, else `utime+stime` of `stat` (10 ms ticks).
pub fn cpu_ns(pid: u32) -> io::Result<u64> {
    let mut sum = 0;
    for tid in tasks(pid)? {
        match fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")) {
            Ok(text) => {
                sum += text
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            }
            Err(_) => return stat_cpu_ns(pid),
        }
    }
    Ok(sum)
}

/// `utime + stime` from `/proc/PID/stat`, assuming the usual 100 ticks per second.
fn stat_cpu_ns(pid: u32) -> io::Result<u64> {
    stat_ticks_ns(&format!("/proc/{pid}/stat"), 11)
}

/// CPU time of our reaped children (`cutime + cstime` of `/proc/self/stat`), ns, in 10 ms
/// ticks.
pub fn children_cpu_ns() -> io::Result<u64> {
    stat_ticks_ns("/proc/self/stat", 13)
}

/// The sum of the two tick fields at `first` and `first + 1` (counted from the state
/// field) of a stat file, in ns.
fn stat_ticks_ns(path: &str, first: usize) -> io::Result<u64> {
    let text = fs::read_to_string(path)?;
    // Fields after the parenthesised command name: index 0 is field 3 (state), so utime
    // and stime (fields 14, 15) are at 11 and 12, cutime and cstime at 13 and 14.
    let rest = text
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| io::Error::other("bad stat"))?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Ok((tick(first) + tick(first + 1)) * 10_000_000)
}

/// Whether the kernel gives nanosecond CPU times (`/proc/PID/schedstat`).
pub fn has_schedstat() -> bool {
    fs::metadata("/proc/self/schedstat").is_ok()
}

/// Pids whose environment holds `MARK_VAR=value` for a `value` accepted by `pick`.
fn marked(pick: &dyn Fn(&str) -> bool) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    let prefix = format!("{MARK_VAR}=");
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(env) = fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let hit = env.split(|b| *b == 0).any(|kv| {
            std::str::from_utf8(kv)
                .ok()
                .and_then(|kv| kv.strip_prefix(&prefix))
                .is_some_and(pick)
        });
        if hit {
            out.push(pid);
        }
    }
    out
}

/// SIGKILLs every process carrying this run's marker. Returns how many were found.
pub fn kill_marked(mark: &str) -> usize {
    let pids = marked(&|v| v == mark);
    for pid in &pids {
        let _ = supervisor::sys::proc::kill(*pid as i32, SIGKILL);
    }
    pids.len()
}

/// SIGKILLs processes left by an earlier run whose harness is gone (its pid is the mark).
pub fn kill_stale() -> usize {
    let pids = marked(&|v| {
        v.parse::<u32>()
            .is_ok_and(|p| fs::metadata(format!("/proc/{p}")).is_err())
    });
    for pid in &pids {
        let _ = supervisor::sys::proc::kill(*pid as i32, SIGKILL);
    }
    pids.len()
}

/// Filesystem type of the mount holding `path` (longest mount-point prefix in /proc/mounts).
pub fn fs_type(path: &std::path::Path) -> String {
    let Ok(mounts) = fs::read_to_string("/proc/mounts") else {
        return "?".into();
    };
    let p = path.to_string_lossy();
    let mut best = ("", "?");
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        let mp = f[1];
        let under = p == mp || mp == "/" || p.starts_with(&format!("{mp}/"));
        if under && mp.len() >= best.0.len() {
            best = (mp, f[2]);
        }
    }
    best.1.to_string()
}

/// The 1-minute load average.
pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}
