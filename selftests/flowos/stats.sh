#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The stats PM against tshark: a capture of skewed IPv4 and IPv6 traffic
# over seven protocols (selftests/lib/mktraffic.py) is replayed into B,
# and every figure of the view must equal what selftests/lib/pcap_stats.py
# derives from tshark's reading of the same file: bytes per protocol and
# per address, top-k, heavy hitters and outliers of both, and the
# packet-size mean, stddev and histogram.  Then k, h, x and the view T
# change at run time, idle and under traffic, and nothing collected is
# lost; a small address table says it is approximate and still holds
# the heavy hitters; new heavy hitters are announced to "flowctl
# monitor", once each; refused changes change nothing.  A sliding view
# equals tshark's reading of a capture taken at B over exactly the last
# T, read after three bursts with now - T in the gaps between them.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
STATS_KO=$FLOWOS_BUILD/pms/stats/flowos_pm_stats.ko
LIB=$FLOWOS_REPO/selftests/lib
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
PCAP=$TMP/traffic.pcap

cleanup() {
	[ -n "${MONITOR:-}" ] && kill "$MONITOR" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rmmod flowos_pm_stats 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

# pm NAME EXPR: a Python expression over the instance NAME of flow "all"
# (p; its results r).
pm() { pm_eval "$B" all "$1" "$2"; }

# truth K H X EXPR: a Python expression over tshark's figures (t) for
# the queries at K, H, X.  tshark is slow in a guest: once per K H X.
truth() {
	local json=$TMP/truth-$1-$2-$3.json

	[ -s "$json" ] ||
		python3 "$LIB/pcap_stats.py" "$PCAP" "$1" "$2" "$3" >"$json" ||
		return 1
	truth_eval "$4" "$json"
}

# The internal prefixes of instance "ext": the capture's heavy talkers.
INTERNAL=(192.0.2.0/24 2001:db8::/64)

# truth_ext EXPR: as truth, for "ext" (k 3 h 10 x 1, internal prefixes).
truth_ext() {
	local json=$TMP/truth-ext.json

	[ -s "$json" ] ||
		python3 "$LIB/pcap_stats.py" "$PCAP" 3 10 1 both "${INTERNAL[@]}" >"$json" ||
		return 1
	truth_eval "$1" "$json"
}

# Rows of a query table as (name, bytes) pairs, as the truth has them.
PROTO_ROWS='[[x["proto"], x["bytes"]] for x in r[%s]]'
ADDR_ROWS='[[x["addr"], x["bytes"]] for x in r[%s]]'

# replay [TCPREPLAY_OPTION...]: send the capture from A, wait until
# every instance on "all" has processed all of it.
replay() { replay_pcap "$A" "$B" all "$PCAP" "${@:---pps=3000}"; }

# heavy_events: what "flowctl monitor" heard "s" announce as heavy
# hitters, protocols and addresses as strings, sorted.
heavy_events() {
	python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print(sorted(str(e["values"].get("addr", e["values"].get("proto"))) for e in ev
             if e["event"] == "heavy_hitter" and e["name"] == "s"))' "$TMP/events"
}

heavy_events_are() { [ "$(heavy_events)" = "$1" ]; }

# heavy_truth K H X: the heavy protocols and addresses, as heavy_events.
heavy_truth() {
	truth "$1" "$2" "$3" 'sorted(str(n) for n, _ in t["addrs"]["heavy"] + t["protocols"]["heavy"])'
}

# expect_heavy_events DESCRIPTION H: the events equal the heavy hitters
# at H, each announced once, once the windows turned.
expect_heavy_events() {
	local want

	want=$(heavy_truth 3 "$2" 1)
	slowwait 15 heavy_events_are "$want"
	expect_eq "$1" "$(heavy_events)" "$want"
}

# queries_equal K H X: every query table of "s" = the truth at K, H, X.
queries_equal() {
	local k=$1 h=$2 x=$3 q what

	for what in protocols addrs; do
		for q in top heavy outlier; do
			local rows=$PROTO_ROWS table=${q}_protocols

			[ $what = addrs ] && rows=$ADDR_ROWS table=${q}_addrs
			# shellcheck disable=SC2059
			expect_eq "k $k h $h x $x: $table = tshark's" \
				"$(pm s "$(printf "$rows" "'$table'")")" \
				"$(truth "$k" "$h" "$x" "t['$what']['$q']")"
		done
	done
}

# The view is as long as it can be (256 windows of 2 s): a debug kernel
# takes minutes from the replay to the last check.
test_vs_tshark() {
	local p internal=()

	for p in "${INTERNAL[@]}"; do internal+=(internal "$p"); done
	# h 100: no heavy hitter until the whole capture is in (see below).
	fc create all && fc attach all stats name s window 2s history 256 \
		last 512s k 3 h 100 x 1 &&
	fc attach all stats name small max_addrs 16 window 2s history 256 \
		last 512s &&
	fc attach all stats name ext window 2s history 256 last 512s k 3 \
		h 10 x 1 "${internal[@]}" &&
	replay && fc set all s h 10 >/dev/null || return 1
	expect_eq "packets and bytes = tshark's, all in the view" \
		"$(pm s '[r["packets"], r["bytes"], r["view_packets"], r["view_bytes"]]')" \
		"$(truth 3 10 1 '[t["packets"], t["bytes"]] * 2')"
	expect_eq "no ring drop, no unit too late" \
		"$(fc -j show all | json_eval 'd["stats"]["ring_drops"]'),$(pm s 'r["late"]')" \
		"0,0"
	expect_eq "bytes per protocol = tshark's" \
		"$(pm s "$(printf "$PROTO_ROWS" "'protocols'")")" \
		"$(truth 3 10 1 't["protocols"]["all"]')"
	queries_equal 3 10 1
	expect_eq "mean and stddev of protocols and of addresses = tshark's" \
		"$(pm s '[r["proto_mean"], r["proto_stddev"], r["addr_mean"], r["addr_stddev"]]')" \
		"$(truth 3 10 1 '[t["protocols"]["mean"], t["protocols"]["stddev"], t["addrs"]["mean"], t["addrs"]["stddev"]]')"
	expect_eq "packet size mean, stddev and histogram = tshark's" \
		"$(pm s '[r["size_mean"], r["size_stddev"], [x["packets"] for x in r["sizes"]]]')" \
		"$(truth 3 10 1 '[t["size_mean"], t["size_stddev"], t["sizes"]]')"
	expect_eq "addresses: all tracked, exact, not approximate" \
		"$(pm s '[r["addrs"], r["addr_evictions"], r["approximate"]]')" \
		"$(truth 3 10 1 '[len(t["addrs"]["all"]), 0, 0]')"
	expect_eq "windows: their packets add up to the capture" \
		"$(pm s 'sum(w["packets"] for w in r["history"])')" \
		"$(truth 3 10 1 't["packets"]')"
	expect_eq "16 addresses for 94: approximate, evictions counted" \
		"$(pm small '[r["addrs"], r["approximate"], r["addr_evictions"] > 0]')" \
		"[16, 1, True]"
	expect_eq "16 addresses for 94: the four heavy hitters are on top" \
		"$(pm small 'sorted(x["addr"] for x in r["top_addrs"][:4])')" \
		"$(truth 3 10 1 'sorted(a for a, _ in t["addrs"]["heavy"])')"
	expect_eq "16 addresses for 94: protocols still exact" \
		"$(pm small "$(printf "$PROTO_ROWS" "'protocols'")")" \
		"$(truth 3 10 1 't["protocols"]["all"]')"
	expect_heavy_events "monitor: each heavy hitter at h 10 announced once" 10
	expect_eq "internal: external bytes and bytes per protocol = tshark's packets with one end inside" \
		"$(pm ext '[r["queries_count"], r["view_bytes"], r["external_bytes"], [[x["proto"], x["bytes"]] for x in r["protocols"]]]')" \
		"$(truth_ext '["external", t["bytes"], t["external_bytes"], t["protocols"]["all"]]')"
	expect_eq "internal: heavy hitters and outliers, of the external bytes = tshark's" \
		"$(pm ext '[[[x.get("proto", x.get("addr")), x["bytes"]] for x in r[q]] for q in ("heavy_protocols", "heavy_addrs", "outlier_protocols", "outlier_addrs")] + [r["addr_mean"], r["addr_stddev"]]')" \
		"$(truth_ext '[t["protocols"]["heavy"], t["addrs"]["heavy"], t["protocols"]["outlier"], t["addrs"]["outlier"], t["addrs"]["mean"], t["addrs"]["stddev"]]')"
}

test_set_idle() {
	fc set all s k 5 h 5 x 0.5 >/dev/null || return 1
	expect_eq "set: the new values show, 0.5 as written" \
		"$(pm s '[p["params"][k] for k in ("k", "h", "x")]')" "['5', '5', '0.5']"
	queries_equal 5 5 0.5
	slowwait 10 bash -c "[ \$(grep -c '\"event\":\"set\"' $TMP/events) -ge 2 ]"
	expect_eq "monitor: both changes (h 10, then this one) are announced" \
		"$(python3 -c 'import json, sys; print([(e["event"], e["name"], e["type"]) for e in map(json.loads, open(sys.argv[1])) if e["event"] == "set"])' "$TMP/events")" \
		"[('set', 's', 'stats'), ('set', 's', 'stats')]"
	expect_heavy_events "monitor: h 5 announces only the new heavy hitters" 5
	kill "$MONITOR"
	MONITOR=
}

# windows_past N: instance s has closed N windows or more.
windows_past() {
	[ "$(pm_stat "$B" all s windows)" -ge "$1" ]
}

# T shrinks to one window, past the traffic, then grows back over it.
test_set_view() {
	local end

	end=$(pm s 'max(w["start_ms"] for w in r["history"] if w["packets"]) // 2000')
	slowwait 10 windows_past $((end + 2))
	fc set all s last 1s >/dev/null
	expect_eq "last 1s, after the traffic: an empty view" \
		"$(pm s '[r["view_packets"], r["top_addrs"], r["packets"] > 0]')" \
		"[0, [], True]"
	fc set all s last 512s >/dev/null
	expect_eq "last 512s again: the windows kept come back into the view" \
		"$(pm s '[r["view_packets"], r["view_bytes"]]')" \
		"$(truth 5 5 0.5 '[t["packets"], t["bytes"]]')"
}

# Change k and T many times while the capture is replayed.
test_set_under_traffic() {
	local i

	fc delete all && fc create all &&
	fc attach all stats name s window 2s history 120 last 240s || return 1
	replay --pps=400 &
	for i in 1 2 3 4 5 6; do
		fc set all s k $((i + 1)) last $((200 + i))s >/dev/null || break
		sleep 0.3
	done
	fc set all s k 3 last 240s >/dev/null
	wait $!
	expect_eq "set under traffic: every packet counted, in the view" \
		"$(pm s '[r["packets"], r["view_packets"], r["bytes"]]')" \
		"$(truth 3 10 2 '[t["packets"], t["packets"], t["bytes"]]')"
	expect_eq "set under traffic: top 3 addresses = tshark's" \
		"$(pm s "$(printf "$ADDR_ROWS" "'top_addrs'")")" \
		"$(truth 3 10 2 't["addrs"]["top"]')"
}

# refused_set ARGS... -- MESSAGE: "set" refused with MESSAGE.
refused_set() {
	local args=()

	while [ "$1" != -- ]; do args+=("$1"); shift; done
	expect_refused "set refused: ${args[*]}" "$2" fc set all "${args[@]}"
}

test_refused() {
	local before

	before=$(pm s 'p["params"]')
	refused_set s window 2s -- "cannot change while the PM runs"
	refused_set s k 4 last 513s -- "last is longer than history x window"
	refused_set s h 101 -- "out of range"
	refused_set s x 1.2345 -- "not valid"
	refused_set s nosuch 1 -- "no such parameter"
	refused_set nosuch k 1 -- "no PM instance of this name"
	expect_eq "refused sets changed no parameter" "$(pm s 'p["params"]')" \
		"$before"
	expect_refused "attach refused: addr that is not src, dst or both" \
		"addr: src, dst or both" fc attach all stats name s2 addr sender
	expect_refused "attach refused: addr given twice" \
		"given more times than the PM takes" \
		fc attach all stats name s2 addr src addr dst
	expect_refused "attach refused: an internal prefix with host bits set" \
		"internal: host bits set after the prefix length" \
		fc attach all stats name s2 internal 10.0.0.0/8 internal 192.0.2.1/24
	expect_refused "attach refused: an internal prefix longer than the address" \
		"internal: LEN must be 0 to 32 (IPv4) or 128 (IPv6)" \
		fc attach all stats name s2 internal 10.0.0.0/33
	expect_refused "attach refused: an internal prefix that is not one" \
		"internal: ADDR/LEN" fc attach all stats name s2 internal 10.0.0.0
}

# The sliding view: T = 12 s of windows of 2 s, over three bursts of
# the capture about 3 s apart, the first in the instance's first window.
# Each read is timed so that now - T falls in a gap, the first inside
# the first burst's window: a view of whole windows would count that
# burst.  Each read comes before the next burst, so that a slow guest
# (a debug kernel takes seconds a burst) never reads late.  The reads
# must equal tshark's figures for the
# packets captured after now - T (pcap_stats.py --after).  The kernel's
# and the capture's clocks agree to microseconds and the gaps are
# seconds wide; each read checks that no packet lies near its cut.
SLIDE_T=12
SLIDE_CAP=$TMP/slide.pcap

# sl N EXPR: a Python expression over instance "sl" in read N.
sl() {
	python3 -c '
import json, sys
p = [p for p in json.load(open(sys.argv[1]))["pms"] if p["name"] == "sl"][0]
r = p["results"]
print(eval(sys.argv[2]))' "$TMP/read-$1.json" "$2"
}

# gap_cut N: a time in the N-th pause of over a second between packets
# captured so far (1: between the first two bursts), 0.3 s after it
# begins.  Early in the pause: the read at that time + T may come as
# late as the rest of the pause (about 2.7 s) and still cut in it, on a
# host so loaded that the guest's processes wait seconds for a CPU; and
# the burst after the pause has T - 3 s to arrive before the read is
# due (a debug kernel replays a burst in several seconds).
gap_cut() {
	tcpdump -tt -nr "$SLIDE_CAP" 2>/dev/null | python3 -c '
import sys
from fractions import Fraction
t = [Fraction(l.split()[0]) for l in sys.stdin]
gaps = [(a, b) for a, b in zip(t, t[1:]) if b - a > 1]
a, b = gaps[int(sys.argv[1]) - 1]
print(float(a + Fraction(3, 10)))' "$1"
}

# slide_read N AT: read "sl" at AT + T (seconds since the epoch), into
# read-N.json, and the times the read began and ended into read-N.t.
slide_read() {
	python3 -c 'import sys, time; time.sleep(max(0, float(sys.argv[1]) + float(sys.argv[2]) - time.time()))' \
		"$2" "$SLIDE_T"
	date +%s.%N >"$TMP/read-$1.t"
	fc -j stats all >"$TMP/read-$1.json"
	date +%s.%N >>"$TMP/read-$1.t"
}

# slide_cut N [PLUS]: when read N began, less T, plus PLUS seconds.
slide_cut() {
	python3 -c '
import sys
from fractions import Fraction
t = Fraction(open(sys.argv[1]).readline()) - int(sys.argv[2]) + Fraction(sys.argv[3])
print("%.9f" % t)' "$TMP/read-$1.t" "$SLIDE_T" "${2:-0}"
}

# packets_near N: packets captured from 10 ms before read N's now - T
# to 10 ms after, now taken when the read began and when it ended.
packets_near() {
	local from to

	from=$(slide_cut "$1" -0.01)
	to=$(python3 -c '
import sys
from fractions import Fraction
print("%.9f" % (Fraction(open(sys.argv[1]).read().split()[1]) - int(sys.argv[2]) + Fraction("0.01")))' \
		"$TMP/read-$1.t" "$SLIDE_T")
	tshark -r "$SLIDE_CAP" -Y "frame.time_epoch >= $from && frame.time_epoch <= $to" \
		2>/dev/null | wc -l
}

# slide_truth N EXPR: as truth, over the packets after read N's cut and
# up to its end (later bursts come after the read).
slide_truth() {
	local json=$TMP/slide-truth-$1.json

	[ -s "$json" ] ||
		python3 "$LIB/pcap_stats.py" --after "$(slide_cut "$1")" \
			--until "$(sed -n 2p "$TMP/read-$1.t")" \
			"$SLIDE_CAP" 3 10 1 >"$json" || return 1
	truth_eval "$2" "$json"
}

QUERY_TABLES='[[[x.get("proto", x.get("addr")), x["bytes"]] for x in r[q + "_" + w]] for w in ("protocols", "addrs") for q in ("top", "heavy", "outlier")]'
TRUTH_TABLES='[t[w][q] for w in ("protocols", "addrs") for q in ("top", "heavy", "outlier")]'

# slide_check N WHAT: read N against tshark; WHAT names what it holds.
slide_check() {
	expect_eq "sliding read $1 ($2): no packet within 10 ms of now - T" \
		"$(packets_near "$1")" 0
	expect_eq "sliding read $1: exactly the last 12 s, not approximate" \
		"$(sl "$1" '[r["view"], r["view_ms"], r["approximate"], r["view_over_ms"]]')" \
		"['sliding', 12000, 0, 0]"
	expect_eq "sliding read $1: packets, bytes and bytes per protocol = tshark's after now - T" \
		"$(sl "$1" '[r["view_packets"], r["view_bytes"], [[x["proto"], x["bytes"]] for x in r["protocols"]]]')" \
		"$(slide_truth "$1" '[t["packets"], t["bytes"], t["protocols"]["all"]]')"
	expect_eq "sliding read $1: top, heavy and outlier protocols and addresses = tshark's" \
		"$(sl "$1" "$QUERY_TABLES")" "$(slide_truth "$1" "$TRUTH_TABLES")"
	expect_eq "sliding read $1: packet sizes and the spread of addresses = tshark's" \
		"$(sl "$1" '[r["size_mean"], r["size_stddev"], [x["packets"] for x in r["sizes"]], r["addr_mean"], r["addr_stddev"]]')" \
		"$(slide_truth "$1" '[t["size_mean"], t["size_stddev"], t["sizes"], t["addrs"]["mean"], t["addrs"]["stddev"]]')"
}

test_sliding() {
	local n i sent=0 dump

	n=$(tcpdump -nr "$PCAP" 2>/dev/null | wc -l)
	for i in 0 1 2; do
		editcap -r "$PCAP" "$TMP/part$i.pcap" \
			"$((i * n / 3 + 1))-$(((i + 1) * n / 3))" || return 1
	done
	# What B receives, as flow "all" (dir in) sees it: not B's own
	# IPv6 chatter (router solicitations) going out.
	ip netns exec "$B" tcpdump -U -n -Q in -i vb -w "$SLIDE_CAP" \
		2>"$SLIDE_CAP.err" &
	dump=$!
	slowwait 20 grep -q 'listening on' "$SLIDE_CAP.err"
	fc attach all stats name sl window 2s history 8 last 12s view sliding \
		k 3 h 10 x 1 || return 1
	for i in 0 1 2; do
		[ "$i" = 0 ] || sleep 3
		sent=$((sent + n / 3))
		REPLAY_EXPECT=$sent replay_pcap "$A" "$B" all "$TMP/part$i.pcap" ||
			return 1
		[ "$i" = 0 ] || slide_read "$i" "$(gap_cut "$i")"
	done
	slide_read 3 "$(tcpdump -tt -nr "$SLIDE_CAP" 2>/dev/null | tail -1 | cut -d' ' -f1)"
	kill "$dump"
	wait "$dump" 2>/dev/null
	slide_check 1 "the second burst"
	slide_check 2 "the third burst"
	expect_eq "sliding read 3, T after the last packet: an empty view, every packet counted" \
		"$(sl 3 '[r["view_packets"], r["top_addrs"], r["packets"]]')" \
		"[0, [], $(tshark -r "$SLIDE_CAP" -Y 'ip || ipv6' 2>/dev/null | wc -l)]"
	refused_set sl last 10s -- "view sliding: last cannot change"
	expect_refused "attach refused: a sliding T that is not whole windows" \
		"view sliding: last must be a whole number of windows" \
		fc attach all stats name s2 window 2s last 5s view sliding
	expect_refused "attach refused: a sliding view with no window kept before it" \
		"view sliding: history must be more than last / window" \
		fc attach all stats name s2 window 2s last 8s history 4 view sliding
}

require_root
ktap_print_header
ktap_set_plan 59
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
# A's own IPv6 chatter (MLD) would be counted with the capture.
ip netns exec "$A" sysctl -qw net.ipv6.conf.va.disable_ipv6=1
python3 "$LIB/mktraffic.py" "$PCAP" \
	"$(ip -n "$A" -br link show va | awk '{print $3}')" \
	"$(ip -n "$B" -br link show vb | awk '{print $3}')" ||
	ktap_exit_fail_msg "cannot make the capture"
flowos_load && insmod "$STATS_KO" || ktap_exit_fail_msg "cannot load flowos and stats"

# Events from the start: the heavy hitters are announced as they come.
"$FLOWCTL" -n "$B" -j monitor >"$TMP/events" 2>"$TMP/monitor.err" &
MONITOR=$!
slowwait 20 grep -q listening "$TMP/monitor.err"
test_vs_tshark
test_set_idle
test_set_view
test_set_under_traffic
test_refused
test_sliding
fc delete all
ktest "unload: rmmod stats once detached" rmmod flowos_pm_stats
ktap_finished
