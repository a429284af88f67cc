#!/bin/sh
# Builds the smallest static binaries (embedded targets): musl, std rebuilt with
# panic=immediate-abort, opt-level z, LTO, stripped. Needs the rust-src component and the
# musl target of the installed stable toolchain; RUSTC_BOOTSTRAP unlocks -Z build-std there.
# Measured 2026-11-24 on x86_64: supervisord 596,112 bytes (with event listeners and
# FastCGI sockets), supervisorctl 284,976, pidproxy 100,448 (before them,
# the plain `cargo build --release --target x86_64-unknown-linux-musl` gave 946,752 /
# 652,032 / 442,936: std's panic and backtrace machinery is most of the gap).
# Usage: packaging/build-static.sh [target-triple]   (default x86_64-unknown-linux-musl)
set -eu
TARGET=${1:-x86_64-unknown-linux-musl}
rustup component add rust-src >/dev/null
rustup target add "$TARGET" >/dev/null
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
    cargo build --release -Z build-std=std,panic_abort --target "$TARGET"
ls -l "target/$TARGET/release/supervisord" "target/$TARGET/release/supervisorctl" \
    "target/$TARGET/release/pidproxy"
