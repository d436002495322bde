#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Processing modules end to end: the count PM's numbers equal what was
# sent, per flow and per 5-tuple; sysfs equals flowctl; the pipeline
# order holds; full rings are counted; PMs load on demand, stay pinned
# while attached, and everything is freed however a flow or a namespace
# goes away, with traffic flowing.
#
# Same topology as flows.sh: namespaces A and B joined by veth, flows in
# B.  The test PMs (selftests/flowos/modules) make the pipeline order
# observable.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
COUNT_KO=$FLOWOS_BUILD/pms/count/flowos_pm_count.ko
TEST_KO=$FLOWOS_BUILD/testpm/flowos_pm_test.ko
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
MODPROBE=$(cat /proc/sys/kernel/modprobe)

cleanup() {
	echo "$MODPROBE" >/proc/sys/kernel/modprobe
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	"$FLOWCTL" delete lo 2>/dev/null
	rmmod flowos_pm_test flowos_pm_count 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }
# The selftests' own libnl client, independent of flowctl.
nl_b() { ip netns exec "$B" "$FLOWOS_NL" "$@"; }

# js NS FLOW EXPR: a Python expression over "flowctl -j stats FLOW" (d);
# NS "-" is the initial namespace.
js() {
	if [ "$1" = - ]; then "$FLOWCTL" -j stats "$2"; else
		ip netns exec "$1" "$FLOWCTL" -j stats "$2"; fi | json_eval "$3"
}

# result FLOW PM KEY: a scalar result of an instance of a flow in B.
result() {
	js "$B" "$1" "[p for p in d['pms'] if p['name'] == '$2'][0]['results']['$3']"
}

# row FLOW PM KEY=VALUE FIELD: FIELD of the count PM's sub-flow row
# whose KEY is VALUE.
row() {
	js "$B" "$1" "[r for p in d['pms'] if p['name'] == '$2' for r in p['results']['top_subflows'] if str(r['${3%%=*}']) == '${3#*=}'][0]['$4']"
}

# flood NS DST PORT SECONDS: send 64-byte datagrams for a while, then
# print how many went.
flood() {
	ip netns exec "$1" python3 - "$2" "$3" "$4" <<'PY'
import socket, sys, time
dst, port, end = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
while time.time() < end:
    n += s.sendto(b"f" * 64, (dst, port)) == 64
print(n)
PY
}

# settled FLOW PM: the instance has processed everything queued for it.
settled() {
	[ "$(js "$B" "$1" "[p for p in d['pms'] if p['name'] == '$2'][0]['backlog']")" = 0 ]
}

test_types() {
	ktest "pms: the count type is listed with its layer" \
		bash -c "$FLOWCTL -j pms | grep -q '\"name\":\"count\",\"layer\":\"ip\"'"
	expect_eq "pms: sysfs shows the type's layer" \
		"$(cat /sys/kernel/flowos/pm_types/count/layer)" ip
}

test_count_icmp() {
	fc create icmp proto icmp && fc attach icmp count || return 1
	ip netns exec "$A" ping -q -c 7 -i 0.05 -s 100 10.0.0.2 >/dev/null
	slowwait 10 settled icmp count
	expect_eq "count: icmp packets = 7 requests" "$(result icmp count packets)" 7
	expect_eq "count: icmp bytes = 7 x 128" "$(result icmp count bytes)" 896
	expect_eq "count: one sub-flow, from A" "$(row icmp count src=10.0.0.1 packets)" 7
	expect_eq "count: the flow counter agrees" \
		"$(js "$B" icmp "d['stats']['packets_in']")" 7
}

test_count_udp_subflows() {
	local a b

	fc create udp proto udp dport 5000-5010 && fc attach udp count || return 1
	a=$(udp_send "$A" 10.0.0.2 5001 30 100)
	b=$(udp_send "$A" 10.0.0.2 5002 20 300)
	udp_send "$A" 10.0.0.2 6000 10 100 >/dev/null	# outside the flow
	slowwait 10 settled udp count
	expect_eq "count: udp packets = datagrams sent in range" \
		"$(result udp count packets)" $((a + b))
	expect_eq "count: udp bytes = 30 x 128 + 20 x 328" \
		"$(result udp count bytes)" $((a * 128 + b * 328))
	expect_eq "count: two sub-flows" "$(result udp count subflows)" 2
	expect_eq "count: sub-flow to 5001 has its packets" \
		"$(row udp count dport=5001 packets)" "$a"
	expect_eq "count: sub-flow to 5002 has its bytes" \
		"$(row udp count dport=5002 bytes)" $((b * 328))
	expect_eq "count: the libnl client reads the same totals" \
		"$(nl_b stats udp count | head -n 1 | grep -o ' packets=[0-9]* bytes=[0-9]*')" \
		" packets=$((a + b)) bytes=$((a * 128 + b * 328))"
	expect_eq "count: and the same sub-flow row" \
		"$(nl_b stats udp count | grep '^row top_subflows.* dport=5002 ' | grep -o 'bytes=[0-9]*')" \
		"bytes=$((b * 328))"
}

test_count_ipv6() {
	fc create v6 ip6 proto icmpv6 dst fd00::2 && fc attach v6 count || return 1
	ip netns exec "$A" ping -6 -q -c 5 -i 0.05 -s 56 fd00::2 >/dev/null
	slowwait 10 settled v6 count
	expect_eq "count: ipv6 echo requests = 5 x (40 + 8 + 56) bytes" \
		"$(row v6 count src=fd00::1 bytes)" 520
}

# A TCP transfer to port 80: the count PM's sub-flow equals tshark's
# count of the same packets, captured on the receiving device.
test_count_tcp_vs_tshark() {
	local want

	fc create web proto tcp dport 80 && fc attach web count || return 1
	tcp_capture "$A" "$B" 200000 "$TMP/web.pcap" \
		"$FLOWCTL -n $B -j stats web | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"pms\"][0][\"results\"][\"packets\"])'" >/dev/null
	want=$(pcap_ip_totals "$TMP/web.pcap")
	ktap_print_msg "tshark: ${want% *} packets, ${want#* } IP bytes to port 80"
	expect_eq "count: tcp sub-flow packets = tshark's" \
		"$(row web count dport=80 packets)" "${want% *}"
	expect_eq "count: tcp sub-flow bytes = tshark's" \
		"$(row web count dport=80 bytes)" "${want#* }"
	fc delete web
}

# "flowctl monitor" announces instances as they come and go.
test_monitor_pm() {
	local mon

	"$FLOWCTL" -n "$B" -j monitor >"$TMP/events" 2>"$TMP/monitor.err" &
	mon=$!
	slowwait 20 grep -q listening "$TMP/monitor.err"
	fc attach icmp count name watched && fc detach icmp watched
	slowwait 20 bash -c "[ \$(wc -l <$TMP/events) -ge 2 ]"
	kill "$mon"
	wait "$mon" 2>/dev/null
	expect_eq "monitor: attach and detach events, in order" \
		"$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["event"], e["flow"], e["name"], e["type"], end=" ")' "$TMP/events")" \
		"attach icmp watched count detach icmp watched count "
	ktest "monitor: each line valid against flowctl.schema.json" \
		python3 "$FLOWOS_REPO/selftests/lib/ndjson_check.py" "$TMP/events"
}

# config: B's flows and instances with their parameters (not counters,
# which time windows move on their own).  jq, not python: each refusal
# reads it twice, and jq starts in half the time in a guest.
config() {
	fc -j stats | jq -c '.[] | [.name, .match, [.pms[] | [.name, .type, .order, .params]]]'
}

# refused DESCRIPTION STATUS "MESSAGE" ARGS...: flowctl in B exits
# STATUS, says MESSAGE, and no flow or instance changed.
refused() {
	local desc=$1 want_rc=$2 why=$3 before err rc

	shift 3
	before=$(config)
	err=$(ip netns exec "$B" ${AS:-} "$FLOWCTL" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne "$want_rc" ] || [[ $err != *"$why"* ]] ||
	   [ "$before" != "$(config)" ]; then
		ktap_print_msg "exit $rc, said '$err'"
		ktap_test_fail "refused: $desc"
	else
		ktap_test_pass "refused: $desc"
	fi
}

test_pm_errors() {
	refused "an unknown PM type" 1 \
		"cannot attach: No such file or directory: no PM type of this name" \
		attach icmp nosuch
	refused "an unknown parameter, named" 1 \
		"parameter 'bogus': no such parameter for this PM type" \
		attach icmp count name c2 bogus 1
	refused "a parameter out of range, named" 1 \
		"parameter 'window': value out of range" attach icmp count name c2 window 2h
	refused "a parameter that is not a number" 1 \
		"parameter 'report': value not valid" attach icmp count name c2 report many
	refused "a parameter given twice" 1 "parameter 'report': given twice" \
		attach icmp count name c2 report 1 report 2
	refused "a parameter without its value" 2 "parameter 'report' wants a value" \
		attach icmp count name c2 report
	refused "a count key that names no field" 1 \
		"key: proto, src[/LEN[/LEN6]], dst" attach icmp count name c2 key port
	refused "a count key with a field twice" 1 \
		"key: proto, src[/LEN[/LEN6]], dst" attach icmp count name c2 key src,srcdst
	refused "a count key with an IPv4 prefix over 32" 1 \
		"key: proto, src[/LEN[/LEN6]], dst" attach icmp count name c2 key src/33
	refused "an empty count key" 1 "parameter 'key': value not valid" \
		attach icmp count name c2 key ''
	refused "an order out of range" 1 "cannot attach" attach icmp count name c2 order 9
	refused "a flow that does not exist" 1 "no flow of this name" attach nosuch count
	refused "an instance name in use" 1 "the flow has an instance of this name" \
		attach icmp count
	refused "an instance name sysfs could not show" 1 "not . or .." \
		attach icmp count name .
	refused "detaching what is not attached" 1 \
		"the flow has no PM instance of this name" detach icmp nosuch
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups" \
		refused "an unprivileged user may not attach" 1 \
		"Operation not permitted" attach icmp count name c3
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups" \
		refused "an unprivileged user may not detach" 1 \
		"Operation not permitted" detach icmp count
	ktest "an unprivileged user may read stats" \
		ip netns exec "$B" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$FLOWCTL" stats icmp
}

# "stats --watch" prints a round per interval, one JSON object per line.
test_watch() {
	ip netns exec "$B" timeout 2.5 "$FLOWCTL" -j stats icmp --watch 1 >"$TMP/watch"
	ktest "watch: a line of JSON per round" python3 -c '
import json, sys
rounds = [json.loads(line) for line in open(sys.argv[1])]
assert len(rounds) >= 2 and all(r["name"] == "icmp" for r in rounds), rounds' "$TMP/watch"
	ktest "watch: each line valid against flowctl.schema.json" \
		python3 "$FLOWOS_REPO/selftests/lib/ndjson_check.py" "$TMP/watch"
	ktest "watch: time_ms the epoch's, each round (1 s) or more after the last" python3 -c '
import json, sys, time
t = [json.loads(line)["time_ms"] for line in open(sys.argv[1])]
assert all(b - a >= 1000 for a, b in zip(t, t[1:])), t
assert 0 <= time.time() * 1000 - t[-1] < 60000, t' "$TMP/watch"
}

# A full table evicts a sub-flow and says so.
test_count_evictions() {
	# Attached through the libnl client, parameters and all.
	fc create many proto udp dport 7000-7100 &&
		nl_b attach many count max_subflows=16 report=256 >/dev/null || return 1
	# A datagram of 10 bytes to each of ports 7000-7019.
	ip netns exec "$A" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in range(7000, 7020):
    s.sendto(b"x" * 10, ("10.0.0.2", port))'
	slowwait 10 settled many count
	expect_eq "count: 20 sub-flows into 16 slots: 4 evictions" \
		"$(result many count evictions)" 4
	expect_eq "count: totals stay exact" "$(result many count packets)" 20

	# A busy sub-flow stays: one datagram to 7050 after each to a new
	# port, 40 new ones, through 16 slots.  Any table must evict 25 of
	# the 41; one that evicted the oldest entry (FIFO) would lose 7050.
	fc attach many count name clock max_subflows 16 report 256 || return 1
	ip netns exec "$A" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"h", ("10.0.0.2", 7050))
for port in range(7051, 7091):
    s.sendto(b"n", ("10.0.0.2", port))
    s.sendto(b"h", ("10.0.0.2", 7050))'
	slowwait 10 settled many clock
	expect_eq "count: 41 sub-flows into 16 slots: 25 evictions, 81 packets" \
		"$(result many clock evictions) $(result many clock packets)" "25 81"
	expect_eq "count: the busy sub-flow stayed, every packet of it counted" \
		"$(row many clock dport=7050 packets)" 41
	fc detach many clock
}

# A table of a million sub-flows (issue 21's scale), allocated and
# charged at attach, given back at detach; one more is refused.  The
# table holding that many 5-tuples with exact counts is make bench's
# flowos_count_1m, which sends them: too long for a TCG guest here.
test_count_million() {
	local m=/sys/kernel/flowos base

	refused "max_subflows over 2^20" 1 \
		"parameter 'max_subflows': value out of range" \
		attach many count name c2 max_subflows 1048577
	base=$(cat $m/memory_used)
	ktest "count: max_subflows 1048576 attaches" \
		fc attach many count name million max_subflows 1048576
	# An entry holds a hash link, a 40-byte key and two counters.
	ktest "count: its table is charged, at least 2^20 x 72 bytes" \
		test $(($(cat $m/memory_used) - base)) -ge $((1048576 * 72))
	udp_send "$A" 10.0.0.2 7000 5 10 >/dev/null
	slowwait 10 settled many million
	expect_eq "count: and it counts" "$(result many million packets)" 5
	fc detach many million
	slowwait 10 bash -c "[ \$(cat $m/memory_used) = $base ]"
	expect_eq "count: detach gives the table back" "$(cat $m/memory_used)" "$base"
}

# In the initial namespace, sysfs shows what flowctl shows.
test_sysfs() {
	local d=/sys/kernel/flowos/flows/lo

	ip link set lo up
	"$FLOWCTL" create lo proto icmp dev lo && "$FLOWCTL" attach lo count || return 1
	ping -q -c 4 -i 0.05 -s 100 127.0.0.1 >/dev/null
	slowwait 10 bash -c "[ \$(cat $d/pms/count/backlog) = 0 ]"
	expect_eq "sysfs: packets_in = requests + replies on lo" "$(cat $d/packets_in)" 8
	expect_eq "sysfs: packets_in = flowctl's" "$(cat $d/packets_in)" \
		"$(js - lo "d['stats']['packets_in']")"
	expect_eq "sysfs: count bytes = flowctl's" "$(cat $d/pms/count/bytes)" \
		"$(js - lo "d['pms'][0]['results']['bytes']")"
	expect_eq "sysfs: processed = flowctl's" "$(cat $d/pms/count/processed)" \
		"$(js - lo "d['pms'][0]['processed']")"
	expect_eq "sysfs: the flow's definition" "$(cat $d/proto) $(cat $d/dir) $(cat $d/src)" "1 in any"
	expect_eq "sysfs: drop counters, none here" "$(cat $d/ring_drops) $(cat $d/mem_drops)" "0 0"
	ktest "sysfs: flows of other namespaces are not shown" \
		test ! -e /sys/kernel/flowos/flows/icmp
	"$FLOWCTL" delete lo
	ktest "sysfs: a deleted flow's directory is gone" test ! -e "$d"
}

# test_mark (order 0) marks units slowly; test_check (order 1) must
# never see an unmarked one.
test_pipeline_order() {
	local sent

	insmod "$TEST_KO" || return 1
	fc create pipe proto udp dport 6000 &&
		fc attach pipe test_mark order 0 delay_us 300 &&
		fc attach pipe test_check order 1 || return 1
	ktest "order: a read-write PM cannot share its order" \
		bash -c "! $FLOWCTL -n $B attach pipe test_check name c2 order 0 2>$TMP/err"
	sent=$(udp_send "$A" 10.0.0.2 6000 300 20)
	slowwait 60 bash -c "[ \$($FLOWCTL -n $B -j stats pipe | grep -o '\"seen\":[0-9]*' | tail -1) = '\"seen\":$sent' ]"
	expect_eq "order: order 1 saw every unit" "$(result pipe test_check seen)" "$sent"
	expect_eq "order: order 1 saw no unit order 0 had not released" \
		"$(result pipe test_check unmarked)" 0
	expect_eq "order: order 0 marked every unit" "$(result pipe test_mark seen)" "$sent"
}

# A ring of 16 units behind a slow PM: drops are counted, flow
# counters stay exact, and units processed + dropped = packets.
test_ring_drops() {
	local sent drops

	fc create tiny proto udp dport 6001 qlen 16 &&
		fc attach tiny test_mark delay_us 20000 || return 1
	sent=$(udp_send "$A" 10.0.0.2 6001 200 20)
	slowwait 30 settled tiny test_mark
	drops=$(js "$B" tiny "d['stats']['ring_drops']")
	ktap_print_msg "$sent sent, $drops dropped from the ring"
	ktest "drops: a full ring drops units" test "$drops" -gt 0
	expect_eq "drops: the flow counted every packet" \
		"$(js "$B" tiny "d['stats']['packets_in']")" "$sent"
	expect_eq "drops: processed + dropped = packets" \
		$(($(result tiny test_mark seen) + drops)) "$sent"
	fc delete tiny
}

# Payload PMs are handed packet clones; the global memory cap
# (mem_limit_kb) holds clones and attaches back, and says so.
test_payload_and_cap() {
	local sent base held limit drops mem refused slab_before slab_during
	local p=/sys/module/flowos/parameters/mem_limit_kb m=/sys/kernel/flowos

	base=$(cat $m/memory_used)
	slab_before=$(slab_kb)
	fc create pay proto udp dport 6003 && fc attach pay test_payload delay_us 0 || return 1
	sent=$(udp_send "$A" 10.0.0.2 6003 10 100)
	slowwait 10 settled pay test_payload
	expect_eq "payload: each datagram came with its clone" \
		"$(result pay test_payload seen) $(result pay test_payload missing_skb)" "$sent 0"
	expect_eq "payload: and its 100 payload bytes" \
		"$(result pay test_payload payload_bytes)" $((sent * 100))
	fc detach pay test_payload

	# Room for a few clones only, behind a slow PM, with a header-only
	# PM on the same flow: a refused clone costs the payload PM its
	# bytes, never the count PM its packet.
	fc attach pay test_payload name slow delay_us 5000 &&
		fc attach pay count name cnt || return 1
	held=$(cat $m/memory_used)
	limit=$(cat $p)
	echo $((held / 1024 + 8)) >$p
	sent=$(udp_send "$A" 10.0.0.2 6003 100 100)
	slab_during=$(slab_kb)
	slowwait 30 settled pay slow
	slowwait 10 settled pay cnt
	drops=$(js "$B" pay "d['stats']['ring_drops']")
	mem=$(js "$B" pay "d['stats']['mem_drops']")
	ktap_print_msg "$sent sent, $mem clones refused at the memory cap, $drops dropped at the ring"
	ktest "cap: clones beyond the cap are refused and counted" test "$mem" -gt 0
	expect_eq "cap: no unit dropped at the ring" "$drops" 0
	expect_eq "cap: the count PM beside it counted every packet" \
		"$(result pay cnt packets)" "$sent"
	expect_eq "cap: the payload PM saw every unit" "$(result pay slow seen)" "$sent"
	expect_eq "cap: and those without a clone are the refused ones" \
		"$(result pay slow missing_skb)" "$mem"
	expect_eq "cap: and the bytes of the others" \
		"$(result pay slow payload_bytes)" $(((sent - mem) * 100))
	expect_eq "cap: the flow still counted every packet" \
		"$(js "$B" pay "d['stats']['packets_in']")" $((sent + 10))

	refused=$(cat $m/memory_refused)
	refused "an attach beyond the memory cap" 1 "memory cap reached" \
		attach icmp count name big max_subflows 65536
	expect_eq "cap: the refusal is counted, in sysfs and flowctl" \
		"$(cat $m/memory_refused) $(fc -j status | json_eval 'd["memory"]["refused"]')" \
		"$((refused + 1)) $((refused + 1))"
	echo "$limit" >$p
	fc delete pay
	slowwait 10 bash -c "[ \$(cat $m/memory_used) = $base ]"
	expect_eq "cap: what was charged is all given back" "$(cat $m/memory_used)" "$base"
	ktap_print_msg "unreclaimable slab: $slab_before kB before the floods," \
		"$slab_during kB during, $(slab_kb) kB after"
}

test_pinned() {
	ktest "pinned: rmmod of a PM in use fails" bash -c '! rmmod flowos_pm_count 2>/dev/null'
	# kmod's rmmod says "in use" without asking; the kernel itself
	# refuses a module with references with EWOULDBLOCK.
	expect_eq "pinned: delete_module refuses it as in use" "$(python3 -c '
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.syscall(176, b"flowos_pm_count", os.O_NONBLOCK)
print(errno.errorcode.get(ctypes.get_errno(), "none") if rc else "unloaded")')" EAGAIN
	ktest "pinned: and the PM stays loaded" test -d /sys/module/flowos_pm_count
}

# Attach and detach in a loop, then delete the flow, under a flood.
test_churn_under_traffic() {
	local i ok=0 sent

	fc create churn proto udp dport 6002 || return 1
	flood "$A" 10.0.0.2 6002 4 >"$TMP/sent" &
	for i in $(seq 1 10); do
		fc attach churn count && fc attach churn test_check order 1 &&
			fc detach churn count && fc detach churn test_check && ok=$((ok + 1))
	done
	wait
	sent=$(cat "$TMP/sent")
	expect_eq "churn: 10 attach/detach rounds under traffic" "$ok" 10
	expect_eq "churn: the flow counted every packet" \
		"$(js "$B" churn "d['stats']['packets_in']")" "$sent"

	fc attach churn count && fc attach churn test_check order 1 || return 1
	flood "$A" 10.0.0.2 6002 2 >/dev/null &
	sleep 1
	ktest "churn: delete a flow with PMs while traffic flows" fc delete churn
	wait
}

# Deleting every flow and namespace releases every PM module.
test_teardown_releases() {
	local C=flowos-c-$$-$RANDOM

	ip netns add "$C" &&
		"$FLOWCTL" -n "$C" create x && "$FLOWCTL" -n "$C" attach x count || return 1
	ip netns del "$C"
	for f in icmp udp v6 many pipe; do fc delete "$f"; done
	slowwait 10 rmmod flowos_pm_count
	ktest "teardown: count unloads once its instances are gone" \
		test ! -d /sys/module/flowos_pm_count
	ktest "teardown: the test PMs unload too" rmmod flowos_pm_test
}

# "flowctl attach" loads a PM that is not loaded, by its alias, through
# the kernel's modprobe; here a modprobe that also searches the build.
test_autoload() {
	local kver root=$TMP/modroot

	kver=$(uname -r)
	mkdir -p "$root/lib/modules/$kver/extra" &&
		cp "$FLOWOS_KO" "$COUNT_KO" "$root/lib/modules/$kver/extra/" &&
		touch "$root/lib/modules/$kver/modules.order" \
			"$root/lib/modules/$kver/modules.builtin" \
			"$root/lib/modules/$kver/modules.builtin.modinfo" &&
		depmod -b "$root" "$kver" || return 1
	printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$root" >"$TMP/modprobe"
	chmod +x "$TMP/modprobe"
	echo "$TMP/modprobe" >/proc/sys/kernel/modprobe

	fc create auto proto icmp || return 1
	ktest "autoload: attach count with its module not loaded" fc attach auto count
	ktest "autoload: the module was loaded by its alias" test -d /sys/module/flowos_pm_count
	fc delete auto
	echo "$MODPROBE" >/proc/sys/kernel/modprobe
	rmmod flowos_pm_count
}

require_root
ktap_print_header
ktap_set_plan 86
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
flowos_load && insmod "$COUNT_KO" || ktap_exit_fail_msg "cannot load flowos and count"

test_types
test_count_icmp
test_pm_errors
test_watch
test_count_udp_subflows
test_count_ipv6
test_count_tcp_vs_tshark
test_monitor_pm
test_count_evictions
test_count_million
test_sysfs
test_pipeline_order
test_ring_drops
test_payload_and_cap
test_pinned
test_churn_under_traffic
test_teardown_releases
test_autoload
fc create last
ktest "unload: rmmod flowos with a flow present" rmmod flowos
ktap_finished
