# Tests of the reclaim levers (agent/actions/).
#  unit (cmocka, no root): names, memory.reclaim's step / EAGAIN /
#  swappiness fallback / frozen / unreachable logic on a fake tree with the
#  kernel's answers played by a hook, dry-run writing nothing there.
#  actions/*.sh (root, real cgroups and files on this machine, through the
#  action-run driver): force_empty on a real v1 memory cgroup, fadvise by
#  path and by handle, the directory walk, drop_caches with the hot set
#  restored, compaction, dry-run, error paths.
ACTIONS_UNIT_TESTS = tests/unit/test-actions
tests_unit_test_actions_SOURCES = tests/unit/test-actions.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_actions_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit \
	-DFIXTURES_DIR='"$(abs_top_srcdir)/tests/fixtures"'
tests_unit_test_actions_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_actions_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/actions/action-run
tests_actions_action_run_SOURCES = tests/actions/action-run.c
tests_actions_action_run_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_actions_action_run_LDADD = $(WSLDOCK_LIBS)

ACTIONS_SCRIPT_TESTS = \
	tests/actions/force-empty.sh \
	tests/actions/fadvise.sh \
	tests/actions/drop-caches.sh \
	tests/actions/compact.sh \
	tests/actions/cgroup-v2.sh \
	tests/actions/dry-run.sh \
	tests/actions/errors.sh

if HAVE_CMOCKA
check_PROGRAMS += $(ACTIONS_UNIT_TESTS)
TESTS += $(ACTIONS_UNIT_TESTS)
endif
TESTS += $(ACTIONS_SCRIPT_TESTS)
EXTRA_DIST += $(ACTIONS_SCRIPT_TESTS) tests/actions/lib.sh

# Lever a for real, in QEMU guests: part of `make check-vm` (tests/vm).
ACTIONS_VM_TESTS = tests/actions/vm-memory-reclaim-6.1.sh tests/actions/vm-memory-reclaim-6.12.sh
VM_TESTS += $(ACTIONS_VM_TESTS)
EXTRA_DIST += $(ACTIONS_VM_TESTS) tests/actions/guest-memory-reclaim.sh tests/actions/guest-hold.py
