# The pure reclaim policy (no file, clock or BPF access): part of
# libwsldock.a, tested by tests/unit/test-policy.c.
agent_libwsldock_a_SOURCES += \
	agent/policy/policy.c agent/policy/policy.h \
	agent/policy/config.c
