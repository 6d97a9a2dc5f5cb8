/* SPDX-License-Identifier: MIT */
#include "policy/internal.h"

#include <stdio.h>

/* mode=wsl-idle: WSL's released idle-gated dropCache, as a baseline. */

/* WSL's released algorithm (REFERENCE.md section 1): every poll, idle when
 * the user CPU time of the interval is at most wsl_idle_user_max percent
 * of nprocs x CLK_TCK x the interval; dropCache after wsl_idle_samples idle
 * polls in a row, once per idle period; compaction on every idle poll. */
void wsl_idle_fold(const struct policy_config *c, struct policy_history *h,
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
	used = sat_sub64(o->cpu_user_ticks, h->wsl_last_user);
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

int wsl_idle_decide(const struct policy_config *c, struct policy_history *h,
			   const struct policy_obs *o, struct policy_decision *d)
{
	if (h->wsl_idle_count >= c->wsl_idle_samples && !h->wsl_fired) {
		decision_act(c, d, LEVER_DROP_CACHES, o->page_cache, 0);
		decision_say(d, "wsl-idle", "user CPU idle for %u polls: dropCache as WSL does",
		    h->wsl_idle_count);
		return 0;
	}
	if (h->wsl_compact_due) {
		decision_act(c, d, LEVER_COMPACT, 0, 0);
		decision_say(d, "wsl-idle", "user CPU idle for a poll: compact as WSL does");
		return 0;
	}
	decision_say(d, "wsl-idle-wait", "idle polls %u of %u", h->wsl_idle_count, c->wsl_idle_samples);
	return 0;
}
