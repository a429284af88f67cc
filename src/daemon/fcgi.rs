//! FastCGI sockets of `[fcgi-program:x]` groups: supervisord binds and listens, and the
//! listening socket becomes fd 0 of every process of the group. As in the reference, the
//! socket is created (and closed again) when the group is added, to report a bad address
//! early; then it is opened at the first spawn, shared by the group's processes, and closed
//! when the last of them has exited.

use std::net::TcpListener;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;

use crate::config::model::FcgiConfig;
use crate::daemon::procs::ProcId;
use crate::messages;

/// One group's socket.
#[derive(Debug)]
struct Entry {
    cfg: FcgiConfig,
    socket: Option<OwnedFd>,
    /// Processes spawned with the socket and not yet exited (a handful: a Vec).
    holders: Vec<ProcId>,
}

/// The fcgi groups' sockets, by group name (few groups: a Vec keeps the binary small).
#[derive(Debug, Default)]
pub struct FcgiSockets {
    groups: Vec<(String, Entry)>,
}

/// What a call did, for the activity log: `Creating socket URL` / `Closing socket URL`.
pub type Lines = Vec<String>;

impl FcgiSockets {
    /// A new fcgi group: its socket is made and closed once to check the address. The
    /// group is known even when that fails (its spawns then fail with the same error).
    pub fn add(&mut self, group: &str, cfg: &FcgiConfig) -> (Lines, Option<String>) {
        self.remove(group);
        self.groups.push((
            group.to_string(),
            Entry {
                cfg: cfg.clone(),
                socket: None,
                holders: Vec::new(),
            },
        ));
        let mut lines = vec![messages::creating_socket(&cfg.socket)];
        match create(cfg) {
            Ok(sock) => {
                drop(sock);
                lines.push(messages::closing_socket(&cfg.socket));
                (lines, None)
            }
            Err(e) => (lines, Some(e)),
        }
    }

    /// The group went away (its processes are stopped).
    pub fn remove(&mut self, group: &str) {
        self.groups.retain(|(g, _)| g != group);
    }

    fn entry(&mut self, group: &str) -> Option<&mut Entry> {
        self.groups
            .iter_mut()
            .find(|(g, _)| g == group)
            .map(|(_, e)| e)
    }

    /// The socket for a process of `group` about to be spawned (opened if none of the
    /// group's processes holds it). None when the group has no socket.
    pub fn acquire(
        &mut self,
        group: &str,
        id: ProcId,
        lines: &mut Lines,
    ) -> Option<Result<i32, String>> {
        let e = self.entry(group)?;
        if e.socket.is_none() {
            lines.push(messages::creating_socket(&e.cfg.socket));
            match create(&e.cfg) {
                Ok(s) => e.socket = Some(s),
                Err(err) => return Some(Err(err)),
            }
        }
        if !e.holders.contains(&id) {
            e.holders.push(id);
        }
        e.socket.as_ref().map(|s| Ok(s.as_raw_fd()))
    }

    /// A process of `group` exited (or never started): the socket closes with the last one.
    pub fn release(&mut self, group: &str, id: ProcId, lines: &mut Lines) {
        let Some(e) = self.entry(group) else {
            return;
        };
        let held = e.holders.contains(&id);
        e.holders.retain(|h| *h != id);
        if held && e.holders.is_empty() && e.socket.take().is_some() {
            lines.push(messages::closing_socket(&e.cfg.socket));
        }
    }
}

/// Binds and listens as the configuration says: a unix socket replaces whatever was at its
/// path and gets `socket_mode` and `socket_owner`; a TCP socket reuses its address.
fn create(cfg: &FcgiConfig) -> Result<OwnedFd, String> {
    let fail = |e: std::io::Error| {
        format!(
            "Could not create FastCGI socket {}: {}",
            cfg.socket,
            python_oserror(&e)
        )
    };
    let backlog = cfg.socket_backlog.map_or(libc::SOMAXCONN, |b| b as i32);
    let fd: OwnedFd = if let Some(path) = cfg.socket.strip_prefix("unix://") {
        let _ = std::fs::remove_file(path);
        let l = UnixListener::bind(path).map_err(fail)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(cfg.socket_mode))
            .map_err(fail)?;
        if let Some((uid, gid)) = cfg.socket_owner {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(fail)?;
        }
        l.into()
    } else {
        let addr = cfg.socket.strip_prefix("tcp://").unwrap_or(&cfg.socket);
        let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "0"));
        let host = if host.is_empty() || host == "*" {
            "0.0.0.0"
        } else {
            host
        };
        let port: u16 = port.parse().unwrap_or(0);
        TcpListener::bind((host, port)).map_err(fail)?.into()
    };
    // std listens with its own backlog; the configured one replaces it.
    crate::sys::fd::listen(&fd, backlog).map_err(fail)?;
    Ok(fd)
}

/// Python's `str(OSError)`: `[Errno 2] No such file or directory`.
fn python_oserror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => format!("[Errno {n}] {}", crate::sys::errno::strerror(n)),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(path: &str) -> FcgiConfig {
        FcgiConfig {
            socket: format!("unix://{path}"),
            socket_backlog: None,
            socket_owner: None,
            socket_mode: 0o666,
        }
    }

    #[test]
    fn the_socket_lives_while_a_process_holds_it() {
        let dir = std::env::temp_dir().join(format!("fcgi-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let cfg = unix(path.to_str().unwrap());
        let mut f = FcgiSockets::default();
        let (lines, err) = f.add("g", &cfg);
        assert_eq!(err, None);
        assert_eq!(
            lines,
            [
                format!("Creating socket {}", cfg.socket),
                format!("Closing socket {}", cfg.socket)
            ]
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o666);
        let mut lines = Vec::new();
        let a = f.acquire("g", 1, &mut lines).unwrap().unwrap();
        let b = f.acquire("g", 2, &mut lines).unwrap().unwrap();
        assert_eq!(a, b, "one socket for the group");
        assert_eq!(lines.len(), 1);
        assert!(std::os::unix::net::UnixStream::connect(&path).is_ok());
        f.release("g", 1, &mut lines);
        f.release("g", 1, &mut lines);
        assert_eq!(lines.len(), 1, "still held by 2");
        f.release("g", 2, &mut lines);
        assert_eq!(lines[1], format!("Closing socket {}", cfg.socket));
        assert!(std::os::unix::net::UnixStream::connect(&path).is_err());
        assert!(f.acquire("other", 1, &mut lines).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_address_is_reported_like_the_reference() {
        let mut f = FcgiSockets::default();
        let (_, err) = f.add("g", &unix("/nonexistent-dir/x.sock"));
        let err = err.unwrap();
        assert_eq!(
            err,
            "Could not create FastCGI socket unix:///nonexistent-dir/x.sock: [Errno 2] No such file or directory"
        );
        let mut lines = Vec::new();
        assert!(matches!(f.acquire("g", 1, &mut lines), Some(Err(_))));
    }
}
