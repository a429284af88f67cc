//! Python `repr()` of strings. The reference's messages embed values with `%r`, and operators
//! grep for those exact texts, so we reproduce the quoting rules.

/// `repr(s)` for a Python `str`: single quotes unless the text contains `'` and no `"`;
/// backslash, the chosen quote, and control characters escaped.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    escape_into(&mut out, s, Some(quote));
    out.push(quote);
    out
}

/// The inside of `repr(s)`, appended to `out`: backslash, `quote` (if any) and control
/// characters escaped (`\\`, `\n`, `\r`, `\t`, `\xHH`), so the text stays on one line.
pub fn escape_into(out: &mut String, s: &str, quote: Option<char>) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if Some(c) == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// `repr(b)` for Python `bytes`: `b'...'` with the same quote choice as `str`, and every byte
/// outside printable ASCII as `\xNN`.
pub fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(b.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote as char);
    out
}

/// Text as the reference renders bytes in events: as UTF-8 when they are, else
/// `Undecodable: b'...'`.
pub fn decode_or_undecodable(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(format!("Undecodable: {}", bytes_repr(b))),
    }
}

#[cfg(test)]
mod tests {
    use super::{bytes_repr, decode_or_undecodable, str_repr};

    #[test]
    fn quotes_like_python() {
        assert_eq!(str_repr("abc"), "'abc'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(str_repr("a\\b\n"), "'a\\\\b\\n'");
        assert_eq!(str_repr("\x01"), "'\\x01'");
    }

    #[test]
    fn bytes_like_python() {
        assert_eq!(bytes_repr(b"READY\n"), "b'READY\\n'");
        assert_eq!(bytes_repr(b"\xff'"), "b\"\\xff'\"");
        assert_eq!(bytes_repr(b"a'\"\\"), "b'a\\'\"\\\\'");
        assert_eq!(decode_or_undecodable(b"ok"), "ok");
        assert_eq!(decode_or_undecodable(b"\xfe"), "Undecodable: b'\\xfe'");
    }
}
