#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "flowctl top" as a person runs it: in a terminal (tmux), its screen
# read with capture-pane, keys sent to it.  The numbers on the screen are
# held to the datagrams sent from A: each flow's packets and IP bytes,
# the top talkers of its stats instance, rates above zero while traffic
# flows and zero once it stopped; a key sorts the rows, q quits.
#
#   ns A  va 10.0.0.1, .11 ---- veth ---- vb 10.0.0.2  ns B  (flows in B)
. "$FLOWOS_REPO/selftests/lib.sh"

FLOWCTL=$FLOWOS_REPO/tools/flowctl/flowctl
A=top-a-$$-$RANDOM
B=top-b-$$-$RANDOM
TMUX_TMPDIR=$(mktemp -d)
export TMUX_TMPDIR TERM=xterm
SCREEN=top

cleanup() {
	tmux kill-server 2>/dev/null
	netns_del "$A" "$B"
	flowos_unload
	rm -rf "$TMUX_TMPDIR"
}
trap cleanup EXIT

fc() { "$FLOWCTL" -n "$B" "$@"; }

# screen: what the terminal shows now.
screen() { tmux capture-pane -p -t "$SCREEN"; }

# row FLOW: FLOW's PACKETS BYTES DROPS as the screen shows them.
row() { screen | awk -v f="$1" '$1 == f { print $5, $6, $7 }'; }

# rates FLOW: FLOW's PKT/S BIT/S as the screen shows them.
rates() { screen | awk -v f="$1" '$1 == f { print $2, $3 }'; }

# order: the flows, top to bottom.
order() { screen | awk '$1 == "web" || $1 == "dns" || $1 == "idle" { print $1 }' | xargs; }

# talkers: the talker lines under web, as "ADDR BYTES".
talkers() { screen | awk '$1 == "talker" { print $2, $3 }' | xargs; }

shows() { [ "$("$@" 2>/dev/null)" = "$WANT" ]; }

# send SRC PORT N SIZE: N datagrams of SIZE payload bytes from A's SRC.
send() {
	ip netns exec "$A" python3 - "$@" <<-'PY'
	import socket, sys
	src, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind((src, 0))
	print(sum(s.sendto(b"t" * size, ("10.0.0.2", port)) == size for _ in range(n)))
	PY
}

# The datagrams, and what they weigh in IP bytes (20 + 8 of headers).
W1=30 W11=10 D=7 SIZE=100
IPLEN=$((SIZE + 28))

ktap_print_header
require_root
ktap_set_plan 9

command -v tmux >/dev/null || ktap_exit_fail_msg "no tmux (scripts/deps.sh installs it)"
flowos_unload || ktap_exit_fail_msg "flowos was loaded and would not unload"
flowos_load && insmod "$FLOWOS_BUILD/pms/stats/flowos_pm_stats.ko" ||
	ktap_exit_fail_msg "cannot load flowos and stats"
veth_pair "$A" "$B" && ip -n "$A" addr add 10.0.0.11/24 dev va ||
	ktap_exit_fail_msg "cannot set up the namespaces"
fc create web proto udp dport 7000 attach stats name s window 1s history 120 last 120s addr src &&
	fc create dns proto udp dport 53 && fc create idle proto udp dport 9 ||
	ktap_exit_fail_msg "cannot make the flows"

tmux new-session -d -s "$SCREEN" -x 120 -y 30 "$FLOWCTL -n $B top --interval 1" ||
	ktap_exit_fail_msg "cannot start tmux"
# Up, with every flow listed (all at 0 pps: in no order to test).
listed() { order | tr ' ' '\n' | sort | xargs; }
WANT="dns idle web"
slowwait 20 shows listed
sleep 1
ktap_print_msg "$(screen | head -n 3)"

# A paced flow: its rate shows while it runs.
ip netns exec "$A" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.1", 0))
for _ in range(60):
    s.sendto(b"r" * 100, ("10.0.0.2", 53)); time.sleep(0.05)' &
pacer=$!
WANT=yes
dns_rated() { rates dns | awk '{ print ($1 + 0 > 0 ? "yes" : "no") }'; }
expect_eq "while datagrams come, dns shows a rate above zero" \
	"$(slowwait 20 shows dns_rated; dns_rated)" yes
wait "$pacer"

expect_eq "sent from 10.0.0.1 and 10.0.0.11" \
	"$(send 10.0.0.1 7000 $W1 $SIZE) $(send 10.0.0.11 7000 $W11 $SIZE) $(send 10.0.0.1 53 $D $SIZE)" \
	"$W1 $W11 $D"
WANT="$((W1 + W11)) $(((W1 + W11) * IPLEN)) 0"
slowwait 20 shows row web
expect_eq "web: packets and IP bytes as sent, no drop" "$(row web)" "$WANT"
WANT="$((60 + D)) $(((60 + D) * IPLEN)) 0"
slowwait 20 shows row dns
expect_eq "dns: packets and IP bytes as sent" "$(row dns)" "$WANT"
WANT="10.0.0.1 $((W1 * IPLEN)) 10.0.0.11 $((W11 * IPLEN))"
slowwait 20 shows talkers
expect_eq "web's top talkers, by source, with their bytes" "$(talkers)" "$WANT"
WANT="0 0"
slowwait 20 shows rates dns
expect_eq "traffic stopped: dns's rates are back to zero" "$(rates dns)" "$WANT"

tmux send-keys -t "$SCREEN" P
WANT="dns web idle"
slowwait 10 shows order
expect_eq "key P: by packets, most first" "$(order)" "$WANT"
tmux send-keys -t "$SCREEN" n
WANT="dns idle web"
slowwait 10 shows order
expect_eq "key n: by name" "$(order)" "$WANT"
tmux send-keys -t "$SCREEN" q
gone() { ! tmux has-session -t "$SCREEN" 2>/dev/null; }
expect_eq "key q: top quits" "$(slowwait 10 gone && echo gone)" gone
ktap_finished
