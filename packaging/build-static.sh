#!/bin/sh
# Builds the smallest static binaries (embedded targets): musl, std rebuilt with
# panic=immediate-abort, opt-level z, LTO, stripped. Needs the rust-src component and the
# musl target of the installed stable toolchain; RUSTC_BOOTSTRAP unlocks -Z build-std there.
# Leaves out the `xmlrpc` feature (Supervisor's XML-RPC, the web page and HTTP log tails);
# pass `--features xmlrpc` to keep them. Builds every binary: supervisord, supervisorctl,
# pidproxy and supervisor-rs (all three in one, by argv[0]; see README).
# Measured 2026-12-04 on x86_64: supervisord 604,304 bytes without xmlrpc, 759,952 with it
# (the feature costs 155,648 bytes); supervisorctl 293,168 without it.
#
# Targets tried: x86_64-unknown-linux-musl (native), aarch64-unknown-linux-musl and
# armv7-unknown-linux-musleabihf. Cross targets link with a cross gcc (Debian packages
# gcc-aarch64-linux-gnu and gcc-arm-linux-gnueabihf); this script sets
# CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc, or
# CARGO_TARGET_ARMV7_UNKNOWN_LINUX_MUSLEABIHF_LINKER=arm-linux-gnueabihf-gcc, when the
# variable is unset and that gcc is on PATH (set it yourself for another toolchain). Run the
# results with qemu-user (package qemu-user-static; packaging/smoke-test.sh does). Once the
# rust-src component, the target (`rustup target add TARGET`, only run here when missing)
# and the gcc are installed, no network is needed.
# Usage: packaging/build-static.sh [--features xmlrpc] [target-triple]
#        (default target x86_64-unknown-linux-musl)
set -eu
FEATURES=""
if [ "${1:-}" = "--features" ]; then
    FEATURES="--features $2"
    shift 2
fi
TARGET=${1:-x86_64-unknown-linux-musl}
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
case "$TARGET" in
    aarch64-*) CROSS_GCC=aarch64-linux-gnu-gcc ;;
    armv7-*eabihf | arm-*eabihf) CROSS_GCC=arm-linux-gnueabihf-gcc ;;
    *) CROSS_GCC="" ;;
esac
LINKER_VAR="CARGO_TARGET_$(echo "$TARGET" | tr 'a-z-' 'A-Z_')_LINKER"
if [ -n "$CROSS_GCC" ] && [ -z "$(printenv "$LINKER_VAR" || true)" ]; then
    if command -v "$CROSS_GCC" >/dev/null; then
        export "$LINKER_VAR=$CROSS_GCC"
    else
        echo "build-static.sh: $CROSS_GCC not found; install it or set $LINKER_VAR" >&2
        exit 1
    fi
fi
# shellcheck disable=SC2086 # FEATURES is empty or two words
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
    cargo build --release -Z build-std=std,panic_abort --target "$TARGET" \
    --no-default-features $FEATURES
ls -l "target/$TARGET/release/supervisord" "target/$TARGET/release/supervisorctl" \
    "target/$TARGET/release/pidproxy" "target/$TARGET/release/supervisor-rs"
