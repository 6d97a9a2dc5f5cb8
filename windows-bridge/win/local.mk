# The Windows build (configure --host=x86_64-w64-mingw32): windows-bridge/local.mk
# builds wsldock-bridge.exe from the same core with these as its platform
# layer (BRIDGE_PLATFORM_SOURCES), and the Windows test program links the
# same library, so the tests run exactly the code users run.
WIN_PLATFORM_SOURCES = \
	windows-bridge/win/platform_windows.c \
	windows-bridge/win/lifecycle.c \
	windows-bridge/win/winplat.h \
	windows-bridge/win/host.c windows-bridge/win/host.h \
	windows-bridge/win/status.h windows-bridge/win/status_windows.c
# The manifest resource rides with the platform libraries, so the .exe and
# the test program both run with the UTF-8 code page (argv is UTF-8).
WIN_PLATFORM_LIBS = windows-bridge/win/wsldock-bridge-res.o $(WIN_LIBS) -lpsapi
windows-bridge/win/wsldock-bridge-res.o: $(srcdir)/windows-bridge/win/wsldock-bridge.rc \
		$(srcdir)/windows-bridge/win/wsldock-bridge.manifest
	$(AM_V_GEN)$(MKDIR_P) windows-bridge/win && \
		$(WINDRES) -I$(srcdir)/windows-bridge/win -O coff -o $@ $(srcdir)/windows-bridge/win/wsldock-bridge.rc
CLEANFILES += windows-bridge/win/wsldock-bridge-res.o

# Run under wine by tests/windows/wine.sh from the native build's make check.
noinst_PROGRAMS += tests/windows/test-win
tests_windows_test_win_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/windows-bridge
tests_windows_test_win_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_windows_test_win_SOURCES = tests/windows/test-win.c
tests_windows_test_win_LDADD = $(BRIDGE_LIBS) -lole32

# The hvsock lifecycle and file replacement through the seams (win_seams):
# what wine cannot have (a WSL VM, Hyper-V sockets, a failing ReplaceFileW)
# scripted, the rest the real layer.
noinst_PROGRAMS += tests/windows/test-lifecycle
tests_windows_test_lifecycle_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/windows-bridge
tests_windows_test_lifecycle_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_windows_test_lifecycle_SOURCES = tests/windows/test-lifecycle.c
tests_windows_test_lifecycle_LDADD = $(BRIDGE_LIBS)

# wsl.exe cannot exist under wine: this stand-in answers what the bridge asks.
noinst_PROGRAMS += tests/windows/fake-wsl
tests_windows_fake_wsl_SOURCES = tests/windows/fake-wsl.c

# A GUI-subsystem .exe: a start at logon opens no console window; plat_init
# attaches to the parent's console when there is one.  (The test program
# stays a console program.)  GetPerformanceInfo is in psapi.
windows_bridge_wsldock_bridge_LDFLAGS = -mwindows
