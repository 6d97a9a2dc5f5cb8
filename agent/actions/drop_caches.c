/* SPDX-License-Identifier: MIT */
/* Lever d, the last resort: syncfs of the file systems involved, then
 * /proc/sys/vm/drop_caches = 1; optionally the user's hot files are read
 * back afterwards (what of them was resident before), at idle I/O
 * priority, within a byte budget. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

/* include/uapi/linux/ioprio.h */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1

#define READ_CHUNK (1u << 20)

struct run {
	size_t hot;        /* index in q->hot */
	uint64_t off, len;
};

struct runs {
	struct run *v;
	size_t n, cap;
	size_t hot;
	uint64_t total, budget;
	bool oom;
};

static bool add_run(void *ud, uint64_t off, uint64_t len)
{
	struct runs *rs = ud;

	if (rs->total >= rs->budget)
		return false;
	if (len > rs->budget - rs->total)
		len = rs->budget - rs->total;
	if (grow_array((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)) < 0) {
		rs->oom = true;
		return false;
	}
	rs->v[rs->n++] = (struct run){ rs->hot, off, len };
	rs->total += len;
	return rs->total < rs->budget;
}

/* Before the drop: which pages of the hot files are resident (mincore). */
static void record_hot(struct act_ctx *c, struct runs *rs)
{
	for (size_t i = 0; i < c->q->nhot && rs->total < rs->budget && !rs->oom; i++) {
		struct stat st;
		_cleanup_close_ int fd = -1;

		/* A hot file gone or unreadable has nothing to read back. */
		if (act_open_file(c, &c->q->hot[i], &fd, &st) < 0)
			continue;
		rs->hot = i;
		act_file_resident_runs(c, fd, (uint64_t)st.st_size, add_run, rs);
	}
}

/* After the drop: read those ranges back, at idle I/O priority so the
 * user's own I/O goes first. */
static void restore_hot(struct act_ctx *c, const struct runs *rs)
{
	long old = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
	char *buf = malloc(READ_CHUNK);
	size_t i = 0;

	if (!buf)
		return;
	syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT);
	while (i < rs->n && !act_expired(c)) {
		size_t hot = rs->v[i].hot;
		struct stat st;
		int fd;

		if (act_open_file(c, &c->q->hot[hot], &fd, &st) < 0) {
			while (i < rs->n && rs->v[i].hot == hot)
				i++;
			continue;
		}
		/* No readahead beyond the ranges: the budget is what is read. */
		posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
		for (; i < rs->n && rs->v[i].hot == hot && !act_expired(c); i++) {
			for (uint64_t done = 0; done < rs->v[i].len;) {
				uint64_t want = rs->v[i].len - done;
				ssize_t n = pread(fd, buf, want < READ_CHUNK ? want : READ_CHUNK,
						  (off_t)(rs->v[i].off + done));

				if (n <= 0)
					break;
				done += (uint64_t)n;
				c->r->restored_bytes += (uint64_t)n;
			}
		}
		close(fd);
	}
	free(buf);
	if (old >= 0)
		syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (int)old);
}

static void syncfs_fd(struct act_ctx *c, int fd, const char *what, uint64_t *synced,
		      size_t *nsynced, uint64_t dev)
{
	for (size_t i = 0; i < *nsynced; i++)
		if (synced[i] == dev)
			return;
	if (syncfs(fd) < 0)
		act_fail(c, -errno, "%s (syncfs)", what);
	if (*nsynced < ACT_MAX_MOUNTS)
		synced[(*nsynced)++] = dev;
}

/* Dirty pages survive drop_caches: write back the file systems that hold
 * the episode's files and directories first; with none named, all. */
static void sync_involved(struct act_ctx *c)
{
	uint64_t synced[ACT_MAX_MOUNTS];
	size_t nsynced = 0;

	if (!act_may_write(c, "syncfs"))
		return;
	for (size_t i = 0; i < c->q->nfiles; i++) {
		int fd = act_mount_fd(c, c->q->files[i].dev);

		if (fd >= 0)
			syncfs_fd(c, fd, "file system of a listed file", synced, &nsynced,
				  c->q->files[i].dev);
	}
	for (size_t i = 0; i < c->q->ndirs; i++) {
		struct stat st;
		_cleanup_close_ int fd = act_open(c, c->q->dirs[i], O_RDONLY | O_DIRECTORY);

		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0)
			syncfs_fd(c, fd, c->q->dirs[i], synced, &nsynced, st.st_dev);
	}
	if (!c->q->nfiles && !c->q->ndirs)
		sync();
}

int lever_drop_caches(struct act_ctx *c)
{
	struct runs rs = { .budget = c->q->restore_budget_bytes };
	char path[4096];
	_cleanup_close_ int fd = -1;
	int r;

	c->r->bytes_targeted = c->r->before.page_cache;
	r = act_name(c, "/proc/sys/vm", path, sizeof(path));
	if (r < 0)
		return r;
	fd = act_open(c, "/proc/sys/vm", O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		act_fail(c, fd, "%s", path);
		return 0;
	}
	if (c->q->dry_run)
		goto out;
	if (c->q->restore_hot_set && rs.budget)
		record_hot(c, &rs);
	sync_involved(c);
	r = act_write(c, fd, "drop_caches", "1");
	c->r->steps++;
	if (r < 0) {
		act_fail(c, r, "%s/drop_caches", path);
		goto out;
	}
	if (rs.n)
		restore_hot(c, &rs);
out:
	free(rs.v);
	return 0;
}
