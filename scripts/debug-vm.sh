# SPDX-License-Identifier: GPL-2.0
#
# Sourced by scripts/check-debug and scripts/stress: debug_vm_prepare LOG
# builds (once; scripts/debug-kernel) the debug kernel, then flowos, its
# test modules, tools and selftest helpers against it (output in LOG),
# and sets DEBUG_VM_ARGS to the scripts/vm options that boot it with
# those modules.  Call from the repository's top.

# KASAN and lockdep make the guest a few times slower, and bigger.
debug_vm_prepare() {
	local log=$1 tree kver

	tree=$(scripts/debug-kernel | tail -n 1) || return 1
	kver=$(cat "$tree/include/config/kernel.release")
	echo "# debug kernel: $kver"
	if ! make -s modules test-modules KDIR="$tree" >"$log" 2>&1; then
		tail -n 30 "$log"
		echo "flowos does not build for $kver" >&2
		return 1
	fi
	make -s tools && make -s -C selftests/lib || return 1
	DEBUG_VM_ARGS=(--kernel "$tree/arch/x86/boot/bzImage"
		       --modules "$tree/root/lib/modules/$kver" --mem 3072)
}
