//! Arbitrary bytes into the environment-file parser: no panic, bounded output, errors at
//! real lines, and what parses renders back to itself (see `fuzz/checks.rs`, shared with
//! `tests/parsers_generated.rs`).

#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::envfile(data);
});
