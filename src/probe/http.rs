//! The HTTP/1.0 exchange of an `http://` check, without I/O: the request bytes, and the
//! verdict on however much of the answer has arrived. Only the status line is read; at most
//! [`MAX_STATUS_LINE`] bytes are looked at, so a hostile server cannot make the daemon hold
//! more.

/// The most bytes of the answer read before its status line must be complete.
pub const MAX_STATUS_LINE: usize = 1024;

/// The GET request for `path` on `host:port`.
pub fn request(host: &str, port: u16, path: &str) -> Vec<u8> {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!(
        "GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: supervisor-rs-probe\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// What the answer so far says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The status line is not complete yet.
    Incomplete,
    /// The status code.
    Status(u16),
    /// Not an HTTP answer (the text says how).
    Invalid(String),
}

/// Reads the status line from the start of the answer.
pub fn verdict(answer: &[u8]) -> Verdict {
    let Some(end) = answer.iter().position(|&b| b == b'\n') else {
        if answer.len() >= MAX_STATUS_LINE {
            return Verdict::Invalid("status line too long".into());
        }
        return Verdict::Incomplete;
    };
    if end >= MAX_STATUS_LINE {
        return Verdict::Invalid("status line too long".into());
    }
    let line = String::from_utf8_lossy(&answer[..end]);
    let mut words = line.trim_end_matches('\r').split(' ');
    let version = words.next().unwrap_or("");
    let code = words.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return Verdict::Invalid(format!("not an HTTP answer: {:?}", truncate(&line)));
    }
    match code.parse::<u16>() {
        Ok(c) if (100..600).contains(&c) => Verdict::Status(c),
        _ => Verdict::Invalid(format!("bad status code {code:?}")),
    }
}

fn truncate(s: &str) -> &str {
    let mut end = s.len().min(80);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_http_1_0_and_closes() {
        let r = String::from_utf8(request("localhost", 8080, "/health?x=1")).unwrap();
        assert!(r.starts_with("GET /health?x=1 HTTP/1.0\r\nHost: localhost:8080\r\n"));
        assert!(r.ends_with("Connection: close\r\n\r\n"));
        let r6 = String::from_utf8(request("::1", 80, "/")).unwrap();
        assert!(r6.contains("Host: [::1]:80\r\n"));
    }

    #[test]
    fn reads_the_status_line_as_it_arrives() {
        assert_eq!(verdict(b""), Verdict::Incomplete);
        assert_eq!(verdict(b"HTTP/1.1 20"), Verdict::Incomplete);
        assert_eq!(
            verdict(b"HTTP/1.1 204 No Content\r\n"),
            Verdict::Status(204)
        );
        assert_eq!(verdict(b"HTTP/1.0 503\r\nx"), Verdict::Status(503));
        assert!(matches!(
            verdict(b"SSH-2.0-OpenSSH\r\n"),
            Verdict::Invalid(_)
        ));
        assert!(matches!(verdict(b"HTTP/1.1 2000 x\n"), Verdict::Invalid(_)));
        assert!(matches!(verdict(b"HTTP/1.1 099 x\n"), Verdict::Invalid(_)));
        let long = vec![b'x'; MAX_STATUS_LINE];
        assert!(matches!(verdict(&long), Verdict::Invalid(_)));
    }
}
