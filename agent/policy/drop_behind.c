/* SPDX-License-Identifier: MIT */
#include "policy/internal.h"

#include <stdio.h>

/* Drop-behind: a build whose page cache outgrows a working set gives back
 * what it wrote while it runs, so that at its end it holds little and the
 * host gets the rest within seconds: free page reporting returns some
 * 200-250 MiB/s, so a 10 GiB build cannot be back 20 s after its end if
 * nothing went before.  Senpai-style bounded steps: memory.reclaim on the
 * cgroups that hold the episode's pages (the engine's too, by id across a
 * cgroup namespace), at most one step per drop_behind_interval.  When file
 * refaults rise after a step (PSI is off on WSL), it backs off, doubling up
 * to backoff_max.  cgroup v2 only: v1's force_empty cannot stop at a step.
 * Its back-off is its own: the episode's levers at its end are untouched.
 * What it takes the build reads once more at its end (the legacy builder's
 * commit, BuildKit's export read every byte a step wrote), and reclaim
 * cannot tell those pages apart: without MGLRU (WSL's kernel) a page read
 * once after it was written stays inactive in write order, so the oldest
 * writes go first, read or not (docs/benchmarks.md, drop-behind).  So by
 * default (auto) it runs only while the bridge says Windows is low on
 * memory: then a re-read costs less than Windows paging. */

void drop_behind_reset(struct policy_history *h)
{
	h->db_last_ns = 0;
	h->db_refault_known = false;
	h->db_hold_until = 0;
	h->db_backoff_cur = 0;
	h->db_returned = 0;
	h->db_refault_base_known = false;
}

/* What the episode's members wrote: their gross additions since they
 * joined, less the file refaults since drop-behind first looked.  A page
 * drop-behind gave back and the build read again is added once more; it
 * was written once, and counting it twice would let the episode keep more
 * at every step (the refaults are the machine's, so this errs low). */
static uint64_t episode_written(struct policy_history *h, const struct policy_obs *o)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < h->nmembers; i++)
		sum += sat_sub64(h->members[i].added, h->members[i].base_added);
	if (!o->refault_known)
		return sum;
	if (!h->db_refault_base_known) {
		h->db_refault_base = o->refault_bytes;
		h->db_refault_base_known = true;
	}
	return sat_sub64(sum, sat_sub64(o->refault_bytes, h->db_refault_base));
}

/* Whether drop-behind may run at all for this sample. */
static bool drop_behind_on(const struct policy_config *c, const struct policy_history *h,
			   const struct policy_obs *o)
{
	if (h->manual || o->memcg != MEMCG_V2 || !o->mem_known)
		return false;
	return c->drop_behind == DROP_BEHIND_YES || (c->drop_behind == DROP_BEHIND_AUTO && o->host_low);
}

/* File refaults since the last step above refault_max: the build reads
 * back what was given; back off. */
static bool refaults_rose(const struct policy_config *c, struct policy_history *h,
			  const struct policy_obs *o, struct policy_decision *d)
{
	double rate;

	if (!h->db_refault_known || !o->refault_known || o->now_ns <= h->db_last_ns)
		return false;
	rate = (double)sat_sub64(o->refault_bytes, h->db_last_refault) * NSEC_PER_SEC /
	       (double)(o->now_ns - h->db_last_ns);
	h->db_refault_known = false;
	if (rate <= (double)c->refault_max) {
		h->db_backoff_cur = 0;
		return false;
	}
	h->db_backoff_cur = h->db_backoff_cur ? min_u64(h->db_backoff_cur * 2, c->backoff_max_ns)
					      : c->backoff_ns;
	h->db_hold_until = o->now_ns + h->db_backoff_cur;
	decision_say(d, "refaults", "episode %llu: file refaults at %.0f bytes/s > refault_max after a "
		     "drop-behind step: next step in %llu s", (unsigned long long)h->episode, rate,
		     (unsigned long long)(h->db_backoff_cur / NSEC_PER_SEC));
	return true;
}

bool drop_behind_decide(const struct policy_config *c, struct policy_history *h,
			const struct policy_obs *o, struct policy_decision *d)
{
	uint64_t written, held, keep, bytes, empties;
	unsigned frozen = 0;

	if (!drop_behind_on(c, h, o))
		return false;
	written = episode_written(h, o);
	held = members_net(h->members, h->nmembers);
	keep = (uint64_t)(c->drop_behind_share * (double)written);
	if (keep < c->drop_behind_min)
		keep = c->drop_behind_min;
	if (held < keep + c->lever_min || o->now_ns < h->db_hold_until ||
	    (h->db_last_ns && o->now_ns - h->db_last_ns < c->drop_behind_interval_ns))
		return false;
	if (refaults_rose(c, h, o, d) || psi_over(c, o, d))
		return true;
	bytes = cgroup_targets(o, h->members, h->nmembers, true, d, &frozen, &empties);
	if (bytes < c->lever_min) {
		targets_reset(d);
		return false;  /* the root or frozen cgroups hold it: the episode's end will */
	}
	/* All it holds beyond what it keeps, in reclaim_step writes: a build
	 * writes faster than one step a second, and its newest pages are
	 * still dirty (reclaim cannot take them yet). */
	decision_act(c, d, LEVER_MEMCG_RECLAIM, bytes, held - keep);
	d->drop_behind = true;
	decision_say(d, "drop-behind", "episode %llu holds %llu of the %llu bytes it wrote (keeps %llu): "
		     "a bounded step while it runs%s", (unsigned long long)h->episode,
		     (unsigned long long)held, (unsigned long long)written, (unsigned long long)keep,
		     c->drop_behind == DROP_BEHIND_AUTO ? ", Windows low on memory" : "");
	h->db_last_refault = o->refault_bytes;
	h->db_refault_known = o->refault_known;
	return true;
}

void drop_behind_record(struct policy_history *h, const struct policy_decision *d,
			const struct action_result *r, uint64_t now_ns)
{
	h->db_last_ns = now_ns;
	/* In dry-run nothing came back: taken to be the step, as for the levers. */
	h->db_returned += r->dry_run ? d->req.bytes_wanted : r->bytes_returned;
}
