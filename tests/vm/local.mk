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

check-vm: all
	@start=$$(date +%s); \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(VM_TESTS)"; rc=$$?; \
	echo "check-vm: $(words $(VM_TESTS)) tests in $$(( $$(date +%s) - start )) s"; \
	exit $$rc

clean-local: clean-vm
clean-vm:
	rm -rf tests/vm/*.out tests/vm/*.out.timeout

.PHONY: check-vm clean-vm
