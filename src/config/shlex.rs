//! POSIX-shell word splitting for `command=` (Python `shlex.split` rules: quotes and
//! backslashes, no variables, globs or pipes).

/// Splits `s` into words. Errors carry Python's messages (`No closing quotation`,
/// `No escaped character`) because `spawnerr: can't parse command` prints them.
pub fn split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // `in_word` distinguishes an empty quoted word ('') from no word at all.
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(n) => word.push(n),
                    None => return Err("No escaped character".into()),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => word.push(n),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        // Inside double quotes a backslash escapes only `"` and `\`.
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\')) => word.push(n),
                            Some(n) => {
                                word.push('\\');
                                word.push(n);
                            }
                            None => return Err("No closing quotation".into()),
                        },
                        Some(n) => word.push(n),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_like_python_shlex() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("  a  b ", &["a", "b"]),
            ("/bin/echo 'a b' \"c d\"", &["/bin/echo", "a b", "c d"]),
            ("a'b'c", &["abc"]),
            ("''", &[""]),
            ("a \"\" b", &["a", "", "b"]),
            (r"a\ b", &["a b"]),
            (r#""a\"b""#, &["a\"b"]),
            (r#""a\nb""#, &["a\\nb"]),
            (r"'a\b'", &["a\\b"]),
            (
                "bash -c 'echo $HOME; ls'",
                &["bash", "-c", "echo $HOME; ls"],
            ),
            ("a\tb\nc", &["a", "b", "c"]),
        ];
        for (input, want) in cases {
            let got = split(input).unwrap();
            assert_eq!(&got, want, "input {input:?}");
        }
    }

    #[test]
    fn reports_python_errors() {
        assert_eq!(split("bash -c 'echo").unwrap_err(), "No closing quotation");
        assert_eq!(split("a \"b").unwrap_err(), "No closing quotation");
        assert_eq!(split("a \\").unwrap_err(), "No escaped character");
    }
}
