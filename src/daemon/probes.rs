//! Readiness and health probes at run time, driven by the loop without ever blocking it:
//! a `tcp:` check is a non-blocking connect, an `http://` check that connect plus a bounded
//! HTTP/1.0 GET (`probe::http`), an `exec:` check a child of ours run with the program's
//! user, environment and directory, killed at its timeout. Each probed process has one slot:
//! what it is probed for, when the next probe is due, and the probe under way.
//!
//! The part knows nothing of the machines: [`Probes::sync`] is told which processes want
//! which probe, and every finished probe comes back as a [`Finished`] for the supervisor to
//! feed (`Input::Ready`/`NotReady` while STARTING, `Input::Health` while RUNNING).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::daemon::io::{Io, Key, Source};
use crate::daemon::procs::ProcId;
use crate::probe::check::Check;
use crate::probe::http;
use crate::process::machine::Pid;
use crate::process::wait_status::WaitStatus;
use crate::sys;
use crate::sys::poller::Interest;
use crate::time::Mono;

/// How long one readiness probe may take (a health probe has `healthcheck_timeout`).
pub const READY_PROBE_TIMEOUT_SECS: u64 = 5;

/// Bytes of an `exec:` probe's output kept for the failure line.
const EXEC_TAIL: usize = 200;

/// What a probe is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Readiness while STARTING.
    Ready,
    /// Health while RUNNING.
    Health,
}

/// What a process wants probed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// Why.
    pub purpose: Purpose,
    /// The instance probed (its pid): a new instance starts a new slot.
    pub pid: Pid,
    /// The check.
    pub check: Check,
    /// Seconds between the end of one probe and the start of the next.
    pub interval: u64,
    /// Seconds one probe may take.
    pub timeout: u64,
    /// When the first probe is due.
    pub first_at: Mono,
}

/// A probe that ended: whose, for what, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The probed process.
    pub proc: ProcId,
    /// What it was for.
    pub purpose: Purpose,
    /// `Ok(how it passed)` or `Err(how it failed)`.
    pub result: Result<String, String>,
}

#[derive(Debug)]
enum Running {
    /// A `tcp:` or `http://` check: the socket is in `Io`.
    Connect {
        key: Key,
        deadline: Mono,
        /// For `http://`: the request and the answer so far.
        http: Option<Exchange>,
    },
    /// An `exec:` check.
    Exec {
        pid: Pid,
        deadline: Mono,
        output: Option<Key>,
        tail: Vec<u8>,
        killed: bool,
    },
}

#[derive(Debug)]
struct Exchange {
    request: Vec<u8>,
    sent: usize,
    connected: bool,
    answer: Vec<u8>,
}

#[derive(Debug)]
struct Slot {
    want: Want,
    next_at: Mono,
    running: Option<Running>,
}

impl Slot {
    fn due(&self) -> Option<Mono> {
        match &self.running {
            Some(Running::Connect { deadline, .. }) => Some(*deadline),
            // A killed probe waits for its reap, not for a time.
            Some(Running::Exec { killed: true, .. }) => None,
            Some(Running::Exec { deadline, .. }) => Some(*deadline),
            None => Some(self.next_at),
        }
    }
}

/// Starts an `exec:` probe: the spawn plan of the program with the probe's command. Given by
/// the supervisor, which owns the spawner.
pub type ExecStart<'a> = &'a mut dyn FnMut(ProcId, &str) -> Result<(Pid, std::fs::File), String>;

/// Every probe slot.
#[derive(Debug, Default)]
pub struct Probes {
    slots: HashMap<ProcId, Slot>,
    /// Exec probe pids, so a reap finds its slot.
    execs: HashMap<Pid, ProcId>,
    /// Exec probes whose process no longer wants them: killed, waiting for their reap.
    orphans: Vec<Pid>,
}

impl Probes {
    /// Sets what `proc` wants probed (`None`: nothing), cancelling a probe that no longer
    /// applies.
    pub fn sync(&mut self, proc: ProcId, want: Option<Want>, io: &mut Io) {
        if let Some(slot) = self.slots.get(&proc) {
            if want.as_ref() == Some(&slot.want) {
                return;
            }
        }
        if let Some(slot) = self.slots.remove(&proc) {
            self.cancel(slot, io);
        }
        if let Some(want) = want {
            let next_at = want.first_at;
            self.slots.insert(
                proc,
                Slot {
                    want,
                    next_at,
                    running: None,
                },
            );
        }
    }

    /// The processes that have a slot.
    pub fn procs(&self) -> Vec<ProcId> {
        self.slots.keys().copied().collect()
    }

    /// The earliest time a probe starts or times out.
    pub fn deadline(&self) -> Option<Mono> {
        self.slots.values().filter_map(Slot::due).min()
    }

    /// Starts the probes that are due and times out those past their deadline.
    pub fn run(&mut self, now: Mono, io: &mut Io, exec: ExecStart<'_>) -> Vec<Finished> {
        let mut done = Vec::new();
        let due: Vec<ProcId> = self
            .slots
            .iter()
            .filter(|(_, s)| s.due().is_some_and(|d| d <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(slot) = self.slots.get_mut(&id) else {
                continue;
            };
            match slot.running.take() {
                None => match start(slot, id, now, io, exec) {
                    Err(why) => done.push(self.finish(id, Err(why), now, io)),
                    Ok(()) => {
                        if let Some(pid) = running_exec(slot) {
                            self.execs.insert(pid, id);
                        }
                    }
                },
                Some(Running::Connect { key, .. }) => {
                    io.remove(key);
                    let secs = slot.want.timeout;
                    done.push(self.finish(id, Err(format!("timed out after {secs} s")), now, io));
                }
                Some(Running::Exec {
                    pid, output, tail, ..
                }) => {
                    // Killed with its process group; the reap ends it.
                    let _ = sys::killpg(pid, libc::SIGKILL);
                    slot.running = Some(Running::Exec {
                        pid,
                        deadline: now,
                        output,
                        tail,
                        killed: true,
                    });
                }
            }
        }
        done
    }

    /// A probe's socket or pipe is ready.
    pub fn io_ready(&mut self, key: Key, now: Mono, io: &mut Io) -> Option<Finished> {
        let proc = match io.get(key) {
            Some(Source::Probe { proc, .. }) => *proc,
            _ => return None,
        };
        let slot = self.slots.get_mut(&proc)?;
        let result = match slot.running.as_mut()? {
            Running::Connect { key: k, http, .. } if *k == key => {
                let check = &slot.want.check;
                match http {
                    None => {
                        Some(connected(io, key).map(|()| format!("{check} accepted a connection")))
                    }
                    Some(x) => exchange(x, io, key)
                        .map(|r| r.map(|code| format!("{check} answered {code}"))),
                }
            }
            Running::Exec { output, tail, .. } if *output == Some(key) => {
                read_tail(io, key, tail, output);
                None
            }
            _ => None,
        }?;
        if let Some(Running::Connect { key, .. }) = slot.running.take() {
            io.remove(key);
        }
        Some(self.finish(proc, result, now, io))
    }

    /// Whether `pid` was an exec probe; its result if its process still wants it.
    pub fn exited(
        &mut self,
        pid: Pid,
        status: &WaitStatus,
        now: Mono,
        io: &mut Io,
    ) -> Option<Option<Finished>> {
        if let Some(i) = self.orphans.iter().position(|&p| p == pid) {
            self.orphans.swap_remove(i);
            return Some(None);
        }
        let proc = self.execs.remove(&pid)?;
        let Some(slot) = self.slots.get_mut(&proc) else {
            return Some(None);
        };
        let Some(Running::Exec {
            pid: running,
            output,
            mut tail,
            killed,
            ..
        }) = slot.running.take()
        else {
            return Some(None);
        };
        if running != pid {
            return Some(None);
        }
        if let Some(key) = output {
            let mut out = Some(key);
            read_tail(io, key, &mut tail, &mut out);
            if out.is_some() {
                io.remove(key);
            }
        }
        let check = slot.want.check.clone();
        let secs = slot.want.timeout;
        let result = match (killed, status) {
            (true, _) => Err(format!("timed out after {secs} s")),
            (false, WaitStatus::Exited(0)) => Ok(format!("{check} exited 0")),
            (false, other) => {
                let text = String::from_utf8_lossy(&tail);
                let last = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                if last.is_empty() {
                    Err(other.describe())
                } else {
                    Err(format!("{}: {}", other.describe(), last.trim()))
                }
            }
        };
        Some(Some(self.finish(proc, result, now, io)))
    }

    /// Forgets `proc` (removed, or not probed any more).
    pub fn forget(&mut self, proc: ProcId, io: &mut Io) {
        if let Some(slot) = self.slots.remove(&proc) {
            self.cancel(slot, io);
        }
    }

    fn finish(
        &mut self,
        proc: ProcId,
        result: Result<String, String>,
        now: Mono,
        io: &mut Io,
    ) -> Finished {
        let left = self.slots.get_mut(&proc).and_then(|s| s.running.take());
        if let Some(r) = left {
            self.orphan(r, io);
        }
        let purpose = match self.slots.get_mut(&proc) {
            Some(slot) => {
                slot.next_at = now.plus_secs(slot.want.interval.max(1));
                slot.want.purpose
            }
            None => Purpose::Ready,
        };
        Finished {
            proc,
            purpose,
            result,
        }
    }

    fn cancel(&mut self, slot: Slot, io: &mut Io) {
        if let Some(r) = slot.running {
            self.orphan(r, io);
        }
    }

    fn orphan(&mut self, r: Running, io: &mut Io) {
        match r {
            Running::Connect { key, .. } => io.remove(key),
            Running::Exec {
                pid,
                output,
                killed,
                ..
            } => {
                if let Some(key) = output {
                    io.remove(key);
                }
                if !killed {
                    let _ = sys::killpg(pid, libc::SIGKILL);
                }
                self.execs.remove(&pid);
                self.orphans.push(pid);
            }
        }
    }
}

fn running_exec(slot: &Slot) -> Option<Pid> {
    match slot.running {
        Some(Running::Exec { pid, .. }) => Some(pid),
        _ => None,
    }
}

/// Starts the slot's probe; an error is the probe failing at once.
fn start(
    slot: &mut Slot,
    proc: ProcId,
    now: Mono,
    io: &mut Io,
    exec: ExecStart<'_>,
) -> Result<(), String> {
    let deadline = now.plus_secs(slot.want.timeout.max(1));
    let (host, port, path) = match &slot.want.check {
        Check::Exec { command } => {
            let (pid, file) = exec(proc, command)?;
            let output = io.add(Source::Probe { proc, file }, Interest::READ).ok();
            slot.running = Some(Running::Exec {
                pid,
                deadline,
                output,
                tail: Vec::new(),
                killed: false,
            });
            return Ok(());
        }
        Check::Tcp { host, port } => (host, *port, None),
        Check::Http { host, port, path } => (host, *port, Some(path)),
    };
    let addr = resolve(host, port)?;
    let fd = sys::socket::connect_nonblocking(&addr).map_err(|e| describe_io(&e))?;
    let file = std::fs::File::from(fd);
    let key = io
        .add(Source::Probe { proc, file }, Interest::WRITE)
        .map_err(|e| describe_io(&e))?;
    slot.running = Some(Running::Connect {
        key,
        deadline,
        http: path.map(|p| Exchange {
            request: http::request(host, port, p),
            sent: 0,
            connected: false,
            answer: Vec::new(),
        }),
    });
    Ok(())
}

/// The connect's outcome once the socket is writable.
fn connected(io: &mut Io, key: Key) -> Result<(), String> {
    match io.get(key) {
        Some(Source::Probe { file, .. }) => {
            sys::socket::connect_result(file).map_err(|e| describe_io(&e))
        }
        _ => Err("probe socket gone".into()),
    }
}

/// Drives an HTTP exchange: connect, send the request, read the status line. `None` while
/// under way.
fn exchange(x: &mut Exchange, io: &mut Io, key: Key) -> Option<Result<u16, String>> {
    if !x.connected {
        if let Err(e) = connected(io, key) {
            return Some(Err(e));
        }
        x.connected = true;
    }
    let Some(Source::Probe { file, .. }) = io.get_mut(key) else {
        return Some(Err("probe socket gone".into()));
    };
    while x.sent < x.request.len() {
        match file.write(&x.request[x.sent..]) {
            Ok(n) => x.sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return None,
            Err(e) => return Some(Err(describe_io(&e))),
        }
    }
    let mut buf = [0u8; 512];
    loop {
        match file.read(&mut buf) {
            Ok(0) => {
                return Some(match http::verdict(&x.answer) {
                    http::Verdict::Status(c) => status(c),
                    http::Verdict::Invalid(e) => Err(e),
                    http::Verdict::Incomplete => Err("connection closed without an answer".into()),
                })
            }
            Ok(n) => {
                let room = http::MAX_STATUS_LINE.saturating_sub(x.answer.len());
                x.answer.extend_from_slice(&buf[..n.min(room)]);
                match http::verdict(&x.answer) {
                    http::Verdict::Incomplete => continue,
                    http::Verdict::Status(c) => return Some(status(c)),
                    http::Verdict::Invalid(e) => return Some(Err(e)),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                io.set_interest(key, Interest::READ);
                return None;
            }
            Err(e) => return Some(Err(describe_io(&e))),
        }
    }
}

fn status(code: u16) -> Result<u16, String> {
    if (200..300).contains(&code) {
        Ok(code)
    } else {
        Err(format!("status {code}"))
    }
}

/// Reads what an exec probe wrote, keeping its last [`EXEC_TAIL`] bytes; a closed pipe is
/// removed.
fn read_tail(io: &mut Io, key: Key, tail: &mut Vec<u8>, output: &mut Option<Key>) {
    let mut buf = [0u8; 1024];
    for _ in 0..64 {
        let Some(Source::Probe { file, .. }) = io.get_mut(key) else {
            *output = None;
            return;
        };
        match file.read(&mut buf) {
            Ok(0) => {
                io.remove(key);
                *output = None;
                return;
            }
            Ok(n) => {
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > EXEC_TAIL {
                    tail.drain(..tail.len() - EXEC_TAIL);
                }
            }
            Err(_) => return,
        }
    }
}

/// `connection refused` rather than `Connection refused (os error 111)`.
fn describe_io(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => sys::strerror(code).to_lowercase(),
        None => e.to_string(),
    }
}

/// A host's address without a DNS query (which would block the loop): an address, `localhost`,
/// or a name in `/etc/hosts`.
pub fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    let hosts = read_hosts();
    hosts_lookup(&hosts, host)
        .map(|ip| SocketAddr::new(ip, port))
        .ok_or_else(|| format!("cannot resolve {host} (use an address or an /etc/hosts name)"))
}

fn read_hosts() -> String {
    let mut text = String::new();
    if let Ok(f) = std::fs::File::open("/etc/hosts") {
        let _ = f.take(256 * 1024).read_to_string(&mut text);
    }
    text
}

/// The first address `/etc/hosts` text gives `name`.
fn hosts_lookup(hosts: &str, name: &str) -> Option<IpAddr> {
    hosts.lines().find_map(|line| {
        let line = line.split('#').next()?;
        let mut words = line.split_whitespace();
        let ip = words.next()?.parse::<IpAddr>().ok()?;
        words.any(|w| w.eq_ignore_ascii_case(name)).then_some(ip)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_without_dns() {
        assert_eq!(
            resolve("127.0.0.1", 80).unwrap(),
            "127.0.0.1:80".parse().unwrap()
        );
        assert_eq!(resolve("::1", 80).unwrap(), "[::1]:80".parse().unwrap());
        assert_eq!(
            resolve("LocalHost", 5432).unwrap(),
            "127.0.0.1:5432".parse().unwrap()
        );
        let hosts = "# c\n10.0.0.5  db db.internal # primary\n::1 ip6-localhost\n";
        assert_eq!(hosts_lookup(hosts, "db.internal"), "10.0.0.5".parse().ok());
        assert_eq!(hosts_lookup(hosts, "primary"), None);
        assert!(resolve("no-such-host.invalid", 1).is_err());
    }

    #[test]
    fn only_2xx_passes() {
        assert_eq!(status(204), Ok(204));
        assert_eq!(status(301), Err("status 301".into()));
        assert_eq!(status(500), Err("status 500".into()));
    }
}
