/* SPDX-License-Identifier: MIT */
#include "policy/internal.h"

#include <stdio.h>

/* Drop-behind: a build whose page cache outgrows a working set gives back
 * what it wrote while it runs, so that at its end it holds little and the
 * host gets the rest within seconds: free page reporting returns some
 * 200-250 MiB/s, so a 10 GiB build cannot be back 20 s after its end if
 * nothing went before.  Senpai-style bounded steps: memory.reclaim on the
 * cgroups that hold the episode's pages (the engine's too, by id across a
 * cgroup namespace), at most one step per drop_behind_interval.  Cgroup
 * reclaim takes the inactive list first, where written-once pages are;
 * what the build reads again is promoted to the active list.  When file
 * refaults rise after a step (PSI is off on WSL), it backs off, doubling up
 * to backoff_max.  cgroup v2 only: v1's force_empty cannot stop at a step.
 * Its back-off is its own: the episode's levers at its end are untouched. */

void drop_behind_reset(struct policy_history *h)
{
	h->db_last_ns = 0;
	h->db_refault_known = false;
	h->db_hold_until = 0;
	h->db_backoff_cur = 0;
	h->db_returned = 0;
}

/* What the episode's members wrote (gross additions since they joined). */
static uint64_t episode_written(const struct policy_history *h)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < h->nmembers; i++)
		sum += sat_sub64(h->members[i].added, h->members[i].base_added);
	return sum;
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

	if (!c->drop_behind || h->manual || o->memcg != MEMCG_V2 || !o->mem_known)
		return false;
	written = episode_written(h);
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
		     "a bounded step while it runs", (unsigned long long)h->episode,
		     (unsigned long long)held, (unsigned long long)written, (unsigned long long)keep);
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
