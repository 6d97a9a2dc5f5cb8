# The engine: the policy's inputs from the sources in one pass per sample,
# and the one decide -> act -> record -> observe-again runner that `run`
# and `reclaim` share.
agent_libwsldock_a_SOURCES += \
	agent/engine/engine.c agent/engine/engine.h \
	agent/engine/observe.c agent/engine/observe.h

# A hand-made ledger and fake levers through the real engine and policy
# (cmocka, no root).
ENGINE_UNIT_TESTS = tests/unit/test-engine
tests_unit_test_engine_SOURCES = tests/unit/test-engine.c $(UNIT_COMMON)
tests_unit_test_engine_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_engine_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_LDADD = $(UNIT_LDADD)
if HAVE_CMOCKA
check_PROGRAMS += $(ENGINE_UNIT_TESTS)
TESTS += $(ENGINE_UNIT_TESTS)
endif
