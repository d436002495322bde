#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YNL spec (Documentation/netlink/specs/flowos.yaml) is the family:
# it validates against the kernel's genetlink schema, and the kernel's
# own YNL CLI, driven by nothing but the spec, creates a flow, attaches
# a PM and reads back what flowctl reads.
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
SPEC=$FLOWOS_REPO/Documentation/netlink/specs/flowos.yaml
YNL_DIR=$FLOWOS_REPO/build/ksrc/tools/net/ynl
SCHEMA=$FLOWOS_REPO/build/ksrc/Documentation/netlink/genetlink.yaml
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rmmod flowos_pm_count 2>/dev/null
	flowos_unload
}
trap cleanup EXIT

# ynl ARGS...: the kernel's YNL CLI in B, JSON out.
ynl() {
	ip netns exec "$B" /usr/bin/python3 "$YNL_DIR/cli.py" --spec "$SPEC" \
		--schema "$SCHEMA" --output-json "$@"
}

ynl_quiet() { ynl "$@" >/dev/null; }

# jq_py EXPR: evaluate EXPR over the JSON on stdin (d).
jq_py() {
	/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

require_root
ktap_print_header
ktap_set_plan 8
veth_pair "$A" "$B" && flowos_load && insmod "$FLOWOS_BUILD/pms/count/flowos_pm_count.ko" ||
	ktap_exit_fail_msg "cannot set up"

ktest "ynl: the spec validates against genetlink.yaml" ynl_quiet --list-ops
ktest "ynl: flow-new creates a flow" \
	ynl_quiet --do flow-new --json '{"name": "dns", "family": 2, "proto": 17, "dport-min": 53}'
expect_eq "ynl: flowctl sees it as created" \
	"$("$FLOWCTL" -n "$B" -j show dns | jq_py "d['match']['proto'], d['match']['dport']['min']")" \
	"('udp', 53)"
attached=$(ynl --do pm-attach --json \
	'{"flow": "dns", "type": "count", "params": {"param": {"key": "report", "value": "2"}}}')
expect_eq "ynl: pm-attach replies with the instance and its parameter" \
	"$(echo "$attached" | jq_py "[p['value'] for p in d['params']['param'] if p['key'] == 'report'][0]")" 2

ip netns exec "$A" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(9): s.sendto(b"q" * 30, ("10.0.0.2", 53))'
slowwait 10 bash -c "[ \"\$($FLOWCTL -n $B -j stats dns | grep -o '\"backlog\":[0-9]*')\" = '\"backlog\":0' ]"

expect_eq "ynl: flow-get dump has the flow's counters" \
	"$(ynl --dump flow-get | jq_py "[f['stats']['packets-in'] for f in d if f['name'] == 'dns'][0]")" 9
expect_eq "ynl: stats-get results equal flowctl's" \
	"$(ynl --do stats-get --json '{"flow": "dns", "name": "count"}' |
		jq_py "[v['u64'] for v in d['results']['value'] if v['name'] == 'bytes'][0]")" \
	"$("$FLOWCTL" -n "$B" -j stats dns | jq_py "d['pms'][0]['results']['bytes']")"
expect_eq "ynl: pm-type-get lists count's parameters" \
	"$(ynl --dump pm-type-get | jq_py "[p['name'] for t in d if t['name'] == 'count' for p in t['params']['param']]")" \
	"['window', 'max_subflows', 'report', 'key']"
expect_eq "ynl: net-get counts the namespace's flows" \
	"$(ynl --do net-get | jq_py "d['flows']")" 1
ktap_finished
