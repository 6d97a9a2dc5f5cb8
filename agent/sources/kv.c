/* SPDX-License-Identifier: MIT */
#include "sources/kv.h"

#include <errno.h>
#include <string.h>

#include "shared/util.h"

static int kv_find(const struct kv_table *t, const char *key)
{
	for (unsigned i = 0; i < t->nkeys; i++)
		if (!strcmp(t->keys[i], key))
			return (int)i;
	return -1;
}

static int kv_parse_line(char *line, enum kv_flavor flavor, char **key, uint64_t *value,
			 const char **why)
{
	char *sep, *p;
	const char *end;
	int r;

	if (flavor == KV_MEMINFO) {
		sep = strchr(line, ':');
		if (!sep) {
			*why = "no ':' after the field name (truncated line?)";
			return -EINVAL;
		}
	} else {
		sep = strchr(line, ' ');
		if (!sep) {
			*why = "no value after the counter name (truncated line?)";
			return -EINVAL;
		}
	}
	*sep = '\0';
	*key = line;
	p = skip_space(sep + 1);
	r = parse_u64_prefix(p, value, &end);
	if (r == -ERANGE) {
		*why = "value does not fit in 64 bits";
		return r;
	}
	if (r < 0) {
		*why = "value is not an unsigned number";
		return r;
	}
	end = skip_space(end);
	if (flavor == KV_MEMINFO && !strcmp(end, "kB")) {
		if (*value > UINT64_MAX / 1024) {
			*why = "value in kB does not fit in 64 bits of bytes";
			return -ERANGE;
		}
		*value *= 1024;
	} else if (*end) {
		*why = "unexpected text after the value";
		return -EINVAL;
	}
	return 0;
}

int kv_parse(char *text, const char *path, enum kv_flavor flavor,
	     struct kv_table *t, struct diag_list *d)
{
	unsigned lineno = 0;
	int bad = 0;
	char *line, *cursor = text;

	t->present = 0;
	while ((line = next_line(&cursor, &lineno))) {
		const char *why = NULL;
		char *key;
		uint64_t v;
		int i;

		if (!*skip_space(line))
			continue;
		if (kv_parse_line(line, flavor, &key, &v, &why) < 0) {
			diag_add_at(d, path, lineno, "%s", why);
			bad++;
			continue;
		}
		i = kv_find(t, key);
		if (i < 0)
			continue;
		if (kv_has(t, (unsigned)i)) {
			diag_add_at(d, path, lineno, "'%s' appears twice; keeping the first", key);
			bad++;
			continue;
		}
		t->values[i] = v;
		t->present |= UINT64_C(1) << i;
	}
	return bad;
}
