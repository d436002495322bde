#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "flowctl exporter" serves the namespace's numbers to Prometheus.
#
#   +------------------------+            +------------------------+
#   | ns A                   |    veth    | ns B                   |
#   |   va 10.0.0.1          |------------|  vb 10.0.0.2           |
#   +------------------------+            +------------------------+
#
# B has a flow "web" (UDP to port 7000) with a count instance, and the
# exporter, run as an operator would: "flowctl -n B exporter --listen",
# which listens in B.
# Truths: the datagrams A sent (count, and 128 IP bytes each);
# Debian's promtool, which must find the page well formed; and a real
# Prometheus server that scrapes the exporter every second and must
# report, through its HTTP API, the packet count flowctl reports, before
# and after more traffic.
. "$FLOWOS_REPO/selftests/lib.sh"
evald_start

A=flowos-a-$$-$RANDOM
B=flowos-b-$$-$RANDOM
TMP=$(mktemp -d)
PORT=$((20000 + RANDOM % 10000))
PROM_PORT=$((PORT + 1))
EXPORTER=
PROMETHEUS=
N=25

cleanup() {
	stop_pids $EXPORTER $PROMETHEUS
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	flowos_unload
	rm -rf "$TMP"
}
trap cleanup EXIT

fc() { flowctl_in "$B" "$@"; }

# http METHOD URL: the status and body of a request from inside B.
http() {
	ip netns exec "$B" python3 - "$1" "$2" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[2], method=sys.argv[1])
try:
    with urllib.request.urlopen(req, timeout=60) as r:
        print(r.status)
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
    sys.stdout.write(e.read().decode())
PY
}

metrics() {
	http GET "http://127.0.0.1:$PORT/metrics" | tail -n +2
}

# sample NAME LABELS: the value of the sample NAME{LABELS} in $TMP/page,
# the labels given as "k=v,k=v" in the page's order after namespace.
sample() {
	grep -F "$1{namespace=\"$B\"${2:+,}$2} " "$TMP/page" | awk '{print $2}'
}

# prom_query QUERY: the value Prometheus's HTTP API gives for QUERY.
prom_query() {
	ip netns exec "$B" python3 - "$PROM_PORT" "$1" <<'PY' 2>/dev/null
import json, sys, urllib.parse, urllib.request
url = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2]))
r = json.load(urllib.request.urlopen(url, timeout=10))
print(r["data"]["result"][0]["value"][1] if r["data"]["result"] else "none")
PY
}

prom_has() {
	[ "$(prom_query "$1")" = "$2" ]
}

test_page() {
	local got want

	metrics >"$TMP/page"
	ktest "promtool check metrics: the page is well formed" \
		promtool check metrics <"$TMP/page"
	expect_eq "flowos_up 1, one flow" \
		"$(sample flowos_up '') $(sample flowos_flows '')" "1 1"
	expect_eq "web's packets and IP bytes in = what A sent ($N x 128 bytes)" \
		"$(sample flowos_flow_packets_total 'flow="web",direction="in"') $(sample flowos_flow_bytes_total 'flow="web",direction="in"')" \
		"$N $((N * 128))"
	expect_eq "the count instance: processed and its packets result = $N" \
		"$(sample flowos_pm_processed_total 'flow="web",pm="c",type="count"') $(sample flowos_pm_count_packets 'flow="web",pm="c"')" \
		"$N $N"
	expect_eq "no drops, nothing malformed" \
		"$(sample flowos_flow_drops_total 'flow="web",reason="ring"') $(grep '^flowos_malformed_packets_total' "$TMP/page" | awk '{s += $2} END {print s + 0}')" \
		"0 0"
	got=$(python3 - "$TMP/page" <<'PY'
import re, sys
names = set()
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    m = re.match(r'[a-zA-Z_:][a-zA-Z0-9_:]*\{(.*)\} ', line)
    for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1) if m else ""):
        names.add(k)
        if re.search(r'\d+\.\d+\.\d+\.\d+|[0-9a-f]*:[0-9a-f]*:', v):
            names.add("address:" + v)
print(" ".join(sorted(names)))
PY
)
	want="direction flow namespace outcome pm reason type"
	expect_eq "labels: only the bounded set, no address in any value" "$got" "$want"
}

test_http() {
	expect_eq "HEAD /metrics: 200, no body" \
		"$(http HEAD "http://127.0.0.1:$PORT/metrics" | wc -c)" 4
	expect_eq "GET /nope: 404" "$(http GET "http://127.0.0.1:$PORT/nope" | head -n 1)" 404
	expect_eq "POST /metrics: 405" \
		"$(http POST "http://127.0.0.1:$PORT/metrics" | head -n 1)" 405
	expect_refused "--listen without a port is refused" "bad --listen" \
		fc exporter --listen 127.0.0.1
	expect_refused "a port already in use is refused" "cannot listen" \
		fc exporter --listen "127.0.0.1:$PORT"
	expect_refused "a namespace label with a blank is refused" "bad --namespace" \
		fc exporter --namespace 'a b'
}

# flowos goes away and comes back under a running exporter: the page
# says so (flowos_up 0, still well formed), then reads the new module.
test_reload() {
	fc delete web && flowos_unload ||
		ktap_exit_fail_msg "cannot unload flowos"
	metrics >"$TMP/page"
	expect_eq "flowos unloaded: flowos_up 0 on a page promtool accepts" \
		"$(sample flowos_up '') $(promtool check metrics <"$TMP/page" >/dev/null 2>&1; echo $?)" \
		"0 0"
	flowos_load || ktap_exit_fail_msg "cannot load flowos again"
	fc create again proto udp >/dev/null || ktap_exit_fail_msg "cannot create a flow"
	metrics >"$TMP/page"
	expect_eq "flowos loaded again: flowos_up 1, its one flow" \
		"$(sample flowos_up '') $(sample flowos_flows '')" "1 1"
}

test_prometheus() {
	local flowctl_n

	cat >"$TMP/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: flowos
	    static_configs:
	      - targets: ['127.0.0.1:$PORT']
	EOF
	ip netns exec "$B" prometheus --config.file="$TMP/prometheus.yml" \
		--storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
	PROMETHEUS=$!
	flowctl_n=$(flow_stat "$B" web packets_in)
	ktest "Prometheus scraped the exporter: its query = flowctl's count ($flowctl_n)" \
		slowwait 120 prom_has 'flowos_flow_packets_total{flow="web",direction="in"}' "$flowctl_n"
	[ "$(prom_query up)" = 1 ] || ktap_print_msg "prometheus: $(tail -n 5 "$TMP/prometheus.log")"
	udp_send "$A" 10.0.0.2 7000 10 100 >/dev/null
	slowwait 20 bash -c "[ \$(ip netns exec $B $FLOWOS_NL get web | grep -o 'packets_in=[0-9]*') = packets_in=$((N + 10)) ]"
	flowctl_n=$(flow_stat "$B" web packets_in)
	ktest "after 10 more datagrams: Prometheus's query = flowctl's count ($flowctl_n)" \
		slowwait 60 prom_has 'flowos_flow_packets_total{flow="web",direction="in"}' "$flowctl_n"
}

ktap_print_header
require_root
ktap_set_plan 17

command -v promtool >/dev/null && command -v prometheus >/dev/null ||
	ktap_exit_fail_msg "no promtool or prometheus (run scripts/deps.sh)"
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load || ktap_exit_fail_msg "cannot load $FLOWOS_KO"
insmod "$FLOWOS_BUILD/pms/count/flowos_pm_count.ko" ||
	ktap_exit_fail_msg "cannot load the count PM"
veth_pair "$A" "$B" || ktap_exit_fail_msg "cannot set up the namespaces"
fc create web proto udp dport 7000 attach count name c >/dev/null ||
	ktap_exit_fail_msg "cannot create the flow"
[ "$(udp_send "$A" 10.0.0.2 7000 "$N" 100)" = "$N" ] ||
	ktap_exit_fail_msg "A could not send"
slowwait 20 bash -c "[ \$(ip netns exec $B $FLOWOS_NL get web | grep -o 'packets_in=[0-9]*') = packets_in=$N ]"
slowwait 20 all_processed "$B" web "$N"

# Not through fc(): $! must be flowctl itself.  With -n, it listens in B.
"$FLOWOS_REPO/tools/flowctl/flowctl" -n "$B" exporter --listen "127.0.0.1:$PORT" \
	2>"$TMP/exporter.log" &
EXPORTER=$!
slowwait 20 grep -q serving "$TMP/exporter.log" ||
	ktap_exit_fail_msg "the exporter did not start: $(cat "$TMP/exporter.log")"

test_page
test_http
test_prometheus
test_reload
kill -TERM "$EXPORTER"
ktest "SIGTERM: the exporter exits 0" wait "$EXPORTER"
EXPORTER=
ktap_finished
