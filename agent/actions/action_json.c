/* SPDX-License-Identifier: MIT */
#include "actions/action_json.h"

#include <string.h>

#include "shared/json_util.h"

static json_t *measure_json(const struct action_measure *m)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I}",
			      "mem_free", (json_int_t)m->mem_free,
			      "page_cache", (json_int_t)m->page_cache,
			      "reportable_free", (json_int_t)m->reportable_free,
			      "stranded_free", (json_int_t)m->stranded_free,
			      "targets_cache", (json_int_t)m->targets_cache);

	if (!o)
		return NULL;
	json_object_set_new(o, "reported", m->reported_known ?
			    json_integer((json_int_t)m->reported) : json_null());
	json_object_set_new(o, "hot_cache", m->hot_known ?
			    json_integer((json_int_t)m->hot_cache) : json_null());
	return o;
}

json_t *action_result_json(const struct action_result *r)
{
	json_t *o = json_pack("{s:s, s:b, s:i, s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:I, "
			      "s:I, s:I, s:s, s:I}",
			      "lever", lever_name(r->lever),
			      "dry_run", r->dry_run,
			      "error", r->error,
			      "bytes_targeted", (json_int_t)r->bytes_targeted,
			      "bytes_returned", (json_int_t)r->bytes_returned,
			      "before", measure_json(&r->before),
			      "after", measure_json(&r->after),
			      "duration_ns", (json_int_t)r->duration_ns,
			      "steps", (json_int_t)r->steps,
			      "skipped_frozen", (json_int_t)r->skipped_frozen,
			      "skipped_hot", (json_int_t)r->skipped_hot,
			      "unreachable", (json_int_t)r->unreachable,
			      "files_walked", (json_int_t)r->files_walked,
			      "exhausted", (json_int_t)r->exhausted,
			      "anon_guard", anon_guard_name(r->anon_guard),
			      "restored_bytes", (json_int_t)r->restored_bytes);

	if (!o)
		return NULL;
	json_object_set_new(o, "error_name", r->error ? json_string(strerrorname_np(-r->error) ?: "?") :
			    json_null());
	json_object_set_new(o, "error_where", r->error ? json_string_lossy(r->error_where) :
			    json_null());
	return o;
}
