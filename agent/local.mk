# wsldock-agent: sources and the tracker -> engine (the policy's inputs) ->
# policy -> actions -> outputs (model/ serves report, the levers and the
# bridge), plus the command-line verbs.  Everything but main.c lives in libwsldock.a so the
# tests and fuzzers link exactly the code the agent runs.
noinst_LIBRARIES += agent/libwsldock.a
agent_libwsldock_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBBPF_CFLAGS)
agent_libwsldock_a_SOURCES = \
	agent/shared/util.c agent/shared/util.h \
	agent/shared/diag.c agent/shared/diag.h \
	agent/shared/json_util.c agent/shared/json_util.h \
	agent/sources/source.c agent/sources/source.h \
	agent/sources/kv.c agent/sources/kv.h \
	agent/sources/meminfo.c agent/sources/meminfo.h \
	agent/sources/buddyinfo.c agent/sources/buddyinfo.h \
	agent/sources/psi.c agent/sources/psi.h \
	agent/sources/page_reporting.c agent/sources/page_reporting.h \
	agent/sources/wsl_env.c agent/sources/wsl_env.h \
	agent/sources/cgroup_layout.c agent/sources/cgroup_layout.h \
	agent/sources/docker_events.c agent/sources/docker_events.h \
	agent/sources/docker_desktop.c agent/sources/docker_desktop.h \
	agent/sources/cgroup_ancestry.c agent/sources/cgroup_ancestry.h \
	agent/sources/build_signal.c agent/sources/build_signal.h \
	agent/model/mem_state.c agent/model/mem_state.h \
	agent/model/topology.c agent/model/topology.h \
	agent/outputs/report.h agent/outputs/report_json.c agent/outputs/report_text.c \
	agent/cli/verb_report.c agent/cli/cli.h

# Link order: the library first, then what it needs.
WSLDOCK_LIBS = agent/libwsldock.a $(JANSSON_LIBS) $(SYSTEMD_LIBS) $(LIBBPF_LIBS) -lm

bin_PROGRAMS += agent/wsldock-agent
agent_wsldock_agent_SOURCES = agent/cli/main.c
agent_wsldock_agent_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
agent_wsldock_agent_LDADD = $(WSLDOCK_LIBS)
