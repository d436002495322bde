# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the benchmarks and selftests that drive pktgen: frames
# injected into the receive path (xmit_mode netif_receive), as if a NIC
# had received them, so that PRE_ROUTING hooks run.

# pg FILE LINE: one pktgen command to /proc/net/pktgen/FILE.
pg() { echo "$2" >"/proc/net/pktgen/$1"; }

# pktgen_udp DEV MAC SIZE SOURCES SPORTS: have pktgen device DEV (a
# device, or "DEV@N" for another thread's copy) send SIZE-byte UDP frames
# to port 9 of 10.2.0.1 from SOURCES random addresses of 10.3.0.0/16 and
# SPORTS random ports from 1000: SOURCES x SPORTS 5-tuples.  MAC must be
# the device's own address.  The destination is not local and forwarding
# is off: the stack drops each packet after routing, and sends nothing
# back.  pktgen draws a random address or port from [min, max), so max
# is one past the last.
pktgen_udp() {
	local dev=$1 c

	for c in "pkt_size $3" "clone_skb 0" "xmit_mode netif_receive" \
		"dst_mac $2" "dst_min 10.2.0.1" "dst_max 10.2.0.1" \
		"src_min 10.3.0.0" "src_max $(ipv4_of $((0x0a030000 + $4)))" \
		"flag IPSRC_RND" "udp_src_min 1000" "udp_src_max $((1000 + $5))" \
		"flag UDPSRC_RND" "udp_dst_min 9" "udp_dst_max 9"; do
		pg "$dev" "$c" || return 1
	done
}

# pktgen_udp_seq DEV FIRST N PORT: pktgen_udp's frames on DEV, but from
# N sources taken in order, 10.3.0.0 + FIRST on, and source port PORT
# only: N packets are N distinct 5-tuples.  In order, pktgen's range
# includes its maximum, and each start begins again at its minimum.
# pktgen_udp sets DEV back to random draws.
pktgen_udp_seq() {
	local dev=$1 first=$((0x0a030000 + $2)) c

	for c in "flag !IPSRC_RND" "flag !UDPSRC_RND" "src_min $(ipv4_of $first)" \
		"src_max $(ipv4_of $((first + $3 - 1)))" "udp_src_min $4" \
		"udp_src_max $4"; do
		pg "$dev" "$c" || return 1
	done
}

# ipv4_of N: the dotted quad of the 32-bit number N.
ipv4_of() {
	echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"
}
