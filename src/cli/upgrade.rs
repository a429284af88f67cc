//! `supervisord --upgrade`: asks the running daemon, over its control socket, to exec its
//! binary anew in place (the `upgrade` request), then waits until it answers again.
//!
//! The daemon answers `upgrading` and the connection ends at its exec; a refusal or a failed
//! exec is an `ERROR:` line and a final fault line instead. The socket address comes from
//! the daemon's config (the first `[unix_http_server]`, else the `[inet_http_server]`); the
//! credentials from `[supervisorctl]`, else from that server section when its password is
//! plain.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::config::model::{Config, ServerAddress, ServerConfig};
use crate::config::LoadContext;
use crate::protocol::request::{render_request, Request};

/// How long the daemon gets to answer again after its exec.
const ANSWER_AGAIN: Duration = Duration::from_secs(30);

/// How long one reply may take.
const REPLY: Duration = Duration::from_secs(60);

/// Runs `--upgrade` against the daemon of `config`; returns the exit code.
pub fn run(config: &Config, ctx: &LoadContext) -> i32 {
    let Some(server) = pick(&config.servers) else {
        eprintln!(
            "Error: {} has no [unix_http_server] or [inet_http_server] to reach the daemon",
            config.path.display()
        );
        return 2;
    };
    let creds = credentials(config, server, ctx);
    let before = match exchange(server, &creds, &Request::Upgrade) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot reach supervisord: {e}");
            return 1;
        }
    };
    for l in &before.body {
        println!("{l}");
    }
    if let Some((name, code)) = before.last {
        if name != "OK" {
            eprintln!("Error: upgrade refused ({name})");
        }
        return if code == 0 { 1 } else { code };
    }
    if !before.body.iter().any(|l| l == "upgrading") {
        eprintln!("Error: the connection ended without an answer");
        return 1;
    }
    let end = Instant::now() + ANSWER_AGAIN;
    loop {
        if let Ok(r) = exchange(server, &creds, &Request::Version) {
            if matches!(r.last, Some((ref n, 0)) if n == "OK") {
                println!(
                    "supervisord upgraded in place (version {})",
                    r.body.join(" ")
                );
                return 0;
            }
        }
        if Instant::now() >= end {
            eprintln!("Error: supervisord did not answer within 30 s of the upgrade");
            return 1;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The server to talk to: the first unix socket, else the first TCP one.
fn pick(servers: &[ServerConfig]) -> Option<&ServerConfig> {
    servers
        .iter()
        .find(|s| matches!(s.address, ServerAddress::Unix { .. }))
        .or_else(|| servers.first())
}

fn credentials(
    config: &Config,
    server: &ServerConfig,
    ctx: &LoadContext,
) -> Option<(String, String)> {
    if let Ok(c) = crate::config::ctl::load_ctl(Some(&config.path), ctx) {
        if let (Some(u), Some(p)) = (c.username, c.password) {
            return Some((u, p));
        }
    }
    match (&server.username, &server.password) {
        (Some(u), Some(p)) if !p.starts_with("{SHA}") => Some((u.clone(), p.clone())),
        _ => None,
    }
}

/// A reply: its body lines, and its final line (`None`: the connection ended first).
struct Reply {
    body: Vec<String>,
    last: Option<(String, i32)>,
}

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

fn connect(server: &ServerConfig) -> std::io::Result<Box<dyn Stream>> {
    Ok(match &server.address {
        ServerAddress::Unix { file, .. } => {
            let s = UnixStream::connect(file)?;
            s.set_read_timeout(Some(REPLY))?;
            Box::new(s)
        }
        ServerAddress::Inet { host, port } => {
            let host = if host.is_empty() || host == "*" {
                "127.0.0.1"
            } else {
                host
            };
            let s = TcpStream::connect((host, *port))?;
            s.set_read_timeout(Some(REPLY))?;
            Box::new(s)
        }
    })
}

/// Sends `req` (after `auth` when there are credentials) and reads its reply.
fn exchange(
    server: &ServerConfig,
    creds: &Option<(String, String)>,
    req: &Request,
) -> std::io::Result<Reply> {
    let mut s = connect(server)?;
    let mut out = Vec::new();
    if let Some((user, password)) = creds {
        out.extend(render_request(&Request::Auth {
            user: user.clone(),
            password: password.clone(),
        }));
    }
    out.extend(render_request(req));
    s.write_all(&out)?;
    let mut lines = BufReader::new(s).lines();
    if creds.is_some() {
        let auth = read_reply(&mut lines)?;
        if !matches!(auth.last, Some((ref n, _)) if n == "OK") {
            return Ok(auth);
        }
    }
    read_reply(&mut lines)
}

fn read_reply(lines: &mut impl Iterator<Item = std::io::Result<String>>) -> std::io::Result<Reply> {
    let mut body = Vec::new();
    for line in lines {
        let line = line?;
        if let Some(rest) = line.strip_prefix("..") {
            body.push(format!(".{rest}"));
        } else if let Some(rest) = line.strip_prefix('.') {
            let mut w = rest.split(' ');
            let (Some(name), Some(code)) = (w.next(), w.next()) else {
                continue;
            };
            if let Ok(code) = code.parse() {
                return Ok(Reply {
                    body,
                    last: Some((name.to_string(), code)),
                });
            }
        } else {
            body.push(line);
        }
    }
    Ok(Reply { body, last: None })
}
