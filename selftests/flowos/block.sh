#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The block PM: a read-write PM that cuts a connection of an inline flow
# once its payload shows a pattern, on a router.
#
#   +---- A ----+        +---------------- R ----------------+        +---- B ----+
#   | clients   +- veth -+ r0  "web"   tcp (both ways), block r1 +- veth -+ servers   |
#   | 10.0.1.1  |        |     "dgram" udp 5000,  block         |        | 10.0.2.1  |
#   +-----------+        +--------------------------------------+        +-----------+
#
# The truth is what each end's application read against what the other
# sent (selftests/lib/block_traffic.py: one segment per message, sent
# apart), and, for the counts of dropped packets and bytes, tshark on
# captures of R's two interfaces: what came in on one side and did not
# go out on the other.
. "$FLOWOS_REPO/selftests/lib.sh"

TRAFFIC=$FLOWOS_REPO/selftests/lib/block_traffic.py
PMS=$FLOWOS_BUILD/pms
router_test

fc() { flowctl_in "$@"; }

setup() {
	router_topology "$A" "$R" "$B" &&
	flowos_load && insmod "$PMS/block/flowos_pm_block.ko" || return 1
	# Both directions: a flow on dport 80 alone would take the requests
	# only, and block would not see (nor cut) the responses.
	fc "$R" create web proto tcp mode inline &&
	# No out-of-order queue: a segment after a hole makes the table give
	# up on the hole at once (test_lost_first).
	fc "$R" attach web block pattern cmd.exe pattern hex:00ff00ff ooo_kb 0 &&
	fc "$R" create dgram proto udp dport 5000 mode inline &&
	fc "$R" attach dgram block pattern cmd.exe || return 1
	# Not through fc(): $! must be flowctl itself, for kill to end it.
	ip netns exec "$R" "$FLOWOS_REPO/tools/flowctl/flowctl" -j monitor \
		>"$TMP/events" 2>"$TMP/monitor.err" &
	MON=$!
	slowwait 20 grep -q listening "$TMP/monitor.err"
}

test_refused() {
	fc "$R" create passive proto tcp dport 8080 || return 1
	expect_refused "refused: block on a passive flow, whose packets went on" \
		"it needs an inline flow" \
		fc "$R" attach passive block pattern cmd.exe
	fc "$R" delete passive
	expect_refused "refused: blocked_idle shorter than idle" \
		"blocked_idle must be at least idle" \
		fc "$R" attach web block name b2 order 2 pattern x idle 120s blocked_idle 60s
	expect_refused "refused: a pattern of bad hex" \
		"bad hex" fc "$R" attach web block name b2 order 2 pattern hex:0g
}

# conversation TAG DST PORT PAUSE MSG... [-- REPLY...]: B serves PORT
# (replying with each REPLY once A's first message came), A sends each
# MSG; leaves what B read in $TMP/TAG.b, what A read in $TMP/TAG.a, and
# A's port in $TMP/TAG.port.
conversation() {
	local tag=$1 dst=$2 port=$3 pause=$4 addr=10.0.2.1 msgs=() server

	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		msgs+=("$1")
		shift
	done
	shift
	[[ $dst == *:* ]] && addr=fd02::1
	ip netns exec "$B" env IDLE="${IDLE:-1.5}" "$TRAFFIC" serve "$addr" "$port" \
		"$TMP/$tag.b" "$@" &
	server=$!
	slowwait 20 listening "$B" "$port"
	ip netns exec "$A" env IDLE="${IDLE:-1.5}" "$TRAFFIC" chat "$dst" "$port" \
		"$TMP/$tag.a" "$pause" "${msgs[@]}" >"$TMP/$tag.port"
	wait "$server"
}

# The pattern whole in A's second message: B reads the first only; at
# the same time, another connection of the flow goes on untouched.
test_forward() {
	local clean=(one two three four five six seven eight) other

	# It ends with FIN both ways: a long IDLE lets a slow guest be slow.
	IDLE=10 conversation clean 10.0.2.1 81 0.25 "${clean[@]}" -- &
	other=$!
	conversation fwd 10.0.2.1 80 0.25 "hello, " "please run cmd.exe now" "and more" --
	wait "$other"
	expect_eq "forward: B read what came before the segment with the pattern, nothing after" \
		"$(cat "$TMP/fwd.b")" "hello, "
	expect_eq "forward: the other connection of the flow went on untouched" \
		"$(cat "$TMP/clean.b")" "$(printf %s "${clean[@]}")"
}

# Split over two segments (IPv6): cut where it completes.
test_straddling() {
	conversation split fd02::1 80 0.25 "hello, cmd" ".exe now" "and more" --
	expect_eq "straddling: B read up to the segment where the pattern completed" \
		"$(cat "$TMP/split.b")" "hello, cmd"
}

# blocked_more_than N: block on web has cut more than N connections.
blocked_more_than() {
	[ "$(pm_stat "$R" web block blocked)" -gt "$1" ]
}

# The server sends it: both directions are cut from there.  A sends its
# second message once R has cut the connection.
test_reverse() {
	local cut waiter

	cut=$(pm_stat "$R" web block blocked)
	rm -f "$TMP/cut"
	(slowwait 30 blocked_more_than "$cut" && touch "$TMP/cut") &
	waiter=$!
	conversation reply 10.0.2.1 80 0.25 "GET /" "wait:$TMP/cut" "more" -- \
		"ok, " "here is cmd.exe" "tail"
	wait "$waiter"
	expect_eq "reverse: A read the reply up to the pattern; B never read A's next" \
		"$(cat "$TMP/reply.a")|$(cat "$TMP/reply.b")" "ok, |GET /"
}

# The segment with the pattern is lost on its way to R the first time;
# the next one comes after the hole, which block's table (without an
# out-of-order queue) gives up on.  The retransmission brings bytes the
# table counts as seen, yet B never had them: they are searched anyway.
test_lost_first() {
	local gaps

	gaps=$(pm_stat "$R" web block gap_bytes)
	# Before flowos's hook (and defragmentation): the first two packets
	# to port 82 of an IP length in 70-90 bytes, the pattern's, are lost
	# (the second, in case A's tail loss probe resent it before the next
	# segment).
	ip netns exec "$R" nft -f - <<-'EOF' || return 1
		table ip lossy {
			chain pre {
				type filter hook prerouting priority -450;
				tcp dport 82 ip length 70-90 numgen inc mod 1000 < 2 drop
			}
		}
	EOF
	conversation lost 10.0.2.1 82 0.25 "hello, " \
		"this one holds cmd.exe, 35 bytes..." "now:and more" --
	ip netns exec "$R" nft delete table ip lossy
	expect_eq "lost first: B read what came before the lost segment, never it; cut" \
		"$(cat "$TMP/lost.b") $([ "$(pm_stat "$R" web block gap_bytes)" -gt "$gaps" ] &&
			echo "(after a hole)") $(slowwait 10 announced lost && echo cut)" \
		"hello,  (after a hole) cut"
}

# A binary pattern (hex:00ff00ff), split over two segments.
test_binary() {
	conversation bin 10.0.2.1 80 0.25 ab hex:7800ff00 hex:ff0063 cd --
	expect_eq "binary: B read up to the segment where the hex: pattern completed" \
		"$(od -An -tx1 "$TMP/bin.b" | tr -d ' \n')" "61627800ff00"
}

# Datagrams: from the one with the pattern on, that 5-tuple's are dropped.
test_udp() {
	local recv

	ip netns exec "$B" "$TRAFFIC" dgramrecv fd02::1 5000 "$TMP/udp.b" &
	recv=$!
	slowwait 20 listening "$B" 5000 u
	ip netns exec "$A" "$TRAFFIC" dgrams fd02::1 5000 one "two cmd.exe" three &&
	ip netns exec "$A" "$TRAFFIC" dgrams fd02::1 5000 four end
	wait "$recv"
	expect_eq "udp: the datagram with the pattern and the later ones of its 5-tuple dropped" \
		"$(xargs <"$TMP/udp.b")" "one four end"
}

# announced TAG: flowctl monitor heard the connection of TAG cut.
announced() {
	[ -n "$(blocked_event "$1")" ]
}

# blocked_event TAG: the "blocked" event flowctl monitor heard
# for a connection, as "src sport dst dport pattern".
blocked_event() {
	jq -r --arg port "$(cat "$TMP/$1.port")" \
		'select(.event == "blocked" and ((.values.sport | tostring) == $port or
			(.values.dport | tostring) == $port)) |
		 .values | "\(.src) \(.sport) \(.dst) \(.dport) \(.pattern)"' "$TMP/events"
}

test_events() {
	local fwd rev

	fwd=$(cat "$TMP/fwd.port") rev=$(cat "$TMP/reply.port")
	slowwait 10 bash -c "[ \$(grep -c blocked $TMP/events) -ge 6 ]"
	expect_eq "monitor: one blocked event per connection cut, the pattern's sender first" \
		"$(blocked_event fwd)|$(blocked_event split)|$(blocked_event reply)" \
		"10.0.1.1 $fwd 10.0.2.1 80 cmd.exe|fd01::1 $(cat "$TMP/split.port") fd02::1 80 cmd.exe|10.0.2.1 80 10.0.1.1 $rev cmd.exe"
	expect_eq "block: counted five connections on web, one on dgram" \
		"$(pm_stat "$R" web block blocked) $(pm_stat "$R" dgram block blocked)" "5 1"
}

# The truth of what R dropped: the packets of port 80 that came in on one
# of its interfaces and did not go out on the other, with their IP bytes
# (IPv4's total length).
dropped_truth() {
	local side

	for side in r0 r1; do
		tshark -r "$TMP/$side.pcap" -T fields -e tcp.srcport -e tcp.dstport \
			-e ip.len 2>/dev/null | sed "s/^/$side /"
	done | awk '{
		# In on r0 toward 80, out on r1; in on r1 from 80, out on r0.
		way = ($3 == 80) ? "up" : "down"
		if ((way == "up") == ($1 == "r0")) { n[way]++; b[way] += $4 }
		else { n[way]--; b[way] -= $4 }
	} END { print n["up"] + n["down"], b["up"] + b["down"] }'
}

# marker_captured IFACE: the capture of R's IFACE holds B's reset of the
# connection attempt from A's port 40404.
marker_captured() {
	tcpdump -nr "$TMP/$1.pcap" 'tcp port 40404 and tcp[tcpflags] & tcp-rst != 0' \
		2>/dev/null | grep -q .
}

# All the conversations again, with R's interfaces captured, for the
# dropped counts: every packet the PM dropped is one R took in and did
# not send on, and nothing else was lost on R.
test_dropped() {
	local dump0 dump1 packets bytes

	# What earlier conversations sent last (their resets) counts before.
	slowwait 20 flow_settled "$R" web
	packets=$(pm_stat "$R" web block dropped_packets)
	bytes=$(pm_stat "$R" web block dropped_bytes)
	ip netns exec "$R" tcpdump -U -n -i r0 -w "$TMP/r0.pcap" tcp port 80 2>"$TMP/r0.err" &
	dump0=$!
	ip netns exec "$R" tcpdump -U -n -i r1 -w "$TMP/r1.pcap" tcp port 80 2>"$TMP/r1.err" &
	dump1=$!
	slowwait 20 grep -q 'listening on' "$TMP/r0.err"
	slowwait 20 grep -q 'listening on' "$TMP/r1.err"
	test_forward
	test_reverse
	# The ends reset: nothing more comes once the flow settled.  Then a
	# last connection attempt, refused by B, goes in and out of both
	# interfaces (it adds nothing to what was lost): once each capture
	# holds B's reset, it holds everything before it, and tcpdump may
	# stop (killed, it would lose what it had not written yet).
	slowwait 20 flow_settled "$R" web
	ip netns exec "$A" python3 -c 'import socket; s = socket.socket(); s.bind(("10.0.1.1", 40404))
try: s.connect(("10.0.2.1", 80))
except OSError: pass'
	slowwait 20 marker_captured r0 && slowwait 20 marker_captured r1
	kill "$dump0" "$dump1"
	wait "$dump0" "$dump1" 2>/dev/null
	read -r packets bytes <<<"$(($(pm_stat "$R" web block dropped_packets) - packets)) $(($(pm_stat "$R" web block dropped_bytes) - bytes))"
	dropped_truth >"$TMP/dropped"
	expect_eq "dropped: packets and IP bytes as R's captures show them lost (tshark)" \
		"$packets $bytes" "$(cat "$TMP/dropped")"
}

# The results: a row per connection cut, the sender of the pattern first,
# with what was dropped of it.
test_results() {
	local rows=$TMP/rows fwd rev

	fwd=$(cat "$TMP/fwd.port") rev=$(cat "$TMP/reply.port")
	fc "$R" -j stats web | jq -c '.pms[] | select(.name == "block") | .results.blocked[]' >"$rows"
	expect_eq "stats: a row per connection cut, each as the monitor announced it" \
		"$(jq -r '"\(.src) \(.sport) \(.dst) \(.dport) \(.pattern)"' "$rows" | sort | xargs)" \
		"$(for t in bin lost fwd split reply; do blocked_event "$t"; done | sort | xargs)"
	expect_eq "stats: the rows of the captured connections drop what tshark saw lost" \
		"$(jq -s --argjson a "$fwd" --argjson b "$rev" -r \
			'map(select(.sport == $a or .dport == $a or .sport == $b or .dport == $b)) |
			 "\(map(.dropped_packets) | add) \(map(.dropped_bytes) | add)"' "$rows")" \
		"$(cat "$TMP/dropped")"
}

# dgram_seq PORT STEP...: B receives on PORT what A's sockets send in
# STEPs (block_traffic.py's dgramseq, to B); the datagrams B got, in a
# line.
dgram_seq() {
	local port=$1 recv

	shift
	ip netns exec "$B" "$TRAFFIC" dgramrecv fd02::1 "$port" "$TMP/seq.b" &
	recv=$!
	slowwait 20 listening "$B" "$port" u
	ip netns exec "$A" "$TRAFFIC" dgramseq fd02::1 "$port" "$@"
	wait "$recv"
	xargs <"$TMP/seq.b"
}

# A blocked 5-tuple is forgotten after blocked_idle without packets, or
# when a newer one needs its place: then its packets pass again.
test_forget() {
	local i steps=()

	for i in $(seq 0 16); do steps+=("$i:cmd.exe"); done
	fc "$R" create forget proto udp dport 5001 mode inline &&
	fc "$R" attach forget block pattern cmd.exe idle 1s blocked_idle 1s &&
	fc "$R" create evict proto udp dport 5002 mode inline &&
	fc "$R" attach evict block pattern cmd.exe max_conns 16 || return 1
	expect_eq "blocked_idle 1s: the 5-tuple passes again once 3 s without packets" \
		"$(dgram_seq 5001 0:one 0:cmd.exe 0:lost sleep:3 0:back 0:end)" \
		"one back end"
	expect_eq "blocked_idle: counted forgotten as expired, none still blocked" \
		"$(pm_stat "$R" forget block blocked_expired) $(pm_stat "$R" forget block blocked_active)" \
		"1 0"
	expect_eq "max_conns 16: a 17th blocked 5-tuple evicts the oldest, which passes again" \
		"$(dgram_seq 5002 "${steps[@]}" 0:back 16:still 0:end)" \
		"back end"
	expect_eq "max_conns 16: one evicted, sixteen still blocked" \
		"$(pm_stat "$R" evict block blocked_evicted) $(pm_stat "$R" evict block blocked_active)" \
		"1 16"
}

require_root
ktap_print_header
ktap_set_plan 19
setup || ktap_exit_fail_msg "cannot set up"
test_refused
test_straddling
test_binary
test_lost_first
test_udp
test_dropped
test_events
test_results
test_forget
ktap_finished
