#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload under traffic, many times.  pktgen (xmit_mode
# netif_receive, on a dummy device) feeds the receive path without a
# pause while, in each loop, flowos and the count, stats and match PMs
# are loaded, flows are created and PMs attached, PMs are detached and
# re-attached and flows created and deleted in a churn, and then
# everything is torn down and unloaded again, with the flows still
# present on every other loop.  In every loop a burst of a known number
# of packets, sent with the traffic paused, must be counted exactly by
# the flow and by the count PM; everything the flows charged to the
# memory cap must come back; and at the end no flowos module may be
# left.  A leak or a use after free shows up as a kernel report, which
# fails the run (scripts/dmesg-check), or, on the debug kernel, as a
# kmemleak report.
#
# FLOWOS_UNLOAD_LOOPS (2: one through each teardown) and
# FLOWOS_UNLOAD_CHURN (3) size the run; "make stress" runs it long (20
# loops).  FLOWOS_UNLOAD_DELAY is pktgen's gap
# between packets in ns (20000): the one-vCPU guest must keep some time
# for the loop itself.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
PMS="count stats match"
LOOPS=${FLOWOS_UNLOAD_LOOPS:-2}
CHURN=${FLOWOS_UNLOAD_CHURN:-3}
DELAY=${FLOWOS_UNLOAD_DELAY:-20000}
BURST=3000
DEV=flowos-pg0
PGCTRL=/proc/net/pktgen/pgctrl
traffic=""

# shellcheck source=scripts/pktgen-lib.sh
. "$FLOWOS_REPO/scripts/pktgen-lib.sh"

cleanup() {
	traffic_stop
	[ -e /proc/net/pktgen/kpktgend_0 ] && pg kpktgend_0 rem_device_all
	ip link del "$DEV" 2>/dev/null
	"$FLOWCTL" delete hit 2>/dev/null
	for pm in $PMS; do rmmod "flowos_pm_$pm" 2>/dev/null; done
	flowos_unload
}
trap cleanup EXIT

# 256 sources x 64 ports, towards a destination that is not local.
pktgen_setup() {
	local mac

	modprobe pktgen && ip link add "$DEV" type dummy &&
		ip link set "$DEV" up || return 1
	mac=$(cat "/sys/class/net/$DEV/address")
	pg kpktgend_0 rem_device_all && pg kpktgend_0 "add_device $DEV" &&
		pktgen_udp "$DEV" "$mac" 80 256 64
}

# Packets pktgen has sent since its last start.
pktgen_sent() {
	sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' "/proc/net/pktgen/$DEV"
}

injected=0

# Traffic without end, paced, until traffic_stop; "start" returns when
# pktgen stops.
traffic_start() {
	pg "$DEV" "count 0" && pg "$DEV" "delay $DELAY" || return 1
	echo start >"$PGCTRL" &
	traffic=$!
}

traffic_stop() {
	[ -n "$traffic" ] || return 0
	echo stop >"$PGCTRL"
	wait "$traffic" 2>/dev/null
	traffic=""
	injected=$((injected + $(pktgen_sent)))
}

# burst N: exactly N packets, at full speed; returns when they are sent.
burst() {
	pg "$DEV" "count $1" && pg "$DEV" "delay 0" && echo start >"$PGCTRL" || return 1
	[ "$(pktgen_sent)" -eq "$1" ] && injected=$((injected + $1))
}

# stat EXPR: a Python expression over "flowctl -j stats hit" (d).
stat() {
	"$FLOWCTL" -j stats hit |
		json_eval "$1"
}

COUNT_PACKETS="[p for p in d['pms'] if p['name'] == 'count'][0]['results']['packets']"
BACKLOG="sum(p['backlog'] for p in d['pms'])"
DROPS="d['stats']['ring_drops'] + d['stats']['mem_drops']"

memory_used() { cat /sys/kernel/flowos/memory_used; }

load_all() {
	local pm

	flowos_load || return 1
	for pm in $PMS; do
		insmod "$FLOWOS_BUILD/pms/$pm/flowos_pm_$pm.ko" || return 1
	done
}

setup_flows() {
	"$FLOWCTL" create hit proto udp dport 9 qlen 4096 &&
		"$FLOWCTL" create quiet proto tcp dport 9 &&
		"$FLOWCTL" attach hit count &&
		"$FLOWCTL" attach hit stats order 1 &&
		"$FLOWCTL" attach hit match pattern flowos &&
		"$FLOWCTL" attach quiet count
}

# Detach and re-attach the count PM, and create and delete a flow that
# matches the traffic too (and takes it from "hit": it has priority).
churn() {
	local i

	for i in $(seq 1 "$CHURN"); do
		"$FLOWCTL" detach hit count && "$FLOWCTL" attach hit count &&
			"$FLOWCTL" detach hit match &&
			"$FLOWCTL" attach hit match pattern flowos &&
			"$FLOWCTL" create "tmp$i" prio 1 proto udp dport 9 &&
			"$FLOWCTL" attach "tmp$i" stats &&
			"$FLOWCTL" delete "tmp$i" || return 1
	done
}

stat_is() { [ "$(stat "$1")" = "$2" ]; }

# With the traffic paused and the PMs through their backlog, a burst
# (shorter than the ring) must be counted exactly: by the flow at once,
# by the count PM once its thread has been through it.
exact_burst() {
	local flow0 pm0

	slowwait 10 stat_is "$BACKLOG" 0 &&
		flow0=$(stat "d['stats']['packets_in']") &&
		pm0=$(stat "$COUNT_PACKETS") && burst "$BURST" || return 1
	stat_is "d['stats']['packets_in']" $((flow0 + BURST)) &&
		slowwait 10 stat_is "$COUNT_PACKETS" $((pm0 + BURST))
}

memory_is_zero() { [ "$(memory_used)" -eq 0 ]; }
memory_back() { slowwait 10 memory_is_zero; }

# Half the loops detach the PMs and unload with the flows present, the
# other half delete the flows first: two ways through the teardown.
teardown() {
	local pm

	if [ $(($1 % 2)) -eq 0 ]; then
		"$FLOWCTL" detach hit count && "$FLOWCTL" detach hit stats &&
			"$FLOWCTL" detach hit match && "$FLOWCTL" detach quiet count
	else
		"$FLOWCTL" delete hit && "$FLOWCTL" delete quiet
	fi || return 1
	memory_back || { ok_memory=0; return 1; }
	for pm in $PMS; do
		rmmod "flowos_pm_$pm" || return 1
	done
	rmmod flowos && [ ! -d /sys/kernel/flowos ]
}

# One loop; a failed step is said, and ends the run.
one_loop() {
	local step drops

	for step in traffic_start load_all setup_flows churn; do
		"$step" || { ktap_print_msg "loop $1: $step failed"; return 1; }
	done
	traffic_stop
	exact_burst || { ok_exact=0; ktap_print_msg "loop $1: the burst was not counted exactly"; }
	drops=$(stat "$DROPS") && dropped=$((dropped + drops))
	traffic_start && teardown "$1" ||
		{ ktap_print_msg "loop $1: teardown failed"; return 1; }
	traffic_stop
}

require_root
ktap_print_header
ktap_set_plan 5
pktgen_setup || ktap_exit_fail_msg "cannot set up pktgen"
[ ! -d /sys/module/flowos ] || ktap_exit_fail_msg "flowos is already loaded"

slab_before=$(slab_kb)
loops=0 dropped=0 ok_exact=1 ok_memory=1
started=$SECONDS
while [ "$loops" -lt "$LOOPS" ] && one_loop "$loops"; do
	loops=$((loops + 1))
done
traffic_stop
ktap_print_msg "unload: loops $loops, packets injected $injected, units dropped $dropped," \
	"$((SECONDS - started))s"
ktap_print_msg "unreclaimable slab: $slab_before kB before, $(slab_kb) kB after"

expect_eq "unload: $LOOPS loops of load, churn and unload under pktgen" "$loops" "$LOOPS"
ktest "unload: every burst after a churn was counted exactly" test "$ok_exact" = 1
ktest "unload: detaching gave back every charged byte, every loop" test "$ok_memory" = 1
ktest "unload: no flowos module is left" \
	bash -c '! grep -q "^flowos" /proc/modules'
ktest "unload: pktgen really sent traffic" test "$injected" -gt $((LOOPS * BURST))
ktap_finished
