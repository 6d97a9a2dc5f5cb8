/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "dashboard.h"
#include "log.h"
#include "platform.h"

struct dashboard {
	struct MHD_Daemon *mhd;
	struct bridge_state *st;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len, bool must_free)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer(len, body, must_free ? MHD_RESPMEM_MUST_FREE
								    : MHD_RESPMEM_PERSISTENT);
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
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return reply(conn, status, "text/plain; charset=utf-8", (char *)msg, strlen(msg), false);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct dashboard *db = cls;
	char *body;
	size_t len = 0;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (!strcmp(url, "/api/v1/distros")) {
		json_t *doc;

		plat_mutex_lock(db->st->lock);
		/* Serialised under the lock: the document shares the last
		 * reports with the state the main loop replaces. */
		doc = state_json(db->st, plat_wall_ns() / 1000000);
		body = doc ? json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
		json_decref(doc);
		plat_mutex_unlock(db->st->lock);
		if (!body)
			return text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		return reply(conn, MHD_HTTP_OK, "application/json", body, strlen(body), true);
	}
	if (!strcmp(url, "/metrics")) {
		plat_mutex_lock(db->st->lock);
		body = state_metrics(db->st, &len);
		plat_mutex_unlock(db->st->lock);
		if (!body)
			return text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len, true);
	}
	if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", (char *)dashboard_page,
			     strlen(dashboard_page), false);
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
	db->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
				   0, NULL, NULL, handle, db,
				   MHD_OPTION_LISTEN_SOCKET, (MHD_socket)l,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				   MHD_OPTION_END);
	if (!db->mhd) {
		snprintf(why, why_len, "--http %s: libmicrohttpd cannot serve there", addr);
		plat_close(l);
		free(db);
		return NULL;
	}
	if (any && ip[0] != 127)
		bridge_log("dashboard on http://%s/ (not loopback: --http-any; it has no authentication)", addr);
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
