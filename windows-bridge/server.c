/* SPDX-License-Identifier: MIT */
/* The agents' side of the bridge: listeners, connections, one poll loop.
 * Every message is handled to the end before the next is read; nothing an
 * agent sends can block the loop (sockets are non-blocking, output is
 * bounded per connection). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "enroll.h"
#include "log.h"
#include "platform.h"
#include "proto.h"
#include "server.h"

struct conn {
	plat_sock fd;
	unsigned id;
	struct proto_reader *rd;
	char *out;
	size_t out_len, out_off;
	bool hello, closing, dead;
	unsigned errors;   /* answered with an error, before the hello */
	char nonce[PROTO_HEX_LEN(PROTO_NONCE_BYTES) + 1];  /* the challenge's */
	int version;
	char distro[PROTO_DISTRO_MAX + 1];
	struct distro *d;  /* its state: kept while a connection names it */
	uint64_t opened_ns, last_rx_ns;
	bool host_sent;
	struct proto_host_memory host_last;
};

struct server {
	struct bridge_state *st;
	const struct server_config *cfg;
	plat_sock listeners[SERVER_MAX_LISTEN];
	const char *listen_names[SERVER_MAX_LISTEN];
	size_t nlisteners;
	struct conn *conns[SERVER_MAX_CONNS + SERVER_MAX_PENDING];
	size_t nconns, npending;
	char key_dir[1024];
	unsigned next_id;
	bool host_known;
	struct proto_host_memory host;
	char docker_settings[1024], wslconfig[1024];
	int advice_err;            /* the last read's error, said once */
};

/* How often the .wslconfig is read again for the advice. */
#define ADVICE_INTERVAL_MS 10000

/* now - then, 0 when then is later (read after now was taken). */
static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static uint64_t wall_ms(void)
{
	return plat_wall_ns() / 1000000;
}

static void queue_msg(struct conn *c, json_t *msg)
{
	char *line;
	size_t len;
	int r;

	if (!msg)
		return;
	r = proto_encode(msg, &line, &len);
	json_decref(msg);
	if (r < 0)
		return;
	if (c->out_len - c->out_off + len > SERVER_OUT_MAX) {
		/* It reads nothing we send: stop spending memory on it. */
		bridge_log("connection %u (%s): not reading, dropped", c->id,
			   c->distro[0] ? c->distro : "no hello");
		c->dead = true;
		free(line);
		return;
	}
	if (c->out_off == c->out_len) {
		free(c->out);
		c->out = line;
		c->out_len = len;
		c->out_off = 0;
		return;
	}
	char *grown = realloc(c->out, c->out_len + len);

	if (!grown) {
		c->dead = true;
		free(line);
		return;
	}
	memcpy(grown + c->out_len, line, len);
	c->out = grown;
	c->out_len += len;
	free(line);
}

static void send_error(struct server *sv, struct conn *c, const char *code, const char *message,
		       json_t *ref)
{
	plat_mutex_lock(sv->st->lock);
	sv->st->protocol_errors++;
	plat_mutex_unlock(sv->st->lock);
	queue_msg(c, proto_error_new(code, message, ref));
	/* A peer that has proved nothing gets a few answers, then the door. */
	if (!c->hello && ++c->errors >= SERVER_PENDING_ERRORS)
		c->closing = true;
}

/* Refuses a hello for want of a valid proof: nothing of it is kept. */
static void refuse_auth(struct server *sv, struct conn *c, const char *distro, const char *why)
{
	send_error(sv, c, PROTO_E_AUTH, why, NULL);
	bridge_log("connection %u (says %s): not authenticated: %s; closing", c->id, distro, why);
	c->closing = true;
}

/* Checks the hello's proof against the distro's enrolment key; fills the
 * bridge's answering proof and the distro's name as enrolled. */
static bool authenticate(struct server *sv, struct conn *c, const struct proto_hello *h,
			 char name[PROTO_DISTRO_MAX + 1], char proof[PROTO_HEX_LEN(PROTO_MAC_BYTES) + 1])
{
	unsigned char key[PROTO_KEY_BYTES];
	char why[256];
	bool ok;
	int r;

	if (!h->agent_nonce || !h->proof) {
		refuse_auth(sv, c, h->distro, "the hello has no \"agent_nonce\" and \"proof\" (protocol 2 needs both)");
		return false;
	}
	r = enroll_key_load(sv->key_dir, h->distro, key, name);
	if (r < 0) {
		snprintf(why, sizeof(why), "%s is not enrolled: run `wsldock-bridge enroll %s` on Windows",
			 h->distro, h->distro);
		refuse_auth(sv, c, h->distro, why);
		return false;
	}
	ok = enroll_proof_ok(key, true, c->nonce, h->agent_nonce, h->distro, h->vm_id, h->proof) &&
	     enroll_proof(key, false, c->nonce, h->agent_nonce, h->distro, h->vm_id, proof) == 0;
	memset(key, 0, sizeof(key));
	if (!ok) {
		snprintf(why, sizeof(why), "the proof is not %s's key's: enrol it again with `wsldock-bridge enroll %s`",
			 name, name);
		refuse_auth(sv, c, h->distro, why);
	}
	return ok;
}

/* A distro's connections beyond SERVER_CONNS_PER_DISTRO: the oldest goes
 * (an agent that reconnected leaves its old connection behind). */
static void limit_distro_conns(struct server *sv, struct distro *d)
{
	struct conn *oldest = NULL;
	unsigned n = 0;

	for (size_t i = 0; i < sv->nconns; i++) {
		struct conn *o = sv->conns[i];

		if (!o->hello || o->d != d || o->closing)
			continue;
		n++;
		if (!oldest || o->opened_ns < oldest->opened_ns)
			oldest = o;
	}
	if (n > SERVER_CONNS_PER_DISTRO && oldest) {
		bridge_log("connection %u (%s): replaced by a newer connection of the distro", oldest->id,
			   oldest->distro);
		oldest->closing = true;
	}
}

static void send_host(struct server *sv, struct conn *c)
{
	if (!sv->host_known || (c->host_sent && !hostmem_changed(&c->host_last, &sv->host)))
		return;
	queue_msg(c, proto_host_memory_new(&sv->host));
	c->host_last = sv->host;
	c->host_sent = true;
}

/* The transport learns that the peer on c is a real agent (on Windows:
 * which VM is WSL's).  Kept apart so agent authentication calls it once
 * the agent has proven its key, not on a bare hello. */
static void confirm_transport(struct conn *c)
{
	plat_confirm_peer(c->fd);
}

static void on_hello(struct server *sv, struct conn *c, json_t *msg)
{
	static const char *const caps[] = { "status", "events", "change-requests", "host-memory", NULL };
	char name[PROTO_DISTRO_MAX + 1], proof[PROTO_HEX_LEN(PROTO_MAC_BYTES) + 1];
	struct proto_hello h;
	struct distro *d;
	size_t authed = sv->nconns - sv->npending;
	char why[256];
	json_t *reply;
	int v;

	if (c->hello) {
		send_error(sv, c, PROTO_E_MALFORMED, "a second hello on one connection", NULL);
		return;
	}
	if (proto_hello_get(msg, true, &h, why, sizeof(why)) < 0) {
		send_error(sv, c, PROTO_E_MALFORMED, why, NULL);
		return;
	}
	v = proto_negotiate(h.version_min, h.version_max);
	if (v < 0) {
		snprintf(why, sizeof(why), "this bridge speaks protocol %d to %d, the agent %d to %d",
			 PROTO_VERSION_MIN, PROTO_VERSION_MAX, h.version_min, h.version_max);
		send_error(sv, c, PROTO_E_VERSION, why, NULL);
		bridge_log("connection %u (%s): %s; closing", c->id, h.distro, why);
		c->closing = true;
		return;
	}
	if (!authenticate(sv, c, &h, name, proof))
		return;
	if (authed >= SERVER_MAX_CONNS) {
		send_error(sv, c, PROTO_E_MALFORMED, "the bridge has no room for another connection", NULL);
		c->closing = true;
		return;
	}
	plat_mutex_lock(sv->st->lock);
	d = state_distro(sv->st, name, true);
	if (d) {
		d->connections++;
		d->connected_wall_ms = d->last_seen_wall_ms = wall_ms();
		snprintf(d->agent_version, sizeof(d->agent_version), "%s", h.agent_version);
		snprintf(d->role, sizeof(d->role), "%s", h.role);
		snprintf(d->vm_id, sizeof(d->vm_id), "%s", h.vm_id ? h.vm_id : "");
	}
	plat_mutex_unlock(sv->st->lock);
	if (!d) {
		send_error(sv, c, PROTO_E_MALFORMED, "the bridge tracks as many distros as it can", NULL);
		c->closing = true;
		return;
	}
	c->hello = true;
	sv->npending--;
	c->d = d;
	c->version = v;
	snprintf(c->distro, sizeof(c->distro), "%s", name);
	bridge_log("connection %u: %s (agent %s, %s) authenticated, speaks protocol %d", c->id, name,
		   h.agent_version, h.role, v);
	reply = proto_hello_new(v, PACKAGE_VERSION, NULL, NULL, NULL, caps);
	if (reply)
		json_object_set_new(reply, "proof", json_string(proof));
	queue_msg(c, reply);
	send_host(sv, c);
	limit_distro_conns(sv, d);
	/* Only an authenticated agent confirms that a candidate VM is WSL's. */
	confirm_transport(c);
}

static void change_paths(struct server *sv)
{
	if (!sv->docker_settings[0]) {
		if (sv->cfg->docker_settings)
			snprintf(sv->docker_settings, sizeof(sv->docker_settings), "%s", sv->cfg->docker_settings);
		else if (plat_docker_settings_path(sv->docker_settings, sizeof(sv->docker_settings)) < 0)
			sv->docker_settings[0] = '\0';
	}
	if (!sv->wslconfig[0]) {
		if (sv->cfg->wslconfig)
			snprintf(sv->wslconfig, sizeof(sv->wslconfig), "%s", sv->cfg->wslconfig);
		else if (plat_wslconfig_path(sv->wslconfig, sizeof(sv->wslconfig)) < 0)
			sv->wslconfig[0] = '\0';
	}
}

static bool ieq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
		char y = (char)(b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i]);

		if (x != y || !x)
			return x == y;
	}
	return true;
}

/* One WHAT of an --allow-changes list matches what. */
static bool what_matches(const char *w, size_t n, const char *what)
{
	if (n == strlen(what) && ieq_n(w, what, n))
		return true;
	/* "wslconfig" allows every key the applier takes. */
	return n == 9 && ieq_n(w, "wslconfig", 9) && ieq_n(what, "wslconfig.", 10);
}

bool server_change_allowed(const struct server_config *cfg, const char *distro, const char *what)
{
	size_t dn = strlen(distro);

	for (size_t i = 0; i < cfg->nallow; i++) {
		const char *a = cfg->allow[i], *eq = strchr(a, '='), *w;

		if (!eq || (size_t)(eq - a) != dn || !ieq_n(a, distro, dn))
			continue;
		for (w = eq + 1; *w;) {
			size_t n = strcspn(w, ",");

			if (what_matches(w, n, what))
				return true;
			w += n + (w[n] == ',');
		}
	}
	return false;
}

int server_allow_check(const char *arg, char *why, size_t why_len)
{
	const char *eq = strchr(arg, '=');
	char distro[PROTO_DISTRO_MAX + 1];

	if (!eq || eq == arg || (size_t)(eq - arg) > PROTO_DISTRO_MAX || !eq[1]) {
		snprintf(why, why_len, "--allow-changes %s: expected DISTRO=WHAT[,WHAT...]", arg);
		return -EINVAL;
	}
	snprintf(distro, sizeof(distro), "%.*s", (int)(eq - arg), arg);
	if (!proto_distro_name_valid(distro)) {
		snprintf(why, why_len, "--allow-changes %s: '%s' is not a WSL distro name", arg, distro);
		return -EINVAL;
	}
	for (const char *w = eq + 1; *w;) {
		size_t n = strcspn(w, ",");

		if (!(n == 11 && ieq_n(w, "integration", 11)) && !(n == 9 && ieq_n(w, "wslconfig", 9)) &&
		    !(n > 10 && ieq_n(w, "wslconfig.", 10) && memchr(w + 10, '.', n - 10))) {
			snprintf(why, why_len, "--allow-changes %s: '%.*s' is not integration, wslconfig or "
				 "wslconfig.SECTION.KEY", arg, (int)n, w);
			return -EINVAL;
		}
		w += n + (w[n] == ',');
	}
	return 0;
}

/* Refused before any file is read: not allowed for this distro, or too
 * many requests.  Fills r and returns true when so. */
static bool change_gate(struct server *sv, struct conn *c, const struct proto_change *ch,
			struct apply_result *r)
{
	char what[160];
	unsigned retry_s = 0;
	bool ok;

	if (ch->kind == PROTO_CHANGE_INTEGRATION)
		snprintf(what, sizeof(what), "integration");
	else
		snprintf(what, sizeof(what), "wslconfig.%s", ch->key);
	memset(r, 0, sizeof(*r));
	r->status = APPLY_REFUSED;
	if (!server_change_allowed(sv->cfg, c->distro, what)) {
		snprintf(r->message, sizeof(r->message),
			 "%s may not change %s: the Windows user allows it by starting the bridge with "
			 "--allow-changes %s=%s", c->distro, what, c->distro,
			 ch->kind == PROTO_CHANGE_INTEGRATION ? "integration" : what);
		return true;
	}
	plat_mutex_lock(sv->st->lock);
	ok = c->d && state_change_allowed(c->d, wall_ms(), &retry_s);
	plat_mutex_unlock(sv->st->lock);
	if (!ok) {
		snprintf(r->message, sizeof(r->message),
			 "%s asked for %d changes within a minute already: retry in %u s", c->distro,
			 STATE_CHANGE_BURST, retry_s);
		return true;
	}
	return false;
}

static void on_change(struct server *sv, struct conn *c, json_t *msg)
{
	struct proto_change ch;
	struct apply_result r;
	const char *result;
	char why[256];

	if (proto_change_get(msg, &ch, why, sizeof(why)) < 0) {
		send_error(sv, c, PROTO_E_MALFORMED, why, json_object_get(msg, "id"));
		return;
	}
	change_paths(sv);
	if (change_gate(sv, c, &ch, &r)) {
		/* r says why; nothing was read or written. */
	} else if (ch.kind == PROTO_CHANGE_INTEGRATION) {
		if (!sv->docker_settings[0]) {
			memset(&r, 0, sizeof(r));
			r.status = APPLY_REFUSED;
			snprintf(r.message, sizeof(r.message),
				 "the bridge knows no Docker Desktop settings file (start it with --docker-settings FILE)");
		} else {
			/* An agent changes its own distro's integration only. */
			apply_integration(sv->docker_settings, c->distro, ch.enable, sv->cfg->dry_run, &r);
		}
	} else if (!sv->wslconfig[0]) {
		memset(&r, 0, sizeof(r));
		r.status = APPLY_REFUSED;
		snprintf(r.message, sizeof(r.message),
			 "the bridge knows no .wslconfig (start it with --wslconfig FILE)");
	} else {
		apply_wslconfig(sv->wslconfig, ch.key, ch.value, sv->cfg->dry_run, &r);
	}
	if (r.dry_run && r.status != APPLY_REFUSED && r.status != APPLY_UNCHANGED) {
		char m[sizeof(r.message)];

		snprintf(m, sizeof(m), "the bridge runs with --dry-run: %s", r.message);
		snprintf(r.message, sizeof(r.message), "%s", m);
		r.status = APPLY_REFUSED;
	}
	result = r.status == APPLY_REFUSED ? PROTO_REFUSED
		 : r.status == APPLY_NEEDS_RESTART ? PROTO_NEEDS_RESTART : PROTO_APPLIED;
	bridge_log("change %lld from %s: %s: %s", (long long)ch.id, c->distro, result, r.message);
	plat_mutex_lock(sv->st->lock);
	if (r.status == APPLY_REFUSED)
		sv->st->changes_refused++;
	else
		sv->st->changes_applied++;
	plat_mutex_unlock(sv->st->lock);
	queue_msg(c, proto_change_result_new(ch.id, result,
					     r.status == APPLY_APPLIED || r.status == APPLY_NEEDS_RESTART,
					     r.message, r.restart[0] ? r.restart : NULL));
}

struct line_ctx {
	struct server *sv;
	struct conn *c;
};

static void on_line(void *userdata, const char *line, size_t len, int err)
{
	struct line_ctx *ctx = userdata;
	struct server *sv = ctx->sv;
	struct conn *c = ctx->c;
	struct proto_status st;
	struct proto_event ev;
	struct distro *d;
	json_t *msg = NULL;
	char why[256];
	int type, r = 0;

	if (c->closing || c->dead)
		return;
	if (err == -EMSGSIZE) {
		send_error(sv, c, PROTO_E_TOO_LONG, "a message is at most 65536 bytes; skipped to its end", NULL);
		return;
	}
	plat_mutex_lock(sv->st->lock);
	sv->st->messages++;
	plat_mutex_unlock(sv->st->lock);
	/* Statuses, nearly all the traffic, are read without a JSON tree. */
	type = proto_scan_status(line, len, &st, why, sizeof(why));
	if (type < 0) {
		send_error(sv, c, PROTO_E_MALFORMED, why, NULL);
		return;
	}
	if (type == 1) {
		type = PROTO_STATUS;
		if (!c->hello) {
			send_error(sv, c, PROTO_E_HELLO_FIRST, "send a hello first", NULL);
			return;
		}
		goto apply;
	}
	type = proto_parse(line, len, &msg, why, sizeof(why));
	if (type < 0) {
		send_error(sv, c, PROTO_E_MALFORMED, why, NULL);
		return;
	}
	if (type != PROTO_HELLO && !c->hello) {
		send_error(sv, c, PROTO_E_HELLO_FIRST, "send a hello first", json_object_get(msg, "type"));
		goto out;
	}
	switch (type) {
	case PROTO_HELLO:
		on_hello(sv, c, msg);
		goto out;
	case PROTO_STATUS:
		/* proto_scan_status took every status with an object report. */
		send_error(sv, c, PROTO_E_MALFORMED, "\"report\" is not an object", NULL);
		goto out;
	case PROTO_EVENT:
		if (proto_event_get(msg, &ev, why, sizeof(why)) < 0) {
			send_error(sv, c, PROTO_E_MALFORMED, why, NULL);
			goto out;
		}
		break;
	case PROTO_CHANGE:
		on_change(sv, c, msg);
		break;
	case PROTO_ERROR:
		bridge_log("connection %u (%s): the agent says: %.200s", c->id, c->distro,
			   json_string_value(json_object_get(msg, "message"))
				   ? json_string_value(json_object_get(msg, "message")) : "(no message)");
		break;
	default:
		/* Unknown types, and types only the bridge sends. */
		snprintf(why, sizeof(why), "this bridge does not take \"%.64s\" messages",
			 json_string_value(json_object_get(msg, "type")));
		send_error(sv, c, PROTO_E_UNKNOWN_TYPE, why, json_object_get(msg, "type"));
		goto out;
	}
apply:
	plat_mutex_lock(sv->st->lock);
	d = c->d;
	if (d) {
		d->last_seen_wall_ms = wall_ms();
		if (type == PROTO_STATUS)
			r = state_status(d, &st, d->last_seen_wall_ms);
		else if (type == PROTO_EVENT)
			state_event(d, &ev, d->last_seen_wall_ms);
	}
	plat_mutex_unlock(sv->st->lock);
	if (r == -EMSGSIZE) {
		snprintf(why, sizeof(why), "a report is at most %d bytes and %d levels deep; the previous one is kept",
			 STATE_REPORT_MAX, STATE_REPORT_DEPTH);
		send_error(sv, c, PROTO_E_TOO_LONG, why, NULL);
	}
out:
	json_decref(msg);
}

static void conn_close(struct server *sv, size_t i, const char *why)
{
	struct conn *c = sv->conns[i];

	if (c->hello) {
		struct distro *d;

		plat_mutex_lock(sv->st->lock);
		d = c->d;
		if (d && d->connections)
			d->connections--;
		plat_mutex_unlock(sv->st->lock);
		bridge_log("connection %u (%s): %s", c->id, c->distro, why);
	}
	if (!c->hello)
		sv->npending--;
	plat_close(c->fd);
	free(c->rd);
	free(c->out);
	free(c);
	sv->conns[i] = sv->conns[--sv->nconns];
	plat_mutex_lock(sv->st->lock);
	sv->st->open_connections = (unsigned)sv->nconns;
	plat_mutex_unlock(sv->st->lock);
}

/* The pending connection that has waited longest, to make room. */
static void evict_oldest_pending(struct server *sv)
{
	size_t oldest = SIZE_MAX;

	for (size_t i = 0; i < sv->nconns; i++)
		if (!sv->conns[i]->hello &&
		    (oldest == SIZE_MAX || sv->conns[i]->opened_ns < sv->conns[oldest]->opened_ns))
			oldest = i;
	if (oldest != SIZE_MAX)
		conn_close(sv, oldest, "unauthenticated, made room for a newer connection");
}

static void accept_all(struct server *sv, plat_sock l)
{
	for (int n = 0; n < 64; n++) {
		unsigned char nonce[PROTO_NONCE_BYTES];
		struct conn *c;
		plat_sock fd;

		if (plat_accept(l, &fd) < 0)
			return;
		if (sv->npending >= SERVER_MAX_PENDING)
			evict_oldest_pending(sv);
		c = sv->npending < SERVER_MAX_PENDING ? calloc(1, sizeof(*c)) : NULL;
		if (c)
			c->rd = calloc(1, sizeof(*c->rd));
		if (!c || !c->rd || plat_random(nonce, sizeof(nonce)) < 0) {
			static const char full[] =
				"{\"type\":\"error\",\"code\":\"malformed\",\"message\":\"the bridge has no room for another connection\"}\n";

			plat_send(fd, full, sizeof(full) - 1);
			plat_close(fd);
			if (c)
				free(c->rd);
			free(c);
			continue;
		}
		c->fd = fd;
		c->id = ++sv->next_id;
		c->opened_ns = c->last_rx_ns = plat_now_ns();
		proto_hex(nonce, sizeof(nonce), c->nonce);
		sv->conns[sv->nconns++] = c;
		sv->npending++;
		/* The bridge speaks first: the hello must answer this nonce. */
		queue_msg(c, proto_challenge_new(c->nonce));
		plat_mutex_lock(sv->st->lock);
		sv->st->connections++;
		sv->st->open_connections = (unsigned)sv->nconns;
		plat_mutex_unlock(sv->st->lock);
	}
}

/* Reads what is there, a bounded amount per round so one busy peer cannot
 * starve the others.  Returns false when the peer closed or failed. */
static bool conn_read(struct server *sv, struct conn *c)
{
	char buf[16384];
	struct line_ctx ctx = { sv, c };

	for (int round = 0; round < 8; round++) {
		long n = plat_recv(c->fd, buf, sizeof(buf));

		if (n == -EAGAIN)
			return true;
		if (n <= 0)
			return false;
		c->last_rx_ns = plat_now_ns();
		proto_reader_feed(c->rd, buf, (size_t)n, on_line, &ctx);
		if (c->dead)
			return false;
		/* Less than asked for: drained for now (poll says when there is
		 * more), which saves a recv that would only say EAGAIN. */
		if ((size_t)n < sizeof(buf))
			return true;
	}
	return true;
}

static bool conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		long n = plat_send(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n == -EAGAIN)
			return true;
		if (n < 0)
			return false;
		c->out_off += (size_t)n;
	}
	return true;
}

static void sample_host(struct server *sv)
{
	struct plat_host_memory m;
	char *text = NULL;
	size_t len;
	int r;

	if (sv->cfg->meminfo) {
		r = plat_read_file(sv->cfg->meminfo, 1 << 20, &text, &len);
		if (r == 0)
			r = hostmem_parse_meminfo(text, &m);
		free(text);
	} else {
		r = plat_host_memory(&m);
	}
	if (r < 0) {
		if (sv->host_known)
			bridge_log("host memory: cannot read it now (%s)", strerror(-r));
		sv->host_known = false;
		return;
	}
	hostmem_judge(&m, &sv->cfg->threshold, &sv->host);
	sv->host_known = true;
	plat_mutex_lock(sv->st->lock);
	if (sv->st->host_known && sv->st->host.low != sv->host.low)
		bridge_log("host memory: %s (%llu of %llu MiB available)",
			   sv->host.low ? "low" : "no longer low",
			   (unsigned long long)(sv->host.available_bytes >> 20),
			   (unsigned long long)(sv->host.total_bytes >> 20));
	sv->st->host_known = true;
	sv->st->host = sv->host;
	plat_mutex_unlock(sv->st->lock);
}

/* Reads the .wslconfig (where the bridge knows one) and keeps what to
 * advise in the state for /api/v1/distros; a change is logged once. */
static void sample_advice(struct server *sv)
{
	struct advice a[ADVICE_MAX];
	char *text = NULL;
	size_t len = 0;
	int n = 0, r;

	change_paths(sv);
	if (sv->wslconfig[0]) {
		r = plat_read_file(sv->wslconfig, 1 << 20, &text, &len);
		if (r == 0)
			n = advice_wslconfig(text, len, sv->cfg->wslconfig, a, ADVICE_MAX);
		else if (r == -ENOENT)  /* no file: WSL's defaults */
			n = advice_wslconfig(NULL, 0, sv->cfg->wslconfig, a, ADVICE_MAX);
		else
			n = r;
		free(text);
		if (n < 0 && n != sv->advice_err)
			bridge_log("advice: cannot read %s (%s): none given", sv->wslconfig,
				   n == -EINVAL ? "not as WSL reads it" : strerror(-n));
		sv->advice_err = n < 0 ? n : 0;
		if (n < 0)
			n = 0;
	}
	plat_mutex_lock(sv->st->lock);
	if (n == 0 && sv->st->nadvice)
		bridge_log("advice: %s is as advised now", sv->st->advice[0].key);
	for (int i = 0; i < n; i++)
		if (i >= (int)sv->st->nadvice || strcmp(sv->st->advice[i].current, a[i].current))
			bridge_log("advice: %s is %s%s; %s works better beside the agent: %s", a[i].key,
				   a[i].current, a[i].current_default ? " (WSL's default)" : "",
				   a[i].recommended, a[i].command);
	memcpy(sv->st->advice, a, (size_t)n * sizeof(a[0]));
	sv->st->nadvice = (size_t)n;
	plat_mutex_unlock(sv->st->lock);
}

static int open_listeners(struct server *sv)
{
	for (size_t i = 0; i < sv->cfg->nlisten; i++) {
		char why[512];
		plat_sock l;
		int r = plat_listen(sv->cfg->listen[i], &l, why, sizeof(why));

		if (r < 0) {
			/* One listener failing (AF_HYPERV under wine, a busy
			 * port) leaves the others serving. */
			bridge_log("cannot listen: %s", why);
			continue;
		}
		bridge_log("listening on %s", sv->cfg->listen[i]);
		sv->listen_names[sv->nlisteners] = sv->cfg->listen[i];
		sv->listeners[sv->nlisteners++] = l;
	}
	return sv->nlisteners ? 0 : -EADDRNOTAVAIL;
}

int server_run(struct bridge_state *st, const struct server_config *cfg)
{
	struct plat_pollfd fds[SERVER_MAX_LISTEN + SERVER_MAX_CONNS + SERVER_MAX_PENDING];
	struct server *sv = calloc(1, sizeof(*sv));
	uint64_t next_sample = 0, next_advice = 0;
	int r;

	if (!sv)
		return -ENOMEM;
	sv->st = st;
	sv->cfg = cfg;
	{
		char why[512];

		r = enroll_key_dir(cfg->state_dir, sv->key_dir, sizeof(sv->key_dir), why, sizeof(why));
		if (r < 0) {
			bridge_log("enrolment keys: %s", why);
			goto out;
		}
	}
	r = open_listeners(sv);
	if (r < 0) {
		bridge_log("no listener could be opened");
		goto out;
	}
	while (!plat_stop_requested()) {
		uint64_t now = plat_now_ns();
		size_t n = 0;
		int timeout;

		if (now >= next_sample) {
			sample_host(sv);
			for (size_t i = 0; i < sv->nconns; i++)
				if (sv->conns[i]->hello)
					send_host(sv, sv->conns[i]);
			next_sample = now + (uint64_t)cfg->host_interval_ms * 1000000ull;
		}
		if (now >= next_advice) {
			sample_advice(sv);
			next_advice = now + ADVICE_INTERVAL_MS * 1000000ull;
		}
		for (size_t i = 0; i < sv->nlisteners; i++)
			fds[n++] = (struct plat_pollfd){ .fd = sv->listeners[i], .events = PLAT_POLLIN };
		for (size_t i = 0; i < sv->nconns; i++) {
			struct conn *c = sv->conns[i];

			fds[n++] = (struct plat_pollfd){
				.fd = c->fd,
				.events = (short)(PLAT_POLLIN | (c->out_off < c->out_len ? PLAT_POLLOUT : 0)),
			};
		}
		timeout = (int)((next_sample - now) / 1000000ull) + 1;
		r = plat_poll(fds, n, timeout);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			bridge_log("poll: %s", strerror(-r));
			goto out;
		}
		/* On a timeout every revents is 0: the loop below still
		 * applies the hello and idle timeouts. */
		for (size_t i = 0; i < sv->nlisteners; i++)
			if (fds[i].revents & PLAT_POLLIN)
				accept_all(sv, sv->listeners[i]);
		/* Walk connections backwards: closing one moves the last into
		 * its slot, and fds still names the pre-accept set. */
		now = plat_now_ns();
		for (size_t k = n - sv->nlisteners; k-- > 0;) {
			struct plat_pollfd *p = &fds[sv->nlisteners + k];
			struct conn *c = sv->conns[k];
			const char *why = NULL;

			if (k >= sv->nconns || c->fd != p->fd)
				continue;
			if ((p->revents & (PLAT_POLLIN | PLAT_POLLHUP | PLAT_POLLERR)) && !conn_read(sv, c))
				why = c->dead ? "dropped" : "disconnected";
			if (!why && !conn_flush(c))
				why = "disconnected (send failed)";
			if (!why && c->closing && c->out_off == c->out_len)
				why = "closed by the bridge";
			if (!why && !c->hello && since(now, c->opened_ns) > (uint64_t)cfg->hello_timeout_ms * 1000000ull)
				why = "no hello in time";
			if (!why && since(now, c->last_rx_ns) > (uint64_t)cfg->idle_timeout_ms * 1000000ull)
				why = "silent for too long";
			if (why)
				conn_close(sv, k, why);
		}
	}
	r = 0;
out:
	while (sv->nconns)
		conn_close(sv, sv->nconns - 1, "bridge stopping");
	for (size_t i = 0; i < sv->nlisteners; i++) {
		plat_unlisten(sv->listen_names[i]);
		plat_close(sv->listeners[i]);
	}
	free(sv);
	return r;
}
