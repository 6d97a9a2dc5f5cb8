# The agent's bridge client (`run --bridge`) and the verbs whose change
# requests the daemon relays to it (asked over the daemon's control socket,
# daemon/control.c); proto.c is the bridge's own protocol code, linked here
# too so both ends frame and validate messages the same way.
agent_libwsldock_a_SOURCES += \
	windows-bridge/proto.c windows-bridge/proto.h \
	agent/bridge/bridge_client.c agent/bridge/bridge_client.h \
	agent/bridge/agent_bridge.c agent/bridge/agent_bridge.h \
	agent/cli/verb_integration.c \
	agent/cli/verb_enroll.c
# The hello's HMAC (wsldock-protocol(7), AUTHENTICATION).
agent_libwsldock_a_CFLAGS += $(CRYPTO_CFLAGS)
WSLDOCK_LIBS += $(CRYPTO_LIBS)

# End to end: the agent daemon and a real bridge over a unix socket and TCP
# loopback; host pressure from a bridge reading a low-memory meminfo file.
SCRIPT_TESTS += tests/bridge/agent-e2e.sh
# A change request when the bridge does not answer, hangs up, or its
# client leaves first (a stand-in bridge, the one thing faked).
SCRIPT_TESTS += tests/bridge/change-faults.sh

# The client on a real event loop and unix socket (cmocka, no root).
UNIT_TESTS += tests/unit/test-bridge-client
tests_unit_test_bridge_client_SOURCES = tests/unit/test-bridge-client.c
tests_unit_test_bridge_client_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_bridge_client_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)
