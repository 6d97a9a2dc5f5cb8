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
	tests/vm/reclaim-acceptance.sh

EXTRA_DIST += $(VM_TESTS) tests/vm/README.md tests/vm/lib.sh \
	tests/vm/prepare tests/vm/boot tests/vm/guest-init tests/vm/guest-lib.sh \
	tests/vm/rss-fall tests/vm/measure-return \
	tests/vm/guest/tracker-xfs.sh tests/vm/guest/report-wsl-like.sh \
	tests/vm/guest/cache-return.sh

# Says how long it took, and how much of that the guests ran (the rest is
# building the image the first time, or waiting for other guests' lock).
check-vm: all
	@start=$$(date +%s); \
	rm -rf $(VM_TESTS:.sh=.out) $(VM_TESTS:.sh=.out.timeout); \
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS="$(VM_TESTS)"; rc=$$?; \
	guests=$$(cat $(VM_TESTS:.sh=.out/run.info) $(VM_TESTS:.sh=.out.timeout/run.info) 2>/dev/null | \
		awk '$$1 == "elapsed" { s += $$2 } END { printf "%.0f", s }'); \
	echo "check-vm: $(words $(VM_TESTS)) tests in $$(( $$(date +%s) - start )) s ($$guests s in guests)"; \
	exit $$rc

clean-local: clean-vm
# The run directories of every VM test (tests/actions/ adds guest tests).
clean-vm:
	rm -rf tests/vm/*.out tests/vm/*.out.timeout tests/actions/vm-*.out

.PHONY: check-vm clean-vm
