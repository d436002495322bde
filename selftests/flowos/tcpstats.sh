#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcpstats PM on real packets: mktcp.py's capture of one connection
# per case tshark's TCP analysis names (losses either side of the
# monitoring point, fast and spurious retransmissions, reordering, zero
# windows, keep-alive, a refused SYN, sequence wrap, a reused 4-tuple,
# mid-stream, timestamps, IPv6, segments after the end), replayed at
# its own pace from A to B.  Every connection's record, from its
# "conn_end" event or from the table of those still open (or ended and
# lingering for late segments), is held to tshark's reading of a capture
# taken on B (selftests/lib/pcap_tcpstats.py): frames, payload,
# retransmissions, out-of-order segments, duplicate ACKs and zero
# windows per direction, how it ended, and its handshake RTT.
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
TCPSTATS_KO=$FLOWOS_BUILD/pms/tcpstats/flowos_pm_tcpstats.ko
LIB=$FLOWOS_REPO/selftests/lib
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
PCAP=$TMP/cases.pcap
CAP=$TMP/received.pcap
MONITOR=
DUMP=

cleanup() {
	[ -n "$MONITOR" ] && kill "$MONITOR" 2>/dev/null
	[ -n "$DUMP" ] && kill "$DUMP" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

# check FIGURE: pcap_tcpstats.py's line for FIGURE, less its name.
check() {
	awk -v f="$1" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "$TMP/compare"
}

require_root
ktap_print_header
ktap_set_plan 18
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
ip netns exec "$A" sysctl -qw net.ipv6.conf.va.disable_ipv6=1
# A second between one connection's last packet and the next one's
# first: the replay takes about 30 s.
python3 "$LIB/mktcp.py" "$PCAP" \
	"$(ip -n "$A" -br link show va | awk '{print $3}')" \
	"$(ip -n "$B" -br link show vb | awk '{print $3}')" 1 ||
	ktap_exit_fail_msg "cannot make the capture"
flowos_load && insmod "$TCPSTATS_KO" ||
	ktap_exit_fail_msg "cannot load flowos and tcpstats"

"$FLOWCTL" -n "$B" -j monitor >"$TMP/events" 2>"$TMP/monitor.err" &
MONITOR=$!
slowwait 20 grep -q listening "$TMP/monitor.err"
ip netns exec "$B" tcpdump -U --immediate-mode -n -Q in -i vb -w "$CAP" \
	tcp 2>"$CAP.err" &
DUMP=$!
slowwait 20 grep -q 'listening on' "$CAP.err"
fc create all >/dev/null || ktap_exit_fail_msg "cannot create the flow"
expect_refused "refused: max_conns below 16" "value out of range" \
	fc attach all tcpstats max_conns 8
expect_refused "refused: idle 0s" "value out of range" \
	fc attach all tcpstats idle 0s
expect_refused "refused: a parameter tcpstats does not have" \
	"no such parameter" fc attach all tcpstats window 2s
expect_eq "the refusals attached nothing" \
	"$(fc -j stats all | json_eval 'len(d["pms"])')" 0
ktest "attach tcpstats, every connection reported" \
	fc attach all tcpstats report 0 idle 600s
# At the capture's own pace: the rules judge time (20 ms after duplicate
# ACKs, reordering within the handshake's RTT).
REPLAY_EXPECT=$(tcpdump -nr "$PCAP" 2>/dev/null | wc -l) \
	replay_pcap "$A" "$B" all "$PCAP" --multiplier=1 ||
	ktap_print_msg "the replay did not finish"
sleep 1
kill "$DUMP"
wait "$DUMP" 2>/dev/null
DUMP=
fc -j stats all >"$TMP/stats.json"
fc stats all >"$TMP/stats.txt"
ktest "monitor's and stats' JSON valid against flowctl.schema.json" \
	python3 "$LIB/ndjson_check.py" "$TMP/events" "$TMP/stats.json"
python3 "$LIB/pcap_tcpstats.py" "$CAP" "$TMP/events" "$TMP/stats.json" \
	tcpstats >"$TMP/compare" 2>"$TMP/compare.err"
sed 's/^/# /' "$TMP/compare.err" "$TMP/compare"

# What was sent, as tshark reads the file replayed: a replay that
# delivered less, or nothing, fails here rather than comparing nothing.
streams=$(tshark -r "$PCAP" -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
handshakes=$(tshark -r "$PCAP" -Y tcp.analysis.initial_rtt -T fields \
	-e tcp.stream 2>/dev/null | sort -u | wc -l)
expect_eq "every connection sent is reported once ($streams)" \
	"$(check connections | cut -d' ' -f1-2)" "0 $streams"
for figure in packets payload retrans out_of_order dup_acks zero_windows state; do
	expect_eq "$figure of each connection, each way = tshark's" \
		"$(check "$figure" | cut -d' ' -f1-2)" "0 $streams"
done
expect_eq "handshake RTT of each of the $handshakes = tshark's initial RTT, to 10 ms" \
	"$(check initial_rtt | cut -d' ' -f1-2)" "0 $handshakes"
expect_eq "conns_opened = tshark's connections" \
	"$(pm_stat "$B" all tcpstats conns_opened)" "$streams"
ktest "flowctl stats shows the RTT histogram as a table, as -j does" \
	python3 "$LIB/table_vs_json.py" "$TMP/stats.txt" "$TMP/stats.json" \
	tcpstats rtt_hist
fc delete all
ktest "unload: rmmod tcpstats once detached" rmmod flowos_pm_tcpstats
ktap_finished
