/* SPDX-License-Identifier: MIT */
#include "policy/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Build episodes: the cgroups whose attributed rows grow join the episode
 * (its members); it ends after the quiet period, sooner after Docker
 * Engine's build-finished event, never while a build is known to run
 * (for at most build_hold_max); the manual episode of `reclaim`. */

/* Members and samples are kept per cgroup: the classes of one cgroup's
 * attributed rows are summed, so a row that changes class (a container
 * found to be a build step) is not new growth. */
static int member_cmp(const void *a, const void *b)
{
	const struct policy_member *x = a, *y = b;

	return x->cgid < y->cgid ? -1 : x->cgid > y->cgid;
}

struct policy_member *member_find(struct policy_member *v, size_t n, uint64_t cgid)
{
	struct policy_member key = { .cgid = cgid };

	return n ? bsearch(&key, v, n, sizeof(*v), member_cmp) : NULL;
}

/* A member the episode's levers may act on now (quiet long enough). */
bool members_have_ready(const struct policy_history *h, uint64_t cgid)
{
	const struct policy_member *m = member_find(h->members, h->nmembers, cgid);

	return m && m->ready;
}

uint64_t member_net(const struct policy_member *m)
{
	return sat_sub64(sat_sub64(m->added, m->base_added), sat_sub64(m->removed, m->base_removed));
}

uint64_t members_net(const struct policy_member *v, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += member_net(&v[i]);
	return sum;
}
/* A cgroup's attributed row (all of them have the same targets). */
const struct policy_cgroup *obs_row(const struct policy_obs *o, uint64_t cgid)
{
	for (size_t i = 0; i < o->ncgroups; i++)
		if (o->cgroups[i].cgid == cgid && attributed(o->cgroups[i].class))
			return &o->cgroups[i];
	return NULL;
}

/* The class that decides for a cgroup with rows of several: a build step
 * over the daemon over a plain container. */
static int class_rank(enum tclass c)
{
	return c == TCLASS_DOCKER_BUILD ? 3 : c == TCLASS_DOCKER_DAEMON ? 2 :
	       c == TCLASS_DOCKER_CONTAINER ? 1 : 0;
}

/* The attributed rows of o summed per cgroup into h->agg, sorted. */
int aggregate(struct policy_history *h, const struct policy_obs *o)
{
	size_t n = 0;

	if (grow_array((void **)&h->agg, &h->agg_cap, o->ncgroups + 1, sizeof(*h->agg)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < o->ncgroups; i++)
		if (attributed(o->cgroups[i].class))
			h->agg[n++] = (struct policy_member){ .cgid = o->cgroups[i].cgid,
							      .class = o->cgroups[i].class,
							      .added = o->cgroups[i].added,
							      .removed = o->cgroups[i].removed,
							      .added_last = o->cgroups[i].added_last,
							      .removed_last = o->cgroups[i].removed_last };
	qsort(h->agg, n, sizeof(*h->agg), member_cmp);
	h->nagg = 0;
	for (size_t i = 0; i < n; i++) {
		struct policy_member *last = h->nagg ? &h->agg[h->nagg - 1] : NULL;

		if (last && last->cgid == h->agg[i].cgid) {
			last->added += h->agg[i].added;
			last->removed += h->agg[i].removed;
			last->added_last += h->agg[i].added_last;
			last->removed_last += h->agg[i].removed_last;
			if (class_rank(h->agg[i].class) > class_rank(last->class))
				last->class = h->agg[i].class;
		} else {
			h->agg[h->nagg++] = h->agg[i];
		}
	}
	return 0;
}

static void episode_open(struct policy_history *h, const struct policy_obs *o)
{
	h->state = PSTATE_GROWING;
	h->episode++;
	h->episode_start_ns = h->prev_ns;
	h->episode_start_realtime_ns = sat_sub64(o->realtime_ns, o->now_ns - h->prev_ns);
	h->nmembers = 0;
	h->episode_bytes = 0;
	h->ended_by_hint = false;
	h->returned = 0;
	h->tried = 0;
	h->manual = false;
	h->force_lever = -1;
	drop_behind_reset(h);
}

/* Ends the reclaim of the ready members.  Members still growing (another
 * build, a busy container) go on as the next episode. */
void episode_close(struct policy_history *h)
{
	size_t w = 0;

	for (size_t i = 0; i < h->nmembers; i++)
		if (!h->members[i].ready && !h->manual)
			h->members[w++] = h->members[i];
	h->nmembers = w;
	h->manual = false;
	h->force_lever = -1;
	h->returned = 0;
	h->tried = 0;
	h->episode_bytes = 0;
	drop_behind_reset(h);
	if (!w) {
		h->state = PSTATE_IDLE;
		return;
	}
	h->state = PSTATE_GROWING;
	h->episode++;
}

/* Adds the rows that grew this sample to the episode and refreshes the
 * members' counters (a member whose row left the ledger keeps its last).
 * *ready_grew: a member the levers were about to act on grew again. */
static int members_fold(const struct policy_config *c, struct policy_history *h,
			const struct policy_obs *o, double secs, bool *ready_grew)
{
	size_t old = h->nmembers;
	bool added = false;

	*ready_grew = false;
	for (size_t i = 0; i < h->nagg; i++) {
		const struct policy_member *row = &h->agg[i];
		struct policy_member *m = member_find(h->members, old, row->cgid);

		if (m) {
			if (secs > 0 && row->added_last &&
			    (double)row->added_last / secs >= (double)c->growth_rate_min) {
				m->last_growth_ns = o->now_ns;
				*ready_grew |= m->ready;
			}
			m->added = row->added;
			m->removed = row->removed;
			m->class = row->class;
			continue;
		}
		if (!row->added_last)
			continue;  /* did not grow */
		if (h->state != PSTATE_GROWING || h->nmembers >= POLICY_MEMBERS_MAX)
			continue;
		if (grow_array((void **)&h->members, &h->members_cap, h->nmembers + 1, sizeof(*h->members)) < 0)
			return -ENOMEM;
		h->members[h->nmembers++] = (struct policy_member){
			.cgid = row->cgid, .class = row->class,
			.base_added = sat_sub64(row->added, row->added_last),
			.base_removed = sat_sub64(row->removed, row->removed_last),
			.added = row->added, .removed = row->removed, .last_growth_ns = o->now_ns,
		};
		added = true;
	}
	if (added)
		qsort(h->members, h->nmembers, sizeof(*h->members), member_cmp);
	return 0;
}

/* Attributed bytes added in the ledger's last interval. */
static uint64_t growth_bytes(const struct policy_history *h)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < h->nagg; i++)
		sum += h->agg[i].added_last;
	return sum;
}

/* Growth seen in the sample right after Docker's event happened before it
 * (a sample covers the second before it): one sample plus jitter. */
#define BUILD_END_SLACK_NS (3 * NSEC_PER_SEC / 2)

/* Docker said a build finished during the episode, and what last grew at
 * last_growth_ns has not grown since the event nor in this sample: done,
 * without waiting out the quiet period. */
static bool build_ended(const struct policy_history *h, const struct policy_obs *o,
			uint64_t last_growth_ns)
{
	return o->build_end_ns && o->build_end_ns >= h->episode_start_ns &&
	       last_growth_ns < o->now_ns && last_growth_ns <= o->build_end_ns + BUILD_END_SLACK_NS;
}

/* The members quiet for quiet_period are the episode's reclaimable part:
 * all of them once nothing grows, or, while another build or a busy
 * container keeps growing, those that stopped when they hold episode_min. */
static void ready_check(const struct policy_config *c, struct policy_history *h,
			const struct policy_obs *o)
{
	uint64_t ready = 0, all = 0;
	size_t nready = 0;

	for (size_t i = 0; i < h->nmembers; i++) {
		struct policy_member *m = &h->members[i];

		m->ready = o->now_ns - m->last_growth_ns >= c->quiet_period_ns ||
			   build_ended(h, o, m->last_growth_ns);
		all += member_net(m);
		if (m->ready) {
			ready += member_net(m);
			nready++;
		}
	}
	if (nready == h->nmembers && (o->now_ns - h->last_growth_ns >= c->quiet_period_ns ||
				       build_ended(h, o, h->last_growth_ns))) {
		h->episode_bytes = all;
		h->ended_by_hint = o->now_ns - h->last_growth_ns < c->quiet_period_ns;
		if (all >= c->episode_min) {
			h->state = PSTATE_RECLAIM;
			h->tried = 0;
		} else {
			episode_close(h);
		}
	} else if (nready && ready >= c->episode_min) {
		h->episode_bytes = ready;
		h->state = PSTATE_RECLAIM;
		h->tried = 0;
	}
}


/* A build is known to run and the episode began less than build_hold_max
 * ago: it is not ended, its members are not reclaimed. */
static bool build_hold(const struct policy_config *c, const struct policy_history *h,
		       const struct policy_obs *o)
{
	return o->build_running && !h->manual && o->now_ns - h->episode_start_ns < c->build_hold_max_ns;
}

static void members_wait(struct policy_history *h)
{
	h->state = PSTATE_GROWING;
	for (size_t i = 0; i < h->nmembers; i++)
		h->members[i].ready = false;
}

int episode_fold(const struct policy_config *c, struct policy_history *h,
		 const struct policy_obs *o)
{
	double secs = 0;
	bool growing = false, ready_grew;
	int r;

	if (o->tracker && h->have_prev && o->interval_ns) {
		secs = (double)o->interval_ns / NSEC_PER_SEC;
		h->growth_rate = (double)growth_bytes(h) / secs;
		growing = h->growth_rate >= (double)c->growth_rate_min;
	}
	if (growing && c->mode == POLICY_MODE_AUTO && !h->manual) {
		if (h->state == PSTATE_IDLE || h->state == PSTATE_HOST)
			episode_open(h, o);
		h->last_growth_ns = o->now_ns;
	}
	r = members_fold(c, h, o, secs, &ready_grew);
	if (r < 0)
		return r;
	/* Never while growing: what grew again waits again; nor while a build
	 * is known to run. */
	if (h->state == PSTATE_RECLAIM && !h->manual && (ready_grew || build_hold(c, h, o)))
		members_wait(h);
	else if (h->state == PSTATE_GROWING && build_hold(c, h, o))
		members_wait(h);
	else if (h->state == PSTATE_GROWING)
		ready_check(c, h, o);
	return 0;
}

bool episode_held(const struct policy_config *c, const struct policy_history *h,
		  const struct policy_obs *o)
{
	return h->state == PSTATE_GROWING && build_hold(c, h, o);
}

int policy_begin_manual(struct policy_history *h, const struct policy_obs *o, int force_lever)
{
	h->nmembers = 0;
	if (aggregate(h, o) < 0 ||
	    grow_array((void **)&h->members, &h->members_cap, h->nagg + 1, sizeof(*h->members)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < h->nagg; i++)
		if (h->agg[i].added > h->agg[i].removed) {
			h->members[h->nmembers] = h->agg[i];
			h->members[h->nmembers++].ready = true;
		}
	h->state = PSTATE_RECLAIM;
	h->episode++;
	h->episode_bytes = members_net(h->members, h->nmembers);
	h->episode_start_realtime_ns = 0;
	h->returned = 0;
	h->tried = 0;
	h->manual = true;
	h->force_lever = force_lever;
	return 0;
}
