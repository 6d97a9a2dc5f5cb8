/* SPDX-License-Identifier: MIT */
/* Lever b: cgroup v1 memory.force_empty on a non-root memory cgroup.  A
 * removed container's pages stay charged to its offline cgroup and count
 * in the parent's hierarchy (docker/): emptying the parent reclaims them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

static bool is_root_path(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

/* force_empty reclaims anonymous memory too (it may swap): v1 honours a
 * per-cgroup swappiness, and 0 keeps cgroup reclaim on file pages. */
static int guard_set(struct act_ctx *c, int dirfd, const char *name, uint64_t *old)
{
	int r;

	if (!act_swap_configured(c)) {
		c->r->anon_guard = ANON_GUARD_NO_SWAP;
		return 0;
	}
	r = act_read_u64_at(dirfd, "memory.swappiness", old);
	if (r < 0) {
		act_fail(c, r, "%s/memory.swappiness", name);
		return r;
	}
	r = act_write(c, dirfd, "memory.swappiness", "0");
	if (r < 0) {
		act_fail(c, r, "%s/memory.swappiness", name);
		return r;
	}
	c->r->anon_guard = ANON_GUARD_V1_SWAPPINESS;
	return 1;
}

static void guard_restore(struct act_ctx *c, int dirfd, const char *name, uint64_t old)
{
	uint64_t deadline = c->deadline_ns;
	char value[32];
	int r;

	snprintf(value, sizeof(value), "%lu", (unsigned long)old);
	c->deadline_ns = 0;  /* restore even past the deadline */
	r = act_write(c, dirfd, "memory.swappiness", value);
	c->deadline_ns = deadline;
	if (r < 0)
		act_fail(c, r, "%s/memory.swappiness (restoring %s)", name, value);
}

static int open_v1(struct act_ctx *c, const struct action_cgroup *g, char *name, size_t size)
{
	if ((size_t)snprintf(name, size, "%s/%s", c->cg.memcg_path, g->v1_path) >= size)
		return -ENAMETOOLONG;
	if (!c->cg_known || c->cg.memcg != MEMCG_V1)
		return -ENOENT;
	return act_open(c, name, O_RDONLY | O_DIRECTORY);
}

int lever_force_empty(struct act_ctx *c)
{
	const struct action_request *q = c->q;

	for (size_t i = 0; i < q->ncgroups; i++) {
		const struct action_cgroup *g = &q->cgroups[i];
		char name[4096];
		uint64_t before = 0, after = 0, old = 0;
		_cleanup_close_ int fd = -1;
		int r, guarded;

		if (!g->v1_path)
			continue;
		if (act_expired(c)) {
			act_fail(c, -ETIME, "memory.force_empty");
			break;
		}
		if (is_root_path(g->v1_path)) {
			/* The kernel refuses it too (EINVAL); never try. */
			act_fail(c, -EINVAL, "%s/memory.force_empty: the root memory cgroup",
				 c->cg.memcg_path);
			continue;
		}
		fd = open_v1(c, g, name, sizeof(name));
		if (fd < 0) {
			act_unreachable(c, fd, "%s", name);
			continue;
		}
		r = act_read_key_at(fd, "memory.stat", "total_cache", &before);
		if (r < 0) {
			act_unreachable(c, r, "%s/memory.stat", name);
			continue;
		}
		c->r->bytes_targeted += before;
		c->r->before.targets_cache += before;
		if (!q->dry_run && before) {
			guarded = guard_set(c, fd, name, &old);
			if (guarded >= 0) {
				r = act_write(c, fd, "memory.force_empty", "0");
				c->r->steps++;
				if (r < 0)
					act_fail(c, r, "%s/memory.force_empty", name);
				if (guarded > 0)
					guard_restore(c, fd, name, old);
			}
		}
		/* Unreadable after the write: counted as nothing returned. */
		if (q->dry_run || act_read_key_at(fd, "memory.stat", "total_cache", &after) < 0)
			after = before;
		c->r->after.targets_cache += after;
	}
	return 0;
}
