/* SPDX-License-Identifier: MIT */
#include "daemon/manual.h"

#include <errno.h>
#include <time.h>

#include "actions/action_json.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

json_t *manual_decision_json(const struct policy_decision *d)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "episode", (json_int_t)d->episode,
			 "lever", d->verdict == POLICY_ACT ? lever_name(d->lever) : "none",
			 "reason", d->reason, "detail", d->detail,
			 "bytes_targeted", (json_int_t)d->bytes_targeted,
			 "bytes_wanted", (json_int_t)d->bytes_wanted);
}

int manual_reclaim_run(struct manual_reclaim *m, struct observer *ob)
{
	struct policy_history h;
	struct policy_obs obs = { .leader = true };
	json_t *list;
	int r = 0;

	m->returned = 0;
	m->failed = false;
	m->doc = json_object();
	list = json_array();
	if (!m->doc || !list || json_object_set_new(m->doc, "actions", list) < 0)
		return -ENOMEM;
	policy_init(&h);
	obs.now_ns = now_ns();
	observe_memory(ob, false, &obs);
	observe_act_inputs(ob, &obs);
	if (observe_docker_cgroups(ob, &obs) < 0 || policy_begin_manual(&h, &obs, m->lever) < 0) {
		r = -ENOMEM;
		goto out;
	}
	for (int round = 0; round <= _LEVER_MAX; round++) {
		struct policy_decision d;
		struct action_result res = { 0 };
		json_t *item;
		enum policy_state before = h.state;

		obs.now_ns = now_ns();
		if (policy_decide(m->cfg, &h, &obs, &d) < 0) {
			r = -ENOMEM;
			m->failed = true;
			break;
		}
		if (m->log_decisions)
			dlog_decision(m->log, &d, before, m->dry_run);
		if (d.verdict != POLICY_ACT) {
			json_object_set_new(m->doc, "decision", manual_decision_json(&d));
			policy_decision_free(&d);
			break;
		}
		d.req.dry_run = m->dry_run;
		d.req.root = m->root;
		action_run(&d.req, &res);
		if (res.error)
			m->failed = true;
		if (d.lever != LEVER_COMPACT)
			m->returned += res.bytes_returned;
		dlog_action(m->log, &d, &res);
		if (m->on_action)
			m->on_action(m->u, &d, &res);
		item = manual_decision_json(&d);
		if (item)
			json_object_set_new(item, "result", action_result_json(&res));
		json_array_append_new(list, item);
		policy_record(m->cfg, &h, &d, &res, now_ns());
		/* The cache the levers measured is what is left now. */
		observe_reset(ob);
		observe_memory(ob, false, &obs);
		observe_act_inputs(ob, &obs);
		observe_docker_cgroups(ob, &obs);
		policy_decision_free(&d);
	}
	json_object_set_new(m->doc, "dry_run", json_boolean(m->dry_run));
	json_object_set_new(m->doc, "bytes_returned", json_integer((json_int_t)m->returned));
out:
	observe_reset(ob);
	policy_history_free(&h);
	return r;
}
