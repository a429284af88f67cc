//! Parsing a request: its head (request line and fields), chunked bodies, targets and
//! queries, and the small field helpers.

use super::message::{Limits, Request, Version};

/// Longest chunk-size line (with extensions) accepted.
const MAX_CHUNK_LINE: usize = 4096;

/// A request refused while parsing: the status, and the version to answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refuse(pub(super) u16, pub(super) Version);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Chunk {
    /// Reading a chunk-size line.
    Size,
    /// This many data bytes to go.
    Data(usize),
    /// Reading the CRLF after a chunk's data.
    DataEnd,
    /// Skipping trailer lines; bytes seen so far.
    Trailer(usize),
    /// The last chunk and the trailers are in.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// This many body bytes to go.
    Length(usize),
    Chunked(Chunk),
}

/// A request whose head is parsed and whose body is arriving.
#[derive(Debug)]
pub(super) struct Partial {
    pub(super) req: Request,
    pub(super) keep_alive: bool,
    pub(super) framing: Framing,
}

/// A parsed head: the request so far, and whether to send `100 Continue`.
pub(super) struct Head {
    pub(super) partial: Partial,
    pub(super) expect_continue: bool,
}

pub(super) fn parse_head(head: &[u8], limits: &Limits) -> Result<Head, Refuse> {
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let line = lines.next().unwrap_or(b"");
    let bad = |v| Refuse(400, v);
    let mut parts = line.split(|b| *b == b' ');
    let (Some(method), Some(target), Some(vers), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(Version::Http10));
    };
    let version = parse_version(vers)?;
    if !is_token(method) || target.is_empty() || target.iter().any(|b| *b <= b' ' || *b == 0x7f) {
        return Err(bad(version));
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in lines {
        if l.is_empty() {
            continue;
        }
        if l.iter().any(|b| *b == b'\r' || *b == 0) {
            return Err(bad(version));
        }
        if matches!(l[0], b' ' | b'\t') {
            // Obsolete line folding: joined with a space, as RFC 9112 5.2 allows (and
            // Medusa did).
            let Some(last) = headers.last_mut() else {
                return Err(bad(version));
            };
            let more = String::from_utf8_lossy(trim_ows(l));
            if !more.is_empty() {
                if !last.1.is_empty() {
                    last.1.push(' ');
                }
                last.1.push_str(&more);
            }
            continue;
        }
        let colon = l.iter().position(|b| *b == b':').ok_or(bad(version))?;
        let name = &l[..colon];
        // A space before the colon is a smuggling vector (RFC 9112 5.1): refuse it.
        if !is_token(name) {
            return Err(bad(version));
        }
        if headers.len() >= limits.max_headers {
            return Err(Refuse(431, version));
        }
        headers.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(trim_ows(&l[colon + 1..])).into_owned(),
        ));
    }
    let all = |name: &'static str| field_values(&headers, name);
    let mut length: Option<u64> = None;
    for v in all("content-length") {
        for piece in v.split(',') {
            let piece = piece.trim_matches([' ', '\t']);
            if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(version));
            }
            // Too many digits for u64 is certainly too large.
            let n = piece.parse::<u64>().unwrap_or(u64::MAX);
            if length.is_some_and(|l| l != n) {
                return Err(bad(version));
            }
            length = Some(n);
        }
    }
    let codings: Vec<String> = all("transfer-encoding")
        .flat_map(|v| v.split(','))
        .map(|c| c.trim_matches([' ', '\t']).to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    let te_present = all("transfer-encoding").next().is_some();
    let framing = if te_present {
        if length.is_some() {
            return Err(bad(version));
        }
        if codings.iter().any(|c| c != "chunked") {
            return Err(Refuse(501, version));
        }
        // Exactly one "chunked" (RFC 9112 6.3: it must be final and applied once).
        if codings.len() != 1 {
            return Err(bad(version));
        }
        Framing::Chunked(Chunk::Size)
    } else {
        let n = length.unwrap_or(0);
        if n > limits.max_body as u64 {
            return Err(Refuse(413, version));
        }
        Framing::Length(n as usize)
    };
    let has_body = !matches!(framing, Framing::Length(0));
    let mut expect_continue = false;
    // RFC 9110 10.1.1: an HTTP/1.0 expectation is ignored.
    if version == Version::Http11 {
        if let Some(e) = all("expect").next() {
            if !e.eq_ignore_ascii_case("100-continue") {
                return Err(Refuse(417, version));
            }
            expect_continue = has_body;
        }
    }
    let conn: Vec<&str> = all("connection").collect();
    let keep_alive = match version {
        Version::Http11 => !conn.iter().any(|v| has_token(v, "close")),
        Version::Http10 => {
            conn.iter().any(|v| has_token(v, "keep-alive"))
                && !conn.iter().any(|v| has_token(v, "close"))
        }
    };
    let target = String::from_utf8_lossy(target).into_owned();
    let (path, query) = split_target(&target);
    Ok(Head {
        partial: Partial {
            req: Request {
                method: String::from_utf8_lossy(method).into_owned(),
                path,
                query,
                target,
                version,
                headers,
                body: Vec::new(),
            },
            keep_alive,
            framing,
        },
        expect_continue,
    })
}

fn parse_version(v: &[u8]) -> Result<Version, Refuse> {
    let bad = Err(Refuse(400, Version::Http10));
    let Some(rest) = v.strip_prefix(b"HTTP/") else {
        return bad;
    };
    let [major, b'.', minor] = rest else {
        return bad;
    };
    if !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return bad;
    }
    match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(Refuse(505, Version::Http10)),
    }
}

/// Decodes chunked framing from `buf` into `body`; returns the bytes used.
pub(super) fn dechunk(
    buf: &[u8],
    state: &mut Chunk,
    body: &mut Vec<u8>,
    limits: &Limits,
) -> Result<usize, u16> {
    let mut i = 0;
    loop {
        match *state {
            Chunk::Done => return Ok(i),
            Chunk::Size => {
                let Some(off) = buf[i..].iter().position(|b| *b == b'\n') else {
                    if buf.len() - i > MAX_CHUNK_LINE {
                        return Err(400);
                    }
                    return Ok(i);
                };
                if off > MAX_CHUNK_LINE {
                    return Err(400);
                }
                let line = &buf[i..i + off];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                i += off + 1;
                let size = parse_chunk_size(line)?;
                if size > (limits.max_body - body.len()) as u64 {
                    return Err(413);
                }
                *state = if size == 0 {
                    Chunk::Trailer(0)
                } else {
                    Chunk::Data(size as usize)
                };
            }
            Chunk::Data(left) => {
                let n = left.min(buf.len() - i);
                body.extend_from_slice(&buf[i..i + n]);
                i += n;
                if n < left {
                    *state = Chunk::Data(left - n);
                    return Ok(i);
                }
                *state = Chunk::DataEnd;
            }
            Chunk::DataEnd => match &buf[i..] {
                [b'\n', ..] => {
                    i += 1;
                    *state = Chunk::Size;
                }
                [b'\r', b'\n', ..] => {
                    i += 2;
                    *state = Chunk::Size;
                }
                [] | [b'\r'] => return Ok(i),
                _ => return Err(400),
            },
            Chunk::Trailer(seen) => {
                let Some(off) = buf[i..].iter().position(|b| *b == b'\n') else {
                    if seen + (buf.len() - i) > limits.max_head {
                        return Err(431);
                    }
                    return Ok(i);
                };
                if seen + off + 1 > limits.max_head {
                    return Err(431);
                }
                let line = &buf[i..i + off];
                i += off + 1;
                *state = if line.is_empty() || line == b"\r" {
                    Chunk::Done
                } else {
                    Chunk::Trailer(seen + off + 1)
                };
            }
        }
    }
}

/// `1a;ext=x` → 26. Extensions are ignored; too many digits is 413 (too big anyway).
fn parse_chunk_size(line: &[u8]) -> Result<u64, u16> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(400);
    }
    let rest = trim_ows(&line[digits..]);
    if !rest.is_empty() && rest[0] != b';' {
        return Err(400);
    }
    if digits > 15 {
        return Err(413);
    }
    let mut n = 0u64;
    for b in &line[..digits] {
        n = n * 16 + (*b as char).to_digit(16).expect("hex digit") as u64;
    }
    Ok(n)
}

/// `/a%20b?x=1&y` → (`/a b`, [(x, 1), (y, "")]). The absolute form's path is used.
pub(super) fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let (mut path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    path = path.split('#').next().unwrap_or("");
    if let Some(after) = path
        .strip_prefix("http://")
        .or_else(|| path.strip_prefix("https://"))
    {
        path = after.find('/').map_or("/", |i| &after[i..]);
    } else if !path.starts_with('/') && path != "*" {
        path = "";
    }
    let query = query.split('#').next().unwrap_or("");
    (percent_decode(path, false), parse_query(query))
}

/// `a=1&b=x+y` → [(a, 1), (b, "x y")]: a query string or an
/// `application/x-www-form-urlencoded` body. A key without `=` has an empty value.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Decodes `%XY` (a malformed escape stays literal) and, in queries, `+` as a space.
pub fn percent_decode(s: &str, plus_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: &u8| (*c as char).to_digit(16);
        match b[i] {
            b'%' => match (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The values of every field named `name` (case-insensitive).
pub(super) fn field_values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// RFC 9110 token characters.
pub(super) fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
}

fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// True when the comma-separated list `value` holds `token` (case-insensitive).
pub(super) fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim_matches([' ', '\t']).eq_ignore_ascii_case(token))
}
