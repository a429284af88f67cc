//! Golden outputs with placeholders: `{PID}`, `{UPTIME}` and `{STOPTIME}` stand for what
//! `tests/golden/record.sh` replaced (its sed patterns), so a recorded output matches a live
//! one.

/// Consumes what a placeholder stands for (`record.sh`'s sed patterns) from the front of
/// `text`; the rest, or None when it does not match.
fn eat_placeholder<'a>(name: &str, text: &'a str) -> Option<&'a str> {
    let digits = |t: &'a str| {
        let n = t.bytes().take_while(|b| b.is_ascii_digit()).count();
        (n > 0).then(|| &t[n..])
    };
    match name {
        "PID" => {
            if text.starts_with('0') {
                return None;
            }
            digits(text)
        }
        "UPTIME" => {
            // [0-9:]+( days?, [0-9:]+)?
            let clock = |t: &'a str| {
                let n = t
                    .bytes()
                    .take_while(|b| b.is_ascii_digit() || *b == b':')
                    .count();
                (n > 0).then(|| &t[n..])
            };
            let rest = clock(text)?;
            for days in [" days, ", " day, "] {
                if let Some(r) = rest.strip_prefix(days) {
                    return clock(r);
                }
            }
            Some(rest)
        }
        "STOPTIME" => {
            // [A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2} [AP]M, as "Nov 23 09:41 PM"
            let b = text.as_bytes();
            let ok = b.len() >= 15
                && b[0].is_ascii_uppercase()
                && b[1..3].iter().all(u8::is_ascii_lowercase)
                && b[3] == b' '
                && b[4..6].iter().all(u8::is_ascii_digit)
                && b[6] == b' '
                && b[7..9].iter().all(u8::is_ascii_digit)
                && b[9] == b':'
                && b[10..12].iter().all(u8::is_ascii_digit)
                && b[12] == b' '
                && (b[13] == b'A' || b[13] == b'P')
                && b[14] == b'M';
            ok.then(|| &text[15..])
        }
        _ => None,
    }
}

/// Whether `text` matches the golden `pattern` with its `{PID}`, `{UPTIME}`, `{STOPTIME}`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (mut p, mut t) = (pattern, text);
    loop {
        if p.is_empty() {
            return t.is_empty();
        }
        let placeholder = ["PID", "UPTIME", "STOPTIME"]
            .into_iter()
            .find(|n| p.starts_with(&format!("{{{n}}}")));
        if let Some(n) = placeholder {
            match eat_placeholder(n, t) {
                Some(rest) => {
                    p = &p[n.len() + 2..];
                    t = rest;
                }
                None => return false,
            }
            continue;
        }
        let c = p.chars().next().expect("non-empty");
        match t.strip_prefix(c) {
            Some(rest) => {
                p = &p[c.len_utf8()..];
                t = rest;
            }
            None => return false,
        }
    }
}
