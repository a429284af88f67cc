//! The handover of `supervisord --upgrade`: what the old daemon image tells the new one
//! through an inherited memory file (its descriptor number in [`ENV`]). Pure: render and
//! parse, bounded and validated; the descriptors themselves stay open across the `exec`.
//!
//! One record a line after a version line, ending with `end` (a cut-off handover is refused):
//! ```text
//! supervisor-rs handover 1
//! pid 4242
//! server 5 unix:/run/supervisor.sock
//! proc web state=20 want=up pid=4250 laststart=123456 backoff=0 start_wall=1764800000000 stdout=7 stderr=8 log1=/var/log/web.log
//! end
//! ```
//! Names and paths are escaped (`%XX` for `%`, `=`, spaces, control and non-ASCII bytes), so
//! a word never holds a space and a line never breaks.

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::fd::RawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use crate::config::model::ServerAddress;
use crate::process::machine::Want;
use crate::process::snapshot::Snapshot;
use crate::process::state::State;
use crate::time::Mono;

/// The environment variable that carries the handover's descriptor number.
pub const ENV: &str = "SUPERVISOR_RS_HANDOVER";

/// The first line; another version is refused.
pub const HEADER: &str = "supervisor-rs handover 1";

/// The largest handover written or read.
pub const MAX_BYTES: usize = 16 << 20;

/// The highest descriptor number accepted.
const MAX_FD: RawFd = 1 << 20;

/// A listening control socket kept open across the exec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedServer {
    /// Its descriptor.
    pub fd: RawFd,
    /// Its address, as [`address_key`] spells it.
    pub address: String,
}

/// One process of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedProc {
    /// `group:name`.
    pub namespec: String,
    /// Its machine.
    pub snapshot: Snapshot,
    /// Wall-clock ms of its last spawn (status uptime) and last stop.
    pub start_wall_ms: Option<u64>,
    /// Wall-clock ms of its last stop.
    pub stop_wall_ms: Option<u64>,
    /// The read ends of its stdout and stderr pipes, the write end of its stdin.
    pub stdout: Option<RawFd>,
    /// stderr's read end.
    pub stderr: Option<RawFd>,
    /// stdin's write end.
    pub stdin: Option<RawFd>,
    /// Its stdout and stderr log files (AUTO names included, so they stay the same).
    pub logs: [Option<PathBuf>; 2],
    /// The last `STATUS=` it sent on its notify socket.
    pub notify_status: Option<String>,
    /// Its `$NOTIFY_SOCKET` (`ready=notify`) while it runs.
    pub notify: Option<RawFd>,
    /// Spawns so far (they name the notify sockets).
    pub spawns: u64,
    /// `ready=log:`: the unfinished line of stdout and of stderr.
    pub ready_lines: [Vec<u8>; 2],
}

/// Everything the new image needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handover {
    /// The daemon's pid (the new image checks it is still the same process).
    pub pid: i32,
    /// The control servers.
    pub servers: Vec<HandedServer>,
    /// The processes.
    pub procs: Vec<HandedProc>,
}

/// A control server's address as one word.
pub fn address_key(a: &ServerAddress) -> String {
    match a {
        ServerAddress::Unix { file, .. } => format!("unix:{}", escape(file.as_os_str().as_bytes())),
        ServerAddress::Inet { host, port } => format!("inet:{}:{port}", escape(host.as_bytes())),
    }
}

fn escape(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for &c in b {
        if (0x21..0x7f).contains(&c) && c != b'%' && c != b'=' {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

fn unescape(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or("bad escape")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "bad escape")?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn path_word(p: &std::path::Path) -> String {
    escape(p.as_os_str().as_bytes())
}

impl Handover {
    /// The text.
    pub fn render(&self) -> String {
        let mut out = format!("{HEADER}\npid {}\n", self.pid);
        for s in &self.servers {
            out.push_str(&format!("server {} {}\n", s.fd, s.address));
        }
        for p in &self.procs {
            let s = &p.snapshot;
            out.push_str(&format!(
                "proc {} state={}",
                escape(p.namespec.as_bytes()),
                s.state.code()
            ));
            let want = match s.want {
                Want::Up => "up",
                Want::Down => "down",
            };
            out.push_str(&format!(" want={want} backoff={}", s.backoff));
            let mut num = |k: &str, v: Option<i64>| {
                if let Some(v) = v {
                    out.push_str(&format!(" {k}={v}"));
                }
            };
            num("pid", s.pid.map(i64::from));
            num("laststart", s.laststart.map(|m| m.0 as i64));
            num("laststop", s.laststop.map(|m| m.0 as i64));
            num("delay", s.delay.map(|m| m.0 as i64));
            num("running_since", s.running_since.map(|m| m.0 as i64));
            num("health_failures", Some(i64::from(s.health_failures)));
            num("unhealthy", Some(i64::from(s.unhealthy)));
            num("exitstatus", s.exitstatus.map(i64::from));
            num("start_wall", p.start_wall_ms.map(|v| v as i64));
            num("stop_wall", p.stop_wall_ms.map(|v| v as i64));
            num("stdout", p.stdout.map(i64::from));
            num("stderr", p.stderr.map(i64::from));
            num("stdin", p.stdin.map(i64::from));
            num("notify", p.notify.map(i64::from));
            num("spawns", Some(p.spawns as i64));
            for (i, l) in p.ready_lines.iter().enumerate() {
                if !l.is_empty() {
                    out.push_str(&format!(" ready{}={}", i + 1, escape(l)));
                }
            }
            for (k, v) in [
                ("spawnerr", &s.spawnerr),
                ("fail", &s.fail),
                ("probe_error", &s.probe_error),
                ("notify_status", &p.notify_status),
            ] {
                if let Some(v) = v {
                    out.push_str(&format!(" {k}={}", escape(v.as_bytes())));
                }
            }
            for (i, l) in p.logs.iter().enumerate() {
                if let Some(path) = l {
                    out.push_str(&format!(" log{}={}", i + 1, path_word(path)));
                }
            }
            out.push('\n');
        }
        out.push_str("end\n");
        out
    }

    /// Parses and validates a handover: any fault refuses it whole (with its line).
    pub fn parse(bytes: &[u8]) -> Result<Handover, String> {
        if bytes.len() > MAX_BYTES {
            return Err(format!("larger than {MAX_BYTES} bytes"));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        let mut lines = text.split_terminator('\n').enumerate();
        if lines.next().map(|(_, l)| l) != Some(HEADER) {
            return Err(format!("line 1: expected {HEADER:?}"));
        }
        let mut h = Handover::default();
        let mut fds = HashSet::new();
        let mut names = HashSet::new();
        let mut ended = false;
        let mut have_pid = false;
        for (i, line) in lines {
            let at = |e: String| format!("line {}: {e}", i + 1);
            if ended {
                return Err(at("text after `end`".into()));
            }
            let mut words = line.split(' ');
            match words.next().unwrap_or("") {
                "pid" => {
                    h.pid = number(words.next(), "pid").map_err(at)?;
                    have_pid = true;
                }
                "server" => {
                    let fd = descriptor(words.next(), &mut fds).map_err(at)?;
                    let address = words.next().ok_or_else(|| at("no address".into()))?;
                    let valid = unescape(address).is_ok()
                        && (address.starts_with("unix:/") || address.starts_with("inet:"));
                    if !valid {
                        return Err(at(format!("bad address {:?}", truncate(address))));
                    }
                    h.servers.push(HandedServer {
                        fd,
                        address: address.to_string(),
                    });
                }
                "proc" => {
                    let name = words.next().ok_or_else(|| at("no name".into()))?;
                    let p = proc_line(name, &mut words, &mut fds).map_err(at)?;
                    if !names.insert(p.namespec.clone()) {
                        return Err(at(format!("{} listed twice", p.namespec)));
                    }
                    h.procs.push(p);
                    continue;
                }
                "end" => {
                    ended = true;
                }
                other => return Err(at(format!("unknown record {:?}", truncate(other)))),
            }
            if words.next().is_some() {
                return Err(at("extra words".into()));
            }
        }
        if !ended {
            return Err("cut off (no `end`)".into());
        }
        if !have_pid {
            return Err("no pid".into());
        }
        Ok(h)
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

fn number<T: std::str::FromStr>(w: Option<&str>, what: &str) -> Result<T, String> {
    let w = w.ok_or_else(|| format!("no {what}"))?;
    if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(format!("bad {what} {:?}", truncate(w)));
    }
    w.parse()
        .map_err(|_| format!("bad {what} {:?}", truncate(w)))
}

/// A descriptor number: above stdio, bounded, and used once in the whole handover.
fn descriptor(w: Option<&str>, seen: &mut HashSet<RawFd>) -> Result<RawFd, String> {
    let fd: RawFd = number(w, "descriptor")?;
    if !(3..MAX_FD).contains(&fd) {
        return Err(format!("descriptor {fd} out of range"));
    }
    if !seen.insert(fd) {
        return Err(format!("descriptor {fd} used twice"));
    }
    Ok(fd)
}

/// An escaped text field, at most 64 KiB.
fn text(v: &str, k: &str) -> Result<String, String> {
    let t = String::from_utf8(unescape(v)?).map_err(|_| format!("{k} not UTF-8"))?;
    if t.len() > 1 << 16 {
        return Err(format!("{k} too long"));
    }
    Ok(t)
}

fn proc_line<'a>(
    name: &str,
    words: &mut impl Iterator<Item = &'a str>,
    fds: &mut HashSet<RawFd>,
) -> Result<HandedProc, String> {
    let namespec = String::from_utf8(unescape(name)?).map_err(|_| "name not UTF-8")?;
    let mut p = HandedProc {
        namespec,
        snapshot: Snapshot::never_started(),
        start_wall_ms: None,
        stop_wall_ms: None,
        stdout: None,
        stderr: None,
        stdin: None,
        logs: [None, None],
        notify_status: None,
        notify: None,
        spawns: 0,
        ready_lines: Default::default(),
    };
    let mut keys = HashSet::new();
    let (mut state, mut want) = (false, false);
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("bad field {:?}", truncate(w)))?;
        if !keys.insert(k) {
            return Err(format!("field {k} twice"));
        }
        let s = &mut p.snapshot;
        let mono = |v: &str| number::<u64>(Some(v), k).map(Mono);
        match k {
            "state" => {
                s.state = State::from_code(number(Some(v), k)?).ok_or("unknown state")?;
                state = true;
            }
            "want" => {
                s.want = match v {
                    "up" => Want::Up,
                    "down" => Want::Down,
                    _ => return Err("bad want".into()),
                };
                want = true;
            }
            "backoff" => s.backoff = number(Some(v), k)?,
            "pid" => {
                let pid: i32 = number(Some(v), k)?;
                if pid <= 0 {
                    return Err(format!("bad pid {pid}"));
                }
                s.pid = Some(pid);
            }
            "laststart" => s.laststart = Some(mono(v)?),
            "laststop" => s.laststop = Some(mono(v)?),
            "delay" => s.delay = Some(mono(v)?),
            "exitstatus" => s.exitstatus = Some(number(Some(v), k)?),
            "spawnerr" => s.spawnerr = Some(text(v, k)?),
            "fail" => s.fail = Some(text(v, k)?),
            "probe_error" => s.probe_error = Some(text(v, k)?),
            "notify_status" => p.notify_status = Some(text(v, k)?),
            "running_since" => s.running_since = Some(mono(v)?),
            "health_failures" => s.health_failures = number(Some(v), k)?,
            "unhealthy" => {
                s.unhealthy = match v {
                    "0" => false,
                    "1" => true,
                    _ => return Err("bad unhealthy".into()),
                }
            }
            "start_wall" => p.start_wall_ms = Some(number(Some(v), k)?),
            "stop_wall" => p.stop_wall_ms = Some(number(Some(v), k)?),
            "stdout" => p.stdout = Some(descriptor(Some(v), fds)?),
            "stderr" => p.stderr = Some(descriptor(Some(v), fds)?),
            "stdin" => p.stdin = Some(descriptor(Some(v), fds)?),
            "notify" => p.notify = Some(descriptor(Some(v), fds)?),
            "spawns" => p.spawns = number(Some(v), k)?,
            "ready1" | "ready2" => {
                let line = unescape(v)?;
                if line.len() > 1 << 16 {
                    return Err(format!("{k} too long"));
                }
                p.ready_lines[usize::from(k == "ready2")] = line;
            }
            "log1" | "log2" => {
                let path = PathBuf::from(OsString::from_vec(unescape(v)?));
                if !path.is_absolute() {
                    return Err(format!("{k}: not an absolute path"));
                }
                p.logs[usize::from(k == "log2")] = Some(path);
            }
            _ => return Err(format!("unknown field {:?}", truncate(k))),
        }
    }
    if !state || !want {
        return Err("state and want are required".into());
    }
    // Pipes belong to a running child (one may have closed its own).
    let has_pipes =
        p.stdout.is_some() || p.stderr.is_some() || p.stdin.is_some() || p.notify.is_some();
    if has_pipes && p.snapshot.pid.is_none() {
        return Err("pipes without a pid".into());
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Handover {
        Handover {
            pid: 42,
            servers: vec![HandedServer {
                fd: 5,
                address: address_key(&ServerAddress::Unix {
                    file: "/tmp/a b/s.sock".into(),
                    chmod: 0o700,
                    chown: None,
                }),
            }],
            procs: vec![
                HandedProc {
                    namespec: "g:web".into(),
                    snapshot: Snapshot {
                        state: State::Running,
                        want: Want::Up,
                        pid: Some(77),
                        laststart: Some(Mono(1000)),
                        laststop: None,
                        spawnerr: Some("can't find command 'x y'".into()),
                        exitstatus: Some(0),
                        backoff: 2,
                        delay: Some(Mono(5)),
                        fail: Some("unhealthy: no answer".into()),
                        running_since: Some(Mono(2000)),
                        probe_error: Some("connection refused".into()),
                        health_failures: 3,
                        unhealthy: true,
                    },
                    start_wall_ms: Some(1_764_800_000_000),
                    stop_wall_ms: None,
                    stdout: Some(7),
                    stderr: Some(8),
                    stdin: Some(9),
                    logs: [Some("/tmp/x=1 %.log".into()), None],
                    notify_status: Some("serving 3 clients".into()),
                    notify: Some(10),
                    spawns: 4,
                    ready_lines: [b"listening on 80".to_vec(), Vec::new()],
                },
                HandedProc {
                    namespec: "idle".into(),
                    snapshot: Snapshot::never_started(),
                    start_wall_ms: None,
                    stop_wall_ms: None,
                    stdout: None,
                    stderr: None,
                    stdin: None,
                    logs: [None, None],
                    notify_status: None,
                    notify: None,
                    spawns: 0,
                    ready_lines: Default::default(),
                },
            ],
        }
    }

    #[test]
    fn a_handover_round_trips() {
        let h = sample();
        let text = h.render();
        assert!(
            text.starts_with("supervisor-rs handover 1\npid 42\nserver 5 unix:/tmp/a%20b/s.sock\n")
        );
        assert!(text.contains(" log1=/tmp/x%3D1%20%25.log"), "{text}");
        assert_eq!(Handover::parse(text.as_bytes()), Ok(h));
    }

    #[test]
    fn a_bad_handover_is_refused_whole() {
        let good = sample().render();
        let cases = [
            good.replace("end\n", ""),
            good.replace("handover 1", "handover 2"),
            good.replace("stdin=9", "stdin=5"),
            good.replace("stdin=9", "stdin=2"),
            good.replace("stdin=9", "stdin=99999999"),
            good.replace("state=20", "state=21"),
            good.replace("want=up", "want=sideways"),
            good.replace("pid=77", "pid=-1"),
            good.replace(" pid=77", ""),
            good.replace("proc idle", "proc g:web"),
            good.replace("pid 42\n", ""),
            good.replace("log1=/tmp", "log1=tmp"),
            good.replace("backoff=2", "backoff=2 backoff=3"),
            good.replace("backoff=2", "colour=red"),
            good.replace("unhealthy=1", "unhealthy=2"),
            good.replace("notify=10", "notify=7"),
            good.replace("spawns=4", "spawns=x"),
            good.replace("%20b", "%2"),
            format!("{good}proc late state=0 want=down backoff=0\n"),
            good.replace("server 5", "server 5 6"),
        ];
        for bad in cases {
            assert!(Handover::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(Handover::parse(&vec![b'x'; MAX_BYTES + 1]).is_err());
        assert!(Handover::parse(b"\xff").is_err());
    }
}
