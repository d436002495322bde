#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink fuzzer (selftests/lib/nl_fuzz.c), with a fixed seed, in a
# namespace that has flows and PM instances named from its pool and
# traffic flowing: no rejected request may change anything, the family
# must answer every request, and afterwards everything still unloads
# (no reference leaked).  "make stress" runs it long with random seeds.
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
FUZZ=$FLOWOS_REPO/build/selftests/nl_fuzz
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
SEED=${FLOWOS_FUZZ_SEED:-1}
COUNT=${FLOWOS_FUZZ_COUNT:-3000}

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rmmod flowos_pm_count flowos_pm_stats 2>/dev/null
	flowos_unload
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

require_root
ktap_print_header
ktap_set_plan 4
veth_pair "$A" "$B" && flowos_load &&
	insmod "$FLOWOS_BUILD/pms/count/flowos_pm_count.ko" &&
	insmod "$FLOWOS_BUILD/pms/stats/flowos_pm_stats.ko" ||
	ktap_exit_fail_msg "cannot set up"
fc create f0 proto icmp && fc create f1 ip && fc attach f0 count &&
	fc attach f1 stats ||
	ktap_exit_fail_msg "cannot create the flows"

ip netns exec "$A" ping -q -i 0.02 -c 100000 10.0.0.2 >/dev/null 2>&1 &
pinger=$!
out=$(mktemp)
ip netns exec "$B" "$FUZZ" "$SEED" "$COUNT" >"$out" 2>&1
rc=$?
kill "$pinger"
wait "$pinger" 2>/dev/null
while read -r line; do ktap_print_msg "$line"; done <"$out"
ktest "fuzz: $COUNT messages (seed $SEED), each refusal said why and changed nothing" \
	test "$rc" = 0
ktest "fuzz: the fuzzer got this far" grep -q "$COUNT messages tried" "$out"
ktest "fuzz: the namespace still works" bash -c "$FLOWCTL -n $B -j list >/dev/null"
ip netns del "$B"
ktest "fuzz: everything unloads afterwards" bash -c "rmmod flowos_pm_count flowos_pm_stats && rmmod flowos"
ktap_finished
