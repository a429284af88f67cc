//! The `environment=` key/value list: `KEY="val",KEY2=val2`. The reference tokenises it with
//! Python's legacy (non-POSIX) `shlex` lexer, with `/.+-():` added to the word characters,
//! then takes tokens three at a time (`key`, `=`, `value`) and skips one separator token.
//! That lexer has quirks that real configs depend on, reproduced here:
//! - a quoted token keeps its quotes (stripped from values afterwards, not from keys);
//! - a quote inside a word does not start quoting (`a"b c"` is two tokens);
//! - any other punctuation is a one-character token (`A=@x` gives `A=@`);
//! - `#` starts a comment to the end of the line, even inside a word, and the word goes on
//!   after the newline.

/// Characters that make up words, besides ASCII letters and digits.
const EXTRA_WORD: &str = "_/.+-():";
const WHITESPACE: &str = " \t\r\n";

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || EXTRA_WORD.contains(c)
}

/// Splits `s` into legacy-shlex tokens. The only error is `No closing quotation`.
fn tokens(s: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let skip_comment = |i: &mut usize| {
        while *i < chars.len() && chars[*i] != '\n' {
            *i += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if WHITESPACE.contains(c) {
            continue;
        }
        if c == '#' {
            skip_comment(&mut i);
            continue;
        }
        if c == '"' || c == '\'' {
            let mut tok = c.to_string();
            loop {
                let Some(&n) = chars.get(i) else {
                    return Err("No closing quotation".into());
                };
                i += 1;
                tok.push(n);
                if n == c {
                    break;
                }
            }
            out.push(tok);
            continue;
        }
        if !is_word(c) {
            out.push(c.to_string());
            continue;
        }
        let mut tok = c.to_string();
        while let Some(&n) = chars.get(i) {
            if WHITESPACE.contains(n) {
                break;
            }
            if n == '#' {
                skip_comment(&mut i);
                continue;
            }
            if is_word(n) || n == '"' || n == '\'' {
                tok.push(n);
                i += 1;
                continue;
            }
            break;
        }
        out.push(tok);
    }
    Ok(out)
}

/// Parses a key/value list into pairs in order (a repeated key keeps its first position and
/// takes the later value). Errors are the reference's texts.
pub fn key_value_pairs(s: &str) -> Result<Vec<(String, String)>, String> {
    let toks = tokens(s)?;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if i + 2 >= toks.len() || toks[i + 1] != "=" {
            return Err(format!("Unexpected end of key/value pairs in value '{s}'"));
        }
        let value = toks[i + 2].trim_matches(['\'', '"']).to_string();
        set_pair(&mut out, &toks[i], value);
        i += 4;
    }
    Ok(out)
}

/// Inserts or replaces `key` keeping first-insertion order (Python dict semantics).
pub fn set_pair(pairs: &mut Vec<(String, String)>, key: &str, value: String) {
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => pairs.push((key.to_string(), value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(s: &str) -> Result<Vec<(String, String)>, String> {
        key_value_pairs(s)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_like_the_reference() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("", &[]),
            (" ", &[]),
            ("A=1,B=2", &[("A", "1"), ("B", "2")]),
            (
                "A=\"x,y\",B='single quoted',C=plain,D=\"with space\",E=\"\",F=\"a=b\",G=/root/g,H.I=dotted,",
                &[
                    ("A", "x,y"),
                    ("B", "single quoted"),
                    ("C", "plain"),
                    ("D", "with space"),
                    ("E", ""),
                    ("F", "a=b"),
                    ("G", "/root/g"),
                    ("H.I", "dotted"),
                ],
            ),
            ("WORDS=hello world", &[("WORDS", "hello")]),
            ("A=a#b\nc,D=1", &[("A", "ac"), ("D", "1")]),
            ("A=é,B=1", &[("A", "é"), ("B", "1")]),
            ("A=1\n  ,B=\"2\"", &[("A", "1"), ("B", "2")]),
            ("\"K\"=v", &[("\"K\"", "v")]),
            ("A=@x", &[("A", "@")]),
            ("A='it''s'", &[("A", "it")]),
            ("A=1;B=2", &[("A", "1"), ("B", "2")]),
            ("A==1", &[("A", "=")]),
            ("A=-1,B=+x:y(z)", &[("A", "-1"), ("B", "+x:y(z)")]),
            ("A=1,A=2,B=3", &[("A", "2"), ("B", "3")]),
        ];
        for (s, want) in cases {
            assert_eq!(kv(s), Ok(pairs(want)), "input {s:?}");
        }
    }

    #[test]
    fn errors_like_the_reference() {
        for s in [
            "A=1,B",
            "A=x\"y z\",B=1",
            "A=$HOME,B=2",
            "A=b c d e f",
            "A=1,,B=2",
        ] {
            assert_eq!(
                kv(s).unwrap_err(),
                format!("Unexpected end of key/value pairs in value '{s}'")
            );
        }
        assert_eq!(kv("A=\"unterminated").unwrap_err(), "No closing quotation");
    }
}
