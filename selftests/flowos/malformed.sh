#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Malformed packets, injected from a raw socket, are counted per reason
# and never counted as flow traffic; well-formed packets sent among them
# are still counted exactly.  Each kind of packet passes the kernel's own
# IP checks (valid header and checksum) so that it reaches flowos's hook,
# and is broken further in: TCP data offset, a TCP header cut short, a
# UDP length below its header, an IPv6 extension header chain too long.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
INJECT=$FLOWOS_REPO/selftests/lib/inject.py
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	"$FLOWCTL" delete loud 2>/dev/null
	flowos_unload
}
trap cleanup EXIT

# inject NS DEV MAC KIND COUNT: print how many frames went out.
inject() {
	ip netns exec "$1" python3 "$INJECT" "$2" "$3" "$4" "$5"
}

# malformed NS REASON: that counter of "flowctl status" in NS ("-": init).
malformed() {
	if [ "$1" = - ]; then "$FLOWCTL" -j status; else
		"$FLOWCTL" -n "$1" -j status; fi |
		json_eval "d['malformed']['$2']"
}

# malformed_is NS REASON N: that counter is N.
malformed_is() {
	[ "$(malformed "$1" "$2")" = "$3" ]
}

require_root
ktap_print_header
ktap_set_plan 14
veth_pair "$A" "$B" && flowos_load || ktap_exit_fail_msg "cannot set up"
mac_b=$(ip -n "$B" -br link show vb | awk '{print $3}')

"$FLOWCTL" -n "$B" create udp ip proto udp &&
	"$FLOWCTL" -n "$B" create tcp ip proto tcp &&
	"$FLOWCTL" -n "$B" create v6 ip6 || ktap_exit_fail_msg "cannot create flows"

ok1=$(inject "$A" va "$mac_b" udp_ok 6)
doff=$(inject "$A" va "$mac_b" tcp_bad_doff 3)
trunc=$(inject "$A" va "$mac_b" tcp_truncated 2)
ok2=$(inject "$A" va "$mac_b" udp_ok 4)
ulen=$(inject "$A" va "$mac_b" udp_bad_len 4)
ext=$(inject "$A" va "$mac_b" ext_hdr_chain 5)
ktap_print_msg "sent: $((ok1 + ok2)) good, $doff+$trunc bad TCP, $ulen bad UDP, $ext bad IPv6"

slowwait 10 bash -c "[ \$($FLOWCTL -n $B -j show udp | grep -o '\"packets_in\":[0-9]*') = '\"packets_in\":$((ok1 + ok2))' ]"
expect_eq "malformed: bad TCP data offsets counted" "$(malformed "$B" bad_tcp_doff)" "$doff"
expect_eq "malformed: truncated TCP headers counted" "$(malformed "$B" truncated)" "$trunc"
expect_eq "malformed: bad UDP lengths counted" "$(malformed "$B" bad_udp_len)" "$ulen"
expect_eq "malformed: IPv6 chains too long counted" "$(malformed "$B" bad_ext_hdr)" "$ext"
expect_eq "malformed: no other reason counted" \
	"$(malformed "$B" bad_ihl)$(malformed "$B" bad_version)$(malformed "$B" bad_length)" 000
expect_eq "malformed: good UDP among them counted exactly" \
	"$("$FLOWCTL" -n "$B" -j show udp | json_eval 'd["stats"]["packets_in"]')" \
	$((ok1 + ok2))
expect_eq "malformed: broken TCP is not flow traffic" \
	"$("$FLOWCTL" -n "$B" -j show tcp | json_eval 'd["stats"]["packets_in"]')" 0
expect_eq "malformed: other namespaces count nothing" "$(malformed "$A" bad_udp_len)" 0
expect_eq "malformed: the libnl client reads the same" \
	"$(ip netns exec "$B" "$FLOWOS_NL" net | grep -o 'bad_tcp_doff=[0-9]* bad_udp_len=[0-9]*')" \
	"bad_tcp_doff=$doff bad_udp_len=$ulen"

# Sent from A's own stack, the packets pass A's egress hook.  A
# namespace whose flows all take ingress (the default) does not even
# parse what it sends; one with an egress flow counts it.
"$FLOWCTL" -n "$A" create ain proto udp || ktap_exit_fail_msg "cannot create a flow in A"
ip netns exec "$A" python3 "$INJECT" --local udp_bad_len 3 >/dev/null
slowwait 10 malformed_is "$B" bad_udp_len $((ulen + 3))
expect_eq "egress: the receiver counts the 3 sent from A's stack" \
	"$(malformed "$B" bad_udp_len)" $((ulen + 3))
expect_eq "egress: A, with only an ingress flow, does not parse them" \
	"$(malformed "$A" bad_udp_len)" 0
"$FLOWCTL" -n "$A" create aout proto udp dir out || ktap_exit_fail_msg "cannot create a flow in A"
ip netns exec "$A" python3 "$INJECT" --local udp_bad_len 2 >/dev/null
expect_eq "egress: with an egress flow, A counts the 2 it sends" \
	"$(malformed "$A" bad_udp_len)" 2

# The initial namespace's counters are in sysfs too.
ip link set lo up
"$FLOWCTL" create loud proto udp || ktap_exit_fail_msg "cannot create a flow"
n=$(python3 "$INJECT" lo 00:00:00:00:00:00 udp_bad_len 7)
slowwait 10 bash -c "[ \$(cat /sys/kernel/flowos/malformed/bad_udp_len) = $n ]"
expect_eq "sysfs: bad UDP lengths of the initial namespace" \
	"$(cat /sys/kernel/flowos/malformed/bad_udp_len)" "$n"
expect_eq "sysfs: equals flowctl status" \
	"$(cat /sys/kernel/flowos/malformed/bad_udp_len)" "$(malformed - bad_udp_len)"
ktap_finished
