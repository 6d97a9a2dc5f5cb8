/* SPDX-License-Identifier: MIT */
#include "policy/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The policy's core: the history, one sample folded in by the
 * sub-policies (episode.c, hot.c, host.c, wsl_idle.c), the decision
 * handed to the one that owns the state (levers.c for an ended episode)
 * and the lever's result fed back. */

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

void policy_init(struct policy_history *h)
{
	memset(h, 0, sizeof(*h));
	h->force_lever = -1;
}

void policy_history_free(struct policy_history *h)
{
	free(h->members);
	free(h->agg);
	free(h->hot);
	policy_init(h);
}

bool policy_may_act(const struct policy_config *c, const struct policy_history *h,
		    bool host_low)
{
	if (c->mode != POLICY_MODE_AUTO)
		return false;
	/* An episode may end, or host pressure begin, in this sample; with no
	 * quiet period one may even open and end in it. */
	return h->state != PSTATE_IDLE || host_low || !c->quiet_period_ns;
}

void policy_reobserved(struct policy_history *h)
{
	h->returned_sample = 0;
}

int policy_observe(const struct policy_config *c, struct policy_history *h,
		   const struct policy_obs *o)
{
	int r;

	h->returned_sample = 0;
	h->nagg = 0;
	if (o->tracker && (r = aggregate(h, o)) < 0)
		return r;
	if (c->mode == POLICY_MODE_WSL_IDLE)
		wsl_idle_fold(c, h, o);
	if (o->tracker && (r = hot_fold(c, h, o)) < 0)
		return r;
	r = episode_fold(c, h, o);
	if (r < 0)
		return r;
	if (h->state == PSTATE_IDLE && o->host_low && c->mode == POLICY_MODE_AUTO) {
		h->state = PSTATE_HOST;
		h->host_tried = 0;
		h->host_stage = 0;
	} else if (h->state == PSTATE_HOST && !o->host_low) {
		h->state = PSTATE_IDLE;
	}
	if (o->tracker) {
		h->prev_ns = o->now_ns;
		h->have_prev = true;
	}
	return 0;
}

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
void decision_say(struct policy_decision *d, const char *reason, const char *fmt, ...)
{
	va_list ap;

	d->reason = reason;
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
}

void decision_act(const struct policy_config *c, struct policy_decision *d, enum lever l,
		uint64_t targeted, uint64_t wanted)
{
	d->verdict = POLICY_ACT;
	d->bytes_targeted = targeted;
	d->req.lever = l;
	d->req.bytes_wanted = wanted;
	d->req.step_bytes = c->reclaim_step;
	d->req.max_duration_ns = c->action_timeout_ns;
}

/* A follower decides as the leader would but never acts: it moves on as if
 * it had, so the same decision is not taken again every second. */
static void follower_skip(const struct policy_config *c, struct policy_history *h,
			  struct policy_decision *d, uint64_t now)
{
	enum lever l = d->req.lever;

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
			decision_say(d, "mode-off", "mode=off: episode %llu left alone",
			    (unsigned long long)h->episode);
			episode_close(h);
		}
		return 0;
	}
	if (c->mode == POLICY_MODE_WSL_IDLE)
		r = wsl_idle_decide(c, h, o, d);
	else if (h->state == PSTATE_GROWING && drop_behind_decide(c, h, o, d))
		;  /* a step, or why it waits (d says) */
	else if (episode_held(c, h, o))
		decision_say(d, "growing", "episode %llu: a build is running (held up to "
			     "build_hold_max)", (unsigned long long)h->episode);
	else if (h->state == PSTATE_GROWING)
		decision_say(d, "growing", "episode %llu growing at %.0f bytes/s",
			     (unsigned long long)h->episode, h->growth_rate);
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
	enum lever l = d->req.lever;
	uint64_t got = r->dry_run ? d->bytes_targeted : r->bytes_returned;
	uint64_t aimed = r->dry_run ? d->bytes_targeted : r->bytes_targeted;
	bool little = !r->dry_run && l != LEVER_COMPACT &&
		      (double)got < c->lever_min_share * (double)aimed &&
		      (r->error || aimed >= c->lever_min) &&
		      !r->exhausted;  /* EAGAIN: nothing more to take, not a failure */

	if (d->verdict != POLICY_ACT)
		return;
	if (d->drop_behind) {  /* its own back-off: the episode's levers are not touched */
		drop_behind_record(h, d, r, now_ns);
		return;
	}
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
	h->tried |= d->finish_root ? TRIED_ROOT : BIT(l);
	if (l != LEVER_COMPACT)
		h->returned += got;  /* the next decision closes the episode: "done" */
}

