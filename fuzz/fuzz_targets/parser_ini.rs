//! Arbitrary bytes into the `ini` parser: no panic, bounded output (see `fuzz/checks.rs`,
//! shared with `tests/parsers_generated.rs`).

#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::ini(data);
});
