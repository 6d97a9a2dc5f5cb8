/* SPDX-License-Identifier: MIT */
#include "sources/cgroup_layout.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shared/util.h"

const char *cgroup_mode_name(enum cgroup_mode m)
{
	static const char *const n[] = { "none", "v1", "hybrid", "v2" };

	return n[m];
}

const char *memcg_mode_name(enum memcg_mode m)
{
	static const char *const n[] = { "none", "v1", "v2" };

	return n[m];
}

/* Mount points escape space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && isdigit((unsigned char)r[2]) &&
		    isdigit((unsigned char)r[3])) {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static bool has_option(const char *opts, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = opts; p && *p;) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static bool controllers_have_memory(const char *root, const char *mnt)
{
	char rel[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	char *tok, *save = NULL;

	if ((size_t)snprintf(rel, sizeof(rel), "%s/cgroup.controllers", mnt) >= sizeof(rel) ||
	    read_text_at(root, rel, 4096, &text, NULL) < 0)
		return false;
	for (tok = strtok_r(text, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
		if (!strcmp(tok, "memory"))
			return true;
	return false;
}

int cgroup_layout_parse(char *text, const char *path, const char *root,
			struct cgroup_layout *c, struct diag_list *d)
{
	unsigned lineno = 0;
	bool v1 = false;
	int bad = 0;
	char *line, *cursor = text;

	memset(c, 0, sizeof(*c));
	while ((line = next_line(&cursor, &lineno))) {
		char *dev, *mnt, *type, *opts, *save = NULL;

		if (!*skip_space(line))
			continue;
		dev = strtok_r(line, " \t", &save);
		mnt = strtok_r(NULL, " \t", &save);
		type = strtok_r(NULL, " \t", &save);
		opts = strtok_r(NULL, " \t", &save);
		if (!dev || !mnt || !type || !opts) {
			diag_add_at(d, path, lineno, "fewer than 4 fields (truncated line?)");
			bad++;
			continue;
		}
		unescape_octal(mnt);
		if (!strcmp(type, "cgroup2")) {
			if (!c->unified_path[0])
				snprintf(c->unified_path, sizeof(c->unified_path), "%s", mnt);
		} else if (!strcmp(type, "cgroup")) {
			v1 = true;
			if (has_option(opts, "memory") && !c->memcg_path[0]) {
				c->memcg = MEMCG_V1;
				snprintf(c->memcg_path, sizeof(c->memcg_path), "%s", mnt);
			}
		}
	}
	if (c->unified_path[0])
		c->mode = v1 ? CGROUP_HYBRID : CGROUP_V2;
	else
		c->mode = v1 ? CGROUP_V1 : CGROUP_NONE;
	if (c->memcg == MEMCG_NONE && c->unified_path[0] &&
	    controllers_have_memory(root, c->unified_path)) {
		c->memcg = MEMCG_V2;
		snprintf(c->memcg_path, sizeof(c->memcg_path), "%s", c->unified_path);
	}
	return bad;
}

static bool exists_under(const char *root, const char *abs)
{
	int fd = root_open(root, abs, O_PATH);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* A captured or mounted tree may lack a mounts table; the usual mount
 * points under /sys/fs/cgroup still tell the layout. */
static bool cgroup_layout_infer(const char *root, struct cgroup_layout *c)
{
	static const char *const unified[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	char rel[PATH_MAX];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ELEMENTSOF(unified) && !c->unified_path[0]; i++) {
		snprintf(rel, sizeof(rel), "%s/cgroup.controllers", unified[i]);
		if (exists_under(root, rel))
			snprintf(c->unified_path, sizeof(c->unified_path), "%s", unified[i]);
	}
	if (exists_under(root, "/sys/fs/cgroup/memory/memory.stat")) {
		c->memcg = MEMCG_V1;
		snprintf(c->memcg_path, sizeof(c->memcg_path), "/sys/fs/cgroup/memory");
	}
	if (c->unified_path[0])
		c->mode = c->memcg == MEMCG_V1 || strcmp(c->unified_path, "/sys/fs/cgroup") ? CGROUP_HYBRID : CGROUP_V2;
	else
		c->mode = c->memcg == MEMCG_V1 ? CGROUP_V1 : CGROUP_NONE;
	if (c->memcg == MEMCG_NONE && c->unified_path[0] && controllers_have_memory(root, c->unified_path)) {
		c->memcg = MEMCG_V2;
		snprintf(c->memcg_path, sizeof(c->memcg_path), "%s", c->unified_path);
	}
	return c->mode != CGROUP_NONE;
}

int cgroup_layout_read(const char *root, struct cgroup_layout *c, struct source_status *st,
		       struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	int r, bad;

	memset(c, 0, sizeof(*c));
	r = source_load(root, "/proc/self/mounts", SOURCE_OPTIONAL, st, &text, d);
	if (r == -ENOENT)
		r = source_load(root, "/proc/mounts", SOURCE_OPTIONAL, st, &text, d);
	if (r == -ENOENT) {
		if (cgroup_layout_infer(root, c)) {
			root_path(root, "/sys/fs/cgroup", st->path, sizeof(st->path));
			st->state = SOURCE_OK;
			st->reason[0] = '\0';
			return 0;
		}
		source_fail(st, SOURCE_ABSENT, "no mounts table (/proc/self/mounts, /proc/mounts) "
			    "and no cgroup file system under /sys/fs/cgroup");
		diag_add_at(d, st->path, 0, "missing, and no cgroup layout under /sys/fs/cgroup");
		return r;
	}
	if (r < 0)
		return r;
	bad = cgroup_layout_parse(text, st->path, root, c, d);
	if (bad > 0)
		source_fail(st, SOURCE_MALFORMED, "%d malformed line%s", bad, bad == 1 ? "" : "s");
	return 0;
}
