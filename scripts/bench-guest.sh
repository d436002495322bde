#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of "make bench": receive-path cost per packet, measured
# with pktgen (xmit_mode netif_receive) on a dummy device, 64-byte UDP
# frames (60 + FCS) from many 5-tuples, under qemu's instruction-counting
# clock, where a guest nanosecond is one instruction: pps in guest time
# is an exact, repeatable proxy for instructions per packet.
#
#   bench-guest.sh BUILD_DIR PACKETS ROUNDS [PROFILE]
#   bench-guest.sh BUILD_DIR PACKETS ROUNDS smp
#
# Prints one CSV line per run: round,config,packets,pps,drops (units the
# PMs did not get).  Configurations run interleaved within each round.
# The single vCPU that icount needs runs pktgen's thread and the PM
# threads in turn, so the flow's rings (qlen 65536) hold a whole run, in
# case a PM gets the CPU late: PACKETS stays below that, and a run with
# drops says so.
#
# PROFILE, a list of configurations, runs each once more under perf:
# a cpu-clock sample every PERIOD guest ns, which icount makes every
# PERIOD instructions.  It prints profile,CONFIG,SAMPLES,COMM,SYMBOL
# lines: SAMPLES x PERIOD / PACKETS is what SYMBOL costs per packet in
# task COMM (kpktgend_0 runs the receive path, hook included).
#
# "smp" runs the scaling configurations instead, on a guest with two
# vCPUs and the ordinary clock (icount needs one vCPU): one or both
# CPUs receiving, PACKETS each, with the count PM run by 1 or 2
# workers.  A run lasts until the PMs have been through every unit, so
# pps there is what the receive path and the PM sustain together.
set -u

BUILD=${1:?usage: bench-guest.sh BUILD_DIR PACKETS ROUNDS}
PACKETS=${2:-60000}
ROUNDS=${3:-3}
PROFILE=${4:-}
PERIOD=10000
# pktgen's frame without the FCS: 14 bytes of Ethernet, 46 of IP.
FRAME=60
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLOWCTL=$REPO/tools/flowctl/flowctl
DEV=bench0

# shellcheck source=scripts/pktgen-lib.sh
. "$REPO/scripts/pktgen-lib.sh"

# pktgen's name for DEV on the thread of CPU $1: "DEV", then "DEV@N".
cpu_dev() { if [ "$1" -eq 0 ]; then echo "$DEV"; else echo "$DEV@$1"; fi; }

# setup_pktgen [CPUS]: pktgen's threads on CPUs 0..CPUS-1 (1) each send
# from DEV ("DEV@N" on CPU N but the first).
setup_pktgen() {
	local cpus=${1:-1} mac cpu dev

	modprobe pktgen && modprobe nf_defrag_ipv4 && modprobe nf_defrag_ipv6 || return 1
	[ -e /sys/class/net/$DEV ] ||
		{ ip link add $DEV type dummy && ip link set $DEV up; } || return 1
	mac=$(cat /sys/class/net/$DEV/address)
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		pg "kpktgend_$cpu" "rem_device_all" || return 1
		[ "$cpu" -lt "$cpus" ] || continue
		dev=$(cpu_dev "$cpu")
		# 256 sources x 16 source ports: 4096 distinct 5-tuples.
		pg "kpktgend_$cpu" "add_device $dev" &&
			pktgen_udp "$dev" "$mac" "$FRAME" 256 16 || return 1
	done
}

# profile_start CONFIG: start pktgen under perf and report at once, while
# the modules of CONFIG are still loaded (perf resolves their symbols
# through /proc/kallsyms).
profile_start() {
	perf record -q -a -e cpu-clock -c "$PERIOD" -o "/tmp/perf-$1.data" -- \
		sh -c "echo start >/proc/net/pktgen/pgctrl" 2>/dev/null
	profile_report "$1"
}

# profile_report CONFIG: perf's samples of CONFIG, by task and symbol.
profile_report() {
	local data=/tmp/perf-$1.data

	perf report -i "$data" --stdio --sort comm,sym -n -t , \
		--percent-limit 0 2>/dev/null |
		sed -n "s/ *, */,/g
			s/^ *[0-9.]*%,\([0-9]*\),\([^,]*\),\[.\] \(.*[^ ]\) *\$/profile,$1,\1,\2,\3/p" \
		>"/tmp/perf-$1.csv"
	rm -f "$data"
}

# settle: 2 s of guest time before a measured run.  What the last
# configuration's teardown left to RCU callbacks and deferred frees
# (a map's, a flow's) would otherwise run inside this run: issue 21
# measured 7-12% outliers in the no-hook and tc rows without the pause,
# within 1.7% with it (2026-12-03 here: within 0.7%).  Under icount an idle guest's
# clock jumps to its next timer, so this costs little real time.
settle() { sleep 2; }

# run COUNT: send COUNT packets, print the pps pktgen measured.
run() {
	pg $DEV "count $1"
	settle
	if [ -n "${PROFILING:-}" ]; then
		profile_start "$PROFILING"
	else
		pg pgctrl start
	fi
	sed -n 's/^ *\([0-9]*\)pps.*/\1/p' /proc/net/pktgen/$DEV
}

PMS="count stats match ipfix"

load_flowos() {
	local pm

	insmod "$BUILD/kmod/flowos.ko" || return 1
	for pm in $PMS; do
		insmod "$BUILD/pms/$pm/flowos_pm_$pm.ko" || return 1
	done
}

# Deleting the flows detaches the PMs; then the modules go.
unload_flowos() {
	local pm

	"$FLOWCTL" delete hit
	for pm in $PMS; do
		rmmod "flowos_pm_$pm"
	done
	rmmod flowos
}

# flows_with_match N: one flow, the match PM with N patterns that never
# occur, so that the automaton's cost is measured, not counting hits.
flows_with_match() {
	local args=(match) i

	for i in $(seq 1 "$1"); do
		args+=(pattern "$(printf 'absent-%04d' "$i")")
	done
	flows_with 1 "${args[@]}"
}

# Each config: set up, run, report, tear down.
cfg_nohook() { run "$PACKETS"; }

# A nap of 5 ms of guest time, without a fork whose instructions would
# count.  A poll, a nap and a read of one sysfs file, costs bash about
# 100000 instructions (callgrind, bash 5.2): one every 5 ms is 2% of a
# run's guest time, and the end is seen at most 5 ms late, under 1% of a
# run of 60000 packets here.
exec {NAP_FD}<> <(:)
nap() { read -r -t 0.005 -u "$NAP_FD"; }

# drained_run END: PACKETS sent, timed until END, a shell function of
# builtins only, returns 0: every packet has been through.  END may
# block, or poll (once, with a nap, returning 1 if not yet).  Sets
# DRAINED_PPS (0 if END never came).  Not run in a subshell, whose fork
# would count, and so that END may wait for the main shell's jobs.  For
# the configurations whose packets go on on another task than pktgen's
# (the PM thread, the NFQUEUE program), which pktgen's own pps leaves
# out though the single vCPU runs it too.
drained_run() {
	local t0 t1 tries=0 perf perf_ctl perf_ack

	DRAINED_PPS=0
	pg $DEV "count $PACKETS"
	settle
	# Profiled, perf samples until every packet is through, not only
	# while pktgen sends.  It starts disabled and is enabled through its
	# control FIFO once ready (its start takes longer than a run here);
	# the FIFOs are opened read-write so that no open waits for perf.
	if [ -n "${PROFILING:-}" ]; then
		rm -f /tmp/perf.ctl /tmp/perf.ack
		mkfifo /tmp/perf.ctl /tmp/perf.ack
		exec {perf_ctl}<>/tmp/perf.ctl {perf_ack}<>/tmp/perf.ack
		perf record -q -a -e cpu-clock -c "$PERIOD" -D -1 \
			--control fifo:/tmp/perf.ctl,/tmp/perf.ack \
			-o "/tmp/perf-$PROFILING.data" 2>/dev/null &
		perf=$!
		echo enable >&"$perf_ctl" && read -r -t 300 -u "$perf_ack" ||
			echo "bench: perf did not start" >&2
	fi
	t0=${EPOCHREALTIME//[!0-9]/}
	pg pgctrl start
	until "$1"; do
		tries=$((tries + 1))
		[ "$tries" -lt 20000 ] || { echo "bench: $1 never came true" >&2; break; }
	done
	t1=${EPOCHREALTIME//[!0-9]/}
	if [ -n "${PROFILING:-}" ]; then
		echo disable >&"$perf_ctl" && read -r -t 60 -u "$perf_ack"
		kill -INT "$perf" && wait "$perf"
		exec {perf_ctl}>&- {perf_ack}>&-
		rm -f /tmp/perf.ctl /tmp/perf.ack
		profile_report "$PROFILING"
	fi
	[ "$tries" -lt 20000 ] || return 1
	DRAINED_PPS=$((PACKETS * 1000000 / (t1 - t0)))
}

# poll_at_least FILE N: whether the counter in FILE has reached N; if
# not, a nap first.
poll_at_least() {
	local n

	read -r n <"$1" && [ "$n" -ge "$2" ] && return 0
	nap
	return 1
}

# The inline flow "hit" with the count PM: each packet held, counted and
# re-injected.  Lost means bypassed, dropped on overflow or lost: then
# "reinjected" never comes to PACKETS, and the run fails.
INLINE=/sys/kernel/flowos/flows/hit
inline_settled() { poll_at_least "$INLINE/reinjected" "$PACKETS"; }

# The passive flow "hit" with the count PM, timed until the PM has been
# through every unit: the same work as cfg_inline_count but the hold.
# pktgen has queued every unit when its start returns, so a backlog of
# 0 then is the end.
count_settled() {
	local backlog

	read -r backlog <"$INLINE/pms/count/backlog" && [ "$backlog" = 0 ] &&
		return 0
	nap
	return 1
}

cfg_count_drained() {
	local n r m

	load_flowos || return 1
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 &&
		"$FLOWCTL" attach hit count || return 1
	drained_run count_settled
	read -r r <"$INLINE/ring_drops" && read -r m <"$INLINE/mem_drops" &&
		read -r n <"$INLINE/packets_in"
	# A flow that matched nothing would have had nothing to wait for.
	[ "$n" -ge "$PACKETS" ] || DRAINED_PPS=0
	echo "$DRAINED_PPS $((r + m))"
	unload_flowos
}

# The ipfix PM on the passive flow "hit", exporting to a collector that
# never reads (ipfix_sink: a bound UDP socket; what it does not take is
# dropped at its queue), timed until the PM has been through every unit.
# max_flows $1: 65536 holds every 5-tuple of the run (the cost of keeping
# records), 256 holds few of pktgen's 4096 (nearly every packet evicts a
# record, exported then: the cost of a record).  Prints "pps drops", and
# on stderr "records,CONFIG,N": the records exported during the run.
IPFIX=/sys/kernel/flowos/flows/hit/pms/ipfix
ipfix_settled() {
	local backlog

	read -r backlog <"$IPFIX/backlog" && [ "$backlog" = 0 ] && return 0
	nap
	return 1
}

ipfix_sink() {
	python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 4739))
time.sleep(1e9)' &
}

cfg_ipfix_drained() {
	local r m records

	load_flowos || return 1
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 &&
		"$FLOWCTL" attach hit ipfix collector 127.0.0.1:4739 max_flows "$1" ||
		return 1
	drained_run ipfix_settled
	read -r r <"$INLINE/ring_drops" && read -r m <"$INLINE/mem_drops" &&
		read -r records <"$IPFIX/records"
	echo "records,$2,$records" >&2
	echo "$DRAINED_PPS $((r + m))"
	unload_flowos
}

cfg_inline_count() {
	local b o l

	load_flowos || return 1
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 mode inline &&
		"$FLOWCTL" attach hit count || return 1
	drained_run inline_settled
	read -r b <"$INLINE/bypassed" && read -r o <"$INLINE/overflow_drops" &&
		read -r l <"$INLINE/lost"
	echo "$DRAINED_PPS $((b + o + l))"
	unload_flowos
}

# NFQUEUE, the tool people use for this job: an nftables rule queues the
# packets to nfq-accept (tools/nfq-accept, libnetfilter_queue), which
# has each copied to it and accepts it, and exits once it has given
# PACKETS verdicts, each of which re-injected its packet before the
# call returned: the end is its exit, waited for without a poll.  A
# packet the kernel could not queue or deliver never comes to it, so it
# never exits by itself: "timeout" ends it, and it says how many it saw.
# (/proc/net/netfilter/nfnetlink_queue counts those lost, but goes with
# the queue.)
NFQ_ACCEPT=$REPO/tools/nfq-accept/nfq-accept
NFQ_OUT=/tmp/nfq-accept.out

# nfqueue_said WORD: whether nfq-accept has said a line beginning with
# WORD; the line in NFQ_SAID.
nfqueue_said() {
	local line

	while read -r line; do
		[[ $line == "$1"* ]] && { NFQ_SAID=$line; return 0; }
	done <"$NFQ_OUT"
	return 1
}

# nfqueue_done: nfq-accept has ended, its exit status in NFQ_STATUS.
nfqueue_done() {
	wait "$NFQ_PID"
	NFQ_STATUS=$?
}

cfg_nfqueue() {
	local tries=0 seen=0

	nft -f - <<'NFT' || return 1
table ip bench {
	chain pre {
		type filter hook prerouting priority 0;
		udp dport 9 queue num 0
	}
}
NFT
	# Empty before it starts: a line of the last run's is no answer.
	: >"$NFQ_OUT"
	timeout 300 "$NFQ_ACCEPT" 0 "$PACKETS" >>"$NFQ_OUT" &
	NFQ_PID=$!
	until nfqueue_said ready; do
		sleep 0.1
		tries=$((tries + 1))
		[ "$tries" -lt 100 ] || { kill "$NFQ_PID"; nft delete table ip bench; return 1; }
	done
	drained_run nfqueue_done
	nfqueue_said seen && seen=${NFQ_SAID#seen }
	[ "$NFQ_STATUS" = 0 ] && [ "$seen" = "$PACKETS" ] || DRAINED_PPS=0
	nft delete table ip bench
	echo "$DRAINED_PPS $((PACKETS - seen))"
}

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

# The tc eBPF references: tools/bench-bpf/count5.bpf.o's program $1
# (tc_empty, tc_hash, tc_lru) attached alone at DEV's clsact ingress,
# the object loaded afresh for each run (empty maps, as a flowos flow
# starts with an empty table), by bpftool, pinned in bpffs.
BPF_OBJ=$REPO/tools/bench-bpf/count5.bpf.o
BPFFS=/sys/fs/bpf/flowos-bench

bpf_attach() {
	rm -rf "$BPFFS" && mkdir -p "$BPFFS" &&
		bpftool prog loadall "$BPF_OBJ" "$BPFFS/progs" pinmaps "$BPFFS/maps" &&
		tc qdisc add dev $DEV clsact &&
		tc filter add dev $DEV ingress bpf direct-action pinned "$BPFFS/progs/$1"
}

bpf_detach() {
	tc qdisc del dev $DEV clsact
	rm -rf "$BPFFS"
}

# bpf_counted MAP: "PACKETS BYTES" summed over MAP's entries and CPUs,
# and count5_full's (what found no room): every packet received must be
# in one of them.  On stderr, "tuples,MAP,N": the entries MAP holds.
bpf_counted() {
	bpftool -j map dump pinned "$BPFFS/maps/$1" >/tmp/bpf-map.json &&
		bpftool -j map dump pinned "$BPFFS/maps/count5_full" >/tmp/bpf-full.json &&
		python3 - "$1" /tmp/bpf-map.json /tmp/bpf-full.json <<'PY'
import json, sys
packets = nbytes = 0
for path in sys.argv[2:]:
    entries = json.load(open(path))
    for entry in entries:
        # bpftool prints the values by their BTF types under "formatted".
        for v in entry["formatted"]["values"]:
            packets += v["value"]["packets"]
            nbytes += v["value"]["bytes"]
    if path == sys.argv[2]:
        print(f"tuples,{sys.argv[1]},{len(entries)}", file=sys.stderr)
print(packets, nbytes)
PY
}

cfg_tc() {
	local pps counted

	bpf_attach "$1" || { bpf_detach; return 1; }
	pps=$(run "$PACKETS")
	if [ "$1" != tc_empty ]; then
		counted=$(bpf_counted "${2:?}")
		# What the map holds must be what pktgen sent, or the run failed.
		[ "$counted" = "$PACKETS $((PACKETS * (FRAME - 14)))" ] || {
			echo "bench: $1 counted $counted of $PACKETS packets, $((PACKETS * (FRAME - 14))) bytes" >&2
			pps=0
		}
	fi
	bpf_detach
	echo "$pps"
}

# flows N [PM [PARAM...]]: N flows, the packets matching the last one
# added, PM attached to it.
flows_with() {
	local n=$1 i pps

	load_flowos || return 1
	for i in $(seq 2 "$n"); do
		"$FLOWCTL" create "f$i" proto udp dport $((20000 + i)) || return 1
	done
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 || return 1
	shift
	[ $# -eq 0 ] || "$FLOWCTL" attach hit "$@" || return 1
	pps=$(run "$PACKETS")
	echo "$pps $("$FLOWCTL" -j show hit | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print(s["ring_drops"] + s["mem_drops"])')"
	unload_flowos
}

# BENCH_CONFIGS picks some (the table needs nohook and nftables).
CONFIGS=${BENCH_CONFIGS:-"nohook nftables tc_empty tc_hash tc_lru flowos flowos_count flowos_stats
	 flowos_stats_tumbling flowos_stats_sliding flowos_stats_app flowos_match10 flowos_match100 flowos_100 flowos_1000
	 flowos_count_drained flowos_inline_count flowos_ipfix flowos_ipfix_evict nfqueue"}

one() {
	case $1 in
	nohook) echo "$(cfg_nohook) 0" ;;
	nftables) echo "$(cfg_nftables) 0" ;;
	tc_empty) echo "$(cfg_tc tc_empty) 0" ;;
	tc_hash) echo "$(cfg_tc tc_hash count5_hash) 0" ;;
	tc_lru) echo "$(cfg_tc tc_lru count5_lru) 0" ;;
	flowos) flows_with 1 ;;
	flowos_count) flows_with 1 count ;;
	flowos_stats) flows_with 1 stats ;;
	# Windows short enough that a run turns them (a run is under a
	# second): the same view, whole windows or exactly the last T with
	# every unit kept.
	flowos_stats_tumbling) flows_with 1 stats window 100ms history 4 last 200ms ;;
	flowos_stats_sliding) flows_with 1 stats window 100ms history 4 last 200ms \
		view sliding log 65536 ;;
	# Application protocols: a clone of each packet, its connection.
	flowos_stats_app) flows_with 1 stats proto app ;;
	flowos_match10) flows_with_match 10 ;;
	flowos_match100) flows_with_match 100 ;;
	flowos_100) flows_with 100 ;;
	flowos_1000) flows_with 1000 ;;
	flowos_count_drained) cfg_count_drained ;;
	flowos_inline_count) cfg_inline_count ;;
	flowos_ipfix) cfg_ipfix_drained 65536 "$1" ;;
	flowos_ipfix_evict) cfg_ipfix_drained 256 "$1" ;;
	nfqueue) cfg_nfqueue ;;
	esac
}

# The smp configurations: smp_run CPUS [WORKERS] sends PACKETS from each
# of CPUS CPUs, to no flow or (WORKERS given) to a flow with the count PM
# run by WORKERS workers, and prints "pps drops": every packet sent over
# the time from start until the PM has been through the last unit.
smp_run() {
	local cpus=$1 workers=${2:-} t0 t1 cpu backlog drops=0
	local sysfs=/sys/kernel/flowos/flows/hit/pms/count/backlog

	setup_pktgen "$cpus" || return 1
	if [ -n "$workers" ]; then
		load_flowos && "$FLOWCTL" create hit proto udp dport 9 qlen 65536 &&
			"$FLOWCTL" attach hit count workers "$workers" || return 1
	fi
	for cpu in $(seq 0 $((cpus - 1))); do
		pg "$(cpu_dev "$cpu")" "count $PACKETS"
	done
	t0=$(date +%s%N)
	pg pgctrl start
	if [ -n "$workers" ]; then
		while read -r backlog <"$sysfs" && [ "$backlog" != 0 ]; do
			sleep 0.01
		done
	fi
	t1=$(date +%s%N)
	if [ -n "$workers" ]; then
		drops=$("$FLOWCTL" -j show hit | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print(s["ring_drops"] + s["mem_drops"])')
		unload_flowos
	fi
	echo "$((cpus * PACKETS * 1000000000 / (t1 - t0))) $drops"
}

SMP_CONFIGS="cpu1_nohook cpu2_nohook cpu1_count_w1 cpu2_count_w1 cpu2_count_w2"

smp_one() {
	case $1 in
	cpu1_nohook) smp_run 1 ;;
	cpu2_nohook) smp_run 2 ;;
	cpu1_count_w1) smp_run 1 1 ;;
	cpu2_count_w1) smp_run 2 1 ;;
	cpu2_count_w2) smp_run 2 2 ;;
	esac
}

if [ "$PROFILE" = smp ]; then
	[ "$(nproc)" -ge 2 ] || { echo "bench: smp needs 2 CPUs" >&2; exit 1; }
	smp_run 2 >/dev/null	# warm up
	echo "round,config,packets,pps,drops"
	for round in $(seq 1 "$ROUNDS"); do
		for c in $SMP_CONFIGS; do
			read -r pps drops <<<"$(smp_one "$c")"
			echo "$round,$c,$PACKETS,${pps:-0},${drops:-0}"
		done
	done
	exit 0
fi

setup_pktgen || { echo "bench: cannot set up pktgen" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
	{ echo "bench: cannot mount bpffs" >&2; exit 1; }
# The tc rows are a reference only with the JIT on, as a production
# kernel runs them (Debian's has it always on): say so.
bpf_attach tc_hash &&
	echo "# bpf: net.core.bpf_jit_enable $(cat /proc/sys/net/core/bpf_jit_enable)," \
		"tc_hash $(bpftool -j prog show pinned "$BPFFS/progs/tc_hash" |
			python3 -c 'import json, sys; p = json.load(sys.stdin); print("jited, %d bytes" % p["bytes_jited"] if p.get("jited") else "NOT jited")')"
bpf_detach
ipfix_sink
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

# The profiles, by kernel symbol.
echo "profile,period,$PERIOD"
for c in $PROFILE; do
	PROFILING=$c one "$c" >/dev/null
	cat "/tmp/perf-$c.csv"
done
