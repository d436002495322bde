#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Header writes of read-write PMs (flowos_unit_write_header()).  On the
# router R, the test PM test_nat is a stateless one-to-one NAT: what A
# sends to a virtual address V (10.0.2.99, fd02::99), port 8080, goes
# to B's real address, port 80, and B's answers come back from V:8080;
# it also sets every packet's TOS (IPv6 traffic class) to 0x28.
#
#   +---- A ----+        +---------- R ----------+        +---- B ----+
#   | 10.0.1.1  +- veth -+ r0   inline "nat"  r1 +- veth -+ 10.0.2.1  |
#   | fd01::1 a0|        |      test_nat: V <-> B|        | b0 fd02::1|
#   +-----------+        +-----------------------+        +-----------+
#
# The truth is what the ends got: A's random bytes, echoed by B, come
# back to A with the same sha256, which a wrong checksum anywhere would
# stop (A and B verify every checksum: a0 and b0 have rx off); and
# each end's capture (tshark): every packet between the addresses and
# ports that end must see, with the TOS set, and good IPv4, TCP and UDP
# checksums.  R changes checksums of two kinds: A sums its own (tx off
# on a0), so R fixes complete checksums (CHECKSUM_NONE); B leaves them
# to its device (tx on), so R fixes the pseudo-header sum of
# CHECKSUM_PARTIAL packets, GSO ones among them, which R's r0 (tx off)
# then completes in software.  (CHECKSUM_COMPLETE, which veth never
# makes, is the native unit test's: selftests/unit/hdrw_test.c.)
. "$FLOWOS_REPO/selftests/lib.sh"

TRAFFIC=$FLOWOS_REPO/selftests/lib/nat_traffic.py
DGRAMS=$FLOWOS_REPO/selftests/lib/block_traffic.py
TOS=0x28	# DSCP 10 (AF11), ECN 0
router_test

fc() { flowctl_in "$@"; }

setup() {
	router_topology "$A" "$R" "$B" &&
	ip netns exec "$A" ethtool -K a0 tx off rx off >/dev/null &&
	ip netns exec "$B" ethtool -K b0 rx off >/dev/null &&
	ip netns exec "$R" ethtool -K r0 tx off >/dev/null &&
	flowos_load && insmod "$FLOWOS_BUILD/testpm/flowos_pm_test.ko" ||
		return 1
	fc "$R" create nat proto tcp mode inline &&
	fc "$R" attach nat test_nat name v4 vaddr 10.0.2.99 raddr 10.0.2.1 \
		vport 8080 rport 80 tos $((TOS)) &&
	fc "$R" attach nat test_nat name v6 order 1 vaddr fd02::99 \
		raddr fd02::1 vport 8080 rport 80 tos $((TOS)) &&
	fc "$R" create natu proto udp mode inline &&
	fc "$R" attach natu test_nat name v4 vaddr 10.0.2.99 raddr 10.0.2.1 \
		vport 5000 rport 5001 bad_write 1 &&
	fc "$R" attach natu test_nat name v6 order 1 vaddr fd02::99 \
		raddr fd02::1 vport 5000 rport 5001 bad_write 1
}

test_refused() {
	fc "$R" create passive proto tcp dport 8081 || return 1
	expect_refused "refused: test_nat on a passive flow, whose packets went on" \
		"it needs an inline flow" \
		fc "$R" attach passive test_nat vaddr 10.0.2.99 raddr 10.0.2.1
	fc "$R" delete passive
	expect_refused "refused: a NAT between two families" "one family for both" \
		fc "$R" attach nat test_nat name mixed order 2 vaddr 10.0.2.99 \
			raddr fd02::1
}

# capture NS DEV FILE FILTER: start tcpdump; its pid in $dump.
capture() {
	ip netns exec "$1" tcpdump -U -n -i "$2" -w "$3" "$4" 2>"$3.err" &
	dump=$!
	slowwait 20 grep -q 'listening on' "$3.err"
}

# fields PCAP PROTO: one line per packet, both families, for verdicts:
# ip.src, ip.dst, ipv6.src, ipv6.dst, ports, DSCP (IPv4, IPv6), the
# transport checksum's status, the IPv4 header checksum's (1: good).
fields() {
	tshark -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -T fields -E separator=, \
		-e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
		-e "$2.srcport" -e "$2.dstport" -e ip.dsfield.dscp \
		-e ipv6.tclass.dscp -e "$2.checksum.status" \
		-e ip.checksum.status 2>/dev/null
}

# verdicts FIELDS FAMILY SRC SPORT DST DPORT DSCP: one line per packet
# of FAMILY in FIELDS that came to DST's end (not from DST), "ok" if it
# is from SRC:SPORT to DST:DPORT (an empty port: any) with DSCP and
# every checksum good, else what it is.
verdicts() {
	awk -F, -v v="$2" -v s="$3" -v sp="$4" -v d="$5" -v dp="$6" \
	    -v dscp="$7" '{
		src = v == 4 ? $1 : $3
		dst = v == 4 ? $2 : $4
		if (src == "" || src == d)
			next
		ends = src == s && dst == d && (sp == "" || $5 == sp) &&
		       (dp == "" || $6 == dp)
		ok = ends && (v == 4 ? $7 : $8) == dscp && $9 == 1 &&
		     (v == 6 || $10 == 1)
		print ok ? "ok" : $0
	}' "$1"
}

# expect_all_ok TAG FILE MIN: every line of FILE says "ok", at least MIN.
expect_all_ok() {
	local n bad

	n=$(wc -l <"$2")
	bad=$(grep -cv '^ok$' "$2")
	grep -v '^ok$' "$2" | head -n 3 | sed 's/^/# not ok: /'
	expect_eq "$1" "$([ "$n" -ge "$3" ] && echo "$bad of many" ||
		echo "only $n")" "0 of many"
}

# tcp_through FAMILY V B A: A's bytes through V:8080 to B:80 and back.
tcp_through() {
	local v=$1 vaddr=$2 baddr=$3 aaddr=$4 tag="tcp IPv$1" sent got peer port
	local bpeer echo

	ip netns exec "$B" "$TRAFFIC" echo "$baddr" 80 >"$TMP/echo$v" &
	echo=$!
	slowwait 20 listening "$B" 80
	read -r sent got peer port <<<"$(ip netns exec "$A" "$TRAFFIC" send \
		"$vaddr" 8080 1000000)"
	wait "$echo"
	read -r bpeer _ <"$TMP/echo$v"
	expect_eq "$tag: A got its 1 MB back from V:8080, sha256 and all" \
		"$got $peer $port" "$sent $vaddr 8080"
	expect_eq "$tag: B's end saw A's own address" "$bpeer" "$aaddr"
}

# Both families' transfers, captured on a0 and b0; then each packet that
# came to either end, as tshark sees it.
test_tcp() {
	local pa=$TMP/a.pcap pb=$TMP/b.pcap da db dscp=$((TOS >> 2)) v

	capture "$A" a0 "$pa" "tcp port 8080 or tcp port 80"
	da=$dump
	capture "$B" b0 "$pb" "tcp port 8080 or tcp port 80"
	db=$dump
	tcp_through 4 10.0.2.99 10.0.2.1 10.0.1.1
	tcp_through 6 fd02::99 fd02::1 fd01::1
	slowwait 20 flow_settled "$R" nat
	# Each end's last packet is the ACK of the other's FIN: a moment.
	sleep 0.5
	kill "$da" "$db"
	wait "$da" "$db" 2>/dev/null
	fields "$pa" tcp >"$TMP/a.fields"
	fields "$pb" tcp >"$TMP/b.fields"
	for v in 4 6; do
		if [ "$v" = 4 ]; then
			verdicts "$TMP/a.fields" 4 10.0.2.99 8080 10.0.1.1 "" "$dscp"
			verdicts "$TMP/b.fields" 4 10.0.1.1 "" 10.0.2.1 80 "$dscp" >"$TMP/b4"
		else
			verdicts "$TMP/a.fields" 6 fd02::99 8080 fd01::1 "" "$dscp"
			verdicts "$TMP/b.fields" 6 fd01::1 "" fd02::1 80 "$dscp" >"$TMP/b6"
		fi >"$TMP/a$v"
		expect_all_ok "tcp IPv$v: A's capture: each packet that came from V:8080, TOS set, checksums good (tshark)" \
			"$TMP/a$v" 100
		expect_all_ok "tcp IPv$v: B's capture: each packet that came from A to B:80, TOS set, checksums good (tshark)" \
			"$TMP/b$v" 100
	done
	expect_eq "tcp: no write failed, and the instances mapped and set TOS" \
		"$(pm_stat "$R" nat v4 failed) $(pm_stat "$R" nat v6 failed) $(
		  [ "$(pm_stat "$R" nat v4 mapped)" -ge 100 ] &&
		  [ "$(pm_stat "$R" nat v6 mapped)" -ge 100 ] &&
		  [ "$(pm_stat "$R" nat v6 tos_set)" -ge 200 ] && echo yes)" "0 0 yes"
	# Else the CHECKSUM_PARTIAL path went untested: B's replies must
	# come as such, GSO ones among them.
	expect_eq "tcp: R wrote CHECKSUM_PARTIAL packets, GSO ones among them" \
		"$([ "$(pm_stat "$R" nat v4 partial)" -gt 0 ] &&
		   [ "$(pm_stat "$R" nat v4 gso)" -gt 0 ] && echo yes)" yes
}

test_udp() {
	local pb=$TMP/udp.pcap v vaddr baddr n=20 i msgs=() recv seen

	for i in $(seq 1 $n); do msgs+=("datagram $i"); done
	capture "$B" b0 "$pb" "udp port 5001"
	for v in 4 6; do
		vaddr=10.0.2.99 baddr=10.0.2.1
		[ "$v" = 6 ] && vaddr=fd02::99 baddr=fd02::1
		ip netns exec "$B" "$DGRAMS" dgramrecv "$baddr" 5001 "$TMP/udp$v.b" &
		recv=$!
		slowwait 20 listening "$B" 5001 u
		ip netns exec "$A" "$DGRAMS" dgrams "$vaddr" 5000 "${msgs[@]}" end
		wait "$recv"
		expect_eq "udp IPv$v: B got every datagram A sent to V:5000, at its port 5001" \
			"$(wc -l <"$TMP/udp$v.b")" $((n + 1))
	done
	slowwait 20 flow_settled "$R" natu
	# B got every datagram: kill tcpdump once its file holds them too.
	slowwait 20 pcap_holds "$pb" $((2 * (n + 1)))
	kill "$dump"
	wait "$dump" 2>/dev/null
	fields "$pb" udp >"$TMP/udp.fields"
	{ verdicts "$TMP/udp.fields" 4 10.0.1.1 "" 10.0.2.1 5001 0 &&
	  verdicts "$TMP/udp.fields" 6 fd01::1 "" fd02::1 5001 0; } >"$TMP/udp.verdicts"
	expect_all_ok "udp: B's capture: each datagram came from A to B:5001, checksums good (tshark)" \
		"$TMP/udp.verdicts" $((2 * (n + 1)))
	seen=$(($(pm_stat "$R" natu v4 seen) + $(pm_stat "$R" natu v6 seen)))
	expect_eq "udp: each attempt to change the protocol byte refused, nothing failed" \
		"$(($(pm_stat "$R" natu v4 refused) + $(pm_stat "$R" natu v6 refused))) $(
		  pm_stat "$R" natu v4 failed) $(pm_stat "$R" natu v6 failed)" "$seen 0 0"
}

require_root
ktap_print_header
ktap_set_plan 16
setup || ktap_exit_fail_msg "cannot set up"
test_refused
test_tcp
test_udp
ktap_finished
