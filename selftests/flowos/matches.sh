#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flows match ICMP and ICMPv6 type and code, DSCP and ECN, device names
# and VLAN ids, created with flowctl as an operator would.
#
#   +------------------------+            +------------------------+
#   | ns A                   |    veth    | ns B                   |
#   |   va 10.0.0.1 fd00::1  |------------|  vb 10.0.0.2 fd00::2   |
#   +------------------------+            +------------------------+
#
# Flows live in B and count what B receives: pings from A, small and
# fragmented (flowos has B reassemble them first, as tshark does), and
# A's answers to B's; A's
# port unreachables for datagrams B sends to a closed port (A's ICMP
# rate limits off); UDP datagrams from A with chosen TOS and Traffic
# Class bytes.  The truth is tshark's reading of a capture of what vb
# received, each flow's packets selected by the header fields the uapi
# names; and the counts each sender reports.
#
# Then the devices: VLANs 100, 200 and 300 over the veth (vb100 in B...,
# 10.1.0.0/24, 10.2.0.0/24, 10.3.0.0/24), datagrams over each and over
# the veth itself, both ways; vb200 is renamed zz200 half way, and vb300
# is made after the flow that names it.  The truth is tshark on what vb,
# the VLANs' parent, received (tagged or not) and sent.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
DUMP=
SMALL_PINGS=6
BIG_PINGS=4	# 2000 bytes: two fragments each on a 1500-byte link
UNREACH=5
REPLIES=3	# echo replies to B's pings: the plain "proto icmp" flow's

cleanup() {
	[ -n "$DUMP" ] && kill "$DUMP" 2>/dev/null
	[ ${#CAPTURES[@]} -gt 0 ] && kill "${CAPTURES[@]}" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { flowctl_in "$B" "$@"; }

# tos_send NS DST COUNT TOS: COUNT datagrams to DST port 7000, their
# IPv4 TOS (IPv6 Traffic Class) byte TOS; prints how many went.
tos_send() {
	ip netns exec "$1" python3 - "$2" "$3" "$4" <<'PY'
import socket, sys
dst, count, tos = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0)
if ":" in dst:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, tos)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
print(sum(s.sendto(b"d" * 100, (dst, 7000)) == 100 for _ in range(count)))
PY
}

# pings NS COUNT SIZE DST: COUNT echo requests answered.
pings() {
	ip netns exec "$1" ping -q -c "$2" -s "$3" -i 0.05 -W 2 "$4" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# truth FILTER [PCAP]: packets of the capture (vb.pcap) that FILTER
# (tshark's display filter, on the reassembled packets) selects.  Fields
# are the outer header's (#1): an ICMP error quotes a header of its own.
truth() {
	tshark -r "$TMP/${2:-vb.pcap}" -Y "$1" 2>/dev/null | wc -l
}

# captured FILTER COUNT [PCAP]: the capture holds COUNT such packets
# (tcpdump writes each soon after it sees it, not at once).
captured() {
	[ "$(truth "$1" "${3:-}")" = "$2" ]
}

# capture NAME DIRECTION: tcpdump on vb in B, packets going DIRECTION
# (in, out) into NAME.pcap; its pid in CAPTURES.
CAPTURES=()
capture() {
	ip netns exec "$B" tcpdump -U -n -Q "$2" -i vb -w "$TMP/$1.pcap" \
		2>"$TMP/$1.err" &
	CAPTURES+=($!)
	slowwait 20 grep -q 'listening on' "$TMP/$1.err" ||
		ktap_exit_fail_msg "tcpdump did not start"
}

# udp_burst NS DST PORT COUNT: COUNT datagrams, printing how many went.
udp_burst() {
	udp_send "$1" "$2" "$3" "$4" 100
}

# vlan NS ID ADDR: a VLAN of id ID over NS's veth, vaID or vbID, with ADDR/24.
vlan() {
	local parent=vb

	[ "$1" = "$A" ] && parent=va
	local dev=$parent$2

	ip -n "$1" link add link "$parent" name "$dev" type vlan id "$2" &&
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" &&
	ip -n "$1" addr add "$3/24" dev "$dev" && ip -n "$1" link set "$dev" up
}

# vlan_pair ID: the VLAN ID in both namespaces, 10.X.0.1 and 10.X.0.2
# (X = ID / 100), with static neighbours.
vlan_pair() {
	local x=$(($1 / 100))

	vlan "$A" "$1" "10.$x.0.1" && vlan "$B" "$1" "10.$x.0.2" &&
	ip -n "$A" neigh add "10.$x.0.2" lladdr "$mac_b" dev "va$1" nud permanent &&
	ip -n "$B" neigh add "10.$x.0.1" lladdr "$mac_a" dev "vb$1" nud permanent
}

# ICMP packets neither echo4 nor unreach4 takes.
OTHER_ICMP='icmp && !(icmp.type#1 == 8) && !(icmp.type#1 == 3 && icmp.code#1 == 3)'

test_create() {
	ktest "create: icmp-type by name (echo-request)" \
		fc create echo4 proto icmp icmp-type echo-request prio 1
	ktest "create: icmp-type and icmp-code by number" \
		fc create unreach4 proto icmp icmp-type 3 icmp-code 3 prio 1
	fc create icmp4 ip proto icmp >/dev/null &&
	fc create echo6 proto icmpv6 icmp-type echo-request prio 1 >/dev/null &&
	fc create unreach6 proto icmpv6 icmp-type destination-unreachable \
		icmp-code 4 prio 1 >/dev/null ||
		ktap_exit_fail_msg "cannot create the ICMP flows"
	ktest "create: dscp and ecn by name (ef, ce)" \
		fc create efce proto udp dscp ef ecn ce prio 3
	fc create ef proto udp dscp 46 prio 2 >/dev/null &&
	fc create ce proto udp ecn 3 prio 2 >/dev/null &&
	fc create af11 proto udp dscp af11 prio 2 >/dev/null ||
		ktap_exit_fail_msg "cannot create the DSCP and ECN flows"
}

test_show() {
	expect_eq "show: icmp-type and code by name, as create takes them" \
		"$(fc show unreach6 | grep -o 'proto icmpv6 icmp-type [a-z-]* icmp-code [0-9]*')" \
		"proto icmpv6 icmp-type destination-unreachable icmp-code 4"
	expect_eq "show: ICMP type 3 is destination-unreachable" \
		"$(fc show unreach4 | grep -o 'icmp-type [a-z-]* icmp-code [0-9]*')" \
		"icmp-type destination-unreachable icmp-code 3"
	expect_eq "show: dscp and ecn by name" \
		"$(fc show efce | grep -o 'dscp [a-z0-9]* ecn [a-z0-9-]*')" "dscp ef ecn ce"
	expect_eq "JSON: numbers (ef 46, ce 3, echo-request 128 for ICMPv6)" \
		"$(fc -j show efce | json_eval 'd["match"]["dscp"], d["match"]["ecn"]') $(fc -j show echo6 | json_eval 'd["match"]["icmp_type"]')" \
		"(46, 3) 128"
	{ fc -j show efce; fc -j show echo6; fc -j show unreach4; } >"$TMP/shown.json"
	ktest "JSON: valid against flowctl.schema.json" \
		python3 "$FLOWOS_REPO/selftests/lib/ndjson_check.py" "$TMP/shown.json"
	expect_eq "the selftests' own client reads the same attributes" \
		"$(ip netns exec "$B" "$FLOWOS_NL" get unreach4 | grep -o 'proto=1 icmp_type=3 icmp_code=3') $(ip netns exec "$B" "$FLOWOS_NL" get af11 | grep -o 'dscp=10')" \
		"proto=1 icmp_type=3 icmp_code=3 dscp=10"
	# sysfs shows the initial namespace's flows.
	"$FLOWOS_REPO/tools/flowctl/flowctl" create mt-sysfs ip6 proto icmpv6 \
		icmp-type echo-reply ecn ect0 >/dev/null ||
		ktap_exit_fail_msg "cannot create a flow in the initial namespace"
	expect_eq "sysfs: icmp_type, icmp_code, dscp, ecn (any when absent)" \
		"$(cd /sys/kernel/flowos/flows/mt-sysfs && cat icmp_type icmp_code dscp ecn | tr '\n' ' ')" \
		"129 any any 2 "
	"$FLOWOS_REPO/tools/flowctl/flowctl" delete mt-sysfs
	fc dump >"$TMP/dump"
	expect_eq "dump, then apply --dry-run of it: nothing to change" \
		"$(fc apply --dry-run "$TMP/dump"; echo "status $?")" "status 0"
}

test_refused() {
	expect_refused "refused: icmp-type with proto udp (the kernel says why)" \
		"needs proto icmp or icmpv6" fc create x proto udp icmp-type 3
	expect_refused "refused: icmp-code without a proto" \
		"needs proto icmp or icmpv6" fc create x icmp-code 0
	expect_refused "refused: an ICMP type name flowctl does not know" \
		"bad ICMP type 'ping'" fc create x proto icmp icmp-type ping
	expect_refused "refused: an ICMPv6 name is not an ICMP one" \
		"bad ICMP type 'nd-neighbor-solicit'" \
		fc create x proto icmp icmp-type nd-neighbor-solicit
	expect_refused "refused: dscp 64" "bad DSCP '64'" fc create x dscp 64
	expect_refused "refused: ecn 4" "bad ECN '4'" fc create x ecn 4
	expect_refused "refused by the kernel's policy: DSCP 64 (raw netlink)" \
		"integer out of range" ip netns exec "$B" "$FLOWOS_NL" new x dscp 64
	expect_refused "refused by the kernel's policy: ECN 4 (raw netlink)" \
		"integer out of range" ip netns exec "$B" "$FLOWOS_NL" new x ecn 4
	expect_eq "refused: nothing was created" "$(fc list | grep -c '^flow x ')" 0
}

test_traffic() {
	local sent want got name

	ip netns exec "$A" sysctl -qw net.ipv4.icmp_ratelimit=0 \
		net.ipv6.icmp.ratelimit=0 ||
		ktap_exit_fail_msg "cannot lift A's ICMP rate limits"
	ip netns exec "$B" tcpdump -U -n -Q in -i vb -w "$TMP/vb.pcap" \
		'icmp or icmp6 or udp port 7000' \
		2>"$TMP/dump.err" &
	DUMP=$!
	slowwait 20 grep -q 'listening on' "$TMP/dump.err" ||
		ktap_exit_fail_msg "tcpdump did not start"

	sent="$(pings "$A" "$SMALL_PINGS" 56 10.0.0.2) $(pings "$A" "$BIG_PINGS" 2000 10.0.0.2)"
	sent+=" $(pings "$A" "$SMALL_PINGS" 56 fd00::2) $(pings "$B" "$REPLIES" 56 10.0.0.1)"
	sent+=" $(udp_send "$B" 10.0.0.1 9 "$UNREACH" 20) $(udp_send "$B" fd00::1 9 "$UNREACH" 20)"
	# EF+CE, EF+ECT(0), AF11+CE, AF11, CS0; over IPv6 EF and CS1+CE.
	sent+=" $(tos_send "$A" 10.0.0.2 5 0xbb) $(tos_send "$A" 10.0.0.2 7 0xba)"
	sent+=" $(tos_send "$A" 10.0.0.2 4 0x2b) $(tos_send "$A" 10.0.0.2 6 0x28)"
	sent+=" $(tos_send "$A" 10.0.0.2 3 0x00)"
	sent+=" $(tos_send "$A" fd00::2 3 0xb8) $(tos_send "$A" fd00::2 2 0x23)"
	expect_eq "every ping answered, every datagram sent" "$sent" \
		"$SMALL_PINGS $BIG_PINGS $SMALL_PINGS $REPLIES $UNREACH $UNREACH 5 7 4 6 3 3 2"
	# The datagrams came last, one socket each: once the last is
	# counted, and captured, all are.
	slowwait 20 bash -c "[ \$(ip netns exec $B $FLOWOS_NL get ce | grep -o 'packets_in=[0-9]*') = packets_in=6 ]"
	slowwait 20 captured 'udp.dstport == 7000' 30
	kill "$DUMP"
	wait "$DUMP" 2>/dev/null
	DUMP=

	for name in echo4 unreach4 icmp4 echo6 unreach6 efce ef ce af11; do
		case $name in
		echo4) want=$(truth 'icmp.type#1 == 8') ;;
		unreach4) want=$(truth 'icmp.type#1 == 3 && icmp.code#1 == 3') ;;
		icmp4) want=$(truth "$OTHER_ICMP") ;;
		echo6) want=$(truth 'icmpv6.type#1 == 128') ;;
		unreach6) want=$(truth 'icmpv6.type#1 == 1 && icmpv6.code#1 == 4') ;;
		efce) want=$(truth 'udp.dstport == 7000 && ip.dsfield.dscp == 46 && ip.dsfield.ecn == 3') ;;
		ef) want=$(truth 'udp.dstport == 7000 && ((ip.dsfield.dscp == 46 && ip.dsfield.ecn != 3) || ipv6.tclass.dscp == 46)') ;;
		ce) want=$(truth 'udp.dstport == 7000 && ((ip.dsfield.ecn == 3 && ip.dsfield.dscp != 46) || ipv6.tclass.ecn == 3)') ;;
		af11) want=$(truth 'udp.dstport == 7000 && ip.dsfield.dscp == 10 && ip.dsfield.ecn != 3') ;;
		esac
		got=$(flow_stat "$B" "$name" packets_in)
		ktap_print_msg "$name: flowos $got, tshark $want"
		expect_eq "traffic: $name counts what tshark selects by its fields" \
			"$got" "$want"
	done
	# What the senders sent, against tshark: the truths are not empty.
	expect_eq "traffic: tshark saw the packets sent (echo, unreach, other ICMP, echo6, unreach6, EF+CE, EF, AF11)" \
		"$(truth 'icmp.type#1 == 8') $(truth 'icmp.type#1 == 3') $(truth "$OTHER_ICMP") $(truth 'icmpv6.type#1 == 128') $(truth 'icmpv6.type#1 == 1') $(truth 'ip.dsfield.dscp == 46 && ip.dsfield.ecn == 3') $(truth 'udp.dstport == 7000 && (ip.dsfield.dscp == 46 || ipv6.tclass.dscp == 46)') $(truth 'udp.dstport == 7000 && ip.dsfield.ecn != 3 && ip.dsfield.dscp == 10')" \
		"$((SMALL_PINGS + BIG_PINGS)) $UNREACH $REPLIES $SMALL_PINGS $UNREACH 5 $((5 + 7 + 3)) 6"
}

test_devices_refused() {
	expect_refused "refused: oifname with dir in (no output device there)" \
		"needs dir out or both" fc create x oifname vb
	expect_refused "refused: a '*' only at the end of a name" \
		"not a device name" fc create x iifname 'v*b'
	expect_refused "refused: '*' alone" "not a device name" fc create x iifname '*'
	expect_refused "refused: a name of 16 characters" "bad device name" \
		fc create x iifname abcdefghijklmnop
	expect_refused "refused: vlan 4096" "bad VLAN id '4096'" fc create x vlan 4096
	expect_refused "refused by the kernel's policy: VLAN 4096 (raw netlink)" \
		"integer out of range" ip netns exec "$B" "$FLOWOS_NL" new x vlan 4096
	expect_eq "refused: nothing was created" "$(fc list | grep -c '^flow x ')" 0
}

test_devices() {
	local sent name want got

	if ! modprobe 8021q 2>/dev/null && ! ip -n "$A" link add link va name vtest type vlan id 9 2>/dev/null; then
		ktap_print_msg "no 8021q: $(modprobe 8021q 2>&1)"
		for name in show sent vparent v200 in_vb in_vbx late out_vb vother; do
			ktap_test_skip "devices: $name (no 8021q in this kernel)"
		done
		return
	fi
	ip -n "$A" link del vtest 2>/dev/null
	vlan_pair 100 && vlan_pair 200 ||
		ktap_exit_fail_msg "cannot set up VLANs 100 and 200"
	fc list | awk '$1 == "flow" { print $2 }' | while read -r name; do
		fc delete "$name"
	done
	fc create vparent ip dev vb vlan 100 prio 3 >/dev/null &&
	fc create vother ip dev lo vlan 100 prio 4 >/dev/null &&
	fc create v200 ip vlan 200 prio 1 >/dev/null &&
	fc create in_vb ip iifname vb prio 3 >/dev/null &&
	fc create in_vbx ip iifname 'vb*' prio 2 >/dev/null &&
	fc create late ip iifname vb300 prio 4 >/dev/null &&
	fc create out_vb ip oifname vb dir out >/dev/null ||
		ktap_exit_fail_msg "cannot create the device flows"
	expect_eq "devices: show prints names and the VLAN as create takes them" \
		"$(fc show in_vbx | grep -o "iifname [^ ]*") $(fc show vparent | grep -o 'dev vb vlan 100') $(fc -j show out_vb | json_eval 'd["match"]["oifname"]')" \
		"iifname vb* dev vb vlan 100 vb"
	capture in in
	capture out out
	sent="$(udp_burst "$A" 10.0.0.2 7001 4) $(udp_burst "$A" 10.1.0.2 7100 5)"
	sent+=" $(udp_burst "$A" 10.2.0.2 7200 6)"
	ip -n "$B" link set vb200 down && ip -n "$B" link set vb200 name zz200 &&
	ip -n "$B" link set zz200 up || ktap_exit_fail_msg "cannot rename vb200"
	vlan_pair 300 || ktap_exit_fail_msg "cannot set up VLAN 300"
	sent+=" $(udp_burst "$A" 10.2.0.2 7201 7) $(udp_burst "$A" 10.3.0.2 7300 3)"
	sent+=" $(udp_burst "$B" 10.0.0.1 7002 8)"
	expect_eq "devices: every datagram sent" "$sent" "4 5 6 7 3 8"
	# A's answers (port unreachable) to B's last datagrams come last.
	slowwait 20 bash -c "[ \$(ip netns exec $B $FLOWOS_NL get in_vb | grep -o 'packets_in=[0-9]*') = packets_in=12 ]"
	slowwait 20 captured 'icmp' 8 in.pcap
	slowwait 20 captured 'udp.dstport == 7002' 8 out.pcap
	kill "${CAPTURES[@]}"
	wait "${CAPTURES[@]}" 2>/dev/null
	CAPTURES=()

	for name in vparent v200 in_vb in_vbx late out_vb; do
		case $name in
		vparent) want=$(truth 'ip && vlan.id == 100' in.pcap) ;;
		v200) want=$(truth 'ip && vlan.id == 200 && !(udp.dstport == 7200)' in.pcap) ;;
		in_vb) want=$(truth 'ip && !vlan' in.pcap) ;;
		in_vbx) want=$(truth 'ip && vlan.id == 200 && udp.dstport == 7200' in.pcap) ;;
		late) want=$(truth 'ip && vlan.id == 300' in.pcap) ;;
		out_vb) want=$(truth 'ip && !vlan' out.pcap) ;;
		esac
		got=$(flow_stat "$B" "$name" packets_in)
		[ "$name" = out_vb ] && got=$(flow_stat "$B" "$name" packets_out)
		ktap_print_msg "$name: flowos $got, tshark $want"
		expect_eq "devices: $name counts what tshark selects" "$got" "$want"
	done
	expect_eq "devices: vother (VLAN 100 on lo) counts nothing" \
		"$(flow_stat "$B" vother packets_in)" 0
}

ktap_print_header
require_root
ktap_set_plan 47

[ -x "$FLOWOS_NL" ] || ktap_exit_fail_msg "no $FLOWOS_NL (make -C selftests/lib)"
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load || ktap_exit_fail_msg "cannot load $FLOWOS_KO"
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot set up the namespaces"
mac_a=$(ip -n "$A" -br link show va | awk '{print $3}')
mac_b=$(ip -n "$B" -br link show vb | awk '{print $3}')

test_create
test_show
test_refused
test_traffic
test_devices_refused
test_devices
ktap_finished
