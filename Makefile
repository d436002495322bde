# SPDX-License-Identifier: GPL-2.0
#
# flowos top-level Makefile.
#
#   make                 modules (for KDIR) and userspace tools
#   make KDIR=...        modules for another kernel's build tree
#   make check           unit tests, lint, then the selftests in a VM on
#                        every supported kernel; installs its dependencies
#   make demo            boot a VM, load flowos, show it working
#   make check-debug     the selftests on a KASAN, lockdep and kmemleak kernel
#                        built once from Debian's linux-source (slow)
#   make lint            W=1, sparse and checkpatch --strict on the tree
#   make bench           per-packet cost in a VM, next to no hook and nftables,
#                        and the latency an inline flow adds
#   make bench-native    the packet path's parser and classifier natively:
#                        ns and instructions (callgrind) per packet
#   make stress          long hostile-input and unload runs, debug kernel
#   make install         modules_install into /lib/modules/$(KVER)
#   make dkms-install    register with DKMS, build and install for $(KVER)
#   make dkms-remove     unregister from DKMS, remove what it installed
#   make clean
#
# Module objects go to build/$(KVER)/, a tree of symlinks to the sources,
# so that builds for several kernels coexist and the tree stays clean.
# "make -C $(KDIR) M=$(PWD)" works too (DKMS does that).

REPO := $(CURDIR)

# The newest installed Debian kernel that has its headers.
KDIR ?= $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
# The release as "uname -r" prints it: Debian's 6.1 headers say "6.1.x" in
# kernel.release, so read it off the directory name where it is Debian's.
KDIR_NAME := $(notdir $(realpath $(KDIR)))
KVER := $(if $(filter linux-headers-%,$(KDIR_NAME)),$(KDIR_NAME:linux-headers-%=%),$(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null))
BUILD := $(REPO)/build/$(KVER)
V ?= 0
W ?= 1

KSRC_TAR := $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))
KSRC := $(REPO)/build/ksrc

MOD_SOURCES := Kbuild kmod pms uapi
TOOL_DIRS := $(patsubst %/Makefile,%,$(wildcard tools/*/Makefile))

.PHONY: all modules tools check check-debug demo demo-run lint install clean ksrc test-modules bench \
	bench-native stress dkms-install dkms-remove \
	FORCE

all: modules tools

check-kdir:
	@test -n "$(KVER)" || { echo "no kernel headers in KDIR='$(KDIR)'; run scripts/deps.sh" >&2; exit 1; }

# A fresh symlink farm each time: new sources appear, removed ones vanish.
$(BUILD)/.farm: FORCE | check-kdir
	@mkdir -p $(BUILD)
	@cp -rs --remove-destination $(wildcard $(addprefix $(REPO)/,$(MOD_SOURCES))) $(BUILD)/
	@find $(BUILD) -xtype l -delete
	@touch $@

modules: $(BUILD)/.farm
	$(MAKE) -C $(KDIR) M=$(BUILD) W=$(W) V=$(V) modules

# Modules that exist only to test the test harness (never installed).
test-modules: modules
	@mkdir -p $(BUILD)/harness
	@cp -rs --remove-destination $(REPO)/selftests/harness/modules/. $(BUILD)/harness/
	$(MAKE) -C $(KDIR) M=$(BUILD)/harness W=$(W) V=$(V) modules
	@mkdir -p $(BUILD)/testpm
	@cp -rs --remove-destination $(REPO)/selftests/flowos/modules/. $(BUILD)/testpm/
	$(MAKE) -C $(KDIR) M=$(BUILD)/testpm W=$(W) V=$(V) \
		KBUILD_EXTRA_SYMBOLS=$(BUILD)/Module.symvers modules

tools:
	@for d in $(TOOL_DIRS); do $(MAKE) -C $$d || exit 1; done

# checkpatch.pl, the kselftest framework, the YNL netlink CLI (to
# speak flowos from its spec) and the kernel's rbtree as tools/ builds
# it in userspace (for natively built reassembly), unpacked from the Debian
# linux-source tarball (never copied into this repository).
ksrc: $(KSRC)/.stamp
$(KSRC)/.stamp: $(KSRC_TAR) Makefile
	@test -n "$(KSRC_TAR)" || { echo "no /usr/src/linux-source-*.tar.xz; run scripts/deps.sh" >&2; exit 1; }
	@rm -rf $(KSRC) && mkdir -p $(KSRC)
	tar -xf $(KSRC_TAR) -C $(KSRC) --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest/*' \
		'*/tools/net/ynl/cli.py' '*/tools/net/ynl/lib/*.py' \
		'*/Documentation/netlink/genetlink.yaml' \
		'*/tools/lib/rbtree.c' '*/tools/include/*' \
		'*/.clang-format'
	@touch $@

# deps.sh may install the kernels and sources that KDIR and KSRC_TAR are
# computed from, so what follows it runs in a fresh make.
check:
	scripts/deps.sh
	$(MAKE) ksrc
	scripts/check

# The kernel it builds is cached in ~/.cache/flowos (scripts/debug-kernel).
check-debug:
	scripts/deps.sh
	$(MAKE) ksrc
	scripts/check-debug

demo:
	scripts/deps.sh
	$(MAKE) demo-run

# Per-packet cost under qemu's instruction-counting clock (scripts/bench).
bench: modules tools
	scripts/bench --kernel $(KVER)
	scripts/bench --kernel $(KVER) --smp --rounds 9
	scripts/bench --kernel $(KVER) --latency --packets 200 --rounds 3

# The same source natively: time and callgrind (scripts/bench-native).
bench-native:
	scripts/bench-native

# Long versions of the hostile-input and unload tests (scripts/stress),
# on the debug kernel that check-debug uses.
stress:
	scripts/deps.sh
	$(MAKE) ksrc
	scripts/stress

demo-run: modules tools ksrc
	scripts/vm --kernel $(KVER) -- $(REPO)/scripts/demo-guest.sh $(BUILD)

lint: ksrc
	scripts/lint

install: modules
	$(MAKE) -C $(KDIR) M=$(BUILD) modules_install
	depmod -a $(KVER)
	@for d in $(TOOL_DIRS); do $(MAKE) -C $$d install || exit 1; done

# DKMS (dkms.conf): the module sources as /usr/src/flowos-VERSION, built
# and installed for KVER now and for every kernel installed later.
dkms-install: check-kdir
	scripts/dkms install $(KVER)

dkms-remove:
	scripts/dkms remove

clean:
	rm -rf build
	$(MAKE) -C selftests/unit clean
	$(MAKE) -C selftests/lib clean
	@for d in $(TOOL_DIRS); do $(MAKE) -C $$d clean || exit 1; done

FORCE:
