# cmocka unit tests of the agent core (no root needed).
UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit \
	-DFIXTURES_DIR='"$(abs_top_srcdir)/tests/fixtures"'
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
UNIT_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)
UNIT_COMMON = tests/unit/testutil.c tests/unit/testutil.h

UNIT_TESTS += tests/unit/test-parsers tests/unit/test-model
tests_unit_test_parsers_SOURCES = tests/unit/test-parsers.c $(UNIT_COMMON)
tests_unit_test_parsers_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_parsers_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_parsers_LDADD = $(UNIT_LDADD)
tests_unit_test_model_SOURCES = tests/unit/test-model.c $(UNIT_COMMON)
tests_unit_test_model_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_model_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_model_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/unit/unit.h

UNIT_TESTS += tests/unit/test-build-signal
tests_unit_test_build_signal_SOURCES = tests/unit/test-build-signal.c $(UNIT_COMMON)
tests_unit_test_build_signal_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_build_signal_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_build_signal_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-conf
tests_unit_test_conf_SOURCES = tests/unit/test-conf.c $(UNIT_COMMON)
tests_unit_test_conf_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_conf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-wsl-topology
tests_unit_test_wsl_topology_SOURCES = tests/unit/test-wsl-topology.c $(UNIT_COMMON)
tests_unit_test_wsl_topology_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_wsl_topology_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_wsl_topology_LDADD = $(UNIT_LDADD)
