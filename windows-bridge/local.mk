# wsldock-bridge: a portable core (C11 + jansson + libmicrohttpd +
# platform.h) and one platform layer.  The core and the layer live in
# libwsldock-bridge.a so the unit tests and fuzzers link exactly what the
# bridge runs; the Windows build swaps platform_linux.c for
# win/platform_windows.c and links the same core.
BRIDGE_CORE_SOURCES = \
	windows-bridge/platform.h \
	windows-bridge/proto.c windows-bridge/proto.h \
	windows-bridge/sbuf.c windows-bridge/sbuf.h \
	windows-bridge/enroll.c windows-bridge/enroll.h \
	windows-bridge/hostmem.c windows-bridge/hostmem.h \
	windows-bridge/docker_settings.c windows-bridge/docker_settings.h \
	windows-bridge/wslconfig.c windows-bridge/wslconfig.h \
	windows-bridge/advice.c windows-bridge/advice.h \
	windows-bridge/apply.c windows-bridge/apply.h \
	windows-bridge/state.c windows-bridge/state.h \
	windows-bridge/log.c windows-bridge/log.h \
	windows-bridge/server.c windows-bridge/server.h \
	windows-bridge/dashboard.c windows-bridge/dashboard.h
if WSLDOCK_WINDOWS
BRIDGE_PLATFORM_SOURCES = $(WIN_PLATFORM_SOURCES) windows-bridge/win/enroll_windows.c
BRIDGE_PLATFORM_LIBS = $(WIN_PLATFORM_LIBS) -lbcrypt
# wsl.exe as `wsldock-bridge enroll` runs it (tests/windows/enroll-wine.sh).
noinst_PROGRAMS += tests/windows/fake-wsl-enroll
tests_windows_fake_wsl_enroll_SOURCES = tests/windows/fake-wsl-enroll.c
else
BRIDGE_PLATFORM_SOURCES = windows-bridge/platform_linux.c
BRIDGE_PLATFORM_LIBS = -lpthread $(CRYPTO_LIBS)
endif

noinst_LIBRARIES += windows-bridge/libwsldock-bridge.a
windows_bridge_libwsldock_bridge_a_SOURCES = $(BRIDGE_CORE_SOURCES) $(BRIDGE_PLATFORM_SOURCES)
nodist_windows_bridge_libwsldock_bridge_a_SOURCES = windows-bridge/page.c
windows_bridge_libwsldock_bridge_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS) $(CRYPTO_CFLAGS)
BRIDGE_LIBS = windows-bridge/libwsldock-bridge.a $(MHD_LIBS) $(JANSSON_LIBS) $(BRIDGE_PLATFORM_LIBS)

bin_PROGRAMS += windows-bridge/wsldock-bridge
windows_bridge_wsldock_bridge_SOURCES = windows-bridge/main.c
windows_bridge_wsldock_bridge_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
windows_bridge_wsldock_bridge_LDADD = $(BRIDGE_LIBS)

# The dashboard page is a file here and a C string in the binary.
windows-bridge/page.c: $(srcdir)/windows-bridge/page.html $(srcdir)/windows-bridge/embed.awk
	$(AM_V_GEN)$(MKDIR_P) windows-bridge && \
		$(AWK) -f $(srcdir)/windows-bridge/embed.awk $(srcdir)/windows-bridge/page.html >$@.tmp && \
		mv $@.tmp $@
BUILT_SOURCES += windows-bridge/page.c
CLEANFILES += windows-bridge/page.c tests/bridge/dashboard-screenshot.png
EXTRA_DIST += windows-bridge/page.html windows-bridge/embed.awk \
	windows-bridge/grafana/wsldock-bridge.json

# Unit tests (cmocka): the protocol, the two editors, host memory, metrics.
BRIDGE_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
BRIDGE_UNIT_LDADD = $(BRIDGE_LIBS) $(CMOCKA_LIBS)
UNIT_TESTS += tests/unit/test-bridge-proto tests/unit/test-bridge-editors tests/unit/test-bridge-state \
	tests/unit/test-bridge-advice
tests_unit_test_bridge_proto_SOURCES = tests/unit/test-bridge-proto.c
tests_unit_test_bridge_proto_CFLAGS = $(BRIDGE_UNIT_CFLAGS)
tests_unit_test_bridge_proto_LDADD = $(BRIDGE_UNIT_LDADD)
tests_unit_test_bridge_editors_SOURCES = tests/unit/test-bridge-editors.c
tests_unit_test_bridge_editors_CFLAGS = $(BRIDGE_UNIT_CFLAGS)
tests_unit_test_bridge_editors_LDADD = $(BRIDGE_UNIT_LDADD)
tests_unit_test_bridge_state_SOURCES = tests/unit/test-bridge-state.c
tests_unit_test_bridge_state_CFLAGS = $(BRIDGE_UNIT_CFLAGS)
tests_unit_test_bridge_state_LDADD = $(BRIDGE_UNIT_LDADD)
tests_unit_test_bridge_advice_SOURCES = tests/unit/test-bridge-advice.c
tests_unit_test_bridge_advice_CFLAGS = $(BRIDGE_UNIT_CFLAGS)
tests_unit_test_bridge_advice_LDADD = $(BRIDGE_UNIT_LDADD)

# Script tests: real bridge processes over a unix socket and 127.0.0.1.
SCRIPT_TESTS += \
	tests/bridge/protocol.sh \
	tests/bridge/dashboard.sh \
	tests/bridge/appliers.sh \
	tests/bridge/kill-write.sh \
	tests/bridge/abuse.sh
# Issue 19's attacks on the bridge (each failed on protocol 1): a peer
# without the distro's enrolment key, hostile reports, foreign Hosts.
# Enrolment's Windows layer (BCrypt, CreateProcessW) under wine64.
SCRIPT_TESTS += tests/windows/enroll-wine.sh
EXTRA_DIST += windows-bridge/win/enroll_windows.c tests/windows/fake-wsl-enroll.c
SCRIPT_TESTS += tests/security/bridge-auth.sh tests/security/bridge-state.sh \
	tests/security/bridge-changes.sh tests/security/bridge-enroll.sh
EXTRA_DIST += tests/security/bridge_attacks.py tests/bridge/fake-wsl
EXTRA_DIST += tests/bridge/lib.sh tests/bridge/client.py tests/bridge/pngcheck.py \
	tests/bridge/fixtures bench/bridge-load

# libFuzzer targets: the protocol reader and parser, the two editors.
FUZZ_TARGETS += bridge-proto docker-settings wslconfig
FUZZ_LIB_SRCS += windows-bridge/proto.c windows-bridge/sbuf.c windows-bridge/docker_settings.c windows-bridge/wslconfig.c
EXTRA_DIST += tests/fuzz/fuzz-bridge-proto.c tests/fuzz/fuzz-docker-settings.c \
	tests/fuzz/fuzz-wslconfig.c tests/fuzz/corpus/bridge-proto \
	tests/fuzz/corpus/docker-settings tests/fuzz/corpus/wslconfig

dist_man_MANS += man/wsldock-bridge.8 man/wsldock-protocol.7
