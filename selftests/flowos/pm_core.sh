#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The PM core between the packet path and the PMs' threads: packet
# clones that do not hold a sender's MSG_ZEROCOPY pages; the attach
# window (nothing queued for an instance before its ->init is done, and
# the pipeline order kept while a lower order attaches under traffic);
# and wake-ups (an idle thread without ->tick sleeps until woken, and
# no unit waits for a wake-up that never comes).
#
#   +---------- A ----------+          +---------- B ----------+
#   | senders               |          | flows, test PMs       |
#   | 10.0.0.1  va ---------+-- veth --+-------- vb 10.0.0.2   |
#   | flow zc (dir out)     |          | tcp_sink (zc)         |
#   +-----------------------+          +-----------------------+
#
# The test PMs are selftests/flowos/modules/flowos_pm_test.c.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
TEST_KO=$FLOWOS_BUILD/testpm/flowos_pm_test.ko
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rmmod flowos_pm_test 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

# js NS FLOW EXPR: a Python expression over "flowctl -j stats FLOW" (d).
js() {
	ip netns exec "$1" "$FLOWCTL" -j stats "$2" |
		json_eval "$3"
}

# pm NS FLOW NAME KEY: a counter of an instance (backlog, wakeups, ...).
pm() {
	js "$1" "$2" "[p for p in d['pms'] if p['name'] == '$3'][0]['$4']"
}

# result NS FLOW NAME KEY: a scalar result of an instance.
result() {
	js "$1" "$2" "[p for p in d['pms'] if p['name'] == '$3'][0]['results']['$4']"
}

settled() {
	[ "$(pm "$1" "$2" "$3" backlog)" = 0 ]
}

lagging() {
	[ "$(pm "$1" "$2" "$3" backlog)" -ge "$4" ]
}

# paced NS DST PORT[,PORT...] GAP_MS STOP: send 64-byte datagrams GAP_MS
# apart, to each PORT in turn, until the file STOP exists, then print
# how many went.
paced() {
	ip netns exec "$1" python3 - "$2" "$3" "$4" "$5" <<'PY'
import os, socket, sys, time
dst, gap, stop = sys.argv[1], float(sys.argv[3]), sys.argv[4]
ports = [int(p) for p in sys.argv[2].split(",")]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
while not os.path.exists(stop):
    n += s.sendto(b"p" * 64, (dst, ports[n % len(ports)])) == 64
    time.sleep(gap / 1000)
print(n)
PY
}

# at_least NS FLOW EXPR N: "flowctl -j stats FLOW" says EXPR >= N.
at_least() {
	[ "$(js "$1" "$2" "$3")" -ge "$4" ]
}

# A payload PM lags by seconds behind a TCP sender in A that uses
# MSG_ZEROCOPY: the sender's completions must not wait for the PM (its
# clones hold copies of the pages, not the pages), and the PM still
# gets every byte TCP put on the wire (retransmissions included, as the
# sender's tcpi_bytes_sent counts them).  The flow is A's egress, where the sender's pages
# are still in the packets.
test_zerocopy() {
	local sink out n done secs wire backlog bytes=$((60 * 8192))

	"$FLOWCTL" -n "$A" create zc proto tcp dport 7000 dir out &&
		"$FLOWCTL" -n "$A" attach zc test_payload delay_us 100000 || return 1
	tcp_sink "$B" 10.0.0.2 7000 >"$TMP/zc.received" &
	sink=$!
	slowwait 20 listening "$B" 7000
	out=$(ip netns exec "$A" python3 - 60 8192 3 <<'PY'
import socket, struct, sys, time
SO_ZEROCOPY, MSG_ZEROCOPY, MSG_ERRQUEUE, SO_EE_ORIGIN_ZEROCOPY = 60, 0x4000000, 0x2000, 5
n, size, wait = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection(("10.0.0.2", 7000))
s.setsockopt(socket.SOL_SOCKET, SO_ZEROCOPY, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b"z" * size
for _ in range(n):
    assert s.send(buf, MSG_ZEROCOPY) == size
    time.sleep(0.005)
t0, done = time.time(), 0
while done < n and time.time() < t0 + wait:
    try:
        _, anc, _, _ = s.recvmsg(0, 4096, MSG_ERRQUEUE | socket.MSG_DONTWAIT)
    except BlockingIOError:
        time.sleep(0.01)
        continue
    for _, _, data in anc:
        _, origin, _, _, _, lo, hi = struct.unpack("=IBBBBII", data[:16])
        if origin == SO_EE_ORIGIN_ZEROCOPY:
            done += hi - lo + 1
# What TCP put on the wire, retransmissions included: tcpi_bytes_sent.
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
print(done, "%.2f" % (time.time() - t0), struct.unpack_from("=QQ", info, 200))
s.close()
PY
)
	backlog=$(pm "$A" zc test_payload backlog)
	n=60
	read -r done secs wire <<<"$out"
	ktap_print_msg "$done of $n zerocopy sends completed ${secs}s after the last," \
		"payload PM backlog $backlog; TCP (bytes sent, retransmitted): $wire"
	wire=${wire#(}
	wire=${wire%%,*}
	expect_eq "zerocopy: completions do not wait for a lagging PM" "$done" "$n"
	ktest "zerocopy: the PM was still lagging then" test "$backlog" -gt 0
	wait "$sink"
	slowwait 60 settled "$A" zc test_payload
	expect_eq "zerocopy: the receiver got every byte" "$(cat "$TMP/zc.received")" "$bytes"
	expect_eq "zerocopy: the PM got every payload byte TCP sent, from its clones" \
		"$(result "$A" zc test_payload payload_bytes) $(result "$A" zc test_payload missing_skb)" \
		"$wire 0"
	"$FLOWCTL" -n "$A" delete zc
}

# An attach whose ->init is slow, then refused, then slow and accepted,
# while traffic flows into a flow with a ring of 16 units: nothing may
# be queued before the instance runs, so the ring never overflows.
test_slow_init() {
	local sent

	fc create slow proto udp dport 6011 qlen 16 || return 1
	rm -f "$TMP/stop"
	paced "$A" 10.0.0.2 6011 20 "$TMP/stop" >"$TMP/slow.sent" &
	slowwait 30 at_least "$B" slow "d['stats']['packets_in']" 5
	expect_refused "slow init: a refused attach says why" "init_fail: failing as asked" \
		fc attach slow test_check init_ms 4000 init_fail 1
	touch "$TMP/stop"
	wait
	sent=$(cat "$TMP/slow.sent")
	ktap_print_msg "$sent datagrams sent around a slow attach that was refused"
	expect_eq "slow init: the flow counted them" "$(js "$B" slow "d['stats']['packets_in']")" "$sent"
	expect_eq "slow init: no ring drops from a refused attach" \
		"$(js "$B" slow "d['stats']['ring_drops']")" 0

	rm -f "$TMP/stop"
	paced "$A" 10.0.0.2 6011 20 "$TMP/stop" >"$TMP/slow.sent" &
	slowwait 30 at_least "$B" slow "d['stats']['packets_in']" $((sent + 5))
	ktest "slow init: a slow attach under traffic" fc attach slow test_check init_ms 4000
	slowwait 30 at_least "$B" slow "d['pms'][0]['results']['seen']" 20
	touch "$TMP/stop"
	wait
	slowwait 10 settled "$B" slow test_check
	ktap_print_msg "$(cat "$TMP/slow.sent") datagrams sent around a slow attach," \
		"$(result "$B" slow test_check seen) seen once it ran"
	expect_eq "slow init: no ring drops while it initialised" \
		"$(js "$B" slow "d['stats']['ring_drops']")" 0
	fc delete slow
}

# test_check (order 1, 100 units a second) lags behind traffic when
# test_mark (order 0) attaches: test_check must see no unit, from then
# on, that test_mark has not marked ("late"), and every unit still.
test_attach_order() {
	local sent

	fc create late proto udp dport 6010 qlen 4096 &&
		fc attach late test_check name chk order 1 delay_us 10000 || return 1
	rm -f "$TMP/stop"
	paced "$A" 10.0.0.2 6010 2 "$TMP/stop" >"$TMP/late.sent" &
	slowwait 30 lagging "$B" late chk 50
	ktap_print_msg "order 1 lags by $(pm "$B" late chk backlog) units"
	ktest "order: attach a lower order under traffic" \
		fc attach late test_mark name mark order 0 delay_us 0
	slowwait 30 at_least "$B" late "[p for p in d['pms'] if p['name'] == 'mark'][0]['results']['seen']" 50
	touch "$TMP/stop"
	wait
	sent=$(cat "$TMP/late.sent")
	slowwait 120 settled "$B" late chk
	ktap_print_msg "$sent sent; order 1 saw $(result "$B" late chk unmarked) unmarked," \
		"order 0 marked $(result "$B" late mark seen)"
	expect_eq "order: no ring drops" "$(js "$B" late "d['stats']['ring_drops']")" 0
	expect_eq "order: order 1 saw every unit" "$(result "$B" late chk seen)" "$sent"
	ktest "order: order 0 marked units" test "$(result "$B" late mark seen)" -ge 50
	expect_eq "order: after the attach, order 1 saw no unit order 0 had not released" \
		"$(result "$B" late chk late)" 0
	fc delete late
}

# A PM without ->tick, idle: its thread sleeps until woken, and a few
# packets (fewer than a wake-up batch) still reach it.
test_idle_wakeups() {
	local w0 w1 a b c

	fc create idle proto udp dport 6012 && fc attach idle test_check name idle || return 1
	slowwait 10 settled "$B" idle idle
	w0=$(pm "$B" idle idle wakeups)
	sleep 3	# what is measured: three seconds without traffic
	w1=$(pm "$B" idle idle wakeups)
	ktap_print_msg "wake-ups over 3 idle seconds: $w0 -> $w1"
	expect_eq "idle: no wake-ups without traffic" "$w1" "$w0"
	a=$(udp_send "$A" 10.0.0.2 6012 5 64)
	slowwait 10 bash -c "[ \$(ip netns exec $B $FLOWCTL -j stats idle | grep -o '\"seen\":[0-9]*') = '\"seen\":$a' ]"
	expect_eq "idle: a few packets are all processed" "$(result "$B" idle idle seen)" "$a"
	b=$(udp_send "$A" 10.0.0.2 6012 300 64)
	slowwait 10 bash -c "[ \$(ip netns exec $B $FLOWCTL -j stats idle | grep -o '\"seen\":[0-9]*') = '\"seen\":$((a + b))' ]"
	expect_eq "idle: and a burst" "$(result "$B" idle idle seen)" $((a + b))
	ktest "idle: those woke it" test "$(pm "$B" idle idle wakeups)" -gt "$w1"
	slowwait 10 settled "$B" idle idle
	sleep 1	# idle again, for longer than a tick
	c=$(udp_send "$A" 10.0.0.2 6012 1 64)
	slowwait 10 bash -c "[ \$(ip netns exec $B $FLOWCTL -j stats idle | grep -o '\"seen\":[0-9]*') = '\"seen\":$((a + b + c))' ]"
	expect_eq "idle: one packet after an idle second is processed" \
		"$(result "$B" idle idle seen)" $((a + b + c))
	fc delete idle
}

fc() { "$FLOWCTL" -n "$B" "$@"; }

# B's UDP datagrams to a port nobody listens on (/proc/net/snmp).
no_ports() {
	ip netns exec "$B" awk '/^Udp:/ {
		if (!col) { for (i = 1; i <= NF; i++) if ($i == "NoPorts") col = i }
		else print $col }' /proc/net/snmp
}

at_least_no_ports() { [ "$(no_ports)" -ge "$1" ]; }

# flowctl create FLOW ... attach ...: a flow created with its pipeline
# matches its first packet only once every instance runs, so under
# traffic each instance sees every packet the flow counts, even behind
# an ->init of a second; created first and attached after, the flow
# counts packets its PM never sees.
test_pipeline() {
	local flow base pms

	for flow in together apart; do
		base=$(no_ports)
		rm -f "$TMP/stop"
		paced "$A" 10.0.0.2 6020 2 "$TMP/stop" >/dev/null &
		slowwait 30 at_least_no_ports $((base + 20))
		if [ "$flow" = together ]; then
			ktest "pipeline: create a flow with its pipeline under traffic" \
				fc create together proto udp dport 6020 \
				attach test_check name chk init_ms 1000 \
				attach count name cnt order 1
		else
			fc create apart proto udp dport 6020 &&
				fc attach apart test_check name chk init_ms 1000 &&
				fc attach apart count name cnt order 1
		fi
		slowwait 30 at_least "$B" "$flow" "d['stats']['packets_in']" 50
		touch "$TMP/stop"
		wait
		slowwait 20 settled "$B" "$flow" cnt
		pms="$(result "$B" "$flow" chk seen) $(pm "$B" "$flow" cnt processed)"
		ktap_print_msg "$flow: the flow counted" \
			"$(js "$B" "$flow" "d['stats']['packets_in']"), its PMs saw $pms"
		if [ "$flow" = together ]; then
			expect_eq "pipeline: each instance saw every packet the flow counted" \
				"$pms" "$(js "$B" "$flow" "d['stats']['packets_in']") \
$(js "$B" "$flow" "d['stats']['packets_in']")"
		else
			ktest "pipeline: created, then attached, the flow counted packets its PM missed" \
				test "$(js "$B" "$flow" "d['stats']['packets_in']")" -gt \
				"$(result "$B" "$flow" chk seen)"
		fi
		fc delete "$flow"
	done
}

# packets_in NS FLOW: what the flow counted.
packets_in() {
	js "$1" "$2" "d['stats']['packets_in']"
}

# flowctl change under traffic.  Two flows share ports 6030 and 6031,
# which the datagrams take in turn: "lo" (priority 1) one port, "all"
# both, so that each datagram is the higher one's.  Moving lo from 6030
# to 6031 while they flow, every datagram must be counted by exactly
# one of the two (the swap is atomic), and lo keeps its count PM and
# what it counted.
test_change() {
	local sent lo flow def

	fc create all proto udp dport 6030-6031 attach count name cnt &&
		fc create lo proto udp dport 6030 prio 1 attach count name cnt ||
		return 1
	rm -f "$TMP/stop"
	paced "$A" 10.0.0.2 6030,6031 2 "$TMP/stop" >"$TMP/change.sent" &
	slowwait 30 at_least "$B" lo "d['stats']['packets_in']" 20
	ktest "change: a flow's match, under traffic" \
		fc change lo proto udp dport 6031 prio 1
	lo=$(packets_in "$B" lo)
	slowwait 30 at_least "$B" lo "d['stats']['packets_in']" $((lo + 20))
	touch "$TMP/stop"
	wait
	sent=$(cat "$TMP/change.sent")
	for flow in lo all; do
		slowwait 20 settled "$B" "$flow" cnt
	done
	ktap_print_msg "$sent datagrams; lo counted $(packets_in "$B" lo)," \
		"all $(packets_in "$B" all)"
	expect_eq "change: each datagram counted once, by the old lo or the new" \
		"$(($(packets_in "$B" lo) + $(packets_in "$B" all)))" "$sent"
	expect_eq "change: the flows' count PMs stayed, and saw all they counted" \
		"$(pm "$B" lo cnt processed) $(pm "$B" all cnt processed)" \
		"$(packets_in "$B" lo) $(packets_in "$B" all)"
	expect_eq "change: lo is what the change said" \
		"$("$FLOWCTL" -n "$B" -j show lo |
			json_eval '"%s %s-%s" % (d["priority"], d["match"]["dport"]["min"],
				d["match"]["dport"]["max"])')" \
		"1 6031-6031"
	def=$(fc dump lo | head -n 1)
	expect_refused "change: a ring length while PMs run, refused" \
		"change only while no PM is attached" \
		fc change lo proto udp dport 6031 prio 1 qlen 64
	expect_refused "change: a bad match, refused" "needs" \
		fc change lo sport 5
	expect_refused "change: no flow of the name" "no flow of this name" \
		fc change nosuch proto udp
	expect_eq "change: the refused ones changed nothing" \
		"$(fc dump lo | head -n 1)" "$def"
	fc create bare proto udp &&
		ktest "change: a ring length, with no PM attached" \
			fc change bare proto udp qlen 64 mode inline overflow drop
	expect_eq "change: then the flow has it" \
		"$("$FLOWCTL" -n "$B" -j show bare |
			json_eval '"%s %s %s" % (d["qlen"], d["mode"], d["overflow"])')" \
		"64 inline drop"
	for flow in lo all bare; do
		fc delete "$flow"
	done
}

# A pipeline with one instance refused creates nothing, and says which.
test_pipeline_refused() {
	expect_refused "pipeline: a refused instance is named, by place and type" \
		"attach 2 (test_check): init_fail: failing as asked" \
		fc create bad proto udp dport 6021 attach count name badcount \
		attach test_check init_fail 1
	expect_refused "pipeline: a bad parameter is named in its instance" \
		"attach 2 (count): parameter 'report'" \
		fc create bad proto udp dport 6021 attach count name badcount \
		attach count name c2 report many
	expect_refused "pipeline: an unknown type is named" \
		"attach 1 (nosuchpm): no PM type of this name" \
		fc create bad attach nosuchpm
	expect_refused "pipeline: two instances of one name" \
		"attach 2 (count)" fc create bad attach count attach count
	expect_refused "pipeline: an attach without a type, before asking the kernel" \
		"attach wants a PM type" fc create bad proto udp attach count attach
	expect_eq "pipeline: nothing was left of them: no flow, no thread" \
		"$(fc show bad >/dev/null 2>&1; echo $?) $(pgrep -c -x flowos/badcount)" "1 0"
}

require_root
ktap_print_header
ktap_set_plan 38
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
flowos_load && insmod "$TEST_KO" && insmod "$FLOWOS_BUILD/pms/count/flowos_pm_count.ko" ||
	ktap_exit_fail_msg "cannot load flowos and the PMs"

test_zerocopy
test_slow_init
test_attach_order
test_idle_wakeups
test_pipeline
test_pipeline_refused
test_change
ktap_finished
