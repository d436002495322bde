#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flowctl's bash completion (tools/flowctl/flowctl.bash), as bash runs it
# when TAB is pressed: COMP_WORDS and COMP_CWORD set, the function
# called, COMPREPLY read.  What it offers must be what this test made in
# the kernel: the flows of the namespace -n names and no other's, the PM
# types loaded, their parameters (for set, the live ones, as flowctl(8)
# lists them for stats), the instances of a flow.
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
COMPLETION=$FLOWOS_REPO/tools/flowctl/flowctl.bash
PMS=$FLOWOS_BUILD/pms
B=compl-b-$$-$RANDOM

cleanup() {
	netns_del "$B"
	flowos_unload
}
trap cleanup EXIT

# offered LINE: what completing LINE offers (its last word; a LINE that
# ends in a blank completes a new word), sorted, on one line; "(none)"
# if nothing.
offered() {
	bash -c '
		. "$1"
		read -ra COMP_WORDS <<<"$2"
		COMP_WORDS[0]=$3
		[ "${2: -1}" = " " ] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_flowctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | xargs | grep . || echo "(none)"' \
		_ "$COMPLETION" "$1" "$FLOWCTL"
}

# expect_offered LINE WORDS: completing LINE offers exactly WORDS.
expect_offered() {
	expect_eq "'$1': $2" "$(offered "$1")" "$2"
}

ktap_print_header
require_root
ktap_set_plan 20

flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load && insmod "$PMS/count/flowos_pm_count.ko" &&
	insmod "$PMS/stats/flowos_pm_stats.ko" ||
	ktap_exit_fail_msg "cannot load flowos, count and stats"
ip netns add "$B" && ip -n "$B" link add vb type dummy ||
	ktap_exit_fail_msg "cannot make the namespace"
"$FLOWCTL" -n "$B" create web proto tcp dport 80 attach count name c \
	attach stats name s &&
	"$FLOWCTL" -n "$B" create dns proto udp dport 53 ||
	ktap_exit_fail_msg "cannot make the flows"

expect_offered "flowctl de" "delete detach"
expect_offered "flowctl -n $B exporter " "--listen --namespace"
expect_offered "flowctl -n " "$(ip netns list | awk '{ print $1 }' | sort | xargs)"
expect_offered "flowctl -n $B delete " "dns web"
expect_offered "flowctl delete " "(none)"
expect_offered "flowctl -n $B stats " "--watch dns web"
expect_offered "flowctl -n $B attach web " "count stats"
expect_offered "flowctl -n $B attach web count " \
	"key max_subflows name order report window workers"
expect_offered "flowctl -n $B attach web count report " "(none)"
expect_offered "flowctl -n $B detach web " "c s"
expect_offered "flowctl -n $B set web s " "h k last x"
expect_offered "flowctl -n $B set web s k 5 " "h k last x"
expect_offered "flowctl -n $B create x proto " "icmp icmpv6 sctp tcp udp"
expect_offered "flowctl -n $B create x ip proto udp d" "dev dir dport dscp dst"
# B's devices: lo, vb, and whatever the kernel adds to every namespace
# (the debug kernel's built-in sit makes sit0).
DEVS=$(ip netns exec "$B" ls /sys/class/net | sort | xargs)
expect_offered "flowctl -n $B create x proto udp dev " "$DEVS"
expect_offered "flowctl -n $B create x proto icmp icmp-type echo-" \
	"echo-reply echo-request"
expect_offered "flowctl -n $B create x dscp af1" "af11 af12 af13"
expect_offered "flowctl -n $B create x dir out oifname " "$DEVS"
expect_offered "flowctl -n $B create x proto udp attach count report 5 " \
	"attach key max_subflows name order report window workers"
expect_offered "flowctl -n $B create x attach count attach " "count stats"
ktap_finished
