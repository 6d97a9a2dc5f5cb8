/* SPDX-License-Identifier: MIT */
#include "engine/engine.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "shared/util.h"

/* Every lever once, and the decision that says none is left. */
#define RUN_ROUNDS (_LEVER_MAX + 1)

int engine_init(struct engine *e, const char *root, const char *docker_root,
		struct resolver *res)
{
	e->root = root;
	return observer_init(&e->ob, root, docker_root, res);
}

void engine_free(struct engine *e)
{
	observer_free(&e->ob);
}

uint64_t engine_now(const struct engine *e, bool realtime)
{
	if (e->hooks.now)
		return e->hooks.now(e->hooks.ud, realtime);
	return clock_now_ns(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC);
}

/* The sample's reads, targets or not. */
static int observe(struct engine *e, const struct policy_config *c, const struct ledger *l,
		   bool targets, struct policy_obs *o)
{
	observe_reset(&e->ob);
	observe_memory(&e->ob, c->mode == POLICY_MODE_WSL_IDLE, o);
	if (targets)
		observe_act_inputs(&e->ob, o);
	if (e->docker_cgroups)
		return observe_docker_cgroups(&e->ob, o);
	if (l)
		return observe_ledger(&e->ob, l, targets, o);
	o->tracker = false;
	o->cgroups = NULL;
	o->files = NULL;
	o->ncgroups = o->nfiles = 0;
	return 0;
}

int engine_observe(struct engine *e, const struct policy_config *c,
		   const struct policy_history *h, const struct ledger *l, struct policy_obs *o)
{
	o->files_out_of_reach = e->files_out_of_reach;
	o->root_by_id = e->root_by_id;
	return observe(e, c, l, e->docker_cgroups || policy_may_act(c, h, o->host_low), o);
}

static int act(struct engine *e, const struct action_request *q, struct action_result *r)
{
	memset(r, 0, sizeof(*r));
	return e->hooks.act ? e->hooks.act(e->hooks.ud, q, r) : action_run(q, r);
}

int engine_run(struct engine *e, const struct policy_config *c, struct policy_history *h,
	       const struct ledger *l, struct policy_obs *o)
{
	for (int round = 0; round < RUN_ROUNDS; round++) {
		struct policy_decision d;
		struct action_result res;
		enum policy_state before = h->state;
		int r;

		if (e->hooks.stop && e->hooks.stop(e->hooks.ud))
			return 0;
		r = policy_decide(c, h, o, &d);
		if (r < 0)
			return r;
		if (e->hooks.on_decision)
			e->hooks.on_decision(e->hooks.ud, &d, before);
		if (d.verdict != POLICY_ACT) {
			policy_decision_free(&d);
			return 0;
		}
		d.req.dry_run = e->dry_run;
		d.req.root = e->root;
		act(e, &d.req, &res);  /* the error is in res, for the record */
		if (e->hooks.on_action)
			e->hooks.on_action(e->hooks.ud, &d, &res);
		o->now_ns = engine_now(e, false);
		o->realtime_ns = engine_now(e, true);
		policy_record(c, h, &d, &res, o->now_ns);
		policy_decision_free(&d);
		/* What the lever left is what the next decision sees. */
		r = observe(e, c, l, true, o);
		if (r < 0)
			return r;
		policy_reobserved(h);
	}
	return 0;
}
