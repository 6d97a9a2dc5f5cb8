/* SPDX-License-Identifier: MIT */

#include <limits.h>

#include "outputs/report.h"
#include "model/topology.h"
#include "shared/text_escape.h"
#include "shared/util.h"

#define LABEL_WIDTH 24
#define VALUE_WIDTH 12

static void section(FILE *f, const char *title)
{
	fprintf(f, "\n%s\n", title);
}

/* Values and notes quote what others named (the distro, the kernel
 * release, paths in a reason): escaped, so no name steers the terminal
 * (shared/text_escape.h). */
static void row(FILE *f, const char *label, const char *value, const char *note)
{
	char v[TEXT_ESCAPED_SIZE(1024)], n[TEXT_ESCAPED_SIZE(PATH_MAX)];

	text_escape(value, v, sizeof(v));
	if (note && *note)
		fprintf(f, "  %-*s %-*s %s\n", LABEL_WIDTH, label, VALUE_WIDTH, v,
			text_escape(note, n, sizeof(n)));
	else
		fprintf(f, "  %-*s %s\n", LABEL_WIDTH, label, v);
}

/* A figure with its one-line explanation, or "unknown" with the reason. */
static void figure_row(FILE *f, const char *label, const struct figure *fig, const char *note)
{
	char buf[32];

	if (!fig->known) {
		row(f, label, "unknown", fig->reason);
		return;
	}
	row(f, label, format_bytes(fig->value, buf, sizeof(buf)), note);
}

static void environment_rows(FILE *f, const struct mem_state *s)
{
	const struct wsl_env *e = &s->env;
	char buf[512];

	section(f, "Environment");
	if (s->env_src.state == SOURCE_OK) {
		snprintf(buf, sizeof(buf), "%s (kernel %s)", wsl_kind_name(e->kind), e->kernel_release);
		row(f, "WSL", buf, NULL);
	} else {
		row(f, "WSL", "unknown", s->env_src.reason);
	}
	if (e->desktop_distro != DESKTOP_DISTRO_NO)
		snprintf(buf, sizeof(buf), "%s (Docker Desktop's own distro: wsldock does not act here)",
			 e->distro_name);
	else
		snprintf(buf, sizeof(buf), "%s", e->distro_name[0] ? e->distro_name : "- (WSL_DISTRO_NAME unset)");
	row(f, "Distro", buf, NULL);
	if (e->desktop_integration)
		snprintf(buf, sizeof(buf), "integrated with this distro (%s)", e->desktop_evidence);
	else if (e->desktop_running)
		snprintf(buf, sizeof(buf), "running in this VM, not integrated with this distro");
	else
		snprintf(buf, sizeof(buf), "not seen (no /mnt/wsl/docker-desktop)");
	row(f, "Docker Desktop", buf, NULL);
	if (s->cgroup_src.state == SOURCE_OK || s->cgroup_src.state == SOURCE_MALFORMED) {
		snprintf(buf, sizeof(buf), "%s; memory controller %s%s%s",
			 cgroup_mode_name(s->cgroup.mode), memcg_mode_name(s->cgroup.memcg),
			 s->cgroup.memcg_path[0] ? " at " : "", s->cgroup.memcg_path);
		row(f, "cgroups", buf, NULL);
	} else {
		row(f, "cgroups", "unknown", s->cgroup_src.reason);
	}
	if (s->topology) {
		char line[PATH_MAX + 512];

		topology_placement_line(s->topology, line, sizeof(line));
		row(f, "Placement", line, NULL);
		topology_engine_line(s->topology, line, sizeof(line));
		row(f, "Docker engine", line, NULL);
	}
}

static void memory_rows(FILE *f, const struct mem_state *s)
{
	section(f, "Memory");
	figure_row(f, "Total", &s->total, NULL);
	figure_row(f, "Free", &s->free, "unused now; the host takes back the part in large blocks");
	figure_row(f, "Available", &s->available, "the kernel's estimate of what programs could still get");
	figure_row(f, "Page cache", &s->page_cache,
		   "file data kept in RAM; the host cannot take it back until it is dropped");
	figure_row(f, "  dirty + writeback", &s->dirty_writeback,
		   "must be written to disk before it can be dropped");
	figure_row(f, "  clean, reclaimable", &s->reclaimable_file,
		   "file pages the kernel can drop at once, without I/O");
	figure_row(f, "  shmem (tmpfs)", &s->shmem, "counted as cache, but dropping caches cannot free it");
	figure_row(f, "Buffers", &s->buffers, "block device metadata cache");
}

static void reporting_rows(FILE *f, const struct mem_state *s)
{
	char title[160], buf[32];

	if (s->pr.order_known)
		snprintf(title, sizeof(title),
			 "Returning memory to the host (free page reporting, order %u = %s blocks)",
			 s->pr.order,
			 format_bytes((uint64_t)s->page_size << s->pr.order, buf, sizeof(buf)));
	else
		snprintf(title, sizeof(title), "Returning memory to the host (free page reporting)");
	section(f, title);
	if (!s->pr.order_known) {
		row(f, "Page reporting", "unavailable", s->pr_src.reason);
		return;
	}
	figure_row(f, "Reportable free", &s->reportable_free,
		   "free in blocks large enough for the hypervisor to take back");
	figure_row(f, "Stranded free", &s->stranded_free,
		   "free, but in smaller blocks; compaction could make it reportable");
	if (s->reported.known)
		figure_row(f, "Reported since boot", &s->reported, "handed to the host so far");
	/* Only worth a line when it is large enough to puzzle a reader who
	 * compares Free with the two figures above. */
	if (s->free_outside_buddy.known && s->free_outside_buddy.value >= (64u << 20))
		figure_row(f, "Free outside buddy", &s->free_outside_buddy,
			   "counted free, but not in the allocator's lists (per-CPU lists, or never initialised)");
}

static void psi_rows(FILE *f, const struct mem_state *s)
{
	char buf[128];

	section(f, "Memory pressure (PSI: share of time tasks waited for memory)");
	if (s->psi_src.state != SOURCE_OK || !s->psi.some.present) {
		row(f, "PSI", "unavailable", s->psi_src.reason);
		return;
	}
	snprintf(buf, sizeof(buf), "avg10 %.2f%%  avg60 %.2f%%  avg300 %.2f%%", s->psi.some.avg10,
		 s->psi.some.avg60, s->psi.some.avg300);
	row(f, "some", buf, NULL);
	if (s->psi.full.present) {
		snprintf(buf, sizeof(buf), "avg10 %.2f%%  avg60 %.2f%%  avg300 %.2f%%",
			 s->psi.full.avg10, s->psi.full.avg60, s->psi.full.avg300);
		row(f, "full", buf, NULL);
	}
}

/* The three numbers a reader wants first: what Windows can have now, and
 * what each lever would add. */
static void summary(FILE *f, const struct mem_state *s)
{
	char now[32], cache[32], stranded[32];

	if (!s->reportable_free.known || !s->reclaimable_file.known || !s->stranded_free.known)
		return;
	fprintf(f, "\n%s can take back %s now; dropping clean page cache would free %s more,\n"
		   "and compaction could make %s of scattered free memory reportable.\n",
		s->env.kind == WSL_2 ? "Windows" : "The host",
		format_bytes(s->reportable_free.value, now, sizeof(now)),
		format_bytes(s->reclaimable_file.value, cache, sizeof(cache)),
		format_bytes(s->stranded_free.value, stranded, sizeof(stranded)));
}

void report_text(FILE *f, const struct mem_state *s, const struct conflicts_snapshot *c,
		 const struct diag_list *d)
{
	char buf[TEXT_ESCAPED_SIZE(PATH_MAX)];

	fprintf(f, "wsldock-agent %s report (root %s)\n", PACKAGE_VERSION,
		s->root && *s->root ? text_escape(s->root, buf, sizeof(buf)) : "/");
	summary(f, s);
	environment_rows(f, s);
	memory_rows(f, s);
	reporting_rows(f, s);
	psi_rows(f, s);
	conflicts_report_text(f, c);
	if (d->n) {
		section(f, "Problems (also on standard error)");
		for (size_t i = 0; i < d->n; i++)
			fprintf(f, "  %s\n", text_escape(d->items[i], buf, sizeof(buf)));
		if (d->dropped)
			fprintf(f, "  %zu more were dropped\n", d->dropped);
	}
}
