//! `[include] files=` globbing with Python's `glob.glob` rules: `*`, `?`, `[...]` and `[!...]`
//! within one path component, no `**` recursion, names starting with `.` only matched by a
//! pattern component starting with `.`, and a pattern without wildcards matches when the
//! path exists. The matcher ([`fnmatch`]) is pure; [`glob`] lists directories.

use std::path::Path;

/// One element of a compiled component pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Any,
    One,
    Class {
        negate: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Whether `s` contains a wildcard character.
pub fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn compile(pat: &str) -> Vec<Tok> {
    let chars: Vec<char> = pat.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                if toks.last() != Some(&Tok::Any) {
                    toks.push(Tok::Any);
                }
            }
            '?' => toks.push(Tok::One),
            '[' => match class(&chars, i) {
                Some((tok, next)) => {
                    toks.push(tok);
                    i = next;
                }
                // An unclosed bracket is a literal `[`.
                None => toks.push(Tok::Lit('[')),
            },
            c => toks.push(Tok::Lit(c)),
        }
    }
    toks
}

/// Parses a class whose content starts at `chars[start]`; returns it and the index after `]`.
/// A `]` right after `[` or `[!` is a member; `-` between two members makes a range (a range
/// whose end precedes its start matches nothing); backslashes are ordinary characters.
fn class(chars: &[char], start: usize) -> Option<(Tok, usize)> {
    let mut j = start;
    let negate = chars.get(j) == Some(&'!');
    if negate {
        j += 1;
    }
    let body_start = j;
    if chars.get(j) == Some(&']') {
        j += 1;
    }
    while j < chars.len() && chars[j] != ']' {
        j += 1;
    }
    if j >= chars.len() {
        return None;
    }
    let body = &chars[body_start..j];
    let mut ranges = Vec::new();
    let mut k = 0;
    while k < body.len() {
        if k + 2 < body.len() && body[k + 1] == '-' {
            if body[k] <= body[k + 2] {
                ranges.push((body[k], body[k + 2]));
            }
            k += 3;
        } else {
            ranges.push((body[k], body[k]));
            k += 1;
        }
    }
    Some((Tok::Class { negate, ranges }, j + 1))
}

/// Whether `name` matches the shell pattern `pat` (Python's `fnmatch.fnmatchcase`).
pub fn fnmatch(name: &str, pat: &str) -> bool {
    let toks = compile(pat);
    let chars: Vec<char> = name.chars().collect();
    matches(&toks, &chars)
}

fn matches(toks: &[Tok], s: &[char]) -> bool {
    // Iterative wildcard matching with backtracking to the last `*`.
    let (mut t, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if t < toks.len() && toks[t] != Tok::Any && one(&toks[t], s[i]) {
            t += 1;
            i += 1;
        } else if t < toks.len() && toks[t] == Tok::Any {
            star = Some((t, i));
            t += 1;
        } else if let Some((st, si)) = star {
            t = st + 1;
            i = si + 1;
            star = Some((st, si + 1));
        } else {
            return false;
        }
    }
    toks[t..].iter().all(|x| *x == Tok::Any)
}

fn one(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Lit(l) => *l == c,
        Tok::One => true,
        Tok::Any => true,
        Tok::Class { negate, ranges } => ranges.iter().any(|(a, b)| *a <= c && c <= *b) != *negate,
    }
}

/// Python's `os.path.split`.
fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => {
            let head = &path[..=i];
            let head = if head.chars().all(|c| c == '/') {
                head
            } else {
                head.trim_end_matches('/')
            };
            (head, &path[i + 1..])
        }
        None => ("", path),
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn lexists(p: &str) -> bool {
    Path::new(p).symlink_metadata().is_ok()
}

/// Expands `pattern` against the filesystem. Results are in directory order; the caller
/// sorts. Unreadable directories contribute nothing.
pub fn glob(pattern: &str) -> Vec<String> {
    glob_inner(pattern, false)
}

fn glob_inner(pattern: &str, dir_only: bool) -> Vec<String> {
    let (dirname, basename) = split(pattern);
    if !has_magic(pattern) {
        let found = if basename.is_empty() {
            Path::new(dirname).is_dir()
        } else {
            lexists(pattern)
        };
        return if found {
            vec![pattern.to_string()]
        } else {
            vec![]
        };
    }
    let dirs: Vec<String> = if dirname.is_empty() {
        vec![String::new()]
    } else if dirname != pattern && has_magic(dirname) {
        glob_inner(dirname, true)
    } else {
        vec![dirname.to_string()]
    };
    let mut out = Vec::new();
    for d in dirs {
        if has_magic(basename) {
            for name in list_matching(&d, basename, dir_only) {
                out.push(join(&d, &name));
            }
        } else if (basename.is_empty() && Path::new(&d).is_dir())
            || (!basename.is_empty() && lexists(&join(&d, basename)))
        {
            out.push(join(&d, basename));
        }
    }
    out
}

/// Names in `dir` matching `pat` (hidden names only when `pat` starts with `.`).
fn list_matching(dir: &str, pat: &str, dir_only: bool) -> Vec<String> {
    let path = if dir.is_empty() { "." } else { dir };
    let Ok(rd) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let hidden_ok = pat.starts_with('.');
    rd.filter_map(Result::ok)
        .filter(|e| !dir_only || e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| hidden_ok || !n.starts_with('.'))
        .filter(|n| fnmatch(n, pat))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_cases() {
        let cases: &[(&str, &str, bool)] = &[
            ("a.conf", "*.conf", true),
            ("a.ini", "*.conf", false),
            (".conf", "*.conf", true),
            ("abc", "a?c", true),
            ("ac", "a?c", false),
            ("a1", "a[0-9]", true),
            ("ax", "a[0-9]", false),
            ("ax", "a[!0-9]", true),
            ("a]", "a[]]", true),
            ("a-", "a[a-]", true),
            ("a-", "a[-a]", true),
            ("ab", "a[z-a]", false),
            ("ab", "a[!z-a]", true),
            ("a[b", "a[b", true),
            ("a\\b", "a\\b", true),
            ("a\\", "a[\\]", true),
            ("A.CONF", "*.conf", false),
            ("x", "", false),
            ("", "*", true),
            ("abcabc", "*b*c", true),
            ("e35-extra-1.ini", "e35-extra-?.ini", true),
            ("é", "?", true),
        ];
        for (name, pat, want) in cases {
            assert_eq!(fnmatch(name, pat), *want, "{name:?} vs {pat:?}");
        }
    }

    #[test]
    fn globs_the_filesystem() {
        let dir = std::env::temp_dir().join(format!("sv-glob-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub1")).unwrap();
        std::fs::create_dir_all(dir.join("sub2")).unwrap();
        for f in [
            "a.conf",
            "b.conf",
            ".hidden.conf",
            "c.ini",
            "sub1/x.conf",
            "sub2/y.conf",
        ] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        let d = dir.to_string_lossy().to_string();
        let sorted = |p: &str| {
            let mut v = glob(p);
            v.sort();
            v.into_iter()
                .map(|s| s[d.len()..].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(sorted(&format!("{d}/*.conf")), vec!["/a.conf", "/b.conf"]);
        assert_eq!(sorted(&format!("{d}/.*.conf")), vec!["/.hidden.conf"]);
        assert_eq!(
            sorted(&format!("{d}/*/*.conf")),
            vec!["/sub1/x.conf", "/sub2/y.conf"]
        );
        assert_eq!(sorted(&format!("{d}/c.ini")), vec!["/c.ini"]);
        assert_eq!(sorted(&format!("{d}/./c.ini")), vec!["/./c.ini"]);
        assert!(sorted(&format!("{d}/none-*.conf")).is_empty());
        assert!(sorted(&format!("{d}/missing.conf")).is_empty());
        assert!(sorted(&format!("{d}/nodir/*.conf")).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
