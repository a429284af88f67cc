//! The web UI in a real browser: headless Chromium, driven by Playwright from Node, loads
//! the status page of a live supervisord, checks both programs are running, clicks one's
//! Stop link and checks the page that comes back.
//!
//! The same test runs against the reference (the contract is the reference's):
//! `WEB_UI_SUPERVISORD=/opt/ref/bin/supervisord cargo test --test web_ui`.
//!
//! Needs `/usr/bin/chromium` (or `WEB_UI_CHROMIUM`), `node` and `npm`; `playwright-core`
//! is installed on first use into `WEB_UI_NODE_DIR` (default `target/tmp/web-ui-node`).
//! Missing tools fail the test; `WEB_UI_BROWSER=skip` is the only way to skip it.
#![cfg(feature = "xmlrpc")]

mod common;

use common::{kill, pids_with_marker, wait_until, TestDir};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A supervisord under test, killed with everything it started when dropped (also when
/// an assertion panics).
struct Supervisord {
    child: Option<Child>,
    marker: String,
}

impl Supervisord {
    fn start(bin: &str, dir: &TestDir, conf: &Path) -> Supervisord {
        let marker = dir.s();
        let child = Command::new(bin)
            .arg("-n")
            .arg("-c")
            .arg(conf)
            // Children inherit it, so the guard finds them even if the daemon died first.
            .env("SVTEST_ID", &marker)
            .current_dir(&dir.path)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("daemon.stdout")).unwrap())
            .stderr(std::fs::File::create(dir.join("daemon.stderr")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        Supervisord {
            child: Some(child),
            marker,
        }
    }
}

impl Drop for Supervisord {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, "TERM");
            let _ = wait_until(Duration::from_secs(5), || {
                matches!(child.try_wait(), Ok(Some(_)))
            });
            let _ = child.kill();
            let _ = child.wait();
        }
        for pid in pids_with_marker(&self.marker) {
            kill(pid, "KILL");
        }
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().unwrap().port()
}

/// One hand-written `GET path`; the whole response, or `None` if nothing answered.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let req = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Which tools are missing, for the failure message.
fn missing_tools(chromium: &str) -> Vec<String> {
    let mut missing = Vec::new();
    if !Path::new(chromium).exists() {
        missing.push(format!("{chromium} (Debian package `chromium`)"));
    }
    for tool in ["node", "npm"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !found {
            missing.push(format!("{tool} (Debian packages `nodejs npm`)"));
        }
    }
    missing
}

/// The directory whose `node_modules` holds playwright-core, installed there if absent.
fn playwright_dir() -> PathBuf {
    let dir = std::env::var_os("WEB_UI_NODE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-ui-node"));
    if !dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        std::fs::create_dir_all(&dir).unwrap();
        let st = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&dir)
            .arg("playwright-core@1")
            .status()
            .expect("run npm");
        assert!(
            st.success(),
            "`npm install playwright-core@1` into {} failed",
            dir.display()
        );
    }
    dir
}

/// The browser side. Case-insensitive state checks: the reference writes `running`, and
/// CSS may show it upper case.
const SCRIPT: &str = r#"
const { chromium } = require('playwright-core');
const env = process.env;
const [url, stopName, keepName] = [env.UI_URL, env.UI_STOP, env.UI_KEEP];

function fail(msg) { throw new Error(msg); }

async function stateOf(page, name) {
  const row = page.locator('tr').filter({
    has: page.getByRole('link', { name, exact: true }),
  });
  if ((await row.count()) !== 1) return null;
  return ((await row.locator('td').first().textContent()) || '').trim().toLowerCase();
}

(async () => {
  const ctx = await chromium.launchPersistentContext(env.UI_PROFILE, {
    executablePath: env.UI_CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    // Programs may still be STARTING: reload until both are running, with a deadline.
    const end = Date.now() + 15000;
    let states;
    for (;;) {
      await page.goto(url);
      states = [await stateOf(page, stopName), await stateOf(page, keepName)];
      if (states.every((s) => s === 'running')) break;
      if (Date.now() > end) fail(`expected both running, saw ${JSON.stringify(states)}`);
      await page.waitForTimeout(250);
    }
    await page.screenshot({ path: env.UI_SHOT_BEFORE, fullPage: true });

    const row = page.locator('tr').filter({
      has: page.getByRole('link', { name: stopName, exact: true }),
    });
    const stop = row.getByRole('link', { name: 'Stop', exact: true });
    const href = await stop.getAttribute('href');
    if (!/[?&]action=stop\b/.test(href || '')) fail(`Stop link has href ${href}`);
    const before = page.url();
    await stop.click();
    await page.waitForURL((u) => u.toString() !== before);
    await page.waitForLoadState('load');

    const message = `Process ${stopName} stopped`;
    const body = (await page.locator('body').textContent()) || '';
    if (!body.includes(message)) fail(`no "${message}" on the page at ${page.url()}`);
    const after = [await stateOf(page, stopName), await stateOf(page, keepName)];
    if (after[0] !== 'stopped' || after[1] !== 'running') {
      fail(`after Stop expected ["stopped","running"], saw ${JSON.stringify(after)}`);
    }
    // Stopped now: its row offers Start instead of Stop.
    if ((await row.getByRole('link', { name: 'Start', exact: true }).count()) !== 1) {
      fail('the stopped row has no Start link');
    }
    await page.screenshot({ path: env.UI_SHOT_AFTER, fullPage: true });
    console.log(`ok: ${page.url()}`);
  } finally {
    await ctx.close();
  }
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
"#;

#[test]
fn browser_stops_a_program_from_the_status_page() {
    let chromium =
        std::env::var("WEB_UI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if std::env::var("WEB_UI_BROWSER").as_deref() == Ok("skip") {
        eprintln!("web_ui: skipped (WEB_UI_BROWSER=skip)");
        return;
    }
    let missing = missing_tools(&chromium);
    assert!(
        missing.is_empty(),
        "the browser test needs: {}. Install them (`apt-get install -y chromium nodejs npm`), \
         or set WEB_UI_BROWSER=skip to skip this test explicitly.",
        missing.join(", ")
    );
    let node_dir = playwright_dir();

    let bin = std::env::var("WEB_UI_SUPERVISORD")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_supervisord").to_owned());
    let dir = TestDir::new();
    let port = free_port();
    let d = dir.s();
    let conf = dir.write(
        "supervisord.conf",
        &format!(
            "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
             childlogdir={d}\n\n\
             [inet_http_server]\nport=127.0.0.1:{port}\n\n\
             [program:alpha]\ncommand=sleep 1000\nstartsecs=0\n\n\
             [program:beta]\ncommand=sleep 1000\nstartsecs=0\n"
        ),
    );
    let _daemon = Supervisord::start(&bin, &dir, &conf);

    let mut last = None;
    let up = wait_until(Duration::from_secs(10), || {
        last = http_get(port, "/");
        last.as_deref()
            .is_some_and(|r| r.starts_with("HTTP/1.") && r.contains(" 200 "))
    });
    assert!(
        up,
        "{bin} did not answer GET / on 127.0.0.1:{port} within 10 s (last answer: {last:?}); \
         its stderr:\n{}",
        std::fs::read_to_string(dir.join("daemon.stderr")).unwrap_or_default()
    );

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let tag = if std::env::var_os("WEB_UI_SUPERVISORD").is_some() {
        "custom"
    } else {
        "ours"
    };
    let script = dir.write("drive.js", SCRIPT);
    let profile = dir.join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let mut node = Command::new("node")
        .arg(&script)
        .env("NODE_PATH", node_dir.join("node_modules"))
        .env("UI_URL", format!("http://127.0.0.1:{port}/"))
        .env("UI_STOP", "alpha")
        .env("UI_KEEP", "beta")
        .env("UI_CHROMIUM", &chromium)
        .env("UI_PROFILE", &profile)
        .env(
            "UI_SHOT_BEFORE",
            shots.join(format!("web_ui-{tag}-before.png")),
        )
        .env(
            "UI_SHOT_AFTER",
            shots.join(format!("web_ui-{tag}-after.png")),
        )
        // Chromium inherits it, so the daemon guard's sweep would also catch a stray one.
        .env("SVTEST_ID", dir.s())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    let end = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(st) = node.try_wait().unwrap() {
            break Some(st);
        }
        if Instant::now() > end {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    let _ = node.stdout.take().unwrap().read_to_string(&mut out);
    let _ = node.stderr.take().unwrap().read_to_string(&mut err);
    assert!(
        status.is_some_and(|s| s.success()),
        "browser check against {bin} failed ({}):\n{out}{err}",
        match status {
            Some(s) => format!("node {s}"),
            None => "timed out after 120 s".to_owned(),
        }
    );
    eprintln!("web_ui: {}", out.trim());
}
