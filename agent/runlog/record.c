/* SPDX-License-Identifier: MIT */
#include "runlog/record.h"

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "shared/json_util.h"
#include "shared/util.h"

void action_record_make(struct action_record *rec, const struct policy_decision *d,
			const struct action_result *r)
{
	memset(rec, 0, sizeof(*rec));
	rec->res = *r;
	if (!d)
		return;
	rec->episode = d->episode;
	snprintf(rec->reason, sizeof(rec->reason), "%s", d->reason ? d->reason : "");
}

uint64_t action_record_returned(const struct action_record *rec)
{
	return rec->res.lever == LEVER_COMPACT || rec->res.dry_run ? 0 : rec->res.bytes_returned;
}

/* ---- getters ---- */

static bool get_episode(const struct action_record *rec, struct record_value *v)
{
	v->u = rec->episode;
	return true;
}

static bool get_lever(const struct action_record *rec, struct record_value *v)
{
	v->s = lever_name(rec->res.lever);
	return true;
}

static bool get_reason(const struct action_record *rec, struct record_value *v)
{
	v->s = rec->reason;
	return rec->reason[0];
}

static bool get_dry_run(const struct action_record *rec, struct record_value *v)
{
	v->b = rec->res.dry_run;
	return true;
}

static bool get_errno(const struct action_record *rec, struct record_value *v)
{
	if (!rec->res.error)
		return false;
	v->s = strerrorname_np(-rec->res.error) ?: "EUNKNOWN";
	return true;
}

static bool get_error_where(const struct action_record *rec, struct record_value *v)
{
	v->s = rec->res.error_where;
	return rec->res.error && rec->res.error_where[0];
}

static bool get_anon_guard(const struct action_record *rec, struct record_value *v)
{
	v->s = anon_guard_name(rec->res.anon_guard);
	return true;
}

static bool get_duration_ms(const struct action_record *rec, struct record_value *v)
{
	v->u = rec->res.duration_ns / 1000000;
	return true;
}

#define GET_RES(name, expr)                                                             \
	static bool get_##name(const struct action_record *rec, struct record_value *v) \
	{                                                                               \
		v->u = rec->res.expr;                                                   \
		return true;                                                            \
	}
#define GET_MEASURE(name, member)                                                            \
	GET_RES(name##_before, before.member)                                                 \
	GET_RES(name##_after, after.member)
#define GET_KNOWN(name, member, known)                                                    \
	static bool get_##name(const struct action_record *rec, struct record_value *v)   \
	{                                                                                 \
		v->u = rec->res.member;                                                   \
		return rec->res.known;                                                    \
	}

GET_RES(targeted, bytes_targeted)
GET_RES(returned, bytes_returned)
GET_RES(steps, steps)
GET_RES(skipped_hot, skipped_hot)
GET_RES(skipped_frozen, skipped_frozen)
GET_RES(unreachable, unreachable)
GET_RES(files_walked, files_walked)
GET_RES(exhausted, exhausted)
GET_RES(restored, restored_bytes)
GET_MEASURE(mem_free, mem_free)
GET_MEASURE(page_cache, page_cache)
GET_MEASURE(reportable_free, reportable_free)
GET_MEASURE(stranded_free, stranded_free)
GET_MEASURE(targets_cache, targets_cache)
#define GET_MEASURE_KNOWN(name, member, known)                                    \
	GET_KNOWN(name##_before, before.member, before.known)                      \
	GET_KNOWN(name##_after, after.member, after.known)
GET_MEASURE_KNOWN(reported, reported, reported_known)
GET_MEASURE_KNOWN(hot_cache, hot_cache, hot_known)

static bool get_time_ms(const struct action_record *rec, struct record_value *v)
{
	v->u = rec->res.realtime_ns / 1000000;
	return rec->res.realtime_ns != 0;
}

#define U(n, unit, g) { n, RECORD_UINT, unit, get_##g }
#define S(n, g) { n, RECORD_STRING, "", get_##g }
#define M(m) U(#m "_before_bytes", "bytes", m##_before), U(#m "_after_bytes", "bytes", m##_after)

/* The order is the run log's. */
const struct record_field record_fields[] = {
	U("time_ms", "ms", time_ms),   /* when the lever finished: Unix time, ms */
	U("episode", "", episode),
	S("lever", lever),
	S("reason", reason),
	{ "dry_run", RECORD_BOOL, "", get_dry_run },
	U("targeted_bytes", "bytes", targeted),
	U("returned_bytes", "bytes", returned),
	S("errno", errno),
	S("error_where", error_where),
	U("duration_ms", "ms", duration_ms),
	U("steps", "count", steps),
	U("skipped_hot", "count", skipped_hot),
	U("skipped_frozen", "count", skipped_frozen),
	U("unreachable", "count", unreachable),
	U("files_walked", "count", files_walked),
	U("exhausted", "count", exhausted),
	S("anon_guard", anon_guard),
	U("restored_bytes", "bytes", restored),
	/* Each figure measured before and after the lever. */
	M(mem_free), M(page_cache), M(reportable_free), M(stranded_free),
	M(targets_cache), M(hot_cache), M(reported),
};
const size_t record_nfields = ELEMENTSOF(record_fields);

const char *record_field_text(const struct record_field *f, const struct action_record *rec,
			      char *buf, size_t size)
{
	struct record_value v = { 0 };

	if (!f->get(rec, &v))
		return "-";
	switch (f->type) {
	case RECORD_UINT:
		snprintf(buf, size, "%llu", (unsigned long long)v.u);
		return buf;
	case RECORD_BOOL:
		return v.b ? "true" : "false";
	case RECORD_STRING:
		return v.s;
	}
	return "-";
}

static json_t *field_json(const struct record_field *f, const struct action_record *rec)
{
	struct record_value v = { 0 };
	char buf[40];

	if (!f->get(rec, &v))
		return json_null();
	switch (f->type) {
	case RECORD_UINT:
		return json_integer((json_int_t)v.u);
	case RECORD_BOOL:
		return json_boolean(v.b);
	case RECORD_STRING:
		return json_string_lossy(record_field_text(f, rec, buf, sizeof(buf)));
	}
	return json_null();
}

int action_record_json_into(const struct action_record *rec, json_t *obj)
{
	for (size_t i = 0; i < record_nfields; i++)
		if (json_object_set_new(obj, record_fields[i].name,
					field_json(&record_fields[i], rec)) < 0)
			return -ENOMEM;
	return 0;
}

json_t *action_record_json(const struct action_record *rec)
{
	json_t *o = json_object();

	if (o && action_record_json_into(rec, o) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *action_result_json(const struct action_result *r)
{
	struct action_record rec;

	action_record_make(&rec, NULL, r);
	return action_record_json(&rec);
}
