#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flows match SCTP ports, created with flowctl as an operator would.
#
#   +------------------------+            +------------------------+
#   | ns A                   |    veth    | ns B                   |
#   |   va 10.0.0.1 fd00::1  |------------|  vb 10.0.0.2 fd00::2   |
#   +------------------------+            +------------------------+
#
# Flows live in B and count what B receives.  Two truths:
#  - SCTP packets built by hand (inject.py, a packet socket on va): the
#    number sent, 64 IP bytes each over IPv4 and 84 over IPv6, counted
#    exactly by the flow of their ports and by no other; a common header
#    cut short is counted as truncated;
#  - a real association (python's SOCK_SEQPACKET socket, after modprobe
#    sctp; skipped without the module): every message arrives, and the
#    flow on the server's port counts exactly the packets and IP bytes
#    that tshark finds in a capture of vb.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
INJECT=$FLOWOS_REPO/selftests/lib/inject.py
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
MSGS=40
MSG_SIZE=300

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc_b() { "$FLOWCTL" -n "$B" "$@"; }

# inject KIND COUNT: frames from va to vb, print how many went out.
inject() {
	ip netns exec "$A" python3 "$INJECT" va "$mac_b" "$1" "$2"
}

# truncated: B's count of truncated packets.
truncated() {
	fc_b -j status |
		json_eval 'd["malformed"]["truncated"]'
}

truncated_is() {
	[ "$(truncated)" = "$1" ]
}

test_create() {
	ktest "create: flowctl creates proto sctp dport 9899" \
		fc_b create s9899 proto sctp dport 9899
	ktest "create: and proto sctp sport and dport ranges" \
		fc_b create s9898 ip proto sctp sport 36000-36999 dport 9898
	# The same port of another protocol, preferred if it matched.
	fc_b create t9899 proto tcp dport 9899 prio 5 >/dev/null ||
		ktap_exit_fail_msg "cannot create a TCP flow"
	expect_eq "create: flowctl shows the match back" \
		"$(fc_b show s9898 | grep -o 'ip proto sctp sport [0-9-]* dport [0-9-]*')" \
		"ip proto sctp sport 36000-36999 dport 9898"
}

test_injected() {
	local n4 n6 other cut

	n4=$(inject sctp_ok 7)
	n6=$(inject sctp6_ok 5)
	other=$(inject sctp_other_port 3)
	cut=$(inject sctp_truncated 4)
	ktap_print_msg "sent $n4 + $n6 to port 9899 (IPv4 + IPv6), $other to 9898, $cut cut short"
	expect_eq "injected: all were sent" "$n4 $n6 $other $cut" "7 5 3 4"
	# Sent in order from one socket: once the last kind is counted, all are.
	slowwait 10 truncated_is "$cut"
	expect_eq "injected: packets to 9899 counted" \
		"$(flow_stat "$B" s9899 packets_in)" $((n4 + n6))
	expect_eq "injected: bytes = 64 per IPv4 packet + 84 per IPv6" \
		"$(flow_stat "$B" s9899 bytes_in)" $((64 * n4 + 84 * n6))
	expect_eq "injected: the port range flow counts its packets" \
		"$(flow_stat "$B" s9898 packets_in) $(flow_stat "$B" s9898 bytes_in)" \
		"$other $((64 * other))"
	expect_eq "injected: the TCP flow on the same port counts nothing" \
		"$(flow_stat "$B" t9899 packets_in)" 0
	expect_eq "injected: a common header cut short is truncated" \
		"$(truncated)" "$cut"
}

# sctp_pair MSGS SIZE: a server in B on 10.0.0.2:9900 reads MSGS
# messages; A sends them, each SIZE bytes, and closes.  Prints how many
# the server read whole.
sctp_pair() {
	local server

	ip netns exec "$B" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, socket.IPPROTO_SCTP)
s.bind(("10.0.0.2", 9900)); s.listen(1)
print("ready", file=sys.stderr, flush=True)
n = sum(len(s.recv(65536)) == int(sys.argv[2]) for _ in range(int(sys.argv[1])))
print(n)' "$1" "$2" >"$TMP/read" 2>"$TMP/ready" &
	server=$!
	slowwait 20 grep -q ready "$TMP/ready"
	ip netns exec "$A" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, socket.IPPROTO_SCTP)
for _ in range(int(sys.argv[1])):
    s.sendto(b"m" * int(sys.argv[2]), ("10.0.0.2", 9900))
s.close()' "$1" "$2"
	wait "$server"
	cat "$TMP/read"
}

# no_assoc NS: NS has no SCTP association left.
no_assoc() {
	[ "$(ip netns exec "$1" sh -c 'tail -n +2 /proc/net/sctp/assocs' | wc -l)" = 0 ]
}

test_association() {
	local dump got want

	if ! modprobe sctp 2>/dev/null; then
		ktap_print_msg "no sctp module: $(modprobe sctp 2>&1)"
		ktap_test_skip "association: every message arrives (no sctp module)"
		ktap_test_skip "association: packets = tshark's count (no sctp module)"
		ktap_test_skip "association: IP bytes = tshark's sum (no sctp module)"
		return
	fi
	fc_b create assoc ip proto sctp dport 9900 >/dev/null ||
		ktap_exit_fail_msg "cannot create the association's flow"
	# SCTP's GSO bundles packets into one skb, which the capture on vb
	# holds as one frame: A sends them apart, as a link carries them
	# (flowos counted the same 20 packets, 13560 bytes, either way).
	ip netns exec "$A" ethtool -K va gso off tx-sctp-segmentation off >/dev/null ||
		ktap_exit_fail_msg "cannot turn GSO off on va"
	ip netns exec "$B" tcpdump -U -n -i vb -w "$TMP/sctp.pcap" \
		'sctp dst port 9900' 2>"$TMP/dump.err" &
	dump=$!
	slowwait 20 grep -q 'listening on' "$TMP/dump.err"
	got=$(sctp_pair "$MSGS" "$MSG_SIZE")
	# Both ends closed: the last packet (SHUTDOWN COMPLETE) is out.
	slowwait 20 no_assoc "$A"
	slowwait 20 no_assoc "$B"
	slowwait 20 bash -c "[ \"\$(ip netns exec $B $FLOWOS_NL get assoc | grep -o 'packets_in=[0-9]*')\" = packets_in=\$(tcpdump -r $TMP/sctp.pcap 2>/dev/null | wc -l) ]"
	kill "$dump"
	wait "$dump" 2>/dev/null
	want=$(pcap_ip_totals "$TMP/sctp.pcap")
	ktap_print_msg "tshark: ${want% *} packets, ${want#* } IP bytes to port 9900"
	expect_eq "association: every message arrives" "$got" "$MSGS"
	expect_eq "association: packets = tshark's count" \
		"$(flow_stat "$B" assoc packets_in)" "${want% *}"
	expect_eq "association: IP bytes = tshark's sum" \
		"$(flow_stat "$B" assoc bytes_in)" "${want#* }"
}

ktap_print_header
require_root
ktap_set_plan 12

[ -x "$FLOWOS_NL" ] || ktap_exit_fail_msg "no $FLOWOS_NL (make -C selftests/lib)"
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load || ktap_exit_fail_msg "cannot load $FLOWOS_KO"
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot set up the namespaces"
mac_b=$(ip -n "$B" -br link show vb | awk '{print $3}')

test_create
test_injected
test_association
ktap_finished
