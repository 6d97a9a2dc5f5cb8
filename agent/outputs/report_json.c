/* SPDX-License-Identifier: MIT */

#include <string.h>

#include "model/topology.h"
#include "outputs/report.h"
#include "shared/json_util.h"
#include "sources/meminfo.h"

/* Sets obj[key] to the figure, or to null and records why under
 * unavailable["<section>.<key>"]. */
static void put_figure(json_t *obj, const char *section, const char *key,
		       const struct figure *f, json_t *unavailable)
{
	char where[128];

	if (f->known) {
		json_object_set_new(obj, key, json_integer((json_int_t)(f->value > INT64_MAX ? INT64_MAX : f->value)));
		return;
	}
	json_object_set_new(obj, key, json_null());
	snprintf(where, sizeof(where), "%s.%s", section, key);
	json_object_set_new(unavailable, where, json_string_lossy(f->reason));
}

#define string_or_null json_string_lossy

static json_t *environment_json(const struct mem_state *s)
{
	const struct wsl_env *e = &s->env;

	return json_pack("{s:o, s:o, s:b, s:b, s:b, s:b, s:o, s:o}",
			 "kernel_release", string_or_null(e->kernel_release),
			 "distro_name", string_or_null(e->distro_name),
			 "interop", e->interop,
			 "mnt_wsl", e->mnt_wsl,
			 "docker_desktop_running", e->desktop_running,
			 "docker_desktop_integration", e->desktop_integration,
			 "docker_desktop_integration_evidence", string_or_null(e->desktop_evidence),
			 "docker_desktop_distro", string_or_null(desktop_distro_name(e->desktop_distro)));
}

static json_t *cgroup_json(const struct mem_state *s)
{
	const struct cgroup_layout *c = &s->cgroup;

	if (s->cgroup_src.state != SOURCE_OK && s->cgroup_src.state != SOURCE_MALFORMED)
		return json_null();
	return json_pack("{s:s, s:s, s:o, s:o}",
			 "mode", cgroup_mode_name(c->mode),
			 "memory_controller", memcg_mode_name(c->memcg),
			 "memory_controller_path", string_or_null(c->memcg_path),
			 "unified_path", string_or_null(c->unified_path));
}

static json_t *memory_json(const struct mem_state *s, json_t *unavailable)
{
	json_t *m = json_object();

	put_figure(m, "memory", "total_bytes", &s->total, unavailable);
	put_figure(m, "memory", "free_bytes", &s->free, unavailable);
	put_figure(m, "memory", "available_bytes", &s->available, unavailable);
	put_figure(m, "memory", "page_cache_bytes", &s->page_cache, unavailable);
	put_figure(m, "memory", "buffers_bytes", &s->buffers, unavailable);
	put_figure(m, "memory", "shmem_bytes", &s->shmem, unavailable);
	put_figure(m, "memory", "dirty_writeback_bytes", &s->dirty_writeback, unavailable);
	put_figure(m, "memory", "reclaimable_file_bytes", &s->reclaimable_file, unavailable);
	return m;
}

static json_t *reporting_json(const struct mem_state *s, json_t *unavailable)
{
	json_t *r = json_object(), *params = json_object();

	if (s->pr.order_known) {
		json_object_set_new(r, "page_reporting_order", json_integer(s->pr.order));
		json_object_set_new(r, "block_bytes",
				    json_integer((json_int_t)s->page_size << s->pr.order));
	} else {
		json_object_set_new(r, "page_reporting_order", json_null());
		json_object_set_new(r, "block_bytes", json_null());
		json_object_set_new(unavailable, "page_reporting.page_reporting_order",
				    json_string_lossy(s->pr_src.reason[0] ? s->pr_src.reason
						: "no page_reporting_order"));
	}
	put_figure(r, "page_reporting", "reportable_free_bytes", &s->reportable_free, unavailable);
	put_figure(r, "page_reporting", "stranded_free_bytes", &s->stranded_free, unavailable);
	put_figure(r, "page_reporting", "reported_bytes", &s->reported, unavailable);
	put_figure(r, "page_reporting", "free_outside_buddy_bytes", &s->free_outside_buddy, unavailable);
	for (unsigned i = 0; i < s->pr.ncounters; i++)
		json_object_set_new(params, s->pr.counters[i].name,
				    json_integer((json_int_t)s->pr.counters[i].value));
	json_object_set_new(r, "parameters", params);
	return r;
}

static json_t *buddy_json(const struct mem_state *s)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < s->buddy.nzones; i++) {
		const struct buddy_zone *z = &s->buddy.zones[i];
		json_t *counts = json_array();

		for (unsigned o = 0; o < z->norders; o++)
			json_array_append_new(counts, json_integer((json_int_t)z->free_blocks[o]));
		json_array_append_new(a, json_pack("{s:I, s:o, s:o}", "node", (json_int_t)z->node,
						   "zone", json_string_lossy(z->name), "free_blocks_by_order", counts));
	}
	return a;
}

static json_t *psi_line_json(const struct psi_line *l)
{
	if (!l->present)
		return json_null();
	return json_pack("{s:f, s:f, s:f, s:I}", "avg10", l->avg10, "avg60", l->avg60,
			 "avg300", l->avg300, "total_us", (json_int_t)l->total_us);
}

static json_t *psi_json(const struct mem_state *s, json_t *unavailable)
{
	if (s->psi_src.state != SOURCE_OK || !s->psi.some.present) {
		json_object_set_new(unavailable, "psi", json_string_lossy(s->psi_src.reason));
		return json_null();
	}
	return json_pack("{s:o, s:o}", "some", psi_line_json(&s->psi.some),
			 "full", psi_line_json(&s->psi.full));
}

static json_t *vmstat_json(const struct mem_state *s)
{
	json_t *v = json_object();

	for (unsigned i = 0; i < _VM_MAX; i++)
		json_object_set_new(v, vmstat_keys[i], kv_has(&s->vmstat, i)
				    ? json_integer((json_int_t)s->vmstat.values[i]) : json_null());
	return v;
}

static json_t *source_json(const struct source_status *st)
{
	return json_pack("{s:o, s:s, s:o}", "path", json_string_lossy(st->path), "state",
			 source_state_name(st->state), "reason", string_or_null(st->reason));
}

static json_t *sources_json(const struct mem_state *s)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "osrelease", source_json(&s->env_src),
			 "mounts", source_json(&s->cgroup_src),
			 "meminfo", source_json(&s->meminfo_src),
			 "vmstat", source_json(&s->vmstat_src),
			 "buddyinfo", source_json(&s->buddy_src),
			 "pressure_memory", source_json(&s->psi_src),
			 "page_reporting", source_json(&s->pr_src));
}

/* Where this distro sits and what it reaches: null where not read (only
 * `report` asks the engine). */
static json_t *topology_json(const struct topology *t)
{
	char placement[PATH_MAX + 256], engine[PATH_MAX + 512];

	if (!t)
		return json_null();
	topology_placement_line(t, placement, sizeof(placement));
	topology_engine_line(t, engine, sizeof(engine));
	return json_pack("{s:s, s:o, s:o, s:b, s:o, s:o}",
			 "cgroup_layout", wsl_cgroup_layout_name(t->placement.layout),
			 "placement", json_string_lossy(placement),
			 "engine", json_string_lossy(engine),
			 "docker_desktop", t->reach.desktop,
			 "engine_files_reachable", t->reach.engine_known ?
				json_boolean(t->reach.files_reachable) : json_null(),
			 "engine_data_root", t->reach.engine_known && t->reach.info.data_root[0] ?
				json_string_lossy(t->reach.info.data_root) : json_null());
}

json_t *report_json(const struct mem_state *s, const struct conflicts_snapshot *c,
		    const struct diag_list *d)
{
	json_t *unavailable = json_object(), *doc;

	doc = json_pack("{s:i, s:s, s:o, s:s, s:o, s:o}",
			"schema_version", REPORT_SCHEMA_VERSION,
			"agent_version", PACKAGE_VERSION,
			"root", json_string_lossy(s->root && *s->root ? s->root : "/"),
			"wsl", wsl_kind_name(s->env.kind),
			"environment", environment_json(s),
			"cgroup", cgroup_json(s));
	if (!doc)
		return NULL;
	if (s->env_src.state != SOURCE_OK) {
		json_object_set_new(doc, "wsl", json_null());
		json_object_set_new(unavailable, "wsl", json_string_lossy(s->env_src.reason));
	}
	json_object_set_new(doc, "topology", topology_json(s->topology));
	json_object_set_new(doc, "memory", memory_json(s, unavailable));
	json_object_set_new(doc, "page_reporting", reporting_json(s, unavailable));
	json_object_set_new(doc, "buddyinfo", buddy_json(s));
	json_object_set_new(doc, "psi", psi_json(s, unavailable));
	json_object_set_new(doc, "vmstat", vmstat_json(s));
	json_object_set_new(doc, "conflicts", conflicts_report_json(c));
	json_object_set_new(doc, "sources", sources_json(s));
	json_object_set_new(doc, "unavailable", unavailable);
	json_object_set_new(doc, "diagnostics", diag_to_json(d));
	return doc;
}
