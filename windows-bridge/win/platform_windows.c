/* SPDX-License-Identifier: MIT */
/* wsldock-bridge's Windows layer (platform.h): Hyper-V socket and TCP
 * listeners, host memory from GlobalMemoryStatusEx and the low-memory
 * resource notification, atomic file replacement with ReplaceFileW, and the
 * Windows-only pieces of winplat.h.  Every path the core hands us is UTF-8;
 * it becomes UTF-16 here and nowhere else. */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <hvsocket.h>
#include <tlhelp32.h>
#include <winternl.h>
#include <psapi.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../log.h"
#include "../platform.h"
#include "../proto.h"
#include "winplat.h"

#ifndef AF_HYPERV
#define AF_HYPERV WIN_AF_HYPERV  /* mingw-w64's headers lack it */
#endif

/* ---- UTF-8 <-> UTF-16, errors ------------------------------------------ */

wchar_t *win_wide(const char *utf8)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	wchar_t *w = malloc((size_t)n * sizeof(wchar_t));
	if (!w)
		return NULL;
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n);
	return w;
}

char *win_utf8(const wchar_t *wide)
{
	int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide, -1, NULL, 0, NULL, NULL);
	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	char *s = malloc((size_t)n);
	if (!s)
		return NULL;
	WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide, -1, s, n, NULL, NULL);
	return s;
}

int win_errno(DWORD err)
{
	switch (err) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return -ENOENT;
	case ERROR_ACCESS_DENIED:
		return -EACCES;
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
		return WIN_E_IN_USE;
	case ERROR_UNABLE_TO_REMOVE_REPLACED:
		return WIN_E_REMOVE_REPLACED;
	case ERROR_UNABLE_TO_MOVE_REPLACEMENT:
		return WIN_E_MOVE_REPLACEMENT;
	case ERROR_UNABLE_TO_MOVE_REPLACEMENT_2:
		return WIN_E_MOVE_REPLACEMENT_2;
	case ERROR_FILENAME_EXCED_RANGE:
		return -ENAMETOOLONG;
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS:
		return -EEXIST;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return -ENOMEM;
	case ERROR_DISK_FULL:
		return -ENOSPC;
	case ERROR_INVALID_NAME:
	case ERROR_BAD_PATHNAME:
	case ERROR_INVALID_PARAMETER:
		return -EINVAL;
	case WSAEWOULDBLOCK:
		return -EAGAIN;
	case WSAEAFNOSUPPORT:
	case WSAEPROTONOSUPPORT:
	case WSAESOCKTNOSUPPORT:
		return -EAFNOSUPPORT;
	case WSAEADDRINUSE:
		return -EADDRINUSE;
	case WSAEADDRNOTAVAIL:
		return -EADDRNOTAVAIL;
	case WSAECONNRESET:
	case WSAECONNABORTED:
		return -ECONNRESET;
	case WSAENOTCONN:
	case WSAESHUTDOWN:
		return -EPIPE;
	case WSAEACCES:
		return -EACCES;
	case WSAEINVAL:
		return -EINVAL;
	case WSAEMSGSIZE:
		return -EMSGSIZE;
	case WSAENOBUFS:
		return -ENOBUFS;
	default:
		return -EIO;
	}
}

static void log_check(void);
static char *reg_string(HKEY k, const wchar_t *name);
static char *process_cmdline(DWORD pid);

/* ---- init, clocks ---------------------------------------------------- */

static volatile LONG stop_requested;
static HANDLE stop_event;  /* wakes plat_poll's sleep-only case */

/* Runs on a thread of its own that Windows starts for the event. */
static BOOL WINAPI on_console_event(DWORD type)
{
	if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT && type != CTRL_CLOSE_EVENT &&
	    type != CTRL_LOGOFF_EVENT && type != CTRL_SHUTDOWN_EVENT)
		return FALSE;
	InterlockedExchange(&stop_requested, 1);
	if (stop_event)
		SetEvent(stop_event);
	/* For these Windows ends the process as soon as the handler returns:
	 * hold it so the main loop can close its listeners and stop cleanly
	 * (it exits, ending this thread too, long before the 5 s). */
	if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
		Sleep(5000);
	return TRUE;
}

bool plat_stop_requested(void)
{
	return InterlockedCompareExchange(&stop_requested, 0, 0) != 0;
}

#define STR_(x) #x
#define STR(x) STR_(x)
const char *plat_default_listen(void)
{
	return "hvsock:" STR(PROTO_DEFAULT_VSOCK_PORT);
}

struct plat_mutex {
	CRITICAL_SECTION cs;
};

struct plat_mutex *plat_mutex_new(void)
{
	struct plat_mutex *m = malloc(sizeof(*m));
	if (m)
		InitializeCriticalSection(&m->cs);
	return m;
}

void plat_mutex_lock(struct plat_mutex *m)
{
	EnterCriticalSection(&m->cs);
}

void plat_mutex_unlock(struct plat_mutex *m)
{
	LeaveCriticalSection(&m->cs);
}

void plat_mutex_free(struct plat_mutex *m)
{
	if (!m)
		return;
	DeleteCriticalSection(&m->cs);
	free(m);
}

/* The .exe is a GUI-subsystem program (-mwindows), so a start at logon
 * opens no console window (nor a Windows Terminal tab).  Started from a
 * console, it attaches to that console so --help and the log still show;
 * output already redirected to a file or pipe stays where it goes. */
static void console_attach(void)
{
	HANDLE e = GetStdHandle(STD_ERROR_HANDLE);
	if (e && e != INVALID_HANDLE_VALUE && GetFileType(e) != FILE_TYPE_UNKNOWN)
		return;
	if (!AttachConsole(ATTACH_PARENT_PROCESS))
		return;
	HANDLE o = GetStdHandle(STD_OUTPUT_HANDLE);
	if (!o || o == INVALID_HANDLE_VALUE || GetFileType(o) == FILE_TYPE_UNKNOWN)
		freopen("CONOUT$", "w", stdout);
	freopen("CONOUT$", "w", stderr);
	setvbuf(stderr, NULL, _IONBF, 0);
}

int plat_init(void)
{
	WSADATA wsa;
	if (!win_seams.now_ns)
		win_seams_real();
	console_attach();
	int r = WSAStartup(MAKEWORD(2, 2), &wsa);
	if (r)
		return win_errno((DWORD)r);
	stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
	SetConsoleCtrlHandler(on_console_event, TRUE);
	/* The console speaks UTF-8 like every string we print. */
	SetConsoleOutputCP(CP_UTF8);
	return 0;
}

uint64_t plat_now_ns(void)
{
	static LARGE_INTEGER freq;
	LARGE_INTEGER c;
	if (!freq.QuadPart)
		QueryPerformanceFrequency(&freq);
	QueryPerformanceCounter(&c);
	/* Split to keep ticks * 1e9 from overflowing on fast counters. */
	uint64_t s = (uint64_t)c.QuadPart / (uint64_t)freq.QuadPart;
	uint64_t rem = (uint64_t)c.QuadPart % (uint64_t)freq.QuadPart;
	return s * 1000000000ull + rem * 1000000000ull / (uint64_t)freq.QuadPart;
}

uint64_t plat_wall_ns(void)
{
	FILETIME ft;
	GetSystemTimePreciseAsFileTime(&ft);
	uint64_t t = (uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
	/* 100 ns units since 1601 to ns since 1970. */
	return (t - 116444736000000000ull) * 100;
}

/* ---- Hyper-V socket addressing ---------------------------------------- */

void win_guid_from_host(GUID *out, const struct host_guid *in)
{
	out->Data1 = in->data1;
	out->Data2 = in->data2;
	out->Data3 = in->data3;
	memcpy(out->Data4, in->data4, 8);
}

size_t win_hv_sockaddr(void *sa, size_t size, const struct host_guid *vm_id, uint32_t port)
{
	SOCKADDR_HV hv;
	struct host_guid svc;

	if (size < sizeof(hv) || !vm_id)
		return 0;
	memset(&hv, 0, sizeof(hv));
	hv.Family = AF_HYPERV;
	win_guid_from_host(&hv.VmId, vm_id);
	host_hv_service_id(port, &svc);
	win_guid_from_host(&hv.ServiceId, &svc);
	memcpy(sa, &hv, sizeof(hv));
	return sizeof(hv);
}

/* ---- Hyper-V listeners ------------------------------------------------ */

/* The core holds one SOCKET per endpoint for the whole run; for hvsock:PORT
 * it is a placeholder (a UDP socket never polled) and the lifecycle
 * (lifecycle.c) owns the sockets that really listen, one per candidate VM,
 * opened and closed as the VM comes and goes.  plat_poll, plat_accept and
 * plat_close go through it. */
static struct win_lc *hv_lc;
static struct win_lc hv_lc_storage;

struct win_lc *win_lc_get(void)
{
	return hv_lc;
}

/* Which candidate VM each accepted connection came from, so the core's
 * plat_confirm_peer can confirm that VM. */
#define HV_PEERS 64
static struct {
	SOCKET s;
	struct host_guid vm;
} hv_peers[HV_PEERS];

static int listen_hv(const char *arg, plat_sock *ret, char *why, size_t why_len)
{
	char *end;
	unsigned long port = strtoul(arg, &end, 10);

	if (!*arg || *end || port > 0xffffffffu) {
		snprintf(why, why_len, "hvsock:%s: the port must be a number", arg);
		return -EINVAL;
	}
	if (hv_lc) {
		snprintf(why, why_len, "hvsock:%s: one hvsock listener per bridge", arg);
		return -EBUSY;
	}
	SOCKET h = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	if (h == INVALID_SOCKET) {
		snprintf(why, why_len, "hvsock:%s: no socket for its handle (Winsock error %d)", arg,
			 WSAGetLastError());
		return win_errno((DWORD)WSAGetLastError());
	}
	hv_lc = &hv_lc_storage;
	win_lc_init(hv_lc, (uint32_t)port, h);
	/* The first look now: a VM that already runs is bound before the
	 * core says it listens; none is no error (WSL starts later). */
	win_lc_tick(hv_lc, win_seams.now_ns());
	*ret = h;
	return 0;
}

/* ---- seams: the real calls ------------------------------------------------ */

static uint64_t real_now_ns(void)
{
	return plat_now_ns();
}

static SOCKET real_hv_socket(void)
{
	return socket(AF_HYPERV, SOCK_STREAM, HV_PROTOCOL_RAW);
}

static int real_setsockopt(SOCKET s, int level, int name, const char *val, int len)
{
	return setsockopt(s, level, name, val, len);
}

static int real_bind(SOCKET s, const struct sockaddr *sa, int len)
{
	return bind(s, sa, len);
}

static int real_listen(SOCKET s, int backlog)
{
	return listen(s, backlog);
}

static int real_poll(WSAPOLLFD *fds, ULONG n, INT timeout_ms)
{
	return WSAPoll(fds, n, timeout_ms);
}

static DWORD real_wait(HANDLE h, DWORD ms)
{
	return WaitForSingleObject(h, ms);
}

static BOOL real_replace(const wchar_t *target, const wchar_t *repl, const wchar_t *backup, DWORD flags)
{
	return ReplaceFileW(target, repl, backup, flags, NULL, NULL);
}

static BOOL real_move(const wchar_t *from, const wchar_t *to, DWORD flags)
{
	return MoveFileExW(from, to, flags);
}

static void real_sleep_ms(DWORD ms)
{
	Sleep(ms);
}

static int real_processes(struct win_proc *out, size_t max);
static int real_compute_systems(struct win_compute_system *out, size_t max);

struct win_seams win_seams;

void win_seams_real(void)
{
	win_seams = (struct win_seams){
		.now_ns = real_now_ns,
		.processes = real_processes,
		.compute_systems = real_compute_systems,
		.hv_socket = real_hv_socket,
		.setsockopt = real_setsockopt,
		.bind = real_bind,
		.listen = real_listen,
		.poll = real_poll,
		.wait = real_wait,
		.replace = real_replace,
		.move = real_move,
		.sleep_ms = real_sleep_ms,
	};
}

static int set_nonblocking(SOCKET s)
{
	u_long on = 1;
	return ioctlsocket(s, FIONBIO, &on) ? win_errno((DWORD)WSAGetLastError()) : 0;
}

static int listen_tcp(const char *arg, plat_sock *ret, char *why, size_t why_len)
{
	char host[256];
	const char *colon = strrchr(arg, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	SOCKET s;
	int r;

	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(host) || !colon[1]) {
		snprintf(why, why_len, "tcp:%s: expected tcp:HOST:PORT", arg);
		return -EINVAL;
	}
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = 0;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	r = getaddrinfo(host, colon + 1, &hints, &ai);
	if (r || !ai) {
		snprintf(why, why_len, "tcp:%s: cannot resolve (Winsock error %d)", arg, r);
		return -EINVAL;
	}
	s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (s == INVALID_SOCKET)
		goto fail;
	/* Windows lets a second process bind a port in use unless told not to. */
	BOOL excl = TRUE;
	setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&excl, sizeof(excl));
	if (bind(s, ai->ai_addr, (int)ai->ai_addrlen) || listen(s, SOMAXCONN))
		goto fail;
	r = set_nonblocking(s);
	if (r < 0)
		goto fail;
	freeaddrinfo(ai);
	*ret = s;
	return 0;
fail:
	r = WSAGetLastError();
	snprintf(why, why_len, "cannot listen on tcp:%s (Winsock error %d)", arg, r);
	if (s != INVALID_SOCKET)
		closesocket(s);
	freeaddrinfo(ai);
	return win_errno((DWORD)r);
}

int plat_listen(const char *endpoint, plat_sock *ret, char *why, size_t why_len)
{
	static bool logging;
	if (!logging) {
		logging = true;
		win_log_start();
	}
	if (!strncmp(endpoint, "tcp:", 4))
		return listen_tcp(endpoint + 4, ret, why, why_len);
	if (!strncmp(endpoint, "hvsock:", 7))
		return listen_hv(endpoint + 7, ret, why, why_len);
	if (!strncmp(endpoint, "vsock:", 6)) {
		snprintf(why, why_len, "%s: on Windows use hvsock:PORT (the guest's vsock port)", endpoint);
		return -EAFNOSUPPORT;
	}
	if (!strncmp(endpoint, "unix:", 5)) {
		snprintf(why, why_len, "%s: unix endpoints are for the Linux build", endpoint);
		return -EAFNOSUPPORT;
	}
	snprintf(why, why_len, "%s: expected tcp:HOST:PORT or hvsock:PORT", endpoint);
	return -EINVAL;
}

void plat_unlisten(const char *endpoint)
{
	/* Nothing lives beside a TCP or Hyper-V listener. */
}

static int accept_one(SOCKET l, plat_sock *ret)
{
	SOCKET c = accept(l, NULL, NULL);
	if (c == INVALID_SOCKET)
		return win_errno((DWORD)WSAGetLastError());
	int r = set_nonblocking(c);
	if (r < 0) {
		closesocket(c);
		return r;
	}
	*ret = c;
	return 0;
}

static void remember_peer(SOCKET c, const struct host_guid *vm)
{
	for (size_t i = 0; i < HV_PEERS; i++)
		if (!hv_peers[i].s || hv_peers[i].s == INVALID_SOCKET) {
			hv_peers[i].s = c;
			hv_peers[i].vm = *vm;
			return;
		}
}

int plat_accept(plat_sock l, plat_sock *ret)
{
	if (!hv_lc || l != hv_lc->handle)
		return accept_one(l, ret);
	for (size_t i = 0; i < hv_lc->nvm; i++) {
		if (hv_lc->vm[i].s == INVALID_SOCKET || accept_one(hv_lc->vm[i].s, ret) < 0)
			continue;
		remember_peer(*ret, &hv_lc->vm[i].id);
		return 0;
	}
	return -EAGAIN;
}

void plat_confirm_peer(plat_sock conn)
{
	for (size_t i = 0; i < HV_PEERS && hv_lc; i++) {
		if (hv_peers[i].s != conn || conn == INVALID_SOCKET)
			continue;
		for (size_t k = 0; k < hv_lc->nvm; k++)
			if (!memcmp(&hv_lc->vm[k].id, &hv_peers[i].vm, sizeof(hv_peers[i].vm)))
				win_lc_confirm(hv_lc, k);
		return;
	}
}

long plat_recv(plat_sock s, void *buf, size_t len)
{
	int n = recv(s, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
	return n == SOCKET_ERROR ? win_errno((DWORD)WSAGetLastError()) : n;
}

long plat_send(plat_sock s, const void *buf, size_t len)
{
	int n = send(s, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
	return n == SOCKET_ERROR ? win_errno((DWORD)WSAGetLastError()) : n;
}

void plat_close(plat_sock s)
{
	if (hv_lc && s == hv_lc->handle) {
		win_lc_close(hv_lc);
		hv_lc = NULL;
	}
	for (size_t i = 0; i < HV_PEERS; i++)
		if (hv_peers[i].s == s)
			hv_peers[i].s = INVALID_SOCKET;
	closesocket(s);
}

/* The WSAPOLLFD set: every fd but the hvsock placeholder as it is, the
 * placeholder as the sockets its lifecycle listens on now (maybe none).
 * owner[k] is the index in fds of p[k]; vm[k] the candidate or -1. */
struct poll_set {
	WSAPOLLFD *p;
	size_t *owner;
	int *vm;
	size_t n;
};

static int poll_set_build(struct poll_set *ps, const struct plat_pollfd *fds, size_t n)
{
	size_t cap = n + WIN_LC_MAX;
	ps->p = calloc(cap, sizeof(*ps->p));
	ps->owner = calloc(cap, sizeof(*ps->owner));
	ps->vm = calloc(cap, sizeof(*ps->vm));
	ps->n = 0;
	if (!ps->p || !ps->owner || !ps->vm)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		/* WSAPoll refuses POLLERR/POLLHUP in events; it reports them anyway. */
		short ev = (short)((fds[i].events & PLAT_POLLIN ? POLLRDNORM : 0) |
				   (fds[i].events & PLAT_POLLOUT ? POLLWRNORM : 0));
		if (hv_lc && fds[i].fd == hv_lc->handle) {
			for (size_t k = 0; k < hv_lc->nvm; k++) {
				if (hv_lc->vm[k].s == INVALID_SOCKET)
					continue;
				ps->p[ps->n] = (WSAPOLLFD){ .fd = hv_lc->vm[k].s, .events = POLLRDNORM };
				ps->owner[ps->n] = i;
				ps->vm[ps->n++] = (int)k;
			}
			continue;
		}
		ps->p[ps->n] = (WSAPOLLFD){ .fd = fds[i].fd, .events = ev };
		ps->owner[ps->n] = i;
		ps->vm[ps->n++] = -1;
	}
	return 0;
}

static void poll_set_free(struct poll_set *ps)
{
	free(ps->p);
	free(ps->owner);
	free(ps->vm);
}

int plat_poll(struct plat_pollfd *fds, size_t n, int timeout_ms)
{
	struct poll_set ps;
	int r;

	log_check();
	for (size_t i = 0; i < n; i++)
		fds[i].revents = 0;
	/* The lifecycle's own timer bounds the wait: a VM that starts is
	 * bound within its scan period even when nothing else happens. */
	if (hv_lc) {
		uint64_t next = win_lc_tick(hv_lc, win_seams.now_ns()) / 1000000ull + 1;
		if (timeout_ms < 0 || (uint64_t)timeout_ms > next)
			timeout_ms = (int)next;
	}
	/* ... and a console event cannot interrupt WSAPoll: wake up often
	 * enough to see a stop request. */
	if (timeout_ms < 0 || timeout_ms > 250)
		timeout_ms = 250;
	r = poll_set_build(&ps, fds, n);
	if (r < 0)
		goto out;
	if (plat_stop_requested()) {
		r = -EINTR;
	} else if (ps.n == 0) {
		r = win_seams.wait(stop_event, (DWORD)timeout_ms) == WAIT_OBJECT_0 ? -EINTR : 0;
	} else {
		r = win_seams.poll(ps.p, (ULONG)ps.n, timeout_ms);
		if (r == SOCKET_ERROR)
			r = win_errno((DWORD)WSAGetLastError());
	}
	int ready = 0;
	for (size_t k = 0; k < ps.n && r > 0; k++) {
		short e = ps.p[k].revents;
		struct plat_pollfd *f = &fds[ps.owner[k]];
		if (ps.vm[k] >= 0) {
			/* A listener on a VM that went away: closed here, so it
			 * cannot make WSAPoll return at once forever. */
			if (e & (POLLERR | POLLHUP | POLLNVAL))
				win_lc_listener_failed(hv_lc, (size_t)ps.vm[k], win_seams.now_ns());
			else if (e & POLLRDNORM)
				f->revents |= PLAT_POLLIN;
			continue;
		}
		f->revents |= (short)((e & (POLLRDNORM | POLLRDBAND) ? PLAT_POLLIN : 0) |
				      (e & POLLWRNORM ? PLAT_POLLOUT : 0) |
				      (e & (POLLERR | POLLNVAL) ? PLAT_POLLERR : 0) |
				      (e & POLLHUP ? PLAT_POLLHUP : 0));
	}
	for (size_t i = 0; i < n && r > 0; i++)
		ready += fds[i].revents != 0;
	if (r > 0)
		r = ready;
	if (r == 0 && plat_stop_requested())
		r = -EINTR;
out:
	poll_set_free(&ps);
	return r;
}

/* ---- host memory ------------------------------------------------------- */

/* Physical memory from GlobalMemoryStatusEx; commit from GetPerformanceInfo
 * (system-wide: MEMORYSTATUSEX's page-file fields are this process's
 * bounds).  low_known/low carry only Windows' LowMemoryResourceNotification
 * when it fires (about 32 MB per 4 GB: the host already pages then), as an
 * extra input: otherwise the core judges available memory against the
 * configured threshold (--low-memory). */
int plat_host_memory(struct plat_host_memory *m)
{
	static HANDLE low = NULL;
	static bool tried;
	MEMORYSTATUSEX st = { .dwLength = sizeof(st) };
	PERFORMANCE_INFORMATION pi = { .cb = sizeof(pi) };
	BOOL state;

	if (!GlobalMemoryStatusEx(&st))
		return win_errno(GetLastError());
	memset(m, 0, sizeof(*m));
	m->total_bytes = st.ullTotalPhys;
	m->available_bytes = st.ullAvailPhys;
	if (GetPerformanceInfo(&pi, sizeof(pi))) {
		m->commit_bytes = (uint64_t)pi.CommitTotal * pi.PageSize;
		m->commit_limit_bytes = (uint64_t)pi.CommitLimit * pi.PageSize;
	}
	if (!tried) {
		tried = true;
		low = CreateMemoryResourceNotification(LowMemoryResourceNotification);
	}
	if (low && QueryMemoryResourceNotification(low, &state) && state) {
		m->low = true;
		m->low_known = true;
	}
	return 0;
}

/* ---- files ------------------------------------------------------------- */

static int write_all(HANDLE h, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		DWORD chunk = len > (1u << 30) ? (1u << 30) : (DWORD)len, w;
		if (!WriteFile(h, p, chunk, &w, NULL))
			return win_errno(GetLastError());
		p += w;
		len -= w;
	}
	return 0;
}

wchar_t *win_wide_path(const char *utf8)
{
	wchar_t *w = win_wide(utf8);
	if (!w)
		return NULL;
	size_t n = wcslen(w);
	bool drive = n >= 3 && w[1] == L':' && (w[2] == L'\\' || w[2] == L'/');
	bool unc = n >= 3 && (w[0] == L'\\' || w[0] == L'/') && (w[1] == L'\\' || w[1] == L'/') && w[2] != L'?';
	/* Beyond MAX_PATH (less room for our temp suffix) only the \\?\ form
	 * works without the longPathAware manifest and the machine's
	 * LongPathsEnabled; it takes no '/' and no relative parts. */
	if (n < MAX_PATH - 40 || (!drive && !unc))
		return w;
	wchar_t *l = malloc((n + 8) * sizeof(wchar_t));
	if (!l) {
		free(w);
		return NULL;
	}
	if (drive)
		swprintf(l, n + 8, L"\\\\?\\%ls", w);
	else
		swprintf(l, n + 8, L"\\\\?\\UNC\\%ls", w + 2);
	for (wchar_t *c = l + 4; *c; c++)
		if (*c == L'/')
			*c = L'\\';
	free(w);
	return l;
}

static bool wexists(const wchar_t *p)
{
	return GetFileAttributesW(p) != INVALID_FILE_ATTRIBUTES;
}

/* Defender, the indexer or Docker Desktop may hold the file for a moment:
 * a sharing or lock violation is tried again, 10 ms doubling to 1.28 s
 * (2.5 s in all), as LLVM's rename does. */
#define REPLACE_TRIES 9
static bool transient(DWORD e)
{
	return e == ERROR_SHARING_VIOLATION || e == ERROR_LOCK_VIOLATION;
}

/* ReplaceFileW with a named backup: whatever fails, the target is either
 * untouched or still at the backup name, from where it is moved back
 * (ReplaceFileW without a backup can fail with 1176 after the target is
 * gone).  Returns 0 or the Windows error. */
static DWORD replace_keeping(const wchar_t *target, const wchar_t *tmp, const wchar_t *bak)
{
	DWORD e = 0;
	for (unsigned i = 0; i < REPLACE_TRIES; i++) {
		if (i)
			win_seams.sleep_ms(10u << (i - 1));
		if (win_seams.replace(target, tmp, bak, REPLACEFILE_IGNORE_MERGE_ERRORS)) {
			DeleteFileW(bak);
			return 0;
		}
		e = GetLastError();
		/* 1177: the old file is at the backup name, the new one under
		 * its temp name: the old one goes back first. */
		if (!wexists(target) && wexists(bak)) {
			for (unsigned k = 0; k < REPLACE_TRIES && !win_seams.move(bak, target, MOVEFILE_WRITE_THROUGH); k++)
				win_seams.sleep_ms(10u << k);
		}
		if (!transient(e))
			break;
	}
	return e;
}

static const char *replace_error_text(DWORD e)
{
	switch (e) {
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
		return "in use by another program, still after 2.5 s";
	case ERROR_UNABLE_TO_REMOVE_REPLACED:
		return "the old file could not be moved aside";
	case ERROR_UNABLE_TO_MOVE_REPLACEMENT:
		return "the new file could not take its name";
	case ERROR_UNABLE_TO_MOVE_REPLACEMENT_2:
		return "the new file could not take its name; the old one was moved back";
	case ERROR_ACCESS_DENIED:
		return "access denied (read-only, or another owner)";
	default:
		return "see the Windows error code";
	}
}

int plat_replace_file(const char *path, const void *data, size_t len)
{
	wchar_t *wpath = win_wide_path(path), *wtmp = NULL, *wbak = NULL;
	HANDLE h = INVALID_HANDLE_VALUE;
	DWORD e = 0;
	int r;

	if (!wpath)
		return errno == EILSEQ ? -EILSEQ : -ENOMEM;
	size_t n = wcslen(wpath);
	wtmp = malloc((n + 32) * sizeof(wchar_t));
	wbak = malloc((n + 32) * sizeof(wchar_t));
	if (!wtmp || !wbak) {
		r = -ENOMEM;
		goto out;
	}
	/* Beside the target, so ReplaceFileW never crosses volumes. */
	swprintf(wtmp, n + 32, L"%ls.wsldock-%lu.tmp", wpath, (unsigned long)GetCurrentProcessId());
	swprintf(wbak, n + 32, L"%ls.wsldock-%lu.old", wpath, (unsigned long)GetCurrentProcessId());
	h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		r = win_errno(GetLastError());
		goto out;
	}
	r = write_all(h, data, len);
	if (r == 0 && !FlushFileBuffers(h))
		r = win_errno(GetLastError());
	CloseHandle(h);
	if (r < 0)
		goto out_unlink;
	if (wexists(wpath)) {
		/* ReplaceFileW keeps the target's ACL, attributes and streams. */
		e = replace_keeping(wpath, wtmp, wbak);
	} else {
		for (unsigned i = 0; i < REPLACE_TRIES; i++) {
			if (i)
				win_seams.sleep_ms(10u << (i - 1));
			e = win_seams.move(wtmp, wpath, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)
				? 0 : GetLastError();
			if (!transient(e))
				break;
		}
	}
	if (e == 0)
		goto out;
	r = win_errno(e);
	if (!wexists(wpath) && wexists(wbak)) {
		/* Could not even be moved back: say where it is, keep both. */
		bridge_log("%s: replacing it failed (Windows error %lu) and the old file could not be "
			   "moved back: it is at %s.wsldock-%lu.old", path, (unsigned long)e, path,
			   (unsigned long)GetCurrentProcessId());
		r = WIN_E_MOVE_REPLACEMENT_2;
		goto out_unlink;
	}
	bridge_log("%s: not replaced (Windows error %lu: %s); the file is as it was", path, (unsigned long)e,
		   replace_error_text(e));
out_unlink:
	DeleteFileW(wtmp);
out:
	free(wtmp);
	free(wbak);
	free(wpath);
	return r;
}

int plat_copy_file(const char *path, const char *backup_path)
{
	wchar_t *a = win_wide_path(path), *b = win_wide_path(backup_path);
	int r = 0;

	if (!a || !b)
		r = -EILSEQ;
	else if (!CopyFileW(a, b, TRUE /* fail if the backup exists */))
		r = win_errno(GetLastError());
	free(a);
	free(b);
	return r;
}

int plat_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	wchar_t *w = win_wide_path(path);
	LARGE_INTEGER size;
	char *buf = NULL;
	DWORD got;
	int r;

	if (!w)
		return -EILSEQ;
	HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			       NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return win_errno(GetLastError());
	if (!GetFileSizeEx(h, &size)) {
		r = win_errno(GetLastError());
		goto out;
	}
	if ((uint64_t)size.QuadPart > max) {
		r = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)size.QuadPart + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	if (!ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL)) {
		r = win_errno(GetLastError());
		free(buf);
		goto out;
	}
	buf[got] = 0;
	*ret = buf;
	if (ret_len)
		*ret_len = got;
	r = 0;
out:
	CloseHandle(h);
	return r;
}

/* ---- default locations --------------------------------------------------- */

static int env_utf8(const wchar_t *name, char *buf, size_t size)
{
	wchar_t w[MAX_PATH * 2];
	DWORD n = GetEnvironmentVariableW(name, w, MAX_PATH * 2);
	if (n == 0 || n >= MAX_PATH * 2)
		return -ENOENT;
	char *s = win_utf8(w);
	if (!s)
		return -EILSEQ;
	int r = strlen(s) < size ? 0 : -ENAMETOOLONG;
	if (r == 0)
		strcpy(buf, s);
	free(s);
	return r;
}

static bool exists_utf8(const char *path)
{
	wchar_t *w = win_wide_path(path);
	bool e = w && GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;
	free(w);
	return e;
}

int plat_docker_settings_path(char *buf, size_t size)
{
	char appdata[MAX_PATH * 3];
	int r = env_utf8(L"APPDATA", appdata, sizeof(appdata));
	if (r < 0)
		return r;
	for (unsigned i = 0; i < 2; i++) {
		r = host_docker_settings_candidate(appdata, i, buf, size);
		if (r < 0)
			return r;
		if (exists_utf8(buf))
			return 0;
	}
	return -ENOENT;
}

int plat_wslconfig_path(char *buf, size_t size)
{
	char home[MAX_PATH * 3];
	int r = env_utf8(L"USERPROFILE", home, sizeof(home));
	return r < 0 ? r : host_wslconfig_path(home, buf, size);
}

int plat_log_dir(char *buf, size_t size)
{
	char base[MAX_PATH * 3];
	int r = env_utf8(L"LOCALAPPDATA", base, sizeof(base));
	if (r < 0)
		return r;
	int w = snprintf(buf, size, "%s\\wsldock", base);
	if (w < 0 || (size_t)w >= size)
		return -ENAMETOOLONG;
	wchar_t *wd = win_wide(buf);
	if (!wd)
		return -EILSEQ;
	if (!CreateDirectoryW(wd, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		r = win_errno(GetLastError());
	free(wd);
	return r;
}

/* Calls fn for each running process's image name (UTF-8); stops when fn
 * returns nonzero and returns that. */
static int each_process(int (*fn)(DWORD pid, const char *exe, void *u), void *u)
{
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	PROCESSENTRY32W pe = { .dwSize = sizeof(pe) };
	int r = 0;

	if (snap == INVALID_HANDLE_VALUE)
		return win_errno(GetLastError());
	for (BOOL ok = Process32FirstW(snap, &pe); ok && !r; ok = Process32NextW(snap, &pe)) {
		char *exe = win_utf8(pe.szExeFile);
		if (exe)
			r = fn(pe.th32ProcessID, exe, u);
		free(exe);
	}
	CloseHandle(snap);
	return r;
}

static int is_docker(DWORD pid, const char *exe, void *u)
{
	return host_is_docker_desktop_process(exe);
}

int plat_docker_desktop_running(void)
{
	int r = each_process(is_docker, NULL);
	return r < 0 ? r : r > 0;
}

/* ---- running a program ---------------------------------------------- */

int win_run_capture(const char *cmdline_utf8, unsigned timeout_ms, size_t max, uint8_t **out,
		    size_t *out_len)
{
	SECURITY_ATTRIBUTES sa = { .nLength = sizeof(sa), .bInheritHandle = TRUE };
	HANDLE rd = NULL, wr = NULL, nul;
	STARTUPINFOEXW si = { .StartupInfo = { .cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES } };
	PROCESS_INFORMATION pi;
	wchar_t *cmd = win_wide(cmdline_utf8);
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if (!cmd)
		return -EILSEQ;
	if (!CreatePipe(&rd, &wr, &sa, 0)) {
		free(cmd);
		return win_errno(GetLastError());
	}
	SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
	nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
			  OPEN_EXISTING, 0, NULL);
	si.StartupInfo.hStdInput = nul;
	si.StartupInfo.hStdOutput = wr;
	si.StartupInfo.hStdError = nul;
	/* Only these two handles reach the child: sockets are inheritable by
	 * default, and a wsl.exe holding our listener would keep its port
	 * bound after the bridge exits. */
	HANDLE inherit[2] = { wr, nul };
	SIZE_T asize = 0;
	InitializeProcThreadAttributeList(NULL, 1, 0, &asize);
	si.lpAttributeList = malloc(asize);
	BOOL ok = si.lpAttributeList && InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &asize) &&
		  UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit,
					    sizeof(inherit), NULL, NULL) &&
		  CreateProcessW(NULL, cmd, NULL, NULL, TRUE, CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT,
				 NULL, NULL, &si.StartupInfo, &pi);
	DWORD err = si.lpAttributeList ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
	if (si.lpAttributeList) {
		DeleteProcThreadAttributeList(si.lpAttributeList);
		free(si.lpAttributeList);
	}
	free(cmd);
	CloseHandle(wr);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (!ok) {
		CloseHandle(rd);
		return win_errno(err);
	}
	buf = malloc(max + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	/* Read until EOF, bounded by the deadline: PeekNamedPipe keeps a
	 * program that never writes nor exits from blocking us. */
	uint64_t deadline = plat_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		DWORD avail = 0, got = 0;
		if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL))
			break;  /* the writer closed: EOF */
		if (avail) {
			/* Beyond max the output is read and dropped, so a talkative
			 * child never blocks on a full pipe. */
			char sink[4096];
			bool keep = len < max;
			DWORD want = keep ? (DWORD)(max - len < avail ? max - len : avail)
					  : (avail < sizeof(sink) ? avail : (DWORD)sizeof(sink));
			if (!ReadFile(rd, keep ? (char *)buf + len : sink, want, &got, NULL))
				break;
			if (keep)
				len += got;
			continue;
		}
		if (plat_now_ns() > deadline) {
			TerminateProcess(pi.hProcess, 1);
			r = -ETIMEDOUT;
			goto out;
		}
		if (WaitForSingleObject(pi.hProcess, 10) == WAIT_OBJECT_0) {
			/* Drain what it wrote before exiting. */
			if (PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL) && avail)
				continue;
			break;
		}
	}
	DWORD code = 1;
	DWORD left = plat_now_ns() < deadline ? (DWORD)((deadline - plat_now_ns()) / 1000000) : 0;
	if (WaitForSingleObject(pi.hProcess, left) != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		r = -ETIMEDOUT;
		goto out;
	}
	GetExitCodeProcess(pi.hProcess, &code);
	buf[len] = 0;
	*out = buf;
	*out_len = len;
	buf = NULL;
	r = (int)(code & 0x7fffffff);
out:
	free(buf);
	CloseHandle(rd);
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	return r;
}

/* ---- learning the WSL VM id --------------------------------------------- */

/* A process's command line: NtQueryInformationProcess with
 * ProcessCommandLineInformation (Windows 8.1+), else read from its PEB's
 * RTL_USER_PROCESS_PARAMETERS (older Windows and wine, which answers the
 * former with STATUS_INVALID_INFO_CLASS).  wslhost.exe runs as the user, so
 * the user may read it. */
typedef LONG(NTAPI *nt_query_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
#define PROCESS_COMMAND_LINE_INFORMATION 60

static char *wide_n_to_utf8(const wchar_t *w, size_t nch)
{
	wchar_t *z = calloc(nch + 1, sizeof(wchar_t));
	char *res = NULL;
	if (z) {
		memcpy(z, w, nch * sizeof(wchar_t));
		res = win_utf8(z);
		free(z);
	}
	return res;
}

static char *cmdline_from_peb(HANDLE h, nt_query_fn q)
{
	PROCESS_BASIC_INFORMATION pbi;
	PEB peb;
	RTL_USER_PROCESS_PARAMETERS pp;
	ULONG got;
	SIZE_T rd;

	if (q(h, ProcessBasicInformation, &pbi, sizeof(pbi), &got) < 0 || !pbi.PebBaseAddress ||
	    !ReadProcessMemory(h, pbi.PebBaseAddress, &peb, sizeof(peb), &rd) ||
	    !ReadProcessMemory(h, peb.ProcessParameters, &pp, sizeof(pp), &rd) ||
	    !pp.CommandLine.Length || pp.CommandLine.Length > 65534)
		return NULL;
	size_t nch = pp.CommandLine.Length / sizeof(wchar_t);
	wchar_t *w = malloc(pp.CommandLine.Length);
	char *res = NULL;
	if (w && ReadProcessMemory(h, pp.CommandLine.Buffer, w, pp.CommandLine.Length, &rd))
		res = wide_n_to_utf8(w, nch);
	free(w);
	return res;
}

static char *process_cmdline(DWORD pid)
{
	static nt_query_fn q;
	if (!q) {
		HMODULE nt = GetModuleHandleW(L"ntdll.dll");
		q = nt ? (nt_query_fn)(void (*)(void))GetProcAddress(nt, "NtQueryInformationProcess") : NULL;
		if (!q)
			return NULL;
	}
	HANDLE h = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE, pid);
	if (!h)
		h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
	if (!h)
		return NULL;
	ULONG need = 0;
	char *res = NULL;
	q(h, PROCESS_COMMAND_LINE_INFORMATION, NULL, 0, &need);
	if (need > 0 && need < (1u << 20)) {
		/* A UNICODE_STRING header followed by its buffer. */
		UNICODE_STRING *us = calloc(1, need + sizeof(wchar_t));
		if (us && q(h, PROCESS_COMMAND_LINE_INFORMATION, us, need, &need) >= 0)
			res = wide_n_to_utf8(us->Buffer, us->Length / sizeof(wchar_t));
		free(us);
	}
	if (!res)
		res = cmdline_from_peb(h, q);
	CloseHandle(h);
	return res;
}

/* Whether a process runs as this user: its token's SID is ours.  Another
 * user's wslhost.exe (their WSL VM) is not our VM; a process we may not
 * open is not ours either. */
static bool process_is_mine(HANDLE h)
{
	static BYTE mine[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
	static bool have_mine;
	BYTE theirs[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
	HANDLE t;
	DWORD len;
	bool r = false;

	if (!have_mine) {
		if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
			return false;
		have_mine = GetTokenInformation(t, TokenUser, mine, sizeof(mine), &len);
		CloseHandle(t);
		if (!have_mine)
			return false;
	}
	if (!OpenProcessToken(h, TOKEN_QUERY, &t))
		return false;
	if (GetTokenInformation(t, TokenUser, theirs, sizeof(theirs), &len))
		r = EqualSid(((TOKEN_USER *)mine)->User.Sid, ((TOKEN_USER *)theirs)->User.Sid);
	CloseHandle(t);
	return r;
}

/* Command lines are read only for the few processes that may carry a VM
 * id: reading each process's would cost a handle and a copy per process
 * every scan. */
static int real_processes(struct win_proc *out, size_t max)
{
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	PROCESSENTRY32W pe = { .dwSize = sizeof(pe) };
	size_t n = 0;

	if (snap == INVALID_HANDLE_VALUE)
		return win_errno(GetLastError());
	for (BOOL ok = Process32FirstW(snap, &pe); ok && n < max; ok = Process32NextW(snap, &pe)) {
		char *exe = win_utf8(pe.szExeFile);
		if (exe && host_is_wsl_vm_process(exe) && strlen(exe) < sizeof(out[n].exe)) {
			struct win_proc *p = &out[n];
			memset(p, 0, sizeof(*p));
			p->pid = pe.th32ProcessID;
			strcpy(p->exe, exe);
			HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pe.th32ProcessID);
			if (h) {
				p->mine = process_is_mine(h);
				CloseHandle(h);
			}
			char *cmd = p->mine ? process_cmdline(pe.th32ProcessID) : NULL;
			if (cmd && strlen(cmd) < sizeof(p->cmdline))
				strcpy(p->cmdline, cmd);
			free(cmd);
			n++;
		}
		free(exe);
	}
	CloseHandle(snap);
	return (int)n;
}

/* The compute systems in HCS's volatile store (readable without admin)
 * with their Owner value: WSL's VM says "WSL". */
static int real_compute_systems(struct win_compute_system *out, size_t max)
{
	HKEY k;
	wchar_t name[128];
	size_t n = 0;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE,
			  L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\HostComputeService\\"
			  L"VolatileStore\\ComputeSystem",
			  0, KEY_READ, &k) != ERROR_SUCCESS)
		return 0;
	for (DWORD i = 0; n < max; i++) {
		DWORD nl = 128;
		HKEY c;
		if (RegEnumKeyExW(k, i, name, &nl, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
			break;
		char *id = win_utf8(name), *owner = NULL;
		if (RegOpenKeyExW(k, name, 0, KEY_READ, &c) == ERROR_SUCCESS) {
			owner = reg_string(c, L"Owner");
			RegCloseKey(c);
		}
		if (id && strlen(id) < sizeof(out[n].id)) {
			memset(&out[n], 0, sizeof(out[n]));
			strcpy(out[n].id, id);
			if (owner && strlen(owner) < sizeof(out[n].owner))
				strcpy(out[n].owner, owner);
			n++;
		}
		free(id);
		free(owner);
	}
	RegCloseKey(k);
	return (int)n;
}

/* ---- Lxss registry --------------------------------------------------------- */

static char *reg_string(HKEY k, const wchar_t *name)
{
	wchar_t buf[1024];
	DWORD type, size = sizeof(buf) - sizeof(wchar_t);
	if (RegQueryValueExW(k, name, NULL, &type, (BYTE *)buf, &size) != ERROR_SUCCESS ||
	    (type != REG_SZ && type != REG_EXPAND_SZ))
		return NULL;
	buf[size / sizeof(wchar_t)] = 0;
	return win_utf8(buf);
}

#define LXSS_MAX 64
int win_lxss_read(HKEY root, const char *subkey, struct host_lxss_distro *out, size_t max,
		  unsigned *skipped)
{
	struct host_lxss_entry e[LXSS_MAX];
	char *strs[LXSS_MAX * 3] = { 0 };
	wchar_t *wsub = win_wide(subkey), name[256];
	HKEY k;
	size_t n = 0;
	int r;

	if (!wsub)
		return -EILSEQ;
	LONG lr = RegOpenKeyExW(root, wsub, 0, KEY_READ, &k);
	free(wsub);
	if (lr != ERROR_SUCCESS)
		return win_errno((DWORD)lr);
	char *def = reg_string(k, L"DefaultDistribution");
	for (DWORD i = 0; n < LXSS_MAX; i++) {
		DWORD nl = 256, flags, size = sizeof(flags), type;
		HKEY d;
		if (RegEnumKeyExW(k, i, name, &nl, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
			break;
		if (RegOpenKeyExW(k, name, 0, KEY_READ, &d) != ERROR_SUCCESS)
			continue;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].subkey = strs[3 * n] = win_utf8(name);
		e[n].name = strs[3 * n + 1] = reg_string(d, L"DistributionName");
		e[n].base_path = strs[3 * n + 2] = reg_string(d, L"BasePath");
		if (RegQueryValueExW(d, L"Flags", NULL, &type, (BYTE *)&flags, &size) == ERROR_SUCCESS &&
		    type == REG_DWORD) {
			e[n].flags = flags;
			e[n].has_flags = true;
		}
		RegCloseKey(d);
		n++;
	}
	RegCloseKey(k);
	r = host_lxss_parse(def, e, n, out, max, skipped);
	for (size_t i = 0; i < n * 3; i++)
		free(strs[i]);
	free(def);
	return r;
}

int win_docker_desktop_version(char *buf, size_t size)
{
	HKEY k;
	int r = -ENOENT;
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE,
			  L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Docker Desktop", 0,
			  KEY_READ, &k) != ERROR_SUCCESS)
		return -ENOENT;
	char *v = reg_string(k, L"DisplayVersion");
	if (v && strlen(v) < size) {
		strcpy(buf, v);
		r = 0;
	}
	free(v);
	RegCloseKey(k);
	return r;
}

/* ---- register / unregister, startup ------------------------------------------ */

/* Versions before issue 20 had a `register` that created this key to bind
 * HV_GUID_WILDCARD; WSL's VM never delivers connections to a wildcard
 * bind (it has no service table allowing it), so the bridge now binds to
 * the VM id only, and `unregister` removes what an old `register` left. */
static const wchar_t GCS_KEY[] =
	L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\GuestCommunicationServices";

static int bridge_cmd_unregister(uint32_t port)
{
	struct host_guid svc;
	char id[HOST_GUID_STR];
	wchar_t path[256];

	host_hv_service_id(port, &svc);
	host_guid_format(&svc, id);
	swprintf(path, 256, L"%ls\\%hs", GCS_KEY, id);
	LONG lr = RegDeleteKeyW(HKEY_LOCAL_MACHINE, path);
	if (lr == ERROR_FILE_NOT_FOUND) {
		printf("Hyper-V service %s was not registered\n", id);
		return 0;
	}
	if (lr == ERROR_ACCESS_DENIED) {
		bridge_log("unregister needs an administrator prompt (HKLM\\...\\GuestCommunicationServices\\%s)", id);
		return 1;
	}
	if (lr != ERROR_SUCCESS) {
		bridge_log("cannot unregister Hyper-V service %s (error %ld)", id, (long)lr);
		return 1;
	}
	printf("unregistered Hyper-V service %s (vsock port %u)\n", id, (unsigned)port);
	return 0;
}

static const wchar_t RUN_KEY[] = L"Software\\Microsoft\\Windows\\CurrentVersion\\Run";
static const wchar_t RUN_VALUE[] = L"wsldock-bridge";

/* Quotes one argument the way CommandLineToArgvW splits it back. */
static void append_quoted(wchar_t *buf, size_t size, const wchar_t *arg)
{
	size_t n = wcslen(buf);
	if (n + 2 >= size)
		return;
	buf[n++] = L'"';
	for (const wchar_t *p = arg; *p && n + 3 < size; p++) {
		size_t bs = 0;
		while (p[0] == L'\\') {
			bs++;
			p++;
		}
		if (!*p || *p == L'"')
			bs *= 2;  /* backslashes before a quote or the end double */
		for (; bs && n + 3 < size; bs--)
			buf[n++] = L'\\';
		if (!*p)
			break;
		if (*p == L'"')
			buf[n++] = L'\\';
		buf[n++] = *p;
	}
	buf[n++] = L'"';
	buf[n] = 0;
}

static int bridge_cmd_startup(int argc, char **argv, bool add)
{
	HKEY k;
	LONG lr = RegCreateKeyExW(HKEY_CURRENT_USER, RUN_KEY, 0, NULL, 0, KEY_WRITE, NULL, &k, NULL);
	if (lr != ERROR_SUCCESS) {
		bridge_log("cannot open HKCU\\...\\Run (error %ld)", (long)lr);
		return 1;
	}
	if (!add) {
		lr = RegDeleteValueW(k, RUN_VALUE);
		RegCloseKey(k);
		if (lr != ERROR_SUCCESS && lr != ERROR_FILE_NOT_FOUND) {
			bridge_log("cannot remove the Run entry (error %ld)", (long)lr);
			return 1;
		}
		printf("wsldock-bridge no longer starts at logon\n");
		return 0;
	}
	wchar_t exe[MAX_PATH * 2], cmd[4096] = L"";
	if (!GetModuleFileNameW(NULL, exe, MAX_PATH * 2)) {
		RegCloseKey(k);
		return 1;
	}
	append_quoted(cmd, 4096, exe);
	/* Everything after install-startup is what the bridge starts with. */
	for (int i = 1; i < argc; i++) {
		wchar_t *w = win_wide(argv[i]);
		if (!w)
			continue;
		wcsncat(cmd, L" ", 4096 - wcslen(cmd) - 1);
		append_quoted(cmd, 4096, w);
		free(w);
	}
	lr = RegSetValueExW(k, RUN_VALUE, 0, REG_SZ, (const BYTE *)cmd,
			    (DWORD)((wcslen(cmd) + 1) * sizeof(wchar_t)));
	RegCloseKey(k);
	if (lr != ERROR_SUCCESS) {
		bridge_log("cannot write the Run entry (error %ld)", (long)lr);
		return 1;
	}
	char *c = win_utf8(cmd);
	printf("wsldock-bridge starts at logon: %s\n", c ? c : "");
	free(c);
	return 0;
}

static int parse_port_arg(int argc, char **argv, uint32_t *port)
{
	*port = PROTO_DEFAULT_VSOCK_PORT;
	if (argc < 2)
		return 0;
	char *end;
	unsigned long p = strtoul(argv[1], &end, 10);
	if (argc > 2 || *end || !*argv[1] || p > 0xffffffffu) {
		fprintf(stderr, "usage: wsldock-bridge %s [PORT]  (the vsock port, default %d)\n",
			argv[0], PROTO_DEFAULT_VSOCK_PORT);
		return -EINVAL;
	}
	*port = (uint32_t)p;
	return 0;
}

static int run_unregister(int argc, char **argv)
{
	uint32_t port;
	return parse_port_arg(argc, argv, &port) < 0 ? 2 : bridge_cmd_unregister(port);
}

static int run_install_startup(int argc, char **argv)
{
	return bridge_cmd_startup(argc, argv, true);
}

static int run_uninstall_startup(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "usage: wsldock-bridge uninstall-startup\n");
		return 2;
	}
	return bridge_cmd_startup(argc, argv, false);
}

const struct plat_verb plat_verbs[] = {
	{ "status", win_status,
	  "distros, which report to the bridge, Docker Desktop integration, .wslconfig memory" },
	{ "unregister", run_unregister,
	  "[PORT] (administrator) remove the wildcard key an older version's register created" },
	{ "install-startup", run_install_startup,
	  "[OPTION...] start the bridge at logon with these options (HKCU Run key)" },
	{ "uninstall-startup", run_uninstall_startup, "stop starting the bridge at logon" },
	{ NULL, NULL, NULL },
};

/* ---- log file ------------------------------------------------------------------ */

int win_log_rotate(const char *path, unsigned keep)
{
	size_t n = strlen(path) + 16;
	char *a = malloc(n), *b = malloc(n);
	int r = 0;

	if (!a || !b) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = keep; i >= 1 && r == 0; i--) {
		if (i == 1)
			snprintf(a, n, "%s", path);
		else
			snprintf(a, n, "%s.%u", path, i - 1);
		snprintf(b, n, "%s.%u", path, i);
		wchar_t *wa = win_wide(a), *wb = win_wide(b);
		if (wa && wb && GetFileAttributesW(wa) != INVALID_FILE_ATTRIBUTES &&
		    !MoveFileExW(wa, wb, MOVEFILE_REPLACE_EXISTING))
			r = win_errno(GetLastError());
		free(wa);
		free(wb);
	}
out:
	free(a);
	free(b);
	return r;
}

static wchar_t *log_path;  /* set while stderr goes to the log file */

/* Rotates a long-running bridge's log; called from plat_poll. */
static void log_check(void)
{
	static uint64_t last;
	uint64_t now = plat_now_ns();
	if (!log_path || now - last < 60ull * 1000000000ull)
		return;
	last = now;
	long long pos = _ftelli64(stderr);
	if (pos < (long long)WIN_LOG_MAX)
		return;
	char *p = win_utf8(log_path);
	if (p && win_log_rotate(p, WIN_LOG_KEEP) == 0)
		_wfreopen(log_path, L"a", stderr);
	free(p);
}

int win_log_start(void)
{
	const char *mode = getenv("WSLDOCK_LOG");
	char dir[MAX_PATH * 3], path[MAX_PATH * 3 + 32];
	int r;

	if (mode && !strcmp(mode, "stderr"))
		return 0;
	/* No console to attach to and stderr going nowhere means Explorer or
	 * the Run key started us, not a shell: log to the file. */
	HANDLE e = GetStdHandle(STD_ERROR_HANDLE);
	bool nowhere = !e || e == INVALID_HANDLE_VALUE || GetFileType(e) == FILE_TYPE_UNKNOWN;
	if (!(mode && !strcmp(mode, "file")) && !nowhere)
		return 0;
	r = plat_log_dir(dir, sizeof(dir));
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s\\wsldock-bridge.log", dir);
	wchar_t *w = win_wide(path);
	if (!w)
		return -EILSEQ;
	WIN32_FILE_ATTRIBUTE_DATA fa;
	if (GetFileAttributesExW(w, GetFileExInfoStandard, &fa) &&
	    ((uint64_t)fa.nFileSizeHigh << 32 | fa.nFileSizeLow) >= WIN_LOG_MAX)
		win_log_rotate(path, WIN_LOG_KEEP);
	FILE *f = _wfreopen(w, L"a", stderr);
	if (!f) {
		free(w);
		return -errno;
	}
	log_path = w;
	setvbuf(stderr, NULL, _IONBF, 0);
	return 0;
}
