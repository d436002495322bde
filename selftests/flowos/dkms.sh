#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flowos as DKMS installs it ("make dkms-install" on the host, which
# scripts/check does before booting this): the system's own modprobe
# finds the modules under updates/dkms, loads flowos with what it
# depends on, and "flowctl attach" loads each PM by its alias; the PMs
# loaded that way count and match real traffic exactly; modprobe -r
# takes it all away.
# Nothing here uses the build tree's modules.
#
#   ns A  va 10.0.0.1 ---- veth ---- vb 10.0.0.2  ns B  (the flow in B)
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
A=dkms-a-$$-$RANDOM
B=dkms-b-$$-$RANDOM
PMS="count match stats"

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	modprobe -r flowos_pm_count flowos_pm_match flowos_pm_stats flowos 2>/dev/null
}

fc() { "$FLOWCTL" -n "$B" "$@"; }

# The DKMS package version, as dkms.conf says it.
dkms_version() {
	sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$FLOWOS_REPO/dkms.conf"
}

# installed_by_dkms MODULE: modprobe's copy of MODULE is DKMS's.
installed_by_dkms() {
	case $(modinfo -n "$1" 2>/dev/null) in
	/lib/modules/"$(uname -r)"/updates/dkms/*) return 0 ;;
	*) return 1 ;;
	esac
}

# The loaded flowos is the file modprobe found, not another build.
same_srcversion() {
	test -n "$(modinfo -F srcversion flowos)" &&
		test "$(cat /sys/module/flowos/srcversion)" = "$(modinfo -F srcversion flowos)"
}

# result PM EXPR: a Python expression over the results (r) of PM on
# flow "dg".
result() {
	fc -j stats dg | python3 -c '
import json, sys
r = [p for p in json.load(sys.stdin)["pms"] if p["name"] == sys.argv[1]][0]["results"]
print(eval(sys.argv[2]))' "$1" "$2"
}

# processed N: each of the three PMs on "dg" has processed N units.
processed() {
	fc -j stats dg | python3 -c '
import json, sys
p = json.load(sys.stdin)["pms"]
sys.exit(len(p) != 3 or any(i["processed"] != int(sys.argv[1]) for i in p))' "$1"
}

test_load() {
	local pm

	ktest "modinfo finds flowos under updates/dkms" installed_by_dkms flowos
	for pm in $PMS; do
		ktest "modinfo finds flowos_pm_$pm under updates/dkms" \
			installed_by_dkms "flowos_pm_$pm"
	done
	ktest "modprobe flowos loads it and what it depends on" modprobe flowos
	ktest "the loaded flowos is the DKMS-installed file" same_srcversion
	expect_eq "its version is dkms.conf's PACKAGE_VERSION" \
		"$(cat /sys/kernel/flowos/version 2>/dev/null)" "$(dkms_version)"
}

# 6 datagrams of 100 bytes, "flowos!" over and over: 14 whole patterns
# in each.
test_pms() {
	veth_pair "$A" "$B" || return 1
	fc create dg proto udp dport 9000 || return 1
	ktest "attach count loads flowos_pm_count by its alias" \
		bash -c "$FLOWCTL -n $B attach dg count && test -d /sys/module/flowos_pm_count"
	ktest "attach match loads flowos_pm_match by its alias" \
		bash -c "$FLOWCTL -n $B attach dg match pattern flowos! && test -d /sys/module/flowos_pm_match"
	ktest "attach stats loads flowos_pm_stats by its alias" \
		bash -c "$FLOWCTL -n $B attach dg stats && test -d /sys/module/flowos_pm_stats"
	expect_eq "6 datagrams sent" "$(udp_send "$A" 10.0.0.2 9000 6 100 flowos!)" 6
	ktest "the three PMs process all 6" slowwait 10 processed 6
	expect_eq "the count PM counts them" "$(result count 'r["packets"]')" 6
	expect_eq "the stats PM has their bytes: 6 x (20 + 8 + 100)" \
		"$(result stats 'r["bytes"]')" $((6 * 128))
	expect_eq "the match PM finds the pattern 6 x 14 times" \
		"$(result match 'r["patterns"][0]["matches"]')" $((6 * 14))
}

test_unload() {
	fc delete dg
	ktest "modprobe -r unloads the PMs and flowos" \
		modprobe -r flowos_pm_count flowos_pm_match flowos_pm_stats flowos
	ktest "nothing of flowos is left in /sys" \
		test ! -e /sys/module/flowos -a ! -e /sys/kernel/flowos
}

ktap_print_header
require_root
if ! installed_by_dkms flowos; then
	ktap_skip_all "flowos is not installed by DKMS for $(uname -r) (make dkms-install; make check does)"
	exit "$KSFT_SKIP"
fi
if [ -d /sys/module/flowos ]; then
	ktap_skip_all "flowos is loaded already; this test loads it itself"
	exit "$KSFT_SKIP"
fi
trap cleanup EXIT
taint_before=$(cat /proc/sys/kernel/tainted)
ktap_set_plan 18

test_load
test_pms
test_unload
ktest "no taint beyond out-of-tree and unsigned" \
	test "$(unexpected_taint "$taint_before")" -eq 0

ktap_finished
