# Tests in a WSL-like QEMU guest (tests/vm/README.md): not part of plain
# `make check` (they boot VMs: about 2 min under TCG once the image is
# cached, 1-2 min more to build it the first time); `make check-vm` runs
# them, and scripts/test does when qemu can run.  Each test boots one guest
# (guests run one at a time: tests/vm/boot holds a lock).
VM_TESTS = \
	tests/vm/boot-self.sh \
	tests/vm/tracker-xfs-6.1.sh \
	tests/vm/tracker-xfs-6.12.sh \
	tests/vm/report-wsl-like.sh \
	tests/vm/reclaim-acceptance.sh \
	tests/vm/dd-b-host-low.sh \
	$(VM_DD_CI_TESTS)
# The Docker-Desktop-like guest (issue 17): every cgroup layout with both
# builders in `make check-vm-dd` (5-6 min each under TCG); `make check-vm` runs
# each layout once, the builders alternating, to keep CI short.
VM_DD_CI_TESTS = \
	tests/vm/dd-a-legacy.sh \
	tests/vm/dd-b-buildkit.sh \
	tests/vm/dd-c-legacy.sh
VM_DD_TESTS = \
	tests/vm/dd-a-legacy.sh \
	tests/vm/dd-a-buildkit.sh \
	tests/vm/dd-b-legacy.sh \
	tests/vm/dd-b-buildkit.sh \
	tests/vm/dd-c-legacy.sh \
	tests/vm/dd-c-buildkit.sh

EXTRA_DIST += $(VM_TESTS) $(VM_DD_TESTS) tests/vm/README.md tests/vm/lib.sh \
	tests/vm/prepare tests/vm/boot tests/vm/guest-init tests/vm/guest-lib.sh \
	tests/vm/rss-fall tests/vm/measure-return \
	tests/vm/guest/tracker-xfs.sh tests/vm/guest/report-wsl-like.sh \
	tests/vm/guest/cache-return.sh tests/vm/guest/wsl-launch tests/vm/guest/dd-build.sh \
	tests/vm/guest/levers-compare.sh tests/vm/guest/wsl-autoreclaim.sh \
	tests/vm/guest/drop-behind.sh bench/vm-levers bench/wsl-autoreclaim bench/vm-drop-behind \
	bench/fresh-build

# Says how long it took, and how much of that the guests ran (the rest is
# building the image the first time, or waiting for other guests' lock).
# check-vm-dd also prints each test's dd-result line (the layout x builder
# table).  The dd tests run tests/unit/test-wsl-topology --live in a distro.
VM_RUN = \
	start=$$(date +%s); \
	rm -rf $(1:.sh=.out) $(1:.sh=.out.timeout); \
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS="$(1)"; rc=$$?; \
	guests=$$(cat $(1:.sh=.out/run.info) $(1:.sh=.out.timeout/run.info) 2>/dev/null | \
		awk '$$1 == "elapsed" { s += $$2 } END { printf "%.0f", s }'); \
	cat $(filter tests/vm/dd-%,$(1:.sh=.out/guest.log)) /dev/null 2>/dev/null | grep '^dd-result '; \
	echo "$(2): $(words $(1)) tests in $$(( $$(date +%s) - start )) s ($$guests s in guests)"; \
	exit $$rc
check-vm: all tests/unit/test-wsl-topology
	@$(call VM_RUN,$(VM_TESTS),check-vm)
check-vm-dd: all tests/unit/test-wsl-topology
	@$(call VM_RUN,$(VM_DD_TESTS),check-vm-dd)

clean-local: clean-vm
# The run directories of every VM test (tests/actions/ adds guest tests).
clean-vm:
	rm -rf tests/vm/*.out tests/vm/*.out.timeout tests/actions/vm-*.out

.PHONY: check-vm check-vm-dd clean-vm
