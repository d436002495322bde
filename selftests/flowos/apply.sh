#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "flowctl apply FILE" as an operator uses it: a file of create and
# attach lines, hand-written or as "flowctl dump" writes them, becomes
# the namespace's configuration, and only what differs changes.
#
# What changed is what the kernel announced to "flowctl monitor" (every
# create, change, delete, attach, detach and set is an event); what the
# flows count is held to the datagrams sent from A; and the configuration
# apply makes equals the one a second namespace C gets from the same file
# run as plain commands (--batch).
#
#   ns A  va 10.0.0.1 ---- veth ---- vb 10.0.0.2  ns B  (flows live in B)
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
PMS=$FLOWOS_BUILD/pms
A=apply-a-$$-$RANDOM
B=apply-b-$$-$RANDOM
C=apply-c-$$-$RANDOM
TMP=$(mktemp -d)

cleanup() {
	[ -n "${MON:-}" ] && kill "$MON" 2>/dev/null
	netns_del "$A" "$B" "$C"
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

MARKS=0

# changes_of COMMAND...: run COMMAND (its status in $TMP/rc, its output
# in $TMP/out and $TMP/err), then print what the kernel announced
# meanwhile, sorted, one "EVENT FLOW" or "EVENT FLOW/INSTANCE" a line
# ("(none)" for none).
# A flow created and deleted after it marks where its events end.
changes_of() {
	local mark=mark$((++MARKS)) from

	from=$(($(wc -l <"$TMP/events") + 1))
	"$@" >"$TMP/out" 2>"$TMP/err"
	echo $? >"$TMP/rc"
	fc create "$mark" && fc delete "$mark"
	slowwait 20 grep -q "\"$mark\"" "$TMP/events"
	tail -n "+$from" "$TMP/events" | python3 -c '
import json, sys
seen = []
for line in sys.stdin:
    e = json.loads(line)
    if e["event"] in ("new", "del", "change"):
        if e["name"] == sys.argv[1]:
            break
        seen.append("%s %s" % (e["event"], e["name"]))
    elif e["event"] in ("attach", "detach", "set"):
        seen.append("%s %s/%s" % (e["event"], e["flow"], e["name"]))
print("\n".join(sorted(seen)) or "(none)")' "$mark"
}

rc() { cat "$TMP/rc"; }

# A file of hand-written lines: defaults left out, a pipeline in the
# create line, an instance attached on a line of its own, a comment.
cat >"$TMP/f1" <<'EOF'
# web: counted and measured from its first packet
create web proto udp dport 7000-7001 attach count attach stats name s window 2s history 8 k 3
create dns proto udp dport 53 prio 5
attach dns count name c1   # a second line for dns
EOF

test_first_apply() {
	expect_eq "apply on an empty namespace: each flow and instance made once" \
		"$(changes_of fc apply "$TMP/f1")" \
		"attach dns/c1
attach web/count
attach web/s
new dns
new web"
	expect_eq "apply: silent, status 0" "$(rc) $(cat "$TMP/out" "$TMP/err")" "0 "
	ip netns add "$C"
	"$FLOWCTL" -n "$C" --batch "$TMP/f1" &&
		"$FLOWCTL" -n "$C" dump >"$TMP/batch.dump" && fc dump >"$TMP/apply.dump"
	sed 's/^/# /' "$TMP/apply.dump"
	expect_eq "apply: the same configuration as the file run as commands (--batch)" \
		"$(cmp "$TMP/batch.dump" "$TMP/apply.dump" && echo same)" same
}

test_nothing_to_do() {
	expect_eq "apply of the file again: nothing changes" \
		"$(changes_of fc apply "$TMP/f1")" "(none)"
	fc dump >"$TMP/dump"
	expect_eq "dump > f; apply f: nothing changes" \
		"$(changes_of fc apply "$TMP/dump")" "(none)"
	# The same meaning in other words: 2000ms for 2s, the defaults
	# spelled out, the keywords in another order, h 10.0 for 10.
	cat >"$TMP/f1b" <<-'EOF'
	create web dport 7000-7001 proto udp prio 0 dir in qlen 1024 mode passive
	attach web count order 0 workers 1 window 10s
	attach web stats name s k 3 window 2000ms history 8 h 10.0
	create dns proto udp dport 53 prio 5
	attach dns count name c1 report 16
	EOF
	expect_eq "apply: what means the same in other words changes nothing" \
		"$(changes_of fc apply "$TMP/f1b")" "(none)"
	expect_eq "apply --dry-run: nothing to do, nothing printed" \
		"$(fc apply --dry-run "$TMP/f1b"; echo "status $?")" "status 0"
}

# web's count PM and flow: packets counted so far.
web_packets() {
	echo "$(flow_stat "$B" web packets_in) $(pm_stat "$B" web count packets) $(pm_stat "$B" web s packets)"
}

# send PORT N: N datagrams from A to B's PORT, all the PMs caught up.
send() {
	[ "$(udp_send "$A" 10.0.0.2 "$1" "$2" 64)" = "$2" ] &&
		slowwait 20 web_caught_up
}

web_caught_up() {
	local p

	read -ra p <<<"$(web_packets)"

	[ "${p[0]}" = "${p[1]}" ] && [ "${p[0]}" = "${p[2]}" ]
}

# The changes: web matches one more port and shows a top 5 (k is live:
# set); dns's count instance is another; ntp is new.
cat >"$TMP/f2" <<'EOF'
create web proto udp dport 7000-7002 attach count attach stats name s window 2s history 8 k 5
create dns proto udp dport 53 prio 5
attach dns count name c2
create ntp proto udp dport 123
EOF

test_changes() {
	send 7000 10 || return 1
	expect_eq "before: web, its count and its stats each counted the 10 datagrams" \
		"$(web_packets)" "10 10 10"
	expect_eq "--dry-run: no change announced" \
		"$(changes_of fc apply --dry-run "$TMP/f2")" "(none)"
	expect_eq "--dry-run: the plan, as commands" "$(cat "$TMP/out")" \
		"change web proto udp dport 7000-7002
set web s k 5
detach dns c1
attach dns count name c2
create ntp proto udp dport 123"
	expect_eq "apply: only what differs changes, in place" \
		"$(changes_of fc apply "$TMP/f2")" \
		"attach dns/c2
change web
detach dns/c1
new ntp
set web/s"
	expect_eq "apply: status 0" "$(rc)" 0
	expect_eq "the changed flow and its kept instances kept their counts" \
		"$(web_packets)" "10 10 10"
	send 7002 5 || return 1
	expect_eq "the new match in effect: 7002 counted by web and its PMs" \
		"$(web_packets)" "15 15 15"
	expect_eq "set, not replaced: s shows a top 5 now" \
		"$(fc -j stats web | json_eval '[p["params"]["k"] for p in d["pms"] if p["name"] == "s"]')" \
		"['5']"
}

test_replace_and_prune() {
	sed 's/window 2s history 8/window 1s history 20/; /^create ntp/d' "$TMP/f2" >"$TMP/f3"
	expect_eq "a parameter that is not live: the instance is replaced" \
		"$(changes_of fc apply "$TMP/f3"; rc)" \
		"attach web/s
detach web/s
0"
	expect_eq "replaced: s has the file's window and history" \
		"$(fc -j stats web | json_eval '[(p["params"]["window"], p["params"]["history"]) for p in d["pms"] if p["name"] == "s"]')" \
		"[('1s', '20')]"
	expect_eq "replaced: s starts anew, its neighbour keeps its count" \
		"$(pm_stat "$B" web s packets) $(pm_stat "$B" web count packets)" "0 15"
	expect_eq "a flow the file leaves out: kept, and the dry run says so" \
		"$(fc apply --dry-run "$TMP/f3")" \
		"# ntp is not in the file: kept (--prune deletes it)"
	expect_eq "--prune: the flow the file leaves out is deleted, nothing else" \
		"$(changes_of fc apply --prune "$TMP/f3")" "del ntp"
}

# A refusal after changes: all of them undone, the error names the line.
test_rollback() {
	local before

	fc dump >"$TMP/before"
	cat >"$TMP/f4" <<-'EOF'
	create new1 proto udp dport 9000 attach count
	create web proto udp dport 7000 attach count attach stats name s window 1s history 20 k 7
	create dns proto udp dport 53 prio 5
	attach dns count name c2
	attach dns stats name bad k 0
	EOF
	before=$(web_packets)
	changes_of fc apply "$TMP/f4" >/dev/null
	expect_eq "a refused instance: status 1" "$(rc)" 1
	expect_eq "the error names the file's line and what the kernel said" \
		"$(grep -c "f4:5: refused" "$TMP/err") $(grep -c "parameter 'k'" "$TMP/err")" "1 1"
	sed 's/^/# /' "$TMP/err"
	expect_eq "rolled back: the configuration is what it was, to the last parameter" \
		"$(fc dump | cmp - "$TMP/before" && echo same)" same
	expect_eq "rolled back in place: web and its instances kept their counts" \
		"$(web_packets)" "$before"
}

# expect_usage DESCRIPTION MESSAGE LINES...: apply of a file of LINES
# is a usage error (2) that says MESSAGE, and changes nothing.
expect_usage() {
	local desc=$1 msg=$2

	shift 2
	printf '%s\n' "$@" >"$TMP/bad"
	expect_eq "$desc" \
		"$(changes_of fc apply "$TMP/bad"; rc; grep -c -- "$msg" "$TMP/err")" \
		"(none)
2
1"
}

test_refused() {
	expect_usage "only create and attach lines" \
		"bad:2: 'delete': apply takes create and attach lines only" \
		"create x proto udp" "delete web"
	expect_usage "an instance of a flow the file does not create" \
		"bad:1: flow web is not created before this line" "attach web count"
	expect_usage "a flow created twice" "bad:2: flow x is created twice" \
		"create x" "create x proto tcp"
	expect_usage "two instances of one name" \
		"bad:2: flow x has an instance named count already" \
		"create x attach count" "attach x count"
	expect_usage "a bad definition" "bad:1: create x: bad definition" \
		"create x dport 80-"
	expect_usage "an open quote" "bad:1: an open quote" "create x attach match pattern \"GET"
	expect_refused "a file that cannot be read" "cannot read" \
		fc apply "$TMP/nosuch"
}

# The JSON form: what "-j dump" writes applies back to nothing, and a
# file written by hand in it (numbers where numbers are, a list) makes
# what its command form (f1) made in C.
test_json() {
	local d=apply-d-$$-$RANDOM

	fc -j dump >"$TMP/dump.json"
	ktest "JSON: -j dump is valid against flowctl.schema.json" \
		python3 "$FLOWOS_REPO/selftests/lib/ndjson_check.py" "$TMP/dump.json"
	expect_eq "JSON: -j dump > f.json; apply f.json: nothing changes" \
		"$(changes_of fc apply "$TMP/dump.json"; rc)" "(none)
0"
	cat >"$TMP/f1.json" <<-'EOF'
	{"schema": 1, "flows": [
	  {"name": "web", "match": {"proto": "udp", "dport": "7000-7001"},
	   "pms": [{"type": "count"},
	           {"type": "stats", "name": "s",
	            "params": {"window": "2s", "history": 8, "k": 3}}]},
	  {"name": "dns", "match": {"proto": "udp", "dport": 53, "prio": 5},
	   "pms": [{"type": "count", "name": "c1"}]}]}
	EOF
	ip netns add "$d"
	"$FLOWCTL" -n "$d" apply "$TMP/f1.json" &&
		"$FLOWCTL" -n "$d" dump >"$TMP/json.dump"
	expect_eq "JSON: f1 by hand in JSON makes what f1's commands made" \
		"$(cmp "$TMP/batch.dump" "$TMP/json.dump" && echo same)" same
	expect_eq "JSON: -j dump FLOW writes that flow alone" \
		"$("$FLOWCTL" -n "$d" -j dump dns | json_eval '[f["name"] for f in d["flows"]], d["flows"][0]["pms"][0]["name"]')" \
		"(['dns'], 'c1')"
	ip netns del "$d"
	printf '{"flows": [{"name": "x"}, {"name": "y", "matchh": {}}]}\n' >"$TMP/bad.json"
	expect_eq "JSON: an unknown member is refused, naming the flow, changing nothing" \
		"$(changes_of fc apply "$TMP/bad.json"; rc; grep -c "bad.json: flow 2: a flow's unknown member: matchh" "$TMP/err")" \
		"(none)
2
1"
	printf '{"flows": [{"name": "x"}' >"$TMP/cut.json"
	expect_eq "JSON: a file cut short is refused, changing nothing" \
		"$(changes_of fc apply "$TMP/cut.json"; rc; grep -c "cut.json: not JSON" "$TMP/err")" \
		"(none)
2
1"
}

ktap_print_header
require_root
ktap_set_plan 37

[ -x "$FLOWCTL" ] || ktap_exit_fail_msg "no $FLOWCTL (make tools)"
evald_start
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load && insmod "$PMS/count/flowos_pm_count.ko" &&
	insmod "$PMS/stats/flowos_pm_stats.ko" ||
	ktap_exit_fail_msg "cannot load flowos, count and stats"
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot set up the namespaces"
# Not through fc(): $! must be flowctl itself, for kill to end it.
"$FLOWCTL" -n "$B" -j monitor >"$TMP/events" 2>"$TMP/monitor.err" &
MON=$!
slowwait 20 grep -q listening "$TMP/monitor.err"

test_first_apply
test_nothing_to_do
test_changes
test_replace_and_prune
test_rollback
test_refused
test_json
ktap_finished
