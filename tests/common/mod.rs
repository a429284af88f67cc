//! Integration-test harness: short unique temp dirs, a `Daemon` guard that starts the real
//! `supervisord -n` and always kills it and every child it started (even when the test
//! fails), and `wait_until` polling with a deadline instead of fixed sleeps.
#![allow(dead_code)]

pub mod golden;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A temp directory with a short path (unix socket paths must stay under 108 bytes),
/// removed on drop.
pub struct TestDir {
    pub path: PathBuf,
}

impl TestDir {
    pub fn new() -> TestDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = PathBuf::from(format!("/tmp/svt-{}-{}", std::process::id(), n));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create test dir");
        TestDir { path }
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes a file under the dir and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.join(name);
        fs::write(&p, text).expect("write file");
        p
    }

    /// The names of the files in the dir, sorted.
    pub fn listing(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// The dir as a string, for config templates.
    pub fn s(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn supervisord_bin() -> &'static str {
    env!("CARGO_BIN_EXE_supervisord")
}

pub fn supervisorctl_bin() -> &'static str {
    env!("CARGO_BIN_EXE_supervisorctl")
}

/// Sends a signal with kill(1), so tests need no unsafe code.
pub fn kill(pid: i32, sig: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            let state = s.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
        Err(_) => false,
    }
}

/// Pids of every live process whose environment carries `marker` (children of the daemon
/// under test inherit it), so the guard can kill them even if the daemon died first.
pub fn pids_with_marker(marker: &str) -> Vec<i32> {
    let needle = format!("SVTEST_ID={marker}");
    let mut out = Vec::new();
    if let Ok(rd) = fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            if let Ok(env) = fs::read(format!("/proc/{pid}/environ")) {
                if env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
                    out.push(pid);
                }
            }
        }
    }
    out
}

/// A running `supervisord -n -c <conf>`; killed with everything it started on drop.
pub struct Daemon {
    pub child: Option<Child>,
    pub conf: PathBuf,
    pub dir: PathBuf,
    marker: String,
}

impl Daemon {
    /// Writes `conf_text` to `dir/supervisord.conf` and starts the daemon in the foreground.
    pub fn start(dir: &TestDir, conf_text: &str) -> Daemon {
        let conf = dir.write("supervisord.conf", conf_text);
        Daemon::start_with(dir, &conf, &["-n"])
    }

    /// Starts `supervisord -c conf <extra args>`.
    pub fn start_with(dir: &TestDir, conf: &Path, extra: &[&str]) -> Daemon {
        Daemon::start_with_env(dir, conf, extra, &[])
    }

    /// Starts `supervisord -c conf <extra args>` with `env` added to its environment.
    pub fn start_with_env(
        dir: &TestDir,
        conf: &Path,
        extra: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Daemon {
        Daemon::start_bin(supervisord_bin(), dir, conf, extra, env)
    }

    /// Starts `<bin> -c conf <extra args>` with `env` added: `bin` is any supervisord, ours
    /// or a reference one (tests/python_clients.rs runs against either).
    pub fn start_bin(
        bin: &str,
        dir: &TestDir,
        conf: &Path,
        extra: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Daemon {
        let marker = dir.s();
        let stdout = fs::File::create(dir.join("daemon.stdout")).unwrap();
        let stderr = fs::File::create(dir.join("daemon.stderr")).unwrap();
        let child = Command::new(bin)
            .arg("-c")
            .arg(conf)
            .args(extra)
            .envs(env.iter().copied())
            .env("SVTEST_ID", &marker)
            .current_dir(&dir.path)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start supervisord");
        Daemon {
            child: Some(child),
            conf: conf.to_path_buf(),
            dir: dir.path.clone(),
            marker,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }

    /// Runs supervisorctl against this daemon's config.
    pub fn ctl(&self, args: &[&str]) -> (String, i32) {
        let out = ctl_output(&self.conf, args);
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.code().unwrap_or(-1),
        )
    }

    /// The activity log (`logfile=` must point at `dir/supervisord.log`).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("supervisord.log")).unwrap_or_default()
    }

    /// Waits until the activity log contains `needle`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.log().contains(needle))
    }

    /// Waits for the daemon process to exit and returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let child = self.child.as_mut()?;
        let end = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                self.child = None;
                return Some(st.code().unwrap_or(-1));
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Pids of the daemon's descendants still alive.
    pub fn children(&self) -> Vec<i32> {
        let me = self.pid();
        pids_with_marker(&self.marker)
            .into_iter()
            .filter(|p| *p != me && alive(*p))
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, "TERM");
            let end = Instant::now() + Duration::from_secs(5);
            while Instant::now() < end {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for pid in pids_with_marker(&self.marker) {
            kill(pid, "KILL");
        }
    }
}

/// Runs supervisorctl with `-c conf`.
pub fn ctl_output(conf: &Path, args: &[&str]) -> Output {
    Command::new(supervisorctl_bin())
        .arg("-c")
        .arg(conf)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run supervisorctl")
}

/// `supervisord --check-config [--json] -c DIR/supervisord.conf` with `conf` written there,
/// run in `dir` with a minimal environment.
pub fn check_config(dir: &TestDir, conf: &str, json: bool) -> Output {
    let path = dir.write("supervisord.conf", conf);
    let mut cmd = Command::new(supervisord_bin());
    cmd.arg("--check-config");
    if json {
        cmd.arg("--json");
    }
    cmd.arg("-c")
        .arg(&path)
        .current_dir(&dir.path)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir.s())
        .output()
        .unwrap()
}
