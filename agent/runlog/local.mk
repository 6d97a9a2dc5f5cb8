# The run log and the one action record (agent/runlog/): the line on
# stderr, the journal entry, and the field table every output of an action
# (status, control socket, reclaim --json, the bridge) writes from.
agent_libwsldock_a_SOURCES += \
	agent/runlog/record.c agent/runlog/record.h \
	agent/runlog/runlog.c agent/runlog/runlog.h

# One real action (fadvise on a file the test writes) and every output of
# it compared field by field; the run log's quoting (cmocka).
UNIT_TESTS += tests/unit/test-record
tests_unit_test_record_SOURCES = tests/unit/test-record.c
tests_unit_test_record_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_record_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)
