//! The measurements. Each starts a fresh supervisord of one implementation on a generated
//! config in its own directory, observes it through its activity log and `/proc`, and stops
//! it (and everything it started) before returning, also on error.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::daemon::{self, Daemon, Impl, Prog, POLL};
use crate::procfs::{self, MARK_VAR, SIGKILL};
use crate::produce::LINE_LEN;
use crate::report::{median, Cell};

/// Bytes written by the producer in the log rows.
pub const GIB: u64 = 1 << 30;
/// Programs in the restart storm.
pub const STORM_PROGS: u32 = 10;
/// Children and line rate of the line-logging row.
pub const LINE_PROGS: u32 = 50;
pub const LINE_RATE: u64 = 2000;

/// Shared settings of one harness run.
#[derive(Debug)]
pub struct Ctx {
    /// Parent directory of every case directory.
    pub base: PathBuf,
    /// Value of the cleanup marker in the children's environment.
    pub mark: String,
    /// This binary, used as the output producer.
    pub exe: PathBuf,
    /// Repetitions for the timed rows.
    pub runs: usize,
    /// Length of the idle and line-logging windows, seconds.
    pub secs: u64,
    seq: usize,
}

/// A case directory. When dropped its files are emptied (the GiB logs give their space
/// back) but not deleted: the whole tree goes when the run ends. Deleting a case's thousand
/// AUTO logs right before the next case starts would make every file the next daemon
/// creates slower on an ext4 without a journal (inode allocation skips, block by block,
/// inodes freed in the last 30 s), which measured 200-350 ms of the 500-program row: a cost
/// of the harness, not of the supervisor under test.
struct CaseDir(PathBuf);

impl Drop for CaseDir {
    fn drop(&mut self) {
        let Ok(rd) = fs::read_dir(&self.0) else {
            return;
        };
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::OpenOptions::new()
                    .write(true)
                    .open(e.path())
                    .and_then(|f| f.set_len(0));
            }
        }
    }
}

impl Ctx {
    /// Settings for a run rooted at `base`.
    pub fn new(base: PathBuf, mark: String, exe: PathBuf, runs: usize, secs: u64) -> Ctx {
        Ctx {
            base,
            mark,
            exe,
            runs,
            secs,
            seq: 0,
        }
    }

    fn case(&mut self, imp: &Impl) -> Result<CaseDir, String> {
        self.seq += 1;
        let dir = self.base.join(format!("{}{}", self.seq, &imp.label[..1]));
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(CaseDir(dir))
    }

    fn start(&self, imp: &Impl, dir: &Path, progs: &[Prog]) -> Result<Daemon, String> {
        let conf = daemon::write_conf(dir, progs).map_err(|e| e.to_string())?;
        Daemon::start(imp, dir, &conf, &self.mark).map_err(|e| e.to_string())
    }
}

fn io_err(e: io::Error) -> String {
    e.to_string()
}

fn sleeper(name: &str, n: u32) -> Prog {
    Prog::new(name, "sleep 100000", n)
}

const LONG: Duration = Duration::from_secs(300);

/// Daemon RSS with no programs, MiB, one second after it logged that it started.
pub fn rss0(ctx: &mut Ctx, imp: &Impl) -> Result<Vec<f64>, String> {
    let dir = ctx.case(imp)?;
    let mut d = ctx.start(imp, &dir.0, &[])?;
    d.wait_log(0, "supervisord started", 1, Duration::from_secs(30))?;
    sleep(Duration::from_secs(1));
    d.alive()?;
    let rss = procfs::rss_kib(d.pid).map_err(io_err)?;
    d.stop();
    Ok(vec![rss as f64 / 1024.0])
}

/// Processes in the 1000-program case (`p_0000`...`p_0999`).
const BIG: usize = 1000;

/// The XML-RPC call of the `rpc1000` row, sent as is by both implementations' clients.
const GET_ALL: &str = "<?xml version='1.0'?><methodCall>\
    <methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>";

/// 1000 programs (numprocs): RSS once all are RUNNING, then, when control works, on the
/// same daemon, wall time and daemon CPU per call (medians) of `supervisorctl status` and,
/// when `full` is set, of an XML-RPC `supervisor.getAllProcessInfo` and of the web page
/// `GET /`, the last two as raw HTTP/1.0 requests on the unix control socket.
pub fn big1000(ctx: &mut Ctx, imp: &Impl, full: bool) -> Result<Vec<Cell>, String> {
    let dir = ctx.case(imp)?;
    let mut d = ctx.start(imp, &dir.0, &[sleeper("p", BIG as u32)])?;
    d.wait_running(BIG, LONG)?;
    sleep(Duration::from_millis(500));
    d.alive()?;
    let rss = procfs::rss_kib(d.pid).map_err(io_err)? as f64 / 1024.0;
    if !d.control_works() {
        d.stop();
        let na = Cell::Text("n/a: needs control".into());
        return Ok(vec![Cell::Values(vec![rss]), na.clone(), na.clone(), na]);
    }
    let status = per_call(&d, ctx.runs, |d| {
        let (_, text, w) = d.ctl(&["status"])?;
        if text.lines().count() < BIG {
            return Err(format!("status printed {} lines", text.lines().count()));
        }
        Ok(w)
    });
    if !full {
        d.stop();
        let skipped = Cell::Text("not measured".into());
        return Ok(vec![
            Cell::Values(vec![rss]),
            status,
            skipped.clone(),
            skipped,
        ]);
    }
    let rpc_request = format!(
        "POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{GET_ALL}",
        GET_ALL.len()
    );
    let rpc = per_call(&d, ctx.runs, |d| {
        let (reply, w) = d.http(rpc_request.as_bytes())?;
        let body = daemon::http_ok(&reply)?;
        if body.contains("<fault>") {
            return Err("getAllProcessInfo: fault".into());
        }
        let structs = body.matches("<name>name</name>").count();
        let names = names_seen(&body, "<string>p_");
        if structs != BIG || names != BIG {
            return Err(format!(
                "getAllProcessInfo: {structs} structs, {names} of {BIG} names"
            ));
        }
        Ok(w)
    });
    let web = per_call(&d, ctx.runs, |d| {
        let (reply, w) = d.http(b"GET / HTTP/1.0\r\n\r\n")?;
        let body = daemon::http_ok(&reply)?;
        // Each process's row links its name as `>GROUP:NAME</a>` in both implementations.
        let names = names_seen(&body, ">p:p_");
        if names != BIG {
            return Err(format!("web page: {names} of {BIG} process names"));
        }
        Ok(w)
    });
    d.alive()?;
    d.stop();
    Ok(vec![Cell::Values(vec![rss]), status, rpc, web])
}

/// Runs `call` `runs` times against `d`: medians of its wall time (what `call` returns) and
/// of the daemon's CPU time around it, in ms; the first error as the cell's text.
fn per_call(
    d: &Daemon,
    runs: usize,
    mut call: impl FnMut(&Daemon) -> Result<Duration, String>,
) -> Cell {
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let step = (|| {
            let c0 = d.cpu_ns()?;
            let w = call(d)?;
            let c1 = d.cpu_ns()?;
            Ok::<_, String>((w, c1 - c0))
        })();
        match step {
            Ok((w, c)) => {
                wall.push(w.as_secs_f64() * 1e3);
                cpu.push(c as f64 / 1e6);
            }
            Err(e) => return Cell::Text(format!("error: {e}")),
        }
    }
    Cell::Values(vec![median(wall), median(cpu)])
}

/// How many of the names `p_0000`...`p_0999` occur in `body` right after `prefix` (one
/// pass over the body).
fn names_seen(body: &str, prefix: &str) -> usize {
    let mut seen = vec![false; BIG];
    for (i, _) in body.match_indices(prefix) {
        let digits = &body.as_bytes()[i + prefix.len()..];
        if digits.len() >= 4 && digits[..4].iter().all(u8::is_ascii_digit) {
            let n = digits[..4]
                .iter()
                .fold(0, |n, b| n * 10 + usize::from(b - b'0'));
            if let Some(s) = seen.get_mut(n) {
                *s = true;
            }
        }
    }
    seen.iter().filter(|s| **s).count()
}

/// 100 sleeping programs: context switches and CPU ms of the daemon over `secs` of idleness;
/// then `stop all` and `start all` wall times (medians), when control works.
pub fn idle100(ctx: &mut Ctx, imp: &Impl) -> Result<Vec<Cell>, String> {
    let dir = ctx.case(imp)?;
    let mut d = ctx.start(imp, &dir.0, &[sleeper("p", 100)])?;
    d.wait_running(100, LONG)?;
    sleep(Duration::from_secs(1));
    let (s0, c0) = (procfs::ctxt_switches(d.pid).map_err(io_err)?, d.cpu_ns()?);
    sleep(Duration::from_secs(ctx.secs));
    let (s1, c1) = (procfs::ctxt_switches(d.pid).map_err(io_err)?, d.cpu_ns()?);
    d.alive()?;
    let idle = Cell::Values(vec![(s1 - s0) as f64, (c1 - c0) as f64 / 1e6]);
    let stopstart = if d.control_works() {
        let (mut stop, mut start) = (Vec::new(), Vec::new());
        for _ in 0..ctx.runs.min(3) {
            let (_, _, w) = d.ctl(&["stop", "all"])?;
            stop.push(w.as_secs_f64() * 1e3);
            d.log.poll();
            let from = d.log.lines.len();
            let (_, _, w) = d.ctl(&["start", "all"])?;
            start.push(w.as_secs_f64() * 1e3);
            d.wait_log(from, "entered RUNNING state", 100, Duration::from_secs(60))?;
        }
        Cell::Values(vec![median(stop), median(start)])
    } else {
        Cell::Text("n/a: needs control".into())
    };
    d.stop();
    Ok(vec![idle, stopstart])
}

/// Daemon CPU per minute with 100 programs, each with a `tcp:` health check every 10 s
/// against a listener of the bench's own (a thread that accepts and closes), measured over
/// at least 60 s.
pub fn probes100(ctx: &mut Ctx, imp: &Impl) -> Result<Vec<f64>, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io_err)?;
    let port = listener.local_addr().map_err(io_err)?.port();
    std::thread::spawn(move || {
        for c in listener.incoming() {
            drop(c);
        }
    });
    let dir = ctx.case(imp)?;
    let prog = sleeper("p", 100)
        .with(&format!("healthcheck=tcp:127.0.0.1:{port}"))
        .with("healthcheck_interval=10");
    let mut d = ctx.start(imp, &dir.0, &[prog])?;
    d.wait_running(100, LONG)?;
    // Past the first round of checks, then a whole number of rounds.
    sleep(Duration::from_secs(11));
    let secs = ctx.secs.max(60);
    let c0 = d.cpu_ns()?;
    sleep(Duration::from_secs(secs));
    let c1 = d.cpu_ns()?;
    d.alive()?;
    d.stop();
    Ok(vec![(c1 - c0) as f64 / 1e6 * 60.0 / secs as f64])
}

/// Launch of supervisord to `n` programs (startsecs=0) logged RUNNING, ms, median of `runs`.
pub fn start_n(ctx: &mut Ctx, imp: &Impl, n: u32, runs: usize) -> Result<Vec<f64>, String> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let dir = ctx.case(imp)?;
        let prog = if n == 1 {
            sleeper("x", 1)
        } else {
            sleeper("p", n)
        };
        let conf = daemon::write_conf(&dir.0, &[prog]).map_err(io_err)?;
        let t0 = Instant::now();
        let mut d = Daemon::start(imp, &dir.0, &conf, &ctx.mark).map_err(io_err)?;
        d.wait_running(n as usize, LONG)?;
        times.push(t0.elapsed().as_secs_f64() * 1e3);
        d.stop();
    }
    Ok(vec![median(times)])
}

/// `kill -9` of the child to its replacement logged RUNNING, ms, median of `kills`.
pub fn kill9(ctx: &mut Ctx, imp: &Impl, kills: usize) -> Result<Vec<f64>, String> {
    let dir = ctx.case(imp)?;
    let mut d = ctx.start(imp, &dir.0, &[sleeper("x", 1).with("autorestart=true")])?;
    d.wait_running(1, LONG)?;
    let mut times = Vec::new();
    for _ in 0..kills {
        sleep(Duration::from_millis(50));
        d.log.poll();
        let pid = d.log.last_pid("x").ok_or("no pid for x in the log")?;
        let from = d.log.lines.len();
        let t0 = Instant::now();
        supervisor::sys::proc::kill(pid as i32, SIGKILL).map_err(io_err)?;
        d.wait_log(
            from,
            "success: x entered RUNNING",
            1,
            Duration::from_secs(30),
        )?;
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    d.stop();
    Ok(vec![median(times)])
}

/// One child writes 1 GiB to its stdout log (optionally rotated at 50MB with enough backups
/// to keep it all): MB/s from `spawned:` to all bytes in the log files, and daemon CPU
/// seconds per GB. Medians of `runs`.
pub fn log_gib(ctx: &mut Ctx, imp: &Impl, rotate: bool, runs: usize) -> Result<Vec<f64>, String> {
    let (mut rate, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let dir = ctx.case(imp)?;
        settle_disk();
        let log = dir.0.join("big.log");
        let prog = Prog::new("big", &format!("{} __bytes {GIB}", ctx.exe.display()), 1)
            .with("autorestart=false")
            .with(&format!("stdout_logfile={}", log.display()))
            .with(if rotate {
                "stdout_logfile_maxbytes=50MB"
            } else {
                "stdout_logfile_maxbytes=0"
            })
            .with("stdout_logfile_backups=30")
            .with("stderr_logfile=NONE");
        let mut d = ctx.start(imp, &dir.0, &[prog])?;
        d.wait_log(0, "spawned: 'big'", 1, Duration::from_secs(60))?;
        let t0 = Instant::now();
        let c0 = d.cpu_ns()?;
        let deadline = t0 + Duration::from_secs(120);
        let mut exited = false;
        loop {
            // Rotation renames files under our feet, so a sum taken while it runs can count
            // one file twice: with rotation only trust the sum after the child exited.
            if !exited {
                d.log.poll();
                exited = d.log.count(0, "exited: big") > 0;
            }
            let total = daemon::size_of(&dir.0, &|n| n.starts_with("big.log"));
            if total >= GIB && (exited || !rotate) {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("{total} of {GIB} bytes logged after 120 s"));
            }
            sleep(Duration::from_millis(1));
        }
        let secs = t0.elapsed().as_secs_f64();
        let c1 = d.cpu_ns()?;
        rate.push(GIB as f64 / 1e6 / secs);
        cpu.push((c1 - c0) as f64 / 1e9 * (1e9 / GIB as f64));
        d.stop();
    }
    Ok(vec![median(rate), median(cpu)])
}

/// Before each 1 GiB run: writes back what earlier runs left dirty, so a run does not pay
/// for its predecessor's writeback, then touches and frees `WARM` bytes of memory.
/// Why the second step: this VM (Firecracker) reports free memory to its host
/// (`page_reporting`, 8 MiB blocks, ~2 s after they are freed), which unmaps it; the page
/// cache of a run that lands on such memory pays a host fault per page, and its copies run
/// ~4x slower (`producer > file` measured 1.0-2.4 GB/s that way against 4.5-5.0 GB/s right
/// after a warm-up; 81% of its samples in `copy_folio_from_iter_atomic` either way). Whether
/// a run hit such memory depended on how long ago the previous run's files were freed, so
/// rows were bimodal. Freshly freed pages are reused first, so after the warm-up every run
/// (baselines, ours, the reference) starts on backed memory, as on bare metal.
fn settle_disk() {
    let _ = Command::new("sync").status();
    let warm = vec![1u8; WARM];
    std::hint::black_box(&warm);
}

/// Memory touched and freed before each 1 GiB run: the log plus room for the pipe buffers
/// and the daemons.
const WARM: usize = 2 << 30;

/// Creating 1000 empty files in a fresh case directory, as 500 programs' AUTO logs are
/// created, ms, median of `runs`: what the file system alone costs the 500-program row.
pub fn create_files(ctx: &mut Ctx, runs: usize) -> Result<Vec<f64>, String> {
    let imp = Impl {
        label: "base",
        supervisord: PathBuf::new(),
        supervisorctl: PathBuf::new(),
    };
    let mut times = Vec::new();
    for _ in 0..runs {
        let dir = ctx.case(&imp)?;
        let t0 = Instant::now();
        for i in 0..1000 {
            fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(dir.0.join(format!("f{i}.log")))
                .map_err(io_err)?;
        }
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    Ok(vec![median(times)])
}

/// The same producer straight into a file (`producer > file`): MB/s and the producer's own
/// CPU seconds per GB (the kernel's page-cache write cost: a floor for the daemon's), medians
/// of `runs`.
pub fn baseline(ctx: &mut Ctx, runs: usize) -> Result<Vec<f64>, String> {
    let imp = Impl {
        label: "base",
        supervisord: PathBuf::new(),
        supervisorctl: PathBuf::new(),
    };
    let (mut rate, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let dir = ctx.case(&imp)?;
        settle_disk();
        let out = fs::File::create(dir.0.join("big.log")).map_err(io_err)?;
        let c0 = procfs::children_cpu_ns().map_err(io_err)?;
        let t0 = Instant::now();
        let st = Command::new(&ctx.exe)
            .args(["__bytes", &GIB.to_string()])
            .env(MARK_VAR, &ctx.mark)
            .stdin(Stdio::null())
            .stdout(out)
            .status()
            .map_err(io_err)?;
        let secs = t0.elapsed().as_secs_f64();
        let c1 = procfs::children_cpu_ns().map_err(io_err)?;
        if !st.success() {
            return Err(format!("producer failed: {st}"));
        }
        rate.push(GIB as f64 / 1e6 / secs);
        cpu.push((c1 - c0) as f64 / GIB as f64);
    }
    Ok(vec![median(rate), median(cpu)])
}

/// How a pipe baseline moves the producer's bytes.
#[derive(Clone, Copy)]
pub enum PipeCopy {
    /// read 128 KiB from the default pipe, write it to the file.
    ReadWrite,
    /// read 256 KiB from a pipe grown to 256 KiB (as the daemon grows a pipe that fills),
    /// write it to the file.
    ReadWriteBig,
    /// `splice(2)` up to 256 KiB at a time from a 256 KiB pipe into the file (opened without
    /// `O_APPEND`, which splice refuses): no copy through user space.
    SpliceBig,
    /// read 128 KiB from the default pipe and throw it away: the pipe alone, no file.
    Discard,
}

/// The producer piped into a minimal blocking copier in this harness: what any
/// pipe-reading supervisor could at best do. MB/s and the copier's CPU seconds per GB,
/// medians of `runs`.
pub fn copier(ctx: &mut Ctx, runs: usize, how: PipeCopy) -> Result<Vec<f64>, String> {
    let imp = Impl {
        label: "copy",
        supervisord: PathBuf::new(),
        supervisorctl: PathBuf::new(),
    };
    let big = matches!(how, PipeCopy::ReadWriteBig | PipeCopy::SpliceBig);
    let me = std::process::id();
    let (mut rate, mut cpu) = (Vec::new(), Vec::new());
    let mut buf = vec![0u8; if big { 256 * 1024 } else { 128 * 1024 }];
    for _ in 0..runs {
        let dir = ctx.case(&imp)?;
        settle_disk();
        let mut out = fs::File::create(dir.0.join("big.log")).map_err(io_err)?;
        let c0 = procfs::cpu_ns(me).map_err(io_err)?;
        let t0 = Instant::now();
        let mut child = Command::new(&ctx.exe)
            .args(["__bytes", &GIB.to_string()])
            .env(MARK_VAR, &ctx.mark)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(io_err)?;
        let mut pipe = child.stdout.take().ok_or("no pipe")?;
        if big {
            supervisor::sys::fd::set_pipe_size(&pipe, buf.len()).map_err(io_err)?;
        }
        let mut total = 0u64;
        loop {
            let n = match how {
                PipeCopy::SpliceBig => {
                    supervisor::sys::fd::splice(&pipe, &out, buf.len()).map_err(io_err)?
                }
                _ => io::Read::read(&mut pipe, &mut buf).map_err(io_err)?,
            };
            if n == 0 {
                break;
            }
            if matches!(how, PipeCopy::ReadWrite | PipeCopy::ReadWriteBig) {
                io::Write::write_all(&mut out, &buf[..n]).map_err(io_err)?;
            }
            total += n as u64;
        }
        let secs = t0.elapsed().as_secs_f64();
        let c1 = procfs::cpu_ns(me).map_err(io_err)?;
        let _ = child.wait();
        if total != GIB {
            return Err(format!("copied {total} bytes"));
        }
        rate.push(GIB as f64 / 1e6 / secs);
        cpu.push((c1 - c0) as f64 / GIB as f64);
    }
    Ok(vec![median(rate), median(cpu)])
}

/// 50 children writing 80-byte lines at 2000 lines/s each to AUTO stdout logs: daemon CPU as
/// % of one core over `secs`, and the line rate that reached the log files.
pub fn lines50(ctx: &mut Ctx, imp: &Impl) -> Result<Vec<f64>, String> {
    let dir = ctx.case(imp)?;
    let cmd = format!("{} __lines {LINE_RATE}", ctx.exe.display());
    let mut d = ctx.start(imp, &dir.0, &[Prog::new("l", &cmd, LINE_PROGS)])?;
    d.wait_running(LINE_PROGS as usize, LONG)?;
    sleep(Duration::from_secs(1));
    let logs = |n: &str| n.contains("-stdout---");
    let (b0, c0, t0) = (daemon::size_of(&dir.0, &logs), d.cpu_ns()?, Instant::now());
    sleep(Duration::from_secs(ctx.secs));
    let (b1, c1, secs) = (
        daemon::size_of(&dir.0, &logs),
        d.cpu_ns()?,
        t0.elapsed().as_secs_f64(),
    );
    d.alive()?;
    d.stop();
    let core = (c1 - c0) as f64 / 1e9 / secs * 100.0;
    let lines = b1.saturating_sub(b0) as f64 / LINE_LEN as f64 / secs;
    Ok(vec![core, lines])
}

/// 10 programs `/bin/true` with startsecs=0 and autorestart: restarts per second (`spawned:`
/// lines) and daemon CPU ms per restart over `secs / 2` seconds after a 1 s warm-up.
pub fn storm(ctx: &mut Ctx, imp: &Impl) -> Result<Vec<f64>, String> {
    let dir = ctx.case(imp)?;
    let prog = Prog::new("t", "/bin/true", STORM_PROGS)
        .with("autorestart=true")
        .with("startretries=1000000")
        .with("stdout_logfile=NONE")
        .with("stderr_logfile=NONE");
    let mut d = ctx.start(imp, &dir.0, &[prog])?;
    d.wait_log(0, "spawned:", 2 * STORM_PROGS as usize, LONG)?;
    sleep(Duration::from_secs(1));
    d.log.poll();
    let from = d.log.lines.len();
    let (c0, t0) = (d.cpu_ns()?, Instant::now());
    sleep(Duration::from_secs((ctx.secs / 2).max(1)));
    let c1 = d.cpu_ns()?;
    let secs = t0.elapsed().as_secs_f64();
    // Let the log catch up with what happened inside the window.
    sleep(POLL);
    d.log.poll();
    let n = d.log.count(from, "spawned:");
    d.alive()?;
    d.stop();
    if n == 0 {
        return Err("no restart in the window".into());
    }
    Ok(vec![n as f64 / secs, (c1 - c0) as f64 / 1e6 / n as f64])
}
