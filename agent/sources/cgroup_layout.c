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

const char *wsl_cgroup_layout_name(enum wsl_cgroup_layout l)
{
	static const char *const n[] = { "unknown", "flat", "distro", "distro-ns" };

	return l < _WSL_CGROUP_MAX ? n[l] : "unknown";
}

/* The first cgroup2 line of a mountinfo text: root and mount point. */
static bool mountinfo_cgroup2(const char *text, struct cgroup_placement *p)
{
	_cleanup_free_ char *copy = strdup(text);
	unsigned lineno = 0;
	char *line, *cursor = copy;

	if (!copy)
		return false;
	while ((line = next_line(&cursor, &lineno))) {
		char *f[5], *save = NULL, *sep = strstr(line, " - "), *type;
		size_t i;

		if (!sep)
			continue;
		*sep = '\0';
		type = strtok_r(sep + 3, " ", &save);
		if (!type || strcmp(type, "cgroup2"))
			continue;
		save = NULL;
		for (i = 0; i < 5 && (f[i] = strtok_r(i ? NULL : line, " ", &save)); i++)
			;
		if (i < 5)
			continue;
		unescape_octal(f[3]);
		unescape_octal(f[4]);
		snprintf(p->mount_root, sizeof(p->mount_root), "%s", f[3]);
		snprintf(p->mount_point, sizeof(p->mount_point), "%s", f[4]);
		return true;
	}
	return false;
}

/* "0::/wsl-user/distro-123/..." -> 123. */
static unsigned long long distro_pid_of(const char *path)
{
	const char *s = strstr(path, "/wsl-user/distro-");
	unsigned long long v = 0;
	const char *d;

	if (!s)
		return 0;
	d = s + strlen("/wsl-user/distro-");
	if (!isdigit((unsigned char)*d))
		return 0;
	for (; isdigit((unsigned char)*d) && v < 1000000000ull; d++)
		v = v * 10 + (unsigned long long)(*d - '0');
	return *d == '\0' || *d == '/' ? v : 0;
}

void cgroup_placement_parse(const char *self_cgroup, const char *mountinfo,
			    unsigned long long ns_ino, int root_is_child,
			    struct cgroup_placement *p)
{
	bool mounted;

	memset(p, 0, sizeof(*p));
	p->own_ns = ns_ino ? ns_ino != CGROUP_NS_INIT_INO : -1;
	p->by_id = -1;
	for (const char *l = self_cgroup; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);

		if (n > 3 && !strncmp(l, "0::", 3) && n - 3 < sizeof(p->self)) {
			memcpy(p->self, l + 3, n - 3);
			p->self[n - 3] = '\0';
		}
		l = nl ? nl + 1 : NULL;
	}
	mounted = mountinfo && mountinfo_cgroup2(mountinfo, p);
	p->distro_pid = distro_pid_of(p->self);
	p->root_is_kernel_root = mounted && root_is_child == 0 &&
				 !strcmp(p->mount_root, "/");
	if (!mounted && !p->self[0])
		p->layout = WSL_CGROUP_UNKNOWN;
	else if (p->own_ns == 1 || root_is_child == 1)
		p->layout = WSL_CGROUP_DISTRO_NS;
	else if (p->distro_pid)
		p->layout = WSL_CGROUP_DISTRO;
	else if (p->own_ns == 0 || root_is_child == 0)
		p->layout = WSL_CGROUP_FLAT;
	else
		p->layout = WSL_CGROUP_UNKNOWN;
	p->others_by_path = p->root_is_kernel_root && p->layout != WSL_CGROUP_DISTRO_NS;
}

/* open_by_handle_at of the mount's root cgroup: whether cgroups can be
 * reached by id from here (CAP_DAC_READ_SEARCH in the initial user
 * namespace; the same call reaches other distros' cgroups). */
static int probe_by_id(const char *mnt)
{
	struct { struct file_handle h; unsigned char b[64]; } fh = { .h.handle_bytes = 64 };
	int mfd, fd, mount_id;

	mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	if (name_to_handle_at(mfd, "", &fh.h, &mount_id, AT_EMPTY_PATH) < 0) {
		fd = -errno;
		close(mfd);
		return fd;
	}
	fd = open_by_handle_at(mfd, &fh.h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(mfd);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int cgroup_placement_read(const char *root, struct cgroup_placement *p)
{
	_cleanup_free_ char *self = NULL, *mi = NULL;
	unsigned long long ino = 0;
	char link[PATH_MAX], rel[PATH_MAX + 32];
	int is_child = -1, fd, r;
	ssize_t n;

	r = read_text_at(root, "/proc/self/cgroup", 65536, &self, NULL);
	if (r < 0 && r != -ENOENT)
		return r;
	r = read_text_at(root, "/proc/self/mountinfo", 1 << 20, &mi, NULL);
	if (r < 0 && r != -ENOENT)
		return r;
	if (root_path(root, "/proc/self/ns/cgroup", link, sizeof(link)) >= 0) {
		char target[64];

		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (sscanf(target, "cgroup:[%llu]", &ino) != 1)
				ino = 0;
		}
	}
	/* The mount point first: its cgroup.events says whether the root
	 * visible there is the kernel's (only non-root cgroups have one) or a
	 * namespace's. */
	cgroup_placement_parse(self, mi, ino, -1, p);
	if (p->mount_point[0]) {
		snprintf(rel, sizeof(rel), "%s/cgroup.events", p->mount_point);
		fd = root_open(root, rel, O_PATH);
		is_child = fd >= 0;
		if (fd >= 0)
			close(fd);
		else if (fd != -ENOENT)
			is_child = -1;
		cgroup_placement_parse(self, mi, ino, is_child, p);
		if (!root || !strcmp(root, "/")) {
			r = probe_by_id(p->mount_point);
			p->by_id = r == 0;
			p->by_id_err = r;
		}
	}
	return 0;
}

static const char *err_name(int err)
{
	const char *n = err ? strerrorname_np(-err) : NULL;

	return n ? n : "?";
}

void cgroup_placement_describe(const struct cgroup_placement *p, char *buf, size_t size)
{
	const char *where;
	char byid[64];

	if (p->by_id < 0)
		snprintf(byid, sizeof(byid), "not probed");
	else if (p->by_id)
		snprintf(byid, sizeof(byid), "yes");
	else
		snprintf(byid, sizeof(byid), "no (%s)", err_name(p->by_id_err));
	switch (p->layout) {
	case WSL_CGROUP_FLAT:
		where = "no per-distro cgroup";
		break;
	case WSL_CGROUP_DISTRO:
		where = "wsl-user/distro-N, one cgroup namespace";
		break;
	case WSL_CGROUP_DISTRO_NS:
		where = "own cgroup namespace";
		break;
	default:
		snprintf(buf, size, "unknown: no cgroup2 to tell by");
		return;
	}
	snprintf(buf, size, "%s: %s (at %s); other distros' cgroups: %s; by id: %s",
		 wsl_cgroup_layout_name(p->layout), where, p->self[0] ? p->self : "?",
		 p->others_by_path ? "by path" : p->by_id == 1 ? "by id only" : "out of reach", byid);
}
