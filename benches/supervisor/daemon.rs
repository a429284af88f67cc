//! Driving one supervisord (ours or the reference): generated configs, starting it with
//! `-n`, following its activity log by polling, running its supervisorctl, and stopping it
//! and everything it started.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::procfs::{self, MARK_VAR, SIGKILL, SIGTERM};

/// How long the log poller sleeps between reads. inotify needs a crate; 0.5 ms polling bounds
/// the latency error of every log-observed time to about 0.6 ms.
pub const POLL: Duration = Duration::from_micros(500);

/// One implementation under test.
#[derive(Debug, Clone)]
pub struct Impl {
    /// Short label: "ours" or "ref".
    pub label: &'static str,
    /// The supervisord binary.
    pub supervisord: PathBuf,
    /// The supervisorctl binary.
    pub supervisorctl: PathBuf,
}

/// A `[program:x]` section.
#[derive(Debug, Clone)]
pub struct Prog {
    /// Program name.
    pub name: String,
    /// `command=`.
    pub command: String,
    /// `numprocs=`; above 1 the processes are named `NAME_0000`...
    pub numprocs: u32,
    /// Further `key=value` lines.
    pub extra: Vec<String>,
}

impl Prog {
    /// A program with `startsecs=0` and the given command.
    pub fn new(name: &str, command: &str, numprocs: u32) -> Prog {
        Prog {
            name: name.into(),
            command: command.into(),
            numprocs,
            extra: Vec::new(),
        }
    }

    /// Adds a `key=value` line.
    pub fn with(mut self, line: &str) -> Prog {
        self.extra.push(line.into());
        self
    }
}

/// Writes `DIR/s.conf`: activity log `DIR/d.log` without rotation, child logs in DIR, a unix
/// control socket `DIR/s.sock` (both implementations read the same sections), and `progs`.
pub fn write_conf(dir: &Path, progs: &[Prog]) -> io::Result<PathBuf> {
    let d = dir.display();
    let mut s = format!(
        "[supervisord]\nlogfile={d}/d.log\nlogfile_maxbytes=0\npidfile={d}/d.pid\n\
         childlogdir={d}\nloglevel=info\n\n\
         [unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
    );
    for p in progs {
        s.push_str(&format!(
            "\n[program:{}]\ncommand={}\nstartsecs=0\n",
            p.name, p.command
        ));
        if p.numprocs > 1 {
            s.push_str(&format!(
                "numprocs={}\nprocess_name=%(program_name)s_%(process_num)04d\n",
                p.numprocs
            ));
        }
        for line in &p.extra {
            s.push_str(line);
            s.push('\n');
        }
    }
    let path = dir.join("s.conf");
    fs::write(&path, s)?;
    Ok(path)
}

/// Follows a growing log file: complete lines read so far.
#[derive(Debug)]
pub struct LogTail {
    path: PathBuf,
    file: Option<File>,
    partial: Vec<u8>,
    /// Every complete line read so far.
    pub lines: Vec<String>,
}

impl LogTail {
    /// Follows `path` (which may not exist yet).
    pub fn new(path: PathBuf) -> LogTail {
        LogTail {
            path,
            file: None,
            partial: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// Reads what was appended since the last call.
    pub fn poll(&mut self) {
        if self.file.is_none() {
            self.file = File::open(&self.path).ok();
        }
        let Some(f) = self.file.as_mut() else { return };
        let mut buf = Vec::new();
        if f.read_to_end(&mut buf).is_err() {
            return;
        }
        self.partial.extend_from_slice(&buf);
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            self.lines
                .push(String::from_utf8_lossy(&line[..i]).into_owned());
        }
    }

    /// Lines from index `from` on that contain `needle`.
    pub fn count(&self, from: usize, needle: &str) -> usize {
        self.lines[from.min(self.lines.len())..]
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// The pid in the last `spawned: 'NAME' with pid N` line.
    pub fn last_pid(&self, name: &str) -> Option<u32> {
        let needle = format!("spawned: '{name}' with pid ");
        self.lines.iter().rev().find_map(|l| {
            let (_, rest) = l.split_once(&needle)?;
            rest.trim().parse().ok()
        })
    }
}

/// A running supervisord; dropping it stops it and kills anything left.
#[derive(Debug)]
pub struct Daemon {
    child: Child,
    /// Its pid.
    pub pid: u32,
    /// Its activity log.
    pub log: LogTail,
    /// Its config file.
    pub conf: PathBuf,
    /// Its directory.
    pub dir: PathBuf,
    mark: String,
    ctl: PathBuf,
}

impl Daemon {
    /// Starts `imp`'s supervisord `-n` on `conf` (whose activity log is `DIR/d.log`).
    pub fn start(imp: &Impl, dir: &Path, conf: &Path, mark: &str) -> io::Result<Daemon> {
        let err = File::create(dir.join("daemon.out"))?;
        let child = Command::new(&imp.supervisord)
            .arg("-n")
            .arg("-c")
            .arg(conf)
            .env(MARK_VAR, mark)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .map_err(|e| io::Error::other(format!("{}: {e}", imp.supervisord.display())))?;
        Ok(Daemon {
            pid: child.id(),
            child,
            log: LogTail::new(dir.join("d.log")),
            conf: conf.to_path_buf(),
            dir: dir.to_path_buf(),
            mark: mark.into(),
            ctl: imp.supervisorctl.clone(),
        })
    }

    /// Waits for `n` `success: ... entered RUNNING` lines in the whole log.
    pub fn wait_running(&mut self, n: usize, timeout: Duration) -> Result<(), String> {
        self.wait_log(0, "entered RUNNING state", n, timeout)
    }

    /// Polls the log until at least `n` lines from index `from` on contain `needle`; fails
    /// early if the daemon exits.
    pub fn wait_log(
        &mut self,
        from: usize,
        needle: &str,
        n: usize,
        timeout: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut scanned = from;
        let mut seen = 0;
        loop {
            self.log.poll();
            seen += self.log.count(scanned, needle);
            scanned = self.log.lines.len().max(scanned);
            if seen >= n {
                return Ok(());
            }
            self.alive()?;
            if Instant::now() > deadline {
                return Err(format!("timeout: {seen}/{n} '{needle}' lines in the log"));
            }
            sleep(POLL);
        }
    }

    /// Errors with the daemon's stderr if it has exited.
    pub fn alive(&mut self) -> Result<(), String> {
        if let Ok(Some(st)) = self.child.try_wait() {
            let out = fs::read_to_string(self.dir.join("daemon.out")).unwrap_or_default();
            return Err(format!("daemon exited ({st}): {}", out.trim()));
        }
        Ok(())
    }

    /// Daemon CPU time so far, ns.
    pub fn cpu_ns(&self) -> Result<u64, String> {
        procfs::cpu_ns(self.pid).map_err(|e| format!("cpu of {}: {e}", self.pid))
    }

    /// Runs `supervisorctl -c CONF ARGS...`; returns its exit status, stdout and wall time.
    pub fn ctl(&self, args: &[&str]) -> Result<(ExitStatus, String, Duration), String> {
        let out_path = self.dir.join("ctl.out");
        let out = File::create(&out_path).map_err(|e| e.to_string())?;
        let t0 = Instant::now();
        let mut child = Command::new(&self.ctl)
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .env(MARK_VAR, &self.mark)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", self.ctl.display()))?;
        let deadline = t0 + Duration::from_secs(60);
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("supervisorctl timed out".into());
                }
                Ok(None) => sleep(POLL),
                Err(e) => return Err(e.to_string()),
            }
        };
        let wall = t0.elapsed();
        let text = fs::read_to_string(&out_path).unwrap_or_default();
        Ok((status, text, wall))
    }

    /// One HTTP exchange on the control socket `DIR/s.sock`: connects, writes `request` (an
    /// HTTP/1.0 request, so the server closes when done), reads the reply to EOF. Returns the
    /// reply and the wall time from connect to EOF.
    pub fn http(&self, request: &[u8]) -> Result<(Vec<u8>, Duration), String> {
        let sock = self.dir.join("s.sock");
        let err = |e: io::Error| format!("{}: {e}", sock.display());
        let t0 = Instant::now();
        let mut s = UnixStream::connect(&sock).map_err(err)?;
        s.set_read_timeout(Some(Duration::from_secs(120)))
            .map_err(err)?;
        s.write_all(request).map_err(err)?;
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).map_err(err)?;
        Ok((reply, t0.elapsed()))
    }

    /// Whether `supervisorctl status` works against this daemon (reports a RUNNING process).
    pub fn control_works(&self) -> bool {
        matches!(self.ctl(&["status"]), Ok((_, text, _)) if text.contains("RUNNING"))
    }

    /// SIGTERM, wait for the daemon to finish its shutdown (bounded), then kill leftovers.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = supervisor::sys::proc::kill(self.pid as i32, SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(60);
            while let Ok(None) = self.child.try_wait() {
                if Instant::now() > deadline {
                    let _ = supervisor::sys::proc::kill(self.pid as i32, SIGKILL);
                    let _ = self.child.wait();
                    break;
                }
                sleep(Duration::from_millis(2));
            }
        }
        procfs::kill_marked(&self.mark);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The body of an HTTP reply whose status is 200 (and whose `Content-Length`, when given,
/// matches the body); an error naming the status line otherwise.
pub fn http_ok(reply: &[u8]) -> Result<String, String> {
    let end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no HTTP header in {} bytes of reply", reply.len()))?;
    let head = String::from_utf8_lossy(&reply[..end]);
    let body = &reply[end + 4..];
    let status = head.lines().next().unwrap_or("");
    let mut words = status.split_whitespace();
    if !words.next().is_some_and(|v| v.starts_with("HTTP/1.")) || words.next() != Some("200") {
        return Err(format!("reply '{status}'"));
    }
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    if let Some(n) = length {
        if n != body.len() {
            return Err(format!("Content-Length {n}, body {} bytes", body.len()));
        }
    }
    Ok(String::from_utf8_lossy(body).into_owned())
}

/// Total size of the files in `dir` whose names satisfy `pick`.
pub fn size_of(dir: &Path, pick: &dyn Fn(&str) -> bool) -> u64 {
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .filter(|e| e.file_name().to_str().is_some_and(pick))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}
