# The Windows build (configure --host=x86_64-w64-mingw32): the platform
# layer and the host readers in one library the .exe and the Windows test
# program both link, so the tests run exactly the code users run.
noinst_LIBRARIES += windows-bridge/libwinplat.a
windows_bridge_libwinplat_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/windows-bridge
windows_bridge_libwinplat_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
windows_bridge_libwinplat_a_SOURCES = \
	windows-bridge/platform.h windows-bridge/platform_windows.c \
	windows-bridge/win/winplat.h \
	windows-bridge/win/host.c windows-bridge/win/host.h \
	windows-bridge/win/status.h windows-bridge/win/status_windows.c
WINPLAT_LIBS = windows-bridge/libwinplat.a $(JANSSON_LIBS) $(WIN_LIBS)

# Run under wine by tests/windows/wine.sh from the native build's make check.
noinst_PROGRAMS += tests/windows/test-win
tests_windows_test_win_CPPFLAGS = $(windows_bridge_libwinplat_a_CPPFLAGS)
tests_windows_test_win_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_windows_test_win_SOURCES = tests/windows/test-win.c
tests_windows_test_win_LDADD = $(WINPLAT_LIBS) -lole32
