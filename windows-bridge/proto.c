/* SPDX-License-Identifier: MIT */
/* Framing, validation and building of wsldock-protocol(7) messages. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

void proto_reader_feed(struct proto_reader *r, const char *data, size_t len,
		       proto_line_fn fn, void *userdata)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (r->skipping) {
			/* Drop the rest of an oversized line, up to its newline. */
			if (nl)
				r->skipping = false;
		} else if (r->len + take + (nl ? 1 : 0) > PROTO_MAX_MESSAGE) {
			r->len = 0;
			r->skipping = !nl;
			fn(userdata, NULL, 0, -EMSGSIZE);
		} else {
			memcpy(r->buf + r->len, data, take);
			r->len += take;
			if (nl) {
				size_t n = r->len;

				r->len = 0;
				/* A CR before the newline is tolerated: a Windows
				 * peer writing text mode should not be refused. */
				if (n > 0 && r->buf[n - 1] == '\r')
					n--;
				if (n > 0)
					fn(userdata, r->buf, n, 0);
			}
		}
		if (!nl)
			return;
		len -= take + 1;
		data = nl + 1;
	}
}

static const char *const type_names[] = {
	[PROTO_HELLO] = "hello",
	[PROTO_STATUS] = "status",
	[PROTO_EVENT] = "event",
	[PROTO_CHANGE] = "change",
	[PROTO_CHANGE_RESULT] = "change-result",
	[PROTO_HOST_MEMORY] = "host-memory",
	[PROTO_ERROR] = "error",
	[PROTO_UNKNOWN] = "unknown",
};

const char *proto_type_name(enum proto_type t)
{
	return (unsigned)t <= PROTO_UNKNOWN ? type_names[t] : "unknown";
}

int proto_parse(const char *line, size_t len, json_t **ret, char *why, size_t why_len)
{
	json_error_t err;
	json_t *msg, *type;

	*ret = NULL;
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (!msg) {
		snprintf(why, why_len, "not JSON at column %d: %s", err.column, err.text);
		return -EINVAL;
	}
	if (!json_is_object(msg)) {
		snprintf(why, why_len, "not a JSON object");
		json_decref(msg);
		return -EINVAL;
	}
	type = json_object_get(msg, "type");
	if (!json_is_string(type)) {
		snprintf(why, why_len, "no string \"type\"");
		json_decref(msg);
		return -EINVAL;
	}
	*ret = msg;
	for (int t = 0; t < PROTO_UNKNOWN; t++)
		if (!strcmp(json_string_value(type), type_names[t]))
			return t;
	return PROTO_UNKNOWN;
}

/* Field helpers: each returns 0, -ENOENT when absent (and optional), or
 * -EINVAL with why filled in. */
static int get_string(json_t *o, const char *key, bool required, size_t max,
		      const char **ret, char *why, size_t why_len)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return -ENOENT;
		snprintf(why, why_len, "\"%s\" is missing", key);
		return -EINVAL;
	}
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, why_len, "\"%s\" is not a string of at most %zu bytes", key, max);
		return -EINVAL;
	}
	*ret = json_string_value(v);
	return 0;
}

static int get_u64(json_t *o, const char *key, bool required, uint64_t *ret,
		   char *why, size_t why_len)
{
	json_t *v = json_object_get(o, key);

	*ret = 0;
	if (!v || json_is_null(v)) {
		if (!required)
			return -ENOENT;
		snprintf(why, why_len, "\"%s\" is missing", key);
		return -EINVAL;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(why, why_len, "\"%s\" is not a non-negative integer", key);
		return -EINVAL;
	}
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_version(json_t *o, const char *key, int *ret, char *why, size_t why_len)
{
	uint64_t v;
	int r = get_u64(o, key, true, &v, why, why_len);

	if (r < 0)
		return r;
	if (v < 1 || v > INT_MAX) {
		snprintf(why, why_len, "\"%s\" is out of range", key);
		return -EINVAL;
	}
	*ret = (int)v;
	return 0;
}

bool proto_distro_name_valid(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n <= PROTO_DISTRO_MAX;
}

int proto_hello_get(json_t *msg, bool agent, struct proto_hello *h, char *why, size_t why_len)
{
	int r;

	memset(h, 0, sizeof(*h));
	r = get_version(msg, "protocol_min", &h->version_min, why, why_len);
	if (r < 0)
		return r;
	r = get_version(msg, "protocol_max", &h->version_max, why, why_len);
	if (r < 0)
		return r;
	if (h->version_min > h->version_max) {
		snprintf(why, why_len, "\"protocol_min\" is above \"protocol_max\"");
		return -EINVAL;
	}
	r = get_string(msg, agent ? "agent_version" : "bridge_version", true, 64,
		       &h->agent_version, why, why_len);
	if (r < 0)
		return r;
	h->capabilities = json_object_get(msg, "capabilities");
	if (h->capabilities && !json_is_array(h->capabilities)) {
		snprintf(why, why_len, "\"capabilities\" is not an array");
		return -EINVAL;
	}
	if (!agent)
		return 0;
	r = get_string(msg, "distro", true, PROTO_DISTRO_MAX, &h->distro, why, why_len);
	if (r < 0)
		return r;
	if (!proto_distro_name_valid(h->distro)) {
		snprintf(why, why_len, "\"distro\" is not a WSL distro name (letters, digits, '.', '_', '-')");
		return -EINVAL;
	}
	r = get_string(msg, "vm_id", false, 64, &h->vm_id, why, why_len);
	if (r == -EINVAL)
		return r;
	r = get_string(msg, "role", true, 16, &h->role, why, why_len);
	if (r < 0)
		return r;
	if (strcmp(h->role, "leader") && strcmp(h->role, "follower")) {
		snprintf(why, why_len, "\"role\" is neither \"leader\" nor \"follower\"");
		return -EINVAL;
	}
	return 0;
}

int proto_negotiate(int peer_min, int peer_max)
{
	int hi = peer_max < PROTO_VERSION_MAX ? peer_max : PROTO_VERSION_MAX;
	int lo = peer_min > PROTO_VERSION_MIN ? peer_min : PROTO_VERSION_MIN;

	return hi >= lo ? hi : -1;
}

static const char *const event_names[] = {
	[PROTO_EV_RECLAIM] = "reclaim",
	[PROTO_EV_BUILD_STARTED] = "build-started",
	[PROTO_EV_BUILD_ENDED] = "build-ended",
	[PROTO_EV_CONFLICTS_CHANGED] = "conflicts-changed",
	[PROTO_EV_LEADER_CHANGED] = "leader-changed",
};

const char *proto_event_name(enum proto_event_kind k)
{
	return (unsigned)k <= PROTO_EV_LEADER_CHANGED ? event_names[k] : "unknown";
}

int proto_event_get(json_t *msg, struct proto_event *e, char *why, size_t why_len)
{
	const char *name;
	json_t *t;
	int r;

	memset(e, 0, sizeof(*e));
	r = get_string(msg, "event", true, 32, &name, why, why_len);
	if (r < 0)
		return r;
	for (r = -1, e->kind = 0; e->kind <= PROTO_EV_LEADER_CHANGED; e->kind++)
		if (!strcmp(name, event_names[e->kind])) {
			r = 0;
			break;
		}
	if (r < 0) {
		snprintf(why, why_len, "unknown event \"%.32s\"", name);
		return -EINVAL;
	}
	t = json_object_get(msg, "time");
	if (t && !json_is_number(t)) {
		snprintf(why, why_len, "\"time\" is not a number");
		return -EINVAL;
	}
	e->time = t ? json_number_value(t) : 0;
	switch (e->kind) {
	case PROTO_EV_RECLAIM:
		r = get_string(msg, "lever", true, 32, &e->lever, why, why_len);
		if (r < 0)
			return r;
		r = get_u64(msg, "bytes_returned", true, &e->bytes_returned, why, why_len);
		if (r < 0)
			return r;
		r = get_string(msg, "reason", false, 64, &e->reason, why, why_len);
		return r == -ENOENT ? 0 : r;
	case PROTO_EV_BUILD_STARTED:
	case PROTO_EV_BUILD_ENDED:
		r = get_string(msg, "episode", false, 64, &e->episode, why, why_len);
		return r == -ENOENT ? 0 : r;
	case PROTO_EV_CONFLICTS_CHANGED:
		return get_u64(msg, "conflicts", true, &e->conflicts, why, why_len);
	case PROTO_EV_LEADER_CHANGED:
		r = get_string(msg, "leader", true, PROTO_DISTRO_MAX, &e->leader, why, why_len);
		if (r < 0)
			return r;
		if (!proto_distro_name_valid(e->leader)) {
			snprintf(why, why_len, "\"leader\" is not a WSL distro name");
			return -EINVAL;
		}
		return 0;
	}
	return 0;
}

int proto_change_get(json_t *msg, struct proto_change *c, char *why, size_t why_len)
{
	json_t *id = json_object_get(msg, "id");
	const char *kind, *action;
	int r;

	memset(c, 0, sizeof(*c));
	if (!json_is_integer(id)) {
		snprintf(why, why_len, "\"id\" is not an integer");
		return -EINVAL;
	}
	c->id = json_integer_value(id);
	r = get_string(msg, "change", true, 32, &kind, why, why_len);
	if (r < 0)
		return r;
	if (!strcmp(kind, "integration")) {
		c->kind = PROTO_CHANGE_INTEGRATION;
		r = get_string(msg, "action", true, 16, &action, why, why_len);
		if (r < 0)
			return r;
		if (strcmp(action, "enable") && strcmp(action, "disable")) {
			snprintf(why, why_len, "\"action\" is neither \"enable\" nor \"disable\"");
			return -EINVAL;
		}
		c->enable = !strcmp(action, "enable");
		return 0;
	}
	if (!strcmp(kind, "wslconfig")) {
		c->kind = PROTO_CHANGE_WSLCONFIG;
		r = get_string(msg, "key", true, 128, &c->key, why, why_len);
		if (r < 0)
			return r;
		return get_string(msg, "value", true, 256, &c->value, why, why_len);
	}
	snprintf(why, why_len, "unknown change \"%.32s\"", kind);
	return -EINVAL;
}

int proto_host_memory_get(json_t *msg, struct proto_host_memory *m, char *why, size_t why_len)
{
	json_t *low = json_object_get(msg, "low");
	int r;

	memset(m, 0, sizeof(*m));
	r = get_u64(msg, "total_bytes", true, &m->total_bytes, why, why_len);
	if (r < 0)
		return r;
	r = get_u64(msg, "available_bytes", true, &m->available_bytes, why, why_len);
	if (r < 0)
		return r;
	if (get_u64(msg, "commit_bytes", false, &m->commit_bytes, why, why_len) == -EINVAL ||
	    get_u64(msg, "commit_limit_bytes", false, &m->commit_limit_bytes, why, why_len) == -EINVAL)
		return -EINVAL;
	if (!json_is_boolean(low)) {
		snprintf(why, why_len, "\"low\" is not a boolean");
		return -EINVAL;
	}
	m->low = json_is_true(low);
	return 0;
}

json_t *proto_hello_new(int version, const char *software_version, const char *distro,
			const char *vm_id, const char *role, const char *const *caps)
{
	json_t *m, *c;

	c = json_array();
	for (size_t i = 0; c && caps && caps[i]; i++)
		json_array_append_new(c, json_string(caps[i]));
	/* An agent offers the range it speaks; the bridge answers with the one
	 * version chosen, as both ends of its range. */
	m = json_pack("{s:s, s:i, s:i, s:s, s:o*}", "type", "hello",
		      "protocol_min", distro ? PROTO_VERSION_MIN : version,
		      "protocol_max", distro ? PROTO_VERSION_MAX : version,
		      distro ? "agent_version" : "bridge_version", software_version,
		      "capabilities", c);
	if (!m)
		return NULL;
	if (distro) {
		json_object_set_new(m, "distro", json_string(distro));
		json_object_set_new(m, "vm_id", vm_id ? json_string(vm_id) : json_null());
		json_object_set_new(m, "role", json_string(role ? role : "follower"));
	}
	return m;
}

json_t *proto_error_new(const char *code, const char *message, json_t *ref)
{
	return json_pack("{s:s, s:s, s:s, s:O*}", "type", "error", "code", code,
			 "message", message, "ref", ref);
}

json_t *proto_change_result_new(int64_t id, const char *result, bool changed,
				const char *message, const char *restart)
{
	return json_pack("{s:s, s:I, s:s, s:b, s:s, s:s?}", "type", "change-result",
			 "id", (json_int_t)id, "result", result, "changed", changed,
			 "message", message, "restart", restart);
}

json_t *proto_host_memory_new(const struct proto_host_memory *m)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:b}", "type", "host-memory",
			      "total_bytes", (json_int_t)m->total_bytes,
			      "available_bytes", (json_int_t)m->available_bytes, "low", m->low);

	if (o && m->commit_limit_bytes) {
		json_object_set_new(o, "commit_bytes", json_integer((json_int_t)m->commit_bytes));
		json_object_set_new(o, "commit_limit_bytes",
				    json_integer((json_int_t)m->commit_limit_bytes));
	}
	return o;
}

int proto_encode(const json_t *msg, char **ret, size_t *ret_len)
{
	char *s = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n;

	*ret = NULL;
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (n + 1 > PROTO_MAX_MESSAGE) {
		free(s);
		return -EMSGSIZE;
	}
	/* json_dumps allocated n + 1 bytes: the NUL becomes the newline. */
	s[n] = '\n';
	*ret = s;
	*ret_len = n + 1;
	return 0;
}
