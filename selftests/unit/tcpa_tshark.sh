#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcpstats PM's TCP analysis (pms/tcpstats/tcpa.c, run natively by
# build/unit/tcpa_pcap) against tshark's, frame by frame, on the real
# captures of selftests/captures and on one of every case tshark's TCP
# analysis names (selftests/lib/mktcp.py: losses before and after the
# monitoring point, reordering, a zero window and its probe, keep-alive,
# a refused SYN, sequence wrap, a reused 4-tuple, a connection seen
# mid-stream, an ACK of unsent data, timestamps, IPv6).  tshark is the
# truth (selftests/lib/tcpa_vs_tshark.py): its connections, its
# tcp.analysis flags, initial_rtt and ack_rtt, and the RFC 7323 meaning
# of the timestamps it dissects.
. "$FLOWOS_REPO/selftests/lib.sh"

TCPA_PCAP=$FLOWOS_REPO/build/unit/tcpa_pcap
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# line FILE CHECK: the comparator's line for CHECK, less its name.
line() {
	awk -v c="$2" '$1 == c { $1 = ""; sub(/^ /, ""); print }' "$1"
}

# compare NAME CAPTURE: the checks of one capture.
compare() {
	local name=$1 cap=$2 out=$TMP/$1.cmp frames

	if ! "$TCPA_PCAP" "$cap" >"$TMP/$name.ours" ||
	   ! python3 "$FLOWOS_REPO/selftests/lib/tcpa_vs_tshark.py" "$cap" \
		"$TMP/$name.ours" >"$out"; then
		: >"$out"
	fi
	frames=$(tshark -r "$cap" -Y tcp 2>/dev/null | wc -l)
	expect_eq "$name: every TCP frame in tshark's connection ($frames)" \
		"$(line "$out" frames | cut -d' ' -f1-2)/$(line "$out" streams | cut -d' ' -f1-2)" \
		"0 $frames/0 $frames"
	expect_eq "$name: each frame's verdicts = tshark's tcp.analysis flags" \
		"$(line "$out" verdicts)" "0 $frames"
	expect_eq "$name: each RTT sample = tshark's ack_rtt of its ACK" \
		"$(line "$out" ack_rtt | cut -d' ' -f1)" 0
	expect_eq "$name: each timestamp sample = the first echo of its TSval" \
		"$(line "$out" ts_rtt | cut -d' ' -f1)" 0
	expect_eq "$name: handshake halves add up to tshark's initial RTT" \
		"$(line "$out" initial_rtt | cut -d' ' -f1)" 0
}

ktap_print_header
ktap_set_plan 22

python3 "$FLOWOS_REPO/selftests/lib/mktcp.py" "$TMP/cases.pcap" ||
	ktap_exit_fail_msg "cannot make the capture"
compare cases "$TMP/cases.pcap"
expect_eq "cases: the capture holds every kind tshark's TCP analysis names" \
	"$(line "$TMP/cases.cmp" kinds | tr ',' '\n' | wc -l)" 13
# Samples were taken, not skipped: RTT on most ACKs, timestamps on both
# timestamped connections.
expect_eq "cases: RTT samples from data and from timestamps were taken" \
	"$(line "$TMP/cases.cmp" samples | awk '{ print ($1 >= 60 && $2 >= 8) }')" 1
for cap in http mss_ipv6 telnet-raw; do
	compare "$cap" "$FLOWOS_REPO/selftests/captures/$cap.pcap"
done
ktap_finished
