# The configuration file (/etc/wsldock/agent.conf and drop-ins), read with
# inih, and the `config` verb that prints the effective values.
agent_libwsldock_a_SOURCES += \
	agent/config/conf.c agent/config/conf.h \
	agent/cli/verb_config.c
agent_libwsldock_a_CFLAGS += $(INIH_CFLAGS)
WSLDOCK_LIBS += $(INIH_LIBS)

# The file the package installs: every key commented out at its default,
# written by the agent itself so it can never disagree with the code.
wsldockconf_DATA = systemd/agent.conf
CLEANFILES += systemd/agent.conf
systemd/agent.conf: agent/wsldock-agent$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) systemd && agent/wsldock-agent$(EXEEXT) config --template >$@.tmp && mv $@.tmp $@
