//! The files of each checked directory of `src/` import each other without a circle, so
//! each can be read (and changed) knowing only the files below it.
//!
//! Edges come from the source text: `super::x` and `crate::<dir>::x` where `x` is a sibling
//! file, in `use` lines and in paths inside code. Comment lines and `mod tests` (whose
//! `super` is the file itself) are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Directories under `src/` whose files must import each other without a circle.
const CHECKED: &[&str] = &["config", "ctl", "daemon"];

/// `config` files that are the bottom layer: they import only each other.
const CONFIG_LEAVES: &[&str] = &[
    "error", "expand", "glob", "ini", "kvlist", "model", "rare", "shlex", "users", "values",
];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The import graph of the `.rs` files directly in `src/<dir>` (`mod.rs` excluded: it only
/// declares and re-exports).
fn graph(dir: &str) -> Graph {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&path).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if p.extension().is_some_and(|e| e == "rs") && name != "mod" {
            files.insert(name, std::fs::read_to_string(&p).unwrap());
        }
    }
    let names: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(name, text)| {
            let deps = imports(text, dir)
                .into_iter()
                .filter(|d| d != name && names.contains(d))
                .collect();
            (name.clone(), deps)
        })
        .collect()
}

/// The first path segments after `super::` and `crate::<dir>::` in `text`, groups
/// (`super::{a, b::c}`) included.
fn imports(text: &str, dir: &str) -> BTreeSet<String> {
    let mut code = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("mod tests") {
            break;
        }
        if !line.trim_start().starts_with("//") {
            code.push_str(line);
            code.push('\n');
        }
    }
    let own = format!("crate::{dir}::");
    let mut out = BTreeSet::new();
    for prefix in ["super::", own.as_str()] {
        let mut rest = code.as_str();
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                // Nested groups (`{a::{b, c}, d}`) would split wrongly; the segments' first
                // words are what matters, and a nested group's words are not siblings anyway.
                for item in group[..end].split(',') {
                    out.insert(first_word(item.trim()));
                }
            } else {
                out.insert(first_word(rest));
            }
        }
    }
    out
}

fn first_word(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// A circle of `g`, if any, as the list of its nodes.
fn circle(g: &Graph) -> Option<Vec<String>> {
    // Depth-first search; a node met again while on the stack closes a circle.
    fn visit(
        g: &Graph,
        n: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(g, d, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(g, n, &mut Vec::new(), &mut done))
}

#[test]
fn checked_directories_have_no_import_circle() {
    for dir in CHECKED {
        let g = graph(dir);
        assert!(g.values().any(|d| !d.is_empty()), "no edges found in {dir}");
        if let Some(c) = circle(&g) {
            panic!("import circle in src/{dir}: {}", c.join(" -> "));
        }
    }
}

#[test]
fn config_leaves_import_only_leaves() {
    let g = graph("config");
    for leaf in CONFIG_LEAVES {
        let deps = &g[*leaf];
        let up: Vec<_> = deps
            .iter()
            .filter(|d| !CONFIG_LEAVES.contains(&d.as_str()))
            .collect();
        assert!(up.is_empty(), "config::{leaf} imports upward: {up:?}");
    }
    // The layering the split into `load` and `loader` is for.
    assert!(g["programs"].contains("loader"));
    assert!(g["load"].contains("programs"));
}

#[test]
fn parser_finds_edges_and_circles() {
    let text = "use super::a::X;\nuse super::{b, c::Y};\n// use super::d;\n\
                fn f() { crate::m::e::g(); }\n#[cfg(test)]\nmod tests {\n    use super::h;\n}\n";
    let found: Vec<String> = imports(text, "m").into_iter().collect();
    assert_eq!(found, ["a", "b", "c", "e"]);
    let mut g = Graph::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["c".to_string()].into());
    g.insert("c".into(), BTreeSet::new());
    assert_eq!(circle(&g), None);
    g.get_mut("c").unwrap().insert("a".into());
    assert_eq!(circle(&g).unwrap(), ["a", "b", "c", "a"]);
}
