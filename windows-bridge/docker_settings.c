/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "docker_settings.h"
#include "proto.h"
#include "sbuf.h"

#define PROTO_NAME_MAX (PROTO_DISTRO_MAX + 2)

/* The first key matching name case-insensitively, or NULL. */
static const char *find_key(json_t *root, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach(root, k, v)
		if (!proto_ascii_casecmp(k, name))
			return k;
	return NULL;
}

/* Which casing the file uses: its own keys decide (most start upper or
 * lower case); an empty file goes by its name. */
static bool file_is_pascal(json_t *root, const char *name_hint)
{
	int upper = 0, lower = 0;
	const char *k;
	json_t *v;

	json_object_foreach(root, k, v) {
		if (*k >= 'A' && *k <= 'Z')
			upper++;
		else if (*k >= 'a' && *k <= 'z')
			lower++;
	}
	if (upper != lower)
		return upper > lower;
	return name_hint && strstr(name_hint, "settings-store") != NULL;
}

/* ---- the text editor: only the list's bytes change ----
 * jansson validates the file and answers the questions (is the distro in the
 * list?); the new file is the old text with the list's value (or a new
 * member) spliced in, so every other byte stays: a number written 1.10 or
 * 1e2 stays so, which a parse and dump would not do (1.1000000000000001,
 * 100.0). */

static size_t skip_ws(const char *t, size_t i, size_t len)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

/* The end of the JSON value starting at i (jansson validated the text). */
static size_t skip_value(const char *t, size_t i, size_t len)
{
	unsigned depth = 0;

	if (i < len && t[i] != '"' && t[i] != '{' && t[i] != '[') {
		while (i < len && !strchr(",}] \t\r\n", t[i]))
			i++;
		return i;
	}
	for (; i < len; i++) {
		if (t[i] == '"') {
			for (i++; i < len && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
			if (!depth)
				return i + 1;
		} else if (t[i] == '{' || t[i] == '[') {
			depth++;
		} else if (t[i] == '}' || t[i] == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return len;
}

struct span {
	size_t start, end;
};

/* The top-level member named like name (without regard to case; a key
 * written with escapes never matches): its value's span; and where the
 * last member's value ends and the closing brace is. */
static bool find_member(const char *t, size_t len, const char *name, struct span *value,
			size_t *last_end, size_t *close)
{
	size_t i = skip_ws(t, 0, len);
	bool found = false;

	*last_end = 0;
	*close = 0;
	if (i >= len || t[i] != '{')
		return false;
	i = skip_ws(t, i + 1, len);
	while (i < len && t[i] == '"') {
		size_t ks = i + 1, ke = skip_value(t, i, len) - 1, vs, ve;

		i = skip_ws(t, ke + 1, len);
		if (i >= len || t[i] != ':')
			return false;
		vs = skip_ws(t, i + 1, len);
		ve = skip_value(t, vs, len);
		if (!found && ke - ks == strlen(name) && !memchr(t + ks, '\\', ke - ks)) {
			char key[64];

			snprintf(key, sizeof(key), "%.*s", (int)(ke - ks), t + ks);
			if (!proto_ascii_casecmp(key, name)) {
				value->start = vs;
				value->end = ve;
				found = true;
			}
		}
		*last_end = ve;
		i = skip_ws(t, ve, len);
		if (i < len && t[i] == ',')
			i = skip_ws(t, i + 1, len);
	}
	*close = i;
	return found;
}


/* The list's new text: its elements' own texts, distro added at the end or
 * every spelling of it left out, the original spacing kept. */
static void new_list(const char *t, const struct span *v, bool is_list, const char *distro,
		     bool enable, struct sbuf *b)
{
	struct span el[512];
	size_t n = 0, i, kept = 0;
	const char *sep = ", ";
	size_t sep_len = 2, pre = 0, post = 0;

	if (is_list) {
		i = skip_ws(t, v->start + 1, v->end);
		pre = i - (v->start + 1);
		while (i < v->end - 1 && t[i] != ']' && n < sizeof(el) / sizeof(el[0])) {
			el[n].start = i;
			el[n].end = skip_value(t, i, v->end);
			i = skip_ws(t, el[n].end, v->end);
			if (i < v->end && t[i] == ',') {
				if (n == 0) {
					sep = t + el[0].end;
					sep_len = skip_ws(t, i + 1, v->end) - el[0].end;
				}
				i = skip_ws(t, i + 1, v->end);
			}
			n++;
		}
		post = n ? (v->end - 1) - el[n - 1].end : 0;
		if (i < v->end - 1 && t[i] != ']') {
			b->failed = true;  /* more than 512 names: not a list Desktop wrote */
			return;
		}
	}
	sbuf_put(b, "[", 1);
	sbuf_put(b, t + v->start + 1, n ? pre : 0);
	for (i = 0; i < n; i++) {
		char name[PROTO_NAME_MAX];

		snprintf(name, sizeof(name), "%.*s", (int)(el[i].end - el[i].start - 2), t + el[i].start + 1);
		if (!enable && !proto_ascii_casecmp(name, distro))
			continue;
		if (kept++)
			sbuf_put(b, sep, sep_len);
		sbuf_put(b, t + el[i].start, el[i].end - el[i].start);
	}
	if (enable) {
		if (kept++)
			sbuf_put(b, sep, sep_len);
		sbuf_puts(b, "\"");
		sbuf_puts(b, distro);
		sbuf_puts(b, "\"");
	}
	if (kept && n)
		sbuf_put(b, t + el[n - 1].end, post);
	sbuf_put(b, "]", 1);
}

/* Indentation of the first member, so the rewrite looks like the original
 * (Desktop writes two spaces); 0 for a file on one line. */
static int detect_indent(const char *text, size_t len)
{
	const char *brace = memchr(text, '{', len);
	size_t i, n = 0;

	if (!brace)
		return 2;
	i = (size_t)(brace - text) + 1;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
		i++;
	if (i >= len || text[i] != '\n')
		return 0;
	for (i++; i < len && text[i] == ' '; i++)
		n++;
	return n >= 1 && n <= 31 ? (int)n : 2;
}

static void dump_value(json_t *v, char *buf, size_t size)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	snprintf(buf, size, "%s", s ? s : "(absent)");
	free(s);
}

static bool list_has(json_t *list, const char *distro)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (!proto_ascii_casecmp(json_string_value(v), distro))
			return true;
	return false;
}

int ds_edit_integration(const char *text, size_t len, const char *name_hint,
			const char *distro, bool enable, struct ds_edit *r)
{
	json_error_t err;
	json_t *root = NULL, *list, *v;
	const char *key, *engine;
	size_t i;
	int indent, ret = -EINVAL;
	bool list_changes = true;

	memset(r, 0, sizeof(*r));
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		r->bom_removed = true;
		text += 3;
		len -= 3;
	}
	for (i = 0; i < len && strchr(" \t\r\n", text[i]) && text[i]; i++)
		;
	if (i == len) {
		snprintf(r->why, sizeof(r->why),
			 "the file is empty (Docker Desktop cannot start with it either: restore a backup)");
		return -EINVAL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		snprintf(r->why, sizeof(r->why), "not valid JSON: line %d, column %d: %s",
			 err.line, err.column, err.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(r->why, sizeof(r->why), "the top level is not a JSON object");
		goto out;
	}
	key = find_key(root, "IntegratedWslDistros");
	list = key ? json_object_get(root, key) : NULL;
	if (list && !json_is_null(list)) {
		if (!json_is_array(list)) {
			snprintf(r->why, sizeof(r->why), "\"%s\" is not a list", key);
			goto out;
		}
		json_array_foreach(list, i, v)
			if (!json_is_string(v)) {
				snprintf(r->why, sizeof(r->why),
					 "\"%s\" holds something other than distro names", key);
				goto out;
			}
	}
	snprintf(r->key, sizeof(r->key), "%s",
		 key ? key : file_is_pascal(root, name_hint) ? "IntegratedWslDistros"
							     : "integratedWslDistros");
	dump_value(list, r->before, sizeof(r->before));

	engine = find_key(root, "WslEngineEnabled");
	if (engine && json_is_false(json_object_get(root, engine)))
		snprintf(r->note, sizeof(r->note),
			 "%s is false: Docker Desktop does not use WSL 2 until it is turned on", engine);
	else if (!enable) {
		const char *def = find_key(root, "EnableIntegrationWithDefaultWslDistro");

		if (def && json_is_true(json_object_get(root, def)))
			snprintf(r->note, sizeof(r->note),
				 "%s is true: if %s is the default WSL distro it stays integrated", def, distro);
	}

	if (enable ? (list && json_is_array(list) && list_has(list, distro))
		   : !(list && json_is_array(list) && list_has(list, distro))) {
		snprintf(r->after, sizeof(r->after), "%s", r->before);
		r->changed = r->bom_removed;
		if (!r->changed) {
			ret = 0;
			goto out;
		}
		list_changes = false;  /* only the BOM goes */
	} else if (enable) {
		if (!list || !json_is_array(list)) {
			list = json_array();
			/* Replacing a null keeps the key's place in the order. */
			if (!list || json_object_set_new(root, r->key, list) < 0) {
				ret = -ENOMEM;
				goto out;
			}
		}
		if (json_array_append_new(list, json_string(distro)) < 0) {
			ret = -ENOMEM;
			goto out;
		}
		r->changed = true;
	} else {
		for (i = json_array_size(list); i-- > 0;)
			if (!proto_ascii_casecmp(json_string_value(json_array_get(list, i)), distro))
				json_array_remove(list, i);
		r->changed = true;
	}
	dump_value(json_object_get(root, r->key), r->after, sizeof(r->after));

	{
		struct span sp;
		size_t last_end, close;
		struct sbuf b = { 0 };
		bool found = find_member(text, len, r->key, &sp, &last_end, &close);

		if (!list_changes) {
			sbuf_put(&b, text, len);
		} else if (key && !found) {
			snprintf(r->why, sizeof(r->why), "\"%s\" is written in a way this editor does not change", key);
			goto out;
		} else if (found) {
			/* Only the list's bytes change. */
			sbuf_put(&b, text, sp.start);
			new_list(text, &sp, text[sp.start] == '[', distro, enable, &b);
			sbuf_put(&b, text + sp.end, len - sp.end);
		} else {
			/* A new member after the last one, as the file indents. */
			char ind[40];

			indent = detect_indent(text, len);
			snprintf(ind, sizeof(ind), "%*s", indent, "");
			sp.start = sp.end = 0;
			sbuf_put(&b, text, last_end ? last_end : close);
			if (last_end)
				sbuf_puts(&b, ",");
			sbuf_puts(&b, indent ? "\n" : "");
			sbuf_puts(&b, ind);
			sbuf_puts(&b, "\"");
			sbuf_puts(&b, r->key);
			sbuf_puts(&b, indent ? "\": " : "\":");
			new_list(text, &sp, false, distro, true, &b);
			if (!last_end && indent)
				sbuf_puts(&b, "\n");
			sbuf_put(&b, text + (last_end ? last_end : close), len - (last_end ? last_end : close));
		}
		if (b.failed) {
			free(b.p);
			ret = -ENOMEM;
			goto out;
		}
		r->out = b.p;
		r->out_len = b.len;
	}
	ret = 0;
out:
	if (ret < 0 && ret != -EINVAL) {
		snprintf(r->why, sizeof(r->why), "out of memory");
	}
	if (ret < 0) {
		free(r->out);
		r->out = NULL;
		r->changed = false;
	}
	json_decref(root);
	return ret;
}

void ds_edit_free(struct ds_edit *r)
{
	free(r->out);
	r->out = NULL;
}
