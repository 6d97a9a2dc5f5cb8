# The reclaim daemon (`run`) and the one-shot `reclaim`: sd-event loop,
# leader election, the decision log; the engine (agent/engine/) does the
# sample.
agent_libwsldock_a_SOURCES += \
	agent/daemon/daemon.c agent/daemon/daemon.h \
	agent/daemon/docker_watch.c agent/daemon/docker_watch.h \
	agent/daemon/leader.c \
	agent/cli/verb_run.c agent/cli/verb_reclaim.c

# The leader lock and the log line (cmocka, no root).
DAEMON_UNIT_TESTS = tests/unit/test-daemon
tests_unit_test_daemon_SOURCES = tests/unit/test-daemon.c
tests_unit_test_daemon_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)
if HAVE_CMOCKA
check_PROGRAMS += $(DAEMON_UNIT_TESTS)
TESTS += $(DAEMON_UNIT_TESTS)
endif

# run and reclaim for real (root; they say why when they skip).
DAEMON_SCRIPT_TESTS = tests/daemon/run.sh tests/daemon/reclaim.sh
TESTS += $(DAEMON_SCRIPT_TESTS)
EXTRA_DIST += $(DAEMON_SCRIPT_TESTS)
