#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reading results takes no lock that configuration needs: while a read
# of an instance is held inside its PM for seconds (the test PM
# test_slowread sleeps in ->fill_results), flows are created and
# deleted in another namespace and PMs attached in the reader's own, each
# finishing while the read is still inside; flowctl reads again what
# the change interrupted.  Neither a detach of the instance being read
# nor a delete of its flow waits for the read, which still comes back
# whole: the PM's ->fini runs when the read is done, and its module is
# free to unload then.  Unprivileged users may read (results.sh shows
# reads bounded by results_limit_kb).
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
SLOW_KO=$FLOWOS_BUILD/testpm/flowos_pm_slowread.ko
READING=/sys/module/flowos_pm_slowread/parameters/reading
EARLY_FINI=/sys/module/flowos_pm_slowread/parameters/early_fini
HOLD=/sys/module/flowos_pm_slowread/parameters/hold
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
C=flowos-c-$$-$RANDOM
TMP=$(mktemp -d)

cleanup() {
	wait
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	rmmod flowos_pm_slowread flowos_pm_count 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { ip netns exec "$B" "$FLOWCTL" "$@"; }
fc_c() { ip netns exec "$C" "$FLOWCTL" "$@"; }

reading_is() { [ "$(cat "$READING")" = "$1" ]; }

# seen_is N: the test PM on flow r has seen N units.
seen_is() { [ "$(pm_stat "$B" r slow seen)" = "$1" ]; }

# start_read SECONDS OUT: a read of flow r that sleeps that long inside
# the PM, then stays there until release_reads, in the background;
# returns once it is inside.  The hold comes after the set, whose reply
# reads the instance too.
start_read() {
	fc set r slow read_ms "$(($1 * 1000))" >/dev/null && echo 1 >"$HOLD" &&
		{ fc -j stats r >"$2" 2>"$2.err" & } &&
		slowwait 20 reading_is 1
}

# release_reads: let the reads held inside the PM finish, and wait for them.
release_reads() {
	echo 0 >"$HOLD"
	wait
}

# still_reading COMMAND...: COMMAND succeeds, and the read is still
# inside the PM when it has: it did not wait for the read (which stays
# until release_reads, so no timing decides this).
still_reading() {
	"$@" >/dev/null && reading_is 1
}

require_root
ktap_print_header
ktap_set_plan 15
veth_pair "$A" "$B" && ip netns add "$C" && flowos_load &&
	insmod "$SLOW_KO" && insmod "$FLOWOS_BUILD/pms/count/flowos_pm_count.ko" ||
	ktap_exit_fail_msg "cannot set up"
fc create r proto udp && fc attach r test_slowread name slow read_ms 0 ||
	ktap_exit_fail_msg "cannot attach the test PM"
expect_eq "udp traffic" "$(udp_send "$A" 10.0.0.2 9 5 10)" 5
slowwait 20 seen_is 5 || ktap_exit_fail_msg "the test PM did not see the traffic"

start_read 1 "$TMP/read1" || ktap_exit_fail_msg "the read never reached the PM"
ktest "while a read is inside a PM: a flow is created in another namespace" \
	still_reading fc_c create x proto tcp
ktest "and attached to" still_reading fc_c attach x count
ktest "and deleted" still_reading fc_c delete x
ktest "and the reader's own namespace attaches another PM" \
	still_reading fc attach r count name other
release_reads
expect_eq "the read, interrupted by the attach, was read again, whole" \
	"$(python3 -c 'import json, sys; p = json.load(open(sys.argv[1]))["pms"]; print([(x["name"], x["results"].get("after_sleep", [{}])[0].get("seen")) for x in p])' "$TMP/read1")" \
	"[('slow', 5), ('other', None)]"

# A detach of the instance being read does not wait for the read, which
# still gets everything it asked for (the selftests' client, reading
# only that instance: the dump then says the PMs changed,
# NLM_F_DUMP_INTR).
fc set r slow read_ms 100 >/dev/null && echo 1 >"$HOLD"
{ ip netns exec "$B" "$FLOWOS_NL" stats r slow >"$TMP/read2" 2>&1 & }
slowwait 20 reading_is 1 || ktap_exit_fail_msg "the read never reached the PM"
ktest "a detach of the instance being read did not wait for the read" \
	still_reading fc detach r slow
release_reads
expect_eq "and that read came back whole" \
	"$(grep -c '^row after_sleep slept_ms=100 seen=5$' "$TMP/read2")" 1
expect_eq "and the PM's state was freed only after the read" \
	"$(cat "$EARLY_FINI")" 0

# So with a delete of the flow: the instance and the flow go at once.
fc create d proto udp prio 10 && fc attach d test_slowread name slow read_ms 100 >/dev/null ||
	ktap_exit_fail_msg "cannot attach the test PM"
expect_eq "udp traffic" "$(udp_send "$A" 10.0.0.2 9 3 10)" 3
echo 1 >"$HOLD"
{ ip netns exec "$B" "$FLOWOS_NL" stats d slow >"$TMP/read3" 2>&1 & }
slowwait 20 reading_is 1 || ktap_exit_fail_msg "the read never reached the PM"
ktest "a delete of the flow being read did not wait for the read" \
	still_reading fc delete d
release_reads
expect_eq "and that read came back whole" \
	"$(grep -c '^row after_sleep slept_ms=100 seen=3$' "$TMP/read3")" 1
expect_eq "and the PM's state was freed only after the read" \
	"$(cat "$EARLY_FINI")" 0

# Anyone may read; what reads hold is bounded for everyone together.
expect_eq "an unprivileged user reads the results" \
	"$(ip netns exec "$B" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$FLOWCTL" -j stats r | python3 -c 'import json, sys; print([p["name"] for p in json.load(sys.stdin)["pms"]])')" \
	"['other']"
fc delete r
ktest "the test PM's module unloads once no instance or read holds it" \
	rmmod flowos_pm_slowread
ktap_finished
