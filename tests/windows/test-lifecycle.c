/* SPDX-License-Identifier: MIT */
/* The Windows layer's hvsock lifecycle and file replacement, driven through
 * win_seams under wine64 by tests/windows/wine.sh (a plain runner ending in
 * "N passed, N failed").  wine has no WSL VM, no Hyper-V sockets and a
 * ReplaceFileW that does not fail the ways Windows' does, so those are
 * scripted here; everything else is the real platform layer: plat_listen,
 * plat_poll, plat_accept, plat_confirm_peer, plat_close and
 * plat_replace_file as the core calls them.
 *
 * The fakes: the clock is a counter that moves only when the layer waits
 * (WSAPoll or the stop event, by the timeout it asked for), so "60 s" is
 * 60 s of the bridge's own time, deterministic on a loaded machine; the
 * process list and HCS store are tables; a Hyper-V "listener" is a real TCP
 * socket on 127.0.0.1 (so accept and WSAPoll are real), and WSAPoll's
 * answer can be overlaid with POLLHUP.  The CPU the layer burns over a
 * scripted minute is measured with GetProcessTimes.
 *
 * `test-lifecycle vmid` prints the VM ids the real seams see now (wine.sh
 * sets the scene with real processes and registry keys). */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <hvsocket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "win/host.h"
#include "win/winplat.h"

static int passed, failed;
static const char *current;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (cond)                                                                 \
			passed++;                                                         \
		else {                                                                    \
			failed++;                                                         \
			printf("FAIL %s: %s (line %d)\n", current, #cond, __LINE__);      \
		}                                                                         \
	} while (0)

#define NS 1000000000ull
#define G1 "b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb"
#define G2 "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
#define G_SANDBOX "11111111-0000-0000-0000-00000000000a"
#define G_HYPERV "22222222-0000-0000-0000-00000000000b"
#define G_OTHER "33333333-0000-0000-0000-00000000000c"

/* ---- the scripted world ---- */
static struct {
	uint64_t now;
	struct win_proc procs[8];
	size_t nprocs;
	struct win_compute_system cs[8];
	size_t ncs;
	bool no_hyperv;
	char deny[8][40];      /* VM ids whose bind gets WSAEACCES */
	size_t ndeny;
	char hup[40];          /* VM id whose listener WSAPoll says POLLHUP on */
	/* what the layer did */
	unsigned polls, waits, zero_waits, binds, suspends, process_scans;
	struct {
		SOCKET s;
		char vm[40];
	} bound[16];
	size_t nbound;
	/* file replacement */
	DWORD replace_fail;    /* the Windows error to fail with, 0 none */
	unsigned replace_fail_times;
	unsigned replaces;
	DWORD slept_ms[16];
	unsigned sleeps;
} w;

static uint64_t fake_now(void)
{
	return w.now;
}

static int fake_processes(struct win_proc *out, size_t max)
{
	w.process_scans++;
	size_t n = w.nprocs < max ? w.nprocs : max;
	memcpy(out, w.procs, n * sizeof(*out));
	return (int)n;
}

static int fake_compute_systems(struct win_compute_system *out, size_t max)
{
	size_t n = w.ncs < max ? w.ncs : max;
	memcpy(out, w.cs, n * sizeof(*out));
	return (int)n;
}

static SOCKET fake_hv_socket(void)
{
	if (w.no_hyperv) {
		WSASetLastError(WSAEAFNOSUPPORT);
		return INVALID_SOCKET;
	}
	return socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
}

static int fake_setsockopt(SOCKET s, int level, int name, const char *val, int len)
{
	if (level == HV_PROTOCOL_RAW && name == HVSOCKET_CONNECTED_SUSPEND && len == sizeof(DWORD) &&
	    *(const DWORD *)val == 1)
		w.suspends++;
	return 0;
}

/* The SOCKADDR_HV the layer built decides: a denied VM id gets WSAEACCES;
 * otherwise the TCP socket binds to 127.0.0.1:0 to stand for it. */
static int fake_bind(SOCKET s, const struct sockaddr *sa, int len)
{
	SOCKADDR_HV hv;
	char id[HOST_GUID_STR], sid[HOST_GUID_STR];

	w.binds++;
	if (len != sizeof(hv))
		return WSASetLastError(WSAEINVAL), SOCKET_ERROR;
	memcpy(&hv, sa, sizeof(hv));
	struct host_guid g = { hv.VmId.Data1, hv.VmId.Data2, hv.VmId.Data3, { 0 } };
	memcpy(g.data4, hv.VmId.Data4, 8);
	host_guid_format(&g, id);
	struct host_guid sg = { hv.ServiceId.Data1, hv.ServiceId.Data2, hv.ServiceId.Data3, { 0 } };
	memcpy(sg.data4, hv.ServiceId.Data4, 8);
	host_guid_format(&sg, sid);
	if (hv.Family != 34 || strcmp(sid, "00002506-facb-11e6-bd58-64006a7986d3"))
		return WSASetLastError(WSAEINVAL), SOCKET_ERROR;
	for (size_t i = 0; i < w.ndeny; i++)
		if (!strcmp(w.deny[i], id))
			return WSASetLastError(WSAEACCES), SOCKET_ERROR;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(s, (struct sockaddr *)&a, sizeof(a)))
		return SOCKET_ERROR;
	if (w.nbound < 16) {
		w.bound[w.nbound].s = s;
		strcpy(w.bound[w.nbound++].vm, id);
	}
	return 0;
}

static int fake_listen(SOCKET s, int backlog)
{
	return listen(s, backlog);
}

static const char *vm_of(SOCKET s)
{
	for (size_t i = w.nbound; i-- > 0;)
		if (w.bound[i].s == s)
			return w.bound[i].vm;
	return "";
}

/* Real WSAPoll without waiting, then the scripted POLLHUP; nothing ready
 * means the whole timeout passed. */
static int fake_poll(WSAPOLLFD *fds, ULONG n, INT timeout_ms)
{
	w.polls++;
	int r = WSAPoll(fds, n, 0);
	if (r < 0)
		return r;
	for (ULONG i = 0; i < n; i++)
		if (w.hup[0] && !strcmp(vm_of(fds[i].fd), w.hup)) {
			if (!fds[i].revents)
				r++;
			fds[i].revents |= POLLHUP;
		}
	if (r == 0) {
		if (timeout_ms == 0)
			w.zero_waits++;
		w.now += (uint64_t)(timeout_ms < 0 ? 1000 : timeout_ms) * 1000000ull;
	}
	return r;
}

static DWORD fake_wait(HANDLE h, DWORD ms)
{
	w.waits++;
	if (ms == 0)
		w.zero_waits++;
	w.now += (uint64_t)ms * 1000000ull;
	return WAIT_TIMEOUT;
}

static void fake_sleep(DWORD ms)
{
	if (w.sleeps < 16)
		w.slept_ms[w.sleeps] = ms;
	w.sleeps++;
}

/* ReplaceFileW as Windows documents its failures (with a backup name:
 * 1175 and 1176 leave both files under their names; 1177 leaves the old
 * file at the backup name and the new one under its temp name; without a
 * backup name 1176 leaves no target at all). */
static BOOL fake_replace(const wchar_t *target, const wchar_t *repl, const wchar_t *backup, DWORD flags)
{
	w.replaces++;
	if (!w.replace_fail || !w.replace_fail_times)
		return ReplaceFileW(target, repl, backup, flags, NULL, NULL);
	w.replace_fail_times--;
	if (w.replace_fail == ERROR_UNABLE_TO_MOVE_REPLACEMENT_2 ||
	    (w.replace_fail == ERROR_UNABLE_TO_MOVE_REPLACEMENT && !backup)) {
		if (backup)
			MoveFileExW(target, backup, 0);
		else
			DeleteFileW(target);
	}
	SetLastError(w.replace_fail);
	return FALSE;
}

static BOOL fake_move(const wchar_t *from, const wchar_t *to, DWORD flags)
{
	return MoveFileExW(from, to, flags);
}

static void world_reset(void)
{
	memset(&w, 0, sizeof(w));
	w.now = 1000 * NS;
	win_seams_real();
	win_seams.now_ns = fake_now;
	win_seams.processes = fake_processes;
	win_seams.compute_systems = fake_compute_systems;
	win_seams.hv_socket = fake_hv_socket;
	win_seams.setsockopt = fake_setsockopt;
	win_seams.bind = fake_bind;
	win_seams.listen = fake_listen;
	win_seams.poll = fake_poll;
	win_seams.wait = fake_wait;
	win_seams.replace = fake_replace;
	win_seams.move = fake_move;
	win_seams.sleep_ms = fake_sleep;
}

static void add_proc(const char *exe, const char *vm, bool mine)
{
	struct win_proc *p = &w.procs[w.nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = 100 + (uint32_t)w.nprocs;
	snprintf(p->exe, sizeof(p->exe), "%s", exe);
	if (vm)
		snprintf(p->cmdline, sizeof(p->cmdline), "\"C:\\Program Files\\WSL\\%s\" --vm-id {%s} --handle 12",
			 exe, vm);
	p->mine = mine;
}

static void add_cs(const char *id, const char *owner)
{
	struct win_compute_system *c = &w.cs[w.ncs++];
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->owner, sizeof(c->owner), "%s", owner);
}

/* The core's loop, as server_run does it: poll with the hvsock handle,
 * accept what is ready.  Runs for secs of scripted time. */
static plat_sock hv;
static plat_sock accepted[8];
static size_t naccepted;

static unsigned run_for(unsigned secs)
{
	uint64_t end = w.now + (uint64_t)secs * NS;
	unsigned loops = 0;
	while (w.now < end && loops < 100000) {
		struct plat_pollfd pf = { .fd = hv, .events = PLAT_POLLIN };
		int r = plat_poll(&pf, 1, 1000);  /* the core's host-memory interval */
		loops++;
		if (r > 0 && (pf.revents & PLAT_POLLIN)) {
			plat_sock c;
			while (plat_accept(hv, &c) == 0 && naccepted < 8)
				accepted[naccepted++] = c;
		}
	}
	return loops;
}

static struct win_lc *lc(void)
{
	return win_lc_get();
}

static bool listening_on(const char *vm)
{
	struct host_guid g;
	host_guid_parse(vm, &g);
	for (size_t i = 0; lc() && i < lc()->nvm; i++)
		if (!memcmp(&lc()->vm[i].id, &g, sizeof(g)) && lc()->vm[i].s != INVALID_SOCKET)
			return true;
	return false;
}

static size_t listeners(void)
{
	size_t n = 0;
	for (size_t i = 0; lc() && i < lc()->nvm; i++)
		n += lc()->vm[i].s != INVALID_SOCKET;
	return n;
}

/* A guest agent's connect: a TCP connect to the stand-in listener. */
static SOCKET connect_to(const char *vm)
{
	for (size_t i = 0; i < lc()->nvm; i++) {
		char id[HOST_GUID_STR];
		host_guid_format(&lc()->vm[i].id, id);
		if (strcmp(id, vm) || lc()->vm[i].s == INVALID_SOCKET)
			continue;
		struct sockaddr_in a;
		int alen = sizeof(a);
		getsockname(lc()->vm[i].s, (struct sockaddr *)&a, &alen);
		SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
		connect(c, (struct sockaddr *)&a, alen);
		return c;
	}
	return INVALID_SOCKET;
}

static double cpu_seconds(void)
{
	FILETIME c, e, k, u;
	GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u);
	uint64_t t = ((uint64_t)k.dwHighDateTime << 32 | k.dwLowDateTime) +
		     ((uint64_t)u.dwHighDateTime << 32 | u.dwLowDateTime);
	return (double)t / 1e7;
}

static void test_lifecycle(void)
{
	char why[256];

	world_reset();
	current = "start-before-wsl";
	CHECK(plat_listen("hvsock:9478", &hv, why, sizeof(why)) == 0);
	CHECK(lc() && lc()->state == WIN_LC_NO_VM && listeners() == 0);
	unsigned scans0 = w.process_scans;
	double cpu0 = cpu_seconds();
	unsigned loops = run_for(60);
	double cpu = cpu_seconds() - cpu0;
	printf("no VM, 60 s of scripted time: %u loop turns, %u waits, %u process scans, %u binds, "
	       "%.3f s CPU\n", loops, w.waits, w.process_scans - scans0, w.binds, cpu);
	CHECK(lc()->state == WIN_LC_NO_VM && w.binds == 0);
	CHECK(w.zero_waits == 0);         /* every turn waited */
	CHECK(loops <= 60 * 4 + 2);       /* the 250 ms stop-check cap at most */
	CHECK(w.process_scans - scans0 <= 31 && w.process_scans - scans0 >= 29);
	CHECK(cpu < 1.0);

	current = "wsl-start";
	add_proc("vmmemWSL", NULL, false);
	add_proc("wslhost.exe", G1, true);
	add_cs(G1, "WSL");
	uint64_t t0 = w.now;
	while (!listening_on(G1) && w.now - t0 < 10 * NS)
		run_for(1);
	CHECK(listening_on(G1));
	CHECK(w.now - t0 <= 3 * NS);       /* bound within one scan period */
	CHECK(lc()->state == WIN_LC_CANDIDATE);
	CHECK(w.suspends == 1);            /* HVSOCKET_CONNECTED_SUSPEND on it */
	CHECK(listeners() == 1);           /* the HCS entry is the same VM */
	/* An agent connects on it and proves itself: BOUND. */
	SOCKET agent = connect_to(G1);
	CHECK(agent != INVALID_SOCKET);
	naccepted = 0;
	run_for(1);
	CHECK(naccepted == 1);
	if (naccepted == 1)
		plat_confirm_peer(accepted[0]);
	CHECK(lc()->state == WIN_LC_BOUND);

	current = "wsl-shutdown";
	w.nprocs = 0;
	w.ncs = 0;
	add_proc("vmmem", NULL, false);   /* another VM's worker stays */
	t0 = w.now;
	while (listeners() && w.now - t0 < 20 * NS)
		run_for(1);
	CHECK(listeners() == 0 && lc()->state == WIN_LC_NO_VM);
	CHECK(w.now - t0 <= 6 * NS);       /* within the BOUND scan period */
	unsigned binds0 = w.binds;
	w.zero_waits = 0;
	cpu0 = cpu_seconds();
	loops = run_for(60);
	cpu = cpu_seconds() - cpu0;
	printf("after wsl --shutdown, 60 s of scripted time: %u loop turns, %u binds, %.3f s CPU\n", loops,
	       w.binds - binds0, cpu);
	CHECK(w.binds == binds0 && w.zero_waits == 0 && loops <= 60 * 4 + 2 && cpu < 1.0);
	for (size_t i = 0; i < naccepted; i++)
		plat_close(accepted[i]);
	closesocket(agent);
	naccepted = 0;

	current = "restart-new-id";
	add_proc("wslhost.exe", G2, true);
	add_cs(G2, "WSL");
	t0 = w.now;
	while (!listening_on(G2) && w.now - t0 < 10 * NS)
		run_for(1);
	CHECK(listening_on(G2) && !listening_on(G1));
	CHECK(w.now - t0 <= 3 * NS);

	current = "pollhup";
	strcpy(w.hup, G2);
	w.zero_waits = 0;
	binds0 = w.binds;
	loops = run_for(60);
	printf("POLLHUP on the listener, 60 s of scripted time: %u loop turns, %u binds\n", loops,
	       w.binds - binds0);
	/* No spinning: every turn waits its timeout but the one per failure
	 * that reports it. */
	CHECK(loops <= 60 * 4 + 2 + (w.binds - binds0) + 1);
	CHECK(w.binds - binds0 >= 2 && w.binds - binds0 <= 6);  /* back-off 2, 4, 8, 16, 32 s */
	w.hup[0] = 0;
	t0 = w.now;
	while (!listening_on(G2) && w.now - t0 < 70 * NS)
		run_for(1);
	CHECK(listening_on(G2));

	current = "sandbox-hyperv";
	w.nprocs = 0;
	w.ncs = 0;
	run_for(3);
	CHECK(listeners() == 0 && lc()->state == WIN_LC_NO_VM);
	add_proc("vmmem", NULL, true);
	add_cs(G_SANDBOX, "Madrid");        /* Windows Sandbox */
	add_cs(G_HYPERV, "VMMS");           /* a Hyper-V Manager VM */
	add_cs("not-a-guid", "WSL");
	binds0 = w.binds;
	run_for(10);
	CHECK(w.binds == binds0 && listeners() == 0 && lc()->state == WIN_LC_NO_VM);

	current = "other-user";
	add_proc("wslhost.exe", G_OTHER, false);  /* their wslhost.exe: not ours */
	add_cs(G_OTHER, "WSL");                   /* their VM is WSL's too */
	strcpy(w.deny[w.ndeny++], G_OTHER);
	binds0 = w.binds;
	run_for(60);
	CHECK(w.binds - binds0 == 1);             /* tried once, WSAEACCES, never again */
	CHECK(listeners() == 0 && lc()->state == WIN_LC_NO_VM);
	CHECK(strstr(lc()->why, "another user's") && strstr(lc()->why, "WSAEACCES"));
	CHECK(!strstr(lc()->why, "register"));

	current = "candidates";
	/* WSL 2.8.5+ also starts wslrelay.exe for other VMs: both are
	 * listened on until an agent answers on one. */
	w.nprocs = 0;
	w.ncs = 0;
	w.ndeny = 0;
	run_for(3);
	add_proc("wslrelay.exe", G2, true);
	add_proc("wslhost.exe", G1, true);
	run_for(3);
	CHECK(listening_on(G1) && listening_on(G2) && lc()->state == WIN_LC_CANDIDATE);
	CHECK(lc()->nvm == 2 && lc()->vm[0].source && !strcmp(lc()->vm[0].source, "wslhost.exe"));
	agent = connect_to(G2);
	naccepted = 0;
	run_for(1);
	CHECK(naccepted == 1);
	if (naccepted == 1)
		plat_confirm_peer(accepted[0]);
	CHECK(lc()->state == WIN_LC_BOUND && listening_on(G2) && !listening_on(G1));
	run_for(20);
	CHECK(!listening_on(G1));                 /* not reopened while G2 is confirmed */
	plat_close(accepted[0]);
	closesocket(agent);
	plat_close(hv);
	CHECK(win_lc_get() == NULL);

	current = "no-hyperv";
	world_reset();
	w.no_hyperv = true;
	add_proc("wslhost.exe", G1, true);
	CHECK(plat_listen("hvsock:9478", &hv, why, sizeof(why)) == 0);
	CHECK(lc()->state == WIN_LC_UNSUPPORTED && strstr(lc()->why, "AF_HYPERV is not supported"));
	unsigned scans = lc()->scans;
	loops = run_for(60);
	CHECK(lc()->scans - scans <= 1 && w.zero_waits == 0 && loops <= 60 * 4 + 2);
	w.no_hyperv = false;
	run_for(61);
	CHECK(lc()->state == WIN_LC_CANDIDATE && listening_on(G1));
	plat_close(hv);
	win_seams_real();
}

/* ---- file replacement ---- */
static char tmpdir[MAX_PATH * 3];

static int count_matching(const char *dir, const char *pattern)
{
	char pat[2048];
	snprintf(pat, sizeof(pat), "%s\\%s", dir, pattern);
	wchar_t *wp = win_wide_path(pat);
	WIN32_FIND_DATAW fd;
	HANDLE h = FindFirstFileW(wp, &fd);
	int n = 0;
	free(wp);
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	do
		n++;
	while (FindNextFileW(h, &fd));
	FindClose(h);
	return n;
}

static bool content_is(const char *path, const char *want)
{
	char *got;
	size_t len;
	if (plat_read_file(path, 1 << 20, &got, &len) < 0)
		return false;
	bool ok = !strcmp(got, want);
	free(got);
	return ok;
}

static void replace_failing(DWORD err, unsigned times, int want, const char *name)
{
	char dir[1024], path[1100];
	snprintf(dir, sizeof(dir), "%s\\%s", tmpdir, name);
	wchar_t *wd = win_wide(dir);
	CreateDirectoryW(wd, NULL);
	free(wd);
	snprintf(path, sizeof(path), "%s\\settings-store.json", dir);
	win_seams_real();
	CHECK(plat_replace_file(path, "old", 3) == 0);
	world_reset();
	w.replace_fail = err;
	w.replace_fail_times = times;
	int r = plat_replace_file(path, "new", 3);
	printf("ReplaceFileW failing with %lu (%u times): plat_replace_file %d (%s)\n", (unsigned long)err,
	       times, r, r < 0 ? strerror(-r) : "ok");
	CHECK(r == want);
	CHECK(content_is(path, want == 0 ? "new" : "old"));  /* the target is there */
	CHECK(count_matching(dir, "*.tmp") == 0 && count_matching(dir, "*.old") == 0);
	win_seams_real();
}

static void test_replace(void)
{
	current = "replace-1175";
	replace_failing(ERROR_UNABLE_TO_REMOVE_REPLACED, 1, WIN_E_REMOVE_REPLACED, "r1175");
	current = "replace-1176";
	replace_failing(ERROR_UNABLE_TO_MOVE_REPLACEMENT, 1, WIN_E_MOVE_REPLACEMENT, "r1176");
	current = "replace-1177";
	replace_failing(ERROR_UNABLE_TO_MOVE_REPLACEMENT_2, 1, WIN_E_MOVE_REPLACEMENT_2, "r1177");
	CHECK(WIN_E_REMOVE_REPLACED != WIN_E_MOVE_REPLACEMENT && WIN_E_MOVE_REPLACEMENT != WIN_E_MOVE_REPLACEMENT_2 &&
	      WIN_E_REMOVE_REPLACED != -EIO && WIN_E_MOVE_REPLACEMENT != -EIO && WIN_E_MOVE_REPLACEMENT_2 != -EIO);
	current = "replace-sharing-transient";
	replace_failing(ERROR_SHARING_VIOLATION, 3, 0, "rshare1");
	world_reset();
	current = "replace-sharing-backoff";
	{
		char path[1100];
		snprintf(path, sizeof(path), "%s\\rshare1\\settings-store.json", tmpdir);
		w.replace_fail = ERROR_SHARING_VIOLATION;
		w.replace_fail_times = 3;
		CHECK(plat_replace_file(path, "newer", 5) == 0 && content_is(path, "newer"));
		CHECK(w.replaces == 4 && w.sleeps == 3 && w.slept_ms[0] == 10 && w.slept_ms[1] == 20 &&
		      w.slept_ms[2] == 40);
	}
	current = "replace-sharing-lasting";
	replace_failing(ERROR_SHARING_VIOLATION, 100, WIN_E_IN_USE, "rshare2");
	win_seams_real();
}

/* `test-lifecycle vmid`: the candidates the real seams see now. */
static int print_vm_ids(void)
{
	struct host_guid g[WIN_LC_MAX];
	const char *src[WIN_LC_MAX];
	char s[HOST_GUID_STR];
	int n = win_lc_candidates(g, src, WIN_LC_MAX);
	if (n <= 0) {
		printf("vm-id: none\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		host_guid_format(&g[i], s);
		printf("vm-id: %s from %s\n", s, src[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (plat_init() < 0) {
		printf("plat_init failed\n");
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "vmid"))
		return print_vm_ids();
	if (argc != 2) {
		fprintf(stderr, "usage: test-lifecycle TMPDIR | vmid\n");
		return 2;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", argv[1]);
	test_lifecycle();
	test_replace();
	printf("%d passed, %d failed\n", passed, failed);
	fflush(stdout);
	return failed ? 1 : 0;
}
