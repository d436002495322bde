#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/vm boots each supported kernel, runs the command there and exits
# with the command's exit status.  Runs on the host.
. "$FLOWOS_REPO/selftests/lib.sh"

KERNELS=${FLOWOS_KERNELS:-$("$FLOWOS_REPO/scripts/kernels")}

ktap_print_header
ktap_set_plan $(($(echo $KERNELS | wc -w) * 2))

for k in $KERNELS; do
	out=$("$FLOWOS_REPO/scripts/vm" --kernel "$k" -- sh -c 'uname -r; exit 3' 2>&1)
	rc=$?
	ktest "$k: the guest runs the command on that kernel" \
		test "$(echo "$out" | head -n 1)" = "$k"
	ktest "$k: scripts/vm exits with the command's status (3)" test "$rc" -eq 3
done

ktap_finished
