#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inline flows: packets held while the flow's PMs work on them, then
# passed on where they were taken.
#
#   +---------- A ----------+          +---------- B ----------+
#   | sender                |          | receivers             |
#   | 10.0.0.1  va ---------+-- veth --+-------- vb 10.0.0.2   |
#   | flow "out" (dir out)  |          | flows "in", "udp"...  |
#   +-----------------------+          +-----------------------+
#
# The truth is what the receivers got (the bytes and their sha256, the
# datagrams), what tcpdump on vb saw between A's egress hook and B's
# ingress hook, and what the sender sent.  Every packet an inline flow
# held must, in the end, be re-injected or dropped, and counted as one
# or the other; a device or namespace that goes away must not wait for
# the PMs.  The slow PM is test_mark (one unit per call, delay_us after
# each), from selftests/flowos/modules/flowos_pm_test.c.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
PMS=$FLOWOS_BUILD/pms
TEST_KO=$FLOWOS_BUILD/testpm/flowos_pm_test.ko
MARK_STALL=/sys/module/flowos_pm_test/parameters/mark_stall
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
MEM=/sys/kernel/flowos/memory_used
BYTES=$((20 * 1024 * 1024))

cleanup() {
	netns_del "$A" "$B"
	rmmod flowos_pm_test flowos_pm_count 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { flowctl_in "$@"; }

# st NS FLOW KEY: one of the flow's counters, as the selftests' own
# libnl client reads it (a C program: quick, where each python start
# costs a second or more in a guest); held_now is what the flow holds.
st() {
	if [ "$3" = held_now ]; then
		held_now "$1" "$2"
	else
		flow_stat "$1" "$2" "$3"
	fi
}

# thread_class NAME: the scheduling class of the thread of instance NAME
# ("flowos/NAME", which 6.1 cuts to the 15 characters of a task's
# name), as ps shows it: TS for SCHED_OTHER, B for SCHED_BATCH.
thread_class() {
	ps -e -o cls=,comm= |
		awk -v c="flowos/$1" '$2 == c || $2 == substr(c, 1, 15) { print $1 }'
}

# memory_free: flowos holds no memory for PMs, in any namespace.  A
# function, so that slowwait reads the file at each try.
memory_free() { [ "$(cat $MEM)" = 0 ]; }

# count NS FLOW NAME: the packets a count instance counted.
count_packets() {
	pm_eval "$1" "$2" "$3" 'r["packets"]'
}

# accounted NS FLOW: "HELD REINJECTED+LOST", which must be equal.
accounted() {
	echo "$(st "$1" "$2" held) $(($(st "$1" "$2" reinjected) + $(st "$1" "$2" lost)))"
}

# The sha256 of what B's TCP sink on port 80 received, and its size.
sha_sink() {
	ip netns exec "$B" python3 -c '
import hashlib, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.2", 80)); s.listen(1); c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    d = c.recv(65536)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest())'
}

# A sends BYTES random bytes to B's port 80; prints their size and sha256.
sha_send() {
	ip netns exec "$A" python3 -c '
import hashlib, os, socket, sys
data = os.urandom(int(sys.argv[1]))
s = socket.create_connection(("10.0.0.2", 80)); s.sendall(data); s.close()
print(len(data), hashlib.sha256(data).hexdigest())' "$1"
}

# udp_counter PORT OUT: count datagrams to B's PORT until SIGTERM, then
# write the count to OUT, with those still queued on the socket: its
# buffer holds a whole test's worth.
udp_counter() {
	rm -f "$2.ready"
	ip netns exec "$B" python3 -c '
import signal, socket, sys
n = 0
def done(*_):
    global n
    s.setblocking(False)
    try:
        while s.recv(2048): n += 1
    except BlockingIOError:
        pass
    open(sys.argv[2], "w").write("%d\n" % n); sys.exit(0)
signal.signal(signal.SIGTERM, done)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(("10.0.0.2", int(sys.argv[1])))
open(sys.argv[2] + ".ready", "w").close()
while True:
    s.recv(2048); n += 1' "$1" "$2" &
	slowwait 20 test -e "$2.ready"
}

# udp_counted OUT PID: stop the counter, print what it counted.
udp_counted() {
	kill "$2" && wait "$2" 2>/dev/null
	cat "$1"
}

setup() {
	veth_pair "$A" "$B" || return 1
	# The capture on vb holds one frame per packet, as a link has them.
	ip netns exec "$A" ethtool -K va tso off gso off >/dev/null &&
	flowos_load && insmod "$TEST_KO" &&
	insmod "$PMS/count/flowos_pm_count.ko"
}

test_create() {
	fc "$B" create in proto tcp dport 80 mode inline || return 1
	expect_eq "create: flowctl shows the mode and the overflow policy" \
		"$(fc "$B" show in | head -n 1)" \
		"flow in id 1 prio 0 proto tcp dport 80 dir in qlen 1024 mode inline overflow accept"
	expect_eq "create: and -j" \
		"$(fc "$B" -j show in | python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["mode"], j["overflow"])')" \
		"inline accept"
	expect_refused "refused: an overflow policy for a passive flow" \
		"an overflow policy is for inline flows" \
		fc "$B" create bad proto tcp mode passive overflow drop
	expect_refused "refused: a mode flowctl does not know" \
		"mode is passive or inline" fc "$B" create bad mode offline
	fc "$B" create quiet proto udp dport 9 || return 1
	expect_eq "create: a passive flow says nothing of it in text, passive in -j" \
		"$(fc "$B" show quiet | head -n 1 | grep -c inline) $(fc "$B" -j show quiet | json_eval 'd["mode"]')" \
		"0 passive"
	fc "$B" delete quiet
}

# 20 MiB through two inline flows with count: A's egress, B's ingress.
test_transfer() {
	local pcap=$TMP/transfer.pcap sink got sent dump frames held

	fc "$A" create out proto tcp dport 80 dir out mode inline &&
	fc "$A" attach out count &&
	fc "$B" attach in count || return 1
	ip netns exec "$B" tcpdump -U -n -s 128 -i vb -w "$pcap" 'tcp dst port 80' \
		2>"$pcap.err" &
	dump=$!
	slowwait 20 grep -q 'listening on' "$pcap.err"
	sha_sink >"$TMP/sink" &
	sink=$!
	slowwait 20 listening "$B" 80
	sent=$(sha_send "$BYTES")
	wait "$sink"
	got=$(cat "$TMP/sink")
	expect_eq "transfer: B received A's 20 MiB, sha256 and all" "$got" "$sent"

	slowwait 20 time_waiting "$A" 80
	slowwait 20 flow_settled "$A" out && slowwait 20 flow_settled "$B" in
	kill "$dump"
	wait "$dump" 2>/dev/null
	frames=$(tshark -r "$pcap" 2>/dev/null | wc -l)
	expect_eq "transfer: A's egress count saw every packet vb saw" \
		"$(count_packets "$A" out count)" "$frames"
	expect_eq "transfer: B's ingress count saw every one of them" \
		"$(count_packets "$B" in count)" "$frames"
	# Egress, TCP hands POST_ROUTING GSO packets, which the device cuts
	# into the frames vb sees: fewer skbs held than frames (count saw
	# every frame above).  Ingress, veth makes no GRO packets here.
	held=$(st "$A" out held)
	expect_eq "transfer: A's flow held its packets and re-injected each" \
		"$([ "$held" -gt 0 ] && [ "$held" -le "$frames" ] && echo "$held") $(st "$A" out reinjected) $(st "$A" out lost) $(st "$A" out bypassed)" \
		"$held $held 0 0"
	expect_eq "transfer: B's flow held each and re-injected each" \
		"$(st "$B" in held) $(st "$B" in reinjected) $(st "$B" in lost) $(st "$B" in bypassed)" \
		"$frames $frames 0 0"
	expect_eq "transfer: A's egress kept the order (tshark: no out-of-order segment)" \
		"$(tshark -r "$pcap" -Y tcp.analysis.out_of_order 2>/dev/null | wc -l)" 0
	fc "$A" delete out
	fc "$B" delete in
}

# overflow POLICY: a stalled PM on a 16-unit ring, 200 datagrams at once;
# it takes none until all are sent, however slowly the sender goes.
overflow() {
	local policy=$1 out=$TMP/udp-$1 counter got held bypassed drops

	fc "$B" create udp proto udp dport 6000 qlen 16 mode inline \
		overflow "$policy" &&
	fc "$B" attach udp test_mark delay_us 2000 || return 1
	udp_counter 6000 "$out"
	counter=$!
	echo 1 >"$MARK_STALL"
	expect_eq "overflow $policy: A sent 200 datagrams" \
		"$(udp_send "$A" 10.0.0.2 6000 200 32)" 200
	echo 0 >"$MARK_STALL"
	slowwait 30 flow_settled "$B" udp
	got=$(udp_counted "$out" "$counter")
	held=$(st "$B" udp held)
	bypassed=$(st "$B" udp bypassed)
	drops=$(st "$B" udp overflow_drops)
	expect_eq "overflow $policy: every datagram was held or not, and counted" \
		"$((held + bypassed + drops))" 200
	expect_eq "overflow $policy: every held one was re-injected" \
		"$(st "$B" udp reinjected) $(st "$B" udp lost)" "$held 0"
	if [ "$policy" = accept ]; then
		expect_eq "overflow accept: the ring overflowed, and the rest passed (bypassed > 0)" \
			"$([ "$bypassed" -gt 0 ] && echo yes) $drops" "yes 0"
		expect_eq "overflow accept: B received all 200" "$got" 200
	else
		expect_eq "overflow drop: the ring overflowed (drops > 0), none passed unheld" \
			"$([ "$drops" -gt 0 ] && echo yes) $bypassed" "yes 0"
		expect_eq "overflow drop: B received all but the dropped" \
			"$got" "$((200 - drops))"
	fi
	fc "$B" delete udp
}

test_overflow() {
	overflow accept
	overflow drop
}

# A read-write PM's verdict: test_drop drops every 4th unit it sees.
# On an inline flow those packets never arrive and a later order never
# sees them; on a passive flow the PM cannot drop (the packets have gone
# on), and nothing is missing.
test_pm_drop() {
	local out=$TMP/drop counter got

	fc "$B" create drop proto udp dport 6005 mode inline &&
	fc "$B" attach drop test_drop every 4 &&
	fc "$B" attach drop test_check order 1 || return 1
	expect_eq "threads: an inline flow's run as SCHED_BATCH (ps's class B)" \
		"$(thread_class test_drop) $(thread_class test_check)" "B B"
	udp_counter 6005 "$out"
	counter=$!
	udp_send "$A" 10.0.0.2 6005 100 32 >/dev/null
	slowwait 20 flow_settled "$B" drop
	got=$(udp_counted "$out" "$counter")
	expect_eq "pm drop: B received 75 of 100, the PM dropped 25" \
		"$got $(pm_eval "$B" drop test_drop 'r["drops"], p["dropped"]')" "75 (25, 25)"
	expect_eq "pm drop: the flow counts them, held = reinjected + pm_drops" \
		"$(st "$B" drop held) $(st "$B" drop reinjected) $(st "$B" drop pm_drops) $(st "$B" drop lost)" \
		"100 75 25 0"
	expect_eq "pm drop: a later order never saw the dropped units" \
		"$(pm_eval "$B" drop test_check 'r["seen"]')" 75
	fc "$B" delete drop

	out=$TMP/pdrop
	fc "$B" create pdrop proto udp dport 6005 &&
	fc "$B" attach pdrop test_drop every 4 || return 1
	expect_eq "threads: a passive flow's run as SCHED_OTHER (ps's class TS)" \
		"$(thread_class test_drop)" TS
	udp_counter 6005 "$out"
	counter=$!
	udp_send "$A" 10.0.0.2 6005 100 32 >/dev/null
	slowwait 20 all_processed "$B" pdrop 100
	got=$(udp_counted "$out" "$counter")
	expect_eq "pm drop: a passive flow's packets cannot be dropped" \
		"$got $(pm_eval "$B" pdrop test_drop 'r["seen"], r["drops"], p["dropped"]')" "100 (100, 0, 0)"
	fc "$B" delete pdrop
}

# held NS FLOW N: at least N packets are held now.
held_at_least() {
	local n

	n=$(st "$1" "$2" held_now)
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge "$3" ]
}

# Packets held by a very slow PM when its instance, then its flow, go:
# under overflow accept they pass on unprocessed, and none is lost.
test_detach_delete() {
	local out=$TMP/life counter

	fc "$B" create life proto udp dport 6002 qlen 64 mode inline &&
	fc "$B" attach life test_mark delay_us 100000 || return 1
	udp_counter 6002 "$out"
	counter=$!
	udp_send "$A" 10.0.0.2 6002 40 32 >/dev/null
	slowwait 10 held_at_least "$B" life 30
	fc "$B" detach life test_mark
	expect_eq "detach: the held packets pass on, none lost" \
		"$(st "$B" life held_now) $(st "$B" life lost) $(st "$B" life bypassed)" "0 0 0"
	fc "$B" attach life test_mark delay_us 100000 || return 1
	udp_send "$A" 10.0.0.2 6002 40 32 >/dev/null
	slowwait 10 held_at_least "$B" life 30
	fc "$B" delete life
	expect_eq "detach, then delete while held: B received all 80" \
		"$(udp_counted "$out" "$counter")" 80
	slowwait 10 memory_free
	expect_eq "delete: flowos holds no memory any more" "$(cat $MEM)" 0
}

# A device going away must not wait for a slow PM: its held packets are
# dropped and counted as lost, and the unregistration does not hang.
test_device_gone() {
	local start took held gone

	fc "$B" create dev proto udp dport 6003 qlen 256 mode inline &&
	fc "$B" attach dev test_mark delay_us 100000 || return 1
	udp_send "$A" 10.0.0.2 6003 200 32 >/dev/null
	slowwait 10 held_at_least "$B" dev 150
	start=$SECONDS
	ip -n "$A" link del va
	took=$((SECONDS - start))
	expect_eq "device gone: deleting the veth did not wait for the PM (< 5 s)" \
		"$([ "$took" -lt 5 ] && echo yes)" yes
	fc "$B" detach dev test_mark
	read -r held gone <<<"$(accounted "$B" dev)"
	expect_eq "device gone: every held packet is accounted for" "$gone" "$held"
	expect_eq "device gone: those still held went as lost" \
		"$([ "$(st "$B" dev lost)" -ge 100 ] && echo yes)" yes
	fc "$B" delete dev
}

# A namespace deleted with packets held: nothing leaks, nothing hangs.
test_netns_gone() {
	local c

	veth_pair "$A-2" "$B-2" || return 1
	ip netns exec "$B-2" "$FLOWCTL" create ns proto udp dport 6004 qlen 256 \
		mode inline overflow drop &&
	ip netns exec "$B-2" "$FLOWCTL" attach ns test_mark delay_us 100000 ||
		return 1
	udp_send "$A-2" 10.0.0.2 6004 200 32 >/dev/null
	slowwait 10 held_at_least "$B-2" ns 150
	ip netns del "$A-2"
	ip netns del "$B-2"
	slowwait 30 memory_free
	expect_eq "netns gone: flowos holds no memory any more" "$(cat $MEM)" 0
	c=$(cat /sys/module/flowos_pm_test/refcnt)
	expect_eq "netns gone: its instance is gone (the test PM is unused)" "$c" 0
}

require_root
ktap_print_header
ktap_set_plan 35
setup || ktap_exit_fail_msg "cannot set up"
test_create
test_transfer
test_overflow
test_pm_drop
test_detach_delete
test_device_gone
test_netns_gone
ktap_finished
