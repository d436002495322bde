# SPDX-License-Identifier: GPL-2.0
#
# Sourced by every flowos selftest: the kernel's KTAP helpers plus the
# few things flowos tests share.  Tests run under selftests/run.sh, which
# exports FLOWOS_REPO and KSFT_DIR.

# shellcheck source=/dev/null
. "$KSFT_DIR/kselftest/ktap_helpers.sh"

# Module objects for the running kernel (built by make check / make).
FLOWOS_BUILD=${FLOWOS_BUILD:-$FLOWOS_REPO/build/$(uname -r)}
FLOWOS_KO=$FLOWOS_BUILD/kmod/flowos.ko

# Taint bits that loading flowos may add: O (out-of-tree), E (unsigned).
TAINT_OOT=$((1 << 12))
TAINT_UNSIGNED=$((1 << 13))

# ktest DESCRIPTION COMMAND [ARG...]: one KTAP result for one command.
# Use this, not ktap_test_result, which expands its command unquoted and
# so splits any argument holding a space.
ktest() {
	local desc=$1

	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
	fi
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "needs root"
		exit "$KSFT_SKIP"
	fi
}

# Taint bits set now that were not in $1, other than O and E.
unexpected_taint() {
	local now
	now=$(cat /proc/sys/kernel/tainted)
	echo $(((now & ~$1) & ~(TAINT_OOT | TAINT_UNSIGNED)))
}

# The kernel log from a marker this test wrote on, for its own checks.
dmesg_mark() {
	FLOWOS_DMESG_MARK="flowos-selftest: $1 $$ $RANDOM"
	echo "$FLOWOS_DMESG_MARK" >/dev/kmsg
}

dmesg_since_mark() {
	dmesg | sed -n "/$FLOWOS_DMESG_MARK/,\$p" | tail -n +2
}

# flowos_unload: remove flowos if loaded; true when it is gone.
flowos_unload() {
	[ -d /sys/module/flowos ] || return 0
	rmmod flowos && [ ! -d /sys/module/flowos ]
}
