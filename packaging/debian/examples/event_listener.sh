#!/bin/sh
# A minimal supervisor event listener (the [eventlistener:x] protocol):
# say READY, read one header line and its payload, log them to stderr,
# answer "RESULT 2\nOK", and start over. Supervisor sends events on stdin and
# reads the answers on stdout, so everything else must go to stderr.
#
# Install: copy to /usr/local/bin/event_listener.sh, then see example.conf.
set -uf

while :; do
	printf 'READY\n'
	IFS= read -r header || exit 0
	len=0
	eventname=unknown
	for token in $header; do
		case "$token" in
			len:*) len=${token#len:} ;;
			eventname:*) eventname=${token#eventname:} ;;
		esac
	done
	# dd with bs=1 reads exactly len bytes, never past the payload.
	payload=$(dd bs=1 count="$len" 2>/dev/null)
	printf '%s %s\n' "$eventname" "$payload" >&2
	printf 'RESULT 2\nOK'
done
