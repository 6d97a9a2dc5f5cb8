/* SPDX-License-Identifier: MIT */
#include "policy/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Windows is low on memory: cold page cache beyond the floor in bounded
 * steps, the build-attributed first, then memory.reclaim on the root cgroup
 * (kept off anonymous memory by the lever, the hot set read back), backing
 * off when stalls or refaults rise. */
int host_decide(const struct policy_config *c, struct policy_history *h,
		       const struct policy_obs *o, struct policy_decision *d)
{
	_cleanup_free_ struct policy_member *mem = NULL;
	uint64_t room, step;
	size_t n = 0;
	char skipped[320];

	if (!o->mem_known) {
		decision_say(d, "no-meminfo", "/proc/meminfo unreadable: not acting blind");
		return 0;
	}
	if (o->now_ns < h->host_hold_until) {
		decision_say(d, "host-wait", "host-pressure step held until the back-off ends");
		return 0;
	}
	if (psi_over(c, o, d)) {
		h->host_hold_until = o->now_ns + c->backoff_ns;
		return 0;
	}
	if (h->host_refault_known && o->refault_known && o->now_ns > h->host_last_ns) {
		double rate = (double)sat_sub64(o->refault_bytes, h->host_last_refault) * NSEC_PER_SEC /
			      (double)(o->now_ns - h->host_last_ns);

		if (rate > (double)c->refault_max) {
			h->host_hold_until = o->now_ns + c->backoff_ns;
			h->host_refault_known = false;
			decision_say(d, "refaults", "file refaults at %.0f bytes/s > refault_max: backing off", rate);
			return 0;
		}
	}
	if (h->host_last_ns && o->now_ns - h->host_last_ns < c->host_interval_ns) {
		decision_say(d, "host-wait", "next host-pressure step in under %llu ms",
		    (unsigned long long)(c->host_interval_ns / 1000000));
		return 0;
	}
	room = floor_room(c, h, o);
	step = min_u64(c->host_step, room);
	if (step < c->lever_min) {
		decision_say(d, "floor", "Windows is low on memory but page cache is at the floor");
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
			decision_say(d, "host-low", "Windows is low on memory: build-attributed cache first");
			goto chosen;
		}
		h->host_stage = 1;
	}
	if (h->host_stage == 1 && o->memcg == MEMCG_V2) {
		/* The root's reclaim takes the inactive list first, where a file
		 * the user read once lies (WSL's kernel has no MGLRU): the hot set
		 * is read back, as after an episode's finish.  Read twice, it is
		 * on the active list and the next steps leave it. */
		if (root_reclaim(c, o, step, d) < 0 || hot_list(c, h, o, d) < 0)
			return -ENOMEM;
		d->req.restore_hot_set = c->restore_hot_set;
		d->req.restore_budget_bytes = c->restore_budget;
		decision_say(d, "host-low-root", "Windows is low on memory: memory.reclaim on the root cgroup, "
		    "file pages only");
		goto chosen;
	}
	h->host_stage = 2;
	decision_say(d, "host-low-no-lever", "Windows is low on memory and no lever is left to use");
	return 0;
chosen:
	h->host_last_refault = o->refault_bytes;
	h->host_refault_known = o->refault_known;
	return 0;
}
