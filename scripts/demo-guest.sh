#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of "make demo": two network namespaces joined by veth,
# flows created with flowctl, real traffic, and the counts a user sees.
set -eu

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export FLOWOS_REPO=$REPO
export KSFT_DIR=$REPO/build/ksrc/tools/testing/selftests
export FLOWOS_BUILD=${1:?usage: demo-guest.sh BUILD_DIR}
# veth_pair and flowos_load, as the selftests use them.
. "$REPO/selftests/lib.sh"
PATH=$REPO/tools/flowctl:$PATH

say() { printf '\n== %s\n' "$*"; }
run() { echo "# $*"; "$@"; }

say "flowos demo on $(uname -sr)"
flowos_load
run cat /sys/kernel/flowos/version
veth_pair client server
echo "namespaces: client (10.0.0.1) <-> server (10.0.0.2)"

say "processing modules: load count; its parameters, as the kernel has them"
insmod "$FLOWOS_BUILD/pms/count/flowos_pm_count.ko"
run flowctl pms

say "the server's flows and their PMs, from a configuration file"
CONF=$(mktemp)
trap 'rm -f "$CONF"' EXIT
cat >"$CONF" <<'EOF'
# flows of the server's namespace, with their processing pipelines
create web dport 80 proto tcp attach count window 2s
create pings ip proto icmp dir both
create dns ip proto udp dport 53 prio 10 attach count report 4
EOF
run cat "$CONF"
run flowctl -n server apply --dry-run "$CONF"
run flowctl -n server apply "$CONF"
echo "(applied again, nothing changes:)"
run flowctl -n server apply --dry-run "$CONF"

say "traffic: 5 pings, a 1 MB HTTP-like upload, 30 DNS-sized datagrams from two sockets"
ip netns exec client ping -q -c 5 -i 0.2 10.0.0.2 | tail -n 2
(echo "server received $(tcp_sink server 10.0.0.2 80) bytes") &
server=$!
slowwait 20 bash -c "ip netns exec server ss -Hltn 'sport = :80' | grep -q LISTEN"
ip netns exec client python3 -c '
import socket
s = socket.create_connection(("10.0.0.2", 80)); s.sendall(b"x" * 1000000); s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(20): u.sendto(b"q" * 40, ("10.0.0.2", 53))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(10): u.sendto(b"q" * 60, ("10.0.0.2", 53))'
wait "$server"

say "what flowos counted"
run flowctl -n server list
echo "(pings out: 5 echo replies plus the ICMP port-unreachable errors the"
echo " server sent, rate-limited, for DNS datagrams nobody listened to)"
say "the count PM: per flow, per time window and per 5-tuple sub-flow"
slowwait 10 bash -c "flowctl -n server -j stats web | grep -q '\"backlog\":0'"
run flowctl -n server stats web
run flowctl -n server stats dns
say "the same as JSON, for scripts and collectors"
run flowctl -n server -j -p show dns
say "and in sysfs, for scrapers (flows of the initial namespace)"
ip link set lo up
run flowctl create local proto icmp dev lo
run flowctl attach local count
ping -q -c 3 -i 0.2 127.0.0.1 >/dev/null
slowwait 10 bash -c '[ "$(cat /sys/kernel/flowos/flows/local/pms/count/backlog)" = 0 ]'
run grep -r . /sys/kernel/flowos/flows/local/packets_in /sys/kernel/flowos/flows/local/pms/count/packets
run flowctl delete local

say "windowed statistics and pattern matching on the web flow"
insmod "$FLOWOS_BUILD/pms/stats/flowos_pm_stats.ko"
insmod "$FLOWOS_BUILD/pms/match/flowos_pm_match.ko"
sed -i 's|^create web .*|& attach stats window 2s history 5 last 10s k 3 h 20 attach match pattern "GET /" pattern "Host: demo"|' "$CONF"
run grep web "$CONF"
echo "(only what differs changes: web's count keeps what it counted)"
run flowctl -n server apply --dry-run "$CONF"
run flowctl -n server apply "$CONF"
for i in 11 12 13; do ip -n client addr add 10.0.0.$i/24 dev va; done
ip netns exec server python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.2", 80)); s.listen(64)
while True:
    c, _ = s.accept()
    while c.recv(65536): pass
    c.close()' &
web=$!
slowwait 20 bash -c "ip netns exec server ss -Hltn 'sport = :80' | grep -q LISTEN"
echo "HTTP requests: 12 from 10.0.0.11 (with 20 kB bodies), 6 from .12, 2 from .13"
ip netns exec client python3 -c '
import socket
for host, n, body in (("10.0.0.11", 12, 20000), ("10.0.0.12", 6, 2000), ("10.0.0.13", 2, 0)):
    for _ in range(n):
        s = socket.create_connection(("10.0.0.2", 80), source_address=(host, 0))
        s.sendall(b"GET / HTTP/1.1\r\nHost: demo\r\n\r\n" + b"b" * body); s.close()'
slowwait 10 bash -c "flowctl -n server -j stats web | grep -q '\"backlog\":0'"
say "top talkers over the last 10 s, and the pattern counts"
flowctl -n server stats web | sed -n '/pm stats/,/pm match/p' |
	grep -A4 -E 'top_addrs:|heavy_addrs:|top_protocols:|size_mean|view_packets'
flowctl -n server stats web | sed -n '/pm match/,$p' | grep -A3 'patterns:'
say "k and h change while it runs; nothing collected is lost"
run flowctl -n server set web stats k 1 h 50
flowctl -n server stats web | grep -A2 -E "top_addrs:|heavy_addrs:"
kill "$web"

say "clean up: a PM in use cannot be unloaded; deleting its flows frees it"
run rmmod flowos_pm_count || true
run flowctl -n server delete web
ip netns del client
ip netns del server
run rmmod flowos_pm_count flowos_pm_stats flowos_pm_match
run rmmod flowos
echo "flowos unloaded; /sys/kernel/flowos is $(test -e /sys/kernel/flowos && echo still there || echo gone)"
