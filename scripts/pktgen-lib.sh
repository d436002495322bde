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
		"src_min 10.3.0.0" "src_max 10.3.$(($4 / 256)).$(($4 % 256))" \
		"flag IPSRC_RND" "udp_src_min 1000" "udp_src_max $((1000 + $5))" \
		"flag UDPSRC_RND" "udp_dst_min 9" "udp_dst_max 9"; do
		pg "$dev" "$c" || return 1
	done
}
