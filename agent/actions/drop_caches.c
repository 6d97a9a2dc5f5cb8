/* SPDX-License-Identifier: MIT */
/* Lever d, the last resort: syncfs of the file systems involved, then
 * /proc/sys/vm/drop_caches = 1; optionally the user's hot files are read
 * back afterwards (hot_restore.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

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
	_cleanup_(hot_restore_free) struct hot_restore rs = { 0 };
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
	hot_restore_record(c, &rs);
	sync_involved(c);
	r = act_write(c, fd, "drop_caches", "1");
	c->r->steps++;
	if (r < 0) {
		act_fail(c, r, "%s/drop_caches", path);
		goto out;
	}
	hot_restore_read(c, &rs);
out:
	return 0;
}
