//! The INI dialect of `supervisord.conf`: Python's `RawConfigParser(strict=False,
//! inline_comment_prefixes=(';', '#'))` as Supervisor 4.3.0 uses it. Pure: text in, sections
//! out. No `%(x)s` expansion happens here (see `expand`); the only text rewrite offered is
//! [`Ini::expand_here`], which `[include]` processing needs.
//!
//! Rules (each one observable in real configs):
//! - `key = value` and `key: value`; the first `=` or `:` splits; keys are lower-cased;
//!   section names are case-sensitive.
//! - Full-line comments start with `;` or `#` (after optional indentation). An inline comment
//!   starts at a `;` or `#` preceded by whitespace; quoting does not protect it.
//! - A line indented deeper than the option line continues the value (joined with `\n`);
//!   blank lines inside a value survive, trailing ones are dropped.
//! - Repeated sections and keys merge, the later value wins; `[DEFAULT]` feeds every section.
//! - Lines that are neither headers nor options are collected and reported together, after
//!   the whole file was read, like Python's `ParsingError`.

use std::path::{Path, PathBuf};

use super::error::ConfigError;
use crate::pyrepr::str_repr;

/// One `key = value` of a section, with where its (last) definition came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Lower-cased key.
    pub key: String,
    /// The value, comments stripped and continuation lines joined with `\n`.
    pub value: String,
    /// File holding the key line.
    pub file: PathBuf,
    /// 1-based line number of the key line.
    pub line: usize,
}

impl Entry {
    /// An error about this entry's value: located at its line and naming its option.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::at_option(message, &self.file, self.line, &self.key)
    }
}

/// A `[name]` section, merged over all its appearances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The header text between the brackets, as written.
    pub name: String,
    /// File of the first appearance.
    pub file: PathBuf,
    /// Line of the first appearance.
    pub line: usize,
    entries: Vec<Entry>,
}

impl Section {
    fn new(name: &str, file: &Path, line: usize) -> Section {
        Section {
            name: name.to_string(),
            file: file.to_path_buf(),
            line,
            entries: Vec::new(),
        }
    }

    /// The entry for `key` (matched case-insensitively, like Python's `optionxform`).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        let key = key.to_lowercase();
        self.entries.iter().find(|e| e.key == key)
    }

    /// All entries in first-definition order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Sets `entry`, keeping the position of an existing key (Python dict semantics).
    fn set(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.key == entry.key) {
            Some(old) => *old = entry,
            None => self.entries.push(entry),
        }
    }
}

/// A parsed (and possibly merged) INI document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    sections: Vec<Section>,
    defaults: Vec<Entry>,
    /// True once `[DEFAULT]` entries were copied into every section.
    materialized: bool,
}

/// Most entries the sections may hold once `[DEFAULT]` is copied into each: a hostile
/// config with thousands of defaults and sections would otherwise take minutes and gigabytes.
pub const MAX_ENTRIES: usize = 1_000_000;

/// Parses one file into a finished [`Ini`] (with `[DEFAULT]` applied to every section).
pub fn parse(text: &str, file: &Path) -> Result<Ini, ConfigError> {
    let mut ini = Ini::new();
    ini.read(text, file)?;
    ini.apply_defaults()?;
    Ok(ini)
}

impl Ini {
    /// An empty document, ready for [`Ini::read`].
    pub fn new() -> Ini {
        Ini::default()
    }

    /// The section named exactly `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Sections in first-appearance order (`[DEFAULT]` is not one of them).
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter()
    }

    /// The `[DEFAULT]` entries.
    pub fn defaults(&self) -> &[Entry] {
        &self.defaults
    }

    /// Copies `[DEFAULT]` entries into every section that lacks the key, so that
    /// [`Section::get`] sees them. Call once, after the last [`Ini::read`].
    pub fn apply_defaults(&mut self) -> Result<(), ConfigError> {
        if self.materialized {
            return Ok(());
        }
        let own: usize = self.sections.iter().map(|s| s.entries.len()).sum();
        let copies = self.sections.len().saturating_mul(self.defaults.len());
        if own.saturating_add(copies) > MAX_ENTRIES {
            return Err(ConfigError::new(format!(
                "{} [DEFAULT] options in {} sections make more than {MAX_ENTRIES} options",
                self.defaults.len(),
                self.sections.len()
            )));
        }
        for section in &mut self.sections {
            // Keys are lower-case already; a set keeps this linear in the entries.
            let keys: std::collections::HashSet<String> =
                section.entries.iter().map(|e| e.key.clone()).collect();
            for d in &self.defaults {
                if !keys.contains(&d.key) {
                    section.entries.push(d.clone());
                }
            }
        }
        self.materialized = true;
        Ok(())
    }

    /// Replaces the literal text `%(here)s` with `here` in every value visible in each section
    /// (its own and inherited defaults), storing the result in the section. `[include]`
    /// processing does this after each file so that `%(here)s` means the defining file's dir.
    pub fn expand_here(&mut self, here: &str) -> Result<(), ConfigError> {
        const HERE: &str = "%(here)s";
        let here_defaults: Vec<&Entry> = self
            .defaults
            .iter()
            .filter(|d| d.value.contains(HERE))
            .collect();
        let own: usize = self.sections.iter().map(|s| s.entries.len()).sum();
        let copies = self.sections.len().saturating_mul(here_defaults.len());
        if own.saturating_add(copies) > MAX_ENTRIES {
            return Err(ConfigError::new(format!(
                "{} [DEFAULT] options in {} sections make more than {MAX_ENTRIES} options",
                self.defaults.len(),
                self.sections.len()
            )));
        }
        for section in &mut self.sections {
            let keys: std::collections::HashSet<&str> =
                section.entries.iter().map(|e| e.key.as_str()).collect();
            let inherited: Vec<Entry> = here_defaults
                .iter()
                .filter(|d| !keys.contains(d.key.as_str()))
                .map(|d| (*d).clone())
                .collect();
            let mut updates = Vec::new();
            for e in section.entries.iter().chain(inherited.iter()) {
                if e.value.contains(HERE) {
                    let mut n = e.clone();
                    n.value = e.value.replace(HERE, here);
                    updates.push(n);
                }
            }
            for n in updates {
                section.set(n);
            }
        }
        Ok(())
    }

    /// Reads one more file into this document (sections and keys merge, later values win).
    /// On a syntax error nothing is guaranteed about the merged state; the caller gives up.
    pub fn read(&mut self, text: &str, file: &Path) -> Result<(), ConfigError> {
        let mut reader = Reader::new(file);
        for (i, line) in split_lines(text).into_iter().enumerate() {
            reader.line(self, i + 1, &line)?;
        }
        reader.finish(self)
    }

    fn section_index(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|s| s.name == name)
    }
}

/// Where the reader is putting options.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    None,
    Defaults,
    Section(usize),
}

/// The state of reading one file.
struct Reader {
    file: PathBuf,
    target: Target,
    /// The option being built, as (key, lines, line number); joined when the next one starts.
    current: Option<(String, Vec<String>, usize)>,
    /// Indentation of the last option or header line.
    indent: usize,
    /// Bad lines, as (line number, raw line), reported together at the end.
    errors: Vec<(usize, String)>,
}

impl Reader {
    fn new(file: &Path) -> Reader {
        Reader {
            file: file.to_path_buf(),
            target: Target::None,
            current: None,
            indent: 0,
            errors: Vec::new(),
        }
    }

    fn line(&mut self, ini: &mut Ini, lineno: usize, raw: &str) -> Result<(), ConfigError> {
        let comment = comment_start(raw);
        let value = py_strip(&raw[..comment.unwrap_or(raw.len())]);
        if value.is_empty() {
            // A blank line belongs to the value being built; a comment-only line does not.
            if comment.is_none() {
                if let Some(lines) = self.active() {
                    lines.push(String::new());
                }
            }
            return Ok(());
        }
        let indent = raw
            .char_indices()
            .find(|(_, c)| !py_space(*c))
            .map(|(i, _)| raw[..i].chars().count())
            .unwrap_or(0);
        if indent > self.indent {
            if let Some(lines) = self.active() {
                lines.push(value.to_string());
                return Ok(());
            }
        }
        self.indent = indent;
        if let Some(name) = section_header(value) {
            self.flush(ini);
            self.target = if name == "DEFAULT" {
                Target::Defaults
            } else if let Some(i) = ini.section_index(name) {
                Target::Section(i)
            } else {
                ini.sections.push(Section::new(name, &self.file, lineno));
                Target::Section(ini.sections.len() - 1)
            };
            return Ok(());
        }
        if self.target == Target::None {
            return Err(ConfigError::at(
                format!(
                    "File contains no section headers.\nfile: {}, line: {}\n{}",
                    str_repr(&self.file.to_string_lossy()),
                    lineno,
                    str_repr(raw)
                ),
                &self.file,
                lineno,
            ));
        }
        match split_option(value) {
            Some((key, val)) => {
                if key.is_empty() {
                    self.errors.push((lineno, raw.to_string()));
                }
                self.flush(ini);
                self.current = Some((key.to_lowercase(), vec![val.to_string()], lineno));
            }
            None => {
                // Python keeps going, and the previous option stays open: deeper indented
                // lines after this one still continue it.
                self.errors.push((lineno, raw.to_string()));
            }
        }
        Ok(())
    }

    /// The lines of the option being built, unless there is none or its key is empty (an
    /// empty key is an error that Python stores but never continues).
    fn active(&mut self) -> Option<&mut Vec<String>> {
        match &mut self.current {
            Some((key, lines, _)) if !key.is_empty() => Some(lines),
            _ => None,
        }
    }

    /// Stores the option being built into its section.
    fn flush(&mut self, ini: &mut Ini) {
        if let Some((key, lines, line)) = self.current.take() {
            let value = py_rstrip(&lines.join("\n")).to_string();
            let entry = Entry {
                key,
                value,
                file: self.file.clone(),
                line,
            };
            match self.target {
                Target::None => {}
                Target::Defaults => match ini.defaults.iter_mut().find(|e| e.key == entry.key) {
                    Some(old) => *old = entry,
                    None => ini.defaults.push(entry),
                },
                Target::Section(i) => ini.sections[i].set(entry),
            }
        }
    }

    fn finish(mut self, ini: &mut Ini) -> Result<(), ConfigError> {
        self.flush(ini);
        if self.errors.is_empty() {
            return Ok(());
        }
        let mut msg = format!(
            "Source contains parsing errors: {}",
            str_repr(&self.file.to_string_lossy())
        );
        for (n, raw) in &self.errors {
            msg.push_str(&format!("\n\t[line {n:2}]: {}", str_repr(raw)));
        }
        Err(ConfigError::at(msg, &self.file, self.errors[0].0))
    }
}

/// Splits text into lines the way Python's universal-newline text mode does: `\n`, `\r\n`
/// and `\r` all end a line, and each line keeps one `\n` (except an unterminated last one).
fn split_lines(text: &str) -> Vec<String> {
    let normal = text.replace("\r\n", "\n").replace('\r', "\n");
    normal.split_inclusive('\n').map(str::to_string).collect()
}

/// Python's `str.isspace()` for one character.
pub(crate) fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()`.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// Python's `str.rstrip()`.
fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(py_space)
}

/// Byte index where the comment of `line` starts, if any. This reproduces configparser's
/// search: every prefix advances to its next occurrence round by round, and the first round
/// that finds a prefix at column 0 or after whitespace ends the search (so the earliest
/// qualifying position is not always the one chosen).
fn comment_start(line: &str) -> Option<usize> {
    if py_strip(line).starts_with(['#', ';']) {
        return Some(0);
    }
    let mut positions: Vec<(char, Option<usize>)> = vec![(';', None), ('#', None)];
    loop {
        let mut found: Option<usize> = None;
        let mut next = Vec::new();
        for (prefix, last) in &positions {
            let from = last.map(|i| i + 1).unwrap_or(0);
            let Some(rel) = line[from..].find(*prefix) else {
                continue;
            };
            let idx = from + rel;
            next.push((*prefix, Some(idx)));
            let after_space = idx == 0 || line[..idx].chars().next_back().is_some_and(py_space);
            if after_space {
                found = Some(found.map_or(idx, |f: usize| f.min(idx)));
            }
        }
        if found.is_some() || next.is_empty() {
            return found;
        }
        positions = next;
    }
}

/// `[name]` → `name`: from the first `[` to the last `]` of the stripped line, at least one
/// character between them. Text after the last `]` is ignored, as in Python.
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    if end == 0 {
        return None;
    }
    Some(&rest[..end])
}

/// Splits an option line at its first `=` or `:`; the key is right-trimmed, the value
/// stripped.
fn split_option(value: &str) -> Option<(&str, &str)> {
    let at = value.find(['=', ':'])?;
    let key = py_rstrip(&value[..at]);
    let val = py_strip(&value[at + 1..]);
    Some((key, val))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections(text: &str) -> Vec<(String, Vec<(String, String)>)> {
        let ini = parse(text, Path::new("/x.conf")).unwrap();
        ini.sections()
            .map(|s| {
                (
                    s.name.clone(),
                    s.entries()
                        .map(|e| (e.key.clone(), e.value.clone()))
                        .collect(),
                )
            })
            .collect()
    }

    fn one(text: &str, key: &str) -> String {
        let ini = parse(text, Path::new("/x.conf")).unwrap();
        let s = ini.sections().next().unwrap();
        s.get(key).unwrap().value.clone()
    }

    #[test]
    fn values_like_configparser() {
        let cases: &[(&str, &str)] = &[
            ("[a]\nk=v\n", "v"),
            ("[a]\nk = v \n", "v"),
            ("[a]\nk: v\n", "v"),
            ("[a]\nK : v : w\n", "v : w"),
            ("[a]\nk=a=b\n", "a=b"),
            ("[a]\nk=\n", ""),
            ("[a]\nk=v ;c\n", "v"),
            ("[a]\nk=v\t#c\n", "v"),
            ("[a]\nk=v;c\n", "v;c"),
            ("[a]\nk=v#c\n", "v#c"),
            ("[a]\nk=bash -c 'a ; b'\n", "bash -c 'a"),
            ("[a]\nk=a#b#c #d ;e\n", "a#b#c #d"),
            ("[a]\nk=v\n  ; comment\n\n  cont\n\n", "v\n\ncont"),
            ("[a]\nk=\n  30\n", "\n30"),
            ("[a]\nk=v\n [b]\n", "v\n[b]"),
            ("[a]\nk=%%(here)s\n", "%%(here)s"),
            ("[a]\nk=\"q\" 'r' \\n\n", "\"q\" 'r' \\n"),
            ("[a]\r\nk=v\r\nj=w\r\n", "v"),
            ("[a]\rk=v\rj=w", "v"),
        ];
        for (text, want) in cases {
            assert_eq!(one(text, "k"), *want, "text {text:?}");
        }
    }

    #[test]
    fn sections_merge_and_keep_order() {
        let got = sections("[a]\nk=1\nj=2\n[b]\nx=1\n[a]\nk=3\n[a] junk\nz=4\n[x]y]\n");
        assert_eq!(
            got,
            vec![
                (
                    "a".to_string(),
                    vec![
                        ("k".to_string(), "3".to_string()),
                        ("j".to_string(), "2".to_string()),
                        ("z".to_string(), "4".to_string())
                    ]
                ),
                ("b".to_string(), vec![("x".to_string(), "1".to_string())]),
                ("x]y".to_string(), vec![]),
            ]
        );
    }

    #[test]
    fn indented_option_after_header_is_an_option() {
        let got = sections("[a]\n  k=v\n  j=w\n");
        assert_eq!(got[0].1.len(), 2);
    }

    #[test]
    fn defaults_feed_sections_and_lines_are_kept() {
        let ini = parse(
            "[DEFAULT]\nd=1\nk=0\n[a]\nk=2\n\n[b]\n",
            Path::new("/x.conf"),
        )
        .unwrap();
        let a = ini.section("a").unwrap();
        assert_eq!(a.get("d").unwrap().value, "1");
        assert_eq!(a.get("K").unwrap().value, "2");
        assert_eq!(a.get("k").unwrap().line, 5);
        assert_eq!(a.line, 4);
        assert_eq!(ini.section("b").unwrap().get("k").unwrap().value, "0");
        assert!(ini.section("DEFAULT").is_none());
    }

    #[test]
    fn expand_here_is_textual_and_covers_defaults() {
        let mut ini = Ini::new();
        ini.read(
            "[DEFAULT]\nd=%(here)s/d\n[a]\nk=%(here)s/x %%(here)s\n",
            Path::new("/m.conf"),
        )
        .unwrap();
        ini.expand_here("/main").unwrap();
        ini.read("[b]\nk=%(here)s\n", Path::new("/inc/b.conf"))
            .unwrap();
        ini.expand_here("/inc").unwrap();
        ini.apply_defaults().unwrap();
        let a = ini.section("a").unwrap();
        assert_eq!(a.get("k").unwrap().value, "/main/x %/main");
        assert_eq!(a.get("d").unwrap().value, "/main/d");
        let b = ini.section("b").unwrap();
        assert_eq!(b.get("k").unwrap().value, "/inc");
        assert_eq!(b.get("d").unwrap().value, "/inc/d");
        assert_eq!(b.file, PathBuf::from("/inc/b.conf"));
    }

    #[test]
    fn syntax_errors_use_python_messages() {
        let err = |t: &str| parse(t, Path::new("/x.conf")).unwrap_err();
        let e = err("k=v\n");
        assert_eq!(
            e.message,
            "File contains no section headers.\nfile: '/x.conf', line: 1\n'k=v\\n'"
        );
        assert_eq!(e.line, Some(1));
        let e = err("[a]\n=v\nfoo\n");
        assert_eq!(
            e.message,
            "Source contains parsing errors: '/x.conf'\n\t[line  2]: '=v\\n'\n\t[line  3]: 'foo\\n'"
        );
        assert_eq!(e.line, Some(2));
        assert_eq!(
            err("[a]\nautostart").message,
            "Source contains parsing errors: '/x.conf'\n\t[line  2]: 'autostart'"
        );
        assert_eq!(
            err("[a]\n[]\n").message,
            "Source contains parsing errors: '/x.conf'\n\t[line  2]: '[]\\n'"
        );
        assert!(err("\u{feff}[a]\n").message.starts_with("File contains no"));
        // After a bad line the previous option stays open; after `=v` nothing continues.
        let mut ini = Ini::new();
        assert!(ini
            .read("[a]\nk=v\nbad\n  more\n\n  end\n", Path::new("/x.conf"))
            .is_err());
        assert_eq!(
            ini.section("a").unwrap().get("k").unwrap().value,
            "v\nmore\n\nend"
        );
        assert_eq!(
            err("[a]\nk=v\n[]\n\tmore\n=x\n  cont\n").message,
            "Source contains parsing errors: '/x.conf'\n\t[line  3]: '[]\\n'\n\t[line  5]: '=x\\n'\n\t[line  6]: '  cont\\n'"
        );
    }
}
