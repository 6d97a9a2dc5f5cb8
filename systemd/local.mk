# systemd units and the sysusers.d entry for the control socket's group,
# installed where systemd.pc says (configure --with-systemdsystemunitdir and
# --with-sysusersdir override it).
systemdsystemunit_DATA = systemd/wsldock-agent.service systemd/wsldock-agent.socket
sysusers_DATA = systemd/wsldock.conf
CLEANFILES += systemd/wsldock-agent.service systemd/wsldock.conf
EXTRA_DIST += systemd/wsldock-agent.service.in systemd/wsldock-agent.socket systemd/wsldock.sysusers

# The unit names the installed binary, so it is made at build time.
systemd/wsldock-agent.service: $(srcdir)/systemd/wsldock-agent.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/systemd/wsldock-agent.service.in >$@.tmp && mv $@.tmp $@
systemd/wsldock.conf: $(srcdir)/systemd/wsldock.sysusers
	$(AM_V_GEN)$(MKDIR_P) systemd && cp $(srcdir)/systemd/wsldock.sysusers $@

# distcheck installs under its own prefix, never into the system's unit dir.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$$(prefix)/lib/systemd/system' \
	--with-sysusersdir='$$(prefix)/lib/sysusers.d' \
	--with-confdir='$$(prefix)/etc/wsldock'

# The install test runs with make check; the package test builds a .deb and
# a debootstrap root, so scripts/test runs it once, on the release tarball.
TESTS += tests/service/units.sh tests/service/config.sh
EXTRA_DIST += tests/service/units.sh tests/service/config.sh tests/service/deb.sh \
	debian/changelog debian/control debian/copyright debian/rules debian/source/format \
	debian/wsldock-agent.lintian-overrides

# The service side of `run` (configuration reload, sd_notify, the control
# socket and its clients in report and reclaim).
agent_libwsldock_a_SOURCES += \
	agent/daemon/service.c agent/daemon/service.h \
	agent/daemon/control.c agent/daemon/control.h agent/daemon/client.c \
	agent/daemon/control_proto.c agent/daemon/control_proto.h \
	agent/daemon/manual.c agent/daemon/manual.h \
	agent/cli/daemon_link.c agent/cli/daemon_link.h

UNIT_TESTS += tests/unit/test-control
tests_unit_test_control_SOURCES = tests/unit/test-control.c $(UNIT_COMMON)
tests_unit_test_control_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_control_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_control_LDADD = $(UNIT_LDADD)

# The daemon run for real: sd_notify, reload, the control socket's clients
# and abusers, socket activation.
TESTS += tests/service/notify.sh tests/service/reload.sh tests/service/control.sh \
	tests/service/abuse.sh tests/service/activate.sh
EXTRA_DIST += tests/service/lib.sh tests/service/notify.sh tests/service/reload.sh \
	tests/service/control.sh tests/service/abuse.sh tests/service/activate.sh
