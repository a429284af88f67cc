//! The interactive shell on a real terminal: `supervisorctl` runs in a detached `tmux`
//! session of a fixed size against our `supervisord`, keys go in with `tmux send-keys`, and
//! the screen comes back from `tmux capture-pane`. Line editing, completion of commands and
//! process names, history (and its file), Ctrl-C, Ctrl-D, and the terminal settings after
//! the shell ends (by Ctrl-D and by SIGTERM). Needs tmux: the test fails without it.
//! Every wait polls the screen with a deadline; the tmux server (its own socket) and the
//! daemon are always killed.

mod common;

use common::{supervisorctl_bin, wait_until, Daemon, TestDir};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

/// A tmux server of our own (its socket in the test dir), killed on drop.
struct Tmux {
    socket: PathBuf,
    dir: PathBuf,
}

impl Tmux {
    /// Runs `command` through `sh -c` in a new 80x24 session; when it ends, the shell
    /// records its exit code in `rc` and the terminal's settings in `stty`, then sleeps so
    /// the screen stays.
    fn start(dir: &TestDir, command: &str) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.is_ok_and(|o| o.status.success()),
            "this test needs tmux (apt-get install tmux)"
        );
        let conf = dir.write("tmux.conf", "set -g status off\n");
        // A socket per server: a new server on the socket of one being killed can meet it
        // going down ("server exited unexpectedly").
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let n = SERVERS.fetch_add(1, Ordering::SeqCst);
        let t = Tmux {
            socket: dir.join(&format!("tmux{n}.sock")),
            dir: dir.path.clone(),
        };
        let d = dir.s();
        let script = format!("{command}; echo $? >{d}/rc; stty -a >{d}/stty; exec sleep 600");
        let out = t.run(&[
            "-f",
            conf.to_str().unwrap(),
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "80",
            "-y",
            "24",
            &script,
        ]);
        assert!(out.status.success(), "tmux: {out:?}");
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    /// Text typed as is (`-l`: no key names).
    fn type_text(&self, text: &str) {
        assert!(self
            .run(&["send-keys", "-t", "t", "-l", text])
            .status
            .success());
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn cursor(&self) -> (usize, usize) {
        let o = self.run(&[
            "display-message",
            "-p",
            "-t",
            "t",
            "#{cursor_x} #{cursor_y}",
        ]);
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut it = s.split_whitespace().map(|n| n.parse().unwrap());
        (it.next().unwrap(), it.next().unwrap())
    }

    /// The last non-empty row on the screen.
    fn last_row(&self) -> String {
        last_row(&self.screen())
    }

    /// Waits until `cond` holds for the screen; fails showing it otherwise.
    fn wait(&self, what: &str, cond: impl Fn(&str) -> bool) {
        if !wait_until(T, || cond(&self.screen())) {
            panic!("waited for {what}; the screen:\n{}", self.screen());
        }
    }

    /// Waits until the last row is exactly `row` (and the cursor at column `col`).
    fn wait_row(&self, row: &str, col: usize) {
        let ok = wait_until(T, || self.last_row() == row && self.cursor().0 == col);
        if !ok {
            panic!(
                "waited for the row {row:?} with the cursor at {col}; cursor {:?}, screen:\n{}",
                self.cursor(),
                self.screen()
            );
        }
    }

    /// What the shell recorded when supervisorctl ended: its exit code and `stty -a`.
    fn ended(&self) -> (String, String) {
        let rc = self.dir.join("rc");
        let stty = self.dir.join("stty");
        assert!(
            wait_until(T, || std::fs::read_to_string(&stty)
                .is_ok_and(|s| !s.is_empty())),
            "supervisorctl did not end; the screen:\n{}",
            self.screen()
        );
        (
            std::fs::read_to_string(rc).unwrap().trim().to_string(),
            std::fs::read_to_string(stty).unwrap(),
        )
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn last_row(screen: &str) -> String {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string()
}

/// The terminal is back in its usual mode: line editing, echo, signals from keys.
fn assert_cooked(stty: &str) {
    for flag in ["icanon", "echo", "isig", "icrnl"] {
        assert!(
            stty.split_whitespace().any(|w| w == flag),
            "{flag} is off after supervisorctl: {stty}"
        );
    }
}

fn daemon(dir: &TestDir) -> Daemon {
    let d = dir.s();
    let conf = format!(
        "[unix_http_server]\nfile={d}/s.sock\n\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/sd.pid\nchildlogdir={d}\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:cat]\ncommand=/bin/cat\nstartsecs=0\n\n\
         [program:web]\ncommand=/bin/sleep 1000\nnumprocs=2\n\
         process_name=%(program_name)s_%(process_num)02d\nstartsecs=0\n"
    );
    let dmn = Daemon::start(dir, &conf);
    let ok = wait_until(T, || {
        let (out, _) = dmn.ctl(&["status"]);
        out.matches("RUNNING").count() == 3
    });
    assert!(ok, "the programs did not start: {}", dmn.ctl(&["status"]).0);
    dmn
}

/// `supervisorctl` with HOME in the test dir (the default history file goes there) and the
/// daemon's marker (so the daemon's guard kills it too, whatever happens).
fn ctl_command(dir: &TestDir, dmn: &Daemon) -> String {
    format!(
        "env HOME={d} SVTEST_ID={d} {ctl} -c {conf}",
        d = dir.s(),
        ctl = supervisorctl_bin(),
        conf = dmn.conf.display()
    )
}

const PROMPT: &str = "supervisor>";

#[test]
fn editing_completion_history_and_the_keys_that_end_things() {
    let dir = TestDir::new();
    let dmn = daemon(&dir);
    let tmux = Tmux::start(&dir, &ctl_command(&dir, &dmn));
    tmux.wait("the status table and a prompt", |s| {
        s.contains("web:web_01") && last_row(s) == PROMPT
    });

    // A command completed in place, with its space.
    tmux.type_text("vers");
    tmux.wait_row("supervisor> vers", 16);
    tmux.keys(&["Tab"]);
    tmux.wait_row("supervisor> version", 20);
    tmux.keys(&["Enter"]);
    tmux.wait("version's answer", |s| {
        s.contains("supervisor> version\n4.3.0\n") && last_row(s) == PROMPT
    });

    // Several commands: the second Tab lists them.
    tmux.type_text("re");
    tmux.keys(&["Tab"]);
    tmux.keys(&["Tab"]);
    tmux.wait("the commands starting with re", |s| {
        s.contains("reload    remove    reread    restart")
    });
    tmux.wait_row("supervisor> re", 14);
    tmux.keys(&["C-u"]);
    tmux.wait_row(PROMPT, 12);

    // A process name: the group's common prefix, then the list, then one process.
    tmux.type_text("stop w");
    tmux.keys(&["Tab"]);
    tmux.wait_row("supervisor> stop web:", 21);
    tmux.keys(&["Tab"]);
    tmux.wait("the processes of web", |s| {
        s.contains("\nweb:*        web:web_00   web:web_01\n")
    });
    tmux.keys(&["C-u"]);
    tmux.type_text("pid c");
    tmux.keys(&["Tab"]);
    tmux.wait_row("supervisor> pid cat", 20);
    tmux.keys(&["Enter"]);
    tmux.wait("the pid of cat", |s| {
        s.lines()
            .skip_while(|l| *l != "supervisor> pid cat")
            .nth(1)
            .is_some_and(|l| l.parse::<u32>().is_ok())
    });

    // Editing in the middle of the line.
    tmux.type_text("statu cat");
    tmux.keys(&["Left", "Left", "Left", "Left"]);
    tmux.wait_row("supervisor> statu cat", 17);
    tmux.type_text("s");
    tmux.wait_row("supervisor> status cat", 18);
    tmux.keys(&["Home", "Right", "Right", "C-d", "End", "BSpace"]);
    tmux.wait_row("supervisor> sttus ca", 20);
    tmux.keys(&["C-a", "C-f", "C-f"]);
    tmux.type_text("a");
    tmux.keys(&["C-e"]);
    tmux.type_text("t");
    tmux.wait_row("supervisor> status cat", 22);
    tmux.keys(&["Enter"]);
    tmux.wait("status of cat alone", |s| {
        s.contains("supervisor> status cat\ncat ") && last_row(s) == PROMPT
    });

    // History: Up brings back the last lines, newest first.
    tmux.keys(&["Up"]);
    tmux.wait_row("supervisor> status cat", 22);
    tmux.keys(&["Up"]);
    tmux.wait_row("supervisor> pid cat", 20);
    tmux.keys(&["Down", "Down"]);
    tmux.wait_row(PROMPT, 12);
    tmux.keys(&["C-p", "C-p", "C-p"]);
    tmux.wait_row("supervisor> version", 20);
    tmux.keys(&["Enter"]);
    tmux.wait("version again", |s| {
        s.matches("\n4.3.0\n").count() == 2 && last_row(s) == PROMPT
    });

    // Ctrl-R: the newest line with the text typed.
    tmux.keys(&["C-r"]);
    tmux.type_text("pid");
    tmux.wait_row("(reverse-i-search)`pid': pid cat", 25);
    tmux.keys(&["Enter"]);
    tmux.wait("the pid of cat again", |s| {
        s.matches("supervisor> pid cat\n").count() == 2 && last_row(s) == PROMPT
    });

    // A line longer than the terminal scrolls sideways on its row: nothing wraps.
    let long = format!("status {}", "x".repeat(100));
    tmux.type_text(&long);
    tmux.wait_row(&format!("supervisor> {}", &long[long.len() - 67..]), 79);
    tmux.keys(&["Home"]);
    tmux.wait_row(&format!("supervisor> {}", &long[..67]), 12);
    tmux.keys(&["C-k"]);
    tmux.wait_row(PROMPT, 12);

    // Ctrl-C drops the line, keeps the shell (and shuts nothing down).
    tmux.type_text("shutdown");
    tmux.keys(&["C-c"]);
    tmux.wait("a new prompt after ^C", |s| {
        s.contains("supervisor> shutdown^C\nsupervisor>")
    });
    tmux.wait_row(PROMPT, 12);
    assert!(common::alive(dmn.pid()));

    // Ctrl-D on an empty line: a newline, exit 0, the terminal as it was.
    tmux.keys(&["C-d"]);
    let (rc, stty) = tmux.ended();
    assert_eq!(rc, "0");
    assert_cooked(&stty);
    let screen = tmux.screen();
    let rows: Vec<&str> = screen.lines().collect();
    let last_prompt = rows.iter().rposition(|l| *l == PROMPT).unwrap();
    assert_eq!(tmux.cursor(), (0, last_prompt + 1), "{screen}");

    // The history file: the lines entered, in order, mode 0600.
    let hist = dir.join(".supervisorctl_history");
    assert_eq!(
        std::fs::read_to_string(&hist).unwrap(),
        "version \npid cat \nstatus cat\nversion \npid cat \n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&hist).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // A new shell starts with that history.
    let _ = std::fs::remove_file(dir.join("stty"));
    drop(tmux);
    let tmux = Tmux::start(&dir, &ctl_command(&dir, &dmn));
    tmux.wait("a prompt", |s| last_row(s) == PROMPT);
    tmux.keys(&["Up", "Up", "Up"]);
    tmux.wait_row("supervisor> status cat", 22);
    tmux.keys(&["C-c"]);
    tmux.type_text("quit");
    tmux.keys(&["Enter"]);
    let (rc, stty) = tmux.ended();
    assert_eq!(rc, "0");
    assert_cooked(&stty);
    assert_eq!(
        std::fs::read_to_string(&hist).unwrap(),
        "version \npid cat \nstatus cat\nversion \npid cat \nquit\n"
    );
}

/// The pid of the child of `parent` (the shell tmux started runs supervisorctl).
fn child_of(parent: i32) -> Option<i32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let ppid: i32 = stat
            .rsplit(')')
            .next()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        (ppid == parent).then_some(pid)
    })
}

#[test]
fn sigterm_at_the_prompt_restores_the_terminal() {
    let dir = TestDir::new();
    let dmn = daemon(&dir);
    let tmux = Tmux::start(&dir, &ctl_command(&dir, &dmn));
    tmux.wait("a prompt", |s| last_row(s) == PROMPT);
    tmux.type_text("stat");
    tmux.wait_row("supervisor> stat", 16);
    let out = tmux.run(&["display-message", "-p", "-t", "t", "#{pane_pid}"]);
    let shell: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let ctl = child_of(shell).expect("supervisorctl's pid");
    assert!(common::kill(ctl, "TERM"));
    let (rc, stty) = tmux.ended();
    assert_eq!(rc, "143", "killed by SIGTERM, as without a handler");
    assert_cooked(&stty);
}
