#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flowctl as a user drives it, held to the selftests' own libnl client
# (flowos_nl), to python's JSON parser, and to the traffic sent.
#
#   ns A  va 10.0.0.1 ---- veth ---- vb 10.0.0.2  ns B  (flows live in B)
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
A=flowctl-a-$$-$RANDOM
B=flowctl-b-$$-$RANDOM
TMP=$(mktemp -d)

cleanup() {
	[ -n "${MON:-}" ] && kill "$MON" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

fc() { "$FLOWCTL" -n "$B" "$@"; }

# json_get EXPR [ARG...]: evaluate a python expression on the JSON
# document "j" read from stdin (ARGs in sys.argv[1:]).
json_get() {
	python3 -c "import json, sys; j = json.load(sys.stdin); print($1)" "${@:2}"
}

test_create_as_documented() {
	ktest "create web dport 80 proto tcp (keywords in any order)" \
		fc create web dport 80 proto tcp
	ktest "create is silent on success" \
		test -z "$(fc create quiet ip proto udp 2>&1)"
	fc create pings ip proto icmp dir both
	expect_eq "show: the flow in the words that created it" \
		"$(fc show web | head -n 1)" "flow web id 1 prio 0 proto tcp dport 80 dir in qlen 1024"
	expect_eq "show -j: name, proto and port as given" \
		"$(fc -j show web | json_get 'j["name"], j["match"]["proto"], j["match"]["dport"]')" \
		"web tcp {'min': 80, 'max': 80}"
}

# Every counter flowctl -j reports equals what the independent client reads.
same_as_client() {
	local name key want got

	for name in web quiet pings; do
		for key in packets_in bytes_in packets_out bytes_out; do
			want=$(flow_stat "$B" "$name" "$key")
			got=$(fc -j list | json_get "[f for f in j if f['name'] == '$name'][0]['stats']['$key']")
			if [ "$want" != "$got" ]; then
				ktap_print_msg "$name $key: flowctl $got, flowos_nl $want"
				return 1
			fi
		done
	done
}

test_stats_match_client() {
	ip netns exec "$A" ping -q -c 4 -s 72 -i 0.05 10.0.0.2 >/dev/null
	expect_eq "stats: flowctl counts the 4 pings both ways" \
		"$(fc -j show pings | json_get 'j["stats"]["packets_in"], j["stats"]["bytes_out"]')" \
		"4 400"
	ktest "stats: every counter of every flow equals the libnl client's" same_as_client
	ktest "list -p: pretty JSON parses to the same as -j" \
		test "$(fc -j list | json_get j)" = "$(fc -j -p list | json_get j)"
	expect_eq "list: one entry per flow" "$(fc -j list | json_get 'len(j)')" 3
}

# refused DESCRIPTION STATUS "MESSAGE" ARGS...: flowctl exits STATUS,
# says MESSAGE on stderr, and the flows are as they were.
refused() {
	local desc=$1 want_rc=$2 why=$3 before err rc

	shift 3
	before=$(fc -j list 2>/dev/null)
	err=$(${FLOWCTL_AS:-} "$FLOWCTL" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne "$want_rc" ] || [[ $err != *"$why"* ]] ||
	   [ "$before" != "$(fc -j list 2>/dev/null)" ]; then
		ktap_print_msg "exit $rc, said '$err'"
		ktap_test_fail "refused: $desc"
	else
		ktap_test_pass "refused: $desc"
	fi
}

test_errors() {
	refused "the kernel's reason, exit 1" 1 \
		"cannot create flow: File exists: a flow of this name exists" \
		-n "$B" create web proto tcp
	refused "a reversed range, in the kernel's words" 1 \
		"port range is reversed" -n "$B" create r proto udp dport 9-1
	refused "a bad port is a usage error, exit 2" 2 "bad port or range 'http'" \
		-n "$B" create x proto tcp dport http
	refused "a keyword given twice" 2 "'proto' given twice" \
		-n "$B" create x proto tcp proto udp
	refused "an address of the other family" 2 "not of the family given" \
		-n "$B" create x ip6 src 10.0.0.1
	refused "an unknown command" 2 "unknown command 'frobnicate'" -n "$B" frobnicate
	refused "an unknown namespace" 1 "cannot enter namespace 'nosuch'" -n nosuch list
	refused "deleting an unknown flow" 1 "no flow of this name" -n "$B" delete nosuch
	refused "a name sysfs could not show" 1 "not . or .." -n "$B" create ..
	# Entering a namespace takes privilege itself: start inside it.
	FLOWCTL_AS="ip netns exec $B $NOBODY" \
		refused "an unprivileged user may not create" 1 \
		"cannot create flow: Operation not permitted" create x ip
	ktest "an unprivileged user may list" bash -c \
		"ip netns exec $B $NOBODY $FLOWCTL list | grep -q 'flow web'"
}

test_monitor() {
	# Not through fc(): $! must be flowctl itself, for kill to end it.
	"$FLOWCTL" -n "$B" -j monitor >"$TMP/events" 2>"$TMP/monitor.err" &
	MON=$!
	slowwait 20 grep -q listening "$TMP/monitor.err"
	fc create ev ip proto udp prio 3
	fc delete ev
	slowwait 20 bash -c "[ \$(wc -l <$TMP/events) -ge 2 ]"
	kill "$MON"
	wait "$MON" 2>/dev/null
	MON=
	expect_eq "monitor -j: one JSON object per event, in order" \
		"$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["event"], e["name"], end=" ")' "$TMP/events")" "new ev del ev "
}

# names: B's flows, sorted, as a python list.
names() {
	fc -j list | json_get 'sorted(f["name"] for f in j)'
}

# --batch: a file of commands, each as it would follow "flowctl", as
# "ip -batch" runs them.
test_batch() {
	local out rc pm

	for pm in match count stats; do
		insmod "$FLOWOS_BUILD/pms/$pm/flowos_pm_$pm.ko" || return 1
	done

	cat >"$TMP/batch" <<-'EOF'
	# two flows and a pattern with a blank in it
	create b1 proto udp dport 5001
	create "b2" proto tcp dport 80    # a comment after a command

	attach b2 match pattern 'GET /'
	EOF
	ktest "batch: every command of the file" fc --batch "$TMP/batch"
	expect_eq "batch: the flows, and the quoted pattern whole" \
		"$(fc -j stats b2 | json_get 'j["name"], j["pms"][0]["params"]["pattern"]')" \
		"b2 ['GET /']"
	printf 'create b3 proto udp\ncreate b1 proto udp\ncreate b4 proto udp\n' >"$TMP/fail"
	out=$(fc --batch "$TMP/fail" 2>&1)
	rc=$?
	expect_eq "batch: stops at the failed line 2, exit 1, names it" \
		"$rc $(grep -c "$TMP/fail:2: command failed" <<<"$out") $(names)" \
		"1 1 ['b1', 'b2', 'b3', 'pings', 'quiet', 'web']"
	out=$(fc -force -batch - <"$TMP/fail" 2>&1)
	rc=$?
	expect_eq "batch -force from stdin: goes on after failures, exit 1" \
		"$rc $(names)" "1 ['b1', 'b2', 'b3', 'b4', 'pings', 'quiet', 'web']"
	out=$(printf 'delete b4\ncreate "b5 proto udp\n' | fc --batch - 2>&1)
	rc=$?
	expect_eq "batch: an open quote is a usage error (2), after line 1 ran" \
		"$rc $(names)" "2 ['b1', 'b2', 'b3', 'pings', 'quiet', 'web']"
	# 3 x 800 parameters: more than one request may have (2048), each
	# request's own.
	seq -f 'p%04g' 800 >"$TMP/patterns"
	for out in 1 2 3; do
		echo "attach b1 match name m$out pattern @$TMP/patterns"
	done >"$TMP/many"
	expect_eq "batch: each command's parameters are its own, however many came before" \
		"$(fc --batch "$TMP/many" && fc -j stats b1 |
			json_get '[len(p["params"]["pattern"]) for p in j["pms"]]')" \
		"[800, 800, 800]"
	for out in b1 b2 b3; do
		fc delete "$out"
	done
}

# dump: the flows and their instances as commands, which --batch runs
# to make them again, the same to the last parameter.
test_dump() {
	local f

	fc create d1 proto tcp dport 80-90 src 10.0.0.0/8 prio 3 qlen 256 &&
	fc attach d1 match name m pattern 'GET /' pattern 'say "hi" \o/' \
		pattern "it's" pattern hex:00ff &&
	fc attach d1 count name c order 2 report 8 &&
	fc create d2 ip6 proto udp dir both mode inline overflow drop &&
	fc attach d2 stats window 2s history 8 || return 1
	{ fc dump d1 && fc dump d2; } >"$TMP/dump"
	sed 's/^/# /' "$TMP/dump"
	fc -j stats d1 >"$TMP/d1.json"
	for f in d1 d2; do
		fc delete "$f"
	done
	ktest "dump: --batch makes the flows again" fc --batch "$TMP/dump"
	expect_eq "dump: then the same dump, to the last parameter" \
		"$({ fc dump d1 && fc dump d2; } | cmp - "$TMP/dump" && echo same)" same
	expect_eq "dump: the patterns with blanks, quotes and a backslash whole" \
		"$(fc -j stats d1 | json_get '[p["params"] for p in j["pms"]] == [p["params"] for p in json.load(open(sys.argv[1]))["pms"]]' "$TMP/d1.json")" \
		True
	for f in d1 d2; do
		fc delete "$f"
	done
}

test_delete_and_unload() {
	local f

	for f in web quiet pings; do
		fc delete "$f" || return 1
	done
	expect_eq "delete: no flow is left" "$(fc -j list)" "[]"
	flowos_unload
	refused "without the module, says so" 1 "the flowos module is not loaded" list
}

ktap_print_header
require_root
ktap_set_plan 31

[ -x "$FLOWCTL" ] || ktap_exit_fail_msg "no $FLOWCTL (make tools)"
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load || ktap_exit_fail_msg "cannot load $FLOWOS_KO"
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot set up the namespaces"

test_create_as_documented
test_stats_match_client
test_errors
test_monitor
test_batch
test_dump
test_delete_and_unload

ktap_finished
