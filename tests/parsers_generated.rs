//! The parsers the fuzz targets cover (INI, `%(...)` expansion, `environment=` pairs,
//! environment files, command splitting, text-protocol requests, the listener protocol, the capture scanner),
//! run over a few thousand inputs generated from a fixed seed: no panic, bounded output.
//! The checks are the fuzz targets' own (`fuzz/checks.rs`); the inputs mix random bytes
//! with the syntax each parser cares about, so most reach past the first token.

#[path = "../fuzz/checks.rs"]
mod checks;

use checks::Rng;

/// Fragments that steer the generator toward each parser's syntax.
#[rustfmt::skip]
const PIECES: &[&str] = &[
    "[", "]", "[program:a]", "[supervisord]", "[include]", "files=", "\n", "\r\n", " ", "\t",
    "=", ":", ";", "#", "%", "%%", "%(", ")", "%(here)s", "%(process_num)", "d", "s", "r",
    "x", "05", ".3", "-", "+", "#", "*", "4096", "99999999999999999999", "'", "\"", "\\",
    ",", "KEY", "value", "a=b", "c=\"d e\"", "start", "stop", "tail -f", "status", "auth",
    "READY\n", "RESULT ", "2\nOK", "4\nFAIL", "RESULT 9999999999999999999\n", "RESULT x\n",
    "<!--XSUPERVISOR:BEGIN-->", "<!--XSUPERVISOR:END-->", "<!--XSUPER", "é", "\u{1F600}",
    "\0", "\u{feff}",
];

fn input(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(40) {
        if rng.below(4) == 0 {
            for _ in 0..1 + rng.below(8) {
                out.push(rng.next() as u8);
            }
        } else {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())].as_bytes());
        }
    }
    out
}

fn run(seed: u64, count: usize, check: impl Fn(&mut Rng, &[u8])) {
    let mut rng = Rng::new(seed);
    for _ in 0..count {
        let data = input(&mut rng);
        check(&mut rng, &data);
    }
}

#[test]
fn ini() {
    run(0x1111, 3000, |_, d| checks::ini(d));
}

#[test]
fn expand() {
    run(0x2222, 3000, |_, d| checks::expand(d));
    // The hostile specs of the "Nothing gets in" report, and neighbours of the limits.
    for fmt in [
        "%(here)400000000s",
        "%(process_num)0999999999d",
        "%(process_num).99999999999999999999f",
        "%(here)4097s",
        "%(here)4096s",
    ] {
        checks::expand(fmt.as_bytes());
    }
    checks::expand("%(here)4096s".repeat(300).as_bytes());
}

#[test]
fn kvlist() {
    run(0x3333, 3000, |_, d| checks::kvlist(d));
}

#[test]
fn shlex() {
    run(0x4444, 3000, |_, d| checks::shlex(d));
}

#[test]
fn request() {
    run(0x5555, 3000, |_, d| checks::request(d));
}

#[test]
fn listener() {
    run(0x6666, 3000, |r, d| checks::listener(r.next(), d));
}

#[test]
fn capture() {
    run(0x7777, 3000, |r, d| checks::capture(r.next(), d));
}

/// Fragments of environment files.
#[rustfmt::skip]
const ENV_PIECES: &[&str] = &[
    "\n", "\r\n", "\r", " ", "\t", "=", "#", ";", "'", "\"", "\\", "\\\n", "export ",
    "export", "KEY", "_k9", "A=1\n", "B='x y'\n", "C=\"a\\\"b\"\n", "9", "-", "$", "`",
    "é", "\u{feff}", "\0", "\u{1F600}",
];

/// Valid files that the mutations below start from.
const ENV_FILES: &[&str] = &[
    "# comment\nexport A=1\nB = 'two words'\nC=\"x\\\"y\\\\z\"\n",
    "A=one\\\ntwo\n; comment\nD=\"multi\nline\"\n",
    "K='a'b \"c\"\r\nL=\\#x\nexport L\n",
];

#[test]
fn envfile() {
    let mut rng = Rng::new(0x8888);
    for _ in 0..3000 {
        let mut data = Vec::new();
        for _ in 0..rng.below(40) {
            if rng.below(5) == 0 {
                data.push(rng.next() as u8);
            } else {
                data.extend_from_slice(ENV_PIECES[rng.below(ENV_PIECES.len())].as_bytes());
            }
        }
        checks::envfile(&data);
    }
    // Mutations of valid files: a few bytes inserted, removed or replaced.
    for file in ENV_FILES {
        checks::envfile(file.as_bytes());
        for _ in 0..1000 {
            let mut data = file.as_bytes().to_vec();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(data.len() + 1);
                match rng.below(3) {
                    0 => data.insert(at, b"'\"\\=#\n \r"[rng.below(8)]),
                    1 if at < data.len() => {
                        data.remove(at);
                    }
                    _ if at < data.len() => data[at] = rng.next() as u8,
                    _ => {}
                }
            }
            checks::envfile(&data);
        }
    }
    // The bounds, at and past them.
    let line = format!(
        "A={}\n",
        "x".repeat(supervisor::config::envfile::MAX_LINE_BYTES - 2)
    );
    checks::envfile(line.as_bytes());
    checks::envfile(format!("{line}{line}x").as_bytes());
    checks::envfile(
        "A=1\n"
            .repeat(supervisor::config::envfile::MAX_VARIABLES + 1)
            .as_bytes(),
    );
    checks::envfile(&vec![b'#'; supervisor::config::envfile::MAX_FILE_BYTES + 1]);
}
