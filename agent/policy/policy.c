/* SPDX-License-Identifier: MIT */
#include "policy/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/util.h"

#define BIT(l) (1u << (l))

static const char *const state_names[_PSTATE_MAX] = {
	[PSTATE_IDLE] = "idle",
	[PSTATE_GROWING] = "growing",
	[PSTATE_RECLAIM] = "reclaim",
	[PSTATE_HOST] = "host-low",
};

const char *policy_state_name(enum policy_state s)
{
	return s < _PSTATE_MAX ? state_names[s] : "?";
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static bool attributed(enum tclass c)
{
	return c == TCLASS_DOCKER_BUILD || c == TCLASS_DOCKER_CONTAINER || c == TCLASS_DOCKER_DAEMON;
}

void policy_init(struct policy_history *h)
{
	memset(h, 0, sizeof(*h));
	h->force_lever = -1;
}

void policy_history_free(struct policy_history *h)
{
	free(h->members);
	free(h->prev);
	free(h->agg);
	free(h->hot);
	policy_init(h);
}

/* ---- rows and members ------------------------------------------------- */

/* Members and samples are kept per cgroup: the classes of one cgroup's
 * attributed rows are summed, so a row that changes class (a container
 * found to be a build step) is not new growth. */
static int member_cmp(const void *a, const void *b)
{
	const struct policy_member *x = a, *y = b;

	return x->cgid < y->cgid ? -1 : x->cgid > y->cgid;
}

static struct policy_member *member_find(struct policy_member *v, size_t n, uint64_t cgid)
{
	struct policy_member key = { .cgid = cgid };

	return n ? bsearch(&key, v, n, sizeof(*v), member_cmp) : NULL;
}

/* A member the episode's levers may act on now (quiet long enough). */
static bool members_have_ready(const struct policy_history *h, uint64_t cgid)
{
	const struct policy_member *m = member_find(h->members, h->nmembers, cgid);

	return m && m->ready;
}

static uint64_t member_net(const struct policy_member *m)
{
	return sat_sub(sat_sub(m->added, m->base_added), sat_sub(m->removed, m->base_removed));
}

static uint64_t members_net(const struct policy_member *v, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += member_net(&v[i]);
	return sum;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 32;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* A cgroup's attributed row (all of them have the same targets). */
static const struct policy_cgroup *obs_row(const struct policy_obs *o, uint64_t cgid)
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
static int aggregate(struct policy_history *h, const struct policy_obs *o)
{
	size_t n = 0;

	if (grow((void **)&h->agg, &h->agg_cap, o->ncgroups + 1, sizeof(*h->agg)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < o->ncgroups; i++)
		if (attributed(o->cgroups[i].class))
			h->agg[n++] = (struct policy_member){ .cgid = o->cgroups[i].cgid,
							      .class = o->cgroups[i].class,
							      .added = o->cgroups[i].added,
							      .removed = o->cgroups[i].removed };
	qsort(h->agg, n, sizeof(*h->agg), member_cmp);
	h->nagg = 0;
	for (size_t i = 0; i < n; i++) {
		struct policy_member *last = h->nagg ? &h->agg[h->nagg - 1] : NULL;

		if (last && last->cgid == h->agg[i].cgid) {
			last->added += h->agg[i].added;
			last->removed += h->agg[i].removed;
			if (class_rank(h->agg[i].class) > class_rank(last->class))
				last->class = h->agg[i].class;
		} else {
			h->agg[h->nagg++] = h->agg[i];
		}
	}
	return 0;
}

/* ---- the hot set ------------------------------------------------------- */

static int hot_cmp(const void *a, const void *b)
{
	const struct policy_hot *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->gen < y->gen ? -1 : x->gen > y->gen;
}

static struct policy_hot *hot_find(const struct policy_history *h, uint64_t dev, uint64_t ino,
				   uint32_t gen)
{
	struct policy_hot key = { .dev = dev, .ino = ino, .gen = gen };

	return h->nhot ? bsearch(&key, h->hot, h->nhot, sizeof(*h->hot), hot_cmp) : NULL;
}

static bool hot_now(const struct policy_config *c, const struct policy_hot *e, uint64_t now)
{
	return e && now - e->last_ns <= c->hot_set_window_ns;
}

/* Files class `other` added pages to within the window: the user's hot set
 * as far as the tracker can tell (it sees additions to the cache, not reads
 * of pages already cached: fentry on the read path is not available on
 * every kernel).  Bounded: beyond POLICY_HOT_MAX new files are not
 * remembered. */
static int hot_fold(const struct policy_config *c, struct policy_history *h,
		    const struct policy_obs *o)
{
	size_t old = h->nhot, w = 0;
	bool added = false;

	for (size_t i = 0; i < o->nfiles; i++) {
		const struct policy_file *f = &o->files[i];
		struct policy_hot *e;

		if (f->class != TCLASS_OTHER || !f->added)
			continue;
		e = old ? bsearch(&(struct policy_hot){ .dev = f->dev, .ino = f->ino, .gen = f->gen },
				  h->hot, old, sizeof(*h->hot), hot_cmp)
			: NULL;
		if (e) {
			if (f->added > e->added)
				e->last_ns = o->now_ns;
			e->added = f->added;
			continue;
		}
		if (h->nhot >= POLICY_HOT_MAX)
			continue;
		if (grow((void **)&h->hot, &h->hot_cap, h->nhot + 1, sizeof(*h->hot)) < 0)
			return -ENOMEM;
		h->hot[h->nhot++] = (struct policy_hot){ .dev = f->dev, .ino = f->ino, .gen = f->gen,
							 .added = f->added, .last_ns = o->now_ns };
		added = true;
	}
	/* Forget what left the window, keep the table sorted. */
	for (size_t i = 0; i < h->nhot; i++)
		if (hot_now(c, &h->hot[i], o->now_ns))
			h->hot[w++] = h->hot[i];
	h->nhot = w;
	if (added)
		qsort(h->hot, h->nhot, sizeof(*h->hot), hot_cmp);
	return 0;
}

/* ---- observe ----------------------------------------------------------- */

static void episode_open(struct policy_history *h, const struct policy_obs *o)
{
	h->state = PSTATE_GROWING;
	h->episode++;
	h->episode_start_ns = h->prev_ns;
	h->episode_start_realtime_ns = sat_sub(o->realtime_ns, o->now_ns - h->prev_ns);
	h->nmembers = 0;
	h->episode_bytes = 0;
	h->ended_by_hint = false;
	h->returned = 0;
	h->tried = 0;
	h->manual = false;
	h->force_lever = -1;
}

/* Ends the reclaim of the ready members.  Members still growing (another
 * build, a busy container) go on as the next episode. */
static void episode_close(struct policy_history *h)
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
		const struct policy_member *p;

		if (m) {
			if (secs > 0 && row->added > m->added &&
			    (double)(row->added - m->added) / secs >= (double)c->growth_rate_min) {
				m->last_growth_ns = o->now_ns;
				*ready_grew |= m->ready;
			}
			m->added = row->added;
			m->removed = row->removed;
			m->class = row->class;
			continue;
		}
		p = member_find(h->prev, h->nprev, row->cgid);
		if (p && row->added <= p->added)
			continue;  /* did not grow */
		if (h->state != PSTATE_GROWING || h->nmembers >= POLICY_MEMBERS_MAX)
			continue;
		if (grow((void **)&h->members, &h->members_cap, h->nmembers + 1, sizeof(*h->members)) < 0)
			return -ENOMEM;
		h->members[h->nmembers++] = (struct policy_member){
			.cgid = row->cgid, .class = row->class,
			.base_added = p ? p->added : 0, .base_removed = p ? p->removed : 0,
			.added = row->added, .removed = row->removed, .last_growth_ns = o->now_ns,
		};
		added = true;
	}
	if (added)
		qsort(h->members, h->nmembers, sizeof(*h->members), member_cmp);
	return 0;
}

static int prev_fold(struct policy_history *h, const struct policy_obs *o)
{
	if (grow((void **)&h->prev, &h->prev_cap, h->nagg + 1, sizeof(*h->prev)) < 0)
		return -ENOMEM;
	memcpy(h->prev, h->agg, h->nagg * sizeof(*h->prev));
	h->nprev = h->nagg;
	h->prev_ns = o->now_ns;
	h->have_prev = true;
	return 0;
}

/* Attributed bytes added since the previous sample. */
static uint64_t growth_bytes(const struct policy_history *h)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < h->nagg; i++) {
		const struct policy_member *row = &h->agg[i];
		const struct policy_member *p = member_find(h->prev, h->nprev, row->cgid);

		/* A counter that went down was re-created: all of it is new. */
		sum += p && row->added >= p->added ? row->added - p->added : row->added;
	}
	return sum;
}

/* WSL's released algorithm (REFERENCE.md section 1): every poll, idle when
 * the user CPU time of the interval is at most wsl_idle_user_max percent
 * of nprocs x CLK_TCK x the interval; dropCache after wsl_idle_samples idle
 * polls in a row, once per idle period; compaction on every idle poll. */
static void wsl_idle_fold(const struct policy_config *c, struct policy_history *h,
			  const struct policy_obs *o)
{
	double secs, limit;
	uint64_t used;

	if (!o->cpu_known)
		return;
	if (!h->wsl_have_sample) {
		h->wsl_have_sample = true;
		h->wsl_last_ns = o->now_ns;
		h->wsl_last_user = o->cpu_user_ticks;
		return;
	}
	if (o->now_ns - h->wsl_last_ns < c->wsl_idle_interval_ns)
		return;
	secs = (double)(o->now_ns - h->wsl_last_ns) / NSEC_PER_SEC;
	used = sat_sub(o->cpu_user_ticks, h->wsl_last_user);
	limit = c->wsl_idle_user_max / 100.0 * o->nprocs * o->clk_tck * secs;
	if ((double)used <= limit) {
		if (h->wsl_idle_count < c->wsl_idle_samples)
			h->wsl_idle_count++;
		h->wsl_compact_due = true;
	} else {
		h->wsl_idle_count = 0;
		h->wsl_fired = false;
	}
	h->wsl_last_ns = o->now_ns;
	h->wsl_last_user = o->cpu_user_ticks;
}

static void ready_check(const struct policy_config *c, struct policy_history *h,
			const struct policy_obs *o);

int policy_observe(const struct policy_config *c, struct policy_history *h,
		   const struct policy_obs *o)
{
	bool growing = false, ready_grew;
	double secs = 0;
	int r;

	h->returned_sample = 0;
	h->nagg = 0;
	if (o->tracker && (r = aggregate(h, o)) < 0)
		return r;
	if (c->mode == POLICY_MODE_WSL_IDLE)
		wsl_idle_fold(c, h, o);
	if (o->tracker) {
		r = hot_fold(c, h, o);
		if (r < 0)
			return r;
	}
	if (o->tracker && h->have_prev && o->now_ns > h->prev_ns) {
		secs = (double)(o->now_ns - h->prev_ns) / NSEC_PER_SEC;
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
	if (h->state == PSTATE_RECLAIM && ready_grew && !h->manual) {
		/* Never while growing: what grew again waits again. */
		h->state = PSTATE_GROWING;
		for (size_t i = 0; i < h->nmembers; i++)
			h->members[i].ready = false;
	}
	if (h->state == PSTATE_GROWING)
		ready_check(c, h, o);
	if (h->state == PSTATE_IDLE && o->host_low && c->mode == POLICY_MODE_AUTO) {
		h->state = PSTATE_HOST;
		h->host_tried = 0;
		h->host_stage = 0;
	} else if (h->state == PSTATE_HOST && !o->host_low) {
		h->state = PSTATE_IDLE;
	}
	if (o->tracker)
		return prev_fold(h, o);
	return 0;
}

/* The members quiet for quiet_period are the episode's reclaimable part:
 * all of them once nothing grows, or, while another build or a busy
 * container keeps growing, those that stopped when they hold episode_min. */
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

bool policy_wants_targets(const struct policy_history *h)
{
	return h->state == PSTATE_RECLAIM || h->state == PSTATE_HOST;
}

/* ---- decisions --------------------------------------------------------- */

void policy_decision_free(struct policy_decision *d)
{
	for (size_t i = 0; i < d->ndirs; i++)
		free(d->dirs[i]);
	free(d->dirs);
	free(d->cgroups);
	free(d->files);
	free(d->hot);
	memset(d, 0, sizeof(*d));
}

__attribute__((format(printf, 3, 4)))
static void say(struct policy_decision *d, const char *reason, const char *fmt, ...)
{
	va_list ap;

	d->reason = reason;
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
}

static void act(const struct policy_config *c, struct policy_decision *d, enum lever l,
		uint64_t targeted, uint64_t wanted)
{
	d->verdict = POLICY_ACT;
	d->lever = l;
	d->bytes_targeted = targeted;
	d->bytes_wanted = wanted;
	d->req.lever = l;
	d->req.bytes_wanted = wanted;
	d->req.step_bytes = c->reclaim_step;
	d->req.max_duration_ns = c->action_timeout_ns;
}

/* The hot set now, sorted by (dev, ino), for lever c to skip and lever d to
 * read back. */
static int hot_list(const struct policy_config *c, const struct policy_history *h,
		    const struct policy_obs *o, struct policy_decision *d)
{
	size_t n = 0;

	d->hot = calloc(h->nhot + 1, sizeof(*d->hot));
	if (!d->hot)
		return -ENOMEM;
	for (size_t i = 0; i < h->nhot; i++)
		if (hot_now(c, &h->hot[i], o->now_ns))
			d->hot[n++] = (struct action_file){ .dev = h->hot[i].dev, .ino = h->hot[i].ino,
							    .gen = h->hot[i].gen, .bytes = h->hot[i].added };
	d->req.hot = d->hot;
	d->req.nhot = n;
	return 0;
}

/* Levers a and b: the cgroups that hold the members' pages, each member
 * reached through its own cgroup or the nearest live ancestor (a removed
 * container's pages stay charged to its offline cgroup and count in the
 * parent), never the root (that is not targeted) and never a frozen one.
 * Returns the bytes reached; 0 = the lever cannot be used. */
static uint64_t cgroup_targets(const struct policy_obs *o, const struct policy_member *mem,
			       size_t nmem, bool v2, struct policy_decision *d, unsigned *frozen,
			       uint64_t *empties)
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
		uint64_t net = sat_sub(f->added, f->removed);

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

static void targets_reset(struct policy_decision *d)
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
static bool targeted_lever(const struct policy_config *c, const struct policy_history *h,
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
			act(c, d, l, bytes, min_u64(wanted, bytes));
			return true;
		}
		targets_reset(d);
		if (used < skipped_len)
			used += (size_t)snprintf(skipped + used, skipped_len - used, "%s%s %s",
						 used ? "; " : "", lever_name(l), why);
	}
	return false;
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
	if (!forced && (double)h->returned >= c->drop_caches_min_share * (double)h->episode_bytes) {
		snprintf(why, whylen, "the targeted levers returned enough");
		return false;
	}
	if (!forced && remaining < c->drop_caches_min) {
		/* Dropping every cache (the user's too) for a small rest: no. */
		snprintf(why, whylen, "less than drop_caches_min left");
		return false;
	}
	if (wanted < remaining) {
		/* drop_caches cannot stop at a floor: only when there is room. */
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
	act(c, d, LEVER_DROP_CACHES, wanted, wanted);
	d->req.restore_hot_set = c->restore_hot_set;
	d->req.restore_budget_bytes = c->restore_budget;
	return true;
}

static bool psi_over(const struct policy_config *c, const struct policy_obs *o,
		     struct policy_decision *d)
{
	if (!o->psi_known || o->psi_full_avg10 <= c->psi_full_max)
		return false;
	say(d, "psi", "memory PSI full avg10 %.2f%% > psi_full_max %g%%: waiting", o->psi_full_avg10,
	    c->psi_full_max);
	return true;
}

/* Room above the floor: page cache that may go (shmem is not droppable). */
static uint64_t floor_room(const struct policy_config *c, const struct policy_history *h,
			   const struct policy_obs *o)
{
	/* What came back since the sample is no longer in page_cache. */
	return sat_sub(sat_sub(sat_sub(o->page_cache, o->shmem), h->returned_sample), c->floor);
}

static bool compact_lever(const struct policy_config *c, const struct policy_history *h,
			  struct policy_decision *d)
{
	bool forced = h->force_lever == LEVER_COMPACT;

	if (h->tried & BIT(LEVER_COMPACT))
		return false;
	if (!forced && (!c->compact || h->returned < c->compact_min))
		return false;
	act(c, d, LEVER_COMPACT, h->returned, 0);
	say(d, "compact", "%llu bytes came back: compact so they form reportable blocks",
	    (unsigned long long)h->returned);
	return true;
}

static int episode_decide(const struct policy_config *c, struct policy_history *h,
			  const struct policy_obs *o, struct policy_decision *d)
{
	_cleanup_free_ struct policy_member *ready = calloc(h->nmembers + 1, sizeof(*ready));
	size_t nready = 0;
	uint64_t net;
	uint64_t remaining;
	uint64_t room, wanted;
	char skipped[320], why[96] = "";

	if (!ready)
		return -ENOMEM;
	for (size_t i = 0; i < h->nmembers; i++)
		if (h->members[i].ready)
			ready[nready++] = h->members[i];
	net = members_net(ready, nready);
	remaining = min_u64(net, sat_sub(h->episode_bytes, h->returned));
	if (!o->mem_known) {
		say(d, "no-meminfo", "/proc/meminfo unreadable: not acting blind");
		return 0;
	}
	if (psi_over(c, o, d))
		return 0;
	room = floor_room(c, h, o);
	if (h->manual && !h->episode_bytes)
		remaining = room;  /* nothing attributed: let the levers measure */
	wanted = min_u64(remaining, room);
	skipped[0] = '\0';
	if (wanted >= c->lever_min) {
		if (targeted_lever(c, h, o, ready, nready, h->tried, wanted, room, d, skipped,
				   sizeof(skipped))) {
			say(d, h->tried ? "fallback" : (h->manual ? "manual" : "episode-end"),
			    "episode %llu: %llu bytes left of %llu%s%s", (unsigned long long)h->episode,
			    (unsigned long long)remaining, (unsigned long long)h->episode_bytes,
			    skipped[0] ? "; " : "", skipped);
			return 0;
		}
		if (drop_caches_lever(c, h, o, wanted, remaining, d, why, sizeof(why))) {
			say(d, "last-resort", "episode %llu: %llu bytes left, no targeted lever reached "
			    "enough (%s)", (unsigned long long)h->episode, (unsigned long long)remaining,
			    skipped[0] ? skipped : "all tried");
			return 0;
		}
		targets_reset(d);
	}
	if (compact_lever(c, h, d))
		return 0;
	if (h->returned)
		say(d, "done", "episode %llu: %llu of %llu bytes came back", (unsigned long long)h->episode,
		    (unsigned long long)h->returned, (unsigned long long)h->episode_bytes);
	else if (room < c->lever_min || room < remaining)
		say(d, "floor", "episode %llu: page cache is at the floor (%llu bytes)",
		    (unsigned long long)h->episode, (unsigned long long)c->floor);
	else if (remaining < c->lever_min)
		say(d, "nothing-left", "episode %llu: its pages are gone already",
		    (unsigned long long)h->episode);
	else
		say(d, "no-lever", "episode %llu: no lever reaches its pages (%s%s%s)",
		    (unsigned long long)h->episode, skipped, skipped[0] && why[0] ? "; " : "", why);
	episode_close(h);
	return 0;
}

/* Windows is low on memory: cold page cache beyond the floor in bounded
 * steps, the build-attributed first, then memory.reclaim on the root cgroup
 * (kept off anonymous memory by the lever), backing off when stalls or
 * refaults rise. */
static int host_decide(const struct policy_config *c, struct policy_history *h,
		       const struct policy_obs *o, struct policy_decision *d)
{
	_cleanup_free_ struct policy_member *mem = NULL;
	uint64_t room, step;
	size_t n = 0;
	char skipped[320];

	if (!o->mem_known) {
		say(d, "no-meminfo", "/proc/meminfo unreadable: not acting blind");
		return 0;
	}
	if (o->now_ns < h->host_hold_until) {
		say(d, "host-wait", "host-pressure step held until the back-off ends");
		return 0;
	}
	if (psi_over(c, o, d)) {
		h->host_hold_until = o->now_ns + c->backoff_ns;
		return 0;
	}
	if (h->host_refault_known && o->refault_known && o->now_ns > h->host_last_ns) {
		double rate = (double)sat_sub(o->refault_bytes, h->host_last_refault) * NSEC_PER_SEC /
			      (double)(o->now_ns - h->host_last_ns);

		if (rate > (double)c->refault_max) {
			h->host_hold_until = o->now_ns + c->backoff_ns;
			h->host_refault_known = false;
			say(d, "refaults", "file refaults at %.0f bytes/s > refault_max: backing off", rate);
			return 0;
		}
	}
	if (h->host_last_ns && o->now_ns - h->host_last_ns < c->host_interval_ns) {
		say(d, "host-wait", "next host-pressure step in under %llu ms",
		    (unsigned long long)(c->host_interval_ns / 1000000));
		return 0;
	}
	room = floor_room(c, h, o);
	step = min_u64(c->host_step, room);
	if (step < c->lever_min) {
		say(d, "floor", "Windows is low on memory but page cache is at the floor");
		return 0;
	}
	if (h->host_stage == 0) {
		mem = calloc(h->nagg + 1, sizeof(*mem));
		if (!mem)
			return -ENOMEM;
		for (size_t i = 0; i < h->nagg; i++)
			if (h->agg[i].added > h->agg[i].removed)
				mem[n++] = h->agg[i];
		if (targeted_lever(c, h, o, mem, n, h->host_tried, step, room, d, skipped,
				   sizeof(skipped))) {
			say(d, "host-low", "Windows is low on memory: build-attributed cache first");
			goto chosen;
		}
		h->host_stage = 1;
	}
	if (h->host_stage == 1 && o->memcg == MEMCG_V2) {
		d->cgroups = calloc(1, sizeof(*d->cgroups));
		if (!d->cgroups)
			return -ENOMEM;
		d->cgroups[0] = (struct action_cgroup){ .v2_path = "/", .bytes = step };
		act(c, d, LEVER_MEMCG_RECLAIM, step, step);
		d->req.cgroups = d->cgroups;
		d->req.ncgroups = 1;
		say(d, "host-low-root", "Windows is low on memory: memory.reclaim on the root cgroup, "
		    "file pages only");
		goto chosen;
	}
	h->host_stage = 2;
	say(d, "host-low-no-lever", "Windows is low on memory and no lever is left to use");
	return 0;
chosen:
	h->host_last_refault = o->refault_bytes;
	h->host_refault_known = o->refault_known;
	return 0;
}

static int wsl_idle_decide(const struct policy_config *c, struct policy_history *h,
			   const struct policy_obs *o, struct policy_decision *d)
{
	if (h->wsl_idle_count >= c->wsl_idle_samples && !h->wsl_fired) {
		act(c, d, LEVER_DROP_CACHES, o->page_cache, 0);
		say(d, "wsl-idle", "user CPU idle for %u polls: dropCache as WSL does",
		    h->wsl_idle_count);
		return 0;
	}
	if (h->wsl_compact_due) {
		act(c, d, LEVER_COMPACT, 0, 0);
		say(d, "wsl-idle", "user CPU idle for a poll: compact as WSL does");
		return 0;
	}
	say(d, "wsl-idle-wait", "idle polls %u of %u", h->wsl_idle_count, c->wsl_idle_samples);
	return 0;
}

/* A follower decides as the leader would but never acts: it moves on as if
 * it had, so the same decision is not taken again every second. */
static void follower_skip(const struct policy_config *c, struct policy_history *h,
			  struct policy_decision *d, uint64_t now)
{
	enum lever l = d->lever;

	targets_reset(d);
	d->verdict = POLICY_NONE;
	d->reason = "follower";
	snprintf(d->detail, sizeof(d->detail), "the leader reclaims (this agent would use %s)",
		 lever_name(l));
	if (c->mode == POLICY_MODE_WSL_IDLE) {
		if (l == LEVER_DROP_CACHES)
			h->wsl_fired = true;
		h->wsl_compact_due = false;
	} else if (h->state == PSTATE_RECLAIM) {
		episode_close(h);
	} else if (h->state == PSTATE_HOST) {
		h->host_last_ns = now;
	}
}

int policy_decide(const struct policy_config *c, struct policy_history *h,
		  const struct policy_obs *o, struct policy_decision *d)
{
	int r = 0;

	memset(d, 0, sizeof(*d));
	d->episode = h->episode;
	d->reason = "idle";
	if (c->mode == POLICY_MODE_OFF) {
		if (h->state == PSTATE_RECLAIM || h->state == PSTATE_HOST) {
			say(d, "mode-off", "mode=off: episode %llu left alone",
			    (unsigned long long)h->episode);
			episode_close(h);
		}
		return 0;
	}
	if (c->mode == POLICY_MODE_WSL_IDLE)
		r = wsl_idle_decide(c, h, o, d);
	else if (h->state == PSTATE_GROWING)
		say(d, "growing", "episode %llu growing at %.0f bytes/s", (unsigned long long)h->episode,
		    h->growth_rate);
	else if (h->state == PSTATE_RECLAIM)
		r = episode_decide(c, h, o, d);
	else if (h->state == PSTATE_HOST)
		r = host_decide(c, h, o, d);
	if (r < 0) {
		policy_decision_free(d);
		d->reason = "no-memory";
		return r;
	}
	if (d->verdict == POLICY_ACT && !o->leader)
		follower_skip(c, h, d, o->now_ns);
	return 0;
}

void policy_record(const struct policy_config *c, struct policy_history *h,
		   const struct policy_decision *d, const struct action_result *r, uint64_t now_ns)
{
	enum lever l = d->lever;
	uint64_t got = r->dry_run ? d->bytes_targeted : r->bytes_returned;
	uint64_t aimed = r->dry_run ? d->bytes_targeted : r->bytes_targeted;
	bool little = !r->dry_run && l != LEVER_COMPACT &&
		      (double)got < c->lever_min_share * (double)aimed &&
		      (r->error || aimed >= c->lever_min) &&
		      !r->exhausted;  /* EAGAIN: nothing more to take, not a failure */

	if (d->verdict != POLICY_ACT)
		return;
	if (l != LEVER_COMPACT)
		h->returned_sample += got;
	if (little) {
		h->backoff_cur[l] = h->backoff_cur[l] ? min_u64(h->backoff_cur[l] * 2, c->backoff_max_ns)
						      : c->backoff_ns;
		h->backoff_until[l] = now_ns + h->backoff_cur[l];
	} else if (l != LEVER_COMPACT && !r->dry_run) {
		h->backoff_cur[l] = 0;
	}
	if (l == LEVER_DROP_CACHES) {
		h->dropped_once = true;
		h->last_drop_ns = now_ns;
	}
	if (c->mode == POLICY_MODE_WSL_IDLE) {
		if (l == LEVER_DROP_CACHES)
			h->wsl_fired = true;
		else
			h->wsl_compact_due = false;
		return;
	}
	if (h->state == PSTATE_HOST) {
		h->host_last_ns = now_ns;
		if (little && h->host_stage == 0)
			h->host_tried |= BIT(l);
		else if (little)
			h->host_stage = 2;
		return;
	}
	if (h->state != PSTATE_RECLAIM)
		return;
	h->tried |= BIT(l);
	if (l != LEVER_COMPACT)
		h->returned += got;  /* the next decision closes the episode: "done" */
}

int policy_begin_manual(struct policy_history *h, const struct policy_obs *o, int force_lever)
{
	h->nmembers = 0;
	if (aggregate(h, o) < 0 ||
	    grow((void **)&h->members, &h->members_cap, h->nagg + 1, sizeof(*h->members)) < 0)
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
