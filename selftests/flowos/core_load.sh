#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The core module loads on this kernel, shows itself in /sys with the
# version the module file carries, taints nothing beyond out-of-tree,
# refuses a second load, and unloads without leaving anything behind,
# many times over.
. "$FLOWOS_REPO/selftests/lib.sh"

LOOPS=20

ktap_print_header
require_root
ktap_set_plan 9

taint_before=$(cat /proc/sys/kernel/tainted)
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
version=$(modinfo -F version "$FLOWOS_KO" 2>/dev/null)

ktest "flowos.ko is built for $(uname -r)" \
	test "$(modinfo -F vermagic "$FLOWOS_KO" | cut -d' ' -f1)" = "$(uname -r)"

dmesg_mark load
ktest "insmod flowos.ko succeeds" flowos_load

ktest "the module is live" \
	test "$(cat /sys/module/flowos/initstate 2>/dev/null)" = live

ktest "/sys/kernel/flowos/version is the module's version ($version)" \
	test -n "$version" -a "$(cat /sys/kernel/flowos/version 2>/dev/null)" = "$version"

ktest "the kernel logs the version it loaded" \
	grep -q "flowos: version $version loaded" <(dmesg_since_mark)

ktest "loading adds no taint beyond out-of-tree and unsigned" \
	test "$(unexpected_taint "$taint_before")" -eq 0

second_load_refused() {
	! insmod "$FLOWOS_KO" 2>/dev/null &&
		test "$(cat /sys/kernel/flowos/version)" = "$version"
}
ktest "a second insmod is refused and the loaded one still works" \
	second_load_refused

unloaded_cleanly() {
	rmmod flowos && [ ! -e /sys/module/flowos ] && [ ! -e /sys/kernel/flowos ]
}
ktest "rmmod removes the module and /sys/kernel/flowos" unloaded_cleanly

load_unload_loop() {
	local i
	for ((i = 0; i < LOOPS; i++)); do
		insmod "$FLOWOS_KO" &&
			test "$(cat /sys/kernel/flowos/version)" = "$version" &&
			unloaded_cleanly || return 1
	done
}
ktest "$LOOPS load/unload cycles each succeed" load_unload_loop

ktap_finished
