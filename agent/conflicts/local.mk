# Conflicting native Docker installs (`wsldock-agent conflicts`): package
# database readers (sources), the one rules table, evidence, findings and
# the --fix plan.  Included after tests/local.mk, whose variables it extends.
agent_libwsldock_a_SOURCES += \
	agent/conflicts/pkgdb.h agent/conflicts/pkgdb.c \
	agent/conflicts/pkgdb_dpkg.c agent/conflicts/pkgdb_rpm.c agent/conflicts/pkgdb_apk.c \
	agent/conflicts/pkgdb_pacman.c agent/conflicts/pkgdb_snap.c \
	agent/conflicts/rules.h agent/conflicts/rules.c \
	agent/conflicts/conflicts.h agent/conflicts/evidence.c agent/conflicts/findings.c \
	agent/conflicts/output.c agent/conflicts/fix.c \
	agent/cli/verb_conflicts.c
agent_libwsldock_a_CFLAGS += $(SQLITE_CFLAGS)
WSLDOCK_LIBS += $(SQLITE_LIBS)

# Unit tests: the text parsers and the decision table, no root needed.
UNIT_TESTS += tests/unit/test-conflicts-pkgdb tests/unit/test-conflicts-decide \
	tests/unit/test-conflicts-bus
tests_unit_test_conflicts_pkgdb_SOURCES = tests/unit/test-conflicts-pkgdb.c
tests_unit_test_conflicts_pkgdb_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_conflicts_pkgdb_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)
tests_unit_test_conflicts_decide_SOURCES = tests/unit/test-conflicts-decide.c
tests_unit_test_conflicts_decide_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_conflicts_decide_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)
# systemd over D-Bus, answered by a stand-in on a private dbus-daemon.
tests_unit_test_conflicts_bus_SOURCES = tests/unit/test-conflicts-bus.c
tests_unit_test_conflicts_bus_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_conflicts_bus_LDADD = $(WSLDOCK_LIBS) $(CMOCKA_LIBS)

# Script tests: databases written by the real tools, malformed ones, the
# Desktop-integration and debootstrap acceptance roots.
SCRIPT_TESTS += \
	tests/conflicts/dpkg-real.sh \
	tests/conflicts/rpm-real.sh \
	tests/conflicts/pacman-apk-snap.sh \
	tests/conflicts/malformed.sh \
	tests/conflicts/evidence.sh \
	tests/conflicts/desktop-integration.sh \
	tests/conflicts/debootstrap-docker.sh
EXTRA_DIST += tests/conflicts/lib.sh tests/conflicts/fixtures bench/conflicts-speed

FUZZ_TARGETS += pkgdb
FUZZ_LIB_SRCS += agent/conflicts/pkgdb.c agent/conflicts/pkgdb_dpkg.c \
	agent/conflicts/pkgdb_apk.c agent/conflicts/pkgdb_pacman.c
EXTRA_DIST += tests/fuzz/fuzz-pkgdb.c tests/fuzz/corpus/pkgdb
