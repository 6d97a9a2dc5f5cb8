/* SPDX-License-Identifier: MIT */
#include "daemon/control_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>


static const char *const verb_names[_CONTROL_VERB_MAX] = {
	[CONTROL_STATUS] = "status",
	[CONTROL_HISTORY] = "history",
	[CONTROL_RECLAIM_NOW] = "reclaim-now",
	[CONTROL_RELOAD] = "reload",
	[CONTROL_CHANGE] = "change",
};

#define VERBS "status, history, reclaim-now, reload, change"

const char *control_verb_name(enum control_verb v)
{
	return v < _CONTROL_VERB_MAX ? verb_names[v] : "?";
}

static int fail(char *err, size_t errlen, const char *fmt, const char *a)
{
	snprintf(err, errlen, fmt, a);
	return -EINVAL;
}

/* The fields each request accepts besides "request". */
static bool field_allowed(enum control_verb v, const char *key)
{
	switch (v) {
	case CONTROL_HISTORY:
		return !strcmp(key, "limit");
	case CONTROL_RECLAIM_NOW:
		return !strcmp(key, "dry_run") || !strcmp(key, "lever");
	case CONTROL_CHANGE:
		/* checked together by parse_change: which apply depends on "change" */
		return !strcmp(key, "change") || !strcmp(key, "action") || !strcmp(key, "key") ||
		       !strcmp(key, "value");
	default:
		return false;
	}
}

static int parse_fields(json_t *o, struct control_request *req, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (!strcmp(key, "request"))
			continue;
		if (!field_allowed(req->verb, key))
			return fail(err, errlen, "unknown field '%.64s' for this request (see "
				    "wsldock-agent(8), CONTROL SOCKET)", key);
		if (!strcmp(key, "limit")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > CONTROL_HISTORY_MAX)
				return fail(err, errlen, "limit: %s", "an integer from 1 to 64");
			req->limit = (unsigned)json_integer_value(v);
		} else if (!strcmp(key, "dry_run")) {
			if (!json_is_boolean(v))
				return fail(err, errlen, "dry_run: %s", "true or false");
			req->dry_run = json_is_true(v);
		} else if (!strcmp(key, "lever")) {
			/* jansson refuses \u0000 unless asked: the name is a C string. */
			if (!json_is_string(v) || !json_string_length(v) ||
			    json_string_length(v) >= sizeof(req->lever))
				return fail(err, errlen, "lever: %s", "a lever's name, e.g. fadvise");
			snprintf(req->lever, sizeof(req->lever), "%s", json_string_value(v));
		}
	}
	return 0;
}

/* The change fields of wsldock-protocol(7): "integration" with "action",
 * or "wslconfig" with "key" (SECTION.KEY) and "value".  The bridge checks
 * its allowlist; this checks the shape, so a bad request never reaches it. */
static int parse_change(json_t *o, struct control_request *req, char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(o, "change"));
	json_t *action = json_object_get(o, "action"), *key = json_object_get(o, "key"),
	       *value = json_object_get(o, "value");
	const char *k, *dot;

	if (!kind)
		return fail(err, errlen, "change: %s", "\"integration\" or \"wslconfig\"");
	if (!strcmp(kind, "integration")) {
		const char *a = json_string_value(action);

		if (key || value)
			return fail(err, errlen, "%s", "change integration takes \"action\", not key or value");
		if (!a || (strcmp(a, "enable") && strcmp(a, "disable")))
			return fail(err, errlen, "action: %s", "\"enable\" or \"disable\"");
		req->change = CONTROL_CHANGE_INTEGRATION;
		req->enable = !strcmp(a, "enable");
		return 0;
	}
	if (strcmp(kind, "wslconfig"))
		return fail(err, errlen, "change: unknown change '%.32s' (integration, wslconfig)", kind);
	if (action)
		return fail(err, errlen, "%s", "change wslconfig takes \"key\" and \"value\", not action");
	/* jansson refuses \u0000 unless asked: strings are C strings. */
	k = json_string_value(key);
	dot = k ? strchr(k, '.') : NULL;
	if (!k || json_string_length(key) > CONTROL_CHANGE_KEY_MAX || !dot || dot == k ||
	    k[strlen(k) - 1] == '.')
		return fail(err, errlen, "key: %s", "SECTION.KEY of at most 128 bytes, e.g. "
			    "experimental.autoMemoryReclaim");
	if (!json_is_string(value) || json_string_length(value) > CONTROL_CHANGE_VALUE_MAX)
		return fail(err, errlen, "value: %s", "a string of at most 256 bytes");
	req->change = CONTROL_CHANGE_WSLCONFIG;
	snprintf(req->key, sizeof(req->key), "%s", k);
	snprintf(req->value, sizeof(req->value), "%s", json_string_value(value));
	return 0;
}

int control_parse_request(const char *line, size_t len, struct control_request *req, char *err,
			  size_t errlen)
{
	json_error_t je;
	json_t *o, *r;
	const char *name;
	int ret = -EINVAL;

	*req = (struct control_request){ .limit = CONTROL_HISTORY_MAX };
	if (len >= CONTROL_REQUEST_MAX)
		return fail(err, errlen, "request longer than %s bytes", "4095");
	if (memchr(line, '\0', len))
		return fail(err, errlen, "%s", "NUL byte in the request");
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return fail(err, errlen, "not JSON: %.200s", je.text);
	if (!json_is_object(o)) {
		fail(err, errlen, "%s", "a request is a JSON object, e.g. {\"request\":\"status\"}");
		goto out;
	}
	r = json_object_get(o, "request");
	name = json_string_value(r);
	if (!name) {
		fail(err, errlen, "%s", "no \"request\" string (" VERBS ")");
		goto out;
	}
	for (req->verb = 0; req->verb < _CONTROL_VERB_MAX; req->verb++)
		if (!strcmp(verb_names[req->verb], name))
			break;
	if (req->verb == _CONTROL_VERB_MAX) {
		fail(err, errlen, "unknown request '%.64s' (" VERBS ")", name);
		goto out;
	}
	ret = parse_fields(o, req, err, errlen);
	if (ret == 0 && req->verb == CONTROL_CHANGE)
		ret = parse_change(o, req, err, errlen);
out:
	json_decref(o);
	return ret;
}

bool control_allowed(enum control_verb v, const struct control_peer *p, char *err, size_t errlen)
{
	/* change alters the host's settings through the bridge: an action. */
	bool action = v == CONTROL_RECLAIM_NOW || v == CONTROL_RELOAD || v == CONTROL_CHANGE;

	if (p->uid == 0)
		return true;
	if (action) {
		snprintf(err, errlen, "%s is for root only (uid %u asked)", control_verb_name(v),
			 (unsigned)p->uid);
		return false;
	}
	if (p->in_group)
		return true;
	snprintf(err, errlen, "%s is for root and the control group's members (uid %u is not one)",
		 control_verb_name(v), (unsigned)p->uid);
	return false;
}

json_t *control_error(const char *request, const char *code, const char *msg)
{
	return json_pack("{s:b, s:s*, s:s, s:s}", "ok", 0, "request", request, "error", msg, "code",
			 code);
}
