/* SPDX-License-Identifier: MIT */
#include "config/conf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <jansson.h>

#include "shared/util.h"

void conf_default(struct agent_conf *c)
{
	memset(c, 0, sizeof(*c));
	policy_config_default(&c->reclaim);
	snprintf(c->main_path, sizeof(c->main_path), "%s", CONF_DEFAULT_PATH);
}

const char *conf_origin_string(const struct conf_origin *o, char *buf, size_t size)
{
	if (!o->file[0])
		snprintf(buf, size, "default");
	else if (!o->line)
		snprintf(buf, size, "%s", o->file);
	else
		snprintf(buf, size, "%s:%u", o->file, o->line);
	return buf;
}

/* inih hands each line to the handler without its number, so the text is
 * fed to it one line at a time through this reader, which counts them. */
struct text_reader {
	const char *p;
	unsigned line;
	unsigned long_line;  /* first line longer than inih's buffer, 0 = none */
};

static char *read_line(char *buf, int num, void *stream)
{
	struct text_reader *r = stream;
	size_t len, keep;
	const char *nl;

	if (!*r->p)
		return NULL;
	nl = strchr(r->p, '\n');
	len = nl ? (size_t)(nl - r->p) + 1 : strlen(r->p);
	r->line++;
	keep = len;
	if (keep > (size_t)num - 1) {
		/* inih would read the rest as a line of its own: keep what fits,
		 * drop the rest, and say so. */
		keep = (size_t)num - 2;
		if (!r->long_line)
			r->long_line = r->line;
	}
	memcpy(buf, r->p, keep);
	if (keep < len && keep && buf[keep - 1] != '\n')
		buf[keep++] = '\n';
	buf[keep] = '\0';
	r->p += len;
	return buf;
}

struct parse_ctx {
	struct agent_conf *c;
	const char *name;
	struct text_reader reader;
	struct diag_list *d;
	int errors;
};

static void parse_error(struct parse_ctx *x, const char *fmt, const char *a, const char *b)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a, b);
	diag_add_at(x->d, x->name, x->reader.line, "%s", msg);
	x->errors++;
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *x = user;
	char assignment[512], err[400];
	size_t i;

	if (strcmp(section, "reclaim")) {
		parse_error(x, "%s: unknown section [%s] (allowed: [reclaim])", key, section);
		return 1;
	}
	for (i = 0; i < policy_keys_n; i++)
		if (!strcmp(policy_keys[i].name, key))
			break;
	if (i == policy_keys_n) {
		parse_error(x, "%s: unknown key in [%s] (the keys are listed in wsldock-agent.conf(5))",
			    key, section);
		return 1;
	}
	snprintf(assignment, sizeof(assignment), "%s=%s", key, value);
	if (policy_config_set(&x->c->reclaim, assignment, err, sizeof(err)) < 0) {
		parse_error(x, "%s%s", err, "");
		return 1;
	}
	snprintf(x->c->reclaim_origin[i].file, sizeof(x->c->reclaim_origin[i].file), "%s", x->name);
	x->c->reclaim_origin[i].line = x->reader.line;
	return 1;
}

int conf_parse_text(const char *text, const char *name, struct agent_conf *c, struct diag_list *d)
{
	struct parse_ctx x = { .c = c, .name = name, .reader = { .p = text }, .d = d };
	int r;

	r = ini_parse_stream(read_line, &x.reader, on_value, &x);
	if (r < 0) {
		diag_add_at(d, name, 0, "cannot parse: %s", strerror(ENOMEM));
		return -EINVAL;
	}
	/* The handler never fails, so a positive result is the first line inih
	 * could not read as KEY = VALUE or [SECTION]. */
	if (r > 0) {
		diag_add_at(d, name, (unsigned)r, "syntax error: expected KEY = VALUE or [SECTION]");
		x.errors++;
	}
	if (x.reader.long_line) {
		diag_add_at(d, name, x.reader.long_line, "line longer than %d characters", INI_MAX_LINE - 2);
		x.errors++;
	}
	return x.errors ? -EINVAL : 0;
}

/* path under root (NULL: as given); messages name it by path alone. */
static int parse_file(const char *root, const char *path, struct agent_conf *c,
		      struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_text_at(root, path, 1u << 20, &text, NULL);
	if (r < 0) {
		diag_add_at(d, path, 0, "cannot read: %s", root_strerror(-r));
		return r;
	}
	return conf_parse_text(text, path, c, d);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dropin(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".conf");
}

/* PATH.d/NAME.conf in lexical order, as systemd reads its drop-ins. */
static int parse_dropins(const char *root, const char *dir, struct agent_conf *c,
			 struct diag_list *d)
{
	char file[PATH_MAX * 2];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dp;
	int r = 0;

	dp = root_opendir(root, dir);
	if (!dp) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		r = -errno;
		diag_add_at(d, dir, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	while ((de = readdir(dp))) {
		char **grown;

		if (!is_dropin(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				r = -ENOMEM;
				goto out;
			}
			names = grown;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", dir, names[i]);
		if (parse_file(root, file, c, d) < 0)
			r = -EINVAL;
		else
			c->dropins++;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	return r;
}

int conf_load(const char *root, const char *path, struct agent_conf *c, struct diag_list *d)
{
	struct agent_conf *next;
	_cleanup_free_ char *text = NULL;
	char dir[PATH_MAX + 2];
	bool explicit = path != NULL;
	int r = 0, k;

	next = malloc(sizeof(*next));
	if (!next)
		return -ENOMEM;
	conf_default(next);
	if (!path)
		path = CONF_DEFAULT_PATH;
	snprintf(next->main_path, sizeof(next->main_path), "%s", path);
	/* An explicit --config is taken as given; the default lives under root. */
	if (explicit)
		root = NULL;
	k = read_text_at(root, path, 1u << 20, &text, NULL);
	if (k == 0) {
		next->main_found = true;
		if (conf_parse_text(text, path, next, d) < 0)
			r = -EINVAL;
	} else if (explicit || k != -ENOENT) {
		diag_add_at(d, path, 0, "cannot read: %s", root_strerror(-k));
		r = -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%s.d", path);
	if (parse_dropins(root, dir, next, d) < 0)
		r = -EINVAL;
	if (r == 0)
		*c = *next;
	free(next);
	return r;
}

json_t *conf_json(const struct agent_conf *c)
{
	json_t *keys = json_object(), *o;
	char value[64], origin[PATH_MAX + 16];

	for (size_t i = 0; keys && i < policy_keys_n; i++) {
		policy_config_format(&c->reclaim, &policy_keys[i], value, sizeof(value));
		o = json_pack("{s:s, s:s}", "value", value, "origin",
			      conf_origin_string(&c->reclaim_origin[i], origin, sizeof(origin)));
		json_object_set_new(keys, policy_keys[i].name, o);
	}
	return json_pack("{s:i, s:s, s:b, s:i, s:{s:o}}", "schema_version", 1, "file", c->main_path,
			 "file_found", c->main_found, "dropins", (int)c->dropins, "sections",
			 "reclaim", keys);
}
