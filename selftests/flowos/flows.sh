#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flows count exactly what was sent, and only that.
#
#   +------------------------+            +------------------------+
#   | ns A                   |    veth    | ns B                   |
#   |   va 10.0.0.1 fd00::1  |------------|  vb 10.0.0.2 fd00::2   |
#   +------------------------+            +------------------------+
#
# Flows live in B and count what B receives (in) and sends (out).  The
# truth they are held to is independent of flowos: what ping reports,
# how many datagrams the sender sent, and tshark on a capture of vb.
# The netlink API is driven by the selftests' own libnl client.
. "$FLOWOS_REPO/selftests/lib.sh"

A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

nl_a() { ip netns exec "$A" "$FLOWOS_NL" "$@"; }
nl_b() { ip netns exec "$B" "$FLOWOS_NL" "$@"; }

# ping_replies NS ARGS...: ping, print the number of replies received.
ping_replies() {
	local ns=$1

	shift
	ip netns exec "$ns" ping -q -i 0.05 "$@" | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

test_icmp() {
	local got

	nl_b new icmp family 4 proto 1 dir both >/dev/null
	got=$(ping_replies "$A" -c 7 -s 100 10.0.0.2)
	expect_eq "icmp: ping got 7 replies" "$got" 7
	# 7 echo requests in, 7 replies out, 20 + 8 + 100 IP bytes each.
	expect_eq "icmp: packets in = requests sent" "$(flow_stat "$B" icmp packets_in)" 7
	expect_eq "icmp: bytes in = 7 x 128" "$(flow_stat "$B" icmp bytes_in)" 896
	expect_eq "icmp: packets out = replies" "$(flow_stat "$B" icmp packets_out)" 7
	expect_eq "icmp: bytes out = 7 x 128" "$(flow_stat "$B" icmp bytes_out)" 896
	nl_b del icmp
}

test_udp_port_range() {
	local sent other

	nl_b new udp family 4 proto 17 dport 5000-5010 >/dev/null
	nl_b new far family 4 src 10.9.9.9 >/dev/null
	sent=$(udp_send "$A" 10.0.0.2 5005 50 200)
	other=$(udp_send "$A" 10.0.0.2 6000 20 200)
	expect_eq "udp: the sender sent 50 + 20 datagrams" "$sent+$other" "50+20"
	expect_eq "udp: packets in the range counted" "$(flow_stat "$B" udp packets_in)" "$sent"
	expect_eq "udp: bytes = datagrams x (20 + 8 + 200)" \
		"$(flow_stat "$B" udp bytes_in)" $((sent * 228))
	expect_eq "udp: a flow nothing matches counts nothing" \
		"$(flow_stat "$B" far packets_in)" 0
	nl_b del udp
	nl_b del far
}

test_tcp_vs_tshark() {
	local got want

	nl_b new web family 4 proto 6 dport 80 >/dev/null
	got=$(tcp_capture "$A" "$B" 300000 "$TMP/web.pcap" \
		"ip netns exec $B $FLOWOS_NL get web | grep -o 'packets_in=[0-9]*' | cut -d= -f2")
	expect_eq "tcp: the server received all 300000 bytes" "$got" 300000
	want=$(pcap_ip_totals "$TMP/web.pcap")
	ktap_print_msg "tshark: ${want% *} packets, ${want#* } IP bytes to port 80"
	expect_eq "tcp: packets to port 80 = tshark's count" \
		"$(flow_stat "$B" web packets_in)" "${want% *}"
	expect_eq "tcp: IP bytes to port 80 = tshark's sum" \
		"$(flow_stat "$B" web bytes_in)" "${want#* }"
	nl_b del web
}

test_ipv6() {
	local got

	nl_b new ping6 family 6 proto 58 dst fd00::2/128 >/dev/null
	got=$(ping_replies "$A" -6 -c 5 -s 56 fd00::2)
	expect_eq "ipv6: ping got 5 replies" "$got" 5
	expect_eq "ipv6: echo requests counted" "$(flow_stat "$B" ping6 packets_in)" 5
	expect_eq "ipv6: bytes = 5 x (40 + 8 + 56)" "$(flow_stat "$B" ping6 bytes_in)" 520
	nl_b del ping6
}

test_priority() {
	nl_b new low family 4 proto 17 prio 1 >/dev/null
	nl_b new high family 4 proto 17 dport 5005 prio 10 >/dev/null
	nl_b new tie family 4 proto 17 dport 5006 prio 1 >/dev/null
	udp_send "$A" 10.0.0.2 5005 10 10 >/dev/null
	udp_send "$A" 10.0.0.2 5006 5 10 >/dev/null
	expect_eq "priority: the higher-priority flow takes its packets" \
		"$(flow_stat "$B" high packets_in)" 10
	expect_eq "priority: the lower one takes the rest" \
		"$(flow_stat "$B" low packets_in)" 5
	expect_eq "priority: at equal priority the older flow wins" \
		"$(flow_stat "$B" tie packets_in)" 0
	nl_b del low; nl_b del high; nl_b del tie
}

test_many_flows() {
	local n i

	# One start of flowos_nl for all of them (batch), not one each.
	for ((i = 0; i < 200; i++)); do
		echo "new f$i family 4 proto 17 dport $((10000 + i))"
	done | nl_b batch >/dev/null
	n=$(nl_b dump | grep -c '^name=f')
	expect_eq "200 flows: a dump returns every one of them" "$n" 200
	udp_send "$A" 10.0.0.2 10150 3 10 >/dev/null
	n=$(nl_b dump | awk '/packets_in=[1-9]/ { print $1 }')
	expect_eq "200 flows: only the matching flow counts" "$n" "name=f150"
	for ((i = 0; i < 200; i++)); do echo "del f$i"; done | nl_b batch
	expect_eq "200 flows: all deleted" "$(nl_b dump | wc -l)" 0
}

test_isolation() {
	nl_b new mine family 4 proto 1 >/dev/null
	expect_eq "netns: A does not see B's flows" "$(nl_a dump | wc -l)" 0
	ktest "netns: A cannot delete B's flow" bash -c "! ip netns exec $A $FLOWOS_NL del mine 2>/dev/null"
	ktest "netns: A may use the same name" \
		bash -c "ip netns exec $A $FLOWOS_NL new mine family 4 proto 1 dst 10.0.0.2 >/dev/null"
	ping_replies "$A" -c 3 10.0.0.2 >/dev/null
	expect_eq "netns: B's flow counts what B receives" "$(flow_stat "$B" mine packets_in)" 3
	expect_eq "netns: A's flow counts nothing of it" "$(flow_stat "$A" mine packets_in)" 0
	nl_a del mine; nl_b del mine
}

test_unprivileged() {
	local nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"

	nl_b new guarded family 4 >/dev/null
	ktest "unprivileged: creating a flow is refused (EPERM)" bash -c \
		"ip netns exec $B $nobody $FLOWOS_NL new x 2>&1 | grep -q 'Operation not permitted'"
	ktest "unprivileged: deleting a flow is refused (EPERM)" bash -c \
		"ip netns exec $B $nobody $FLOWOS_NL del guarded 2>&1 | grep -q 'Operation not permitted'"
	ktest "unprivileged: reading flows is allowed" bash -c \
		"ip netns exec $B $nobody $FLOWOS_NL get guarded | grep -q '^name=guarded'"
	nl_b del guarded
	test_userns_root
}

# The root of a user namespace that owns a network namespace reads the
# flows there but may not change them (kmod/netlink.c says why).
test_userns_root() {
	local nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	local in_userns="$nobody unshare --user --map-root-user --net"

	if ! $in_userns true 2>/dev/null; then
		ktap_test_skip "userns root: unprivileged user namespaces are off"
		ktap_test_skip "userns root: may read its namespace's flows"
		return
	fi
	ktest "userns root: creating a flow in its own netns is refused (EPERM)" \
		bash -c "$in_userns $FLOWOS_NL new x 2>&1 | grep -q 'Operation not permitted'"
	ktest "userns root: may read its namespace's flows (none)" \
		bash -c "out=\$($in_userns $FLOWOS_NL dump) && [ -z \"\$out\" ]"
}

# bad_request "DESCRIPTION" "EXTACK TEXT" ARGS...: refused, saying why,
# and nothing changed.
bad_request() {
	local desc=$1 why=$2 before after err

	shift 2
	before=$(nl_b dump)
	if err=$(nl_b "$@" 2>&1); then
		ktap_print_msg "accepted: $err"
		ktap_test_fail "bad input: $desc"
		return
	fi
	after=$(nl_b dump)
	if [[ $err != *"$why"* ]] || [ "$before" != "$after" ]; then
		ktap_print_msg "said '$err', want '$why'; changed: $([ "$before" != "$after" ] && echo yes || echo no)"
		ktap_test_fail "bad input: $desc"
		return
	fi
	ktap_test_pass "bad input: $desc"
}

test_bad_input() {
	nl_b new dup family 4 >/dev/null
	bad_request "duplicate name" "a flow of this name exists" new dup family 4
	bad_request "name too long" "Invalid argument" new "$(printf 'n%.0s' {1..40})" family 4
	bad_request "bad characters in a name" "a flow name is letters" new 'x y' family 4
	bad_request "empty name" "a flow name is letters" new '' family 4
	# Latin-1 "e acute": a letter to the kernel's isalnum(), not UTF-8.
	bad_request "a non-ASCII byte (0xe9) in a name" "a flow name is letters" \
		new $'caf\xe9' family 4
	bad_request "reversed port range" "port range is reversed" new r family 4 proto 6 dport 90-80
	bad_request "ports without a protocol" "needs proto tcp, udp or sctp" new p dport 80
	bad_request "ports on icmp" "needs proto tcp, udp or sctp" new p family 4 proto 1 dport 80
	bad_request "address without family" "an address needs the family" new a src 10.0.0.1
	bad_request "address of the other family" "does not match the family" new a family 6 src 10.0.0.1
	bad_request "prefix longer than the address" "prefix length longer" new a family 4 dst 10.0.0.0/33
	bad_request "unknown family" "family must be" new a family 5
	bad_request "unknown device" "no such device" new a dev 99999
	bad_request "deleting an unknown flow" "no flow of this name" del nosuch
	nl_b del dup
}

test_events() {
	local mon_b mon_a

	ip netns exec "$B" "$FLOWOS_NL" monitor 2 20 >"$TMP/events_b" 2>"$TMP/ready_b" &
	mon_b=$!
	ip netns exec "$A" "$FLOWOS_NL" monitor 1 4 >"$TMP/events_a" 2>"$TMP/ready_a" &
	mon_a=$!
	slowwait 20 grep -q ready "$TMP/ready_b"
	slowwait 20 grep -q ready "$TMP/ready_a"
	nl_b new ev family 4 proto 17 >/dev/null
	nl_b del ev
	ktest "events: a listener sees the flow created, then deleted" wait "$mon_b"
	ktest "events: in that order, naming the flow" \
		test "$(cut -d' ' -f1,2 "$TMP/events_b" | tr '\n' ' ')" \
		= "event=new name=ev event=del name=ev "
	# It gives up after its 4 seconds with nothing to print.
	wait "$mon_a"
	expect_eq "events: a listener in another namespace sees none" \
		"$?:$(wc -c <"$TMP/events_a")" "1:0"
}

test_churn_under_traffic() {
	local flood i ok=1

	nl_b new keep family 4 proto 1 >/dev/null
	ip netns exec "$A" ping -q -f -w 8 10.0.0.2 >/dev/null 2>&1 &
	flood=$!
	for ((i = 0; i < 30; i++)); do
		nl_b new "c$i" family 4 proto 1 prio $((i % 3)) >/dev/null &&
			nl_b del "c$i" || ok=0
	done
	expect_eq "churn: 30 creates and deletes under a ping flood" "$ok" 1
	ktest "churn: the long-lived flow keeps counting" \
		test "$(flow_stat "$B" keep packets_in)" -gt 0
	# Unload with flows present while the flood runs.
	nl_b new left1 family 4 proto 1 prio 5 >/dev/null
	nl_b new left2 family 6 >/dev/null
	ktest "rmmod with flows present, under traffic" rmmod flowos
	kill "$flood" 2>/dev/null
	wait "$flood" 2>/dev/null
}

ktap_print_header
require_root
ktap_set_plan 51

[ -x "$FLOWOS_NL" ] || ktap_exit_fail_msg "no $FLOWOS_NL (make -C selftests/lib)"
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load || ktap_exit_fail_msg "cannot load $FLOWOS_KO"
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot set up the namespaces"

test_icmp
test_udp_port_range
test_tcp_vs_tshark
test_ipv6
test_priority
test_many_flows
test_isolation
test_unprivileged
test_bad_input
test_events
test_churn_under_traffic

ktap_finished
