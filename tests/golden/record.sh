#!/usr/bin/env bash
# Records supervisorctl output of the reference (Supervisor 4.3.0) into tests/golden/.
# For each case NAME it writes NAME.stdout (stdout, volatile parts replaced by {PID},
# {UPTIME}, {STOPTIME}) and NAME.exit (the exit code). CASES lists "NAME<TAB>arguments".
# Usage: tests/golden/record.sh [/opt/ref/bin]   (run from the repository root)
set -euo pipefail
REF=${1:-/opt/ref/bin}
OUT=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/svg.XXXX)
trap 'kill $(cat "$DIR/daemon.pid" 2>/dev/null) 2>/dev/null || true; sleep 1; rm -rf "$DIR"' EXIT

write_conf() {
  cat > "$DIR/sup.conf" <<EOF
[unix_http_server]
file=$DIR/s.sock

[supervisord]
logfile=$DIR/sd.log
pidfile=$DIR/sd.pid
childlogdir=$DIR

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$DIR/s.sock

[program:sleeper]
command=/bin/sleep 1000

[program:false]
command=/bin/false
startretries=1

[program:manual]
command=/bin/sleep 1000
autostart=false

[program:multi]
command=/bin/sleep 100$1
numprocs=2
process_name=%(program_name)s_%(process_num)02d
autostart=false

[program:noexec]
command=/etc/passwd
autostart=false

[program:nofile]
command=/nonexistent/bin
autostart=false

[program:echoer]
command=/bin/sh -c 'echo hello; echo err >&2; exec sleep 1000'
autostart=false
priority=5

[program:nolog]
command=/bin/sleep 1000
stdout_logfile=NONE
autostart=false
EOF
  if [ -n "${2:-}" ]; then printf '\n[program:added]\ncommand=/bin/sleep 1000\nautostart=false\n' >> "$DIR/sup.conf"; fi
}

: > "$OUT/CASES"
rec() { # rec NAME ARGS...
  local name=$1; shift
  set +e
  "$REF/supervisorctl" -c "$DIR/sup.conf" "$@" > "$DIR/out" 2>/dev/null
  echo $? > "$OUT/$name.exit"
  set -e
  sed -E -e 's/pid [0-9]+,/pid {PID},/g' -e 's/uptime [0-9:]+( day[s]?, [0-9:]+)?/uptime {UPTIME}/g' \
      -e 's/[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2} [AP]M/{STOPTIME}/g' \
      -e "s#$DIR#{DIR}#g" "$DIR/out" > "$OUT/$name.stdout"
  printf '%s\t%s\n' "$name" "$*" >> "$OUT/CASES"
}
rec_pid() { # like rec, but a lone non-zero number is a pid
  rec "$@"
  sed -i -E 's/^[1-9][0-9]*$/{PID}/' "$OUT/$1.stdout"
}

write_conf 0
"$REF/supervisord" -n -c "$DIR/sup.conf" > "$DIR/daemon.out" 2>&1 &
echo $! > "$DIR/daemon.pid"
for _ in $(seq 50); do [ -S "$DIR/s.sock" ] && break; sleep 0.1; done
sleep 4 # sleeper RUNNING, false FATAL

# Help texts and usage errors (the client alone).
rec help help
for c in add avail clear exit fg maintail open pid quit reload remove reread restart shutdown signal start status stop tail update version help; do
  rec "help_$c" help "$c"
done
rec help_nosuch help nosuch
rec unknown nosuchcmd
for c in start stop restart clear; do rec "usage_$c" "$c"; done
rec usage_signal signal
rec usage_signal_hup signal HUP
for c in avail reload shutdown version reread; do rec "usage_${c}_arg" "$c" x; done
rec usage_tail tail
rec usage_tail_badarg tail -x sleeper
rec usage_tail_f tail -f
rec usage_tail_many tail a b c d
rec usage_tail_channel tail sleeper foo
rec usage_maintail_many maintail a b
rec usage_maintail_badarg maintail -x
rec usage_fg fg
rec usage_fg_many fg a b
rec fg_bad fg nosuch
rec fg_not_running fg manual
rec open_bad open foo

# Process results.
rec status_all status
rec status_one status sleeper
rec status_stopped status manual
rec status_fatal status false
rec status_bad status nosuch
rec status_bad_group status 'nosuch:*'
rec status_mixed status sleeper manual nosuch
rec status_bad_first status nosuch sleeper
rec status_group status 'multi:*'
rec start_bad start nosuch
rec start_bad_group start 'nosuch:*'
rec start_running start sleeper
rec start_noexec start noexec
rec start_nofile start nofile
rec start_spawnerr start false
rec start_bad_in_group start multi:nosuch
rec stop_not_running stop manual
rec stop_bad stop nosuch
rec stop_bad_group stop 'nosuch:*'
rec stop_group_none_running stop 'multi:*'
rec start_one start manual
rec stop_one stop manual
rec start_group start 'multi:*'
rec stop_group stop 'multi:*'
rec start_mixed start manual nosuch sleeper
rec stop_mixed stop manual nosuch
rec restart_bad restart nosuch
rec restart_stopped restart manual
rec restart_running restart manual
rec stop_again stop manual
rec signal_bad signal HUP nosuch
rec signal_badsig signal FOO manual
rec signal_not_running signal HUP manual
rec signal_bad_group signal HUP 'nosuch:*'
rec start_echoer start echoer
sleep 0.5
rec tail_out tail echoer
rec tail_err tail echoer stderr
rec tail_bytes tail -3 echoer
rec tail_bad tail nosuch
rec tail_nolog tail nolog
rec_pid pid_self pid
rec_pid pid_one pid sleeper
rec pid_not_running pid manual
rec pid_bad pid nosuch
rec_pid pid_all pid all
rec clear_one clear echoer
rec clear_bad clear nosuch
rec status_after status
rec avail avail
rec reread_none reread
rec update_bad update nosuch
rec add_bad add nosuch
rec add_active add sleeper
rec remove_bad remove nosuch
rec remove_running remove sleeper
rec version version

# Config changes: multi's command changes, echoer disappears, added is new.
write_conf 1 added
sed -i '/\[program:echoer\]/,/^priority=5$/d' "$DIR/sup.conf"
rec reread_changes reread
rec update_changes update
rec status_updated status
rec stop_all stop all
rec reload reload
sleep 3
rec shutdown shutdown
sleep 2

# No server.
rec nofile_status -s unix:///nonexistent.sock status
rec nofile_start -s unix:///nonexistent.sock start x
rec nofile_shutdown -s unix:///nonexistent.sock shutdown
