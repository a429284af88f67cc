//! The benchmark harness of issue #6: `cargo bench --bench supervisor [-- ROW...]`.
//!
//! Starts our `supervisord` (and, when `SUPERVISOR_REF_BIN` names a Supervisor 4.3.0 bin
//! directory, the reference too) on generated configs, measures each row of the issue's
//! table, and prints one Markdown table with ratios and targets. Not a test: nothing here
//! asserts a time. Every process started is killed at the end through an environment marker
//! (see `procfs`). See `benches/README.md` for what each row measures.

mod daemon;
mod procfs;
mod produce;
mod report;
mod rows;
mod size;

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use daemon::Impl;
use report::{high, low, median, Cell, Metric, Row};
use rows::Ctx;

/// Row groups that can be picked on the command line, in table order.
const GROUPS: &[&str] = &[
    "rss0", "rss1000", "rpc1000", "web1000", "idle", "probes", "start1", "start500", "kill9",
    "log", "lines", "storm", "size",
];

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let produced = match args.first().map(String::as_str) {
        Some("__bytes") => Some(produce::bytes(arg_num(&args))),
        Some("__lines") => Some(produce::lines(arg_num(&args))),
        _ => None,
    };
    if let Some(r) = produced {
        std::process::exit(i32::from(r.is_err()));
    }
    let code = match bench(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("bench: {e}");
            1
        }
    };
    std::process::exit(code);
}

fn arg_num(args: &[String]) -> u64 {
    args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn env_num(name: &str, default: u64) -> u64 {
    env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Kills everything this run started and removes its directory, also on panic.
struct Cleanup {
    mark: String,
    base: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        procfs::kill_marked(&self.mark);
        let _ = fs::remove_dir_all(&self.base);
        let _ = fs::remove_dir_all(format!("/dev/shm/srb.{}", self.mark));
    }
}

fn bench(args: &[String]) -> Result<(), String> {
    let picked: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    if let Some(bad) = picked.iter().find(|p| !GROUPS.contains(p)) {
        return Err(format!("unknown row '{bad}'; rows: {}", GROUPS.join(" ")));
    }
    let want = |g: &str| picked.is_empty() || picked.contains(&g);

    let ours = Impl {
        label: "ours",
        supervisord: PathBuf::from(env!("CARGO_BIN_EXE_supervisord")),
        supervisorctl: PathBuf::from(env!("CARGO_BIN_EXE_supervisorctl")),
    };
    let reference = match env::var_os("SUPERVISOR_REF_BIN") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let imp = Impl {
                label: "ref",
                supervisord: dir.join("supervisord"),
                supervisorctl: dir.join("supervisorctl"),
            };
            if !imp.supervisord.is_file() {
                return Err(format!("no supervisord in {}", dir.display()));
            }
            Some(imp)
        }
        None => None,
    };

    let mark = std::process::id().to_string();
    let root = env::var_os("BENCH_DIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let base = root.join(format!("srb.{mark}"));
    fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    let stale = procfs::kill_stale();
    if stale > 0 {
        eprintln!("killed {stale} processes left by an earlier run");
    }
    let _cleanup = Cleanup {
        mark: mark.clone(),
        base: base.clone(),
    };
    {
        let (mark, base) = (mark.clone(), base.clone());
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            procfs::kill_marked(&mark);
            let _ = fs::remove_dir_all(&base);
            let _ = fs::remove_dir_all(format!("/dev/shm/srb.{mark}"));
            default(info);
        }));
    }

    let exe = env::current_exe().map_err(|e| e.to_string())?;
    let runs = env_num("BENCH_RUNS", 5).max(1) as usize;
    let secs = env_num("BENCH_SECS", 10).max(1);
    let mut ctx = Ctx::new(base.clone(), mark.clone(), exe, runs, secs);
    let load0 = procfs::loadavg();
    let started = std::time::Instant::now();

    let mut table: Vec<Row> = Vec::new();
    let r = reference.as_ref();
    let rows_for = |table: &mut Vec<Row>, specs: Vec<Spec>, cells: Vec<(Cell, Option<Cell>)>| {
        for (spec, (o, rf)) in specs.into_iter().zip(cells) {
            table.push(spec.row(o, rf));
        }
    };

    // The static build first: the size row, and the RSS rows again for the static daemon
    // (shared glibc pages are a large part of the dynamic build's RSS).
    let musl = if want("size") || want("rss0") || want("rss1000") {
        build_musl(&base, false, true)
    } else {
        Err(String::new())
    };
    let musl_imp = musl.as_ref().ok().map(|(bin, _)| Impl {
        label: "musl",
        supervisord: bin.clone(),
        supervisorctl: ours.supervisorctl.clone(),
    });
    let musl_rows =
        |table: &mut Vec<Row>, spec: Spec, cell: Option<Cell>, reference: Option<Cell>| {
            if let Some(cell) = cell {
                let mut spec = spec;
                spec.measure.push_str(", static musl build");
                table.push(spec.row(cell, reference));
            }
        };
    if want("rss0") {
        let c = both(&mut ctx, &ours, r, "rss0", |c, i| one(rows::rss0(c, i)));
        let m = musl_imp.as_ref().map(|imp| {
            eprintln!("[musl] rss0");
            one(rows::rss0(&mut ctx, imp)).remove(0)
        });
        let pairs = split(c, 1);
        let reference = pairs[0].1.clone();
        rows_for(&mut table, vec![spec_rss0()], pairs);
        musl_rows(&mut table, spec_rss0(), m, reference);
    }
    // One 1000-program daemon per implementation gives the RSS, `supervisorctl status`,
    // XML-RPC and web page rows; `rss1000` picks all of them, `rpc1000` and `web1000` their
    // own row (without the musl build).
    if want("rss1000") || want("rpc1000") || want("web1000") {
        let c = both(&mut ctx, &ours, r, "rss1000", |c, i| {
            many(rows::big1000(c, i, true), 4)
        });
        // The static daemon answers `supervisorctl status` too (its allocator is musl's).
        let (m_rss, m_status) = match musl_imp.as_ref().filter(|_| want("rss1000")) {
            Some(imp) => {
                eprintln!("[musl] rss1000");
                let mut cells = many(rows::big1000(&mut ctx, imp, false), 4).into_iter();
                (cells.next(), cells.next())
            }
            None => (None, None),
        };
        let mut pairs = split(c, 4).into_iter();
        let (rss, status, rpc, web) = (pairs.next(), pairs.next(), pairs.next(), pairs.next());
        if want("rss1000") {
            let reference = rss.as_ref().and_then(|p| p.1.clone());
            rows_for(&mut table, vec![spec_rss1000()], rss.into_iter().collect());
            musl_rows(&mut table, spec_rss1000(), m_rss, reference);
            let reference = status.as_ref().and_then(|p| p.1.clone());
            rows_for(
                &mut table,
                vec![spec_status()],
                status.into_iter().collect(),
            );
            musl_rows(&mut table, spec_status(), m_status, reference);
        }
        if want("rss1000") || want("rpc1000") {
            rows_for(&mut table, vec![spec_rpc()], rpc.into_iter().collect());
        }
        if want("rss1000") || want("web1000") {
            rows_for(&mut table, vec![spec_web()], web.into_iter().collect());
        }
    }
    if want("idle") {
        let c = both(&mut ctx, &ours, r, "idle", |c, i| {
            many(rows::idle100(c, i), 2)
        });
        rows_for(
            &mut table,
            vec![spec_idle(secs), spec_stopstart()],
            split(c, 2),
        );
    }
    if want("probes") {
        // A supervisor-rs feature: the reference has no health checks to compare with.
        eprintln!("[ours] probes");
        let cell = one(rows::probes100(&mut ctx, &ours)).remove(0);
        table.push(spec_probes().row(cell, None));
    }
    if want("start1") {
        let c = both(&mut ctx, &ours, r, "start1", |c, i| {
            let n = c.runs;
            one(rows::start_n(c, i, 1, n))
        });
        rows_for(&mut table, vec![spec_start(1, 10.0)], split(c, 1));
    }
    if want("start500") {
        eprintln!("[base] create 1000 files");
        table.push(Row {
            measure: "create 1000 empty files in a fresh directory (baseline: the AUTO logs of 500 programs)".into(),
            metrics: vec![low(" ms", 1)],
            ours: one(rows::create_files(&mut ctx, runs.min(3))).remove(0),
            reference: r.map(|_| Cell::Text("(same baseline)".into())),
            target: "—".into(),
            check: None,
        });
        let c = both(&mut ctx, &ours, r, "start500", |c, i| {
            let n = c.runs.min(3);
            one(rows::start_n(c, i, 500, n))
        });
        rows_for(&mut table, vec![spec_start(500, 500.0)], split(c, 1));
        // The same on tmpfs, where creating a file costs next to nothing: what the
        // supervisor itself costs, apart from the disk.
        if let Some(shm) = tmpfs_base(&base, &mark) {
            let disk = std::mem::replace(&mut ctx.base, shm.clone());
            let c = both(&mut ctx, &ours, r, "start500 tmpfs", |c, i| {
                let n = c.runs.min(3);
                one(rows::start_n(c, i, 500, n))
            });
            ctx.base = disk;
            let _ = fs::remove_dir_all(&shm);
            let mut spec = spec_start(500, 500.0);
            spec.measure.push_str(", on tmpfs (/dev/shm)");
            rows_for(&mut table, vec![spec], split(c, 1));
        }
    }
    if want("kill9") {
        let c = both(&mut ctx, &ours, r, "kill9", |c, i| {
            let n = c.runs.max(5);
            one(rows::kill9(c, i, n))
        });
        rows_for(&mut table, vec![spec_kill9()], split(c, 1));
    }
    if want("log") {
        let n = runs.min(3);
        eprintln!("[base] producer > file");
        let base_cell = one(rows::baseline(&mut ctx, n)).remove(0);
        let base_rate = match &base_cell {
            Cell::Values(v) => v[0],
            Cell::Text(_) => 0.0,
        };
        table.push(Row {
            measure: "`producer > file`, 1 GiB (baseline: rate, producer CPU per GB)".into(),
            metrics: vec![high(" MB/s", 0), low(" s CPU/GB", 3)],
            ours: base_cell.clone(),
            reference: r.map(|_| Cell::Text("(same baseline)".into())),
            target: "—".into(),
            check: None,
        });
        let baselines = [
            (rows::PipeCopy::ReadWrite, "producer | copier > file", "`producer \\| copier > file`, 1 GiB (baseline: minimal read/write copier, default pipe; rate, copier CPU per GB)"),
            (rows::PipeCopy::ReadWriteBig, "producer | copier > file, 256 KiB pipe", "`producer \\| copier > file`, 1 GiB, 256 KiB pipe (baseline: the same copier on a pipe grown as the daemon grows one; rate, copier CPU per GB)"),
            (rows::PipeCopy::SpliceBig, "producer | splice > file, 256 KiB pipe", "`producer \\| splice > file`, 1 GiB, 256 KiB pipe (baseline: `splice(2)` into a file without `O_APPEND`; rate, copier CPU per GB)"),
            (rows::PipeCopy::Discard, "producer | reader > /dev/null", "`producer \\| reader`, 1 GiB (baseline: the pipe alone, read and discarded; rate, reader CPU per GB)"),
        ];
        for (how, label, measure) in baselines {
            eprintln!("[base] {label}");
            table.push(Row {
                measure: measure.into(),
                metrics: vec![high(" MB/s", 0), low(" s CPU/GB", 3)],
                ours: one(rows::copier(&mut ctx, n, how)).remove(0),
                reference: r.map(|_| Cell::Text("(same baseline)".into())),
                target: "—".into(),
                check: None,
            });
        }
        // Runs alternate (plain, rotating; ours, then the reference) so that the VM's drift
        // over the minutes this takes does not favour one row: the rotating row's target is
        // a comparison with the plain one.
        let imps: Vec<&Impl> = std::iter::once(&ours).chain(r).collect();
        let mut samples: Vec<[Vec<Vec<f64>>; 2]> =
            imps.iter().map(|_| Default::default()).collect();
        let mut failed: Vec<[Option<String>; 2]> =
            imps.iter().map(|_| Default::default()).collect();
        for _ in 0..n {
            for rotate in [false, true] {
                for (k, imp) in imps.iter().enumerate() {
                    eprintln!(
                        "[{}] log{}",
                        imp.label,
                        if rotate { " rotating" } else { "" }
                    );
                    match rows::log_gib(&mut ctx, imp, rotate, 1) {
                        Ok(v) => samples[k][rotate as usize].push(v),
                        Err(e) => failed[k][rotate as usize] = Some(e),
                    }
                }
            }
        }
        let cell = |k: usize, rot: usize| match &failed[k][rot] {
            Some(e) => Cell::Text(e.clone()),
            None => Cell::Values(
                (0..2)
                    .map(|m| median(samples[k][rot].iter().map(|v| v[m]).collect()))
                    .collect(),
            ),
        };
        for rotate in [false, true] {
            let rot = rotate as usize;
            let c = (vec![cell(0, rot)], r.map(|_| vec![cell(1, rot)]));
            rows_for(&mut table, vec![spec_log(rotate, base_rate)], split(c, 1));
        }
    }
    if want("lines") {
        let c = both(&mut ctx, &ours, r, "lines", |c, i| one(rows::lines50(c, i)));
        rows_for(&mut table, vec![spec_lines(secs)], split(c, 1));
    }
    if want("storm") {
        let c = both(&mut ctx, &ours, r, "storm", |c, i| one(rows::storm(c, i)));
        rows_for(&mut table, vec![spec_storm((secs / 2).max(1))], split(c, 1));
    }
    if want("size") {
        table.push(size_row(&build_musl(&base, true, false), r, Some(false)));
        table.push(size_row(&build_musl(&base, true, true), r, Some(true)));
        table.push(size_row(&musl, r, None));
        table.push(glibc_row());
    }

    println!("# supervisor-rs benchmarks\n");
    let tm =
        supervisor::sys::clock::localtime((supervisor::sys::clock::wall_clock_ms() / 1000) as i64);
    println!(
        "- date {:04}-{:02}-{:02}; {} CPUs; load average {} at start, {} at end; {:.0} s",
        tm.year,
        tm.mon,
        tm.mday,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load0,
        procfs::loadavg(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "- files in {} ({}); CPU times from {}; log polled every {} µs",
        base.display(),
        procfs::fs_type(&base),
        if procfs::has_schedstat() {
            "/proc/PID/task/*/schedstat (ns)"
        } else {
            "/proc/PID/stat (10 ms ticks)"
        },
        daemon::POLL.as_micros()
    );
    println!("- times are medians of {runs} runs (3 for 500 programs and the log rows)\n");
    print!("{}", report::table(&table, reference.is_some()));
    Ok(())
}

/// A run directory on /dev/shm when that is a tmpfs and the run's directory is not.
fn tmpfs_base(base: &std::path::Path, mark: &str) -> Option<PathBuf> {
    let shm = PathBuf::from("/dev/shm");
    if procfs::fs_type(&shm) != "tmpfs" || procfs::fs_type(base) == "tmpfs" {
        return None;
    }
    let dir = shm.join(format!("srb.{mark}"));
    fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// Runs `f` for ours and, when configured, the reference.
fn both(
    ctx: &mut Ctx,
    ours: &Impl,
    reference: Option<&Impl>,
    what: &str,
    mut f: impl FnMut(&mut Ctx, &Impl) -> Vec<Cell>,
) -> (Vec<Cell>, Option<Vec<Cell>>) {
    eprintln!("[ours] {what}");
    let o = f(ctx, ours);
    let r = reference.map(|imp| {
        eprintln!("[ref] {what}");
        f(ctx, imp)
    });
    (o, r)
}

/// Pairs the k-th cell of ours with the k-th of the reference.
fn split(c: (Vec<Cell>, Option<Vec<Cell>>), k: usize) -> Vec<(Cell, Option<Cell>)> {
    let (o, r) = c;
    (0..k)
        .map(|i| (o[i].clone(), r.as_ref().map(|r| r[i].clone())))
        .collect()
}

fn one(r: Result<Vec<f64>, String>) -> Vec<Cell> {
    vec![match r {
        Ok(v) => Cell::Values(v),
        Err(e) => Cell::Text(format!("error: {e}")),
    }]
}

fn many(r: Result<Vec<Cell>, String>, k: usize) -> Vec<Cell> {
    r.unwrap_or_else(|e| vec![Cell::Text(format!("error: {e}")); k])
}

/// A row's fixed parts.
struct Spec {
    measure: String,
    metrics: Vec<Metric>,
    target: String,
    check: Option<report::Check>,
}

impl Spec {
    fn row(self, ours: Cell, reference: Option<Cell>) -> Row {
        Row {
            measure: self.measure,
            metrics: self.metrics,
            ours,
            reference,
            target: self.target,
            check: self.check,
        }
    }
}

fn spec(measure: &str, metrics: Vec<Metric>, target: &str, check: Option<report::Check>) -> Spec {
    Spec {
        measure: measure.into(),
        metrics,
        target: target.into(),
        check,
    }
}

fn spec_rss0() -> Spec {
    let check: report::Check = Box::new(|v| v[0] < 1.5);
    spec(
        "daemon RSS, 0 programs",
        vec![low(" MiB", 2)],
        "under 1.5 MiB",
        Some(check),
    )
}

fn spec_rss1000() -> Spec {
    let check: report::Check = Box::new(|v| v[0] < 4.0);
    spec(
        "daemon RSS, 1000 programs (numprocs)",
        vec![low(" MiB", 2)],
        "under 4 MiB",
        Some(check),
    )
}

fn spec_status() -> Spec {
    let check: report::Check = Box::new(|v| v[0] < 20.0 && v[1] < 2.0);
    spec(
        "`supervisorctl status`, 1000 programs (wall, daemon CPU)",
        vec![low(" ms", 1), low(" ms CPU", 2)],
        "under 20 ms, daemon CPU under 2 ms",
        Some(check),
    )
}

fn spec_rpc() -> Spec {
    let check: report::Check = Box::new(|v| v[0] < 20.0 && v[1] < 5.0);
    spec(
        "XML-RPC `supervisor.getAllProcessInfo` over the unix socket, 1000 programs (wall, daemon CPU)",
        vec![low(" ms", 1), low(" ms CPU", 2)],
        "under 20 ms, daemon CPU under 5 ms",
        Some(check),
    )
}

fn spec_web() -> Spec {
    let check: report::Check = Box::new(|v| v[0] < 20.0 && v[1] < 5.0);
    spec(
        "web page `GET /` over the unix socket, 1000 programs (wall, daemon CPU)",
        vec![low(" ms", 1), low(" ms CPU", 2)],
        "under 20 ms, daemon CPU under 5 ms",
        Some(check),
    )
}

fn spec_idle(secs: u64) -> Spec {
    let check: report::Check = Box::new(|v| v[0] == 0.0 && v[1] == 0.0);
    spec(
        &format!("wake-ups while idle, 100 programs, {secs} s"),
        vec![low(" ctxt switches", 0), low(" ms CPU", 3)],
        "0 and 0",
        Some(check),
    )
}

fn spec_probes() -> Spec {
    spec(
        "daemon CPU per minute, 100 programs each health-checked (tcp) every 10 s",
        vec![low(" ms CPU/min", 1)],
        "< 60",
        None,
    )
}

fn spec_stopstart() -> Spec {
    spec(
        "`supervisorctl stop all` then `start all`, 100 programs",
        vec![low(" ms", 0), low(" ms", 0)],
        "bounded by the programs",
        None,
    )
}

fn spec_start(n: u32, target_ms: f64) -> Spec {
    let check: report::Check = Box::new(move |v| v[0] < target_ms);
    let plural = if n == 1 { "program" } else { "programs" };
    spec(
        &format!("launch to all RUNNING, {n} {plural}, startsecs=0"),
        vec![low(" ms", 1)],
        &format!("under {target_ms} ms"),
        Some(check),
    )
}

fn spec_kill9() -> Spec {
    let check: report::Check = Box::new(|v| v[0] < 5.0);
    spec(
        "`kill -9` of a child to its replacement RUNNING",
        vec![low(" ms", 2)],
        "under 5 ms",
        Some(check),
    )
}

fn spec_log(rotate: bool, base_rate: f64) -> Spec {
    let check: report::Check =
        Box::new(move |v| base_rate > 0.0 && v[0] >= 0.9 * base_rate && v[1] < 0.25);
    let measure = if rotate {
        "1 GiB from one child into its log, rotating at 50MB (rate, daemon CPU per GB)"
    } else {
        "1 GiB from one child into its log (rate, daemon CPU per GB)"
    };
    spec(
        measure,
        vec![high(" MB/s", 0), low(" s CPU/GB", 3)],
        "≥ 90% of `producer > file`, under 0.25 s CPU/GB",
        Some(check),
    )
}

fn spec_lines(secs: u64) -> Spec {
    let check: report::Check = Box::new(|v| v[0] < 5.0);
    spec(
        &format!(
            "{} children logging {} lines/s each ({secs} s; daemon CPU, lines/s logged)",
            rows::LINE_PROGS,
            rows::LINE_RATE
        ),
        vec![low("% of a core", 1), high(" lines/s", 0)],
        "under 5% of a core",
        Some(check),
    )
}

fn spec_storm(secs: u64) -> Spec {
    let check: report::Check = Box::new(|v| v[1] < 0.5);
    spec(
        &format!(
            "restart storm, {} × `/bin/true` autorestart, {secs} s (rate, daemon CPU per restart)",
            rows::STORM_PROGS
        ),
        vec![high(" restarts/s", 1), low(" ms CPU", 3)],
        "under 0.5 ms of daemon CPU per restart",
        Some(check),
    )
}

/// Builds the static musl daemon unless `BENCH_NO_MUSL` is set: its path and size.
/// `embedded`: as `packaging/build-static.sh` does, into its own target directory (other
/// RUSTFLAGS would otherwise rebuild the plain one every time).
/// `embedded`: as build-static.sh builds it; `xmlrpc`: with the default features.
fn build_musl(base: &Path, embedded: bool, xmlrpc: bool) -> Result<(PathBuf, u64), String> {
    if env::var_os("BENCH_NO_MUSL").is_some() {
        return Err("n/a: BENCH_NO_MUSL set".into());
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // target/release/supervisord → target
    let mut target_dir = Path::new(env!("CARGO_BIN_EXE_supervisord"))
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.join("target"));
    if embedded {
        eprintln!("[musl] packaging/build-static.sh's build (std rebuilt, immediate-abort, xmlrpc {xmlrpc})");
        target_dir = target_dir.join(if xmlrpc {
            "embedded-xmlrpc"
        } else {
            "embedded"
        });
    } else {
        eprintln!("[musl] cargo build --release --target {}", size::MUSL);
    }
    let log = base.join(match (embedded, xmlrpc) {
        (true, false) => "embedded.log",
        (true, true) => "embedded-xmlrpc.log",
        _ => "musl.log",
    });
    size::musl_daemon(&manifest, &target_dir, &log, embedded, xmlrpc)
}

/// `embedded`: `Some(xmlrpc)` for build-static.sh's build (without or with the feature),
/// `None` for the plain musl build.
fn size_row(
    musl: &Result<(PathBuf, u64), String>,
    reference: Option<&Impl>,
    embedded: Option<bool>,
) -> Row {
    let ours = match musl {
        Ok((_, bytes)) => Cell::Values(vec![*bytes as f64 / 1024.0]),
        Err(e) => Cell::Text(e.clone()),
    };
    let reference = reference.map(|imp| {
        Cell::Text(size::reference_package(
            imp.supervisord.parent().unwrap_or(Path::new("/")),
        ))
    });
    let check: report::Check = Box::new(|v| v[0] < 600.0);
    let (measure, check) = match embedded {
        Some(false) => (
            "static musl daemon, stripped, as `packaging/build-static.sh` builds it (no `xmlrpc`)",
            Some(check),
        ),
        Some(true) => (
            "same, with the `xmlrpc` feature (`packaging/build-static.sh --features xmlrpc`)",
            None,
        ),
        None => (
            "static musl daemon, stripped, plain `cargo build --release --target x86_64-unknown-linux-musl`",
            None,
        ),
    };
    Row {
        measure: measure.into(),
        metrics: vec![low(" KiB", 0)],
        ours,
        reference,
        target: if embedded == Some(false) {
            "under 600 KiB"
        } else {
            "—"
        }
        .into(),
        check,
    }
}

fn glibc_row() -> Row {
    let bin = env!("CARGO_BIN_EXE_supervisord");
    let ours = match fs::metadata(bin) {
        Ok(m) => Cell::Values(vec![m.len() as f64 / 1024.0]),
        Err(e) => Cell::Text(format!("{bin}: {e}")),
    };
    Row {
        measure: "release daemon (glibc, dynamic), as built".into(),
        metrics: vec![low(" KiB", 0)],
        ours,
        reference: None,
        target: "—".into(),
        check: None,
    }
}
