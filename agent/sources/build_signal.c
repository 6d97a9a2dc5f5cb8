/* SPDX-License-Identifier: MIT */
#include "sources/build_signal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shared/util.h"
#include "sources/cgroup_layout.h"

/* ---- /proc/PID/cmdline ---- */

#define ARGS_MAX 64

/* Splits buf into at most ARGS_MAX arguments (pointers and lengths into
 * buf; nothing is copied or changed). */
static size_t split_args(const char *buf, size_t len, const char **arg, size_t *alen)
{
	size_t n = 0, i = 0;

	while (i < len && n < ARGS_MAX) {
		const char *nul = memchr(buf + i, '\0', len - i);
		size_t l = nul ? (size_t)(nul - (buf + i)) : len - i;

		arg[n] = buf + i;
		alen[n++] = l;
		i += l + 1;
	}
	return n;
}

static bool arg_is(const char *a, size_t l, const char *word)
{
	return l == strlen(word) && memcmp(a, word, l) == 0;
}

static bool basename_is(const char *a, size_t l, const char *word)
{
	const char *slash = l ? memrchr(a, '/', l) : NULL;

	if (slash) {
		l -= (size_t)(slash + 1 - a);
		a = slash + 1;
	}
	return arg_is(a, l, word);
}

/* Whether option a (a "-x" or "--xx" without '=') takes the next argument
 * as its value, from a NULL-ended list. */
static bool takes_value(const char *a, size_t l, const char *const *with_value)
{
	for (; *with_value; with_value++)
		if (arg_is(a, l, *with_value))
			return true;
	return false;
}

/* The index of the first argument from i on that is not an option (nor an
 * option's value), or n.  "--" ends the options. */
static size_t skip_options(const char **arg, const size_t *alen, size_t i, size_t n,
			   const char *const *with_value)
{
	while (i < n && alen[i] > 1 && arg[i][0] == '-') {
		if (arg_is(arg[i], alen[i], "--"))
			return i + 1;
		if (!memchr(arg[i], '=', alen[i]) && takes_value(arg[i], alen[i], with_value))
			i++;
		i++;
	}
	return i;
}

static const char *const DOCKER_VALUE_OPTS[] = {
	"-c", "--context", "-H", "--host", "-l", "--log-level", "--config",
	"--tlscacert", "--tlscert", "--tlskey", NULL,
};
static const char *const BUILDX_VALUE_OPTS[] = { "--builder", NULL };
static const char *const COMPOSE_VALUE_OPTS[] = {
	"-f", "--file", "-p", "--project-name", "--project-directory", "--profile",
	"--env-file", "--ansi", "--progress", "--parallel", "--workdir", NULL,
};

/* `compose [options] build`, from the argument after "compose". */
static bool compose_is_build(const char **arg, const size_t *alen, size_t i, size_t n)
{
	i = skip_options(arg, alen, i, n, COMPOSE_VALUE_OPTS);
	return i < n && arg_is(arg[i], alen[i], "build");
}

/* `buildx [--builder B] build|b|bake`, from the argument after "buildx". */
static bool buildx_is_build(const char **arg, const size_t *alen, size_t i, size_t n)
{
	i = skip_options(arg, alen, i, n, BUILDX_VALUE_OPTS);
	return i < n && (arg_is(arg[i], alen[i], "build") || arg_is(arg[i], alen[i], "b") ||
			 arg_is(arg[i], alen[i], "bake"));
}

/* The docker CLI's subcommand, from its first argument after argv[0]. */
static bool docker_is_build(const char **arg, const size_t *alen, size_t i, size_t n)
{
	i = skip_options(arg, alen, i, n, DOCKER_VALUE_OPTS);
	if (i >= n)
		return false;
	if (arg_is(arg[i], alen[i], "build"))
		return true;
	if (arg_is(arg[i], alen[i], "image") || arg_is(arg[i], alen[i], "builder"))
		return i + 1 < n && arg_is(arg[i + 1], alen[i + 1], "build");
	if (arg_is(arg[i], alen[i], "buildx"))
		return buildx_is_build(arg, alen, i + 1, n);
	if (arg_is(arg[i], alen[i], "compose"))
		return compose_is_build(arg, alen, i + 1, n);
	return false;
}

bool build_cmdline_is_build(const char *buf, size_t len)
{
	const char *arg[ARGS_MAX];
	size_t alen[ARGS_MAX];
	size_t n = split_args(buf, len, arg, alen);
	size_t first = 0;

	if (n == 0)
		return false;
	/* docker-compose v1 runs as `python3 /usr/bin/docker-compose ...`. */
	if (n > 1 && alen[0] >= 6 && basename_is(arg[1], alen[1], "docker-compose")) {
		const char *slash = memrchr(arg[0], '/', alen[0]);
		const char *b = slash ? slash + 1 : arg[0];

		if (strncmp(b, "python", 6) == 0)
			first = 1;
	}
	if (basename_is(arg[first], alen[first], "docker"))
		return docker_is_build(arg, alen, first + 1, n);
	/* The CLI runs a plugin as `docker-<name> <name> args...` (global
	 * options stay with the CLI). */
	if (basename_is(arg[first], alen[first], "docker-buildx"))
		return n > first + 1 && arg_is(arg[first + 1], alen[first + 1], "buildx") &&
		       buildx_is_build(arg, alen, first + 2, n);
	if (basename_is(arg[first], alen[first], "docker-compose")) {
		size_t i = first + 1;

		if (i < n && arg_is(arg[i], alen[i], "compose"))
			i++;
		return compose_is_build(arg, alen, i, n);
	}
	return false;
}

/* ---- the processes ---- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Reads up to BUILD_CMDLINE_MAX bytes of abs under root (NULs and all:
 * read_text_at refuses them).  Returns the length or negative errno. */
static ssize_t read_cmdline(const char *root, const char *abs, char *buf)
{
	ssize_t n, got = 0;
	int fd = root_open(root, abs, O_RDONLY);

	if (fd < 0)
		return fd;
	while (got < BUILD_CMDLINE_MAX) {
		n = read(fd, buf + got, BUILD_CMDLINE_MAX - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	return got;
}

static int count_cli_builds(const char *root, struct build_signal *out)
{
	struct source_status *st = &out->proc_st;
	char abs[64], buf[BUILD_CMDLINE_MAX];
	struct dirent *de;
	DIR *dir;

	root_path(root, "/proc", st->path, sizeof(st->path));
	dir = root_opendir(root, "/proc");
	if (!dir) {
		int r = -errno;

		source_fail(st, r == -ENOENT ? SOURCE_ABSENT : SOURCE_UNREADABLE, "cannot list %s: %s",
			    st->path, root_strerror(-r));
		return r;
	}
	while ((de = readdir(dir))) {
		ssize_t n;

		if (!all_digits(de->d_name) || strlen(de->d_name) > 10)
			continue;
		snprintf(abs, sizeof(abs), "/proc/%s/cmdline", de->d_name);
		/* A process that exited meanwhile, or a kernel thread (empty
		 * cmdline), is simply not a build. */
		n = read_cmdline(root, abs, buf);
		if (n > 0 && build_cmdline_is_build(buf, (size_t)n))
			out->cli_builds++;
	}
	closedir(dir);
	st->state = SOURCE_OK;
	st->reason[0] = '\0';
	return 0;
}

/* ---- the cgroups ---- */

static bool is_container_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

/* cgroup.events says "populated 1" (cgroup2); without it (v1), a
 * non-empty cgroup.procs.  Unreadable: not populated. */
static bool populated(const char *root, const char *abs)
{
	_cleanup_free_ char *text = NULL;
	char file[PATH_MAX];
	const char *p;

	if ((size_t)snprintf(file, sizeof(file), "%s/cgroup.events", abs) >= sizeof(file))
		return false;
	if (read_text_at(root, file, 4096, &text, NULL) == 0) {
		for (p = text; (p = strstr(p, "populated ")); p++)
			if ((p == text || p[-1] == '\n') && p[10] == '1')
				return true;
		return false;
	}
	snprintf(file, sizeof(file), "%s/cgroup.procs", abs);
	return read_text_at(root, file, 4096, &text, NULL) == 0 && text[0] != '\0';
}

struct walk {
	const char *root;
	unsigned dirs;
	struct build_signal *out;
};

enum dir_kind { DIR_OTHER, DIR_DOCKER, DIR_BUILDKIT };

static void walk_dir(struct walk *w, const char *abs, unsigned depth, enum dir_kind kind)
{
	char child[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	if (w->dirs >= BUILD_CGROUP_DIRS_MAX) {
		w->out->cgroup_walk_truncated = true;
		return;
	}
	w->dirs++;
	dir = root_opendir(w->root, abs);
	if (!dir)
		return; /* removed meanwhile: a step that ended */
	while ((de = readdir(dir))) {
		if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", abs, de->d_name) >= sizeof(child))
			continue;
		if (kind == DIR_BUILDKIT) {
			w->out->populated_step_cgroups += populated(w->root, child);
			continue;
		}
		if (kind == DIR_DOCKER && is_container_id(de->d_name)) {
			w->out->populated_container_cgroups += populated(w->root, child);
			continue;
		}
		if (strcmp(de->d_name, "buildkit") == 0)
			walk_dir(w, child, depth + 1, DIR_BUILDKIT);
		else if (strcmp(de->d_name, "docker") == 0)
			walk_dir(w, child, depth + 1, DIR_DOCKER);
		else if (depth < BUILD_CGROUP_DEPTH)
			walk_dir(w, child, depth + 1, DIR_OTHER);
	}
	closedir(dir);
}

static int count_step_cgroups(const char *root, struct build_signal *out)
{
	struct source_status *st = &out->cgroup_st;
	struct diag_list d = { 0 };
	struct cgroup_layout cg;
	struct walk w = { .root = root, .out = out };
	const char *top;
	int r;

	r = cgroup_layout_read(root, &cg, st, &d);
	diag_free(&d);
	if (r < 0)
		return r;
	top = cg.unified_path[0] ? cg.unified_path : cg.memcg_path;
	if (!top[0]) {
		source_fail(st, SOURCE_ABSENT, "no cgroup2 or v1 memory hierarchy mounted");
		return -ENOENT;
	}
	root_path(root, top, st->path, sizeof(st->path));
	walk_dir(&w, top, 0, DIR_OTHER);
	out->cgroups_seen = true;
	st->state = SOURCE_OK;
	st->reason[0] = '\0';
	return 0;
}

int build_signal_read(const char *root, struct build_signal *out)
{
	int rp, rc;

	memset(out, 0, sizeof(*out));
	rp = count_cli_builds(root, out);
	rc = count_step_cgroups(root, out);
	return rp < 0 && rc < 0 ? rp : 0;
}

bool build_signal_running(const struct build_signal *s, const struct build_signal *at_start)
{
	unsigned before = at_start ? at_start->populated_container_cgroups : 0;

	return s->cli_builds > 0 || s->populated_step_cgroups > 0 ||
	       s->populated_container_cgroups > before;
}
