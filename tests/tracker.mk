# Tests of the page-cache tracker (bpf/, agent/tracker/).  Kept in their
# own variables so this fragment can be included before tests/local.mk.
#  unit (cmocka, no root): classification table, ledger arithmetic and
#  rates, id and path resolution on a fake tree, rows split by class.
#  tracker/*.sh (root; exit 77 with the reason otherwise): each attach
#  mode attributes a cgroup's writes, the issue's acceptance check, and a
#  real legacy-builder docker build on a private dockerd.
TRACKER_UNIT_TESTS = \
	tests/unit/test-tracker-classify \
	tests/unit/test-tracker-ledger \
	tests/unit/test-tracker-resolve \
	tests/unit/test-tracker-view \
	tests/unit/test-top-output
TRACKER_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
TRACKER_UNIT_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tracker_classify_SOURCES = tests/unit/test-tracker-classify.c
tests_unit_test_tracker_classify_CFLAGS = $(TRACKER_UNIT_CFLAGS)
tests_unit_test_tracker_classify_LDADD = $(TRACKER_UNIT_LDADD)
tests_unit_test_tracker_ledger_SOURCES = tests/unit/test-tracker-ledger.c
tests_unit_test_tracker_ledger_CFLAGS = $(TRACKER_UNIT_CFLAGS)
tests_unit_test_tracker_ledger_LDADD = $(TRACKER_UNIT_LDADD)
tests_unit_test_tracker_resolve_SOURCES = tests/unit/test-tracker-resolve.c
tests_unit_test_tracker_resolve_CFLAGS = $(TRACKER_UNIT_CFLAGS)
tests_unit_test_tracker_resolve_LDADD = $(TRACKER_UNIT_LDADD)
tests_unit_test_tracker_view_SOURCES = tests/unit/test-tracker-view.c
tests_unit_test_tracker_view_CFLAGS = $(TRACKER_UNIT_CFLAGS)
tests_unit_test_tracker_view_LDADD = $(TRACKER_UNIT_LDADD)
tests_unit_test_top_output_SOURCES = tests/unit/test-top-output.c
tests_unit_test_top_output_CFLAGS = $(TRACKER_UNIT_CFLAGS)
tests_unit_test_top_output_LDADD = $(TRACKER_UNIT_LDADD)

TRACKER_SCRIPT_TESTS = \
	tests/tracker/attach-modes.sh \
	tests/tracker/acceptance.sh \
	tests/tracker/pending.sh \
	tests/tracker/forget.sh \
	tests/tracker/pidns.sh \
	tests/tracker/memcg-v1.sh \
	tests/tracker/docker-build.sh

if HAVE_CMOCKA
check_PROGRAMS += $(TRACKER_UNIT_TESTS)
TESTS += $(TRACKER_UNIT_TESTS)
endif
TESTS += $(TRACKER_SCRIPT_TESTS)
EXTRA_DIST += $(TRACKER_SCRIPT_TESTS) tests/tracker/lib.sh
