//! Arbitrary bytes into the `capture` parser: no panic, bounded output (see `fuzz/checks.rs`,
//! shared with `tests/parsers_generated.rs`).

#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (seed, rest) = checks::split_seed(data);
    checks::capture(seed, rest);
});
