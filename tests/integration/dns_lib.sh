# dns_lib.sh - a real DNS server for the deliverability tests (sourced
# after lib.sh): Debian's unbound on 127.0.0.1 and a free port, answering
# only from the records a test gives it, logging every question.
#
#   start_dns FILE     FILE holds unbound local-data lines' records, one a
#                      line ('NAME TTL IN TXT "..."'); sets DNS_PORT and
#                      DNS_LOG.  Every other name is NXDOMAIN, except
#                      names under broken.example, which are SERVFAIL (the
#                      server may not ask its only forwarder, itself).
#                      With DNS_SLOW_PORT set, names under slow.example
#                      go to that port on 127.0.0.1, where a server may
#                      never answer (start_blackhole).
#   dns_asked NAME     how many questions for NAME the server got
#   stop_dns           (done at exit too)
#   start_blackhole    a UDP port that takes questions and answers none;
#                      sets DNS_SLOW_PORT (before start_dns)

DNS_PID=
UNBOUND=$(command -v unbound || echo /usr/sbin/unbound)
if [ ! -x "$UNBOUND" ]; then
	echo "SKIP: unbound is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi

BLACKHOLE_PID=
stop_dns() {
	if [ -n "$DNS_PID" ]; then
		kill "$DNS_PID" 2>/dev/null
		wait "$DNS_PID" 2>/dev/null
	fi
	DNS_PID=
	if [ -n "$BLACKHOLE_PID" ]; then
		kill "$BLACKHOLE_PID" 2>/dev/null
		wait "$BLACKHOLE_PID" 2>/dev/null
	fi
	BLACKHOLE_PID=
}
trap 'stop_dns; cleanup' EXIT

# free_udp_port - a port free for UDP and TCP on 127.0.0.1
free_udp_port() {
	$PY - <<'EOF'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        u.close()
        continue
    t.close()
    u.close()
    print(port)
    break
EOF
}

start_dns() {
	mkdir -p "$T/dns"
	DNS_LOG=$T/dns/unbound.log
	DNS_PORT=$(free_udp_port)
	{
		echo "server:"
		echo "  interface: 127.0.0.1"
		echo "  port: $DNS_PORT"
		echo "  do-daemonize: no"
		echo '  username: ""'
		echo '  chroot: ""'
		echo "  directory: \"$T/dns\""
		echo "  pidfile: \"$T/dns/unbound.pid\""
		echo "  logfile: \"$DNS_LOG\""
		echo "  use-syslog: no"
		echo "  log-queries: yes"
		echo "  verbosity: 1"
		echo "  access-control: 127.0.0.0/8 allow"
		echo "  do-ip6: no"
		echo '  module-config: "iterator"'
		# a forwarder on 127.0.0.1 is asked only when the test has one
		if [ -n "${DNS_SLOW_PORT:-}" ]; then
			echo "  do-not-query-localhost: no"
		else
			echo "  do-not-query-localhost: yes"
		fi
		echo '  local-zone: "." static'
		echo '  local-zone: "broken.example." transparent'
		[ -z "${DNS_SLOW_PORT:-}" ] || echo '  local-zone: "slow.example." transparent'
		while IFS= read -r rr; do
			[ -n "$rr" ] && echo "  local-data: '$rr'"
		done < "$1"
		echo "forward-zone:"
		echo '  name: "broken.example."'
		echo "  forward-addr: 127.0.0.1@1"
		if [ -n "${DNS_SLOW_PORT:-}" ]; then
			echo "forward-zone:"
			echo '  name: "slow.example."'
			echo "  forward-addr: 127.0.0.1@$DNS_SLOW_PORT"
		fi
	} > "$T/dns/unbound.conf"
	"$UNBOUND" -c "$T/dns/unbound.conf" 2>"$T/dns/unbound.err" &
	DNS_PID=$!
	i=0
	while ! grep -q "start of service" "$DNS_LOG" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if ! grep -q "start of service" "$DNS_LOG" 2>/dev/null; then
		echo "unbound did not start:" >&2
		cat "$T/dns/unbound.err" "$DNS_LOG" >&2
		exit 99
	fi
}

# dns_asked NAME - questions for NAME (any type) in the server's log
dns_asked() {
	grep -c " $1\. [A-Z]* IN\$" "$DNS_LOG" 2>/dev/null
}

# txt_split VALUE - VALUE as TXT character-strings of at most 255 octets
txt_split() {
	printf '%s' "$1" | fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' ' | sed 's/ $//'
}

start_blackhole() {
	DNS_SLOW_PORT=$(free_udp_port)
	$PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recvfrom(4096)	# and no answer
' "$DNS_SLOW_PORT" &
	BLACKHOLE_PID=$!
}
