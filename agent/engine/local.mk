# The engine: the policy's inputs from the sources in one pass per sample,
# and the one decide -> act -> record -> observe-again runner that `run`
# and `reclaim` share.
agent_libwsldock_a_SOURCES += \
	agent/engine/engine.c agent/engine/engine.h \
	agent/engine/observe.c agent/engine/observe.h
