#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Many namespaces with flows go away at once, and flowos lets go of all
# of them, in one pass.
#
#   +-------------+ +-------------+         +-------------+
#   | ns 1        | | ns 2        |   ...   | ns N        |
#   |  flow f     | |  flow f     |         |  flow f     |
#   |   + count   | |   + count   |         |   + count   |
#   +-------------+ +-------------+         +-------------+
#              all deleted by one "ip -batch"
#
# Each namespace has a flow with a count PM attached: a kernel thread and
# a reference on the count PM's module.  Once the namespaces are deleted
# the kernel dismantles them in batches; flowos must stop every thread and
# drop every reference (the module's refcnt says so), and then both
# modules unload, with nothing in the kernel log.  The time from the
# deletion until the last reference is dropped is printed: flowos's
# teardown of a batch is one pass under its mutex, not one per namespace.
. "$FLOWOS_REPO/selftests/lib.sh"

N=100
FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
COUNT_KO=$FLOWOS_BUILD/pms/count/flowos_pm_count.ko
PREFIX=flowos-n-$$-$RANDOM
TMP=$(mktemp -d)

cleanup() {
	local i

	for ((i = 0; i < N; i++)); do
		echo "netns del $PREFIX-$i"
	done | ip -force -batch - 2>/dev/null
	rmmod flowos_pm_count 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

count_refs() {
	cat /sys/module/flowos_pm_count/refcnt
}

pm_threads() {
	pgrep -c -x 'flowos/count'
}

# N namespaces, each with one flow and one count instance.
setup() {
	local i ns

	for ((i = 0; i < N; i++)); do
		echo "netns add $PREFIX-$i"
	done | ip -batch - || return 1
	for ((i = 0; i < N; i++)); do
		ns=$PREFIX-$i
		"$FLOWCTL" -n "$ns" create f proto icmp >/dev/null &&
			"$FLOWCTL" -n "$ns" attach f count >/dev/null || return 1
	done
}

ktap_print_header
require_root
ktap_set_plan 6

[ -x "$FLOWCTL" ] || ktap_exit_fail_msg "no $FLOWCTL (make tools)"
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load && insmod "$COUNT_KO" || ktap_exit_fail_msg "cannot load flowos and count"
dmesg_mark netns

ktest "$N namespaces, each with a flow and a count PM" setup
expect_eq "one count thread and one module reference per namespace" \
	"$(pm_threads):$(count_refs)" "$N:$N"

for ((i = 0; i < N; i++)); do
	echo "netns del $PREFIX-$i"
done >"$TMP/del"
start=$(date +%s%N)
ip -batch "$TMP/del"
deleted=$?
all_gone() { [ "$(count_refs)" -eq 0 ]; }
slowwait 300 all_gone
gone=$?
end=$(date +%s%N)
ktap_print_msg "$N namespaces deleted at once: flowos let go of them all in $(((end - start) / 1000000)) ms"
ktest "all $N namespaces deleted with one ip -batch" test "$deleted" -eq 0
expect_eq "every count instance detached, its thread stopped" \
	"$gone:$(count_refs):$(pm_threads)" "0:0:0"

ktest "the count PM and flowos unload" \
	sh -c 'rmmod flowos_pm_count && rmmod flowos'
ktest "the kernel log says nothing of flowos going away" \
	test -z "$(dmesg_since_mark | grep -E 'WARNING|BUG|leak|flowos.*(error|fail)')"

ktap_finished
