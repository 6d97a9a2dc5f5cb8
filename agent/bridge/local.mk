# The agent's bridge client (`run --bridge`), its control socket and the
# verbs that talk to it; proto.c is the bridge's own protocol code, linked
# here too so both ends frame and validate messages the same way.
agent_libwsldock_a_SOURCES += \
	windows-bridge/proto.c windows-bridge/proto.h \
	agent/bridge/bridge_client.c agent/bridge/bridge_client.h \
	agent/bridge/control.c agent/bridge/control.h \
	agent/bridge/agent_bridge.c agent/bridge/agent_bridge.h \
	agent/cli/verb_integration.c

# End to end: the agent daemon and a real bridge over a unix socket and TCP
# loopback; host pressure from a bridge reading a low-memory meminfo file.
SCRIPT_TESTS += tests/bridge/agent-e2e.sh
