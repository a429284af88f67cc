#!/bin/sh
# Builds the Debian package target/deb/supervisor-rs_<version>_<arch>.deb and checks it
# with lintian (any error or warning fails the build).
#
# The build is offline: the crates are vendored once with `cargo vendor` (the only step
# that may use the network, and none once ~/.cargo holds them) into the build tree's
# vendor/, with a .cargo/config.toml source replacement pointing at it; then
# `dpkg-buildpackage -us -uc -b` runs debian/rules, which builds with
# CARGO_NET_OFFLINE=true, `--offline` and an empty CARGO_HOME, using the Rust toolchain
# on PATH (Debian's rustc is too old; don't apt-install it).
#
# Needs: cargo, python3, dpkg-dev, debhelper (>= 13), lintian; checkbashisms if there
#   apt-get install dpkg-dev debhelper lintian devscripts
# Usage: packaging/build-deb.sh [--no-lintian]
# Env:   DEB_OUT  where the build tree and the .deb go (default target/deb)
set -eu

LINTIAN=1
[ "${1:-}" = "--no-lintian" ] && LINTIAN=0

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${DEB_OUT:-$ROOT/target/deb}
cd "$ROOT"

need() {
    command -v "$1" >/dev/null || { echo "build-deb.sh: $1 not found ($2)" >&2; exit 1; }
}
need cargo "the Rust toolchain, e.g. from rustup"
need python3 "apt-get install python3"
need dpkg-buildpackage "apt-get install dpkg-dev"
need dh "apt-get install debhelper"
[ "$LINTIAN" = 0 ] || need lintian "apt-get install lintian, or pass --no-lintian"

# The shell scripts: POSIX sh (sh -n), no bashisms (checkbashisms, from devscripts).
for script in packaging/debian/supervisor-rs.supervisor.init packaging/debian/supervisor-rs.postinst \
    packaging/debian/supervisor-rs.postrm packaging/debian/examples/event_listener.sh; do
    sh -n "$script"
done
if command -v checkbashisms >/dev/null; then
    checkbashisms packaging/debian/supervisor-rs.supervisor.init packaging/debian/supervisor-rs.postinst \
        packaging/debian/supervisor-rs.postrm packaging/debian/examples/event_listener.sh
else
    echo "build-deb.sh: checkbashisms not found (apt-get install devscripts): not run" >&2
fi

# The version: Cargo.toml's, plus the Debian revision of packaging/debian/changelog.
VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["package"]["version"])')
DEB_VERSION=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
if [ "${DEB_VERSION%-*}" != "$VERSION" ]; then
    echo "build-deb.sh: packaging/debian/changelog is at $DEB_VERSION but Cargo.toml at $VERSION:" >&2
    echo "  add an entry: dch -c packaging/debian/changelog -v $VERSION-1" >&2
    exit 1
fi
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
DEB="$OUT/supervisor-rs_${DEB_VERSION}_$ARCH.deb"

# The build tree: the source files (tracked and untracked, not ignored ones), debian/.
BUILD="$OUT/supervisor-rs-$VERSION"
rm -rf "$BUILD"
mkdir -p "$BUILD"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
        | tar -C "$ROOT" --null -T - --ignore-failed-read -cf - 2>/dev/null \
        | tar -C "$BUILD" -xf -
else
    tar -C "$ROOT" --exclude=./target --exclude=./.git -cf - . | tar -C "$BUILD" -xf -
fi
rm -rf "$BUILD/debian"
cp -R packaging/debian "$BUILD/debian"
cp packaging/supervisor.service "$BUILD/debian/supervisor-rs.supervisor.service"

# Vendor the crates; from here on nothing is fetched.
(cd "$BUILD" && cargo vendor --locked --versioned-dirs vendor >/dev/null)
mkdir -p "$BUILD/.cargo"
cat >"$BUILD/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
TOML
python3 packaging/deb-copyright.py packaging/debian/copyright "$BUILD/vendor" \
    "$BUILD/debian/copyright"

# Build (no pre-clean: the tree is fresh). CARGO_TARGET_DIR outside the build tree keeps
# rebuilds incremental. Where this user may make a network namespace (root), the build
# runs in one without network: proof that it is offline.
NONET=""
if command -v unshare >/dev/null && unshare --net true 2>/dev/null; then
    NONET="unshare --net"
    echo "build-deb.sh: building in a network namespace without network"
fi
rm -f "$DEB"
(cd "$BUILD" && $NONET env CARGO="$(command -v cargo)" CARGO_TARGET_DIR="$OUT/cargo-target" \
    CARGO_NET_OFFLINE=true dpkg-buildpackage -us -uc -b --no-pre-clean)
test -f "$DEB"
echo "built $DEB"

if [ "$LINTIAN" = 1 ]; then
    lintian --fail-on error,warning --display-info "$DEB"
    echo "lintian: no errors or warnings"
fi
