#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Workers: a PM instance with W threads, worker w on the per-CPU rings
# of the CPUs c with c % W == w.  pktgen sends from a thread on each
# CPU (xmit_mode netif_receive, so each CPU runs the receive path and
# fills its own ring); a count instance with 2 workers and one with 1
# watch the same flow.  Since a worker reads only its own CPUs' rings,
# the 2-worker instance counts every packet only if both its threads
# worked; its merged sub-flow table must equal the 1-worker one's.
# The refusals (more workers than the type or the machine allows) run
# on any machine; the traffic part needs 2 CPUs ("make check" boots a
# 2-vCPU guest for it) and is skipped on one.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
DEV=flowos-pg1
PER_CPU=20000
TMP=$(mktemp -d)

# shellcheck source=scripts/pktgen-lib.sh
. "$FLOWOS_REPO/scripts/pktgen-lib.sh"

cleanup() {
	local t

	for t in /proc/net/pktgen/kpktgend_*; do
		[ -e "$t" ] && echo rem_device_all >"$t"
	done
	ip link del "$DEV" 2>/dev/null
	"$FLOWCTL" delete hit 2>/dev/null
	rmmod flowos_pm_count flowos_pm_stats 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

# "0-1" -> 2: the CPUs the kernel may ever have.
possible_cpus() {
	python3 -c 'import sys; print(sum(int(b) - int(a) + 1 if a else 1 for r in sys.argv[1].split(",") for a, _, b in [r.partition("-")] for b in [b or r]))' \
		"$(cat /sys/devices/system/cpu/possible)"
}

# One pktgen device per CPU ("DEV@N" is pktgen's name for the same
# device on another thread), 64 distinct 5-tuples.
pktgen_setup() {
	local mac cpu dev

	modprobe pktgen && ip link add "$DEV" type dummy &&
		ip link set "$DEV" up || return 1
	mac=$(cat "/sys/class/net/$DEV/address")
	for cpu in 0 1; do
		dev=$DEV@$cpu
		pg "kpktgend_$cpu" rem_device_all && pg "kpktgend_$cpu" "add_device $dev" &&
			pktgen_udp "$dev" "$mac" 80 16 4 && pg "$dev" "count $PER_CPU" ||
			return 1
	done
}

sent() {
	local n=0 cpu

	for cpu in 0 1; do
		n=$((n + $(sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' "/proc/net/pktgen/$DEV@$cpu")))
	done
	echo "$n"
}

# stat EXPR: a Python expression over "flowctl -j stats hit" (d), with
# pm(NAME), an instance, at hand.
stat() {
	"$FLOWCTL" -j stats hit | python3 -c '
import json, sys
d = json.load(sys.stdin)
def pm(name):
    return [p for p in d["pms"] if p["name"] == name][0]
print(eval(sys.argv[1]))' "$1"
}

stat_is() { [ "$(stat "$1")" = "$2" ]; }

# The sub-flow rows of an instance, sorted, one per line.
rows() {
	stat "'\n'.join(sorted('%s %s %s %s' % (r['src'], r['sport'], r['packets'], r['bytes']) for r in pm('$1')['results']['top_subflows']))"
}

# worker_threads NAME: the threads of instance NAME.
worker_threads() {
	ps -e -o comm= | grep -c "^flowos/$1\(/[0-9]*\)\?$"
}

test_refusals() {
	local cpus=$1

	expect_refused "more workers than CPUs" "more workers than this machine has CPUs" \
		"$FLOWCTL" attach hit count name wide workers $((cpus + 1))
	expect_refused "workers on a type that cannot shard its state" \
		"more workers than this PM type allows" \
		"$FLOWCTL" attach hit stats workers 2
	expect_refused "zero workers" "bad number of workers" \
		"$FLOWCTL" attach hit count name none workers 0
	ktest "refusals: nothing was attached" stat_is "len(d['pms'])" 0
	expect_eq "pms: count may run many workers, stats one" \
		"$("$FLOWCTL" -j pms | python3 -c 'import json, sys; print(" ".join("%s=%d" % (t["name"], t["max_workers"]) for t in json.load(sys.stdin)))')" \
		"count=64 stats=1"
}

test_two_cpus() {
	local total

	"$FLOWCTL" attach hit count workers 2 report 64 &&
		"$FLOWCTL" attach hit count name one report 64 || return 1
	ktest "threads: one per worker" test "$(worker_threads count)" = 2
	expect_eq "sysfs: the instance has 2 workers" \
		"$(cat /sys/kernel/flowos/flows/hit/pms/count/workers)" 2
	expect_eq "flowctl: the instance has 2 workers" "$(stat "pm('count')['workers']")" 2

	echo start >/proc/net/pktgen/pgctrl
	total=$(sent)
	expect_eq "pktgen: both CPUs sent" "$total" $((2 * PER_CPU))
	expect_eq "flow: counted every packet" "$(stat "d['stats']['packets_in']")" "$total"
	slowwait 20 stat_is "pm('count')['backlog'] + pm('one')['backlog']" 0
	expect_eq "2 workers: every packet counted, so both worked" \
		"$(stat "pm('count')['results']['packets']")" "$total"
	expect_eq "1 worker: every packet counted" \
		"$(stat "pm('one')['results']['packets']")" "$total"
	expect_eq "2 workers: the sub-flow rows add up to every packet" \
		"$(stat "sum(r['packets'] for r in pm('count')['results']['top_subflows'])")" "$total"
	rows count >"$TMP/two" && rows one >"$TMP/one"
	ktest "2 workers: merged sub-flows equal the 1-worker table" cmp -s "$TMP/two" "$TMP/one"
	ktest "2 workers: no units dropped" stat_is "d['stats']['ring_drops'] + d['stats']['mem_drops']" 0

	"$FLOWCTL" detach hit count
	ktest "detach: every worker's thread is gone" test "$(worker_threads count)" = 0
}

require_root
ktap_print_header
ktap_set_plan 17
cpus=$(possible_cpus)
flowos_load && insmod "$FLOWOS_BUILD/pms/count/flowos_pm_count.ko" &&
	insmod "$FLOWOS_BUILD/pms/stats/flowos_pm_stats.ko" ||
	ktap_exit_fail_msg "cannot load flowos and the PMs"
"$FLOWCTL" create hit proto udp dport 9 qlen 65536 ||
	ktap_exit_fail_msg "cannot create the flow"

test_refusals "$cpus"
if [ "$cpus" -lt 2 ]; then
	for i in $(seq 1 11); do
		ktap_test_skip "traffic on 2 CPUs: this machine has $cpus"
	done
else
	pktgen_setup || ktap_exit_fail_msg "cannot set up pktgen"
	test_two_cpus
fi
"$FLOWCTL" delete hit
ktest "unload: everything unloads" bash -c "rmmod flowos_pm_count flowos_pm_stats && rmmod flowos"
ktap_finished
