#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/vm turns a kernel problem into a failed run with a message that
# says what happened: a WARN in the guest (quoting the warning), a guest
# panic, a guest that hangs.  Runs on the host, on the default kernel.
. "$FLOWOS_REPO/selftests/lib.sh"

VM=$FLOWOS_REPO/scripts/vm
KVER=${FLOWOS_KERNEL:-$("$FLOWOS_REPO/scripts/kernels" | tail -n 1)}
WARN_KO=$FLOWOS_REPO/build/$KVER/harness/warn_on_init.ko
err=$(mktemp)
trap 'rm -f "$err"' EXIT

ktap_print_header
ktap_set_plan 6

# Run scripts/vm; stderr lands in $err, the status in $rc.
vm() {
	"$VM" --kernel "$KVER" "$@" >/dev/null 2>"$err"
	rc=$?
}

if [ -r "$WARN_KO" ]; then
	vm -- insmod "$WARN_KO"
	ktest "a WARN in the guest fails a command that succeeded" test "$rc" -ne 0
	ktest "the failure quotes the warning and where it fired" \
		grep -qE 'vm: .*WARNING: .*flowos_harness_warn' "$err"
else
	ktap_test_fail "no $WARN_KO (make test-modules)"
	ktap_test_fail "no $WARN_KO (make test-modules)"
fi

vm -- sh -c 'echo c >/proc/sysrq-trigger'
ktest "a guest panic exits 125" test "$rc" -eq 125
ktest "a guest panic is reported as one" grep -q 'vm: guest kernel .* panicked' "$err"

vm --timeout 20 -- sleep 600
ktest "a guest that hangs exits 124 at the timeout" test "$rc" -eq 124
ktest "a hang is reported as a timeout" grep -q 'vm: guest .* timed out after 20s' "$err"

ktap_finished
