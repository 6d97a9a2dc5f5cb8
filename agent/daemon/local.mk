# The reclaim daemon (`run`) and the one-shot `reclaim`: sd-event loop,
# leader election, observations for the policy, the decision log.
agent_libwsldock_a_SOURCES += \
	agent/daemon/daemon.c agent/daemon/daemon.h \
	agent/daemon/leader.c agent/daemon/log.c \
	agent/daemon/observe.c agent/daemon/observe.h \
	agent/cli/verb_run.c agent/cli/verb_reclaim.c
