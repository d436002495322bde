#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The match PM over the TCP payload stream, against tshark: a capture
# made to exercise reassembly (patterns split across segments and across
# the 2^32 wrap, a retransmission, an overlap, segments out of order, a
# server side, RST, an open connection, UDP datagrams, and an open
# connection with a segment missing from the capture that the server
# acknowledges) is replayed into B, and every count the PM reports must
# equal what tshark's own reassembly of the same file gives: per
# pattern, per connection, bytes scanned, duplicate and missing bytes.
# The connection with the hole is counted in full while still open: the
# server's ACK, not the idle timeout, ends the wait for the hole.  Then 200 patterns from a file, case
# folding, and parameters that must be refused without changing a thing.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
MATCH_KO=$FLOWOS_BUILD/pms/match/flowos_pm_match.ko
LIB=$FLOWOS_REPO/selftests/lib
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
PATTERNS=(secret "GET " hex:0d0a0d0a HTTP/1.1 aa wrap)

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rmmod flowos_pm_match 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

# pm EXPR: a Python expression over the instance "m" of flow "all" (p).
pm() { pm_eval "$B" all m "$1"; }

# truth EXPR: a Python expression over tshark's numbers (t).
truth() {
	truth_eval "$1" "$TMP/truth.json"
}

# replay: send the capture from A and wait until "m" has seen all of it.
replay() { replay_pcap "$A" "$B" all "$TMP/streams.pcap"; }

# attach_m ARGS...: a fresh flow "all" with the instance "m".
attach_m() {
	fc delete all 2>/dev/null
	fc create all ip && fc attach all match name m "$@"
}

test_vs_tshark() {
	local args=() p

	for p in "${PATTERNS[@]}"; do args+=(pattern "$p"); done
	# A busy or debug kernel may take a minute over the replay: the
	# open connection must not reach the default idle timeout.
	attach_m idle 1h "${args[@]}" && replay || return 1
	expect_eq "tshark: the capture's patterns (sanity)" \
		"$(truth 't["patterns"]["secret"]')" 11
	expect_eq "tshark: the bytes missing from the capture are those left out" \
		"$(truth 't["gap_bytes"]')" "$MISSING"
	expect_eq "per pattern: matches = tshark's reassembled streams" \
		"$(pm 'sorted((r["pattern"], r["matches"]) for r in p["results"]["patterns"])')" \
		"$(truth 'sorted(t["patterns"].items())')"
	expect_eq "per connection: matches = tshark's, stream by stream" \
		"$(pm 'sorted(("%d-%d" % (r["sport"], r["dport"]), r["pattern"], r["matches"]) for r in p["results"]["connections"] if r["proto"] == 6)')" \
		"$(truth 'sorted((c, k, n) for c, d in t["conns"].items() for k, n in d.items())')"
	expect_eq "bytes scanned = tshark's reassembled TCP + UDP payload" \
		"$(pm 'p["results"]["bytes_scanned"]')" "$(truth 't["bytes"]')"
	expect_eq "duplicate bytes = tshark's TCP payload - reassembled" \
		"$(pm 'p["results"]["dup_bytes"]')" "$(truth 't["dup_bytes"]')"
	expect_eq "gap: the missing segment's bytes, no ring drop" \
		"$(pm 'p["results"]["gap_bytes"]'),$(fc -j show all | json_eval 'd["stats"]["ring_drops"]')" \
		"$MISSING,0"
	expect_eq "the acknowledged hole skipped while open: matches = tshark's" \
		"$(pm 'sorted((r["state"], r["pattern"], r["matches"]) for r in p["results"]["connections"] if r["sport"] == 40005)')" \
		"$(truth 'sorted(("open", k, n) for k, n in t["conns"]["40005-80"].items())')"
	expect_eq "connections: 2 finished, 1 reset, 2 TCP + 1 UDP open" \
		"$(pm '[p["results"][k] for k in ("conns_finished", "conns_reset", "conns_active", "datagrams")]')" \
		"[2, 1, 3, 4]"
	expect_eq "the out-of-order segment was queued" \
		"$(pm 'p["results"]["ooo_segments"] > 0')" True
	expect_eq "ended and open connections are told apart" \
		"$(pm 'sorted({(r["sport"], r["state"]) for r in p["results"]["connections"] if r["proto"] == 6})')" \
		"[(40001, 'ended'), (40002, 'ended'), (40003, 'ended'), (40004, 'open'), (40005, 'open')]"
	expect_eq "-j: the pattern parameter is a list, in order" \
		"$(pm 'p["params"]["pattern"]')" \
		"$(python3 -c 'import sys; print(sys.argv[1:])' "${PATTERNS[@]}")"
}

# 200 patterns from a file: the 6 above and 194 found nowhere.
test_many_patterns() {
	printf '%s\n' "# patterns, one per line" "${PATTERNS[@]}" >"$TMP/pats"
	seq -f 'absent-%g' 194 >>"$TMP/pats"
	attach_m pattern @"$TMP/pats" && replay || return 1
	expect_eq "200 patterns from a file: every count = tshark's" \
		"$(pm 'sorted((r["pattern"], r["matches"]) for r in p["results"]["patterns"])')" \
		"$(python3 - "$TMP/streams.pcap" "$TMP/pats" "$LIB" <<'PY'
import json, subprocess, sys
pats = [l.rstrip("\n") for l in open(sys.argv[2]) if l.strip() and l[0] != "#"]
t = json.loads(subprocess.check_output(
    ["python3", sys.argv[3] + "/pcap_matches.py", sys.argv[1], *pats]))
print(sorted(t["patterns"].items()))
PY
)"
}

test_nocase() {
	attach_m pattern SECRET pattern get nocase 1 && replay || return 1
	expect_eq "nocase: SECRET and get count as tshark's secret and GET" \
		"$(pm '[r["matches"] for r in p["results"]["patterns"]]')" \
		"[$(truth 't["patterns"]["secret"]'), $(truth 't["patterns"]["GET "]')]"
}

# refused ARGS... -- MESSAGE: attach refused with MESSAGE, nothing changed.
refused() {
	local args=()

	while [ "$1" != -- ]; do args+=("$1"); shift; done
	expect_refused "refused: ${args[*]:0:4}" "$2" \
		fc attach all match name bad "${args[@]}"
}

test_refused() {
	fc create all ip 2>/dev/null
	refused -- "given too few times"
	refused pattern hex:4g -- "bad hex"
	refused pattern hex:414 -- "bad hex"
	refused pattern "$(printf 'x%.0s' $(seq 300))" -- "policy"
	refused pattern a nocase 2 -- "out of range"
	refused pattern GET pattern hex:4g pattern POST -- \
		"parameter 'pattern': not a pattern: bad hex (hex: wants pairs of hex digits) (value 'hex:4g')"
	if [ "$(uname -r | cut -d. -f1-2)" = 6.1 ]; then
		refused nocase 1 -- "given too few times"
	else
		refused nocase 1 -- "parameter 'pattern' is missing or given too few times (at least 1)"
	fi
	expect_refused "refused: a PM type that is a path, before any module is asked for" \
		"a PM type is letters, digits" \
		ip netns exec "$B" "$FLOWOS_NL" attach all ../../tmp/x name fine
	ktest "name and order may follow the parameters" \
		fc attach all match pattern GET nocase 1 name late order 2
	expect_eq "and are the instance's" \
		"$(fc -j stats all | python3 -c 'import json,sys; print([(p["name"], p["order"]) for p in json.load(sys.stdin)["pms"]])')" \
		"[('late', 2)]"
	fc detach all late
	expect_eq "refused attaches left no instance" \
		"$(fc -j stats all | python3 -c 'import json,sys; print([p["name"] for p in json.load(sys.stdin)["pms"]])')" \
		"[]"
}

require_root
ktap_print_header
ktap_set_plan 26
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
python3 "$LIB/mkstreams.py" "$TMP/streams.pcap" \
	"$(ip -n "$A" -br link show va | awk '{print $3}')" \
	"$(ip -n "$B" -br link show vb | awk '{print $3}')" &&
python3 "$LIB/pcap_matches.py" "$TMP/streams.pcap" "${PATTERNS[@]}" \
	>"$TMP/truth.json" || ktap_exit_fail_msg "cannot make the capture"
# The bytes the generator left out of the capture.
MISSING=$(cd "$LIB" && python3 -c 'import mkstreams; print(sum(m[3] for m in mkstreams.MISSING))')
flowos_load && insmod "$MATCH_KO" || ktap_exit_fail_msg "cannot load flowos and match"

test_vs_tshark
test_many_patterns
test_nocase
fc delete all
test_refused
fc delete all
ktest "unload: rmmod match once detached" rmmod flowos_pm_match
ktap_finished
