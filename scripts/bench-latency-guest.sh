#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of "make bench"'s latency part: what an inline flow
# adds to a packet's way.  Namespace A pings B over veth, COUNT echo
# requests per run, with, on B's ingress: no flow ("none"), a passive
# flow with the count PM ("passive"), an inline flow with the count PM
# ("inline": each request waits in B until count has released it).
# Under qemu's instruction-counting clock a guest microsecond is a
# thousand instructions, so an RTT is the work between a request and
# its reply, idle time left out (icount's sleep=off).
#
#   bench-latency-guest.sh BUILD_DIR COUNT ROUNDS
#
# Prints one CSV line per echo reply: round,config,seq,rtt_us, the
# configurations interleaved within each round.
set -u

BUILD=${1:?usage: bench-latency-guest.sh BUILD_DIR COUNT ROUNDS}
COUNT=${2:-200}
ROUNDS=${3:-3}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLOWCTL=$REPO/tools/flowctl/flowctl
A=lat-a
B=lat-b

setup() {
	local mac_a mac_b

	modprobe nf_defrag_ipv4 && modprobe nf_defrag_ipv6 &&
	insmod "$BUILD/kmod/flowos.ko" &&
	insmod "$BUILD/pms/count/flowos_pm_count.ko" || return 1
	ip netns add $A && ip netns add $B &&
	ip link add va netns $A type veth peer name vb netns $B &&
	ip -n $A addr add 10.0.0.1/24 dev va && ip -n $B addr add 10.0.0.2/24 dev vb &&
	ip -n $A link set va up && ip -n $B link set vb up &&
	ip -n $A link set lo up && ip -n $B link set lo up || return 1
	# No ARP on the way: every RTT is one request and one reply.
	mac_a=$(ip -n $A -br link show va | awk '{print $3}')
	mac_b=$(ip -n $B -br link show vb | awk '{print $3}')
	ip -n $A neigh add 10.0.0.2 lladdr "$mac_b" dev va nud permanent &&
	ip -n $B neigh add 10.0.0.1 lladdr "$mac_a" dev vb nud permanent
}

# run ROUND CONFIG: COUNT pings 20 ms apart, one CSV line per reply.
run() {
	ip netns exec $A ping -n -c "$COUNT" -i 0.02 10.0.0.2 |
		sed -n "s/.*icmp_seq=\([0-9]*\) .*time=\([0-9.]*\) ms.*/$1,$2,\1,\2/p" |
		awk -F, -v OFS=, '{ $4 = sprintf("%.0f", $4 * 1000); print }'
}

one() {
	case $2 in
	none)
		run "$1" none ;;
	passive)
		"$FLOWCTL" -n $B create lat proto icmp &&
			"$FLOWCTL" -n $B attach lat count &&
			run "$1" passive
		"$FLOWCTL" -n $B delete lat ;;
	inline)
		"$FLOWCTL" -n $B create lat proto icmp mode inline &&
			"$FLOWCTL" -n $B attach lat count &&
			run "$1" inline
		"$FLOWCTL" -n $B delete lat ;;
	esac
}

setup || { echo "bench-latency: cannot set up" >&2; exit 1; }
run 0 warmup >/dev/null
echo "round,config,seq,rtt_us"
for round in $(seq 1 "$ROUNDS"); do
	for c in none passive inline; do
		one "$round" "$c"
	done
done
