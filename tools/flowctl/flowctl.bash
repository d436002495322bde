# SPDX-License-Identifier: GPL-2.0
# bash completion for flowctl(8): its options and commands, and from the
# running kernel, in the namespace -n names, the flows, the PM types,
# their parameters and the instances of a flow.  "make install" puts it
# where bash-completion loads it from.

# _flowctl_run ARGS...: flowctl, in the namespace the line names, its
# errors (no module, no such namespace) hidden: a completion has nothing
# to offer then.
_flowctl_run()
{
	"${_flowctl_cmd:-flowctl}" ${_flowctl_netns:+-n "$_flowctl_netns"} "$@" 2>/dev/null
}

# The flows, by name.
_flowctl_flows()
{
	_flowctl_run list | awk '$1 == "flow" { print $2 }'
}

# The PM types the kernel knows (loaded modules).
_flowctl_types()
{
	_flowctl_run pms | awk '/^[^ ]/ { print $1 }'
}

# _flowctl_params TYPE [live]: TYPE's parameters (only live ones).
_flowctl_params()
{
	_flowctl_run pms | awk -v type="$1" -v live="${2:-}" '
		/^[^ ]/ { in_type = $1 == type; next }
		in_type && (live == "" || /, live( |$)/) { print $1 }'
}

# _flowctl_instances FLOW: its instances, as "NAME TYPE" lines.
_flowctl_instances()
{
	_flowctl_run dump "$1" | awk '$1 == "attach" {
		for (i = 4; i < NF; i += 2) if ($i == "name") print $(i + 1), $3 }'
}

# _flowctl_pm_words TYPE WORD...: after an instance's TYPE and its WORDs
# so far, the keys when one comes next (else a value: nothing to offer).
_flowctl_pm_words()
{
	[ $(($# % 2)) -eq 1 ] || return 1
	echo name order workers
	_flowctl_params "$1"
}

# _flowctl_match_words [KEYWORD]: the values KEYWORD takes; the
# keywords without one.
_flowctl_match_words()
{
	case ${1:-} in
	"") echo ip ip6 proto src dst sport dport icmp-type icmp-code dscp ecn \
		dev iifname oifname vlan dir prio qlen mode overflow attach ;;
	proto) echo tcp udp sctp icmp icmpv6 ;;
	icmp-type) echo echo-request echo-reply destination-unreachable \
		time-exceeded parameter-problem redirect packet-too-big \
		nd-neighbor-solicit nd-neighbor-advert nd-router-solicit \
		nd-router-advert ;;
	dscp) echo cs0 cs1 cs2 cs3 cs4 cs5 cs6 cs7 af11 af12 af13 af21 af22 af23 \
		af31 af32 af33 af41 af42 af43 ef va le ;;
	ecn) echo not-ect ect1 ect0 ce ;;
	dir) echo in out both ;;
	mode) echo passive inline ;;
	overflow) echo accept drop ;;
	dev | iifname | oifname) ip ${_flowctl_netns:+-n "$_flowctl_netns"} -o link show 2>/dev/null |
		awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' ;;
	esac
}

# _flowctl_definition WORD...: after "create NAME" or "change NAME":
# match keywords and their values, then "attach TYPE [KEY VALUE]...".
_flowctl_definition()
{
	local w=("$@") i=0

	while [ $i -lt $# ]; do
		case ${w[i]} in
		attach)
			_flowctl_pipeline "${w[@]:i + 1}"
			return ;;
		ip | ip6) i=$((i + 1)) ;;
		*)
			# A keyword whose value is the word being completed.
			if [ $((i + 1)) -eq $# ]; then
				_flowctl_match_words "${w[i]}"
				return
			fi
			i=$((i + 2)) ;;
		esac
	done
	_flowctl_match_words
}

# _flowctl_pipeline WORD...: after a create line's first "attach"; an
# "attach" where a key would stand begins the next instance.
_flowctl_pipeline()
{
	local w=("$@") type=0 i=1

	while [ $i -lt $# ]; do
		if [ "${w[i]}" = attach ]; then
			type=$((i + 1))
			i=$((i + 2))
		else
			i=$((i + 2))
		fi
	done
	if [ $type -ge $# ]; then
		_flowctl_types
	elif _flowctl_pm_words "${w[@]:type}"; then
		echo attach
	fi
}

_flowctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i=1 cmd="" args=() words _flowctl_netns="" _flowctl_cmd=${COMP_WORDS[0]}

	# Options before the command; -n's namespace is every query's.
	while [ $i -lt "$COMP_CWORD" ]; do
		case ${COMP_WORDS[i]} in
		-n | --netns)
			_flowctl_netns=${COMP_WORDS[i + 1]}
			i=$((i + 2))
			continue ;;
		-b | --batch | -batch)
			i=$((i + 2))
			continue ;;
		-*) i=$((i + 1)); continue ;;
		esac
		cmd=${COMP_WORDS[i]}
		args=("${COMP_WORDS[@]:i + 1:COMP_CWORD - i - 1}")
		break
	done
	if [ -z "$cmd" ]; then
		case $prev in
		-n | --netns) words=$(ip netns list 2>/dev/null | awk '{ print $1 }') ;;
		-b | --batch | -batch)
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return ;;
		*) words="-j -p -n -b -f -h -V --json --pretty --netns --batch --force
			--help --version create change delete list show monitor
			status attach detach set pms stats dump apply top exporter" ;;
		esac
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return
	fi
	case $cmd in
	create)
		[ ${#args[@]} -eq 0 ] && return
		words=$(_flowctl_definition "${args[@]:1}") ;;
	change)
		if [ ${#args[@]} -eq 0 ]; then
			words=$(_flowctl_flows)
		else
			words=$(_flowctl_definition "${args[@]:1}")
		fi ;;
	delete | show | dump)
		[ ${#args[@]} -eq 0 ] && words=$(_flowctl_flows) ;;
	stats)
		if [ "$prev" = --watch ] || [ "$prev" = -w ]; then
			return
		fi
		words="--watch"
		[ ${#args[@]} -eq 0 ] && words+=" $(_flowctl_flows)" ;;
	attach)
		case ${#args[@]} in
		0) words=$(_flowctl_flows) ;;
		1) words=$(_flowctl_types) ;;
		*) words=$(_flowctl_pm_words "${args[@]:1}") ;;
		esac ;;
	detach)
		case ${#args[@]} in
		0) words=$(_flowctl_flows) ;;
		1) words=$(_flowctl_instances "${args[0]}" | awk '{ print $1 }') ;;
		esac ;;
	set)
		case ${#args[@]} in
		0) words=$(_flowctl_flows) ;;
		1) words=$(_flowctl_instances "${args[0]}" | awk '{ print $1 }') ;;
		*)
			# A key, every other word: the instance type's live ones.
			[ $(((${#args[@]} - 2) % 2)) -eq 0 ] &&
				words=$(_flowctl_params "$(_flowctl_instances "${args[0]}" |
					awk -v n="${args[1]}" '$1 == n { print $2 }')" live) ;;
		esac ;;
	top)
		case $prev in
		--sort) words="pps bps drops packets bytes name" ;;
		--interval | --count) return ;;
		*) words="--sort --interval --count" ;;
		esac ;;
	exporter)
		case $prev in
		--listen | --namespace) return ;;
		*) words="--listen --namespace" ;;
		esac ;;
	apply)
		mapfile -t COMPREPLY < <(compgen -W "--dry-run --prune" -- "$cur"
					 compgen -f -- "$cur")
		return ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _flowctl flowctl
