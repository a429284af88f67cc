//! A probe target as written in `ready=` and `healthcheck=`: `tcp:HOST:PORT`,
//! `http://HOST:PORT/PATH` or `exec:COMMAND`.

use std::fmt;

/// The longest command or URL a check may have (bytes).
pub const MAX_CHECK_LEN: usize = 4096;

/// One check: passes when a TCP connect succeeds, an HTTP GET answers 2xx, or a command
/// exits 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `tcp:HOST:PORT`
    Tcp {
        /// Host name or address (`[::1]` written with brackets, stored without).
        host: String,
        /// Port.
        port: u16,
    },
    /// `http://HOST[:PORT][/PATH]`
    Http {
        /// Host name or address.
        host: String,
        /// Port (80 when omitted).
        port: u16,
        /// Path and query, starting with `/`.
        path: String,
    },
    /// `exec:COMMAND`: run with the program's user, environment and directory.
    Exec {
        /// The command line, split at spawn as `command=` is.
        command: String,
    },
}

impl Check {
    /// Parses a check; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Check, String> {
        let text = text.trim();
        if text.len() > MAX_CHECK_LEN {
            return Err(format!("check is longer than {MAX_CHECK_LEN} bytes"));
        }
        if let Some(rest) = text.strip_prefix("tcp:") {
            let (host, port) = host_port(rest, None)?;
            return Ok(Check::Tcp { host, port });
        }
        if let Some(rest) = text.strip_prefix("http://") {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
                return Err(format!("invalid path in {text:?}"));
            }
            let (host, port) = host_port(authority, Some(80))?;
            return Ok(Check::Http {
                host,
                port,
                path: path.to_string(),
            });
        }
        if let Some(rest) = text.strip_prefix("exec:") {
            let command = rest.trim();
            if command.is_empty() {
                return Err("exec: needs a command".into());
            }
            return Ok(Check::Exec {
                command: command.to_string(),
            });
        }
        Err(format!(
            "{text:?} is not a check (tcp:HOST:PORT, http://HOST:PORT/PATH or exec:COMMAND)"
        ))
    }
}

/// `HOST:PORT`, `[V6]:PORT`, or `HOST` alone when a default port is given.
fn host_port(text: &str, default: Option<u16>) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| format!("unclosed [ in {text:?}"))?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("invalid address {text:?}")),
        };
        (&rest[..end], port)
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() || host.bytes().any(|b| b <= b' ' || b == b'/' || b == 0x7f) {
        return Err(format!("invalid host in {text:?}"));
    }
    let port = match (port, default) {
        (Some(p), _) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("invalid port in {text:?}"))?,
        (None, Some(d)) => d,
        (None, None) => return Err(format!("{text:?} needs a port (HOST:PORT)")),
    };
    Ok((host.to_string(), port))
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bracket = |h: &str| h.contains(':');
        match self {
            Check::Tcp { host, port } if bracket(host) => write!(f, "tcp:[{host}]:{port}"),
            Check::Tcp { host, port } => write!(f, "tcp:{host}:{port}"),
            Check::Http { host, port, path } if bracket(host) => {
                write!(f, "http://[{host}]:{port}{path}")
            }
            Check::Http { host, port, path } => write!(f, "http://{host}:{port}{path}"),
            Check::Exec { command } => write!(f, "exec:{command}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_each_kind() {
        for (text, shown) in [
            ("tcp:127.0.0.1:5432", "tcp:127.0.0.1:5432"),
            ("tcp:[::1]:80", "tcp:[::1]:80"),
            (
                "http://localhost:8080/health",
                "http://localhost:8080/health",
            ),
            ("http://localhost", "http://localhost:80/"),
            ("http://[::1]:81/x?y=1", "http://[::1]:81/x?y=1"),
            ("exec: pg_isready -q ", "exec:pg_isready -q"),
        ] {
            let c = Check::parse(text).unwrap();
            assert_eq!(c.to_string(), shown, "{text}");
            assert_eq!(Check::parse(shown).unwrap(), c);
        }
    }

    #[test]
    fn refuses_what_is_not_a_check() {
        for bad in [
            "tcp:localhost",
            "tcp::80",
            "tcp:h:0",
            "tcp:h:70000",
            "tcp:[::1",
            "http://:80/",
            "http://h:x/",
            "http://h/a b",
            "exec:",
            "ftp://h/",
            "",
        ] {
            assert!(Check::parse(bad).is_err(), "{bad}");
        }
        assert!(Check::parse(&format!("exec:{}", "x".repeat(MAX_CHECK_LEN))).is_err());
    }
}
