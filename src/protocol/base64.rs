//! Base64 (RFC 4648, standard alphabet) for HTTP Basic auth and XML-RPC's `<base64>`: one
//! decoder with the two protocols' rules, and the encoder XML-RPC writes with.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// What a decoder accepts besides the alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Skip ASCII whitespace anywhere (XML text).
    pub whitespace: bool,
    /// The `=` padding must be there (Python's decoder requires it; HTTP clients vary).
    pub padding: bool,
}

/// HTTP `Authorization: Basic`: no whitespace, padding optional.
pub const BASIC_AUTH: Rules = Rules {
    whitespace: false,
    padding: false,
};

/// XML-RPC `<base64>`: whitespace skipped, padding required.
pub const XML: Rules = Rules {
    whitespace: true,
    padding: true,
};

/// Decodes `text`; `None` for anything the rules refuse.
pub fn decode(text: &str, rules: Rules) -> Option<Vec<u8>> {
    let mut sextets = Vec::with_capacity(text.len());
    let mut pad = 0;
    for b in text.bytes() {
        if rules.whitespace && matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        if b == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 {
            return None;
        }
        let v = ALPHABET.iter().position(|&a| a == b)?;
        sextets.push(v as u8);
    }
    let ok = match (sextets.len() % 4, pad) {
        (0, 0) => true,
        (2, 2) | (3, 1) => true,
        (2, 0) | (3, 0) => !rules.padding,
        _ => false,
    };
    if !ok {
        return None;
    }
    let mut out = Vec::with_capacity(sextets.len() / 4 * 3 + 2);
    for chunk in sextets.chunks(4) {
        let mut n = 0u32;
        for (i, &s) in chunk.iter().enumerate() {
            n |= u32::from(s) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    Some(out)
}

/// Encodes `data` in 76-character lines, each ending in `\n`, as Python's
/// `base64.encodebytes` (what `xmlrpc.client` writes).
pub fn encode_lines(out: &mut String, data: &[u8]) {
    // 57 input bytes make one 76-character line.
    for line in data.chunks(57) {
        for chunk in line.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_both_ways_and_the_rules() {
        for (dec, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
        ] {
            assert_eq!(decode(enc, XML).as_deref(), Some(dec.as_bytes()));
            assert_eq!(decode(enc, BASIC_AUTH).as_deref(), Some(dec.as_bytes()));
            let mut s = String::new();
            encode_lines(&mut s, dec.as_bytes());
            assert_eq!(s.trim_end(), enc);
        }
        assert_eq!(decode("Zg", BASIC_AUTH).as_deref(), Some(&b"f"[..]));
        assert_eq!(decode("Zg", XML), None, "padding required");
        assert_eq!(decode("Zm 9v\n", XML).as_deref(), Some(&b"foo"[..]));
        assert_eq!(decode("Zm 9v", BASIC_AUTH), None);
        for bad in ["Z", "Zm9v=", "Z=g=", "Zm9*", "Zg==="] {
            assert_eq!(decode(bad, XML), None, "{bad}");
        }
    }
}
