/* SPDX-License-Identifier: MIT */
/* Framing, validation and building of wsldock-protocol(7) messages. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
	[PROTO_CHALLENGE] = "challenge",
	[PROTO_UNKNOWN] = "unknown",
};

int proto_ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (*a >= 'A' && *a <= 'Z') ? *a + 32 : *a;
		int cb = (*b >= 'A' && *b <= 'Z') ? *b + 32 : *b;

		if (ca != cb || !ca)
			return ca - cb;
	}
}

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

static bool hex_valid(const char *s, size_t nbytes)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == PROTO_HEX_LEN(nbytes);
}

/* An optional field of exactly nbytes in lowercase hex: 0 (NULL when
 * absent) or -EINVAL. */
static int get_hex(json_t *o, const char *key, size_t nbytes, const char **ret,
		   char *why, size_t why_len)
{
	int r = get_string(o, key, false, PROTO_HEX_LEN(nbytes), ret, why, why_len);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!hex_valid(*ret, nbytes)) {
		snprintf(why, why_len, "\"%s\" is not %zu lowercase hex digits", key, PROTO_HEX_LEN(nbytes));
		return -EINVAL;
	}
	return 0;
}

void proto_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int proto_unhex(const char *in, unsigned char *out, size_t n)
{
	if (!hex_valid(in, n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)(hexdigit(in[2 * i]) << 4 | hexdigit(in[2 * i + 1]));
	return 0;
}

bool proto_equal_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

bool proto_vm_id_valid(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF-{}");

	return s[n] == '\0' && n <= PROTO_VM_ID_MAX;
}

json_t *proto_challenge_new(const char *nonce_hex)
{
	return json_pack("{s:s, s:i, s:i, s:s}", "type", "challenge", "protocol_min", PROTO_VERSION_MIN,
			 "protocol_max", PROTO_VERSION_MAX, "nonce", nonce_hex);
}

int proto_challenge_get(json_t *msg, const char **nonce_hex, char *why, size_t why_len)
{
	int r = get_hex(msg, "nonce", PROTO_NONCE_BYTES, nonce_hex, why, why_len);

	if (r == 0 && !*nonce_hex) {
		snprintf(why, why_len, "\"nonce\" is missing");
		return -EINVAL;
	}
	return r;
}

int proto_auth_input(bool agent, const char *bridge_nonce, const char *agent_nonce,
		     const char *distro, const char *vm_id, char *buf, size_t size)
{
	int n;

	if (!hex_valid(bridge_nonce, PROTO_NONCE_BYTES) || !hex_valid(agent_nonce, PROTO_NONCE_BYTES) ||
	    !proto_distro_name_valid(distro) || (vm_id && !proto_vm_id_valid(vm_id)))
		return -EINVAL;
	n = snprintf(buf, size, "wsldock-protocol-2 %s\n%s\n%s\n%s\n%s\n", agent ? "agent" : "bridge",
		     bridge_nonce, agent_nonce, distro, vm_id ? vm_id : "");
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return n;
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
	r = get_hex(msg, "proof", PROTO_MAC_BYTES, &h->proof, why, why_len);
	if (r < 0)
		return r;
	if (!agent)
		return 0;
	r = get_string(msg, "distro", true, PROTO_DISTRO_MAX, &h->distro, why, why_len);
	if (r < 0)
		return r;
	if (!proto_distro_name_valid(h->distro)) {
		snprintf(why, why_len, "\"distro\" is not a WSL distro name (letters, digits, '.', '_', '-')");
		return -EINVAL;
	}
	r = get_string(msg, "vm_id", false, PROTO_VM_ID_MAX, &h->vm_id, why, why_len);
	if (r == -EINVAL)
		return r;
	if (h->vm_id && !proto_vm_id_valid(h->vm_id)) {
		snprintf(why, why_len, "\"vm_id\" is not a VM id (hex digits, '-', '{', '}')");
		return -EINVAL;
	}
	r = get_hex(msg, "agent_nonce", PROTO_NONCE_BYTES, &h->agent_nonce, why, why_len);
	if (r < 0)
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
	[PROTO_EV_EPISODE_STARTED] = "episode-started",
	[PROTO_EV_EPISODE_ENDED] = "episode-ended",
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
	switch (e->kind) {
	case PROTO_EV_RECLAIM:
		r = get_string(msg, "lever", true, 32, &e->lever, why, why_len);
		if (r < 0)
			return r;
		r = get_u64(msg, "returned_bytes", true, &e->returned_bytes, why, why_len);
		if (r < 0)
			return r;
		r = get_u64(msg, "time_ms", false, &e->time_ms, why, why_len);
		if (r < 0 && r != -ENOENT)
			return r;
		r = get_u64(msg, "episode", false, &e->episode, why, why_len);
		if (r < 0 && r != -ENOENT)
			return r;
		r = get_string(msg, "reason", false, 64, &e->reason, why, why_len);
		return r == -ENOENT ? 0 : r;
	case PROTO_EV_EPISODE_STARTED:
	case PROTO_EV_EPISODE_ENDED:
		r = get_u64(msg, "episode", false, &e->episode, why, why_len);
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

/* ---- the status scanner ---- */

#define SCAN_DEPTH_MAX 64

struct scan {
	const char *p, *end;
	unsigned depth;
	const char *err;
	size_t err_at;
	const char *start;
	/* The path of keys from the top, as far as it matters here. */
	char path[4][32];
	struct proto_status *st;
	bool top_type_status, top_has_type, has_report;
	bool in_finding;
	int finding_counts;  /* -1 unknown, 0 no, 1 conflict/warning */
};

static bool scan_fail(struct scan *s, const char *what)
{
	if (!s->err) {
		s->err = what;
		s->err_at = (size_t)(s->p - s->start);
	}
	return false;
}

static void scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool scan_hex4(struct scan *s, unsigned *v)
{
	*v = 0;
	if (s->end - s->p < 4)
		return scan_fail(s, "a short \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = hexval(s->p[i]);

		if (h < 0)
			return scan_fail(s, "a bad \\u escape");
		*v = *v << 4 | (unsigned)h;
	}
	s->p += 4;
	return true;
}

/* A string; its unescaped text, when it is short and plain, goes to out
 * (so keys and the few values looked at can be compared). */
static bool scan_string(struct scan *s, char *out, size_t out_size)
{
	size_t o = 0;
	bool fits = out != NULL;

	s->p++;  /* the opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;

		if (c == '"') {
			s->p++;
			if (out)
				out[fits && o < out_size ? o : 0] = '\0';
			return true;
		}
		if (c < 0x20)
			return scan_fail(s, "a control character in a string");
		if (c == '\\') {
			unsigned v, lo;

			if (++s->p >= s->end)
				break;
			switch (*s->p++) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				fits = false;  /* not needed in what is compared */
				break;
			case 'u':
				if (!scan_hex4(s, &v))
					return false;
				if (v == 0)
					return scan_fail(s, "\\u0000 in a string");
				if (v >= 0xDC00 && v <= 0xDFFF)
					return scan_fail(s, "a lone low surrogate");
				if (v >= 0xD800 && v <= 0xDBFF) {
					if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
						return scan_fail(s, "a lone high surrogate");
					s->p += 2;
					if (!scan_hex4(s, &lo))
						return false;
					if (lo < 0xDC00 || lo > 0xDFFF)
						return scan_fail(s, "a bad surrogate pair");
				}
				fits = false;
				break;
			default:
				return scan_fail(s, "a bad escape");
			}
			continue;
		}
		if (c < 0x80) {
			if (fits && o + 1 < out_size)
				out[o++] = (char)c;
			else
				fits = false;
			s->p++;
			continue;
		}
		/* UTF-8: shortest form, no surrogates, at most U+10FFFF. */
		{
			unsigned n, cp;
			const unsigned char *u = (const unsigned char *)s->p;

			if (c >= 0xC2 && c <= 0xDF)
				n = 1, cp = c & 0x1F;
			else if (c >= 0xE0 && c <= 0xEF)
				n = 2, cp = c & 0x0F;
			else if (c >= 0xF0 && c <= 0xF4)
				n = 3, cp = c & 0x07;
			else
				return scan_fail(s, "invalid UTF-8");
			if ((size_t)(s->end - s->p) <= n)
				return scan_fail(s, "invalid UTF-8");
			for (unsigned i = 1; i <= n; i++) {
				if ((u[i] & 0xC0) != 0x80)
					return scan_fail(s, "invalid UTF-8");
				cp = cp << 6 | (u[i] & 0x3F);
			}
			if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
			    (cp >= 0xD800 && cp <= 0xDFFF))
				return scan_fail(s, "invalid UTF-8");
			s->p += n + 1;
			fits = false;
		}
	}
	return scan_fail(s, "an unterminated string");
}

/* A number; an integer that fits goes to *ival (ival_ok). */
static bool scan_number(struct scan *s, uint64_t *ival, bool *ival_ok)
{
	const char *b = s->p;
	bool neg = false, frac = false;
	uint64_t v = 0;
	bool over = false;

	if (*s->p == '-') {
		neg = true;
		s->p++;
	}
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return scan_fail(s, "a bad number");
	if (*s->p == '0') {
		s->p++;
	} else {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			if (v > (UINT64_MAX - 9) / 10)
				over = true;
			v = v * 10 + (uint64_t)(*s->p - '0');
			s->p++;
		}
	}
	if (s->p < s->end && *s->p == '.') {
		frac = true;
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return scan_fail(s, "a bad number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		frac = true;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return scan_fail(s, "a bad number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	/* jansson refuses integers beyond int64 and reals beyond double: the
	 * same here, so both readers take the same lines. */
	if (!frac && (over || v > (uint64_t)INT64_MAX + (neg ? 1 : 0)))
		return scan_fail(s, "an integer out of range");
	if (frac) {
		char small[64], *tmp = small;
		size_t n = (size_t)(s->p - b);
		double d;

		if (n >= sizeof(small) && !(tmp = malloc(n + 1)))
			return scan_fail(s, "out of memory");
		memcpy(tmp, b, n);
		tmp[n] = '\0';
		d = strtod(tmp, NULL);
		if (tmp != small)
			free(tmp);
		if (d == HUGE_VAL || d == -HUGE_VAL)
			return scan_fail(s, "a real out of range");
	}
	if (ival_ok)
		*ival_ok = !neg && !frac;
	if (ival)
		*ival = v;
	return true;
}

static bool path_is(const struct scan *s, unsigned depth, const char *a, const char *b, const char *c)
{
	return s->depth == depth && !strcmp(s->path[0], a) && (!b || !strcmp(s->path[1], b)) &&
	       (!c || !strcmp(s->path[2], c));
}

static bool scan_value(struct scan *s, const char *key);

static bool scan_object(struct scan *s)
{
	bool first = true;

	if (++s->depth > SCAN_DEPTH_MAX)
		return scan_fail(s, "nested too deep");
	if (s->depth > s->st->depth)
		s->st->depth = s->depth;
	s->p++;
	for (;;) {
		char key[32];

		scan_ws(s);
		if (s->p >= s->end)
			return scan_fail(s, "an unterminated object");
		if (*s->p == '}' && first) {
			s->p++;
			break;
		}
		if (*s->p != '"')
			return scan_fail(s, "a key that is not a string");
		if (!scan_string(s, key, sizeof(key)))
			return false;
		scan_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return scan_fail(s, "no ':' after a key");
		s->p++;
		scan_ws(s);
		if (s->depth <= 4)
			snprintf(s->path[s->depth - 1], sizeof(s->path[0]), "%s", key);
		if (!scan_value(s, key))
			return false;
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			first = false;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			break;
		}
		return scan_fail(s, "no ',' or '}' in an object");
	}
	if (s->depth <= 4)
		s->path[s->depth - 1][0] = '\0';
	s->depth--;
	return true;
}

static bool scan_array(struct scan *s)
{
	bool first = true;

	if (++s->depth > SCAN_DEPTH_MAX)
		return scan_fail(s, "nested too deep");
	if (s->depth > s->st->depth)
		s->st->depth = s->depth;
	s->p++;
	for (;;) {
		scan_ws(s);
		if (s->p >= s->end)
			return scan_fail(s, "an unterminated array");
		if (*s->p == ']' && first) {
			s->p++;
			break;
		}
		if (s->depth <= 4)
			snprintf(s->path[s->depth - 1], sizeof(s->path[0]), "[]");
		if (!scan_value(s, NULL))
			return false;
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			first = false;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			break;
		}
		return scan_fail(s, "no ',' or ']' in an array");
	}
	s->depth--;
	return true;
}

static bool literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return scan_fail(s, "an unknown literal");
	s->p += n;
	return true;
}

/* key: the key this value belongs to (NULL in arrays). */
static bool scan_value(struct scan *s, const char *key)
{
	struct proto_status *st = s->st;
	const char *at = s->p;
	uint64_t v;
	bool is_int, ok;

	if (s->p >= s->end)
		return scan_fail(s, "a missing value");
	switch (*s->p) {
	case '{': {
		/* A finding: report.conflicts.findings[] {...} */
		bool finding = path_is(s, 4, "report", "conflicts", "findings");
		int saved = s->finding_counts;

		if (finding)
			s->finding_counts = 0;
		ok = scan_object(s);
		if (finding) {
			st->conflicts += s->finding_counts == 1;
			s->finding_counts = saved;
		}
		if (ok && s->depth == 1 && key && !strcmp(key, "report")) {
			st->report = at;
			st->report_len = (size_t)(s->p - at);
			s->has_report = true;
		}
		return ok;
	}
	case '[':
		return scan_array(s);
	case '"': {
		char val[20];

		if (!scan_string(s, val, sizeof(val)))
			return false;
		if (s->depth == 1 && key && !strcmp(key, "type")) {
			s->top_has_type = true;
			s->top_type_status = !strcmp(val, "status");
		} else if (s->depth == 5 && key && !strcmp(key, "severity") &&
			   path_is(s, 5, "report", "conflicts", "findings")) {
			s->finding_counts = !strcmp(val, "conflict") || !strcmp(val, "warning");
		}
		return true;
	}
	case 't':
		ok = literal(s, "true");
		if (ok && path_is(s, 3, "report", "daemon", NULL) && key && !strcmp(key, "episode_active"))
			st->episode_active = true;
		return ok;
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		if (!scan_number(s, &v, &is_int))
			return false;
		if (is_int && key && path_is(s, 3, "report", "memory", NULL) && !strcmp(key, "page_cache_bytes")) {
			st->page_cache_known = true;
			st->page_cache_bytes = v;
		} else if (is_int && key && path_is(s, 3, "report", "daemon", NULL) &&
			   !strcmp(key, "episode_attributed_bytes")) {
			st->episode_attributed_known = true;
			st->episode_attributed_bytes = v;
		}
		return true;
	}
}

int proto_scan_status(const char *line, size_t len, struct proto_status *st, char *why, size_t why_len)
{
	struct scan s = { .p = line, .end = line + len, .start = line, .st = st };

	memset(st, 0, sizeof(*st));
	scan_ws(&s);
	if (s.p >= s.end || *s.p != '{') {
		/* Not an object: jansson says what it is. */
		snprintf(why, why_len, "not a JSON object");
		return 0;
	}
	if (!scan_value(&s, NULL))
		goto bad;
	scan_ws(&s);
	if (s.p != s.end) {
		scan_fail(&s, "text after the object");
		goto bad;
	}
	if (!s.top_type_status)
		return 0;
	if (!s.has_report) {
		snprintf(why, why_len, "\"report\" is not an object");
		return -EINVAL;
	}
	return 1;
bad:
	snprintf(why, why_len, "not JSON at byte %zu: %s", s.err_at, s.err);
	return -EINVAL;
}
