#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/dmesg-check flags each kind of kernel report (lines as the
# kernel prints them), ignores what came before the command started, and
# leaves ordinary module messages alone.
. "$FLOWOS_REPO/selftests/lib.sh"

CHECK=$FLOWOS_REPO/scripts/dmesg-check
START='[    4.000000] flowos-vm: command start'

REPORTS=(
	'[    5.1] WARNING: CPU: 0 PID: 130 at /work/main/warn_on_init.c:11 flowos_harness_warn+0x5/0x10 [warn_on_init]'
	'[    5.1] BUG: sleeping function called from invalid context at mm/slab.h:712'
	'[    5.1] BUG: KASAN: slab-use-after-free in flowos_flow_put+0x1c/0x60 [flowos]'
	'[    5.1] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP'
	'[    5.1] Oops: 0000 [#1] PREEMPT SMP NOPTI'
	'[    5.1] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)'
	'[    5.1] WARNING: possible circular locking dependency detected'
	'[    5.1] WARNING: suspicious RCU usage'
	'[    5.1] UBSAN: array-index-out-of-bounds in kmod/classify.c:42:7'
	'[    5.1] refcount_t: underflow; use-after-free.'
	'[    5.1] list_add corruption. prev->next should be next (ffff8880), but was 0000000000000000.'
	'[  125.1] INFO: task kworker/0:1:32 blocked for more than 120 seconds.'
	'[   25.1] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'
	'[    5.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [flowos/0:140]'
)

BENIGN=(
	'[    5.1] flowos: loading out-of-tree module taints kernel.'
	'[    5.1] flowos: module verification failed: signature and/or required key missing - tainting kernel'
	'[    5.1] flowos: version 0.1.0 loaded'
	'[    5.1] IPv6: ADDRCONF(NETDEV_CHANGE): veth0: link becomes ready'
	'[    5.1] flowos-vm: command end, status 0'
)

ktap_print_header
ktap_set_plan $((${#REPORTS[@]} + 3))

for line in "${REPORTS[@]}"; do
	ktest "flags: ${line#\[*\] }" \
		test "$(printf '%s\n%s\n' "$START" "$line" | "$CHECK")" = "$line"
done

ktest "a clean log after the marker passes" \
	"$CHECK" < <(printf '%s\n' "$START" "${BENIGN[@]}")

ktest "a boot-time notice before the marker does not count" \
	"$CHECK" < <(printf '%s\n' \
		'[    0.1] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!' \
		"$START" "${BENIGN[@]}")

ktest "without a marker the whole log is checked" \
	test "$(printf '%s\n' "${BENIGN[0]}" "${REPORTS[0]}" | "$CHECK")" = "${REPORTS[0]}"

ktap_finished
