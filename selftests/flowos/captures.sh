#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The stats and match PMs on real traffic: the captures shipped in
# selftests/captures (an HTTP fetch, a telnet session typed a character
# per segment, an IPv6 TLS connection; see the README there) are
# replayed into B, and each figure must equal what tshark reads from the
# same file: bytes per protocol and per address, top-k (with a tie),
# heavy hitters, outliers and packet sizes, and the address queries by
# sender and by receiver ("addr src", "addr dst"); pattern counts in tshark's
# reassembled streams, per connection, with a real retransmission; the
# count PM's packets and bytes per key (5-tuple, source, destination
# prefixes, protocol, port), as nfdump -A aggregates, against
# pcap_aggregate.py's reading of tshark's fields.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
LIB=$FLOWOS_REPO/selftests/lib
CAPTURES=$FLOWOS_REPO/selftests/captures
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
PCAP=$TMP/real.pcap
PATTERNS=("GET " HTTP/1.1 hex:0d0a0d0a login fake Password ping)
# Count PM instances: name and key.
KEYS=(k5:5tuple ksrc:src kdst:dst/24/64 kproto:proto ksd:srcdst/16/48,dport
	k5p:proto,src/16/48,dst/24/64,sport,dport)

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rmmod flowos_pm_stats flowos_pm_match flowos_pm_count 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

# pm NAME EXPR: a Python expression over the instance NAME (p, its
# results r) of flow "all".
pm() { pm_eval "$B" all "$1" "$2"; }

# stats_truth EXPR / match_truth EXPR: over tshark's figures (t).
stats_truth() {
	truth_eval "$1" "$TMP/stats.json"
}

match_truth() {
	truth_eval "$1" "$TMP/match.json"
}

# The three captures in one file, addressed from va to vb: only the MAC
# bytes change (pcap_setmac.py), so checksums, lengths and padding are
# replayed as shipped.  The truth is read from the file as shipped, less
# the frames vb's stack drops before any hook: 25 telnet frames whose
# IPv4 total length runs a byte or two past what the capture kept.
make_capture() {
	mergecap -F pcap -a -w "$TMP/merged.pcap" "$CAPTURES"/http.pcap \
		"$CAPTURES"/telnet-raw.pcap "$CAPTURES"/mss_ipv6.pcap &&
	python3 "$LIB/pcap_setmac.py" "$TMP/merged.pcap" "$PCAP" \
		"$(ip -n "$A" -br link show va | awk '{print $3}')" \
		"$(ip -n "$B" -br link show vb | awk '{print $3}')" &&
	python3 "$LIB/pcap_setmac.py" --received "$TMP/merged.pcap" "$TMP/received.pcap" &&
	python3 "$LIB/pcap_stats.py" "$TMP/received.pcap" 3 10 1 >"$TMP/stats.json" &&
	python3 "$LIB/pcap_stats.py" "$TMP/received.pcap" 3 10 1 src >"$TMP/stats-src.json" &&
	python3 "$LIB/pcap_stats.py" "$TMP/received.pcap" 3 10 1 dst >"$TMP/stats-dst.json" &&
	python3 "$LIB/pcap_matches.py" "$TMP/received.pcap" "${PATTERNS[@]}" >"$TMP/match.json"
}

replay() {
	REPLAY_EXPECT=$(tshark -r "$TMP/received.pcap" 2>/dev/null | wc -l) \
		replay_pcap "$A" "$B" all "$PCAP" --pps=300
}

test_stats() {
	local q

	expect_eq "tshark: 312 of the 337 packets reach the hooks, IPv4 and IPv6 (sanity)" \
		"$(stats_truth '[t["packets"], len(t["addrs"]["all"])]')" "[312, 8]"
	expect_eq "stats: packets, bytes = tshark's" \
		"$(pm s '[r["packets"], r["bytes"], r["view_packets"]]')" \
		"$(stats_truth '[t["packets"], t["bytes"], t["packets"]]')"
	expect_eq "stats: bytes per protocol = tshark's" \
		"$(pm s '[[x["proto"], x["bytes"]] for x in r["protocols"]]')" \
		"$(stats_truth 't["protocols"]["all"]')"
	for q in top heavy outlier; do
		expect_eq "stats: ${q}_addrs = tshark's" \
			"$(pm s "[[x['addr'], x['bytes']] for x in r['${q}_addrs']]")" \
			"$(stats_truth "t['addrs']['$q']")"
	done
	expect_eq "stats: packet sizes = tshark's" \
		"$(pm s '[r["size_mean"], r["size_stddev"], [x["packets"] for x in r["sizes"]]]')" \
		"$(stats_truth '[t["size_mean"], t["size_stddev"], t["sizes"]]')"
	# By sender, by receiver: every address query, and the output says so.
	for q in src dst; do
		expect_eq "stats addr $q: the address queries = tshark's" \
			"$(pm "s$q" '[r["addrs_count"]] + [[[x["addr"], x["bytes"]] for x in r[q + "_addrs"]] for q in ("top", "heavy", "outlier")]')" \
			"$(truth_eval "['$q'] + [t['addrs'][q] for q in ('top', 'heavy', 'outlier')]" "$TMP/stats-$q.json")"
	done
}

# Every row of each count instance, its key's fields then packets and
# bytes, against the same aggregation of tshark's fields.
test_count() {
	local k

	for k in "${KEYS[@]}"; do
		expect_eq "count key ${k#*:}: every row = tshark's" \
			"$(pm "${k%%:*}" 'sorted([x[f] for f in ("src", "dst", "proto", "sport", "dport") if f in x] + [x["packets"], x["bytes"]] for x in r["top_subflows"])')" \
			"$(python3 "$LIB/pcap_aggregate.py" "$TMP/received.pcap" "${k#*:}" |
				json_eval 'd')"
	done
}

test_match() {
	expect_eq "match: per pattern = tshark's reassembled streams" \
		"$(pm m 'sorted((x["pattern"], x["matches"]) for x in r["patterns"])')" \
		"$(match_truth 'sorted(t["patterns"].items())')"
	expect_eq "match: per connection = tshark's" \
		"$(pm m 'sorted(("%d-%d" % (x["sport"], x["dport"]), x["pattern"], x["matches"]) for x in r["connections"] if x["proto"] == 6)')" \
		"$(match_truth 'sorted((c, k, n) for c, d in t["conns"].items() for k, n in d.items())')"
	expect_eq "match: bytes scanned and duplicates (a real retransmission)" \
		"$(pm m '[r["bytes_scanned"], r["dup_bytes"]]')" \
		"$(match_truth '[t["bytes"], t["dup_bytes"]]')"
}

require_root
ktap_print_header
ktap_set_plan 20
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
ip netns exec "$A" sysctl -qw net.ipv6.conf.va.disable_ipv6=1
make_capture || ktap_exit_fail_msg "cannot prepare the captures"
expect_eq "the replayed file is the shipped one but for its MAC addresses" \
	"$(python3 "$LIB/pcap_setmac.py" --check "$TMP/merged.pcap" "$PCAP")" \
	"337 frames equal but for their MAC addresses"
flowos_load && insmod "$FLOWOS_BUILD/pms/stats/flowos_pm_stats.ko" &&
	insmod "$FLOWOS_BUILD/pms/match/flowos_pm_match.ko" &&
	insmod "$FLOWOS_BUILD/pms/count/flowos_pm_count.ko" ||
	ktap_exit_fail_msg "cannot load flowos, stats, match and count"
args=()
for p in "${PATTERNS[@]}"; do args+=(pattern "$p"); done
fc create all && fc attach all stats name s window 2s history 120 last 240s \
	k 3 h 10 x 1 && fc attach all match name m "${args[@]}" &&
	fc attach all stats name ssrc window 2s history 120 last 240s k 3 h 10 x 1 addr src &&
	fc attach all stats name sdst window 2s history 120 last 240s k 3 h 10 x 1 addr dst ||
	ktap_exit_fail_msg "cannot attach"
for k in "${KEYS[@]}"; do
	fc attach all count name "${k%%:*}" key "${k#*:}" report 0 ||
		ktap_exit_fail_msg "cannot attach count key ${k#*:}"
done
replay || ktap_exit_fail_msg "cannot replay the captures"

test_stats
test_match
test_count
fc delete all
ktest "unload: rmmod stats, match and count" \
	rmmod flowos_pm_stats flowos_pm_match flowos_pm_count
ktap_finished
