/* SPDX-License-Identifier: MIT */
/* Lever c: per-file eviction, posix_fadvise(POSIX_FADV_DONTNEED), on the
 * files the episode filled (by path or handle) and on the regular files
 * changed since the episode began under the directories it names.
 *
 * DONTNEED drops a file's every clean page, whoever read it: a build that
 * read part of a file others use (a shared library, a user's data) would
 * take their hot pages with it.  So with since_ns set only files the
 * episode created or wrote are evicted (ctime at or after since_ns, which
 * no user can set back), never a file that was there before and was only
 * read; those are left to the cgroup levers, which take only pages charged
 * to the build.  (Evicting only the ranges the build added would need the
 * page offsets per event, which the tracker does not record.) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

#define MAX_DEPTH 64

struct evict {
	struct act_ctx *c;
	struct action_file *seen;  /* the ledger's files, sorted: not twice */
	size_t nseen;
	uint64_t returned;         /* targets' resident drop so far */
	bool stop;
};

static int cmp_file(const void *a, const void *b)
{
	const struct action_file *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static bool enough(const struct evict *e)
{
	return e->c->q->bytes_wanted && e->returned >= e->c->q->bytes_wanted;
}

/* Measures one open regular file, and unless dry-run writes its dirty
 * pages back (DONTNEED skips dirty pages) and advises it away. */
static void evict_fd(struct evict *e, int fd, const struct stat *st, const char *name)
{
	struct act_ctx *c = e->c;
	uint64_t before, after, dirty;
	bool dirty_known;
	int r;

	r = act_file_resident(c, fd, (uint64_t)st->st_size, &before, &dirty, &dirty_known);
	if (r < 0) {
		act_unreachable(c, r, "%s", name);
		return;
	}
	if (!before)
		return;
	c->r->bytes_targeted += before;
	c->r->before.targets_cache += before;
	if (c->q->dry_run) {
		c->r->after.targets_cache += before;
		return;
	}
	if ((!dirty_known || dirty) && act_may_write(c, "sync_file_range") &&
	    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					  SYNC_FILE_RANGE_WAIT_AFTER) < 0)
		act_fail(c, -errno, "%s (sync_file_range)", name);
	if (act_may_write(c, "posix_fadvise")) {
		r = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (r)
			act_fail(c, -r, "%s (posix_fadvise)", name);
	}
	c->r->steps++;
	if (act_file_resident(c, fd, (uint64_t)st->st_size, &after, &dirty, &dirty_known) < 0)
		after = before;
	c->r->after.targets_cache += after;
	e->returned += before > after ? before - after : 0;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* Created or written since the episode began (see the top of the file). */
static bool episode_made(const struct act_ctx *c, const struct stat *st)
{
	return !c->q->since_ns || ts_ns(&st->st_ctim) >= c->q->since_ns;
}

static void evict_listed(struct evict *e)
{
	struct act_ctx *c = e->c;

	for (size_t i = 0; i < c->q->nfiles && !e->stop; i++) {
		const struct action_file *f = &c->q->files[i];
		char name[4096];
		struct stat st;
		int fd, r;

		if (act_expired(c) || enough(e)) {
			e->stop = true;
			break;
		}
		if (act_is_hot(c->q, f->dev, f->ino, f->gen)) {
			c->r->skipped_hot++;
			continue;
		}
		if (f->path)
			snprintf(name, sizeof(name), "%s", f->path);
		else
			snprintf(name, sizeof(name), "dev %u:%u ino %llu", major(f->dev),
				 minor(f->dev), (unsigned long long)f->ino);
		r = act_open_file(c, f, &fd, &st);
		if (r < 0) {
			act_unreachable(c, r, "%s", name);
			continue;
		}
		/* A path-only entry is checked against the hot list by what it
		 * names now. */
		if (!f->ino && act_is_hot(c->q, st.st_dev, st.st_ino, 0)) {
			c->r->skipped_hot++;
			close(fd);
			continue;
		}
		if (e->seen)
			e->seen[e->nseen++] = (struct action_file){ .dev = st.st_dev, .ino = st.st_ino };
		if (episode_made(c, &st))
			evict_fd(e, fd, &st, name);
		close(fd);
	}
}

static bool in_ledger(const struct evict *e, const struct stat *st)
{
	struct action_file key = { .dev = st->st_dev, .ino = st->st_ino };

	return e->nseen && bsearch(&key, e->seen, e->nseen, sizeof(key), cmp_file);
}

static void walk(struct evict *e, int dirfd, dev_t dev, const char *name, unsigned depth)
{
	struct act_ctx *c = e->c;
	unsigned limit = c->q->max_walk_files ? c->q->max_walk_files : ACTION_MAX_WALK_FILES;
	struct dirent *de;
	DIR *d;

	d = fdopendir(dirfd);
	if (!d) {
		act_unreachable(c, -errno, "%s", name);
		close(dirfd);
		return;
	}
	while (!e->stop && (de = readdir(d))) {
		struct stat st;
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (act_expired(c) || enough(e) || c->r->files_walked >= limit) {
			e->stop = true;
			break;
		}
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;  /* gone meanwhile, or another file system */
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 >= MAX_DEPTH)
				continue;
			fd = openat(dirfd, de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				walk(e, fd, dev, de->d_name, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		c->r->files_walked++;
		/* ctime, not mtime: tar and cp -p set mtime to the archive's,
		 * and anyone may set it back; creating or writing the file sets
		 * ctime now. */
		if (!episode_made(c, &st))
			continue;
		if (in_ledger(e, &st))
			continue;
		if (act_is_hot(c->q, st.st_dev, st.st_ino, 0)) {
			c->r->skipped_hot++;
			continue;
		}
		fd = openat(dirfd, de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			continue;
		evict_fd(e, fd, &st, de->d_name);
		close(fd);
	}
	closedir(d);
}

static void evict_dirs(struct evict *e)
{
	struct act_ctx *c = e->c;

	for (size_t i = 0; i < c->q->ndirs && !e->stop; i++) {
		struct stat st;
		int fd = act_open(c, c->q->dirs[i], O_RDONLY | O_DIRECTORY);

		if (fd < 0 || fstat(fd, &st) < 0) {
			act_unreachable(c, fd < 0 ? fd : -errno, "%s", c->q->dirs[i]);
			if (fd >= 0)
				close(fd);
			continue;
		}
		walk(e, fd, st.st_dev, c->q->dirs[i], 0);
	}
}

int lever_fadvise(struct act_ctx *c)
{
	struct evict e = { .c = c };

	/* The listed files as opened (their real dev, ino), so the walk does
	 * not count them twice. */
	if (c->q->nfiles && c->q->ndirs) {
		e.seen = calloc(c->q->nfiles, sizeof(*e.seen));
		if (!e.seen)
			return -ENOMEM;
	}
	evict_listed(&e);
	if (e.nseen)
		qsort(e.seen, e.nseen, sizeof(*e.seen), cmp_file);
	evict_dirs(&e);
	free(e.seen);
	if (act_expired(c))
		act_fail(c, -ETIME, "fadvise");
	return 0;
}
