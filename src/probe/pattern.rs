//! The line pattern of `ready = log:REGEX`: a small regular-expression subset of our own,
//! matched in linear time (a set of pattern positions is carried along the line, so no input
//! can make it backtrack).
//!
//! Supported: literal characters, `.` (any character), `[abc]`, `[a-z0-9_]`, `[^...]`
//! classes, the escapes `\d` `\w` `\s` (and `\D` `\W` `\S`) and `\` before any punctuation,
//! the quantifiers `*`, `+` and `?` after one atom, and the anchors `^` (start of the line)
//! and `$` (end of the line). Without `^` the pattern may match anywhere in the line.
//! Matching is by bytes; a multi-byte UTF-8 character is matched by its literal bytes (and a
//! `.` matches one byte of it).

/// The longest pattern accepted (atoms).
pub const MAX_ATOMS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Byte(u8),
    Any,
    /// 256-bit membership set.
    Class([u64; 4]),
}

impl Atom {
    fn matches(&self, b: u8) -> bool {
        match self {
            Atom::Byte(x) => *x == b,
            Atom::Any => true,
            Atom::Class(set) => set[usize::from(b >> 6)] & (1u64 << (b & 63)) != 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rep {
    One,
    /// `?`
    Optional,
    /// `*`
    Many,
    /// `+`
    OneOrMore,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    atom: Atom,
    rep: Rep,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    pieces: Vec<Piece>,
    anchored_start: bool,
    anchored_end: bool,
}

impl Pattern {
    /// Compiles `source`; the error names what is wrong and where.
    pub fn compile(source: &str) -> Result<Pattern, String> {
        let bytes = source.as_bytes();
        let mut i = 0;
        let anchored_start = bytes.first() == Some(&b'^');
        if anchored_start {
            i = 1;
        }
        let mut end = bytes.len();
        let anchored_end = end > i && bytes[end - 1] == b'$' && !escaped_at(bytes, end - 1);
        if anchored_end {
            end -= 1;
        }
        let mut pieces: Vec<Piece> = Vec::new();
        while i < end {
            let b = bytes[i];
            let atom = match b {
                b'*' | b'+' | b'?' => {
                    let last = pieces
                        .last_mut()
                        .filter(|p| p.rep == Rep::One)
                        .ok_or_else(|| format!("nothing to repeat at offset {i} of {source:?}"))?;
                    last.rep = match b {
                        b'*' => Rep::Many,
                        b'+' => Rep::OneOrMore,
                        _ => Rep::Optional,
                    };
                    i += 1;
                    continue;
                }
                b'.' => {
                    i += 1;
                    Atom::Any
                }
                b'\\' => {
                    let (a, next) = escape(bytes, i, end, source)?;
                    i = next;
                    a
                }
                b'[' => {
                    let (a, next) = class(bytes, i, end, source)?;
                    i = next;
                    a
                }
                b'^' | b'$' | b'(' | b')' | b'|' | b'{' | b'}' => {
                    return Err(format!(
                        "'{}' at offset {i} of {source:?} is not supported (escape it with \\)",
                        b as char
                    ))
                }
                _ => {
                    i += 1;
                    Atom::Byte(b)
                }
            };
            pieces.push(Piece {
                atom,
                rep: Rep::One,
            });
            if pieces.len() > MAX_ATOMS {
                return Err(format!("pattern is longer than {MAX_ATOMS} atoms"));
            }
        }
        Ok(Pattern {
            source: source.to_string(),
            pieces,
            anchored_start,
            anchored_end,
        })
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the line (without its newline) matches.
    pub fn is_match(&self, line: &[u8]) -> bool {
        let n = self.pieces.len();
        // states[k]: the first k pieces have matched up to here.
        let mut now = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        now[0] = true;
        self.close(&mut now);
        if now[n] && !self.anchored_end {
            return true;
        }
        for &b in line {
            next.iter_mut().for_each(|s| *s = false);
            for k in 0..n {
                if !now[k] || !self.pieces[k].atom.matches(b) {
                    continue;
                }
                match self.pieces[k].rep {
                    Rep::One | Rep::Optional => next[k + 1] = true,
                    // Stay on the piece (more repeats) and allow leaving it.
                    Rep::Many | Rep::OneOrMore => {
                        next[k] = true;
                        next[k + 1] = true;
                    }
                }
            }
            if !self.anchored_start {
                next[0] = true;
            }
            self.close(&mut next);
            std::mem::swap(&mut now, &mut next);
            if now[n] && !self.anchored_end {
                return true;
            }
        }
        now[n]
    }

    /// Adds the states reachable by skipping optional pieces. A `+` piece that has matched
    /// once is represented as "on the piece after one match" by `is_match` (it sets both
    /// k and k+1), so only `?` and `*` may be skipped here.
    fn close(&self, states: &mut [bool]) {
        for k in 0..self.pieces.len() {
            if states[k] && matches!(self.pieces[k].rep, Rep::Optional | Rep::Many) {
                states[k + 1] = true;
            }
        }
    }
}

/// The longest line [`Pattern::scan`] holds on to; a longer one is tested as it is, then
/// dropped.
pub const MAX_LINE: usize = 4096;

impl Pattern {
    /// Feeds output bytes to a line scanner whose unfinished line is `partial`: whether a
    /// complete line (or one cut at [`MAX_LINE`]) matched.
    pub fn scan(&self, partial: &mut Vec<u8>, data: &[u8]) -> bool {
        let mut found = false;
        for chunk in data.split_inclusive(|&b| b == b'\n') {
            let complete = chunk.last() == Some(&b'\n');
            let body = if complete {
                &chunk[..chunk.len() - 1]
            } else {
                chunk
            };
            let room = MAX_LINE.saturating_sub(partial.len());
            partial.extend_from_slice(&body[..body.len().min(room)]);
            if complete || partial.len() >= MAX_LINE {
                let line = partial.strip_suffix(b"\r").unwrap_or(partial);
                found |= self.is_match(line);
                partial.clear();
            }
            if found {
                break;
            }
        }
        found
    }
}

fn escaped_at(bytes: &[u8], at: usize) -> bool {
    let slashes = bytes[..at]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    slashes % 2 == 1
}

fn set_of(f: impl Fn(u8) -> bool) -> [u64; 4] {
    let mut set = [0u64; 4];
    for b in (0..=255u8).filter(|&b| f(b)) {
        add_range(&mut set, b, b);
    }
    set
}

fn invert(set: [u64; 4]) -> [u64; 4] {
    set.map(|w| !w)
}

fn shorthand(c: u8) -> Option<[u64; 4]> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    Some(match c {
        b'd' => set_of(|b| b.is_ascii_digit()),
        b'D' => invert(set_of(|b| b.is_ascii_digit())),
        b'w' => set_of(word),
        b'W' => invert(set_of(word)),
        b's' => set_of(space),
        b'S' => invert(set_of(space)),
        _ => return None,
    })
}

fn escape(bytes: &[u8], i: usize, end: usize, source: &str) -> Result<(Atom, usize), String> {
    let Some(&c) = bytes.get(i + 1).filter(|_| i + 1 < end) else {
        return Err(format!("trailing \\ in {source:?}"));
    };
    if let Some(set) = shorthand(c) {
        return Ok((Atom::Class(set), i + 2));
    }
    match c {
        b't' => Ok((Atom::Byte(b'\t'), i + 2)),
        c if c.is_ascii_punctuation() => Ok((Atom::Byte(c), i + 2)),
        _ => Err(format!(
            "unknown escape \\{} at offset {i} of {source:?}",
            c as char
        )),
    }
}

fn add_range(set: &mut [u64; 4], lo: u8, hi: u8) {
    for b in lo..=hi {
        set[usize::from(b >> 6)] |= 1u64 << (b & 63);
    }
}

fn class(bytes: &[u8], start: usize, end: usize, source: &str) -> Result<(Atom, usize), String> {
    let unclosed = || format!("unclosed [ at offset {start} of {source:?}");
    let mut i = start + 1;
    let negated = bytes.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut set = [0u64; 4];
    let mut first = true;
    loop {
        if i >= end {
            return Err(unclosed());
        }
        let b = bytes[i];
        if b == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        let lo = if b == b'\\' {
            let Some(&c) = bytes.get(i + 1).filter(|_| i + 1 < end) else {
                return Err(unclosed());
            };
            i += 2;
            if let Some(s) = shorthand(c) {
                for (w, x) in set.iter_mut().zip(s) {
                    *w |= x;
                }
                continue;
            }
            if c == b't' {
                b'\t'
            } else {
                c
            }
        } else {
            i += 1;
            b
        };
        if bytes.get(i) == Some(&b'-') && i + 1 < end && bytes[i + 1] != b']' {
            let hi = bytes[i + 1];
            if hi < lo {
                return Err(format!("bad range at offset {i} of {source:?}"));
            }
            add_range(&mut set, lo, hi);
            i += 2;
        } else {
            add_range(&mut set, lo, lo);
        }
    }
    Ok((Atom::Class(if negated { invert(set) } else { set }), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, line: &str) -> bool {
        Pattern::compile(p).unwrap().is_match(line.as_bytes())
    }

    #[test]
    fn literals_match_anywhere_unless_anchored() {
        assert!(m("ready", "server is ready now"));
        assert!(!m("ready", "server is read"));
        assert!(m("^server", "server is ready"));
        assert!(!m("^ready", "server is ready"));
        assert!(m("ready$", "server is ready"));
        assert!(!m("ready$", "ready, set"));
        assert!(m("^exact$", "exact"));
        assert!(!m("^exact$", "exactly"));
        assert!(m("", "anything"));
        assert!(m("^$", ""));
        assert!(!m("^$", "x"));
    }

    #[test]
    fn quantifiers_and_dot() {
        assert!(m("a.c", "xxabcxx"));
        assert!(!m("a.c", "ac"));
        assert!(m("ab*c", "ac"));
        assert!(m("ab*c", "abbbc"));
        assert!(!m("ab+c", "ac"));
        assert!(m("ab+c", "abbc"));
        assert!(m("^ab?c$", "ac"));
        assert!(m("^ab?c$", "abc"));
        assert!(!m("^ab?c$", "abbc"));
        assert!(m(
            "^.*listening on port \\d+$",
            "2026 INFO listening on port 8080"
        ));
        assert!(m("^a*a*a*a*b$", "aaaaab"));
        assert!(!m("^a*a*a*a*b$", &"a".repeat(10_000)));
    }

    #[test]
    fn classes_and_escapes() {
        assert!(m("port [0-9]+", "port 5432"));
        assert!(!m("port [0-9]+", "port x"));
        assert!(m("^[^#]", "value"));
        assert!(!m("^[^#]", "#comment"));
        assert!(m("[]x]", "]"));
        assert!(m("a[-.]b", "a-b"));
        assert!(m("\\w+\\s\\d", "abc 1"));
        assert!(m("1\\.0", "v1.0"));
        assert!(!m("1\\.0", "v1x0"));
        assert!(m("[\\d.]+$", "1.2.3"));
        assert!(m("cost \\$5", "cost $5"));
    }

    #[test]
    fn scans_lines_across_reads() {
        let p = Pattern::compile("^listening on \\d+$").unwrap();
        let mut partial = Vec::new();
        assert!(!p.scan(&mut partial, b"booting\nlisten"));
        assert_eq!(partial, b"listen");
        assert!(!p.scan(&mut partial, b"ing on 80"));
        assert!(p.scan(&mut partial, b"80\r\nmore"));
        let mut partial = Vec::new();
        let long = vec![b'x'; MAX_LINE * 3];
        assert!(!p.scan(&mut partial, &long));
        assert!(partial.len() < MAX_LINE);
    }

    #[test]
    fn refuses_what_it_does_not_support() {
        for bad in [
            "*a", "a**", "(a)", "a|b", "a{2}", "[abc", "a\\", "\\q", "[z-a]", "a^b",
        ] {
            assert!(Pattern::compile(bad).is_err(), "{bad}");
        }
        assert!(Pattern::compile(&"a".repeat(MAX_ATOMS + 1)).is_err());
    }
}
