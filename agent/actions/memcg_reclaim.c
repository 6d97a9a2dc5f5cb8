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
#include "sources/cgroup_ancestry.h"

#define DEFAULT_STEP (64ull << 20)

/* A removed cgroup (its id opens with ESTALE) leaves its page cache
 * charged to it, counted in its parent, whose memory.reclaim reaches it:
 * its nearest live ancestor noted while it lived (sources/cgroup_ancestry)
 * is opened instead, and name says so. */
static int open_ancestor(int mfd, uint64_t cgid, char *name, size_t size)
{
	uint64_t up[CGROUP_ANCESTRY_DEPTH];
	size_t n = cgroup_ancestry_get(cgroup_ancestry_global(), cgid, up, CGROUP_ANCESTRY_DEPTH);

	for (size_t i = 0; i < n; i++) {
		int fd = act_open_cgroup_by_id(mfd, up[i]);

		if (fd >= 0) {
			snprintf(name, size, "cgroup id %" PRIu64 " (removed) at its ancestor id %" PRIu64,
				 cgid, up[i]);
			return fd;
		}
	}
	if (n == 0)
		snprintf(name, size, "cgroup id %" PRIu64 " (removed; no ancestor noted while it lived)",
			 cgid);
	else
		snprintf(name, size, "cgroup id %" PRIu64 " (removed, and its %zu noted ancestors too)",
			 cgid, n);
	return -ESTALE;
}

/* A removed cgroup named by path (layouts where paths are visible): the
 * nearest parent directory still there, never the mount's root. */
static int open_parent_path(struct act_ctx *c, const char *rel, char *name, size_t size)
{
	char up[4096], where[4096];
	char *slash;

	if ((size_t)snprintf(up, sizeof(up), "%s", rel) >= sizeof(up))
		return -ENAMETOOLONG;
	while ((slash = strrchr(up, '/')) && slash != up) {
		int fd;

		*slash = '\0';
		snprintf(where, sizeof(where), "%s/%s", c->cg.unified_path, up);
		fd = act_open(c, where, O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			snprintf(name, size, "%s/%s (removed) at its ancestor %s", c->cg.unified_path, rel,
				 where);
			return fd;
		}
	}
	return -ENOENT;
}

/* The cgroup's directory: by path under the cgroup2 mount, else by id;
 * a removed one's nearest live ancestor, by id or by path. */
static int open_v2(struct act_ctx *c, const struct action_cgroup *g, char *name, size_t size)
{
	int fd = -ENOENT, mfd;
	char path_name[4096] = "";

	if (!c->cg_known || !c->cg.unified_path[0])
		return -ENOENT;
	if (g->v2_path) {
		if ((size_t)snprintf(name, size, "%s/%s", c->cg.unified_path, g->v2_path) >= size)
			return -ENAMETOOLONG;
		fd = act_open(c, name, O_RDONLY | O_DIRECTORY);
		if (fd >= 0)
			return fd;
		snprintf(path_name, sizeof(path_name), "%s", name);
	}
	if (g->cgid) {
		snprintf(name, size, "cgroup id %" PRIu64, g->cgid);
		mfd = act_open(c, c->cg.unified_path, O_RDONLY | O_DIRECTORY);
		if (mfd < 0)
			return mfd;
		fd = act_open_cgroup_by_id(mfd, g->cgid);
		if (fd >= 0)  /* its ancestors, for when it is gone */
			(void)cgroup_ancestry_note(cgroup_ancestry_global(), mfd, g->cgid);
		else if (fd == -ESTALE)
			fd = open_ancestor(mfd, g->cgid, name, size);
		close(mfd);
	}
	if (fd == -ENOENT || fd == -ESTALE) {
		int pfd = g->v2_path ? open_parent_path(c, g->v2_path, name, size) : -ENOENT;

		if (pfd >= 0)
			return pfd;
		if (!g->cgid && path_name[0])
			snprintf(name, size, "%s", path_name);
	}
	return fd;
}

static bool cgroup_frozen(int dirfd)
{
	uint64_t v;

	return act_read_key_at(dirfd, "cgroup.events", "frozen", &v) == 0 && v == 1;
}

/* The kernel's memory.reclaim accepts "swappiness=0" from 6.7 on and
 * answers EINVAL before.  Then the cgroup's swap is closed for the call:
 * memory.swap.max=0 (its old value restored after).  The root cgroup has
 * no memory.swap.max: there vm.swappiness=0 for the call, which cgroup v2
 * applies to every cgroup and which makes a cgroup-targeted reclaim scan
 * file pages only (mm/vmscan.c, get_scan_count).  Nothing is needed when
 * the system has no swap at all. */
struct guard {
	enum anon_guard kind;
	int dirfd;             /* where the restored knob lives */
	bool own_dirfd;
	const char *knob;
	char where[4096];
	char old[64];
};

/* Sets dirfd/knob to 0, remembering its old value in g. */
static int guard_set(struct act_ctx *c, struct guard *g, int dirfd, const char *knob,
		     const char *where)
{
	_cleanup_free_ char *old = NULL;
	int r;

	snprintf(g->where, sizeof(g->where), "%s/%s", where, knob);
	r = act_read_at(dirfd, knob, &old);
	if (r < 0)
		return r;
	snprintf(g->old, sizeof(g->old), "%s", old);
	r = act_write(c, dirfd, knob, "0");
	if (r < 0) {
		act_fail(c, r, "%s", g->where);
		return r;
	}
	g->dirfd = dirfd;
	g->knob = knob;
	return 0;
}

static int guard_vm_swappiness(struct act_ctx *c, struct guard *g)
{
	char path[4096];
	int fd, r;

	r = act_name(c, "/proc/sys/vm", path, sizeof(path));
	if (r < 0)
		return r;
	fd = act_open(c, "/proc/sys/vm", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	r = guard_set(c, g, fd, "swappiness", path);
	if (r < 0) {
		close(fd);
		return r;
	}
	g->own_dirfd = true;
	g->kind = ANON_GUARD_VM_SWAPPINESS;
	return 0;
}

static int guard_fallback(struct act_ctx *c, int dirfd, const char *name, struct guard *g)
{
	int r;

	if (!act_swap_configured(c)) {
		g->kind = ANON_GUARD_NO_SWAP;
		return 0;
	}
	r = guard_set(c, g, dirfd, "memory.swap.max", name);
	if (r == 0) {
		g->kind = ANON_GUARD_SWAP_MAX;
		return 0;
	}
	if (r != -ENOENT) {
		act_fail(c, r, "%s", g->where);
		return r;
	}
	/* The root cgroup (or no swap accounting). */
	r = guard_vm_swappiness(c, g);
	if (r < 0) {
		act_fail(c, -EOPNOTSUPP, "%s/memory.swap.max: none, and vm.swappiness: %s", name,
			 strerror(-r));
		return -EOPNOTSUPP;
	}
	return 0;
}

static void guard_restore(struct act_ctx *c, struct guard *g)
{
	uint64_t deadline = c->deadline_ns;
	int r;

	if (!g->knob)
		return;
	/* Even past the deadline: a cgroup left without swap is worse. */
	c->deadline_ns = 0;
	r = act_write(c, g->dirfd, g->knob, g->old);
	c->deadline_ns = deadline;
	if (r < 0)
		act_fail(c, r, "%s (restoring %s)", g->where, g->old);
	if (g->own_dirfd)
		close(g->dirfd);
	g->knob = NULL;
}

/* What came back so far: the steps the kernel confirmed (memory.reclaim
 * succeeds once it reclaimed the amount), or the cgroup's measured file
 * drop when that is more (6.1 reclaims well beyond what it is asked). */
static uint64_t reclaimed(int dirfd, uint64_t file_before, uint64_t confirmed)
{
	uint64_t now;

	if (act_read_key_at(dirfd, "memory.stat", "file", &now) < 0 || now >= file_before)
		return confirmed;
	return file_before - now > confirmed ? file_before - now : confirmed;
}

/* Reclaims up to want bytes from one cgroup holding file_before bytes of
 * file cache; returns what came back.  *stop is set when the whole lever
 * must end (deadline, a fault). */
static uint64_t reclaim_cgroup(struct act_ctx *c, int dirfd, const char *name, uint64_t want,
			       uint64_t file_before, int *swappiness_ok, bool *stop)
{
	uint64_t step_max = c->q->step_bytes ? c->q->step_bytes : DEFAULT_STEP, got = 0, confirmed = 0;
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
			confirmed += step;
			got = reclaimed(dirfd, file_before, confirmed);
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
	guard_restore(c, &g);
	c->r->anon_guard = g.kind;
	return got;
}

int lever_memcg_reclaim(struct act_ctx *c)
{
	const struct action_request *q = c->q;
	uint64_t wanted = q->bytes_wanted, done = 0;
	int swappiness_ok = -1;  /* unknown until the kernel answers */
	bool stop = false;
	/* The root cgroup's reclaim reaches the user's hot set too. */
	_cleanup_(hot_restore_free) struct hot_restore hot = { 0 };

	hot_restore_record(c, &hot);
	if (q->sync_first && !q->dry_run)
		sync();
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
			done += reclaim_cgroup(c, fd, name, want, before, &swappiness_ok, &stop);
		if (q->dry_run || act_read_key_at(fd, "memory.stat", "file", &after) < 0)
			after = before;
		c->r->after.targets_cache += after;
		close(fd);
	}
	hot_restore_read(c, &hot);
	return 0;
}
