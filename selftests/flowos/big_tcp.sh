#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv4 BIG TCP (Linux 6.3+): GSO and GRO packets over 64 KiB carry an IP
# tot_len of 0, and flowos must count them as traffic, not as malformed.
#
#   +------------------------+            +------------------------+
#   | ns A        flow "out" |    veth    | ns B         flow "in" |
#   |   va 10.0.0.1          |------------|  vb 10.0.0.2           |
#   +------------------------+            +------------------------+
#       gso/gro (ipv4) max size 185000 on both ends, IPv6 off
#
# A sends 8 MB over one TCP connection to B's port 80.  The truth the
# flows are held to is the veths' own counters: with IPv6 off and static
# neighbours, every frame vb receives (and va sends) while the transfer
# runs is one of that connection's, and veth counts each frame's length
# with its 14-byte Ethernet header.  So over the transfer:
#
#   flow packets = frames (ip -s link),  flow bytes = bytes - 14 x frames
#
# and, independently of veth, flow bytes >= bytes sent + 40 per packet.
# A capture of vb must show frames over 64 KiB, or BIG TCP did not
# happen and the test proves nothing.  Before flowos knew BIG TCP, the
# receiver and the sender counted those frames as bad_length.
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
LINK_GSO=$FLOWOS_REPO/selftests/lib/link_gso.py
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
SIZE=185000
BYTES=8000000

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}

# big_tcp NS DEV: allow GSO and GRO packets of $SIZE on DEV, IPv4 too.
# iproute2 before 6.3 does not know the IPv4 keywords: link_gso.py then.
big_tcp() {
	local sizes="gso_max_size $SIZE gro_max_size $SIZE"

	sizes="$sizes gso_ipv4_max_size $SIZE gro_ipv4_max_size $SIZE"
	# shellcheck disable=SC2086
	ip -n "$1" link set "$2" $sizes 2>/dev/null ||
		ip netns exec "$1" python3 "$LINK_GSO" "$2" $sizes
}

# link_stat NS DEV rx|tx bytes|packets
link_stat() {
	ip -n "$1" -j -s link show dev "$2" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"][sys.argv[1]][sys.argv[2]])' \
			"$3" "$4"
}

# caught_up FRAMES: the flow in B has counted every frame vb received
# after it had received FRAMES.
caught_up() {
	[ "$(link_stat "$B" vb rx packets)" -eq $(($1 + $(flow_stat "$B" in packets_in))) ]
}

# transfer FRAMES: A sends $BYTES over TCP to 10.0.0.2:80 in B while
# tcpdump keeps the head of every frame vb receives (the capture only
# shows frame lengths: it may drop frames this large, so it counts
# nothing).  Returns once the flow in B has counted every frame vb
# received (FRAMES before it began); prints the bytes B's server read.
transfer() {
	local dump server frames=$1

	ip netns exec "$B" tcpdump -U -n -s 96 -i vb -w "$TMP/big.pcap" \
		'tcp dst port 80' 2>"$TMP/dump.err" &
	dump=$!
	slowwait 20 grep -q 'listening on' "$TMP/dump.err"
	tcp_sink "$B" 10.0.0.2 80 >"$TMP/received" &
	server=$!
	slowwait 20 bash -c "ip netns exec $B ss -Hltn 'sport = :80' | grep -q LISTEN"
	ip netns exec "$A" python3 -c '
import socket, sys
s = socket.create_connection(("10.0.0.2", 80)); s.sendall(b"y" * int(sys.argv[1])); s.close()' "$BYTES"
	wait "$server"
	slowwait 20 bash -c "ip netns exec $A ss -Htn state time-wait | grep -q :80"
	slowwait 10 caught_up "$frames"
	kill "$dump"
	wait "$dump" 2>/dev/null
	cat "$TMP/received"
}

# malformed_total NS: packets NS counted as malformed, all reasons.
malformed_total() {
	"$FLOWCTL" -n "$1" -j status |
		python3 -c 'import json, sys; print(sum(json.load(sys.stdin)["malformed"].values()))'
}

ktap_print_header
require_root
release=$(uname -r)
major=${release%%.*}
minor=${release#*.}
minor=${minor%%[.-]*}
if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 3 ]; }; then
	ktap_skip_all "IPv4 BIG TCP needs Linux 6.3 or later, this is $release"
	exit "$KSFT_SKIP"
fi
trap cleanup EXIT
ktap_set_plan 10

[ -x "$FLOWOS_NL" ] || ktap_exit_fail_msg "no $FLOWOS_NL (make -C selftests/lib)"
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load || ktap_exit_fail_msg "cannot load $FLOWOS_KO"
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot set up the namespaces"
for ns in "$A" "$B"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 ||
		ktap_exit_fail_msg "cannot turn IPv6 off"
done
big_tcp "$A" va && big_tcp "$B" vb || ktap_exit_fail_msg "cannot set BIG TCP sizes"
"$FLOWCTL" -n "$B" create in ip proto tcp dport 80 &&
	"$FLOWCTL" -n "$A" create out ip proto tcp dport 80 dir out ||
	ktap_exit_fail_msg "cannot create the flows"

rx_p=$(link_stat "$B" vb rx packets)
rx_b=$(link_stat "$B" vb rx bytes)
tx_p=$(link_stat "$A" va tx packets)
tx_b=$(link_stat "$A" va tx bytes)
got=$(transfer "$rx_p")
rx_p=$(($(link_stat "$B" vb rx packets) - rx_p))
rx_b=$(($(link_stat "$B" vb rx bytes) - rx_b))
tx_p=$(($(link_stat "$A" va tx packets) - tx_p))
tx_b=$(($(link_stat "$A" va tx bytes) - tx_b))
in_p=$(flow_stat "$B" in packets_in)
in_b=$(flow_stat "$B" in bytes_in)
out_p=$(flow_stat "$A" out packets_out)
out_b=$(flow_stat "$A" out bytes_out)
big=$(tshark -r "$TMP/big.pcap" -T fields -e frame.len 2>/dev/null |
	awk '$1 > 65535 + 14 { n++ } END { print n + 0 }')
ktap_print_msg "vb got $rx_p frames, $rx_b bytes ($big over 64 KiB); flow in: $in_p packets, $in_b bytes"
ktap_print_msg "va sent $tx_p frames, $tx_b bytes; flow out: $out_p packets, $out_b bytes"

expect_eq "big tcp: the server received all $BYTES bytes" "$got" "$BYTES"
ktest "big tcp: the capture holds frames over 64 KiB" test "$big" -gt 0
expect_eq "big tcp: the receiver counts no malformed packet" "$(malformed_total "$B")" 0
expect_eq "big tcp: the sender counts no malformed packet" "$(malformed_total "$A")" 0
expect_eq "big tcp: packets in = frames vb received" "$in_p" "$rx_p"
expect_eq "big tcp: bytes in = vb's rx bytes - 14 per frame" "$in_b" $((rx_b - 14 * rx_p))
ktest "big tcp: bytes in >= bytes sent + 40 per packet" \
	test "$in_b" -ge $((BYTES + 40 * in_p))
expect_eq "big tcp: packets out = frames va sent" "$out_p" "$tx_p"
expect_eq "big tcp: bytes out = va's tx bytes - 14 per frame" "$out_b" $((tx_b - 14 * tx_p))
expect_eq "big tcp: the flows agree in both directions" "$out_p $out_b" "$in_p $in_b"
ktap_finished
