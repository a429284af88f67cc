#!/bin/sh
# Builds the smallest static binaries (embedded targets): musl, std rebuilt with
# panic=immediate-abort, opt-level z, LTO, stripped. Needs the rust-src component and the
# musl target of the installed stable toolchain; RUSTC_BOOTSTRAP unlocks -Z build-std there.
# Leaves out the `xmlrpc` feature (Supervisor's XML-RPC, the web page and HTTP log tails);
# pass `--features xmlrpc` to keep them.
# Measured 2026-12-04 on x86_64: supervisord 604,304 bytes without xmlrpc, 759,952 with it
# (the feature costs 155,648 bytes); supervisorctl 293,168 without it.
# Usage: packaging/build-static.sh [--features xmlrpc] [target-triple]
#        (default target x86_64-unknown-linux-musl)
set -eu
FEATURES=""
if [ "${1:-}" = "--features" ]; then
    FEATURES="--features $2"
    shift 2
fi
TARGET=${1:-x86_64-unknown-linux-musl}
rustup component add rust-src >/dev/null
rustup target add "$TARGET" >/dev/null
# shellcheck disable=SC2086 # FEATURES is empty or two words
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
    cargo build --release -Z build-std=std,panic_abort --target "$TARGET" \
    --no-default-features $FEATURES
ls -l "target/$TARGET/release/supervisord" "target/$TARGET/release/supervisorctl" \
    "target/$TARGET/release/pidproxy"
