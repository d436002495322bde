#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The exporter's systemd unit as "make install" installs it: ExecStart
# names the installed flowctl, systemd 252's own checker (systemd-analyze
# verify) accepts the file, and its offline security review rates the
# sandbox at an exposure of at most 2.0 of 10 ("OK": no capabilities, a
# dynamic user, a read-only system, only netlink and IP sockets).
. "$FLOWOS_REPO/selftests/lib.sh"

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
UNIT=usr/lib/systemd/system/flowos-exporter.service

ktap_print_header
ktap_set_plan 4

command -v systemd-analyze >/dev/null ||
	ktap_exit_fail_msg "no systemd-analyze (run scripts/deps.sh)"
make -s -C "$FLOWOS_REPO/tools/flowctl" install DESTDIR="$ROOT" PREFIX=/usr \
	>"$ROOT/install.log" 2>&1 ||
	ktap_exit_fail_msg "make install failed: $(tail -n 5 "$ROOT/install.log")"

expect_eq "make install: the unit runs the installed flowctl's exporter" \
	"$(sed -n 's/^ExecStart=//p' "$ROOT/$UNIT")" \
	"/usr/sbin/flowctl exporter --listen 127.0.0.1:9850 --namespace init"
ktest "make install: flowctl is where ExecStart says" test -x "$ROOT/usr/sbin/flowctl"
# sysinit.target and man pages are the host's, absent under --root: only
# the unit's own errors count.
verify=$(cd "$ROOT" && systemd-analyze verify --root="$ROOT" "$UNIT" 2>&1 |
	grep -v -e 'sysinit.target not found' -e "Command 'man ")
expect_eq "systemd-analyze verify: no complaint" "${verify:-(none)}" "(none)"
level=$(cd "$ROOT" && systemd-analyze security --offline=true --root="$ROOT" "$UNIT" 2>&1 |
	sed -n 's/.*Overall exposure level for flowos-exporter.service: \([0-9.]*\).*/\1/p')
ktap_print_msg "exposure level: ${level:-?}"
ktest "systemd-analyze security: exposure at most 2.0 (was ${level:-?})" \
	awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.0) }'
ktap_finished
