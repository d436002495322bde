#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Results of any size are read whole: a match instance with 1024
# patterns, a count instance showing 1500 sub-flows ("report 0") and a
# stats instance with 256 windows of history each take many netlink
# messages, and every row of them is checked, through flowctl and
# through the selftests' own libnl client, against what was sent.  A
# dump the kernel stops half way (the cap of reads in progress,
# results_limit_kb, refuses the results of one instance) makes both
# clients fail and say why, never exit 0 on a partial answer.
#
# Namespaces A and B joined by veth (selftests/lib.sh); flows in B.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
PMS=$FLOWOS_BUILD/pms
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
LIMIT=/sys/module/flowos/parameters/results_limit_kb

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rmmod flowos_pm_match flowos_pm_count flowos_pm_stats 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { ip netns exec "$B" "$FLOWCTL" "$@"; }
nl_b() { ip netns exec "$B" "$FLOWOS_NL" "$@"; }

# compare WHAT: the JSON of "flowctl -j stats" ($TMP/WHAT.json) and the
# libnl client's lines ($TMP/WHAT.nl) against the truth ($TMP/WHAT.truth,
# from the sender), by python below; prints "ok" or what differs.
compare() {
	python3 - "$1" "$TMP" <<'PY'
import json, sys
what, tmp = sys.argv[1], sys.argv[2]
truth = json.load(open(f"{tmp}/{what}.truth"))
pm = json.load(open(f"{tmp}/{what}.json"))["pms"][0]
lines = open(f"{tmp}/{what}.nl").read().splitlines()

def nl_rows(table):
	rows = []
	for l in lines:
		if l.startswith(f"row {table} "):
			rows.append(dict(kv.split("=", 1) for kv in l.split()[2:]))
	return rows

problems = []
def check(name, got, want):
	if got != want:
		problems.append(f"{name}: got {str(got)[:200]} want {str(want)[:200]}")

if what == "match":
	pats = truth["patterns"]
	check("flowctl params", pm["params"]["pattern"], pats)
	check("flowctl rows", [(r["pattern"], r["matches"]) for r in pm["results"]["patterns"]],
	      [(p, truth["counts"][i]) for i, p in enumerate(pats)])
	check("libnl rows", [(r["pattern"], int(r["matches"])) for r in nl_rows("patterns")],
	      [(p, truth["counts"][i]) for i, p in enumerate(pats)])
	check("flowctl total", pm["results"]["matches"], sum(truth["counts"]))
elif what == "count":
	want = sorted((int(k), v[0], v[1]) for k, v in truth.items())
	check("flowctl rows", sorted((r["sport"], r["packets"], r["bytes"])
				     for r in pm["results"]["top_subflows"]), want)
	check("libnl rows", sorted((int(r["sport"]), int(r["packets"]), int(r["bytes"]))
				   for r in nl_rows("top_subflows")), want)
	check("flowctl subflows", pm["results"]["subflows"], len(want))
elif what == "stats":
	hist = pm["results"]["history"]
	check("flowctl history rows", len(hist), truth["history"])
	check("libnl history rows", len(nl_rows("history")), truth["history"])
	starts = [r["start_ms"] for r in hist]
	check("windows one after another, newest first",
	      [a - b for a, b in zip(starts, starts[1:])], [truth["window_ms"]] * (len(hist) - 1))
	check("packets in the history", sum(r["packets"] for r in hist), truth["packets"])
	check("bytes in the history", sum(r["bytes"] for r in hist), truth["bytes"])
	check("libnl packets in the history",
	      sum(int(r["packets"]) for r in nl_rows("history")), truth["packets"])
print("ok" if not problems else "; ".join(problems))
PY
}

# read_both FLOW NAME WHAT: the instance through both clients.
read_both() {
	fc -j stats "$1" |
		json_eval "json.dumps(dict(d, pms=[p for p in d['pms'] if p['name'] == '$2']))" \
		>"$TMP/$3.json" &&
		nl_b stats "$1" "$2" >"$TMP/$3.nl"
}

require_root
ktap_print_header
ktap_set_plan 11
veth_pair "$A" "$B" && flowos_load &&
	insmod "$PMS/match/flowos_pm_match.ko" &&
	insmod "$PMS/count/flowos_pm_count.ko" &&
	insmod "$PMS/stats/flowos_pm_stats.ko" ||
	ktap_exit_fail_msg "cannot set up"

# 1024 patterns of 15 bytes: "<NNNN>" is found only where a pattern
# starts, so repeating one pattern makes no match of another.
python3 - "$TMP" <<'PY'
import json, sys
pats = ["<%04d>%s" % (i, "abcdefghi"[: 9]) for i in range(1024)]
counts = [i % 5 for i in range(1024)]
open(f"{sys.argv[1]}/pats", "w").write("\n".join(pats) + "\n")
json.dump({"patterns": pats, "counts": counts}, open(f"{sys.argv[1]}/match.truth", "w"))
PY
fc create m proto udp dport 9000 && fc attach m match pattern @"$TMP/pats" >/dev/null &&
	fc create c proto udp dport 7000 && fc attach c count max_subflows 2048 report 0 &&
	fc create s proto udp dport 6000 && fc attach s stats window 100ms history 256 ||
	ktap_exit_fail_msg "cannot attach"

# Pattern i, i % 5 times in one datagram, from one socket.
ip netns exec "$A" python3 - "$TMP" <<'PY' || ktap_exit_fail_msg "cannot send"
import json, socket, sys
t = json.load(open(f"{sys.argv[1]}/match.truth"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p, n in zip(t["patterns"], t["counts"]):
	if n:
		s.sendto(p.encode() * n, ("10.0.0.2", 9000))
PY
# send_subflows PORT TRUTH: 1500 sub-flows to PORT, by source port: 1 to
# 3 datagrams of 50 to 99 bytes; what was sent of each in TRUTH.
send_subflows() {
	ip netns exec "$A" python3 - "$1" "$2" <<'PY'
import json, socket, sys
port, truth = int(sys.argv[1]), {}
for i in range(1500):
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind(("10.0.0.1", 20000 + i))
	n, size = i % 3 + 1, 50 + i % 50
	sent = sum(s.sendto(b"c" * size, ("10.0.0.2", port)) == size for _ in range(n))
	truth[20000 + i] = [sent, sent * (20 + 8 + size)]
	s.close()
json.dump(truth, open(sys.argv[2], "w"))
PY
}
send_subflows 7000 "$TMP/count.truth" || ktap_exit_fail_msg "cannot send"

backlog_zero() {
	[ "$(fc -j stats "$1" | json_eval 'sum(p["backlog"] for p in d["pms"])')" = 0 ]
}
slowwait 30 backlog_zero m && slowwait 30 backlog_zero c ||
	ktap_print_msg "PMs still busy"

read_both m match match
expect_eq "match: 1024 patterns and their counts, read whole by both clients" \
	"$(compare match)" ok
expect_eq "match: the reply took several messages" \
	"$(grep -o ' parts=[0-9]*' "$TMP/match.nl" | awk -F= '{ print ($2 > 1) }')" 1
read_both c count count
expect_eq "count: report 0 shows every one of 1500 sub-flows, exact" \
	"$(compare count)" ok

# stats: wait until nearly 256 windows are kept, send 200 datagrams of
# 100 bytes, then read the full history while they are in its newest
# windows.
history_len() {
	fc -j stats s | json_eval 'len(d["pms"][0]["results"]["history"])'
}
history_has() { [ "$(history_len)" -ge "$1" ]; }
ktest "stats: the history fills" slowwait 60 history_has 250
expect_eq "stats: traffic sent" "$(udp_send "$A" 10.0.0.2 6000 200 100)" 200
echo '{"history": 256, "window_ms": 100, "packets": 200, "bytes": 25600}' >"$TMP/stats.truth"
slowwait 10 history_has 256
read_both s stats stats
expect_eq "stats: 256 windows of history, read whole, hold every packet sent" \
	"$(compare stats)" ok

# The do command is one message: too large a body is refused, saying
# how to read it (the kernel's YNL CLI sends it).
ynl_do=$(ip netns exec "$B" python3 "$FLOWOS_REPO/build/ksrc/tools/net/ynl/cli.py" \
	--spec "$FLOWOS_REPO/Documentation/netlink/specs/flowos.yaml" \
	--schema "$FLOWOS_REPO/build/ksrc/Documentation/netlink/genetlink.yaml" \
	--do stats-get --json '{"flow": "c", "name": "count"}' 2>&1)
ktap_print_msg "ynl: $(echo "$ynl_do" | tail -n 3)"
expect_eq "do: results larger than one message are refused, saying to dump" \
	"$(echo "$ynl_do" | grep -c 'dump them')" 1

# A dump stopped half way: the flow's first instance is small and sent,
# the second's results need more than the cap of reads in progress (a
# read holds what the tables hold, not what they could).
fc create cut proto udp dport 7000 prio 10 &&
	fc attach cut count name small max_subflows 16 report 1 &&
	fc attach cut count name big max_subflows 65536 report 0 ||
	ktap_exit_fail_msg "cannot attach"
send_subflows 7000 "$TMP/cut.truth" || ktap_exit_fail_msg "cannot send"
slowwait 30 backlog_zero cut || ktap_print_msg "PMs still busy"
old_limit=$(cat "$LIMIT")
# 64 KiB: the small one's read takes a few KiB, the big one's 1500 rows
# over 200.
echo 64 >"$LIMIT"
fc -j stats cut >"$TMP/cut.json" 2>"$TMP/cut.err"
rc=$?
nl_b stats cut >"$TMP/cut.nl" 2>"$TMP/cut.nlerr"
nl_rc=$?
echo "$old_limit" >"$LIMIT"
ktap_print_msg "flowctl: $(cat "$TMP/cut.err"); flowos_nl: $(cat "$TMP/cut.nlerr")"
expect_eq "a dump the kernel stops: flowctl fails and says why" \
	"$rc $(grep -c 'results_limit_kb' "$TMP/cut.err")" "1 1"
expect_eq "a dump the kernel stops: the libnl client fails and says why" \
	"$nl_rc $(grep -c 'results_limit_kb' "$TMP/cut.nlerr")" "1 1"
expect_eq "a dump the kernel stops: the libnl client showed the instance before" \
	"$(grep -c '^flow=cut name=small ' "$TMP/cut.nl")" 1
expect_eq "with the cap back, the same read works" \
	"$(fc -j stats cut >/dev/null && nl_b stats cut | grep -c '^flow=cut ')" 2
ktap_finished
