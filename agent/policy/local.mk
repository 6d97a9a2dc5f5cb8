# The pure reclaim policy (no file, clock or BPF access): part of
# libwsldock.a, tested by tests/unit/test-policy.c.
agent_libwsldock_a_SOURCES += \
	agent/policy/policy.h agent/policy/internal.h agent/policy/core.c \
	agent/policy/episode.c agent/policy/levers.c agent/policy/hot.c \
	agent/policy/host.c agent/policy/wsl_idle.c agent/policy/config.c \
	agent/policy/drop_behind.c

# Its table tests (cmocka, no root).
POLICY_UNIT_TESTS = tests/unit/test-policy
tests_unit_test_policy_SOURCES = tests/unit/test-policy.c
tests_unit_test_policy_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURES_DIR='"$(abs_top_srcdir)/tests/fixtures"'
tests_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_policy_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)
if HAVE_CMOCKA
check_PROGRAMS += $(POLICY_UNIT_TESTS)
TESTS += $(POLICY_UNIT_TESTS)
endif

# Its KEY=VALUE parser, fuzzed (`make fuzz`).
FUZZ_TARGETS += policy-config
FUZZ_LIB_SRCS += agent/policy/config.c
EXTRA_DIST += tests/fuzz/fuzz-policy-config.c tests/fuzz/corpus/policy-config
