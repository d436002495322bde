#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian 12 package flowos needs to build, run and test.
#
# Idempotent: when everything is present it prints nothing and exits 0.
# The kernels: the newest 6.1 (linux-image-amd64) and the newest 6.12
# "+deb12" image that has matching headers in the archive.
set -eu

die() { echo "deps.sh: $*" >&2; exit 1; }

BASE_PKGS=(
	build-essential gcc make pkg-config kmod cpio xz-utils
	busybox-static qemu-system-x86 qemu-utils
	libmnl-dev libnl-3-dev libnl-genl-3-dev libnetfilter-queue-dev libgmp-dev
	libpcap-dev nfdump pmacct libmicrohttpd-dev prometheus systemd libjson-c-dev
	iproute2 iputils-ping nftables tcpreplay tshark tcpdump ethtool jq
	procps util-linux python3 python3-yaml python3-jsonschema sparse clang llvm
	libclang-rt-dev valgrind linux-perf dkms tmux libbpf-dev bpftool
	flex bison bc libelf-dev libssl-dev
	linux-image-amd64 linux-headers-amd64 linux-source-6.12
)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

# Newest 6.12 ABI (e.g. "6.12.117+deb12-amd64") whose image and headers
# are both available.  Prefer one already installed so a re-run is quiet.
newest_612() {
	local v
	v=$(dpkg-query -W -f='${Package}\n' 'linux-headers-6.12.*+deb12-amd64' 2>/dev/null |
		sed 's/^linux-headers-//' | sort -V | tail -n 1)
	if [ -n "$v" ] && [ -z "$(missing "linux-image-$v")" ]; then
		echo "$v"
		return
	fi
	apt-cache search --names-only '^linux-(image|headers)-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sed -E 's/^linux-(image|headers)-//' |
		sort -V | uniq -c | awk '$1 == 2 { print $2 }' | tail -n 1
}

v612=$(newest_612)
pkgs=("${BASE_PKGS[@]}")
[ -n "$v612" ] && pkgs+=("linux-image-$v612" "linux-headers-$v612")
todo=$(missing "${pkgs[@]}")
if [ -z "$v612" ] || [ -n "$todo" ]; then
	[ "$(id -u)" -eq 0 ] || die "must run as root to install: ${todo:-6.12 kernel}"
	export DEBIAN_FRONTEND=noninteractive
	echo "deps.sh: installing: $(echo ${todo:-linux-image-6.12})"
	apt-get update -qq || die "apt-get update failed"
	if [ -z "$v612" ]; then
		v612=$(newest_612)
		[ -n "$v612" ] || die "no linux-image-6.12.*+deb12-amd64 with headers in the archive"
		todo="$todo linux-image-$v612 linux-headers-$v612"
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $todo >/dev/null ||
		die "apt-get install failed"
fi

# The kernel source tarball: checkpatch.pl and the kselftest framework
# headers are taken from it at build time.
ls /usr/src/linux-source-6.12.tar.* >/dev/null 2>&1 ||
	die "linux-source-6.12 tarball missing from /usr/src"
exit 0
