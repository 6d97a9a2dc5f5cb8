/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "dashboard.h"
#include "enroll.h"
#include "log.h"
#include "platform.h"

#define TOKEN_BYTES 16
/* Pages of /api/v1/distros and /metrics held for slow readers at once
 * (each up to ~14 MiB with 256 fat distros): more get 503.  Only
 * libmicrohttpd's one thread touches the count. */
#define BODIES_MAX 2
static unsigned bodies;

static void body_free(void *p)
{
	free(p);
	bodies--;
}
#define TOKEN_COOKIE "wsldock_token"

struct dashboard {
	struct MHD_Daemon *mhd;
	struct bridge_state *st;
	char port[8];
	/* Not loopback (--http-any): the bound "ADDR:PORT" is a Host too
	 * ("" for 0.0.0.0: any), and every request needs the token. */
	bool remote;
	char bound_host[64];
	char token[2 * TOKEN_BYTES + 1];
	char cookie[128];   /* Set-Cookie giving the token to the page's own requests */
};

static enum MHD_Result reply_cookie(struct MHD_Connection *conn, unsigned status, const char *type,
				    char *body, size_t len, bool must_free, const char *cookie);

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len, bool must_free)
{
	return reply_cookie(conn, status, type, body, len, must_free, NULL);
}

static enum MHD_Result reply_cookie(struct MHD_Connection *conn, unsigned status, const char *type,
				    char *body, size_t len, bool must_free, const char *cookie)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = must_free ? MHD_create_response_from_buffer_with_free_callback(len, body, body_free)
			 : MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	if (resp && must_free)
		bodies++;
	if (!resp) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* The page is self-contained: forbid everything else, so nothing
	 * injected into it (a distro's text) can load or run code. */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
				"connect-src 'self'; img-src 'self' data:");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (cookie)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return reply(conn, status, "text/plain; charset=utf-8", (char *)msg, strlen(msg), false);
}

static bool ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
		char y = (char)(b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i]);

		if (x != y)
			return false;
	}
	return true;
}

/* A page on another site reaches 127.0.0.1 by DNS rebinding with its own
 * name in Host: only the loopback names with this port are ours. */
static bool host_ok(const struct dashboard *db, const char *host)
{
	static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
	const char *colon = host ? strrchr(host, ':') : NULL;
	size_t n;

	if (!colon || strcmp(colon + 1, db->port))
		return false;
	n = (size_t)(colon - host);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) && ascii_ieq(host, names[i], n))
			return true;
	if (db->remote)
		return !db->bound_host[0] || (n == strlen(db->bound_host) && ascii_ieq(host, db->bound_host, n));
	return false;
}

static bool token_eq(const struct dashboard *db, const char *t)
{
	return t && strlen(t) == strlen(db->token) && proto_equal_ct(t, db->token, strlen(db->token));
}

/* For a non-loopback dashboard: the token as ?token=, a Bearer header or
 * the cookie a ?token= visit set.  *set_cookie when it came as ?token=. */
static bool token_ok(const struct dashboard *db, struct MHD_Connection *conn, bool *set_cookie)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	*set_cookie = false;
	if (!db->remote)
		return true;
	if (token_eq(db, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token"))) {
		*set_cookie = true;
		return true;
	}
	if (auth && !strncmp(auth, "Bearer ", 7) && token_eq(db, auth + 7))
		return true;
	return token_eq(db, MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, TOKEN_COOKIE));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct dashboard *db = cls;
	const char *cookie;
	bool set_cookie;
	char *body;
	size_t len = 0;

	if (!host_ok(db, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
		return text(conn, 421, "misdirected request: the dashboard answers Host 127.0.0.1, localhost "
			    "or [::1] with its port only\n");
	if (!token_ok(db, conn, &set_cookie))
		return text(conn, MHD_HTTP_UNAUTHORIZED, "this dashboard is not on loopback: open the URL with "
			    "?token= the bridge logged at its start\n");
	cookie = set_cookie ? db->cookie : NULL;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (!strcmp(url, "/api/v1/distros") || !strcmp(url, "/metrics")) {
		struct bridge_state copy;
		bool api = !strcmp(url, "/api/v1/distros");
		int r;

		if (bodies >= BODIES_MAX)
			return text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy: retry in a moment\n");
		/* Copied under the lock, serialised after it: the main loop
		 * (every agent's message) never waits for a page. */
		plat_mutex_lock(db->st->lock);
		r = state_copy(db->st, &copy);
		plat_mutex_unlock(db->st->lock);
		if (r < 0)
			return text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		body = api ? state_api_text(&copy, plat_wall_ns() / 1000000, &len) : state_metrics(&copy, &len);
		state_copy_free(&copy);
		if (!body)
			return text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		return reply(conn, MHD_HTTP_OK, api ? "application/json" : "text/plain; version=0.0.4; charset=utf-8",
			     body, len, true);
	}
	if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
		return reply_cookie(conn, MHD_HTTP_OK, "text/html; charset=utf-8", (char *)dashboard_page,
				    strlen(dashboard_page), false, cookie);
	return text(conn, MHD_HTTP_NOT_FOUND, "not found: try /, /api/v1/distros or /metrics\n");
}

/* Dotted IPv4 without the C library (the core stays portable). */
static bool parse_ipv4(const char *s, size_t n, unsigned char out[4])
{
	unsigned part = 0, digits = 0, k = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] >= '0' && s[i] <= '9') {
			part = part * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || part > 255)
				return false;
		} else if ((i == n || s[i] == '.') && digits && k < 4) {
			out[k++] = (unsigned char)part;
			part = digits = 0;
		} else {
			return false;
		}
	}
	return k == 4;
}

struct dashboard *dashboard_start(struct bridge_state *st, const char *addr, bool any,
				  char *why, size_t why_len)
{
	char endpoint[128], lwhy[256];
	unsigned char ip[4];
	plat_sock l;
	const char *colon = strrchr(addr, ':');
	struct dashboard *db;
	unsigned long port;
	char *end;

	if (!colon || (port = strtoul(colon + 1, &end, 10)) == 0 || *end || port > 65535) {
		snprintf(why, why_len, "--http %s: expected ADDRESS:PORT, e.g. 127.0.0.1:9477", addr);
		return NULL;
	}
	if ((size_t)(colon - addr) == 9 && !strncmp(addr, "localhost", 9)) {
		ip[0] = 127, ip[1] = 0, ip[2] = 0, ip[3] = 1;
	} else if (!parse_ipv4(addr, (size_t)(colon - addr), ip)) {
		snprintf(why, why_len, "--http %s: not an IPv4 address", addr);
		return NULL;
	}
	if (ip[0] != 127 && !any) {
		snprintf(why, why_len,
			 "--http %s: not a loopback address; the dashboard has no authentication, "
			 "so it serves 127.0.0.1 only unless --http-any is given", addr);
		return NULL;
	}
	/* The platform layer opens the socket (as for agents), so the core
	 * needs no socket headers; libmicrohttpd serves on it. */
	snprintf(endpoint, sizeof(endpoint), "tcp:%u.%u.%u.%u:%lu", ip[0], ip[1], ip[2], ip[3], port);
	if (plat_listen(endpoint, &l, lwhy, sizeof(lwhy)) < 0) {
		snprintf(why, why_len, "--http %s: %s", addr, lwhy);
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (!db) {
		plat_close(l);
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	db->st = st;
	snprintf(db->port, sizeof(db->port), "%lu", port);
	if (ip[0] != 127) {
		unsigned char t[TOKEN_BYTES];

		db->remote = true;
		if (ip[0] || ip[1] || ip[2] || ip[3])
			snprintf(db->bound_host, sizeof(db->bound_host), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
		if (plat_random(t, sizeof(t)) < 0) {
			snprintf(why, why_len, "--http %s: no random bytes for the dashboard's token", addr);
			plat_close(l);
			free(db);
			return NULL;
		}
		proto_hex(t, sizeof(t), db->token);
		snprintf(db->cookie, sizeof(db->cookie), TOKEN_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict",
			 db->token);
	}
	db->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
				   0, NULL, NULL, handle, db,
				   MHD_OPTION_LISTEN_SOCKET, (MHD_socket)l,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				   MHD_OPTION_END);
	if (!db->mhd) {
		snprintf(why, why_len, "--http %s: libmicrohttpd cannot serve there", addr);
		plat_close(l);
		free(db);
		return NULL;
	}
	if (db->remote)
		bridge_log("dashboard on http://%s/?token=%s (not loopback: --http-any; every request needs "
			   "this token, which changes at each start)", addr, db->token);
	else
		bridge_log("dashboard on http://%s/", addr);
	return db;
}

void dashboard_stop(struct dashboard *db)
{
	if (!db)
		return;
	MHD_stop_daemon(db->mhd);
	free(db);
}
