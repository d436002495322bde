#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Wire packets, not skbs: a bulk TCP transfer leaves its sender as TSO
# aggregates, and flowos counts the packets those stand for on the wire,
# each with its own headers, in the flows' counters and in every PM.
#
#   +-----------+       +---------------------+       +-----------+
#   | ns A      | veth  | ns R                | veth  | ns B      |
#   |  va (TSO)-+-------+-ra   (forwards)   rb-+-------+-vb        |
#   +-----------+       +---------------------+       +-----------+
#   flow "out", egress     rb: TSO, GSO off         flow "in", ingress,
#                          tcpdump on rb            count and stats PMs
#
# rb cannot send aggregates, so R's kernel cuts them into the segments
# a NIC would put on the wire: a capture on rb holds exactly the
# packets A sent B.  tshark's reading of that capture is the truth for
# the flows' packets and IP bytes, the count PM's totals and row, and
# the stats PM's totals and size histogram (whose bucket bounds are read
# off its row labels).  The capture on va must hold frames over the MTU,
# or no aggregate was made and the test proves nothing.  R's ingress
# flow sees A's aggregates as they are; B gets segments (GRO on veth
# drops under load, see topology()).
#
# Over IPv4, IPv6, UDP GSO (where a match PM must also see each datagram
# apart) and, on Linux 6.3 or later, IPv4 BIG TCP (aggregates over 64
# KiB, whose IP tot_len is 0: before flowos knew them, they counted as
# malformed).
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
PMS=$FLOWOS_BUILD/pms
LINK_GSO=$FLOWOS_REPO/selftests/lib/link_gso.py
A=flowos-a-$$-$RANDOM
R=flowos-r-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
PORT=5001
BIG=185000

cleanup() {
	netns_del "$A" "$R" "$B"
	[ -z "${backlog:-}" ] || sysctl -qw net.core.netdev_max_backlog="$backlog"
	rmmod flowos_pm_count flowos_pm_stats flowos_pm_match 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}

# Three namespaces, R routing between A and B, IPv4 and IPv6.
topology() {
	local ns

	for ns in "$A" "$R" "$B"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	ip link add va netns "$A" type veth peer name ra netns "$R" &&
	ip link add rb netns "$R" type veth peer name vb netns "$B" &&
	ip -n "$A" addr add 10.1.0.1/24 dev va &&
	ip -n "$A" addr add fd01::1/64 dev va nodad &&
	ip -n "$R" addr add 10.1.0.2/24 dev ra &&
	ip -n "$R" addr add fd01::2/64 dev ra nodad &&
	ip -n "$R" addr add 10.2.0.2/24 dev rb &&
	ip -n "$R" addr add fd02::2/64 dev rb nodad &&
	ip -n "$B" addr add 10.2.0.1/24 dev vb &&
	ip -n "$B" addr add fd02::1/64 dev vb nodad || return 1
	ip -n "$A" link set va up && ip -n "$R" link set ra up &&
	ip -n "$R" link set rb up && ip -n "$B" link set vb up || return 1
	ip -n "$A" route add default via 10.1.0.2 &&
	ip -n "$A" -6 route add default via fd01::2 &&
	ip -n "$B" route add default via 10.2.0.2 &&
	ip -n "$B" -6 route add default via fd02::2 || return 1
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return 1
	# TSO sizes its aggregates to about a millisecond of the pacing
	# rate: on a slow (debug, emulated) kernel, that is under 64 KiB.
	# 127 segments at least, as a fast link would have it.  Over IPv6
	# that makes aggregates over 64 KiB, with the jumbo Hop-by-Hop
	# header that their segments do not carry.
	ip netns exec "$A" sysctl -qw net.ipv4.tcp_min_tso_segs=127 || return 1
	# Segments on the R-B link.  B takes them as they come: with GRO on,
	# veth's 256-packet NAPI ring overflows under the bursts R cuts
	# (seen on a loaded host), and what B never got is not the wire's;
	# without it B's backlog, made deep enough, loses none.
	ip netns exec "$R" ethtool -K rb tso off gso off tx-udp-segmentation off &&
	sysctl -qw net.core.netdev_max_backlog=20000
}

# big_tcp NS DEV: allow IPv4 and IPv6 aggregates of $BIG bytes on DEV.
# iproute2 before 6.3 does not know the IPv4 keywords: link_gso.py then.
big_tcp() {
	local sizes="gso_max_size $BIG gro_max_size $BIG"

	sizes="$sizes gso_ipv4_max_size $BIG gro_ipv4_max_size $BIG"
	# shellcheck disable=SC2086
	ip -n "$1" link set "$2" $sizes 2>/dev/null ||
		ip netns exec "$1" python3 "$LINK_GSO" "$2" $sizes
}

# flows PROTO: fresh flows "out" in A, "fwd" in R (whose ingress sees
# A's aggregates as they are) and "in" in B, with the PMs on "in".
flows() {
	"$FLOWCTL" -n "$A" delete out 2>/dev/null
	"$FLOWCTL" -n "$R" delete fwd 2>/dev/null
	"$FLOWCTL" -n "$B" delete in 2>/dev/null
	"$FLOWCTL" -n "$A" create out proto "$1" dport $PORT dir out &&
		"$FLOWCTL" -n "$R" create fwd proto "$1" dport $PORT &&
		"$FLOWCTL" -n "$B" create in proto "$1" dport $PORT &&
		"$FLOWCTL" -n "$B" attach in count &&
		"$FLOWCTL" -n "$B" attach in stats window 1h history 1 last 1h
}

# capture NS DEV NAME: tcpdump A's packets to B on DEV, in the background.
# Immediate mode: without it, libpcap takes packets a ring block at a
# time, each block handed over when full or after its 1 s timer, so a
# capture stopped right after the traffic can still hold some in the
# kernel (the va capture of the UDP sends was seen empty that way).
capture() {
	ip netns exec "$1" tcpdump --immediate-mode -U -n -s 96 -B 16384 -i "$2" \
		-w "$TMP/$3.pcap" "dst port $PORT" 2>"$TMP/$3.err" &
	slowwait 20 grep -q 'listening on' "$TMP/$3.err"
}

stop_captures() {
	ip netns pids "$A" | xargs -r kill 2>/dev/null
	ip netns pids "$R" | xargs -r kill 2>/dev/null
	ip netns pids "$B" | xargs -r kill 2>/dev/null
	wait 2>/dev/null
}

# wire_sizes PCAP: the IP length of each packet, one a line.
wire_sizes() {
	tshark -r "$1" -T fields -E separator=, -e ip.len -e ipv6.plen 2>/dev/null |
		awk -F, '$1 != "" { print $1; next } { print $2 + 40 }'
}

in_stats() { "$FLOWCTL" -n "$B" -j stats in; }

# pms_idle FLOWCTL_ARGS...: the PMs "flowctl ARGS" reads have no backlog.
pms_idle() {
	[ "$("$FLOWCTL" "$@" | json_eval 'sum(p["backlog"] for p in d["pms"])')" = 0 ]
}

backlog_zero() { pms_idle -n "$B" -j stats in; }
out_backlog_zero() { pms_idle -n "$A" -j stats out; }

# counted_all: the flow in B counted as many packets as the capture on
# rb holds so far.
counted_all() {
	[ "$(flow_stat "$B" in packets_in)" = "$(tcpdump -r "$TMP/wire.pcap" 2>/dev/null | wc -l)" ]
}

# transfer FAMILY BYTES: A sends BYTES over TCP to B; returns once A's
# last ACK is out, the flow in B counted as many packets as the capture
# on rb holds (an over-count never does), and the PMs caught up.  Prints
# the bytes B's server read.
transfer() {
	local dst=10.2.0.1 server

	[ "$1" = 6 ] && dst=fd02::1
	capture "$R" rb wire && capture "$A" va sent && capture "$B" vb received ||
		return 1
	tcp_sink "$B" "$dst" $PORT >"$TMP/got" &
	server=$!
	slowwait 20 listening "$B" "$PORT"
	ip netns exec "$A" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b"w" * int(sys.argv[3])); s.close()' "$dst" $PORT "$2"
	wait "$server"
	slowwait 20 time_waiting "$A" "$PORT"
	slowwait 20 counted_all
	slowwait 30 backlog_zero
	stop_captures
	cat "$TMP/got"
}

# check NAME [GRO]: every count flowos has of the transfer, against
# tshark's reading of the capture on rb.  GRO: whether B's vb made
# aggregates too (yes unless "nogro"; topology() turns it off).
check() {
	local name=$1 gro=${2:-gro} truth sent received

	wire_sizes "$TMP/wire.pcap" >"$TMP/sizes"
	truth=$(awk '{ n++; s += $1 } END { print n + 0, s + 0 }' "$TMP/sizes")
	sent=$(over_mtu sent) received=$(over_mtu received)
	ktap_print_msg "$name: wire $truth; over the MTU on va $sent, on vb $received"
	ktest "$name: the sender made aggregates (frames over the MTU on va)" \
		test "$sent" -gt 0
	if [ "$gro" = gro ]; then
		ktest "$name: the receiver made aggregates (frames over the MTU on vb)" \
			test "$received" -gt 0
	else
		ktest "$name: the receiver made none (GRO off on vb)" \
			test "$received" -eq 0
	fi
	expect_eq "$name: tcpdump on rb lost nothing" \
		"$(grep -c '^0 packets dropped by kernel' "$TMP/wire.err")" 1
	expect_eq "$name: egress flow = wire packets and bytes" \
		"$(flow_stat "$A" out packets_out) $(flow_stat "$A" out bytes_out)" "$truth"
	expect_eq "$name: ingress flow = wire packets and bytes" \
		"$(flow_stat "$B" in packets_in) $(flow_stat "$B" in bytes_in)" "$truth"
	expect_eq "$name: forwarding router's flow = wire packets and bytes" \
		"$(flow_stat "$R" fwd packets_in) $(flow_stat "$R" fwd bytes_in)" "$truth"
	in_stats >"$TMP/pms.json"
	expect_eq "$name: count PM totals and its one row = wire" \
		"$(python3 - "$TMP/pms.json" <<'PY'
import json, sys
pms = {p["type"]: p["results"] for p in json.load(open(sys.argv[1]))["pms"]}
c = pms["count"]
rows = c["top_subflows"]
print(c["packets"], c["bytes"], len(rows), rows[0]["packets"], rows[0]["bytes"])
PY
)" "$truth 1 $truth"
	expect_eq "$name: stats PM totals and size histogram = wire" \
		"$(python3 - "$TMP/pms.json" "$TMP/sizes" <<'PY'
import json, sys
s = {p["type"]: p["results"] for p in json.load(open(sys.argv[1]))["pms"]}["stats"]
sizes = [int(l) for l in open(sys.argv[2])]
got = [r["packets"] for r in s["sizes"]]
want = []
for r in s["sizes"]:
	lo, _, hi = r["size"].partition("-")
	want.append(sum(1 for x in sizes if int(lo) <= x and (not hi or x <= int(hi))))
totals = (s["packets"], s["bytes"]), (len(sizes), sum(sizes))
print("ok" if totals[0] == totals[1] and got == want else f"totals {totals} sizes {got} != {want}")
PY
)" ok
	expect_eq "$name: nothing counted as malformed" \
		"$(malformed_total "$A") $(malformed_total "$B") $(malformed_total "$R")" "0 0 0"
}

# over_mtu NAME: frames in NAME's capture longer than 1500 + 14
# (tcpdump's "greater" takes a frame's length on the wire, as tshark's
# frame.len; tcpdump starts in a fraction of tshark's time).
over_mtu() {
	tcpdump -r "$TMP/$1.pcap" -n -q 'greater 1515' 2>/dev/null | wc -l
}

# malformed_total NS: packets NS counted as malformed, all reasons.
malformed_total() {
	"$FLOWCTL" -n "$1" -j status |
		json_eval 'sum(d["malformed"].values())'
}

# big_tcp_kernel: Linux 6.3 or later.
big_tcp_kernel() {
	local release major minor

	release=$(uname -r)
	major=${release%%.*}
	minor=${release#*.}
	minor=${minor%%[.-]*}
	[ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 3 ]; }
}

ktap_print_header
require_root
trap cleanup EXIT
ktap_set_plan 35
[ -x "$FLOWOS_NL" ] || ktap_exit_fail_msg "no $FLOWOS_NL (make -C selftests/lib)"
backlog=$(sysctl -n net.core.netdev_max_backlog)
flowos_load && insmod "$PMS/count/flowos_pm_count.ko" &&
	insmod "$PMS/stats/flowos_pm_stats.ko" &&
	insmod "$PMS/match/flowos_pm_match.ko" || ktap_exit_fail_msg "cannot load flowos"
topology || ktap_exit_fail_msg "cannot set up the namespaces"

for family in 4 6; do
	flows tcp || ktap_exit_fail_msg "cannot create the flows"
	expect_eq "IPv$family: B received every byte" "$(transfer $family 1000000)" 1000000
	check "IPv$family" nogro
done

# UDP GSO (UDP_SEGMENT): 20 sends of 8 datagrams of 1000 bytes, each
# "Y...X", so "XY" is only where two datagrams meet.  A match PM on A's
# egress flow must see 160 datagrams, 160 "Ym" and no "XY".
flows udp && "$FLOWCTL" -n "$A" attach out match pattern Ym pattern XY ||
	ktap_exit_fail_msg "cannot create the flows"
capture "$R" rb wire && capture "$A" va sent && capture "$B" vb received ||
	ktap_exit_fail_msg "cannot capture"
ip netns exec "$A" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, 103, 1000)     # UDP_SEGMENT
d = b"Y" + b"m" * 998 + b"X"
print(sum(s.sendto(d * 8, (sys.argv[1], int(sys.argv[2]))) == 8000 for _ in range(20)))' \
	10.2.0.1 $PORT >"$TMP/sent" || ktap_exit_fail_msg "cannot send"
slowwait 20 counted_all
slowwait 30 out_backlog_zero
stop_captures
truth=$(wire_sizes "$TMP/wire.pcap" | awk '{ n++; s += $1 } END { print n + 0, s + 0 }')
sent=$(over_mtu sent)
ktap_print_msg "UDP GSO: wire $truth; over the MTU on va $sent"
expect_eq "UDP GSO: 20 sends of 8 datagrams" "$(cat "$TMP/sent") $truth" "20 160 $((160 * 1028))"
ktest "UDP GSO: the sender made aggregates" test "$sent" -gt 0
expect_eq "UDP GSO: egress, forwarding and ingress flows = wire" \
	"$(flow_stat "$A" out packets_out) $(flow_stat "$A" out bytes_out) $(flow_stat "$R" fwd packets_in) $(flow_stat "$R" fwd bytes_in) $(flow_stat "$B" in packets_in) $(flow_stat "$B" in bytes_in)" \
	"$truth $truth $truth"
expect_eq "UDP GSO: the match PM saw each datagram apart" \
	"$("$FLOWCTL" -n "$A" -j stats out | json_eval '"%s %s" % (
		d["pms"][0]["results"]["datagrams"],
		[(p["pattern"], p["matches"]) for p in d["pms"][0]["results"]["patterns"]])')" \
	"160 [('Ym', 160), ('XY', 0)]"

# BIG TCP: aggregates of up to 185000 bytes from A.
if big_tcp_kernel; then
	big_tcp "$A" va && big_tcp "$R" ra && big_tcp "$B" vb ||
		ktap_exit_fail_msg "cannot set BIG TCP sizes"
	flows tcp || ktap_exit_fail_msg "cannot create the flows"
	expect_eq "BIG TCP: B received every byte" "$(transfer 4 4000000)" 4000000
	check "BIG TCP" nogro
	ktest "BIG TCP: the sender's aggregates were over 64 KiB" \
		test "$(tshark -r "$TMP/sent.pcap" -T fields -e frame.len 2>/dev/null |
			awk '$1 > 65535 + 14 { n++ } END { print n + 0 }')" -gt 0
else
	for i in $(seq 11); do
		ktap_test_skip "BIG TCP needs Linux 6.3 or later, this is $(uname -r)"
	done
fi
ktap_finished
