#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of "make bench": receive-path cost per packet, measured
# with pktgen (xmit_mode netif_receive) on a dummy device, 64-byte UDP
# frames (60 + FCS) from many 5-tuples, under qemu's instruction-counting
# clock, where a guest nanosecond is one instruction: pps in guest time
# is an exact, repeatable proxy for instructions per packet.
#
#   bench-guest.sh BUILD_DIR PACKETS ROUNDS
#
# Prints one CSV line per run: round,config,packets,pps,drops (units the
# PMs did not get).  Configurations run interleaved within each round.
# The single vCPU that icount needs runs pktgen's thread to the end before
# a PM thread gets to run, so the flow's rings (qlen 65536) must hold a
# whole run: PACKETS stays below that, and a run with drops says so.
set -u

BUILD=${1:?usage: bench-guest.sh BUILD_DIR PACKETS ROUNDS}
PACKETS=${2:-60000}
ROUNDS=${3:-3}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLOWCTL=$REPO/tools/flowctl/flowctl
DEV=bench0

pg() { echo "$2" >"/proc/net/pktgen/$1"; }

setup_pktgen() {
	local mac c

	modprobe pktgen && modprobe nf_defrag_ipv4 && modprobe nf_defrag_ipv6 || return 1
	ip link add $DEV type dummy && ip link set $DEV up || return 1
	mac=$(cat /sys/class/net/$DEV/address)
	pg kpktgend_0 "rem_device_all"
	pg kpktgend_0 "add_device $DEV"
	# 256 sources x 16 source ports: 4096 distinct 5-tuples.  The
	# destination is not local and forwarding is off: the stack drops
	# each packet after PRE_ROUTING and routing, sending nothing back.
	for c in "pkt_size 60" "clone_skb 0" "xmit_mode netif_receive" \
		"dst_mac $mac" "dst_min 10.2.0.1" "dst_max 10.2.0.1" \
		"src_min 10.3.0.0" "src_max 10.3.0.255" "flag IPSRC_RND" \
		"udp_src_min 1000" "udp_src_max 1015" "flag UDPSRC_RND" \
		"udp_dst_min 9" "udp_dst_max 9"; do
		pg $DEV "$c" || return 1
	done
}

# run COUNT: send COUNT packets, print the pps pktgen measured.
run() {
	pg $DEV "count $1"
	pg pgctrl start
	sed -n 's/^ *\([0-9]*\)pps.*/\1/p' /proc/net/pktgen/$DEV
}

load_flowos() {
	insmod "$BUILD/kmod/flowos.ko" && insmod "$BUILD/pms/count/flowos_pm_count.ko"
}

# Deleting the flows detaches the PMs; then both modules go.
unload_flowos() {
	"$FLOWCTL" delete hit
	rmmod flowos_pm_count flowos
}

# Each config: set up, run, report, tear down.
cfg_nohook() { run "$PACKETS"; }

cfg_nftables() {
	nft -f - <<'NFT' || return 1
table ip bench {
	set flows {
		type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service
		flags dynamic
		size 65536
	}
	chain pre {
		type filter hook prerouting priority -150;
		update @flows { ip saddr . ip daddr . meta l4proto . udp sport . udp dport counter }
	}
}
NFT
	run "$PACKETS"
	nft delete table ip bench
}

# flows N [PM]: N flows, the packets matching the last one added.
flows_with() {
	local n=$1 pm=${2:-} i pps

	load_flowos || return 1
	for i in $(seq 2 "$n"); do
		"$FLOWCTL" create "f$i" proto udp dport $((20000 + i)) || return 1
	done
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 || return 1
	[ -z "$pm" ] || "$FLOWCTL" attach hit "$pm" || return 1
	pps=$(run "$PACKETS")
	echo "$pps $("$FLOWCTL" -j show hit | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print(s["ring_drops"] + s["mem_drops"])')"
	unload_flowos
}

CONFIGS="nohook nftables flowos flowos_count flowos_100 flowos_1000"

one() {
	case $1 in
	nohook) echo "$(cfg_nohook) 0" ;;
	nftables) echo "$(cfg_nftables) 0" ;;
	flowos) flows_with 1 ;;
	flowos_count) flows_with 1 count ;;
	flowos_100) flows_with 100 ;;
	flowos_1000) flows_with 1000 ;;
	esac
}

setup_pktgen || { echo "bench: cannot set up pktgen" >&2; exit 1; }
run 10000 >/dev/null	# warm up caches and the slab
echo "round,config,packets,pps,drops"
for round in $(seq 1 "$ROUNDS"); do
	for c in $CONFIGS; do
		# Not "< <(one ...)": the next run must wait for this teardown.
		out=$(one "$c")
		read -r pps drops <<<"$out"
		echo "$round,$c,$PACKETS,${pps:-0},${drops:-0}"
	done
done
