#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ipfix PM exporting to Debian's nfcapd, read back with nfdump, and
# to pmacct's nfacctd, read from its print plugin.
#
# B receives, on vb, a capture of skewed IPv4 and IPv6 traffic over
# seven protocols (selftests/lib/mktraffic.py), a TCP connection (both
# directions, FIN) and a slow UDP stream that lasts past the active
# timeout.  tcpdump on vb keeps what B received and sent: the truth,
# per 5-tuple, is tshark's reading of it (pcap_aggregate.py).  Summed
# per 5-tuple over the records nfcapd stored, packets and bytes must be
# that truth, and the count PM's rows beside it: for an instance with
# a table large enough, for one of 16 entries that evicts (an evicted
# record is exported, not lost), and with every end reason there is
# (idle, active, end of flow, eviction, and forced at delete).  nfcapd
# must count no sequence error, and as many records as the instance
# says it sent.  An instance whose collector is down counts send
# errors.  Then A and B both run flowos and export one stream's
# records to one collector, as two hosts would: two exporters, each
# with its namespace's inode number as observation domain, each with
# the stream's packets.  Refusals: no collector, a bad one (named),
# five, one with no route.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
LIB=$FLOWOS_REPO/selftests/lib
IPFIX_KO=$FLOWOS_BUILD/pms/ipfix/flowos_pm_ipfix.ko
COUNT_KO=$FLOWOS_BUILD/pms/count/flowos_pm_count.ko
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
PCAP=$TMP/traffic.pcap
DUMP=
NFCAPD=()
PMACCT=

cleanup() {
	[ -n "$DUMP" ] && kill "$DUMP" 2>/dev/null
	pmacct_stop
	stop_pids "${NFCAPD[@]}"
	netns_del "$A" "$B"
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

# collector NS ADDR PORT DIR: nfcapd in NS on ADDR:PORT, storing in DIR.
collector() {
	mkdir -p "$4"
	ip netns exec "$1" nfcapd -w "$4" -b "$2" -p "$3" -t 3600 >"$4.log" 2>&1 &
	NFCAPD+=($!)
	slowwait 20 grep -q "Startup" "$4.log"
}

# pmacct NS PORT FILE: pmacct's nfacctd in NS on 127.0.0.1:PORT, its
# print plugin appending each second's purge to FILE as JSON lines.
pmacct() {
	cat >"$3.conf" <<-EOF
	daemonize: false
	nfacctd_ip: 127.0.0.1
	nfacctd_port: $2
	plugins: print
	aggregate: src_host, dst_host, src_port, dst_port, proto
	print_output: json
	print_output_file: $3
	print_output_file_append: true
	print_refresh_time: 1
	print_cache_entries: 4099
	EOF
	ip netns exec "$1" nfacctd -f "$3.conf" >"$3.log" 2>&1 &
	PMACCT=$!
	slowwait 20 grep -q "waiting for NetFlow/IPFIX data" "$3.log"
}

# pmacct_stop: nfacctd ends on SIGINT ("To end gracefully the daemon,
# look at SIGINT", pmacct's SIGNALS); on SIGTERM it stays on until the
# SIGKILL of stop_pids, 5 s later.
pmacct_stop() {
	[ -n "$PMACCT" ] || return 0
	kill -INT "$PMACCT" 2>/dev/null
	slowwait 5 none_running "$PMACCT" || kill -KILL "$PMACCT" 2>/dev/null
	PMACCT=
}

# pmacct_has TRUTH: nfacctd has printed what the truth (as_json) says.
pmacct_has() {
	[ "$(python3 "$LIB/ipfix_tuples.py" --pmacct "$TMP/pmacct.json" 2>/dev/null)" = "$1" ]
}

# collector_stop DIR: stop the nfcapd storing in DIR (it writes its file
# and its summary line then), and print what it stored as nfdump JSON.
collector_stop() {
	local pid running=()

	for pid in "${NFCAPD[@]}"; do
		if ! tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
			grep -q -- "-w $1 "; then
			running+=("$pid")
			continue
		fi
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null
	done
	# What cleanup stops: not a pid that is gone, and may be reused.
	NFCAPD=("${running[@]}")
	TZ=UTC nfdump -R "$1" -o json 2>/dev/null
}

# nfcapd_summary DIR: "FLOWS SEQUENCE_ERRORS BAD_PACKETS" of its log,
# added up over its lines: nfcapd logs one for each file it closes, and
# with -t 3600 it closes one on each hour of the clock too (a run across
# 18:00 had two, and the last alone counted 1 of 1499 records).
nfcapd_summary() {
	sed -n 's/.*Flows: \([0-9]*\),.*Sequence Errors: \([0-9]*\), Bad Packets: \([0-9]*\).*/\1 \2 \3/p' \
		"$1.log" | awk '{ f += $1; s += $2; b += $3 } END { if (NR) print f, s, b }'
}

# as_json: a JSON list on stdin, sorted, in one canonical spelling.
as_json() { json_eval 'json.dumps(sorted(d))'; }

# count_rows NAME: the 5-tuples of count instance NAME, as as_json.
count_rows() {
	pm_eval "$B" all "$1" 'json.dumps(sorted([x["src"], x["dst"], x["proto"], x["sport"], x["dport"], x["packets"], x["bytes"]] for x in r["top_subflows"]))'
}

ipfix_stat() { pm_stat "$B" all "$1" "$2"; }

test_refused() {
	local missing

	# 6.1 has no formatted extack messages (NL_SET_ERR_MSG_FMT, 6.2).
	if [ "$(uname -r | cut -d. -f1-2)" = 6.1 ]; then
		missing="a parameter this PM needs is missing"
	else
		missing="parameter 'collector' is missing"
	fi
	expect_refused "attach refused: no collector, named (6.2 and later)" "$missing" \
		fc attach all ipfix name r1
	expect_refused "attach refused: a bad collector, named" \
		"parameter 'collector': collector: A.B.C.D[:PORT]" \
		fc attach all ipfix name r2 collector 10.0.0.300:4739
	expect_refused "attach refused: a port out of range" \
		"parameter 'collector': collector: A.B.C.D[:PORT]" \
		fc attach all ipfix name r3 collector 127.0.0.1:70000
	expect_refused "attach refused: five collectors" "collector" \
		fc attach all ipfix name r4 collector 127.0.0.1 collector 127.0.0.2 \
		collector 127.0.0.3 collector 127.0.0.4 collector 127.0.0.5
	expect_refused "attach refused: a collector with no route" "no route" \
		fc attach all ipfix name r5 collector 203.0.113.1:4739
	expect_eq "nothing of the refused attaches is left" \
		"$(fc -j stats all | json_eval 'len(d["pms"])')" 0
}

# slow_stream PORT N: N datagrams from A to B's PORT, 0.1 s apart.
slow_stream() {
	ip netns exec "$A" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.1", 5555))
for i in range(int(sys.argv[2])):
    s.sendto(b"z" * 100, ("10.0.0.2", int(sys.argv[1]))); time.sleep(0.1)' "$1" "$2"
}

# tcp_conversation: a TCP connection from A to B's port 80, 20 KB each
# way, closed by both (FIN each way).
tcp_conversation() {
	ip netns exec "$B" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.2", 80)); s.listen(1); c, _ = s.accept()
n = 0
while n < 20000:
    n += len(c.recv(65536))
c.sendall(b"r" * 20000); c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
c.close()' &
	local server=$!

	slowwait 20 listening "$B" 80
	ip netns exec "$A" python3 -c '
import socket
s = socket.create_connection(("10.0.0.2", 80)); s.sendall(b"q" * 20000)
n = 0
while n < 20000:
    d = s.recv(65536)
    if not d: break
    n += len(d)
s.close()'
	wait "$server"
}

# received_all: tcpdump has written every packet flow "all" took.
received_all() {
	local want

	want=$(($(flow_stat "$B" all packets_in) + $(flow_stat "$B" all packets_out)))
	[ "$(tcpdump -r "$TMP/received.pcap" 2>/dev/null | wc -l)" = "$want" ]
}

# all_handled N: the count instance has counted N packets, and no
# instance of flow "all" has a unit left to process.  Not
# all_processed: that counts units, and a unit may hold several packets
# (on 6.12, 1591 units held these 1600), where tcpdump counts frames.
all_handled() {
	[ "$(ipfix_stat c packets)" = "$1" ] &&
		ip netns exec "$B" "$FLOWOS_NL" stats all |
		awk '/^flow=/ && !/ backlog=0 / { busy = 1 } END { exit busy }'
}

# all_exported NAME...: the ipfix instances NAME... of flow "all" hold no
# record: every one was exported.
all_exported() {
	local name

	for name in "$@"; do
		[ "$(ipfix_stat "$name" flows)" = 0 ] || return 1
	done
}

# exported NS FLOW PACKETS: the ipfix instance of FLOW in NS was handed
# PACKETS and has exported them all.
exported() {
	[ "$(pm_stat "$1" "$2" ipfix packets)" = "$3" ] &&
	[ "$(pm_stat "$1" "$2" ipfix flows)" = 0 ]
}

test_export() {
	local port=$((20000 + RANDOM % 10000)) truth sent

	collector "$B" 127.0.0.1 "$port" "$TMP/nfc1" &&
	collector "$B" 127.0.0.1 $((port + 1)) "$TMP/nfc2" &&
	pmacct "$B" $((port + 2)) "$TMP/pmacct.json" ||
		ktap_exit_fail_msg "a collector did not start: $(cat "$TMP"/*.log)"
	ip netns exec "$B" tcpdump -U -n -i vb -w "$TMP/received.pcap" 2>"$TMP/dump.err" &
	DUMP=$!
	slowwait 20 grep -q 'listening on' "$TMP/dump.err"
	fc create all dev vb dir both &&
	fc attach all count name c report 0 max_subflows 65536 &&
	fc attach all ipfix name x collector 127.0.0.1:$port \
		collector 127.0.0.1:$((port + 2)) active 2s inactive 1s max_flows 65536 &&
	fc attach all ipfix name small collector 127.0.0.1:$((port + 1)) \
		max_flows 16 inactive 1s &&
	fc attach all ipfix name down collector 127.0.0.1:1 inactive 1s ||
		ktap_exit_fail_msg "cannot create the flow and its instances"

	sent=$(tcpdump -nr "$PCAP" 2>/dev/null | wc -l)
	ip netns exec "$A" taskset -c 0 tcpreplay -q --pps=3000 -i va "$PCAP" >/dev/null 2>&1
	tcp_conversation
	slow_stream 9 30
	slowwait 60 received_all
	slowwait 60 all_handled "$(tcpdump -r "$TMP/received.pcap" 2>/dev/null | wc -l)"
	ktest "x, small and down exported every record (1 s idle)" \
		slowwait 30 all_exported x small down
	kill "$DUMP"
	wait "$DUMP" 2>/dev/null
	DUMP=

	truth=$(python3 "$LIB/pcap_aggregate.py" "$TMP/received.pcap" 5tuple | as_json)
	ktap_print_msg "received and sent at B: $(tcpdump -r "$TMP/received.pcap" 2>/dev/null | wc -l) packets (replayed $sent), $(json_eval 'len(d)' <<<"$truth") 5-tuples"
	expect_eq "count: every 5-tuple = tshark's" "$(count_rows c)" "$truth"
	collector_stop "$TMP/nfc1" >"$TMP/nfc1.json"
	collector_stop "$TMP/nfc2" >"$TMP/nfc2.json"
	expect_eq "x: nfdump's sums per 5-tuple = tshark's" \
		"$(python3 "$LIB/ipfix_tuples.py" "$TMP/nfc1.json")" "$truth"
	slowwait 60 pmacct_has "$truth"
	expect_eq "x: pmacct's nfacctd, its second collector: sums per 5-tuple = tshark's" \
		"$(python3 "$LIB/ipfix_tuples.py" --pmacct "$TMP/pmacct.json")" "$truth"
	pmacct_stop
	expect_eq "small (16 entries, evicting): nfdump's sums per 5-tuple = tshark's" \
		"$(python3 "$LIB/ipfix_tuples.py" "$TMP/nfc2.json")" "$truth"
	expect_eq "x: nfcapd stored every record sent, no sequence error" \
		"$(nfcapd_summary "$TMP/nfc1")" "$(ipfix_stat x records) 0 0"
	expect_eq "small: nfcapd stored every record sent, no sequence error" \
		"$(nfcapd_summary "$TMP/nfc2")" "$(ipfix_stat small records) 0 0"
	expect_eq "x: records = idle + active + end of flow (nothing evicted)" \
		"$(ipfix_stat x records)" \
		"$(($(ipfix_stat x records_idle) + $(ipfix_stat x records_active) + $(ipfix_stat x records_end_of_flow) + $(ipfix_stat x records_evicted)))"
	expect_eq "x: the slow stream (3 s) in records of at most 2 s (active)" \
		"$(($(python3 "$LIB/ipfix_tuples.py" --records "$TMP/nfc1.json" 10.0.0.1 10.0.0.2 17 5555 9) >= 2)) $(($(ipfix_stat x records_active) >= 1))" "1 1"
	expect_eq "x: the TCP connection's FINs ended two records" \
		"$(($(ipfix_stat x records_end_of_flow) >= 2))" 1
	expect_eq "small: evicted records exported, as many as evictions" \
		"$(($(ipfix_stat small records_evicted) > 0)) $(ipfix_stat small records)" \
		"1 $(($(ipfix_stat small records_idle) + $(ipfix_stat small records_evicted) + $(ipfix_stat small records_end_of_flow) + $(ipfix_stat small records_active)))"
	expect_eq "down: send errors counted, ECONNREFUSED, nothing kept" \
		"$(($(ipfix_stat down send_errors) > 0)) $(pm_eval "$B" all down 'r["collectors"][0]["last_error"]') $(ipfix_stat down flows)" \
		"1 111 0"
	expect_eq "x: templates sent, and the packets it was handed = the flow's" \
		"$(($(ipfix_stat x templates) >= 1)) $(ipfix_stat x packets)" \
		"1 $(($(flow_stat "$B" all packets_in) + $(flow_stat "$B" all packets_out)))"
}

# handed_40: count instance "c" has counted the 40 datagrams to port 7,
# and "f", handed each with c, has none waiting.  Not f's own packet
# counter: B's ICMP port unreachables are in it too.
handed_40() {
	[ "$(ip netns exec "$B" "$FLOWOS_NL" stats all c |
		awk '/^row top_subflows src=10.0.0.1 dst=10.0.0.2 proto=17 .* dport=7 / {
			sub(/.* packets=/, ""); n += $1 } END { print n + 0 }')" = 40 ] &&
		[ "$(ipfix_stat f backlog)" = 0 ]
}

# test_forced: a record still open when its instance goes is exported
# then ("forced"), with its packets.
test_forced() {
	local port=$((30000 + RANDOM % 10000))

	collector "$B" 127.0.0.1 "$port" "$TMP/nfc3" ||
		ktap_exit_fail_msg "nfcapd did not start"
	fc attach all ipfix name f collector 127.0.0.1:$port inactive 1h &&
	udp_send "$A" 10.0.0.2 7 40 200 >/dev/null &&
	slowwait 20 handed_40
	fc detach all f
	expect_eq "forced at detach: the open record reached nfcapd, 40 packets" \
		"$(collector_stop "$TMP/nfc3" | json_eval '[[r["src4_addr"], r["dst_port"],
			r["in_packets"], r["in_bytes"]] for r in d
			if r.get("type") == "FLOW" and r["proto"] == 17]')" \
		"[['10.0.0.1', 7, 40, 9120]]"
}

# ns_inode NS: the inode number of NS's network namespace.
ns_inode() { ip netns exec "$1" stat -L -c %i /proc/self/ns/net; }

# test_two_hosts: A and B export the same stream to one collector.
test_two_hosts() {
	local port=$((40000 + RANDOM % 10000)) domains

	fc delete all
	collector "$B" 10.0.0.2 "$port" "$TMP/nfc4" ||
		ktap_exit_fail_msg "nfcapd did not start"
	"$FLOWCTL" -n "$A" create s proto udp dport 7 dir out &&
	"$FLOWCTL" -n "$A" attach s ipfix collector 10.0.0.2:$port inactive 1s &&
	fc create s proto udp dport 7 &&
	fc attach s ipfix collector 10.0.0.2:$port inactive 1s ||
		ktap_exit_fail_msg "cannot set up the two exporters"
	udp_send "$A" 10.0.0.2 7 50 300 >/dev/null
	slowwait 20 exported "$A" s 50 && slowwait 20 exported "$B" s 50
	collector_stop "$TMP/nfc4" >"$TMP/nfc4.json"
	domains=$(sed -n 's/.*Observation domain \([0-9]*\) from.*/\1/p' "$TMP/nfc4.log" | sort -n | xargs)
	expect_eq "two hosts: two exporters, each its namespace's inode as domain" \
		"$domains" "$(printf '%s\n' "$(ns_inode "$A")" "$(ns_inode "$B")" | sort -n | xargs)"
	expect_eq "two hosts: each exporter's records = the 50 datagrams" \
		"$(for id in 1 2; do python3 "$LIB/ipfix_tuples.py" "$TMP/nfc4.json" $id |
			json_eval '[r[5:] for r in d]'; done | xargs)" \
		"[[50, 16400]] [[50, 16400]]"
}

require_root
ktap_print_header
ktap_set_plan 23
command -v nfcapd >/dev/null && command -v nfacctd >/dev/null ||
	ktap_exit_fail_msg "no nfcapd or nfacctd (run scripts/deps.sh)"
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
# A's own IPv6 chatter (MLD) would be in the flow, maybe after the
# capture; so would B's router solicitations.
ip netns exec "$A" sysctl -qw net.ipv6.conf.va.disable_ipv6=1
ip netns exec "$B" sysctl -qw net.ipv6.conf.vb.router_solicitations=0
# A packet per frame both ways, as tcpdump sees them (gso.sh is where
# aggregates are counted).
ip netns exec "$A" ethtool -K va tso off gso off >/dev/null &&
ip netns exec "$B" ethtool -K vb tso off gso off >/dev/null ||
	ktap_exit_fail_msg "cannot turn off TSO and GSO"
python3 "$LIB/mktraffic.py" "$PCAP" \
	"$(ip -n "$A" -br link show va | awk '{print $3}')" \
	"$(ip -n "$B" -br link show vb | awk '{print $3}')" ||
	ktap_exit_fail_msg "cannot make the capture"
flowos_load && insmod "$COUNT_KO" && insmod "$IPFIX_KO" ||
	ktap_exit_fail_msg "cannot load flowos, count and ipfix"
fc create all dev vb || ktap_exit_fail_msg "cannot create a flow"
test_refused
fc delete all
test_export
test_forced
test_two_hosts
fc delete s
"$FLOWCTL" -n "$A" delete s
netns_del "$A" "$B"
ktest "unload: rmmod ipfix once the namespaces are gone" \
	slowwait 30 rmmod flowos_pm_ipfix
ktap_finished
