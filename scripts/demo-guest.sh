#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of "make demo": load flowos and show that it is live.
# Later issues grow this into flows, PMs and real traffic.
set -eu

BUILD=${1:?usage: demo-guest.sh BUILD_DIR}

say() { printf '\n== %s\n' "$*"; }
run() { echo "# $*"; "$@"; }

say "flowos demo on $(uname -sr)"
run insmod "$BUILD/kmod/flowos.ko"
run grep flowos /proc/modules
say "/sys/kernel/flowos, readable by any scraper"
run ls /sys/kernel/flowos
run cat /sys/kernel/flowos/version
say "the kernel log"
dmesg | grep 'flowos:'
say "unload"
run rmmod flowos
run test ! -e /sys/kernel/flowos
echo "flowos unloaded; /sys/kernel/flowos is gone"
