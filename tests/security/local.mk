# The agent's security tests (issue 19): each reproduces an attack by an
# unprivileged user on the root daemon and checks that it now fails.
SECURITY_TESTS = \
	tests/security/agent-comm-spoof.sh \
	tests/security/agent-leader-lock.sh \
	tests/security/agent-control-starve.sh \
	tests/security/agent-output-escape.sh \
	tests/security/agent-evict-shared.sh \
	tests/security/agent-capabilities.sh \
	tests/security/agent-soak.sh
SCRIPT_TESTS += $(SECURITY_TESTS)
EXTRA_DIST += tests/security/lib.sh tests/security/soak-peers.py

UNIT_TESTS += tests/unit/test-text-escape
tests_unit_test_text_escape_SOURCES = tests/unit/test-text-escape.c $(UNIT_COMMON)
tests_unit_test_text_escape_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_text_escape_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_text_escape_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-tracker-trim
tests_unit_test_tracker_trim_SOURCES = tests/unit/test-tracker-trim.c $(UNIT_COMMON)
tests_unit_test_tracker_trim_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_tracker_trim_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tracker_trim_LDADD = $(UNIT_LDADD)
