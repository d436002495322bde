#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ipfix PM's encoder (pms/ipfix/ipfix_msg.c, natively, through
# build/unit/ipfix_send) held to real readers of IPFIX: 600 random flow
# records (IPv4 and IPv6 mixed, so data sets change template, counters
# past 2^32, millisecond times) are sent as datagrams of at most 1400
# bytes to Debian's nfcapd on the loopback, and nfdump's reading of what
# it stored must be the records sent, field by field, with no sequence
# error; the same messages in a capture, read by tshark's IPFIX
# dissector, must carry RFC 7011's sequence numbers (the data records
# sent before each message), the templates first, each record's
# flowEndReason, and no message over the size asked for.
. "$FLOWOS_REPO/selftests/lib.sh"

SEND=$FLOWOS_REPO/build/unit/ipfix_send
LIB=$FLOWOS_REPO/selftests/lib
TMP=$(mktemp -d)
NFCAPD=

cleanup() {
	[ -n "$NFCAPD" ] && kill "$NFCAPD" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# tshark's fields of every IPFIX message in the capture, one per line.
fields() {
	tshark -r "$TMP/ipfix.pcap" -d udp.port==4739,cflow -T fields \
		-E occurrence=a -E aggregator=, "${@/#/-e}" 2>/dev/null
}

ktap_print_header
ktap_set_plan 7
command -v nfcapd >/dev/null || ktap_exit_fail_msg "no nfcapd (run scripts/deps.sh)"
python3 - "$TMP/records" <<'PY'
import ipaddress, random, sys
rng = random.Random(7011)
with open(sys.argv[1], "w") as f:
    for i in range(600):
        v6 = rng.random() < 0.4
        net = ipaddress.ip_network("2001:db8::/64" if v6 else "10.0.0.0/8")
        sa, da = (net[rng.randrange(1, 1 << 20)] for _ in range(2))
        proto = rng.choice([6, 6, 17, 1, 132])
        ports = proto in (6, 17, 132)
        start = 1764633600000 + rng.randrange(10 ** 9)
        f.write("%d %d %s %s %d %d %d %d %d %d %d %d %d %d %d\n" % (
            6 if v6 else 4, proto, sa, da,
            rng.randrange(65536) if ports else 0,
            rng.randrange(65536) if ports else 0,
            rng.randrange(1 << rng.choice([8, 20, 40])),
            rng.randrange(1, 1 << rng.choice([4, 16, 34])),
            start, start + rng.randrange(600000),
            rng.randrange(256) if proto == 6 else 0, rng.randrange(1, 6),
            rng.randrange(1, 1 << 31), rng.randrange(1 << 31),
            rng.randrange(2)))
PY

port=$((20000 + RANDOM % 20000))
mkdir "$TMP/nfc"
nfcapd -w "$TMP/nfc" -b 127.0.0.1 -p "$port" -t 3600 >"$TMP/nfcapd.log" 2>&1 &
NFCAPD=$!
slowwait 20 grep -q "Startup" "$TMP/nfcapd.log" ||
	ktap_exit_fail_msg "nfcapd did not start: $(cat "$TMP/nfcapd.log")"
ktest "sent 600 records to nfcapd" \
	sh -c "'$SEND' --mtu 1400 --domain 42 127.0.0.1 $port <'$TMP/records' >'$TMP/sent'"
kill -TERM "$NFCAPD"
wait "$NFCAPD"
NFCAPD=
sed 's/^/# /' "$TMP/sent" "$TMP/nfcapd.log" | grep -E 'messages|Flows'
# Added up over nfcapd's summary lines: one per file it closes, and
# -t 3600 closes one on each hour of the clock too.
expect_eq "nfcapd: 600 flows, no sequence error, no bad packet" \
	"$(sed -n 's/.*Flows: \([0-9]*\),.*Sequence Errors: \([0-9]*\), Bad Packets: \([0-9]*\).*/\1 \2 \3/p' \
	   "$TMP/nfcapd.log" | awk '{ f += $1; s += $2; b += $3 } END { print f, s, b }')" "600 0 0"
TZ=UTC nfdump -R "$TMP/nfc" -o json >"$TMP/stored.json" 2>"$TMP/nfdump.err"
ktest "nfdump: every record as sent, field by field" \
	python3 "$LIB/ipfix_vs_nfdump.py" "$TMP/records" "$TMP/stored.json"

"$SEND" --mtu 1400 --domain 42 --pcap "$TMP/ipfix.pcap" <"$TMP/records" >/dev/null
# Each message's sequence number: the data records of those before it.
expect_eq "tshark: each sequence number = the records sent before" \
	"$(fields cflow.sequence cflow.flow_end_reason | awk -F'\t' '
		{ if ($1 != n) bad++; n += $2 == "" ? 0 : split($2, r, ",") }
		END { print n == 600 ? bad + 0 : "records " n }')" 0
expect_eq "tshark: the templates (256, 257) first, once" \
	"$(fields cflow.template_id | tr -s '\n,' ' ' | sed 's/ *$//')" "256 257"
expect_eq "tshark: no message over 1400 bytes, all of domain 42" \
	"$(fields cflow.len cflow.od_id | awk -F'\t' '$1 > 1400 || $2 != 42' | wc -l)" 0
expect_eq "tshark: each record's flowEndReason as sent" \
	"$(fields cflow.flow_end_reason | tr ',' '\n' | grep -v '^$')" \
	"$(awk '{ print $12 }' "$TMP/records")"
ktap_finished
