/* SPDX-License-Identifier: MIT */
/* Lever a: cgroup v2 memory.reclaim on the cgroups that hold the episode's
 * pages, in bounded steps, kept off anonymous memory. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

#define DEFAULT_STEP (64ull << 20)

/* The cgroup's directory: by path under the cgroup2 mount, else by id. */
static int open_v2(struct act_ctx *c, const struct action_cgroup *g, char *name, size_t size)
{
	char path[4096];
	int fd = -ENOENT, mfd, r;

	if (!c->cg_known || !c->cg.unified_path[0])
		return -ENOENT;
	r = act_path(c, c->cg.unified_path, path, sizeof(path));
	if (r < 0)
		return r;
	if (g->v2_path) {
		size_t n = strlen(path);

		snprintf(name, size, "%s/%s", c->cg.unified_path, g->v2_path);
		snprintf(path + n, sizeof(path) - n, "/%s", g->v2_path);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		fd = -errno;
		r = act_path(c, c->cg.unified_path, path, sizeof(path));
		if (r < 0)
			return r;
	}
	if (!g->cgid)
		return fd;
	snprintf(name, size, "cgroup id %" PRIu64, g->cgid);
	mfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	fd = act_open_cgroup_by_id(mfd, g->cgid);
	close(mfd);
	return fd;
}

static bool cgroup_frozen(int dirfd)
{
	uint64_t v;

	return act_read_key_at(dirfd, "cgroup.events", "frozen", &v) == 0 && v == 1;
}

/* The kernel's memory.reclaim accepts "swappiness=0" from 6.7 on and
 * answers EINVAL before.  Then the cgroup's swap is closed for the call:
 * memory.swap.max=0 (its old value restored after), or nothing when the
 * system has no swap at all. */
struct guard {
	enum anon_guard kind;
	char old_swap_max[64];
};

static int guard_fallback(struct act_ctx *c, int dirfd, const char *name, struct guard *g)
{
	_cleanup_free_ char *old = NULL;
	int r;

	if (!act_swap_configured(c)) {
		g->kind = ANON_GUARD_NO_SWAP;
		return 0;
	}
	r = act_read_at(dirfd, "memory.swap.max", &old);
	if (r < 0) {
		/* No per-cgroup swap limit (the root cgroup, or no swap
		 * accounting): nothing keeps reclaim off anon here. */
		act_fail(c, r == -ENOENT ? -EOPNOTSUPP : r, "%s/memory.swap.max", name);
		return r == -ENOENT ? -EOPNOTSUPP : r;
	}
	snprintf(g->old_swap_max, sizeof(g->old_swap_max), "%s", old);
	r = act_write(c, dirfd, "memory.swap.max", "0");
	if (r < 0) {
		act_fail(c, r, "%s/memory.swap.max", name);
		return r;
	}
	g->kind = ANON_GUARD_SWAP_MAX;
	return 0;
}

static void guard_restore(struct act_ctx *c, int dirfd, const char *name, struct guard *g)
{
	int r;

	if (g->kind != ANON_GUARD_SWAP_MAX)
		return;
	/* Even past the deadline: a cgroup left without swap is worse. */
	{
		uint64_t deadline = c->deadline_ns;

		c->deadline_ns = 0;
		r = act_write(c, dirfd, "memory.swap.max", g->old_swap_max);
		c->deadline_ns = deadline;
	}
	if (r < 0)
		act_fail(c, r, "%s/memory.swap.max (restoring %s)", name, g->old_swap_max);
}

/* Reclaims up to want bytes from one cgroup; returns what the kernel
 * confirmed (memory.reclaim succeeds only once the amount is reclaimed).
 * *stop is set when the whole lever must end (deadline, a fault). */
static uint64_t reclaim_cgroup(struct act_ctx *c, int dirfd, const char *name, uint64_t want,
			       int *swappiness_ok, bool *stop)
{
	uint64_t step_max = c->q->step_bytes ? c->q->step_bytes : DEFAULT_STEP, got = 0;
	struct guard g = { .kind = ANON_GUARD_SWAPPINESS_ARG };
	unsigned max_steps = (unsigned)(want / step_max) + 16;

	if (*swappiness_ok == 0 && guard_fallback(c, dirfd, name, &g) < 0)
		return 0;
	for (unsigned i = 0; i < max_steps && got < want; i++) {
		uint64_t step = want - got < step_max ? want - got : step_max;
		char value[64];
		int r;

		if (act_expired(c)) {
			act_fail(c, -ETIME, "%s/memory.reclaim", name);
			*stop = true;
			break;
		}
		step = step / c->page_size * c->page_size;
		if (!step)
			break;
		snprintf(value, sizeof(value), g.kind == ANON_GUARD_SWAPPINESS_ARG ?
			 "%" PRIu64 " swappiness=0" : "%" PRIu64, step);
		r = act_write(c, dirfd, "memory.reclaim", value);
		if (r == -EINVAL && g.kind == ANON_GUARD_SWAPPINESS_ARG && *swappiness_ok < 0) {
			*swappiness_ok = 0;
			if (guard_fallback(c, dirfd, name, &g) < 0)
				break;
			i--;
			continue;
		}
		if (g.kind == ANON_GUARD_SWAPPINESS_ARG && r != -EINVAL)
			*swappiness_ok = 1;
		c->r->steps++;
		if (r == 0) {
			got += step;
			continue;
		}
		if (r == -EAGAIN) {  /* nothing (much) left to reclaim there */
			c->r->exhausted++;
			break;
		}
		act_fail(c, r, "%s/memory.reclaim", name);
		*stop = r == -ETIME;
		break;
	}
	guard_restore(c, dirfd, name, &g);
	c->r->anon_guard = g.kind;
	return got;
}

int lever_memcg_reclaim(struct act_ctx *c)
{
	const struct action_request *q = c->q;
	uint64_t wanted = q->bytes_wanted, done = 0;
	int swappiness_ok = -1;  /* unknown until the kernel answers */
	bool stop = false;

	for (size_t i = 0; i < q->ncgroups && !stop; i++) {
		const struct action_cgroup *g = &q->cgroups[i];
		char name[4096] = "";
		uint64_t before = 0, after = 0, want;
		int fd, r;

		if (wanted && done >= wanted)
			break;
		if (act_expired(c)) {
			act_fail(c, -ETIME, "memory.reclaim");
			break;
		}
		fd = open_v2(c, g, name, sizeof(name));
		if (fd < 0) {
			act_unreachable(c, fd, "%s", name[0] ? name : "cgroup (no v2 path or id)");
			continue;
		}
		if (cgroup_frozen(fd)) {
			c->r->skipped_frozen++;
			close(fd);
			continue;
		}
		r = act_read_key_at(fd, "memory.stat", "file", &before);
		if (r < 0) {
			act_unreachable(c, r, "%s/memory.stat", name);
			close(fd);
			continue;
		}
		want = g->bytes && g->bytes < before ? g->bytes : before;
		if (wanted && want > wanted - done)
			want = wanted - done;
		c->r->bytes_targeted += want;
		c->r->before.targets_cache += before;
		if (!q->dry_run && want)
			done += reclaim_cgroup(c, fd, name, want, &swappiness_ok, &stop);
		if (q->dry_run || act_read_key_at(fd, "memory.stat", "file", &after) < 0)
			after = before;
		c->r->after.targets_cache += after;
		close(fd);
	}
	return 0;
}
