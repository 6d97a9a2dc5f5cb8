# The reclaim levers (agent/actions/): one file per lever plus what they
# share; part of libwsldock.a so the daemon, the reclaim verb and the tests
# link the same code.
agent_libwsldock_a_SOURCES += \
	agent/actions/actions.h agent/actions/internal.h agent/actions/actions.c \
	agent/actions/ctx.c agent/actions/files.c agent/actions/measure.c \
	agent/actions/memcg_reclaim.c agent/actions/memcg_force_empty.c \
	agent/actions/file_evict.c agent/actions/drop_caches.c agent/actions/compact.c \
	agent/actions/hot_restore.c \
	agent/actions/lever_names.h
