//! `supervisord --upgrade` (the `upgrade` request): the daemon `exec`s the binary at its own
//! path, keeping its pid, its children (they are still its children), their pipes and its
//! listening control sockets. Its process table goes to the new image in a
//! [`Handover`] written to a memory file whose descriptor number is in
//! [`handover::ENV`]; only the descriptors the handover names lose close-on-exec, so
//! everything else (the poller, the signal pipe, logs, control clients) closes at the exec.
//!
//! Nothing a child writes is lost: its bytes wait in the pipe, which stays open, until the
//! new image reads them. A child that exits meanwhile stays a zombie until the new image
//! reaps it (the first thing its loop does). Connected control clients are dropped; the
//! listening sockets stay, so new clients queue in their backlog and are answered.
//!
//! Refused (the request fails and nothing changes) while the daemon is stopping or
//! restarting, with event listeners or FastCGI groups configured (their protocol state is
//! not handed over), and while `sendstdin` text is still waiting for a pipe. If the exec
//! itself fails, the descriptors are made close-on-exec again and the daemon goes on.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;

use crate::config::model::GroupConfig;
use crate::config::rare::Rare;
use crate::daemon::event_loop::Daemon;
use crate::daemon::handover::{self, address_key, HandedProc, Handover};
use crate::daemon::io::{Io, Key, Source};
use crate::daemon::output::{self, OutputPipe};
use crate::daemon::procs::{Procs, ReadinessIo};
use crate::daemon::sockets::{Bound, Server};
use crate::logfile::activity::Logger;
use crate::process::machine::{Mood, Process};
use crate::process::state::State;
use crate::protocol::fault::{Fault, Outcome};
use crate::protocol::results::ResultLine;
use crate::stream::Stream;
use crate::sys;
use crate::sys::poller::Interest;

/// What a new image took over from its predecessor: the servers' and processes'
/// descriptors, owned again.
#[derive(Debug, Default)]
pub struct Adopted {
    /// Listening sockets by [`address_key`].
    servers: Vec<(String, OwnedFd)>,
    /// Processes with their pipe ends (stdout, stderr, stdin).
    procs: Vec<(HandedProc, [Option<OwnedFd>; 4])>,
}

/// Takes the handover named by [`handover::ENV`], if any, and removes the variable (so no
/// child sees it). `None`: a normal start. `Err`: there was one, but it could not be used
/// (logged by the caller; the daemon starts fresh from its config, and children of the old
/// image are reaped as unknown when they exit).
pub fn take_handover() -> Option<Result<Adopted, String>> {
    let value = std::env::var(handover::ENV).ok()?;
    std::env::remove_var(handover::ENV);
    Some(adopt(&value))
}

fn adopt(value: &str) -> Result<Adopted, String> {
    let fd: i32 = value
        .parse()
        .map_err(|_| format!("bad {} {value:?}", handover::ENV))?;
    let memfd = sys::fd::adopt_inherited(fd).map_err(|e| format!("handover descriptor: {e}"))?;
    let mut bytes = Vec::new();
    let file = File::from(memfd);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&file, handover::MAX_BYTES as u64 + 1),
        &mut bytes,
    )
    .map_err(|e| format!("reading the handover: {e}"))?;
    let h = Handover::parse(&bytes).map_err(|e| format!("handover: {e}"))?;
    if h.pid != sys::proc::getpid() {
        return Err(format!("handover of pid {}, not ours", h.pid));
    }
    let mut out = Adopted::default();
    for s in h.servers {
        let fd = sys::fd::adopt_inherited(s.fd).map_err(|e| format!("server {}: {e}", s.fd))?;
        let kind = File::from(fd.try_clone().map_err(|e| e.to_string())?)
            .metadata()
            .map(|m| m.file_type().is_socket());
        if kind.ok() != Some(true) {
            return Err(format!("server descriptor {} is not a socket", s.fd));
        }
        out.servers.push((s.address, fd));
    }
    for p in h.procs {
        let mut fds: [Option<OwnedFd>; 4] = [None, None, None, None];
        for (i, n) in [p.stdout, p.stderr, p.stdin, p.notify]
            .into_iter()
            .enumerate()
        {
            let Some(n) = n else { continue };
            let fd = sys::fd::adopt_inherited(n).map_err(|e| format!("{}: {e}", p.namespec))?;
            let kind = File::from(fd.try_clone().map_err(|e| e.to_string())?)
                .metadata()
                .map(|m| m.file_type());
            // Three pipes, then the notify socket.
            let right = kind.is_ok_and(|t| if i < 3 { t.is_fifo() } else { t.is_socket() });
            if !right {
                return Err(format!(
                    "{}: descriptor {n} is not the right kind",
                    p.namespec
                ));
            }
            fds[i] = Some(fd);
        }
        out.procs.push((p, fds));
    }
    Ok(out)
}

impl Adopted {
    /// The AUTO log names to keep, by namespec.
    pub fn kept_logs(&self) -> HashMap<String, [Option<PathBuf>; 2]> {
        self.procs
            .iter()
            .map(|(p, _)| (p.namespec.clone(), p.logs.clone()))
            .collect()
    }

    /// The servers of `configs` from the handed-over sockets (the ones the config no longer
    /// has are closed); the configs with no socket handed over are returned to be bound.
    pub fn take_servers(
        &mut self,
        configs: &[crate::config::model::ServerConfig],
    ) -> (Vec<Server>, Vec<crate::config::model::ServerConfig>) {
        let mut servers = Vec::new();
        let mut missing = Vec::new();
        for cfg in configs {
            let key = address_key(&cfg.address);
            let Some(i) = self.servers.iter().position(|(a, _)| *a == key) else {
                missing.push(cfg.clone());
                continue;
            };
            let (_, fd) = self.servers.swap_remove(i);
            let socket = match &cfg.address {
                crate::config::model::ServerAddress::Unix { file, .. } => Bound::Unix {
                    socket: std::os::unix::net::UnixListener::from(fd),
                    path: file.clone(),
                },
                crate::config::model::ServerAddress::Inet { .. } => {
                    Bound::Tcp(std::net::TcpListener::from(fd))
                }
            };
            servers.push(Server {
                cfg: cfg.clone(),
                socket,
            });
        }
        // Sockets of addresses the config dropped close here (a unix path stays on disk
        // until something binds it again, as after a crash).
        self.servers.clear();
        (servers, missing)
    }

    /// Puts the handed-over processes back into `procs` (matched by namespec) and their
    /// pipes into `io`; returns how many. They keep their state (a process started before
    /// is never autostarted). A process the config no longer has is logged; its pipes
    /// close, and its exit is reaped as unknown.
    pub fn restore(self, procs: &mut Procs, io: &mut Io, log: &mut Logger) -> usize {
        let mut restored = 0;
        for (h, [stdout, stderr, stdin, notify]) in self.procs {
            let Some(id) = procs
                .ids()
                .into_iter()
                .find(|id| procs.get(*id).is_some_and(|p| p.namespec() == h.namespec))
            else {
                if let Some(pid) = h.snapshot.pid {
                    log.warn(&format!(
                        "upgrade: {} (pid {pid}) is not in the configuration any more; \
                         no longer supervised",
                        h.namespec
                    ));
                }
                continue;
            };
            let Some(p) = procs.get_mut(id) else { continue };
            let pid = h.snapshot.pid;
            p.machine = Process::restore(p.machine.shared_config().clone(), h.snapshot);
            p.start_wall_ms = h.start_wall_ms;
            p.spawns = h.spawns;
            // Boxed only when something was handed over.
            p.readiness = Rare::new(ReadinessIo {
                waiting: None,
                notify_status: h.notify_status,
                notify: notify.and_then(|fd| {
                    let src = Source::Notify {
                        proc: id,
                        sock: std::os::unix::net::UnixDatagram::from(fd),
                    };
                    io.add(src, Interest::READ).ok()
                }),
                ready_lines: h.ready_lines,
            });
            p.stop_wall_ms = h.stop_wall_ms;
            for (fd, stream) in [(stdout, Stream::Stdout), (stderr, Stream::Stderr)] {
                let Some(fd) = fd else { continue };
                let pipe = OutputPipe::new(File::from(fd), id, stream);
                if let Err(e) = io.add(Source::Output(pipe), Interest::READ) {
                    log.critical(&format!("cannot watch {} pipe: {e}", stream.name()));
                }
            }
            p.stdin = stdin.and_then(|fd| {
                let src = Source::Stdin {
                    proc: id,
                    file: File::from(fd),
                };
                io.add(src, Interest::NONE).ok()
            });
            if let Some(pid) = pid {
                for (level, msg) in output::open_logs(p) {
                    log.log(level, &msg);
                }
                procs.set_pid(id, pid);
            }
            restored += 1;
        }
        restored
    }
}

/// Whether two configs have the same groups, in any order.
fn same_groups(a: &[GroupConfig], b: &[GroupConfig]) -> bool {
    a.len() == b.len() && a.iter().all(|g| b.iter().any(|h| h == g))
}

impl Daemon {
    /// `upgrade`: hands over and execs; on success this never returns (the connection
    /// closes after `upgrading`). A refusal or a failed exec is the reply.
    pub(super) fn upgrade_request(&mut self, key: Key) {
        let line = match self.upgrade(key) {
            Ok(()) => return,
            Err(e) => ResultLine {
                text: format!("ERROR: {e}"),
                effect: Some(Outcome::failed(Fault::Failed, 1)),
            },
        };
        self.reply(key, vec![line]);
    }

    fn upgrade(&mut self, key: Key) -> Result<(), String> {
        if self.sup.lifecycle().mood() != Mood::Running {
            return Err("supervisor shutting down".into());
        }
        let launch = self
            .reload
            .launch()
            .cloned()
            .ok_or("cannot upgrade: the daemon's binary path is unknown")?;
        if !self.control.waits().is_empty() {
            return Err("cannot upgrade while a start, stop, restart or update is waiting".into());
        }
        // The new image loads the config again and must build the same table: a config
        // that does not load would leave it unable to start, and one with other programs
        // would leave children unsupervised.
        let cfg = self
            .reload
            .read()
            .map_err(|e| format!("cannot upgrade: the configuration does not load: {e}"))?;
        if !same_groups(&cfg.groups, &self.sup.procs().groups) {
            return Err(
                "cannot upgrade: the configuration changed since it was applied \
                 (apply it with update or reload first)"
                    .into(),
            );
        }
        let (h, keep) = self.handover()?;
        let text = h.render();
        // Refuse to exec a handover the new image would refuse.
        if text.len() > handover::MAX_BYTES || Handover::parse(text.as_bytes()).as_ref() != Ok(&h) {
            return Err("cannot upgrade: the handover does not validate".into());
        }
        let mut memfd = sys::fd::memfd("supervisord-handover")
            .and_then(|mut f| {
                f.write_all(text.as_bytes())?;
                f.seek(SeekFrom::Start(0))?;
                Ok(f)
            })
            .map_err(|e| format!("cannot upgrade: handover file: {e}"))?;
        self.control.push_line(key, b"upgrading");
        self.control.flush(key, &mut self.io);
        self.log.info(&format!(
            "upgrading in place: exec {} ({} processes handed over)",
            launch.exe().display(),
            h.procs.len()
        ));
        let here = std::env::current_dir().ok();
        let err = match self
            .io
            .set_inherited(&keep, true)
            .and_then(|()| sys::fd::set_cloexec(&memfd, false))
        {
            Ok(()) => launch.exec_again(handover::ENV, &memfd.as_raw_fd().to_string()),
            Err(e) => e,
        };
        // Still here: the exec failed. Back to how things were (std reset SIGPIPE to its
        // default just before the exec).
        sys::proc::ignore_sigpipe();
        let _ = self.io.set_inherited(&keep, false);
        let _ = memfd.flush();
        if let Some(dir) = here {
            let _ = sys::proc::chdir(&dir);
        }
        let msg = format!(
            "upgrade failed: cannot exec {}: {err}",
            launch.exe().display()
        );
        self.log.error(&msg);
        Err(msg)
    }

    /// The handover of the current table, and the keys of the sources it keeps open.
    fn handover(&self) -> Result<(Handover, Vec<Key>), String> {
        if self.sup.procs().groups.iter().any(|g| g.fcgi.is_some()) {
            return Err("cannot upgrade with FastCGI groups (not handed over)".into());
        }
        let mut keep = Vec::new();
        let mut h = Handover {
            pid: sys::proc::getpid(),
            ..Handover::default()
        };
        for k in self.io.keys_where(|s| matches!(s, Source::Server(_))) {
            if let Some(Source::Server(s)) = self.io.get(k) {
                h.servers.push(handover::HandedServer {
                    fd: std::os::fd::AsFd::as_fd(&**s).as_raw_fd(),
                    address: address_key(&s.cfg.address),
                });
                keep.push(k);
            }
        }
        for (id, p) in self.sup.procs().iter() {
            if p.listener.is_some() {
                return Err("cannot upgrade with event listeners (not handed over)".into());
            }
            // Held back for its dependencies: the new image would not know to release it.
            if p.readiness.waiting.is_some()
                || (p.machine.state() == State::Starting && p.machine.pid().is_none())
            {
                return Err(format!(
                    "cannot upgrade while {} waits for its dependencies",
                    p.namespec()
                ));
            }
            if !p.stdin_out.is_empty() {
                return Err(format!(
                    "cannot upgrade: sendstdin text for {} is still waiting",
                    p.namespec()
                ));
            }
            let mut hp = HandedProc {
                namespec: p.namespec(),
                snapshot: p.machine.snapshot(),
                start_wall_ms: p.start_wall_ms,
                stop_wall_ms: p.stop_wall_ms,
                stdout: None,
                stderr: None,
                stdin: None,
                logs: [p.logs[0].path_buf(), p.logs[1].path_buf()],
                notify_status: p.readiness.notify_status.clone(),
                notify: None,
                spawns: p.spawns,
                ready_lines: p.readiness.ready_lines.clone(),
            };
            for k in self.io.pipes_of(id) {
                if let Some(Source::Output(o)) = self.io.get(k) {
                    let fd = Some(o.file.as_raw_fd());
                    match o.stream {
                        Stream::Stdout => hp.stdout = fd,
                        Stream::Stderr => hp.stderr = fd,
                    }
                    keep.push(k);
                }
            }
            if let Some(k) = p.readiness.notify {
                if let Some(Source::Notify { sock, .. }) = self.io.get(k) {
                    hp.notify = Some(sock.as_raw_fd());
                    keep.push(k);
                }
            }
            if let Some(k) = p.stdin {
                if let Some(Source::Stdin { file, .. }) = self.io.get(k) {
                    hp.stdin = Some(file.as_raw_fd());
                    keep.push(k);
                }
            }
            h.procs.push(hp);
        }
        Ok((h, keep))
    }
}
