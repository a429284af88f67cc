//! Server URLs: `unix:///path` or `http://host[:port]`, as `-s`, `serverurl` and `open` take
//! them.

use std::path::PathBuf;

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A unix socket.
    Unix(PathBuf),
    /// A TCP address.
    Tcp {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port (80 when the URL has none, as HTTP).
        port: u16,
    },
}

/// The scheme of a URL as Python's `urlparse` sees it: letters, digits, `+-.`, starting with
/// a letter, before the first `:`.
fn scheme(url: &str) -> Option<&str> {
    let (s, _) = url.split_once(':')?;
    let mut chars = s.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(s)
}

/// The `-s` validator: a URL needs a scheme and something after it. The error text is the
/// reference's: `value 'foo' is not a URL`.
pub fn validate(url: &str) -> Result<(), String> {
    match scheme(url) {
        Some(s) if url.len() > s.len() + 1 => Ok(()),
        _ => Err(format!(
            "value {} is not a URL",
            crate::pyrepr::str_repr(url)
        )),
    }
}

/// True for URLs `open` accepts (`http` and `unix` schemes).
pub fn is_openable(url: &str) -> bool {
    matches!(scheme(url.trim()), Some("http" | "unix"))
}

/// Parses a server URL into a target. The error is the reference's
/// `Unknown protocol for serverurl X` for other schemes.
pub fn parse(url: &str) -> Result<Target, String> {
    if let Some(path) = url.strip_prefix("unix://") {
        return Ok(Target::Unix(PathBuf::from(path)));
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!("Unknown protocol for serverurl {url}"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("bad host in serverurl {url}"))?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => 80,
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("bad port in serverurl {url}"))?,
    };
    let host = if host.is_empty() { "localhost" } else { host };
    Ok(Target::Tcp {
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!(
            parse("unix:///tmp/s.sock"),
            Ok(Target::Unix("/tmp/s.sock".into()))
        );
        let tcp = |h: &str, p| {
            Ok(Target::Tcp {
                host: h.into(),
                port: p,
            })
        };
        assert_eq!(parse("http://localhost:9001"), tcp("localhost", 9001));
        assert_eq!(parse("http://127.0.0.1:9001/RPC2"), tcp("127.0.0.1", 9001));
        assert_eq!(parse("http://localhost"), tcp("localhost", 80));
        assert_eq!(parse("http://[::1]:9001"), tcp("::1", 9001));
        assert_eq!(parse("http://u:p@h:5"), tcp("h", 5));
        assert_eq!(
            parse("foo:bar"),
            Err("Unknown protocol for serverurl foo:bar".into())
        );
        assert!(parse("http://h:99999").is_err());
    }

    #[test]
    fn validates_like_the_reference() {
        assert_eq!(validate("foo"), Err("value 'foo' is not a URL".into()));
        assert_eq!(validate("http:"), Err("value 'http:' is not a URL".into()));
        assert!(validate("unix:///x").is_ok());
        assert!(validate("http://h:1").is_ok());
        assert!(is_openable("unix:///x"));
        assert!(is_openable(" http://x "));
        assert!(!is_openable("foo"));
        assert!(!is_openable("ftp://x"));
    }
}
