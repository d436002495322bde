#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The stats PM's application protocols ("proto app") against tshark.
# Real conversations of DNS (IPv4 and IPv6), mDNS, DHCP, NTP, SSDP,
# QUIC, HTTP (IPv4 and IPv6), TLS, SSH and SMTP, of bytes no dissector
# claims over TCP and UDP, and a TCP connection with no payload
# (selftests/lib/apptraffic.py) go from A to servers in B, captured at
# B.  The bytes of each protocol must equal pcap_apps.py's reading of
# tshark's dissection of that capture: every packet of a connection
# (tshark's stream) under the protocol of its first payload, the
# handshake included.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
STATS_KO=$FLOWOS_BUILD/pms/stats/flowos_pm_stats.ko
LIB=$FLOWOS_REPO/selftests/lib
A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
CAP=$TMP/apps.pcap
SERVER=
DUMP=

cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
	[ -n "$DUMP" ] && kill "$DUMP" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rmmod flowos_pm_stats 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

# pm NAME EXPR: a Python expression over instance NAME of flow "all".
pm() { pm_eval "$B" all "$1" "$2"; }

# truth EXPR: a Python expression over pcap_apps.py's {protocol: bytes}.
truth() { truth_eval "$1" "$TMP/truth.json"; }

# The IP packets of the capture, and their IP bytes, as tshark has them.
captured() {
	tshark -r "$CAP" -T fields -e ip.len -e ipv6.plen 2>/dev/null |
		awk -F'\t' '$1 != "" { n++; s += $1 } $1 == "" && $2 != "" { n++; s += $2 + 40 }
		     END { print n + 0, s + 0 }'
}

ALL_APPS="['dhcp', 'dns', 'http', 'mdns', 'ntp', 'other/tcp', 'other/udp', 'quic', 'smtp', 'ssdp', 'ssh', 'tls']"

# quiet: nothing crossed the link for five seconds (the namespaces' IPv6
# chatter at start, MLD reports and the router solicitations that were
# on their way, is over), within a minute.
link_packets() { ip -n "$B" -s -j link show vb | python3 -c 'import json, sys; s = json.load(sys.stdin)[0]["stats64"]; print(s["rx"]["packets"] + s["tx"]["packets"])'; }
quiet() {
	local before

	for _ in $(seq 12); do
		before=$(link_packets)
		sleep 5
		[ "$(link_packets)" = "$before" ] && return 0
	done
	return 1
}

require_root
ktap_print_header
ktap_set_plan 9
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot build the namespaces"
for ns in "$A" "$B"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.router_solicitations=0
done
ip netns exec "$A" sysctl -qw net.ipv6.conf.va.router_solicitations=0
ip netns exec "$B" sysctl -qw net.ipv6.conf.vb.router_solicitations=0
flowos_load && insmod "$STATS_KO" || ktap_exit_fail_msg "cannot load flowos and stats"

quiet || ktap_exit_fail_msg "the link never went quiet"
fc create all dir both &&
	fc attach all stats name apps proto app window 1s history 120 last 120s &&
	fc attach all stats name ip window 1s history 120 last 120s ||
	ktap_exit_fail_msg "cannot attach the stats PM"
# Immediate mode: libpcap's blocks otherwise wait up to a second before
# tcpdump sees them, and a conversation this short fits in one, lost
# when tcpdump is stopped.
ip netns exec "$B" tcpdump --immediate-mode -U -n -i vb -w "$CAP" 2>"$CAP.err" &
DUMP=$!
slowwait 20 grep -q 'listening on' "$CAP.err"
ip netns exec "$B" python3 "$LIB/apptraffic.py" serve 10.0.0.2 fd00::2 \
	>"$TMP/serve.out" 2>&1 &
SERVER=$!
slowwait 20 grep -q ready "$TMP/serve.out" || ktap_exit_fail_msg "no server in B"
ktest "every conversation went through" ip netns exec "$A" timeout 120 \
	python3 "$LIB/apptraffic.py" send 10.0.0.2 fd00::2
# Every connection closed, the last ACKs sent and seen.
closed() {
	local ns

	for ns in "$A" "$B"; do
		[ -z "$(ip netns exec "$ns" ss -Htn state all exclude listening exclude time-wait)" ] ||
			return 1
	done
}
slowwait 20 closed
kill "$SERVER" "$DUMP"
wait "$SERVER" "$DUMP" 2>/dev/null
SERVER='' DUMP=''
sed 's/^/# tcpdump: /' "$CAP.err"
read -r npackets nbytes <<<"$(captured)"
slowwait 30 all_processed "$B" all "$npackets"
python3 "$LIB/pcap_apps.py" "$CAP" >"$TMP/truth.json" ||
	ktap_exit_fail_msg "cannot read the capture"

expect_eq "the capture holds every protocol of the test" \
	"$(truth 'sorted(k for k in t if not k.startswith("ip/"))')" "$ALL_APPS"
expect_eq "every packet counted: packets and bytes = the capture's" \
	"$(pm apps '[r["view_packets"], r["view_bytes"]]')" "[$npackets, $nbytes]"
expect_eq "no packet waits for its connection's protocol, every payload read" \
	"$(pm apps '[r["app_pending"], r["app_blind"], r["app_evicted"]]')" "[0, 0, 0]"
expect_eq "bytes per application protocol = tshark's, each connection under its first payload's" \
	"$(pm apps 'json.dumps({x["app"]: x["bytes"] for x in r["protocols"]}, sort_keys=True)')" \
	"$(truth 'json.dumps(t, sort_keys=True)')"
expect_eq "heavy protocols (over 10 percent of the bytes) = tshark's" \
	"$(pm apps 'sorted(x["app"] for x in r["heavy_protocols"])')" \
	"$(truth 'sorted(k for k, b in t.items() if b * 100 > 10 * sum(t.values()))')"
expect_eq "by IP protocol, the same bytes: TCP and UDP split into applications" \
	"$(pm ip 'sorted([x["proto"], x["bytes"]] for x in r["protocols"])')" \
	"$(truth 'sorted([6 if k in ("http", "tls", "ssh", "smtp", "other/tcp") else 17 if not k.startswith("ip/") else int(k[3:]), b] for k, b in t.items())' |
	   python3 -c 'import ast, sys; d = {}
for p, b in ast.literal_eval(sys.stdin.read()): d[p] = d.get(p, 0) + b
print(sorted([p, b] for p, b in d.items()))')"
expect_refused "attach refused: proto that is not ip or app" \
	"proto: ip or app" fc attach all stats name bad proto dpi
fc delete all
ktest "unload: rmmod stats once detached" rmmod flowos_pm_stats
ktap_finished
