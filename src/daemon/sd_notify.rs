//! `sd_notify`, written by us: the policy of [`super::notify`] sent as datagrams to
//! `$NOTIFY_SOCKET` (an abstract name when it starts with `@`, else a path). The socket is
//! non-blocking and close-on-exec; a send that fails is dropped, and the first failure is
//! logged once at DEBUG. Without `$NOTIFY_SOCKET` everything here is a no-op and there is no
//! watchdog deadline.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

use crate::daemon::notify::{watchdog_period, Message, Notify};
use crate::logfile::activity::Logger;
use crate::process::state::State;
use crate::sys;
use crate::time::Mono;

/// The socket and where it sends.
#[derive(Debug)]
struct Target {
    sock: UnixDatagram,
    addr: SocketAddr,
    /// A send failed already (logged once).
    failed: bool,
}

/// What the daemon tells systemd, across restarts.
#[derive(Debug)]
pub struct Notifier {
    target: Option<Target>,
    policy: Notify,
}

impl Notifier {
    /// Nobody listens.
    pub fn off() -> Notifier {
        Notifier {
            target: None,
            policy: Notify::new(None, Mono::now()),
        }
    }

    /// From `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID`.
    pub fn from_env(log: &mut Logger) -> Notifier {
        let Some(path) = std::env::var_os("NOTIFY_SOCKET").filter(|p| !p.is_empty()) else {
            return Notifier::off();
        };
        let target = match open(path.as_bytes()) {
            Ok(t) => t,
            Err(e) => {
                log.debug(&format!(
                    "sd_notify: cannot use NOTIFY_SOCKET {path:?}: {e}"
                ));
                return Notifier::off();
            }
        };
        let usec = std::env::var("WATCHDOG_USEC").ok();
        let pid = std::env::var("WATCHDOG_PID").ok();
        let period = watchdog_period(usec.as_deref(), pid.as_deref(), sys::getpid());
        Notifier {
            target: Some(target),
            policy: Notify::new(period, Mono::now()),
        }
    }

    /// Whether `$NOTIFY_SOCKET` is in use.
    pub fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// `READY=1`: the autostart programs are spawned.
    pub fn ready(&mut self, log: &mut Logger) {
        let m = self.policy.ready();
        self.send(m, log);
    }

    /// `RELOADING=1`: a restart with a loaded config begins.
    pub fn reloading(&mut self, log: &mut Logger) {
        let m = self.policy.reloading(sys::monotonic_us());
        self.send(m, log);
    }

    /// `STOPPING=1`: shutdown begins.
    pub fn stopping(&mut self, log: &mut Logger) {
        let m = self.policy.stopping();
        self.send(m, log);
    }

    /// `STATUS=` when the summary of `states` changed.
    pub fn status(&mut self, states: impl IntoIterator<Item = State>, log: &mut Logger) {
        if self.enabled() {
            let m = self.policy.status(states);
            self.send(m, log);
        }
    }

    /// `WATCHDOG=1` when it is due.
    pub fn fire(&mut self, now: Mono, log: &mut Logger) {
        let m = self.policy.due(now);
        self.send(m, log);
    }

    /// The next watchdog time; `None` without a watchdog.
    pub fn deadline(&self) -> Option<Mono> {
        self.target.as_ref().and(self.policy.deadline())
    }

    fn send(&mut self, msg: Option<Message>, log: &mut Logger) {
        let (Some(msg), Some(t)) = (msg, self.target.as_mut()) else {
            return;
        };
        if let Err(e) = t.sock.send_to_addr(msg.text().as_bytes(), &t.addr) {
            if !t.failed {
                t.failed = true;
                log.debug(&format!("sd_notify: send failed: {e}"));
            }
        }
    }
}

/// An unbound, non-blocking datagram socket and the address `NOTIFY_SOCKET` names.
fn open(path: &[u8]) -> std::io::Result<Target> {
    let addr = match path.strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name)?,
        None if path.first() == Some(&b'/') => {
            SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(path))?
        }
        None => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "not an absolute path or an abstract name",
            ))
        }
    };
    let sock = UnixDatagram::unbound()?;
    sock.set_nonblocking(true)?;
    Ok(Target {
        sock,
        addr,
        failed: false,
    })
}
