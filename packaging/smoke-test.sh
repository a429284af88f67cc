#!/bin/sh
# Smoke test of a (cross-)built daemon and client, e.g. the static aarch64 build under
# qemu-user:
#
#   packaging/build-static.sh aarch64-unknown-linux-musl
#   packaging/smoke-test.sh target/aarch64-unknown-linux-musl/release qemu-aarch64-static
#
# TARGET_DIR holds supervisord and supervisorctl (and supervisor-rs, the multi-call binary,
# when built); QEMU, when given, runs them (qemu-user: its children, /bin/sh and sleep, are
# the host's and run natively). Starts supervisord in daemon mode (not -n) with one program,
# checks that `supervisorctl status` shows it RUNNING (TARGET_DIR's client, the multi-call
# binary's, and $SMOKE_HOST_CTL's when set, e.g. a native supervisorctl), then `shutdown`:
# the launcher must exit 0, the daemon must exit (0, when python3 is there to reap it as a
# subreaper) and remove its pidfile. Every step has a deadline ($SMOKE_TIMEOUT seconds, 60 by
# default); whatever it started is killed on the way out. Exit 0 when all passed.
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 TARGET_DIR [QEMU]" >&2
    exit 2
fi
BIN=$(cd "$1" && pwd)
QEMU=${2:-}
T=${SMOKE_TIMEOUT:-60}
for b in supervisord supervisorctl; do
    [ -x "$BIN/$b" ] || { echo "smoke: $BIN/$b missing" >&2; exit 1; }
done
if [ -n "$QEMU" ] && ! command -v "$QEMU" >/dev/null; then
    echo "smoke: $QEMU not found (apt-get install qemu-user-static)" >&2
    exit 1
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/smoke.XXXXXX")
REAPER=""
cleanup() {
    for f in "$DIR/d.pid" "$DIR/child.pid"; do
        if [ -s "$f" ]; then kill -KILL "$(cat "$f")" 2>/dev/null || true; fi
    done
    if [ -n "$REAPER" ]; then kill -KILL "$REAPER" 2>/dev/null || true; fi
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "smoke: FAIL: $*" >&2
    for f in "$DIR/d.log" "$DIR/launcher.out" "$DIR/reaped"; do
        [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
    done
    exit 1
}

# Runs "$@" (under $QEMU) with a deadline.
run() {
    # shellcheck disable=SC2086 # QEMU is empty or one word
    timeout "$T" $QEMU "$@"
}

# Waits (up to $T s) until the shell test "$@" holds.
wait_for() {
    i=0
    while ! "$@"; do
        i=$((i + 1))
        [ "$i" -le $((T * 10)) ] || return 1
        sleep 0.1
    done
}

cat >"$DIR/s.conf" <<EOF
[unix_http_server]
file=$DIR/s.sock

[supervisord]
logfile=$DIR/d.log
pidfile=$DIR/d.pid
childlogdir=$DIR

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$DIR/s.sock

[program:smoke]
command=/bin/sh -c 'echo \$\$ > $DIR/child.pid; exec sleep 1000'
startsecs=0
EOF

# The launcher returns once the daemon is ready. With python3, it runs under a subreaper
# that records the exit status of the launcher and of the daemon it leaves behind.
if command -v python3 >/dev/null; then
    # shellcheck disable=SC2086 # QEMU is empty or one word
    python3 -c '
import ctypes, os, subprocess, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
launcher = subprocess.Popen(sys.argv[2:])
with open(sys.argv[1], "a") as out:
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        who = "launcher" if pid == launcher.pid else "reaped"
        out.write("%s %d %d\n" % (who, pid, os.waitstatus_to_exitcode(status)))
        out.flush()
' "$DIR/reaped" timeout "$T" $QEMU "$BIN/supervisord" -c "$DIR/s.conf" \
        >"$DIR/launcher.out" 2>&1 &
    REAPER=$!
    wait_for grep -q '^launcher ' "$DIR/reaped" 2>/dev/null || fail "launcher did not return"
    grep -q '^launcher [0-9]* 0$' "$DIR/reaped" || fail "launcher: $(cat "$DIR/reaped")"
else
    run "$BIN/supervisord" -c "$DIR/s.conf" >"$DIR/launcher.out" 2>&1 ||
        fail "launcher exited $?"
fi
[ -s "$DIR/d.pid" ] || fail "no pidfile once the launcher returned"
DAEMON=$(cat "$DIR/d.pid")
echo "smoke: daemon $DAEMON up"

# `status` shows the program RUNNING, through every client at hand.
running() {
    "$@" -c "$DIR/s.conf" status >"$DIR/status.out" 2>&1 || true
    grep -q '^smoke  *RUNNING  *pid [0-9]*, uptime ' "$DIR/status.out"
}
check_status() {
    wait_for running "$@" || fail "status via $*: $(cat "$DIR/status.out")"
    echo "smoke: $* status: $(cat "$DIR/status.out")"
}
check_status run "$BIN/supervisorctl"
if [ -x "$BIN/supervisor-rs" ]; then
    check_status run "$BIN/supervisor-rs" supervisorctl
fi
if [ -n "${SMOKE_HOST_CTL:-}" ]; then
    check_status timeout "$T" "$SMOKE_HOST_CTL"
fi

out=$(run "$BIN/supervisorctl" -c "$DIR/s.conf" shutdown 2>&1) || fail "shutdown: $out"
echo "smoke: $out"
gone() { ! kill -0 "$DAEMON" 2>/dev/null; }
wait_for gone || fail "daemon $DAEMON still running after shutdown"
[ ! -e "$DIR/d.pid" ] || fail "the daemon left its pidfile"
if [ -n "$REAPER" ]; then
    wait "$REAPER" || fail "reaper exited $?"
    REAPER=""
    grep -q "^reaped $DAEMON 0$" "$DIR/reaped" || fail "daemon exit: $(cat "$DIR/reaped")"
fi
echo "smoke: OK"
