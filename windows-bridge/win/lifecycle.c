/* SPDX-License-Identifier: MIT */
/* The hvsock listener's lifecycle: a small state machine that learns which
 * VM is WSL's (this user's) without ever starting WSL, listens on it while
 * it runs, closes the listener when it goes and binds again after a
 * restart.  It touches the system only through win_seams, so the wine
 * tests script each situation (no VM, WSL starting, a Windows Sandbox,
 * another user's VM, WSAEACCES, POLLHUP, a restart) and the clock.
 *
 *   UNSUPPORTED --socket() works--> NO_VM
 *   NO_VM --a VM of ours seen, bound--> CANDIDATE
 *   CANDIDATE --an enrolled agent speaks on one--> BOUND (others closed)
 *   CANDIDATE/BOUND --its VM gone, or POLLHUP/ERR on its listener--> closed;
 *       NO_VM when none listens (rebinding waits for a back-off)
 *   any --socket() says WSAEAFNOSUPPORT--> UNSUPPORTED
 *
 * Evidence of a VM is only what exists while it runs: the --vm-id of this
 * user's wslhost.exe / wslrelay.exe, and compute systems whose Owner is
 * WSL.  A `vmmem` process proves nothing (every Hyper-V VM has one) and
 * wsl.exe is never run (it would boot the VM and a distro). */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <windows.h>
#include <hvsocket.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../log.h"
#include "../platform.h"
#include "winplat.h"

const char *win_lc_state_name(enum win_lc_state s)
{
	switch (s) {
	case WIN_LC_UNSUPPORTED:
		return "unsupported";
	case WIN_LC_NO_VM:
		return "no-vm";
	case WIN_LC_CANDIDATE:
		return "candidate";
	case WIN_LC_BOUND:
		return "bound";
	}
	return "?";
}

void win_lc_init(struct win_lc *lc, uint32_t port, SOCKET handle)
{
	memset(lc, 0, sizeof(*lc));
	lc->state = WIN_LC_NO_VM;
	lc->port = port;
	lc->handle = handle;
	lc->confirmed = -1;
	for (size_t i = 0; i < WIN_LC_MAX; i++)
		lc->vm[i].s = INVALID_SOCKET;
}

/* What the dashboard shows (plat_transport_status), copied under a lock:
 * the dashboard answers on libmicrohttpd's thread. */
static SRWLOCK shown_lock = SRWLOCK_INIT;
static struct {
	bool set;
	char state[16], why[256];
} shown;

static void publish(const struct win_lc *lc)
{
	AcquireSRWLockExclusive(&shown_lock);
	shown.set = true;
	snprintf(shown.state, sizeof(shown.state), "%s", win_lc_state_name(lc->state));
	snprintf(shown.why, sizeof(shown.why), "%s", lc->why);
	ReleaseSRWLockExclusive(&shown_lock);
}

int plat_transport_status(char *state, size_t state_len, char *detail, size_t detail_len)
{
	int r = -ENOENT;
	AcquireSRWLockShared(&shown_lock);
	if (shown.set) {
		snprintf(state, state_len, "%s", shown.state);
		snprintf(detail, detail_len, "%s", shown.why);
		r = 0;
	}
	ReleaseSRWLockShared(&shown_lock);
	return r;
}

static void say(struct win_lc *lc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct win_lc *lc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lc->why, sizeof(lc->why), fmt, ap);
	va_end(ap);
	bridge_log("hvsock:%u: %s", (unsigned)lc->port, lc->why);
	publish(lc);
}

/* What runs now and may be WSL's VM of this user, most trusted first. */
struct sighting {
	struct host_guid id;
	const char *source;
};

static size_t add_sighting(struct sighting *s, size_t n, const struct host_guid *id, const char *src)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(&s[i].id, id, sizeof(*id)))
			return n;
	if (n == WIN_LC_MAX)
		return n;
	s[n].id = *id;
	s[n].source = src;
	return n + 1;
}

static size_t look(struct sighting *s)
{
	static struct win_proc procs[1024];
	struct win_compute_system cs[64];
	size_t n = 0;
	int np = win_seams.processes ? win_seams.processes(procs, 1024) : 0;
	int nc = win_seams.compute_systems ? win_seams.compute_systems(cs, 64) : 0;

	/* wslhost.exe before wslrelay.exe: WSL 2.8.5+ starts wslrelay for
	 * other VMs too. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < np; i++) {
			struct host_guid g;
			const char *want = pass ? "wslrelay.exe" : "wslhost.exe";
			if (!procs[i].mine || strcasecmp(procs[i].exe, want) ||
			    host_vmid_from_cmdline(procs[i].cmdline, &g) < 0)
				continue;
			n = add_sighting(s, n, &g, want);
		}
	for (int i = 0; i < nc; i++) {
		struct host_guid g;
		/* Windows Sandbox, Hyper-V VMs and containers have other owners. */
		if (strcasecmp(cs[i].owner, "WSL") || host_guid_parse(cs[i].id, &g) < 0)
			continue;
		n = add_sighting(s, n, &g, "HCS store");
	}
	return n;
}

int win_lc_candidates(struct host_guid *out, const char **source, size_t max)
{
	struct sighting s[WIN_LC_MAX];
	size_t n = look(s);
	for (size_t i = 0; i < n && i < max; i++) {
		out[i] = s[i].id;
		source[i] = s[i].source;
	}
	return (int)(n < max ? n : max);
}

static void close_vm(struct win_lc_vm *v)
{
	if (v->s != INVALID_SOCKET)
		closesocket(v->s);
	v->s = INVALID_SOCKET;
}

static void drop_vm(struct win_lc *lc, size_t i)
{
	close_vm(&lc->vm[i]);
	if (lc->confirmed == (int)i)
		lc->confirmed = -1;
	else if (lc->confirmed > (int)i)
		lc->confirmed--;
	memmove(&lc->vm[i], &lc->vm[i + 1], (lc->nvm - i - 1) * sizeof(lc->vm[0]));
	lc->nvm--;
	lc->vm[lc->nvm].s = INVALID_SOCKET;
}

/* One bind: 0, -EACCES (another user's VM), -EAFNOSUPPORT, or another
 * negative errno.  HVSOCKET_CONNECTED_SUSPEND keeps accepted connections
 * across the host's sleep, as WSL's own sockets do. */
static int bind_vm(struct win_lc *lc, struct win_lc_vm *v)
{
	unsigned char sa[64];
	DWORD on = 1;
	SOCKET s = win_seams.hv_socket();

	lc->binds++;
	if (s == INVALID_SOCKET)
		return win_errno((DWORD)WSAGetLastError());
	size_t len = win_hv_sockaddr(sa, sizeof(sa), &v->id, lc->port);
	if (win_seams.setsockopt(s, HV_PROTOCOL_RAW, HVSOCKET_CONNECTED_SUSPEND, (const char *)&on,
				 sizeof(on)) ||
	    win_seams.bind(s, (const struct sockaddr *)sa, (int)len) || win_seams.listen(s, SOMAXCONN)) {
		int e = WSAGetLastError();
		closesocket(s);
		return e == WSAEACCES ? -EACCES : win_errno((DWORD)e);
	}
	u_long nb = 1;
	ioctlsocket(s, FIONBIO, &nb);
	v->s = s;
	return 0;
}

static void set_state(struct win_lc *lc)
{
	enum win_lc_state old = lc->state;
	bool any = false;

	for (size_t i = 0; i < lc->nvm; i++)
		any |= lc->vm[i].s != INVALID_SOCKET;
	if (lc->state != WIN_LC_UNSUPPORTED)
		lc->state = lc->confirmed >= 0 ? WIN_LC_BOUND : any ? WIN_LC_CANDIDATE : WIN_LC_NO_VM;
	if (old != lc->state)
		bridge_log("hvsock:%u: %s -> %s", (unsigned)lc->port, win_lc_state_name(old),
			   win_lc_state_name(lc->state));
	publish(lc);
}

static void try_bind(struct win_lc *lc, struct win_lc_vm *v, uint64_t now)
{
	char id[HOST_GUID_STR];
	int r;

	if (v->s != INVALID_SOCKET || v->denied || now < v->retry_ns ||
	    (lc->confirmed >= 0 && v != &lc->vm[lc->confirmed]))
		return;
	host_guid_format(&v->id, id);
	r = bind_vm(lc, v);
	if (r == 0) {
		v->bound_ns = now;
		say(lc, "listening on VM %s (from %s)", id, v->source);
		return;
	}
	if (r == -EACCES) {
		/* WSL grants bind rights to SYSTEM and the user who started the
		 * VM only: this one is another user's.  No registry key changes
		 * that. */
		v->denied = true;
		say(lc, "VM %s (from %s) is another user's: binding to it is refused (WSAEACCES); "
			"not tried again while it runs", id, v->source);
		return;
	}
	if (r == -EAFNOSUPPORT) {
		lc->state = WIN_LC_UNSUPPORTED;
		return;
	}
	v->backoff_ns = v->backoff_ns ? v->backoff_ns * 2 : WIN_LC_SCAN_NS;
	if (v->backoff_ns > WIN_LC_BACKOFF_MAX_NS)
		v->backoff_ns = WIN_LC_BACKOFF_MAX_NS;
	v->retry_ns = now + v->backoff_ns;
	say(lc, "cannot listen on VM %s (from %s): %s; again in %llu s", id, v->source, strerror(-r),
	    (unsigned long long)(v->backoff_ns / 1000000000ull));
}

static void probe(struct win_lc *lc)
{
	SOCKET s = win_seams.hv_socket();
	if (s == INVALID_SOCKET) {
		int e = WSAGetLastError();
		if (lc->state != WIN_LC_UNSUPPORTED || !lc->why[0])
			say(lc, "AF_HYPERV is not supported here (Winsock error %d): Hyper-V sockets need "
				"Windows 10 1709 or later (wine has none); the bridge keeps serving and "
				"looks again every minute", e);
		lc->state = WIN_LC_UNSUPPORTED;
		return;
	}
	closesocket(s);
	if (lc->state == WIN_LC_UNSUPPORTED) {
		lc->state = WIN_LC_NO_VM;
		say(lc, "AF_HYPERV works now");
	}
}

uint64_t win_lc_tick(struct win_lc *lc, uint64_t now)
{
	struct sighting s[WIN_LC_MAX];
	char id[HOST_GUID_STR];

	if (now < lc->next_scan_ns)
		return lc->next_scan_ns - now;
	lc->scans++;
	/* socket() tells whether AF_HYPERV exists at all; a bind that says
	 * WSAEAFNOSUPPORT later also leads back here. */
	if (lc->state == WIN_LC_UNSUPPORTED || lc->scans == 1)
		probe(lc);
	if (lc->state == WIN_LC_UNSUPPORTED) {
		while (lc->nvm)
			drop_vm(lc, lc->nvm - 1);
		lc->next_scan_ns = now + WIN_LC_PROBE_NS;
		publish(lc);
		return WIN_LC_PROBE_NS;
	}
	size_t n = look(s);
	for (size_t i = 0; i < lc->nvm; i++)
		lc->vm[i].seen = false;
	for (size_t k = 0; k < n; k++) {
		size_t i;
		for (i = 0; i < lc->nvm; i++)
			if (!memcmp(&lc->vm[i].id, &s[k].id, sizeof(s[k].id)))
				break;
		if (i == lc->nvm) {
			if (lc->nvm == WIN_LC_MAX)
				continue;
			lc->vm[lc->nvm++] = (struct win_lc_vm){ .id = s[k].id, .source = s[k].source,
								 .s = INVALID_SOCKET };
		}
		lc->vm[i].seen = true;
	}
	/* A VM no longer seen has stopped: its listener closes now, not when
	 * WSAPoll gets round to saying so. */
	for (size_t i = lc->nvm; i-- > 0;)
		if (!lc->vm[i].seen) {
			host_guid_format(&lc->vm[i].id, id);
			if (lc->vm[i].s != INVALID_SOCKET)
				say(lc, "VM %s stopped; its listener is closed", id);
			drop_vm(lc, i);
		}
	for (size_t i = 0; i < lc->nvm && lc->state != WIN_LC_UNSUPPORTED; i++)
		try_bind(lc, &lc->vm[i], now);
	if (lc->state == WIN_LC_UNSUPPORTED) {
		while (lc->nvm)
			drop_vm(lc, lc->nvm - 1);
		lc->next_scan_ns = now + WIN_LC_PROBE_NS;
		return WIN_LC_PROBE_NS;
	}
	set_state(lc);
	uint64_t every = lc->state == WIN_LC_BOUND ? WIN_LC_SCAN_BOUND_NS : WIN_LC_SCAN_NS;
	lc->next_scan_ns = now + every;
	return every;
}

void win_lc_listener_failed(struct win_lc *lc, size_t i, uint64_t now)
{
	char id[HOST_GUID_STR];
	struct win_lc_vm *v = &lc->vm[i];

	if (i >= lc->nvm || v->s == INVALID_SOCKET)
		return;
	close_vm(v);
	if (lc->confirmed == (int)i)
		lc->confirmed = -1;
	/* A listener that keeps failing soon after each bind waits longer
	 * each time; one that served for a minute starts over. */
	if (now - v->bound_ns > WIN_LC_BACKOFF_MAX_NS)
		v->backoff_ns = 0;
	v->backoff_ns = v->backoff_ns ? v->backoff_ns * 2 : WIN_LC_SCAN_NS;
	if (v->backoff_ns > WIN_LC_BACKOFF_MAX_NS)
		v->backoff_ns = WIN_LC_BACKOFF_MAX_NS;
	v->retry_ns = now + v->backoff_ns;
	host_guid_format(&v->id, id);
	say(lc, "the listener on VM %s failed (the VM stopped?); closed, bound again in %llu s if it runs",
	    id, (unsigned long long)(v->backoff_ns / 1000000000ull));
	set_state(lc);
	if (lc->next_scan_ns > v->retry_ns)
		lc->next_scan_ns = v->retry_ns;
}

void win_lc_confirm(struct win_lc *lc, size_t i)
{
	char id[HOST_GUID_STR];

	if (i >= lc->nvm || lc->confirmed == (int)i)
		return;
	lc->confirmed = (int)i;
	for (size_t k = 0; k < lc->nvm; k++)
		if (k != i)
			close_vm(&lc->vm[k]);
	host_guid_format(&lc->vm[i].id, id);
	say(lc, "VM %s confirmed as WSL's (an enrolled agent answered); other candidates closed", id);
	set_state(lc);
}

void win_lc_close(struct win_lc *lc)
{
	while (lc->nvm)
		drop_vm(lc, lc->nvm - 1);
}
