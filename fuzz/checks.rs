//! The checks of the parser fuzz targets, one function per parser: no panic and bounded
//! output on arbitrary bytes. Shared with `tests/parsers_generated.rs`, which runs them over
//! inputs from a fixed seed (`#[path]`-included there and by each target here).

#![allow(dead_code)]

use std::path::Path;

use supervisor::config::envfile;
use supervisor::config::expand::{expand as expand_value, Names, MAX_EXPANDED};
use supervisor::config::ini::{self, Ini};
use supervisor::config::kvlist::key_value_pairs;
use supervisor::config::shlex;
use supervisor::events::capture::{Capture, Out, BEGIN_TOKEN, END_TOKEN};
use supervisor::events::listener::{Listener, Verdict};
use supervisor::protocol::request::{parse_request, render_request};

/// xorshift64: the choices (chunk sizes, handler verdicts) a check makes.
pub struct Rng(pub u64);

impl Rng {
    /// A generator from any seed (0 is replaced).
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value below `n` (0 if `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The seed a target takes from its input's first 8 bytes, and the rest.
pub fn split_seed(data: &[u8]) -> (u64, &[u8]) {
    if data.len() < 8 {
        return (1, data);
    }
    let (head, rest) = data.split_at(8);
    (u64::from_le_bytes(head.try_into().unwrap()), rest)
}

/// Messages may quote the input (Python's repr: at most 10 bytes per character) and list
/// names; never more than this.
fn message_bound(input_len: usize) -> usize {
    12 * input_len + 4096
}

/// `config/ini.rs`: parse, then the `[include]`-time passes.
pub fn ini(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match ini::parse(&text, Path::new("/etc/f.conf")) {
        Ok(mut doc) => {
            // Lower-casing keys may lengthen a character (at most 3 bytes per byte), and
            // `[DEFAULT]` entries are copied into every section (quadratic: see the
            // defaults note in the report on `ini.rs`).
            let defaults: usize = doc
                .defaults()
                .iter()
                .map(|e| e.key.len() + e.value.len())
                .sum();
            let bound = 3 * text.len() + 16 + doc.sections().count() * defaults;
            let total = size(&doc);
            assert!(total <= bound, "parsed {total} bytes from {}", text.len());
            // Both may refuse a document whose defaults would grow past their bound.
            let _ = doc.apply_defaults();
            let _ = doc.expand_here("/h");
            let _ = size(&doc);
            let mut more = Ini::new();
            let _ = more.read(&text, Path::new("/etc/a.conf"));
            let _ = more.read(&text, Path::new("/etc/b.conf"));
        }
        Err(e) => {
            assert!(!e.message.is_empty());
            assert!(e.message.len() <= message_bound(text.len()));
            let line = e.line.expect("a syntax error has a line");
            // Lines end at `\n`, `\r\n` or a lone `\r` (Python's universal newlines).
            let breaks = text.matches('\n').count() + text.matches('\r').count();
            assert!(line >= 1 && line <= breaks + 1, "line {line}");
        }
    }
}

fn size(doc: &Ini) -> usize {
    doc.sections()
        .map(|s| {
            s.name.len()
                + s.entries()
                    .map(|e| e.key.len() + e.value.len())
                    .sum::<usize>()
        })
        .sum()
}

/// `config/expand.rs`: expansion against a small table of names.
pub fn expand(data: &[u8]) {
    let fmt = String::from_utf8_lossy(data);
    let mut names = Names::new();
    names.set_str("here", "/etc/supervisor");
    names.set_str("program_name", "p");
    names.set_int("process_num", 7);
    names.set_int("numprocs", -3);
    names.set_str("ENV_HOME", "/root");
    match expand_value(&fmt, &names, "program:p.command") {
        Ok(s) => assert!(s.len() <= MAX_EXPANDED, "expanded to {} bytes", s.len()),
        Err(m) => assert!(
            m.len() <= message_bound(fmt.len()),
            "message of {}",
            m.len()
        ),
    }
}

/// `config/kvlist.rs`: `environment=` pairs.
pub fn kvlist(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match key_value_pairs(&text) {
        Ok(pairs) => {
            let total: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
            assert!(
                total <= text.len(),
                "{total} bytes of pairs from {}",
                text.len()
            );
        }
        Err(m) => assert!(m.len() <= message_bound(text.len())),
    }
}

/// `config/envfile.rs`: an environment file. Variables only shrink the text, names are
/// valid and unique, errors name a line that exists and never quote the text; what parses
/// renders back (double-quoted) to the same variables.
pub fn envfile(data: &[u8]) {
    match envfile::parse(data) {
        Ok(pairs) => {
            let total: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
            assert!(total <= data.len(), "{total} bytes from {}", data.len());
            assert!(pairs.len() <= envfile::MAX_VARIABLES);
            for (i, (k, _)) in pairs.iter().enumerate() {
                assert!(envfile::valid_name(k), "name {k:?}");
                assert!(pairs[..i].iter().all(|(o, _)| o != k), "{k} twice");
            }
            let mut text = String::new();
            for (k, v) in &pairs {
                let mut quoted = String::new();
                for c in v.chars() {
                    if matches!(c, '"' | '\\' | '`' | '$') {
                        quoted.push('\\');
                    }
                    quoted.push(c);
                }
                text.push_str(&format!("{k}=\"{quoted}\"\n"));
            }
            let fits = text.split('\n').all(|l| l.len() <= envfile::MAX_LINE_BYTES);
            if fits && !text.contains("\r\n") && text.len() <= envfile::MAX_FILE_BYTES {
                assert_eq!(envfile::parse(text.as_bytes()), Ok(pairs), "{text:?}");
            }
        }
        Err(e) => {
            assert!(!e.message.is_empty() && e.message.len() <= 200, "{e}");
            if let Some(line) = e.line {
                let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
                assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            }
        }
    }
}

/// `config/shlex.rs`: command splitting.
pub fn shlex(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match shlex::split(&text) {
        Ok(words) => {
            let total: usize = words.iter().map(String::len).sum();
            assert!(
                total <= text.len(),
                "{total} bytes of words from {}",
                text.len()
            );
        }
        Err(m) => assert!(m.len() <= message_bound(text.len())),
    }
}

/// `protocol/request.rs`: one request line; what parses renders back to itself.
pub fn request(data: &[u8]) {
    if let Ok(req) = parse_request(data) {
        let line = render_request(&req);
        assert_eq!(line.last(), Some(&b'\n'));
        let again = parse_request(&line[..line.len() - 1]);
        assert_eq!(
            again.as_ref(),
            Ok(&req),
            "{:?}",
            String::from_utf8_lossy(&line)
        );
    }
}

/// `events/listener.rs`: the listener protocol fed in random pieces, with random verdicts
/// and `sent` calls when READY.
pub fn listener(seed: u64, data: &[u8]) {
    let mut rng = Rng::new(seed);
    let mut l = Listener::new();
    let mut pos = 0;
    let mut notes = 0;
    while pos < data.len() {
        let n = (1 + rng.below(32)).min(data.len() - pos);
        let mut handler = |result: &[u8]| {
            assert!(result.len() <= data.len());
            match rng.below(3) {
                0 => Verdict::Processed,
                1 => Verdict::Rejected,
                _ => Verdict::Error,
            }
        };
        notes += l.feed(&data[pos..pos + n], &mut handler).len();
        pos += n;
        if l.state() == supervisor::events::listener::ListenerState::Ready && rng.below(2) == 0 {
            l.sent();
        }
    }
    assert!(
        notes <= 4 * data.len() + 4,
        "{notes} notes from {}",
        data.len()
    );
}

/// `events/capture.rs`: the capture-mode scanner fed in random pieces; every byte comes
/// out once (as log data, less the tokens); a communication event holds at most what was
/// logged (not `maxbytes`: like the reference's `BoundIO`, one write larger than the bound
/// is kept whole).
pub fn capture(seed: u64, data: &[u8]) {
    let mut rng = Rng::new(seed);
    let maxbytes = rng.below(64);
    let mut c = Capture::new(maxbytes as u64);
    let mut pos = 0;
    let mut logged = 0;
    while pos < data.len() {
        let n = (1 + rng.below(40)).min(data.len() - pos);
        for out in c.feed(&data[pos..pos + n]) {
            match out {
                Out::Log { data, .. } => logged += data.len(),
                Out::Comm(d) => assert!(d.len() <= logged, "{} > {logged}", d.len()),
            }
        }
        pos += n;
    }
    let pending = c.take_pending();
    assert!(pending.len() <= BEGIN_TOKEN.len().max(END_TOKEN.len()));
    assert!(logged + pending.len() <= data.len());
}
