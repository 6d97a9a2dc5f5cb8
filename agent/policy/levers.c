/* SPDX-License-Identifier: MIT */
#include "policy/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An ended episode's reclaim: the targeted levers in order (memory.reclaim,
 * force_empty, fadvise) with fall-through; an episode they left largely
 * behind is finished by memory.reclaim on the root cgroup, then drop_caches
 * as the last resort; compact after; back-off and the guardrails (PSI, the
 * floor, the hot set). */

/* Levers a and b: the cgroups that hold the members' pages, each member
 * reached through its own cgroup or the nearest live ancestor (a removed
 * container's pages stay charged to its offline cgroup and count in the
 * parent), never the root (that is not targeted) and never a frozen one.
 * Returns the bytes reached; 0 = the lever cannot be used. */
uint64_t cgroup_targets(const struct policy_obs *o, const struct policy_member *mem, size_t nmem,
			bool v2, struct policy_decision *d, unsigned *frozen, uint64_t *empties)
{
	uint64_t sum = 0;
	size_t n = 0;
	/* What each target holds now, where memory.stat says: the lever cannot
	 * return more, and force_empty takes all of it. */
	_cleanup_free_ uint64_t *held = calloc(nmem + 1, sizeof(*held));

	*empties = 0;
	if (!held)
		return 0;

	d->cgroups = calloc(nmem + 1, sizeof(*d->cgroups));
	if (!d->cgroups)
		return 0;
	for (size_t i = 0; i < nmem; i++) {
		const struct policy_cgroup *row = obs_row(o, mem[i].cgid);
		uint64_t net = member_net(&mem[i]);
		const char *t = row ? (v2 ? row->v2_target : row->v1_target) : NULL;
		size_t j;

		/* A live cgroup whose path this distro cannot name is reached by
		 * its id (a cgroup2 file handle); the lever says if it cannot. */
		bool by_id = v2 && row && !t && row->by_id;

		if (!net || (!t && !by_id) || (t && !strcmp(t, "/")))
			continue;
		if (row->frozen) {
			(*frozen)++;
			continue;
		}
		for (j = 0; j < n; j++)
			if (by_id ? d->cgroups[j].cgid == row->cgid && !d->cgroups[j].v2_path
				  : (v2 ? d->cgroups[j].v2_path : d->cgroups[j].v1_path) &&
					    !strcmp(v2 ? d->cgroups[j].v2_path : d->cgroups[j].v1_path, t))
				break;
		if (j == n) {
			d->cgroups[n++] = (struct action_cgroup){
				.cgid = by_id || (v2 && row->path && !strcmp(row->path, t)) ? row->cgid : 0,
				.v2_path = v2 ? t : NULL, .v1_path = v2 ? NULL : t,
			};
			held[j] = row->target_cache_known ? row->target_cache : UINT64_MAX;
		}
		d->cgroups[j].bytes += net;
	}
	for (size_t j = 0; j < n; j++) {
		if (held[j] != UINT64_MAX && d->cgroups[j].bytes > held[j])
			d->cgroups[j].bytes = held[j];
		sum += d->cgroups[j].bytes;
		*empties += held[j] != UINT64_MAX ? held[j] : d->cgroups[j].bytes;
	}
	d->req.cgroups = d->cgroups;
	d->req.ncgroups = n;
	return n ? sum : 0;
}

static int dir_add(struct policy_decision *d, const char *dir, size_t len)
{
	char **nd;

	for (size_t i = 0; i < d->ndirs; i++)
		if (strlen(d->dirs[i]) == len && !strncmp(d->dirs[i], dir, len))
			return 0;
	nd = realloc(d->dirs, (d->ndirs + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	d->dirs = nd;
	d->dirs[d->ndirs] = strndup(dir, len);
	if (!d->dirs[d->ndirs])
		return -ENOMEM;
	d->ndirs++;
	return 0;
}

static bool all_ready(const struct policy_history *h)
{
	for (size_t i = 0; i < h->nmembers; i++)
		if (!h->members[i].ready)
			return false;
	return true;
}

/* Lever c: the files the episode filled that no process outside it added
 * within the hot-set window, by handle (finding their paths would mean a
 * crawl of every process's fds and the data root at the worst moment), and
 * every file changed since the episode began under DATA-ROOT/overlay2:
 * the ledger's file map is bounded, a build writes far more files, and
 * dockerd and BuildKit write new layers anywhere there. */
static uint64_t file_targets(const struct policy_config *c, const struct policy_history *h,
			     const struct policy_obs *o, bool all, uint64_t wanted,
			     struct policy_decision *d)
{
	uint64_t sum = 0;
	size_t n = 0;

	d->files = calloc(o->nfiles + 1, sizeof(*d->files));
	if (!d->files || hot_list(c, h, o, d) < 0)
		return 0;
	for (size_t i = 0; i < o->nfiles; i++) {
		const struct policy_file *f = &o->files[i];
		uint64_t net = sat_sub64(f->added, f->removed);

		if (!attributed(f->class) || !net)
			continue;
		if (!all && f->class == TCLASS_DOCKER_CONTAINER && !members_have_ready(h, f->owner_cgid))
			continue;  /* a running container's own files: not the episode's */
		if (!all && !h->manual && member_find(h->members, h->nmembers, f->owner_cgid) &&
		    !members_have_ready(h, f->owner_cgid))
			continue;  /* a member still growing: not yet */
		if (hot_now(c, hot_find(h, f->dev, f->ino, f->gen), o->now_ns))
			continue;  /* the lever gets the hot set too and skips it in dirs */
		d->files[n++] = (struct action_file){ .dev = f->dev, .ino = f->ino, .gen = f->gen,
						      .bytes = net };
		sum += net;
	}
	/* Not under host pressure: there is no episode start to walk from; not
	 * while a member still grows: the walk would reach its files too. */
	if (o->docker_root && (h->manual || (!all && all_ready(h)))) {
		char dir[512];
		int len = snprintf(dir, sizeof(dir), "%s/overlay2", o->docker_root);

		if (len > 0 && (size_t)len < sizeof(dir) && dir_add(d, dir, (size_t)len) < 0)
			return 0;
	}
	d->req.files = d->files;
	d->req.nfiles = n;
	d->req.dirs = (const char *const *)d->dirs;
	d->req.ndirs = d->ndirs;
	/* Also for the listed files: only those the episode made are evicted
	 * (actions/file_evict.c), never a file others read too. */
	d->req.since_ns = h->manual ? 0 : h->episode_start_realtime_ns;
	if (!n && !d->ndirs)
		return 0;
	/* The walk reaches files the ledger does not name: aim at what is left. */
	return d->ndirs ? (sum > wanted ? sum : wanted) : sum;
}

void targets_reset(struct policy_decision *d)
{
	free(d->cgroups);
	free(d->files);
	free(d->hot);
	for (size_t i = 0; i < d->ndirs; i++)
		free(d->dirs[i]);
	free(d->dirs);
	d->cgroups = NULL;
	d->files = d->hot = NULL;
	d->dirs = NULL;
	d->ndirs = 0;
	memset(&d->req, 0, sizeof(d->req));
}

/* Tries levers a, b, c in order on mem[]; true when one is chosen. */
bool targeted_lever(const struct policy_config *c, const struct policy_history *h,
			   const struct policy_obs *o, const struct policy_member *mem, size_t nmem,
			   unsigned tried, uint64_t wanted, uint64_t room, struct policy_decision *d,
			   char *skipped, size_t skipped_len)
{
	static const enum lever order[] = { LEVER_MEMCG_RECLAIM, LEVER_MEMCG_FORCE_EMPTY,
					    LEVER_FILE_EVICT };
	size_t used = 0;

	skipped[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		enum lever l = order[i];
		unsigned frozen = 0;
		uint64_t bytes = 0, empties = 0;
		const char *why = NULL;

		if (tried & BIT(l))
			continue;
		if (h->force_lever >= 0 && (int)l != h->force_lever)
			continue;
		if (l == LEVER_MEMCG_RECLAIM && o->memcg != MEMCG_V2)
			why = "no cgroup v2 memory controller";
		else if (l == LEVER_MEMCG_FORCE_EMPTY && o->memcg != MEMCG_V1)
			why = "no cgroup v1 memory controller";
		else if (l == LEVER_FILE_EVICT && o->files_out_of_reach)
			why = o->files_out_of_reach;
		else if (!h->manual && o->now_ns < h->backoff_until[l])
			why = "backing off";
		if (!why) {
			if (l == LEVER_FILE_EVICT)
				bytes = file_targets(c, h, o, h->state == PSTATE_HOST, wanted, d);
			else
				bytes = cgroup_targets(o, mem, nmem, l == LEVER_MEMCG_RECLAIM, d, &frozen,
						       &empties);
			if (!bytes)
				why = frozen ? "its cgroups are frozen" : "reaches none of the pages";
			else if (bytes < c->lever_min)
				why = "reaches too little";
			else if (l == LEVER_MEMCG_FORCE_EMPTY && empties > room)
				why = "would empty the cgroups below the floor";
		}
		if (!why) {
			decision_act(c, d, l, bytes, min_u64(wanted, bytes));
			return true;
		}
		targets_reset(d);
		if (used < skipped_len)
			used += (size_t)snprintf(skipped + used, skipped_len - used, "%s%s %s",
						 used ? "; " : "", lever_name(l), why);
	}
	return false;
}

/* The levers returned finish_share of the episode: nothing to finish. */
static bool finished(const struct policy_config *c, const struct policy_history *h)
{
	return (double)h->returned >= c->finish_share * (double)h->episode_bytes;
}

static bool drop_caches_lever(const struct policy_config *c, struct policy_history *h,
			      const struct policy_obs *o, uint64_t wanted, uint64_t remaining,
			      struct policy_decision *d,
			      char *why, size_t whylen)
{
	bool forced = h->force_lever == LEVER_DROP_CACHES;

	if (h->force_lever >= 0 && !forced)
		return false;
	if (h->tried & BIT(LEVER_DROP_CACHES))
		return false;
	if (!c->drop_caches && !forced) {
		snprintf(why, whylen, "drop_caches=no");
		return false;
	}
	if (!forced && finished(c, h)) {
		snprintf(why, whylen, "the levers returned enough");
		return false;
	}
	if (!forced && remaining < c->drop_caches_min) {
		/* Dropping every cache (the user's too) for a small rest: no. */
		snprintf(why, whylen, "less than drop_caches_min left");
		return false;
	}
	if (floor_room(c, h, o) < remaining) {
		/* drop_caches cannot stop at the floor and takes the cache outside
		 * the episode too: only when there is room for all of it. */
		snprintf(why, whylen, "the floor leaves less room than the episode holds");
		return false;
	}
	if (!forced && h->dropped_once && o->now_ns - h->last_drop_ns < c->drop_caches_min_interval_ns) {
		snprintf(why, whylen, "drop_caches ran %llu s ago",
			 (unsigned long long)((o->now_ns - h->last_drop_ns) / NSEC_PER_SEC));
		return false;
	}
	if (hot_list(c, h, o, d) < 0)
		return false;
	decision_act(c, d, LEVER_DROP_CACHES, wanted, wanted);
	d->req.restore_hot_set = c->restore_hot_set;
	d->req.restore_budget_bytes = c->restore_budget;
	return true;
}

bool psi_over(const struct policy_config *c, const struct policy_obs *o,
		     struct policy_decision *d)
{
	if (!o->psi_known || o->psi_full_avg10 <= c->psi_full_max)
		return false;
	decision_say(d, "psi", "memory PSI full avg10 %.2f%% > psi_full_max %g%%: waiting", o->psi_full_avg10,
	    c->psi_full_max);
	return true;
}

/* Room above the floor: page cache that may go (shmem is not droppable). */
uint64_t floor_room(const struct policy_config *c, const struct policy_history *h,
			   const struct policy_obs *o)
{
	/* What came back since the sample is no longer in page_cache. */
	return sat_sub64(sat_sub64(sat_sub64(o->page_cache, o->shmem), h->returned_sample), c->floor);
}

/* The room an episode's levers have: the floor guards the user's cache,
 * not the build's, so only cache outside the episode counts toward it (on
 * a fresh VM the build's cache is nearly all there is). */
static uint64_t episode_room(const struct policy_config *c, const struct policy_history *h,
			     const struct policy_obs *o, uint64_t remaining)
{
	uint64_t cache = sat_sub64(sat_sub64(o->page_cache, o->shmem), h->returned_sample);

	return sat_sub64(cache, min_u64(c->floor, sat_sub64(cache, remaining)));
}

int root_reclaim(const struct policy_config *c, const struct policy_obs *o, uint64_t bytes,
		 struct policy_decision *d)
{
	d->cgroups = calloc(1, sizeof(*d->cgroups));
	if (!d->cgroups)
		return -ENOMEM;
	/* Under a cgroup namespace "/" is this distro's own cgroup, which
	 * holds none of the engine's pages: the kernel's root by its id. */
	d->cgroups[0] = o->root_by_id ? (struct action_cgroup){ .cgid = CGROUP_ROOT_ID, .bytes = bytes }
				      : (struct action_cgroup){ .v2_path = "/", .bytes = bytes };
	decision_act(c, d, LEVER_MEMCG_RECLAIM, bytes, bytes);
	d->req.cgroups = d->cgroups;
	d->req.ncgroups = 1;
	return 0;
}

/* The targeted levers left more than finish_share of the episode behind
 * (layout a: the engine's cache is charged to the root cgroup and its
 * files are out of reach; a cgroup gone with its pages): memory.reclaim
 * on the root cgroup for what is left, file pages only.  It takes the
 * inactive list first, where a build's written-once pages are, and keeps
 * the hot set, which drop_caches would empty (docs/benchmarks.md,
 * "layout a"); cgroup v2 only. */
static bool any_frozen(const struct policy_obs *o)
{
	for (size_t i = 0; i < o->ncgroups; i++)
		if (o->cgroups[i].frozen)
			return true;
	return false;
}

static int finish_root(const struct policy_config *c, struct policy_history *h,
		       const struct policy_obs *o, uint64_t wanted, uint64_t remaining,
		       struct policy_decision *d, bool *chosen)
{
	/* The root's reclaim takes the cache outside the episode too, in LRU
	 * order: it stops at the floor. */
	uint64_t bytes = min_u64(wanted, floor_room(c, h, o));

	*chosen = false;
	/* Nor over a frozen cgroup (Resource Saver): WSL's gradual reclaim
	 * beside it is reported to hang the distro. */
	if ((h->tried & TRIED_ROOT) || o->memcg != MEMCG_V2 || finished(c, h) ||
	    bytes < c->lever_min || any_frozen(o) ||
	    (h->force_lever >= 0 && h->force_lever != LEVER_MEMCG_RECLAIM) ||
	    (!h->manual && o->now_ns < h->backoff_until[LEVER_MEMCG_RECLAIM]))
		return 0;
	if (root_reclaim(c, o, bytes, d) < 0)
		return -ENOMEM;
	d->finish_root = true;
	*chosen = true;
	decision_say(d, "finish", "episode %llu: the targeted levers left %llu of %llu bytes behind: "
		     "memory.reclaim on the root cgroup, file pages only",
		     (unsigned long long)h->episode, (unsigned long long)remaining,
		     (unsigned long long)h->episode_bytes);
	return 0;
}

static bool compact_lever(const struct policy_config *c, const struct policy_history *h,
			  struct policy_decision *d)
{
	bool forced = h->force_lever == LEVER_COMPACT;
	uint64_t back = h->returned + h->db_returned;

	if (h->tried & BIT(LEVER_COMPACT))
		return false;
	if (!forced && (!c->compact || back < c->compact_min))
		return false;
	decision_act(c, d, LEVER_COMPACT, back, 0);
	decision_say(d, "compact", "%llu bytes came back: compact so they form reportable blocks",
	    (unsigned long long)back);
	return true;
}

int episode_decide(const struct policy_config *c, struct policy_history *h,
			  const struct policy_obs *o, struct policy_decision *d)
{
	_cleanup_free_ struct policy_member *ready = calloc(h->nmembers + 1, sizeof(*ready));
	size_t nready = 0;
	uint64_t net;
	uint64_t remaining;
	uint64_t room, wanted;
	char skipped[320], why[96] = "";
	bool chosen;

	if (!ready)
		return -ENOMEM;
	for (size_t i = 0; i < h->nmembers; i++)
		if (h->members[i].ready)
			ready[nready++] = h->members[i];
	net = members_net(ready, nready);
	remaining = min_u64(net, sat_sub64(h->episode_bytes, h->returned));
	if (!o->mem_known) {
		decision_say(d, "no-meminfo", "/proc/meminfo unreadable: not acting blind");
		return 0;
	}
	if (psi_over(c, o, d))
		return 0;
	room = h->manual && !h->episode_bytes ? floor_room(c, h, o) : episode_room(c, h, o, remaining);
	if (h->manual && !h->episode_bytes)
		remaining = room;  /* nothing attributed: let the levers measure */
	wanted = min_u64(remaining, room);
	skipped[0] = '\0';
	if (wanted >= c->lever_min) {
		if (targeted_lever(c, h, o, ready, nready, h->tried, wanted, room, d, skipped,
				   sizeof(skipped))) {
			decision_say(d, h->tried ? "fallback" : (h->manual ? "manual" : "episode-end"),
			    "episode %llu: %llu bytes left of %llu%s%s", (unsigned long long)h->episode,
			    (unsigned long long)remaining, (unsigned long long)h->episode_bytes,
			    skipped[0] ? "; " : "", skipped);
			return 0;
		}
		if (finish_root(c, h, o, wanted, remaining, d, &chosen) < 0)
			return -ENOMEM;
		if (chosen)
			return 0;
		if (drop_caches_lever(c, h, o, wanted, remaining, d, why, sizeof(why))) {
			decision_say(d, "last-resort", "episode %llu: %llu bytes left, no targeted lever reached "
			    "enough (%s)", (unsigned long long)h->episode, (unsigned long long)remaining,
			    skipped[0] ? skipped : "all tried");
			return 0;
		}
		targets_reset(d);
	}
	if (compact_lever(c, h, d))
		return 0;
	if (h->returned)
		decision_say(d, "done", "episode %llu: %llu of %llu bytes came back", (unsigned long long)h->episode,
		    (unsigned long long)h->returned, (unsigned long long)h->episode_bytes);
	else if (room < c->lever_min || room < remaining)
		decision_say(d, "floor", "episode %llu: page cache is at the floor (%llu bytes)",
		    (unsigned long long)h->episode, (unsigned long long)c->floor);
	else if (remaining < c->lever_min)
		decision_say(d, "nothing-left", "episode %llu: its pages are gone already",
		    (unsigned long long)h->episode);
	else
		decision_say(d, "no-lever", "episode %llu: no lever reaches its pages (%s%s%s)",
		    (unsigned long long)h->episode, skipped, skipped[0] && why[0] ? "; " : "", why);
	episode_close(h);
	return 0;
}
