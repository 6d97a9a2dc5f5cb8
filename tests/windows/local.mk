# The Windows bridge, from the native build: tests/windows/wine.sh cross-builds
# it in $(top_builddir)/build-win (windows-bridge/win/cross-build) and runs
# its test program and the .exe under wine64.  The native build is untouched.
SCRIPT_TESTS += tests/windows/wine.sh
EXTRA_DIST += tests/windows/lib.sh tests/windows/test-win.c tests/windows/fake-wsl.c \
	windows-bridge/win/local.mk windows-bridge/win/cross-deps windows-bridge/win/cross-build \
	windows-bridge/win/README.md windows-bridge/win/platform_windows.c windows-bridge/win/lifecycle.c \
	windows-bridge/win/winplat.h windows-bridge/win/host.c windows-bridge/win/host.h \
	windows-bridge/win/status.h windows-bridge/win/status_windows.c \
	windows-bridge/win/wsldock-bridge.rc windows-bridge/win/wsldock-bridge.manifest

# `make windows` builds the .exe in build-win without running anything.
windows:
	$(SHELL) $(top_srcdir)/windows-bridge/win/cross-build $(abs_top_builddir)/build-win
clean-local: clean-windows
clean-windows:
	rm -rf build-win
.PHONY: windows clean-windows

# The host readers are pure C: fuzzed on Linux with the other parsers.
FUZZ_TARGETS += win-host
FUZZ_LIB_SRCS += windows-bridge/win/host.c
EXTRA_DIST += tests/fuzz/fuzz-win-host.c tests/fuzz/corpus/win-host

# ... and unit-tested natively too (cmocka), so ASan/UBSan see them.
UNIT_TESTS += tests/unit/test-win-host
tests_unit_test_win_host_SOURCES = tests/unit/test-win-host.c \
	windows-bridge/win/host.c windows-bridge/win/host.h
tests_unit_test_win_host_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_win_host_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_win_host_LDADD = $(CMOCKA_LIBS)

EXTRA_DIST += tests/windows/test-lifecycle.c
