#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcpstats PM on a live TCP transfer through a lossy, slow link.
# A sends BYTES to B through the router R, where flowos watches (and
# tcpdump captures) what enters R; R's link towards B delays every
# packet by 20 ms and loses 1% of them (netem), after the monitoring
# point, so that the monitor sees each segment A sent, lost or not:
#
#   A a0 -- r0 R r1 --[netem delay 20ms loss 1%]-- b0 B
#
# The truths are the physics and the other ends: the handshake RTT the
# monitor sees (SYN to SYN/ACK to ACK) is at least the 20 ms netem adds,
# and tshark's initial RTT on the monitor's capture to 10 ms (a single
# sample, which a stall of the guest stretches for both); the least of
# the running RTT samples of A's data, some of which B acknowledges at
# once, is at least the 20 ms too, and at most that plus the round trip
# measured without netem (BASE) plus SLACK_MS for TCG's scheduling.  The
# segments of A's direction sent again are what A's stack says it sent
# again (TcpRetransSegs, from A's /proc/net/snmp), and what tshark finds
# in the capture; the rest of the record is held to tshark's reading of the
# capture as tcpstats.sh does (selftests/lib/pcap_tcpstats.py).
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
TCPSTATS_KO=$FLOWOS_BUILD/pms/tcpstats/flowos_pm_tcpstats.ko
LIB=$FLOWOS_REPO/selftests/lib
BYTES=$((2 * 1024 * 1024))
DELAY_MS=20
SLACK_MS=10
DUMP=

router_test
fc() { "$FLOWCTL" -n "$R" "$@"; }
cleanup() {
	[ -n "$DUMP" ] && kill "$DUMP" 2>/dev/null
	router_test_cleanup
}
trap cleanup EXIT

# retrans_segs NS: the segments NS's stack has sent again.
retrans_segs() {
	ip netns exec "$1" awk '/^Tcp:/ { if (!n++) split($0, name); else
		for (i = 2; i <= NF; i++) if (name[i] == "RetransSegs") print $i }' \
		/proc/net/snmp
}

# captured: tcpdump has written every packet the flow took.
captured() {
	[ "$(tcpdump -r "$TMP/r.pcap" 2>/dev/null | wc -l)" = \
	  "$(flow_stat "$R" bulk packets_in)" ]
}

active_is() { [ "$(pm_stat "$R" bulk tcpstats conns_active)" = "$1" ]; }

# The JSON value of EXPR over the record of the one connection.
record() {
	python3 -c 'import json, sys
ends = [e["values"] for e in map(json.loads, open(sys.argv[1]))
        if e["event"] == "conn_end"]
c = ends[0] if len(ends) == 1 else None
print(eval(sys.argv[2]) if c else "no single record: %d" % len(ends))' \
		"$TMP/events" "$1"
}

require_root
ktap_print_header
if ! modprobe sch_netem 2>/dev/null; then
	ktap_skip_all "this kernel has no netem (sch_netem)"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 13
router_topology "$A" "$R" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
# One frame per segment, as a link carries them: what TcpRetransSegs
# counts and tshark sees.
ip netns exec "$A" ethtool -K a0 tso off gso off >/dev/null
base=$(ip netns exec "$A" ping -q -c 5 -i 0.2 10.0.2.1 |
	awk -F/ '/^rtt/ { printf "%d", $6 + 0.999 }')
[ -n "$base" ] || ktap_exit_fail_msg "no ping through the router"
ktap_print_msg "round trip without netem: at most $base ms"
tc -n "$R" qdisc add dev r1 root netem delay ${DELAY_MS}ms loss 1% ||
	ktap_exit_fail_msg "cannot add netem"
flowos_load && insmod "$TCPSTATS_KO" ||
	ktap_exit_fail_msg "cannot load flowos and tcpstats"

"$FLOWCTL" -n "$R" -j monitor >"$TMP/events" 2>"$TMP/monitor.err" &
MON=$!
slowwait 20 grep -q listening "$TMP/monitor.err"
ip netns exec "$R" tcpdump -U -B 16384 -n -Q in -i any -w "$TMP/r.pcap" \
	'tcp port 5001' 2>"$TMP/r.pcap.err" &
DUMP=$!
slowwait 20 grep -q 'listening on' "$TMP/r.pcap.err"
fc create bulk proto tcp >/dev/null ||
	ktap_exit_fail_msg "cannot create the flow"
fc attach bulk tcpstats idle 600s ||
	ktap_exit_fail_msg "cannot attach tcpstats"

tcp_sink "$B" 10.0.2.1 5001 >"$TMP/received" &
sink=$!
began_ms=$(date +%s%3N)
slowwait 20 listening "$B" 5001
ip netns exec "$A" python3 -c '
import socket, sys
s = socket.create_connection(("10.0.2.1", 5001)); s.sendall(b"x" * int(sys.argv[1])); s.close()' \
	"$BYTES"
wait "$sink"
expect_eq "B received all $BYTES bytes" "$(cat "$TMP/received")" "$BYTES"
# Both FINs acknowledged: the record is announced.
slowwait 30 grep -q conn_end "$TMP/events"
ended_ms=$(date +%s%3N)
slowwait 20 captured
kill "$DUMP"
wait "$DUMP" 2>/dev/null
DUMP=
fc -j stats bulk >"$TMP/stats.json"

hs=$(record 'c["hs_server_rtt_us"] + c["hs_client_rtt_us"]')
ktap_print_msg "handshake RTT at the monitor: $hs us"
ktest "handshake RTT >= the ${DELAY_MS} ms netem adds" \
	test "$hs" -ge $((DELAY_MS * 1000))
rtt=$(record 'c["c_rtt_min_us"]')
ktap_print_msg "A's data: $(record '"%d RTT samples, min %d mean %d max %d us" % (
c["c_rtt_samples"], c["c_rtt_min_us"], c["c_rtt_mean_us"], c["c_rtt_max_us"])')"
ktest "least RTT of A's data >= ${DELAY_MS} ms" test "$rtt" -ge $((DELAY_MS * 1000))
ktest "least RTT of A's data <= ${DELAY_MS} ms + base + ${SLACK_MS} ms" \
	test "$rtt" -le $(((DELAY_MS + base + SLACK_MS) * 1000))

# TCP timestamps (Linux's default): the first echo of each TSval of A's
# comes back through netem too.
ts_rtt=$(record 'c["c_ts_rtt_min_us"] if c["c_ts_rtt_samples"] else 0')
ktap_print_msg "A's timestamps: $(record '"%d RTT samples, min %d max %d us" % (
c["c_ts_rtt_samples"], c["c_ts_rtt_min_us"], c["c_ts_rtt_max_us"])')"
ktest "least timestamp RTT of A's data within ${DELAY_MS} ms .. + base + ${SLACK_MS} ms" \
	test "$ts_rtt" -ge $((DELAY_MS * 1000)) -a \
	"$ts_rtt" -le $(((DELAY_MS + base + SLACK_MS) * 1000))
ktest "the last RTT sample of A's data >= ${DELAY_MS} ms" \
	test "$(record 'c["c_rtt_last_us"]')" -ge $((DELAY_MS * 1000))
ktest "start and end within the transfer's wall-clock time" \
	test "$(record '"%d" % (c["start_ms"] >= '"$began_ms"' and
c["start_ms"] <= c["end_ms"] <= '"$ended_ms"')')" = 1

sent_again=$(retrans_segs "$A")
ktap_print_msg "A's TcpRetransSegs: $sent_again"
ktest "netem lost some of A's segments (1% of $((BYTES / 1448)))" \
	test "$sent_again" -gt 0
# Nothing reorders between A and the monitor, so each segment of A's
# below the highest seen is one A sent again; tshark's rules, and the
# PM's, call it out-of-order rather than a retransmission when it comes
# within the handshake's RTT of the highest, as a fast retransmission
# from a sender with a window in flight does.
ktap_print_msg "A's direction: $(record '"%d retransmissions, %d out of order" % (
c["c_retrans"], c["c_out_of_order"])')"
expect_eq "A's retransmissions and out-of-order segments = A's TcpRetransSegs" \
	"$(record 'c["c_retrans"] + c["c_out_of_order"]')" "$sent_again"
python3 "$LIB/pcap_tcpstats.py" --live "$TMP/r.pcap" "$TMP/events" \
	"$TMP/stats.json" tcpstats >"$TMP/compare" 2>&1
sed 's/^/# /' "$TMP/compare"
ktest "every figure each way = tshark's on the monitor's capture (resent: both kinds as one)" \
	awk '$1 != "initial_rtt" && $2 != 0 { bad = 1 } END { exit bad || NR < 8 }' \
	"$TMP/compare"
# One sample, where the least of many is above: a stall of the guest
# (the host's other work) may stretch it, for the capture as much.
ktest "handshake RTT = tshark's initial RTT on the monitor's capture, to 10 ms" \
	awk '$1 == "initial_rtt" { seen = 1; bad = $2 != 0 || $3 != 1 }
		END { exit !seen || bad }' "$TMP/compare"

# A connection left open, its one exchange over: flowctl's text view of
# the table of open connections, held to the JSON view.
tcp_sink "$B" 10.0.2.1 5002 >/dev/null &
slowwait 20 listening "$B" 5002
ip netns exec "$A" python3 -c '
import socket, time
s = socket.create_connection(("10.0.2.1", 5002)); s.sendall(b"x" * 100)
time.sleep(600)' &
ktest "the open connection is counted" slowwait 20 active_is 1
slowwait 20 all_processed "$R" bulk "$(flow_stat "$R" bulk packets_in)"
fc -j stats bulk >"$TMP/open.json"
fc stats bulk >"$TMP/open.txt"
sed 's/^/# /' "$TMP/open.txt"
ktest "flowctl stats shows open connections as a table, as -j does" \
	python3 "$LIB/table_vs_json.py" "$TMP/open.txt" "$TMP/open.json" \
	tcpstats conns
ktap_finished
