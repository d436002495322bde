#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The rewrite PM: a read-write PM that replaces a pattern in the payload
# of an inline flow, on a router and on a sender's egress.
#
#   +----- A -----+        +------------ R ------------+        +----- B -----+
#   | sender      |        | router, inline flows:     |        | receivers   |
#   | 10.0.1.1 a0 +- veth -+ r0  "fwd" tcp 80  r1      +- veth -+ b0 10.0.2.1 |
#   | fd01::1     |        |     "udp" udp 5000-5002   |        | fd02::1     |
#   | flow "out" (dir out, tcp 81)                     |        |             |
#   +-------------+        +---------------------------+        +-------------+
#
# The truth is what the receivers got against what the sender sent, with
# every occurrence replaced as Python's bytes.replace() does it
# (selftests/lib/rewrite_traffic.py), and tshark's checksum validation of
# every segment captured on b0, after the rewrite.  A sends with its
# checksums made in software (tx off on a0), so R's packets carry full
# checksums that rewrite must fix (CHECKSUM_NONE); A's own egress flow
# sees CHECKSUM_PARTIAL packets, summed after it.  B's b0 checks every
# checksum itself (rx off): a wrong one would be dropped, not delivered.
. "$FLOWOS_REPO/selftests/lib.sh"

TRAFFIC=$FLOWOS_REPO/selftests/lib/rewrite_traffic.py
PMS=$FLOWOS_BUILD/pms
# Long enough that a loaded guest's sender, 2 ms between writes, always
# sends the next segment in time; history: the whole stream's
# occurrences, so that any retransmission finds its replacements.
HOLD="hold 1s history 1024 max_conns 64"
router_test

fc() { flowctl_in "$@"; }

setup() {
	router_topology "$A" "$R" "$B" &&
	ip netns exec "$A" ethtool -K a0 tx off >/dev/null &&
	ip netns exec "$A" sysctl -qw net.ipv4.tcp_timestamps=0 &&
	ip netns exec "$B" ethtool -K b0 rx off >/dev/null &&
	flowos_load && insmod "$PMS/count/flowos_pm_count.ko" &&
	insmod "$PMS/rewrite/flowos_pm_rewrite.ko" || return 1
	fc "$R" create fwd proto tcp dport 80 mode inline &&
	fc "$R" attach fwd count &&
	fc "$R" attach fwd rewrite order 1 pattern secret with XXXXXX $HOLD
}

test_refused() {
	fc "$R" create passive proto tcp dport 8080 || return 1
	expect_refused "refused: rewrite on a passive flow, whose packets went on" \
		"it needs an inline flow" \
		fc "$R" attach passive rewrite pattern secret with XXXXXX
	fc "$R" delete passive
	expect_refused "refused: a replacement of another length" \
		"with must be as long as pattern" \
		fc "$R" attach fwd rewrite name r2 order 2 pattern secret with XXX
	expect_refused "refused: no replacement" "missing or given too few times" \
		fc "$R" attach fwd rewrite name r2 order 2 pattern secret
	expect_refused "refused: a read-write PM in an order taken" \
		"its pipeline order to itself" \
		fc "$R" attach fwd rewrite name r2 pattern secret with XXXXXX
}

# transfer NS FLOW NAME DST PORT TAG: send the crafted stream from A to
# B's DST, capture it on b0; checks it all.
transfer() {
	local ns=$1 flow=$2 name=$3 dst=$4 port=$5 tag=$6
	local f=$TMP/${6// /_} sink dump occ straddling bad same intact whole
	local before expired
	local addr=10.0.2.1

	[[ $dst == *:* ]] && addr=fd02::1
	before=$(pm_stat "$ns" "$flow" "$name" rewritten)
	expired=$(pm_stat "$ns" "$flow" "$name" hold_expired)
	ip netns exec "$B" tcpdump -U -n -i b0 -w "$f.pcap" "tcp port $port" \
		2>"$f.err" &
	dump=$!
	slowwait 20 grep -q 'listening on' "$f.err"
	ip netns exec "$B" "$TRAFFIC" recv "$addr" "$port" "$f.got" &
	sink=$!
	slowwait 20 listening "$B" "$port"
	ip netns exec "$A" "$TRAFFIC" send "$dst" "$port" "$f.sent" 7
	wait "$sink"
	slowwait 20 flow_settled "$ns" "$flow"
	# tcpdump -U writes each packet as it comes; B's FIN, sent once B
	# read all of A's data, is the last to wait for.  libpcap indexes
	# tcp[] over IPv4 only: over IPv6 (no extension header here) the
	# flags are byte 40 + 13.
	slowwait 10 bash -c "tcpdump -nr '$f.pcap' 'tcp src port $port and
		((ip and tcp[tcpflags] & tcp-fin != 0) or
		 (ip6 and ip6[6] == 6 and ip6[53] & 1 != 0))' 2>/dev/null | grep -q ."
	kill "$dump"
	wait "$dump" 2>/dev/null
	tshark -r "$f.pcap" -o tcp.check_checksum:TRUE -Y "tcp.dstport == $port" \
		-T fields -e tcp.seq -e tcp.len -e tcp.checksum.status \
		>"$f.fields" 2>/dev/null
	read -r occ straddling bad same intact whole <<<"$("$TRAFFIC" check \
		"$f.sent" "$f.got" "$f.fields" secret XXXXXX)"
	expired=$(($(pm_stat "$ns" "$flow" "$name" hold_expired) - expired))
	if [ -z "${LET_GO:-}" ]; then
		expect_eq "$tag: B got the stream with every occurrence replaced, nothing else" \
			"$same" 1
	else
		# A sender whose window is spent waits for the acknowledgment
		# of the segment held: that one goes on after its hold, and
		# the occurrence it began stays whole, never half replaced.
		expect_eq "$tag: each occurrence B got replaced, or whole where a hold expired" \
			"$whole $([ "$intact" -le "$expired" ] && [ "$intact" -lt $((occ / 2)) ] &&
				echo ok || echo "$intact of $occ intact, $expired expired")" \
			"1 ok"
	fi
	expect_eq "$tag: rewritten counts each occurrence replaced, once" \
		"$(($(pm_stat "$ns" "$flow" "$name" rewritten) - before))" \
		"$((occ - intact))"
	expect_eq "$tag: some occurrences straddled segments (tshark), all replaced" \
		"$([ "$straddling" -ge 20 ] && echo yes || echo "only $straddling")" yes
	expect_eq "$tag: every segment B captured has a good checksum (tshark)" \
		"$bad" 0
}

# A's TCP segments retransmitted so far (/proc/net/snmp, both families).
retransmitted() {
	ip netns exec "$A" awk '/^Tcp:/ {
		if (!col) { for (i = 1; i <= NF; i++) if ($i == "RetransSegs") col = i }
		else print $col }' /proc/net/snmp
}

test_forward() {
	transfer "$R" fwd rewrite 10.0.2.1 80 "forward IPv4"
	transfer "$R" fwd rewrite fd02::1 80 "forward IPv6"
	expect_eq "forward: rewrite kept segments for the next, and none expired" \
		"$([ "$(pm_stat "$R" fwd rewrite held)" -gt 0 ] && echo yes) $(pm_stat "$R" fwd rewrite hold_expired) $(pm_stat "$R" fwd rewrite failed)" \
		"yes 0 0"
	expect_eq "forward: count, before rewrite, saw as many packets as R held" \
		"$(pm_stat "$R" fwd count processed)" "$(flow_stat "$R" fwd held)"
}

# R loses every 20th packet it forwards to B's port 80, after rewrite saw
# it (nftables' forward chain comes after PRE_ROUTING): A retransmits
# them, through R again, and each must come with the same replacements
# (the sender's copy holds the original), counted once.
test_retransmit() {
	local before

	before=$(retransmitted)
	ip netns exec "$R" nft -f - <<-'EOF' || return 1
		table inet lossy {
			chain forward {
				type filter hook forward priority 0;
				tcp dport 80 numgen inc mod 20 == 19 drop
			}
		}
	EOF
	LET_GO=1 transfer "$R" fwd rewrite 10.0.2.1 80 "lossy IPv4"
	ip netns exec "$R" nft delete table inet lossy
	expect_eq "lossy: A retransmitted segments through R (its TCP MIB)" \
		"$([ "$(($(retransmitted) - before))" -gt 0 ] && echo yes)" yes
}

# A's own egress: a flow on dir out rewrites what a local sender sends.
test_egress() {
	fc "$A" create out proto tcp dport 81 dir out mode inline &&
	fc "$A" attach out rewrite pattern secret with XXXXXX $HOLD || return 1
	transfer "$A" out rewrite fd02::1 81 "egress IPv6"
	fc "$A" delete out
}

# A segment that ends in "sec" waits for the next; the next comes late.
test_hold() {
	local got=$TMP/hold.got expired sink

	expired=$(pm_stat "$R" fwd rewrite hold_expired)
	ip netns exec "$B" "$TRAFFIC" recv 10.0.2.1 80 "$got" &
	sink=$!
	slowwait 20 listening "$B" 80
	ip netns exec "$A" "$TRAFFIC" split 10.0.2.1 80 3 "top sec" "ret, and a secret"
	wait "$sink"
	expect_eq "hold: past its hold time the kept segment went on unchanged" \
		"$(cat "$got") $(($(pm_stat "$R" fwd rewrite hold_expired) - expired))" \
		"top secret, and a XXXXXX 1"
}

# Detach while a segment is kept: it goes on, unchanged, at once.
test_detach_kept() {
	local got=$TMP/detach.got sink

	fc "$R" detach fwd rewrite &&
	fc "$R" attach fwd rewrite order 1 pattern secret with XXXXXX hold 10s ||
		return 1
	ip netns exec "$B" "$TRAFFIC" recv 10.0.2.1 80 "$got" &
	sink=$!
	slowwait 20 listening "$B" 80
	ip netns exec "$A" "$TRAFFIC" split 10.0.2.1 80 4 "kept sec" "ret" &
	slowwait 20 kept_one
	fc "$R" detach fwd rewrite
	expect_eq "detach: the kept segment went on when rewrite left" \
		"$(slowwait 3 flow_settled "$R" fwd && echo settled)" settled
	wait "$sink"
	expect_eq "detach: B got it all, unchanged after the detach" \
		"$(cat "$got")" "kept secret"
}

# spread NAME PART...: one connection whose writes are PART..., 0.1 s
# apart (one segment each: the one before is acknowledged by then);
# prints what B got, and how much "rewritten" and "missed" grew.
spread() {
	local got=$TMP/spread-$1.got sink rewritten missed

	shift
	rewritten=$(pm_stat "$R" fwd rewrite rewritten)
	missed=$(pm_stat "$R" fwd rewrite missed)
	ip netns exec "$B" "$TRAFFIC" recv 10.0.2.1 80 "$got" &
	sink=$!
	slowwait 20 listening "$B" 80
	ip netns exec "$A" "$TRAFFIC" split 10.0.2.1 80 0.1 "$@"
	wait "$sink"
	slowwait 10 flow_settled "$R" fwd
	echo "$(cat "$got")" \
		"$(($(pm_stat "$R" fwd rewrite rewritten) - rewritten))" \
		"$(($(pm_stat "$R" fwd rewrite missed) - missed))"
}

# flowctl.8: rewrite misses an occurrence spread over more than 5
# segments (4 kept, and the one that completes it); one over 5 it
# replaces.  hold 10s: no kept segment may expire on a slow guest.  A
# kept segment is not acknowledged, so A would send it again after its
# RTO (200 ms at least), and Linux merges the small segments it resends:
# A's route to B gets an RTO of 5 s meanwhile.
test_spread() {
	fc "$R" attach fwd rewrite order 1 pattern secret with XXXXXX hold 10s &&
		ip -n "$A" route add 10.0.2.1/32 via 10.0.1.2 rto_min 5s || return 1
	expect_eq "spread: an occurrence over 5 segments is replaced" \
		"$(spread five "top s" e c r "et!")" "top XXXXXX! 1 0"
	expect_eq "spread: one over 6 segments goes on whole, counted missed" \
		"$(spread six "top s" e c r e "t!")" "top secret! 0 1"
	ip -n "$A" route del 10.0.2.1/32
}

kept_one() {
	[ "$(pm_stat "$R" fwd rewrite held)" = 1 ]
}

# Datagrams: each one on its own, the pattern at odd and even offsets,
# with a UDP checksum and without (IPv4's checksum 0 stays 0), and over
# IPv6 (port 5002).
test_udp() {
	local pcap=$TMP/udp.pcap dump sink n=64 port nocheck dst

	fc "$R" create udp proto udp dport 5000-5002 mode inline &&
	fc "$R" attach udp rewrite pattern secret with XXXXXX || return 1
	ip netns exec "$B" tcpdump -U -n -i b0 -w "$pcap" udp 2>"$pcap.err" &
	dump=$!
	slowwait 20 grep -q 'listening on' "$pcap.err"
	for port in 5000 5001 5002; do
		nocheck="" dst=10.0.2.1
		[ "$port" = 5001 ] && nocheck=nocheck
		[ "$port" = 5002 ] && dst=fd02::1
		ip netns exec "$B" "$TRAFFIC" udprecv "$dst" "$port" "$TMP/udp$port.got" "$n" &
		sink=$!
		slowwait 20 listening "$B" "$port" u
		ip netns exec "$A" "$TRAFFIC" udp "$dst" "$port" "$TMP/udp$port.sent" "$n" $nocheck
		wait "$sink"
		expect_eq "udp $port: each datagram came with its occurrences replaced" \
			"$("$TRAFFIC" udpcheck "$TMP/udp$port.sent" "$TMP/udp$port.got" secret XXXXXX)" \
			"$n 1"
	done
	slowwait 20 flow_settled "$R" udp
	# B got them all: kill tcpdump only once its file holds them too.
	slowwait 20 bash -c "[ \$(tcpdump -nr '$pcap' 2>/dev/null | wc -l) -ge $((3 * n)) ]"
	kill "$dump"
	wait "$dump" 2>/dev/null
	expect_eq "udp: checksums good where sent, absent where not (tshark)" \
		"$(tshark -r "$pcap" -o udp.check_checksum:TRUE -T fields -e udp.dstport \
			-e udp.checksum.status 2>/dev/null | sort | uniq -c | awk '{print $2 ":" $3 "=" $1}' | xargs)" \
		"5000:1=$n 5001:3=$n 5002:1=$n"
	fc "$R" delete udp
}

# A GRO list (SKB_GSO_FRAGLIST) keeps each datagram's own headers in its
# frag_list, where a PM's write could not reach the right packet: the
# write is refused (-EOPNOTSUPP) and the datagrams go on unchanged.
# netem's slots on a0 hand r0 up to 16 datagrams at once, and with
# rx-gro-list on, GRO links those of one 5-tuple for R, which has no
# socket for them.  The truth is B's: a datagram it got unchanged is one
# that came in a list, and rewrite must have counted it as failed; one
# that came alone (a list of one is a plain packet) was replaced.
test_gro_list() {
	local n=64 got held unchanged replaced whole

	fc "$R" create grol proto udp dport 5003 mode inline &&
	fc "$R" attach grol rewrite pattern secret with XXXXXX &&
	ip netns exec "$R" ethtool -K r0 gro on rx-gro-list on >/dev/null &&
	tc -n "$A" qdisc add dev a0 root netem slot 50ms 50ms packets 16 || return 1
	ip netns exec "$B" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.2.1", 5003)); s.settimeout(20)
open(sys.argv[1] + ".ready", "w").close()
got = [s.recv(2048) for _ in range(int(sys.argv[2]))]
print(len(got), sum(g.count(b"secret") for g in got), sum(g.count(b"XXXXXX") for g in got),
      sum(len(g) == 200 for g in got))' "$TMP/grol" "$n" >"$TMP/grol.got" &
	slowwait 20 test -e "$TMP/grol.ready"
	# The first alone, in a slot of its own; the rest as fast as may be.
	ip netns exec "$A" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"secret" + b"." * 194, ("10.0.2.1", 5003))
    if i == 0:
        time.sleep(0.5)' "$n"
	wait $!
	tc -n "$A" qdisc del dev a0 root
	ip netns exec "$R" ethtool -K r0 gro off rx-gro-list off >/dev/null
	slowwait 20 flow_settled "$R" grol
	read -r got unchanged replaced whole <"$TMP/grol.got"
	held=$(flow_stat "$R" grol held)
	ktap_print_msg "GRO list: $n datagrams sent, R held $held packets; B got $unchanged unchanged, $replaced replaced"
	expect_eq "GRO list: B got every datagram, whole" "$got $whole" "$n $n"
	expect_eq "GRO list: R's flow counted every datagram, in fewer packets" \
		"$(flow_stat "$R" grol packets_in) $((held < n))" "$n 1"
	ktest "GRO list: one datagram came alone, replaced; others in a list, unchanged" \
		test "$replaced" -ge 1 -a "$unchanged" -ge 1
	expect_eq "GRO list: failed = B's unchanged datagrams, rewritten = its replaced ones" \
		"$(pm_stat "$R" grol rewrite failed) $(pm_stat "$R" grol rewrite rewritten)" \
		"$unchanged $replaced"
	fc "$R" delete grol
}

require_root
ktap_print_header
ktap_set_plan 36
setup || ktap_exit_fail_msg "cannot set up"
test_refused
test_forward
test_retransmit
test_egress
test_hold
test_detach_kept
test_spread
test_udp
test_gro_list
ktap_finished
