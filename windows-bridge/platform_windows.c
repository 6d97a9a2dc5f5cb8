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

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "log.h"
#include "platform.h"
#include "proto.h"
#include "win/winplat.h"

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
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
		return -EACCES;
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

int plat_init(void)
{
	WSADATA wsa;
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

	if (size < sizeof(hv))
		return 0;
	memset(&hv, 0, sizeof(hv));
	hv.Family = AF_HYPERV;
	if (vm_id)
		win_guid_from_host(&hv.VmId, vm_id);
	else
		hv.VmId = HV_GUID_WILDCARD;
	host_hv_service_id(port, &svc);
	win_guid_from_host(&hv.ServiceId, &svc);
	memcpy(sa, &hv, sizeof(hv));
	return sizeof(hv);
}

static const wchar_t GCS_KEY[] =
	L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\GuestCommunicationServices";

/* Whether `register` created the key that allows a wildcard bind. */
static bool hv_registered(uint32_t port)
{
	struct host_guid svc;
	char id[HOST_GUID_STR];
	wchar_t path[256];
	HKEY k;

	host_hv_service_id(port, &svc);
	host_guid_format(&svc, id);
	swprintf(path, 256, L"%ls\\%hs", GCS_KEY, id);
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &k) != ERROR_SUCCESS)
		return false;
	RegCloseKey(k);
	return true;
}

/* ---- listeners -------------------------------------------------------- */

/* A Hyper-V listener bound to the VM id must be bound again when the VM
 * restarts with a new id.  The core keeps the SOCKET it got from
 * plat_listen; this table maps it to the socket that currently listens, and
 * plat_poll / plat_accept / plat_close go through it. */
#define HV_MAX 4
static struct hv_listener {
	SOCKET handle;   /* what the core holds */
	SOCKET current;  /* what listens now */
	uint32_t port;
	bool wildcard;
	struct host_guid vm;
	uint64_t checked_ns;
} hv_table[HV_MAX];
#define HV_RECHECK_NS (5ull * 1000000000ull)

static struct hv_listener *hv_find(SOCKET s)
{
	for (size_t i = 0; i < HV_MAX; i++)
		if (hv_table[i].handle == s && s != INVALID_SOCKET)
			return &hv_table[i];
	return NULL;
}

static int set_nonblocking(SOCKET s)
{
	u_long on = 1;
	return ioctlsocket(s, FIONBIO, &on) ? win_errno((DWORD)WSAGetLastError()) : 0;
}

static int hv_open(uint32_t port, const struct host_guid *vm, SOCKET *ret, char *why, size_t why_len)
{
	unsigned char sa[64];
	SOCKET s = socket(AF_HYPERV, SOCK_STREAM, WIN_HV_PROTOCOL_RAW);
	if (s == INVALID_SOCKET) {
		int e = WSAGetLastError();
		snprintf(why, why_len,
			 "AF_HYPERV is not supported here (Winsock error %d): Hyper-V sockets need "
			 "Windows 10 1709 or later (wine has none)", e);
		return win_errno((DWORD)e);
	}
	size_t len = win_hv_sockaddr(sa, sizeof(sa), vm, port);
	if (bind(s, (struct sockaddr *)sa, (int)len) || listen(s, SOMAXCONN)) {
		int e = WSAGetLastError();
		char id[HOST_GUID_STR] = "*";
		if (vm)
			host_guid_format(vm, id);
		snprintf(why, why_len, "cannot listen on Hyper-V socket VM %s port %u (Winsock error %d)%s",
			 id, (unsigned)port, e,
			 e == WSAEACCES ? ": run `wsldock-bridge register` as administrator to allow it" : "");
		closesocket(s);
		return win_errno((DWORD)e);
	}
	int r = set_nonblocking(s);
	if (r < 0) {
		snprintf(why, why_len, "cannot make the Hyper-V socket non-blocking");
		closesocket(s);
		return r;
	}
	*ret = s;
	return 0;
}

static int listen_hv(const char *arg, plat_sock *ret, char *why, size_t why_len)
{
	char *end;
	unsigned long port = strtoul(arg, &end, 10);
	struct host_guid vm;
	const char *how = NULL;
	struct hv_listener *slot = NULL;
	SOCKET s;
	int r;

	if (!*arg || *end || port > 0xffffffffu) {
		snprintf(why, why_len, "hvsock:%s: the port must be a number", arg);
		return -EINVAL;
	}
	for (size_t i = 0; i < HV_MAX && !slot; i++)
		if (hv_table[i].handle == 0 || hv_table[i].handle == INVALID_SOCKET)
			slot = &hv_table[i];
	if (!slot) {
		snprintf(why, why_len, "too many hvsock listeners (at most %d)", HV_MAX);
		return -ENOSPC;
	}
	/* Probe the family first so wine and old Windows get the one line
	 * that matters, not a VM-id search that cannot help. */
	s = socket(AF_HYPERV, SOCK_STREAM, WIN_HV_PROTOCOL_RAW);
	if (s == INVALID_SOCKET)
		return hv_open((uint32_t)port, NULL, ret, why, why_len);
	closesocket(s);

	bool wildcard = hv_registered((uint32_t)port);
	if (!wildcard) {
		r = win_wsl_vm_id(&vm, &how);
		if (r < 0) {
			snprintf(why, why_len,
				 "hvsock:%lu: the WSL VM id is unknown (is WSL running?); "
				 "`wsldock-bridge register` as administrator allows listening without it",
				 port);
			return r;
		}
	}
	r = hv_open((uint32_t)port, wildcard ? NULL : &vm, &s, why, why_len);
	if (r < 0)
		return r;
	*slot = (struct hv_listener){ .handle = s, .current = s, .port = (uint32_t)port,
				      .wildcard = wildcard, .checked_ns = plat_now_ns() };
	if (!wildcard)
		slot->vm = vm;
	if (how) {
		char id[HOST_GUID_STR];
		host_guid_format(&vm, id);
		bridge_log("listening on Hyper-V port %lu of WSL VM %s (id from %s)",
			port, id, how);
	}
	*ret = s;
	return 0;
}

static int vm_from_processes(struct host_guid *g, bool *vm_process);
static bool vm_in_registry(const struct host_guid *g);

/* Called from plat_poll every HV_RECHECK_NS: whether the VM restarted (its
 * id changed), and then bind again.  Cheap checks first (the wslhost.exe
 * command lines, the compute-system list), so no wsl.exe runs every 5 s;
 * the full search only when neither knows the id we are bound to.  The old
 * socket stays the core's handle until plat_close. */
static void hv_recheck(struct hv_listener *l)
{
	struct host_guid vm;
	const char *how = "the --vm-id of wslhost.exe";
	char why[256];
	bool vm_process;
	SOCKET s;
	uint64_t now = plat_now_ns();

	if (l->wildcard || now - l->checked_ns < HV_RECHECK_NS)
		return;
	l->checked_ns = now;
	if (vm_from_processes(&vm, &vm_process) < 0) {
		if (vm_in_registry(&l->vm) || win_wsl_vm_id(&vm, &how) < 0)
			return;
	}
	if (!memcmp(&vm, &l->vm, sizeof(vm)))
		return;
	if (hv_open(l->port, &vm, &s, why, sizeof(why)) < 0) {
		bridge_log("%s", why);
		return;
	}
	if (l->current != l->handle)
		closesocket(l->current);
	l->current = s;
	l->vm = vm;
	char id[HOST_GUID_STR];
	host_guid_format(&vm, id);
	bridge_log("the WSL VM restarted; listening on its new id %s (from %s)",
		id, how);
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

int plat_accept(plat_sock l, plat_sock *ret)
{
	struct hv_listener *hv = hv_find(l);
	SOCKET c = accept(hv ? hv->current : l, NULL, NULL);
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
	struct hv_listener *hv = hv_find(s);
	if (hv) {
		if (hv->current != hv->handle)
			closesocket(hv->current);
		memset(hv, 0, sizeof(*hv));
	}
	closesocket(s);
}

int plat_poll(struct plat_pollfd *fds, size_t n, int timeout_ms)
{
	WSAPOLLFD stack[64], *p = n <= 64 ? stack : calloc(n, sizeof(*p));
	bool any_hv = false;
	int r;

	if (!p)
		return -ENOMEM;
	log_check();
	for (size_t i = 0; i < n; i++) {
		struct hv_listener *hv = hv_find(fds[i].fd);
		if (hv) {
			hv_recheck(hv);
			any_hv = true;
		}
		p[i].fd = hv ? hv->current : fds[i].fd;
		/* WSAPoll refuses POLLERR/POLLHUP in events; it reports them anyway. */
		p[i].events = (short)((fds[i].events & PLAT_POLLIN ? POLLRDNORM : 0) |
				      (fds[i].events & PLAT_POLLOUT ? POLLWRNORM : 0));
		p[i].revents = 0;
	}
	/* Wake up now and then to notice a VM restart, and often enough to
	 * see a stop request: a console event cannot interrupt WSAPoll. */
	int cap = any_hv ? 5000 : 250;
	if (timeout_ms < 0 || timeout_ms > cap)
		timeout_ms = cap;
	if (plat_stop_requested()) {
		r = -EINTR;
	} else if (n == 0) {
		r = WaitForSingleObject(stop_event, (DWORD)timeout_ms) == WAIT_OBJECT_0 ? -EINTR : 0;
	} else {
		r = WSAPoll(p, (ULONG)n, timeout_ms);
		if (r == SOCKET_ERROR)
			r = win_errno((DWORD)WSAGetLastError());
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		short e = p[i].revents;
		fds[i].revents = (short)((e & (POLLRDNORM | POLLRDBAND) ? PLAT_POLLIN : 0) |
					 (e & POLLWRNORM ? PLAT_POLLOUT : 0) |
					 (e & (POLLERR | POLLNVAL) ? PLAT_POLLERR : 0) |
					 (e & POLLHUP ? PLAT_POLLHUP : 0));
	}
	if (p != stack)
		free(p);
	if (r == 0 && plat_stop_requested())
		r = -EINTR;
	return r;
}

/* ---- host memory ------------------------------------------------------- */

int plat_host_memory(struct plat_host_memory *m)
{
	static HANDLE low = NULL;
	static bool tried;
	MEMORYSTATUSEX st = { .dwLength = sizeof(st) };
	BOOL state;

	if (!GlobalMemoryStatusEx(&st))
		return win_errno(GetLastError());
	memset(m, 0, sizeof(*m));
	m->total_bytes = st.ullTotalPhys;
	m->available_bytes = st.ullAvailPhys;
	/* The page-file figures are the commit limit and what is left of it. */
	m->commit_limit_bytes = st.ullTotalPageFile;
	m->commit_bytes = st.ullTotalPageFile - st.ullAvailPageFile;
	if (!tried) {
		tried = true;
		low = CreateMemoryResourceNotification(LowMemoryResourceNotification);
	}
	if (low && QueryMemoryResourceNotification(low, &state)) {
		m->low = state != FALSE;
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

int plat_replace_file(const char *path, const void *data, size_t len)
{
	wchar_t *wpath = win_wide(path), *wtmp = NULL;
	HANDLE h = INVALID_HANDLE_VALUE;
	int r;

	if (!wpath)
		return errno == EILSEQ ? -EILSEQ : -ENOMEM;
	size_t n = wcslen(wpath);
	wtmp = malloc((n + 32) * sizeof(wchar_t));
	if (!wtmp) {
		r = -ENOMEM;
		goto out;
	}
	/* Beside the target, so ReplaceFileW never crosses volumes. */
	swprintf(wtmp, n + 32, L"%ls.wsldock-%lu.tmp", wpath, (unsigned long)GetCurrentProcessId());
	h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		r = win_errno(GetLastError());
		goto out;
	}
	r = write_all(h, data, len);
	if (r == 0 && !FlushFileBuffers(h))
		r = win_errno(GetLastError());
	CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	if (r < 0)
		goto out_unlink;
	if (GetFileAttributesW(wpath) != INVALID_FILE_ATTRIBUTES) {
		/* ReplaceFileW keeps the target's ACL, attributes and streams. */
		if (!ReplaceFileW(wpath, wtmp, NULL, REPLACEFILE_IGNORE_MERGE_ERRORS, NULL, NULL)) {
			r = win_errno(GetLastError());
			goto out_unlink;
		}
	} else if (!MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		r = win_errno(GetLastError());
		goto out_unlink;
	}
	r = 0;
	goto out;
out_unlink:
	DeleteFileW(wtmp);
out:
	free(wtmp);
	free(wpath);
	return r;
}

int plat_copy_file(const char *path, const char *backup_path)
{
	wchar_t *a = win_wide(path), *b = win_wide(backup_path);
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
	wchar_t *w = win_wide(path);
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
	wchar_t *w = win_wide(path);
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

struct vm_search {
	bool vm_process;          /* any wslhost/wslrelay runs */
	bool found;
	struct host_guid id;
};

static int find_vm_process(DWORD pid, const char *exe, void *u)
{
	struct vm_search *s = u;
	if (host_is_wsl_vm_worker(exe))
		s->vm_process = true;
	if (!host_is_wsl_vm_process(exe))
		return 0;
	s->vm_process = true;
	char *cmd = process_cmdline(pid);
	if (cmd && host_vmid_from_cmdline(cmd, &s->id) == 0)
		s->found = true;
	free(cmd);
	return s->found;
}

static int vm_from_processes(struct host_guid *g, bool *vm_process)
{
	struct vm_search s = { 0 };
	each_process(find_vm_process, &s);
	*vm_process = s.vm_process;
	if (!s.found)
		return -ENOENT;
	*g = s.id;
	return 0;
}

/* Calls fn for each compute system's id under the HCS volatile store. */
static int each_compute_system(int (*fn)(const struct host_guid *g, void *u), void *u)
{
	HKEY k;
	wchar_t name[128];
	int r = 0;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE,
			  L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\HostComputeService\\"
			  L"VolatileStore\\ComputeSystem",
			  0, KEY_READ, &k) != ERROR_SUCCESS)
		return -ENOENT;
	for (DWORD i = 0; r <= 0; i++) {
		DWORD n = 128;
		struct host_guid g;
		if (RegEnumKeyExW(k, i, name, &n, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
			break;
		char *s = win_utf8(name);
		if (s && host_guid_parse(s, &g) == 0)
			r = fn(&g, u);
		free(s);
	}
	RegCloseKey(k);
	return r > 0 ? 0 : -ENOENT;
}

static int take_first(const struct host_guid *g, void *u)
{
	*(struct host_guid *)u = *g;
	return 1;
}

static int is_same(const struct host_guid *g, void *u)
{
	return !memcmp(g, u, sizeof(*g));
}

static int vm_from_registry(struct host_guid *g)
{
	return each_compute_system(take_first, g);
}

static bool vm_in_registry(const struct host_guid *g)
{
	struct host_guid copy = *g;
	return each_compute_system(is_same, &copy) == 0;
}

int win_wsl_vm_id(struct host_guid *g, const char **how)
{
	struct vm_search s = { 0 };
	uint8_t *out;
	size_t len;

	s.found = vm_from_processes(&s.id, &s.vm_process) == 0;
	if (s.vm_process) {
		/* wslinfo prints from inside the distro (UTF-8); only asked when
		 * the VM runs, since wsl.exe would otherwise boot it. */
		int r = win_run_capture("wsl.exe -e wslinfo --vm-id", 5000, 4096, &out, &len);
		if (r == 0) {
			char *t;
			if (host_wsl_output_decode(out, len, true, &t) == 0) {
				r = host_guid_find(t, g);
				free(t);
			} else
				r = -EILSEQ;
			free(out);
			if (r == 0) {
				*how = "wslinfo --vm-id";
				return 0;
			}
		} else if (r > 0)
			free(out);
		if (s.found) {
			*g = s.id;
			*how = "the --vm-id of wslhost.exe";
			return 0;
		}
	}
	if (vm_from_registry(g) == 0) {
		*how = "HostComputeService\\VolatileStore";
		return 0;
	}
	return -ENOENT;
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

static int verb_register(uint32_t port, bool add)
{
	struct host_guid svc;
	char id[HOST_GUID_STR];
	wchar_t path[256];
	HKEY k;
	LONG lr;

	host_hv_service_id(port, &svc);
	host_guid_format(&svc, id);
	swprintf(path, 256, L"%ls\\%hs", GCS_KEY, id);
	if (add) {
		lr = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_WRITE, NULL, &k, NULL);
		if (lr == ERROR_SUCCESS) {
			static const wchar_t name[] = L"wsldock-bridge";
			lr = RegSetValueExW(k, L"ElementName", 0, REG_SZ, (const BYTE *)name, sizeof(name));
			RegCloseKey(k);
		}
	} else {
		lr = RegDeleteKeyW(HKEY_LOCAL_MACHINE, path);
		if (lr == ERROR_FILE_NOT_FOUND) {
			printf("Hyper-V service %s was not registered\n", id);
			return 0;
		}
	}
	if (lr == ERROR_ACCESS_DENIED) {
		bridge_log("%s needs an administrator prompt (HKLM\\...\\GuestCommunicationServices\\%s)",
			   add ? "register" : "unregister", id);
		return 1;
	}
	if (lr != ERROR_SUCCESS) {
		bridge_log("cannot %s Hyper-V service %s (error %ld)",
			add ? "register" : "unregister", id, (long)lr);
		return 1;
	}
	printf("%s Hyper-V service %s (vsock port %u)%s\n", add ? "registered" : "unregistered", id,
	       (unsigned)port, add ? ": hvsock listeners now bind to any VM and survive WSL restarts" : "");
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

static int verb_startup(int argc, char **argv, bool add)
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

static int run_register(int argc, char **argv)
{
	uint32_t port;
	return parse_port_arg(argc, argv, &port) < 0 ? 2 : verb_register(port, true);
}

static int run_unregister(int argc, char **argv)
{
	uint32_t port;
	return parse_port_arg(argc, argv, &port) < 0 ? 2 : verb_register(port, false);
}

static int run_install_startup(int argc, char **argv)
{
	return verb_startup(argc, argv, true);
}

static int run_uninstall_startup(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "usage: wsldock-bridge uninstall-startup\n");
		return 2;
	}
	return verb_startup(argc, argv, false);
}

const struct plat_verb plat_verbs[] = {
	{ "status", win_status,
	  "distros, which report to the bridge, Docker Desktop integration, .wslconfig memory" },
	{ "register", run_register,
	  "[PORT] (administrator) allow hvsock listeners on any VM, surviving WSL restarts" },
	{ "unregister", run_unregister, "[PORT] (administrator) remove what register added" },
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
	DWORD procs[2];
	int r;

	if (mode && !strcmp(mode, "stderr"))
		return 0;
	/* A console of our own (one process attached) means Explorer or the
	 * Run key started us, not a shell: hide the window, log to the file. */
	bool own_console = GetConsoleProcessList(procs, 2) == 1;
	if (!(mode && !strcmp(mode, "file")) && !own_console)
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
	if (own_console && !(mode && !strcmp(mode, "file")))
		FreeConsole();
	return 0;
}
