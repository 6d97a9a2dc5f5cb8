/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "docker_settings.h"

static int ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (*a >= 'A' && *a <= 'Z') ? *a + 32 : *a;
		int cb = (*b >= 'A' && *b <= 'Z') ? *b + 32 : *b;

		if (ca != cb || !ca)
			return ca - cb;
	}
}

/* The first key matching name case-insensitively, or NULL. */
static const char *find_key(json_t *root, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach(root, k, v)
		if (!ascii_casecmp(k, name))
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
		if (!ascii_casecmp(json_string_value(v), distro))
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
			if (!ascii_casecmp(json_string_value(json_array_get(list, i)), distro))
				json_array_remove(list, i);
		r->changed = true;
	}
	dump_value(json_object_get(root, r->key), r->after, sizeof(r->after));

	indent = detect_indent(text, len);
	r->out = json_dumps(root, JSON_PRESERVE_ORDER |
			    (indent ? JSON_INDENT(indent) : JSON_COMPACT));
	if (!r->out) {
		ret = -ENOMEM;
		goto out;
	}
	r->out_len = strlen(r->out);
	/* json_dumps leaves the last newline out; files end with one. */
	{
		char *grown = realloc(r->out, r->out_len + 2);

		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		r->out = grown;
		r->out[r->out_len++] = '\n';
		r->out[r->out_len] = '\0';
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
