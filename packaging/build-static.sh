#!/bin/sh
# Builds the smallest static binaries (embedded targets): musl, std rebuilt with
# panic=immediate-abort, opt-level z, LTO, no unwind tables, stripped. Nothing unwinds
# with immediate-abort, so .eh_frame was dead weight (15% of supervisord); what it still
# served is stack walking in a debugger or profiler without debug info. Needs the rust-src component and the
# musl target of the installed stable toolchain; RUSTC_BOOTSTRAP unlocks -Z build-std there.
# Leaves out the `xmlrpc` feature (Supervisor's XML-RPC, the web page and HTTP log tails);
# pass `--features xmlrpc` to keep them. Builds every binary: supervisord, supervisorctl,
# pidproxy and supervisor-rs (all three in one, by argv[0]; see README).
# Measured 2026-12-05 on x86_64: supervisord 735,376 bytes without xmlrpc, 858,256 with it
# (the feature costs 122,880 bytes); supervisorctl 293,296 without it.
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
#
# armv7 without the target's rust-std: std is compiled from rust-src anyway (-Z build-std);
# what the rust-std would add is its "self-contained" C runtime (crt1.o, crti.o, crtn.o,
# crtbegin.o, crtend.o, libc.a, libunwind.a). When armv7-unknown-linux-musleabihf is not
# installed and Debian's musl for armhf is (`dpkg --add-architecture armhf && apt-get
# update && apt-get install musl-dev:armhf`, files in /usr/lib/arm-linux-musleabihf), this
# script does not run `rustup target add` but links symbolic links to those files, and to the
# cross gcc's crtbegin*.o, crtend*.o and libgcc_eh.a (as libunwind.a: the ARM EHABI
# personality routines the unwind tables name, even with panic=immediate-abort), in
# target/musl-self-contained-TARGET/, and passes it with -L native=. rustc takes its crt objects
# from there as from the rust-std (static, non-PIE, like with the rust-std). Debian's musl is
# 1.2.3 where the rust-std has 1.2.5. Tested 2026-12-04: packaging/smoke-test.sh passes under
# qemu-arm-static.
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
# Debian's musl for the target (musl-dev:armhf), used when the target's rust-std is missing.
case "$TARGET" in
    armv7-unknown-linux-musleabihf) DEB_MUSL=/usr/lib/arm-linux-musleabihf ;;
    *) DEB_MUSL="" ;;
esac
USE_DEB_MUSL=""
if ! rustup target list --installed | grep -qx "$TARGET"; then
    if [ -n "$DEB_MUSL" ] && [ -f "$DEB_MUSL/libc.a" ] && [ -f "$DEB_MUSL/crt1.o" ]; then
        USE_DEB_MUSL=1
    else
        rustup target add "$TARGET"
    fi
fi
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
EXTRA_RUSTFLAGS=""
if [ -n "$USE_DEB_MUSL" ]; then
    LINKER=$(printenv "$LINKER_VAR")
    SC="${CARGO_TARGET_DIR:-target}/musl-self-contained-$TARGET"
    mkdir -p "$SC"
    SC=$(cd "$SC" && pwd)
    case "$SC" in
        *" "*) echo "build-static.sh: $SC has a space; RUSTFLAGS cannot carry it" >&2; exit 1 ;;
    esac
    for f in crt1.o Scrt1.o rcrt1.o crti.o crtn.o libc.a; do
        ln -sf "$DEB_MUSL/$f" "$SC/$f"
    done
    for f in crtbegin.o crtbeginS.o crtend.o crtendS.o libgcc_eh.a; do
        p=$("$LINKER" -print-file-name=$f)
        [ -f "$p" ] || { echo "build-static.sh: $LINKER has no $f" >&2; exit 1; }
        case "$f" in
            libgcc_eh.a) ln -sf "$p" "$SC/libunwind.a" ;;
            *) ln -sf "$p" "$SC/$f" ;;
        esac
    done
    echo "build-static.sh: no rust-std for $TARGET; C runtime from $DEB_MUSL (see $SC)" >&2
    EXTRA_RUSTFLAGS=" -Lnative=$SC"
fi
# shellcheck disable=SC2086 # FEATURES is empty or two words
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Cforce-unwind-tables=no$EXTRA_RUSTFLAGS" \
    cargo build --release -Z build-std=std,panic_abort --target "$TARGET" \
    --no-default-features $FEATURES
OUT="${CARGO_TARGET_DIR:-target}/$TARGET/release"
ls -l "$OUT/supervisord" "$OUT/supervisorctl" "$OUT/pidproxy" "$OUT/supervisor-rs"
