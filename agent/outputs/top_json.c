/* SPDX-License-Identifier: MIT */
#include "outputs/top.h"

#include <math.h>
#include <string.h>

#include "shared/json_util.h"

static json_t *path_json(const char *p)
{
	return p ? json_string_lossy(p) : json_null();
}

/* null for a process outside the agent's pid namespace: its number there
 * would name some other process, or none. */
static json_t *tgid_json(uint32_t tgid)
{
	return tgid ? json_integer((json_int_t)tgid) : json_null();
}

static json_t *procs_json(const struct top_row *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->nprocs; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:I}", "comm",
						   json_string_lossy(r->procs[i].comm), "tgid",
						   tgid_json(r->procs[i].tgid), "added_bytes",
						   (json_int_t)r->procs[i].added));
	return a;
}

static json_int_t rate(double r)
{
	return (json_int_t)llround(r);
}

static json_t *rows_json(const struct top_view *v, size_t limit)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < v->nrows && i < limit; i++) {
		const struct top_row *r = &v->rows[i];

		json_array_append_new(
			a, json_pack("{s:o, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "path",
				     path_json(r->path), "hierarchy", r->memcg_v1 ? "v1-memory" : "v2",
				     "id", (json_int_t)(r->cgid & ~RESOLVER_CGID_V1), "class",
				     tclass_name(r->class), "added_bytes", (json_int_t)r->bytes.added,
				     "removed_bytes", (json_int_t)r->bytes.removed, "dirtied_bytes",
				     (json_int_t)r->bytes.dirtied, "net_bytes",
				     (json_int_t)r->bytes.added - (json_int_t)r->bytes.removed,
				     "added_rate_1s", rate(r->rate1), "added_rate_10s",
				     rate(r->rate10), "top_processes", procs_json(r)));
	}
	return a;
}

static json_t *files_json(const struct top_view *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < v->nfiles; i++) {
		const struct top_file *f = &v->files[i];

		json_array_append_new(
			a, json_pack("{s:I, s:I, s:o, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:o}",
				     "dev", (json_int_t)f->dev, "ino", (json_int_t)f->ino, "path",
				     path_json(f->path), "class", tclass_name(f->class),
				     "added_bytes", (json_int_t)f->bytes.added, "removed_bytes",
				     (json_int_t)f->bytes.removed, "dirtied_bytes",
				     (json_int_t)f->bytes.dirtied, "added_rate_1s", rate(f->rate1),
				     "comm", json_string_lossy(f->comm), "tgid", tgid_json(f->tgid),
				     "cgroup", path_json(f->owner_path)));
	}
	return a;
}

static json_t *counts_json(const struct ledger_counts *c)
{
	return json_pack("{s:I, s:I, s:I}", "added_bytes", (json_int_t)c->added, "removed_bytes",
			 (json_int_t)c->removed, "dirtied_bytes", (json_int_t)c->dirtied);
}

static json_t *overflow_json(const struct top_view *v)
{
	const struct ledger_overflow *o = &v->overflow;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:{s:o, s:o, s:o}}", "cgroups_evicted",
			 (json_int_t)o->cgroups_evicted, "processes_evicted",
			 (json_int_t)o->tasks_evicted, "files_evicted",
			 (json_int_t)o->files_evicted, "update_failures",
			 (json_int_t)o->update_failures, "removed_unowned_bytes",
			 (json_int_t)o->removed_unowned_bytes, "events_missed",
			 (json_int_t)o->events_missed, "pruned", "cgroups",
			 counts_json(&v->pruned[LEDGER_CGROUPS]), "processes",
			 counts_json(&v->pruned[LEDGER_TASKS]), "files",
			 counts_json(&v->pruned[LEDGER_FILES]));
}

json_t *top_json(const struct top_view *v, const struct top_meta *m)
{
	bool tp = m->mode && !strcmp(m->mode, "tracepoint");
	json_t *bpf = json_pack("{s:b, s:o, s:o, s:o, s:b}", "available", v != NULL, "mode",
				m->mode ? json_string(m->mode) : json_null(), "probe",
				m->probe_log ? json_string_lossy(m->probe_log) : json_null(),
				"unavailable_reason",
				m->unavailable ? json_string_lossy(m->unavailable) : json_null(),
				"dirtied_lower_bound", tp);

	return json_pack("{s:i, s:s, s:o, s:o, s:f, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "schema_version", 1,
			 "agent_version", PACKAGE_VERSION, "bpf", bpf, "cgroup2_mount",
			 path_json(m->cgroup2), "duration_seconds", m->duration_s,
			 "page_cache_bytes",
			 m->page_cache_bytes ? json_integer((json_int_t)m->page_cache_bytes)
					     : json_null(),
			 "limit", (json_int_t)m->limit, "note",
			 m->note ? json_string_lossy(m->note) : json_null(),
			 "placement", m->placement ? json_string_lossy(m->placement) : json_null(),
			 "engine", m->engine ? json_string_lossy(m->engine) : json_null(),
			 "cgroups", v ? rows_json(v, m->limit) : json_null(), "files",
			 v ? files_json(v) : json_null(), "overflow",
			 v ? overflow_json(v) : json_null());
}
