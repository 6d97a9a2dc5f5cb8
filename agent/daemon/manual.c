/* SPDX-License-Identifier: MIT */
#include "daemon/manual.h"

#include <errno.h>

#include "runlog/record.h"

json_t *manual_decision_json(const struct policy_decision *d)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "episode", (json_int_t)d->episode,
			 "lever", d->verdict == POLICY_ACT ? lever_name(d->req.lever) : "none",
			 "reason", d->reason, "detail", d->detail,
			 "targeted_bytes", (json_int_t)d->bytes_targeted,
			 "wanted_bytes", (json_int_t)d->req.bytes_wanted);
}

static void on_decision(void *u, const struct policy_decision *d, enum policy_state before)
{
	struct manual_reclaim *m = u;

	if (m->log_decisions)
		dlog_decision(m->log, d, before, m->dry_run);
	if (d->verdict != POLICY_ACT)
		json_object_set_new(m->doc, "decision", manual_decision_json(d));
}

static void on_action(void *u, const struct policy_decision *d, const struct action_result *r)
{
	struct manual_reclaim *m = u;
	struct action_record rec;
	json_t *item;

	if (r->error)
		m->failed = true;
	action_record_make(&rec, d, r);
	m->returned += action_record_returned(&rec);
	dlog_action(m->log, d, r);
	if (m->on_action)
		m->on_action(m->u, d, r);
	item = manual_decision_json(d);
	if (item)
		json_object_set_new(item, "result", action_record_json(&rec));
	json_array_append_new(json_object_get(m->doc, "actions"), item);
}

int manual_reclaim_run(struct manual_reclaim *m, struct engine *e)
{
	struct policy_history h;
	struct policy_obs obs = { .leader = true };
	json_t *list;
	int r;

	m->returned = 0;
	m->failed = false;
	m->doc = json_object();
	list = json_array();
	if (!m->doc || !list || json_object_set_new(m->doc, "actions", list) < 0)
		return -ENOMEM;
	e->dry_run = m->dry_run;
	e->docker_cgroups = true;
	e->hooks = (struct engine_hooks){ .on_decision = on_decision, .on_action = on_action,
					  .ud = m };
	policy_init(&h);
	obs.now_ns = engine_now(e, false);
	obs.realtime_ns = engine_now(e, true);
	r = engine_observe(e, m->cfg, &h, NULL, &obs);
	if (r >= 0)
		r = policy_begin_manual(&h, &obs, m->lever);
	if (r >= 0)
		r = engine_run(e, m->cfg, &h, NULL, &obs);
	if (r < 0)
		m->failed = true;
	json_object_set_new(m->doc, "dry_run", json_boolean(m->dry_run));
	json_object_set_new(m->doc, "returned_bytes", json_integer((json_int_t)m->returned));
	policy_history_free(&h);
	return r < 0 ? r : 0;
}
