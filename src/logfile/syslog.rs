//! Syslog output, one datagram per line to `/dev/log`, as the reference produces through
//! Python's `syslog.syslog()` (glibc `syslog(3)`, facility USER, priority INFO, ident
//! `supervisord`, no pid). Observed datagram: `<14>Nov 23 20:34:08 supervisord: <text>`.
//!
//! A message is split like the reference's `SyslogHandler`: trailing newlines removed,
//! then one datagram per `\n`-separated line. The activity log sends each line as
//! `<asctime> <LEVL> <line>\n`; child output (`stdout_syslog=true`) as
//! `<procname> <line>`.
//!
//! The socket is unbound, non-blocking and unconnected (a restarted syslogd is picked
//! up by the next send); errors are ignored, as losing syslog lines must never stall the
//! daemon. Tests point it elsewhere with `SUPERVISOR_SYSLOG_SOCKET`.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use crate::sys;
use crate::time::{syslog_stamp, Tm};

/// Environment variable that overrides the socket path (for tests).
pub const SOCKET_ENV: &str = "SUPERVISOR_SYSLOG_SOCKET";

/// `<PRI>` for LOG_USER | LOG_INFO.
const PRI: u8 = 14;

/// What glibc takes from `argv[0]` when Python calls `openlog()` implicitly.
const IDENT: &str = "supervisord";

/// A syslog sender.
#[derive(Debug)]
pub struct Syslog {
    sock: Option<UnixDatagram>,
    path: PathBuf,
}

impl Default for Syslog {
    fn default() -> Self {
        Syslog::new()
    }
}

impl Syslog {
    /// Sends to `$SUPERVISOR_SYSLOG_SOCKET`, else `/dev/log`.
    pub fn new() -> Syslog {
        let path = std::env::var_os(SOCKET_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/dev/log"));
        Syslog::with_path(path)
    }

    /// Sends to `path`.
    pub fn with_path(path: impl Into<PathBuf>) -> Syslog {
        let sock = UnixDatagram::unbound()
            .and_then(|s| s.set_nonblocking(true).map(|_| s))
            .ok();
        Syslog {
            sock,
            path: path.into(),
        }
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends child output `data` of `procname` now: one datagram per line,
    /// `<procname> <line>`.
    pub fn child_output(&self, procname: &str, data: &[u8]) {
        let tm = now_tm();
        let prefix = format!("{procname} ");
        self.send_lines_at(&tm, prefix.as_bytes(), data, b"");
    }

    /// Sends one datagram per line of `msg`, each `prefix + line + suffix`, stamped
    /// with `tm`.
    pub fn send_lines_at(&self, tm: &Tm, prefix: &[u8], msg: &[u8], suffix: &[u8]) {
        let Some(sock) = &self.sock else { return };
        let stamp = syslog_stamp(tm);
        for line in split_lines(msg) {
            let mut body = Vec::with_capacity(prefix.len() + line.len() + suffix.len());
            body.extend_from_slice(prefix);
            body.extend_from_slice(line);
            body.extend_from_slice(suffix);
            // Errors (no syslogd, full queue) are deliberately ignored.
            let _ = sock.send_to(&datagram(&stamp, &body), &self.path);
        }
    }
}

fn now_tm() -> Tm {
    sys::localtime((sys::wall_clock_ms() / 1000) as i64)
}

/// Python's `msg.rstrip('\n').split('\n')`: always at least one (maybe empty) line.
pub fn split_lines(msg: &[u8]) -> Vec<&[u8]> {
    let end = msg.iter().rposition(|&b| b != b'\n').map_or(0, |i| i + 1);
    msg[..end].split(|&b| b == b'\n').collect()
}

/// One datagram: `<14><stamp> supervisord: <body>`.
pub fn datagram(stamp: &str, body: &[u8]) -> Vec<u8> {
    let mut d = format!("<{PRI}>{stamp} {IDENT}: ").into_bytes();
    d.extend_from_slice(body);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_python() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"one", &[b"one"]),
            (b"one\n", &[b"one"]),
            (b"one\n\n\n", &[b"one"]),
            (b"a\nb\n", &[b"a", b"b"]),
            (b"a\n\nb", &[b"a", b"", b"b"]),
            (b"", &[b""]),
            (b"\n", &[b""]),
            (b"\na", &[b"", b"a"]),
        ];
        for (msg, want) in cases {
            assert_eq!(&split_lines(msg), want, "{msg:?}");
        }
    }

    #[test]
    fn datagram_shape() {
        assert_eq!(
            datagram("Nov 23 20:34:08", b"web hello"),
            b"<14>Nov 23 20:34:08 supervisord: web hello".to_vec()
        );
    }
}
