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
# so splits any argument holding a space.  ktap_helpers.sh also echoes
# descriptions unquoted: never put a glob character ("*") in one.
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

# The selftests' own netlink client (selftests/lib/flowos_nl.c).
FLOWOS_NL=$FLOWOS_REPO/build/selftests/flowos_nl

# flowos_load: load flowos.ko and the modules it needs.
flowos_load() {
	local dep

	for dep in $(modinfo -F depends "$FLOWOS_KO" | tr ',' ' '); do
		modprobe "$dep" || return 1
	done
	insmod "$FLOWOS_KO"
}

# expect_eq DESCRIPTION GOT WANT: one KTAP result, saying both on failure.
expect_eq() {
	if [ "$2" = "$3" ]; then
		ktap_test_pass "$1"
	else
		ktap_print_msg "got '$2', want '$3'"
		ktap_test_fail "$1"
	fi
}

# flow_stat NETNS FLOW KEY: one value of "flowos_nl get FLOW" in NETNS.
flow_stat() {
	ip netns exec "$1" "$FLOWOS_NL" get "$2" | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# slowwait SECONDS COMMAND...: retry COMMAND every 0.1s until it succeeds
# or SECONDS pass (as the kernel's net/lib.sh does).  Never a bare sleep.
slowwait() {
	local deadline=$((SECONDS + $1))

	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# flowos_unload: remove flowos if loaded; true when it is gone.
flowos_unload() {
	[ -d /sys/module/flowos ] || return 0
	rmmod flowos && [ ! -d /sys/module/flowos ]
}
