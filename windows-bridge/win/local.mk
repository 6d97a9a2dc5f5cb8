# The Windows build (configure --host=x86_64-w64-mingw32): windows-bridge/local.mk
# builds wsldock-bridge.exe from the same core with these as its platform
# layer (BRIDGE_PLATFORM_SOURCES), and the Windows test program links the
# same library, so the tests run exactly the code users run.
WIN_PLATFORM_SOURCES = \
	windows-bridge/platform_windows.c \
	windows-bridge/win/winplat.h \
	windows-bridge/win/host.c windows-bridge/win/host.h \
	windows-bridge/win/status.h windows-bridge/win/status_windows.c

# Run under wine by tests/windows/wine.sh from the native build's make check.
noinst_PROGRAMS += tests/windows/test-win
tests_windows_test_win_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/windows-bridge
tests_windows_test_win_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_windows_test_win_SOURCES = tests/windows/test-win.c
tests_windows_test_win_LDADD = $(BRIDGE_LIBS) -lole32
