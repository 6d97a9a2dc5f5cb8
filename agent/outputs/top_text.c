/* SPDX-License-Identifier: MIT */
#include "outputs/top.h"

#include <limits.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "shared/text_escape.h"
#include "shared/util.h"

/* Process, cgroup and file names are any user's to choose: each goes
 * through text_escape (see there). */

static const char *rate_text(double r, char *buf, size_t size)
{
	char b[32];

	snprintf(buf, size, "%s/s", format_bytes(r > 0 ? (uint64_t)r : 0, b, sizeof(b)));
	return buf;
}

static void rows_text(FILE *f, const struct top_view *v, size_t limit)
{
	fprintf(f, "%-16s %10s %10s %10s %12s %12s  %-24s %s\n", "CLASS", "ADDED", "REMOVED",
		"DIRTIED", "RATE 1s", "RATE 10s", "TOP PROCESS", "CGROUP");
	for (size_t i = 0; i < v->nrows && i < limit; i++) {
		const struct top_row *r = &v->rows[i];
		char a[32], rm[32], d[32], r1[32], r10[32], proc[96] = "-";
		char comm[TEXT_ESCAPED_SIZE(sizeof(r->procs[0].comm))];
		char path[TEXT_ESCAPED_SIZE(PATH_MAX)];

		/* [?]: the process is not in this pid namespace (another distro,
		 * Docker Desktop's own): no pid here names it. */
		if (r->nprocs)
			text_escape(r->procs[0].comm, comm, sizeof(comm));
		if (r->nprocs && r->procs[0].tgid)
			snprintf(proc, sizeof(proc), "%s[%u]", comm, r->procs[0].tgid);
		else if (r->nprocs)
			snprintf(proc, sizeof(proc), "%s[?]", comm);
		fprintf(f, "%-16s %10s %10s %10s %12s %12s  %-24s %s%s\n", tclass_name(r->class),
			format_bytes(r->bytes.added, a, sizeof(a)),
			format_bytes(r->bytes.removed, rm, sizeof(rm)),
			format_bytes(r->bytes.dirtied, d, sizeof(d)),
			rate_text(r->rate1, r1, sizeof(r1)), rate_text(r->rate10, r10, sizeof(r10)),
			proc, r->memcg_v1 ? "memory:" : "",
			r->path ? text_escape(r->path, path, sizeof(path)) : "(gone)");
	}
}

static void files_text(FILE *f, const struct top_view *v, size_t limit)
{
	fprintf(f, "\n%-16s %10s %10s  %-16s %s\n", "CLASS", "ADDED", "REMOVED", "MAJ:MIN:INO",
		"FILE");
	for (size_t i = 0; i < v->nfiles && i < limit; i++) {
		const struct top_file *fl = &v->files[i];
		char a[32], rm[32], id[48], path[TEXT_ESCAPED_SIZE(PATH_MAX)];

		snprintf(id, sizeof(id), "%u:%u:%llu", major(fl->dev), minor(fl->dev),
			 (unsigned long long)fl->ino);
		fprintf(f, "%-16s %10s %10s  %-16s %s\n", tclass_name(fl->class),
			format_bytes(fl->bytes.added, a, sizeof(a)),
			format_bytes(fl->bytes.removed, rm, sizeof(rm)), id,
			fl->path ? text_escape(fl->path, path, sizeof(path)) : "(path unknown)");
	}
}

/* What no row shows: entries the ledger dropped, removals of files the
 * maps no longer knew (LRU-evicted or added before the programs loaded). */
static void pruned_text(FILE *f, const struct top_view *v)
{
	const struct ledger_counts *p = &v->pruned[LEDGER_CGROUPS];
	char a[32], r[32], u[32];

	if (!p->added && !p->removed && !v->overflow.removed_unowned_bytes)
		return;
	fprintf(f, "\nnot in the rows: %s added and %s removed by cgroups no longer tracked; "
		   "%s removed from files with no known owner\n",
		format_bytes(p->added, a, sizeof(a)), format_bytes(p->removed, r, sizeof(r)),
		format_bytes(v->overflow.removed_unowned_bytes, u, sizeof(u)));
}

static void topology_lines(FILE *f, const struct top_meta *m)
{
	char esc[TEXT_ESCAPED_SIZE(PATH_MAX)];

	if (m->placement)
		fprintf(f, "placement: %s\n", text_escape(m->placement, esc, sizeof(esc)));
	if (m->engine)
		fprintf(f, "engine: %s\n", text_escape(m->engine, esc, sizeof(esc)));
}

void top_text(FILE *f, const struct top_view *v, const struct top_meta *m)
{
	char pc[32], pc_path[TEXT_ESCAPED_SIZE(PATH_MAX)];

	fprintf(f, "wsldock-agent top: %.0f s, page cache %s", m->duration_s,
		m->page_cache_bytes ? format_bytes(m->page_cache_bytes, pc, sizeof(pc)) : "unknown");

	if (!v) {
		fprintf(f, "\nno per-cgroup data: %s\n", m->unavailable ? m->unavailable : "unknown");
		topology_lines(f, m);
		return;
	}
	fprintf(f, ", bpf mode %s, cgroups under %s\n", m->mode,
		m->cgroup2 ? text_escape(m->cgroup2, pc_path, sizeof(pc_path)) : "?");
	topology_lines(f, m);
	if (m->note)
		fprintf(f, "%s\n", text_escape(m->note, pc_path, sizeof(pc_path)));
	fputc('\n', f);
	rows_text(f, v, m->limit);
	if (m->mode && !strcmp(m->mode, "tracepoint"))
		fputs("(tracepoint mode: DIRTIED counts one page per dirtying, the event carries no\n"
		      " folio size; a lower bound, far below the truth where large folios are used)\n",
		      f);
	files_text(f, v, m->limit);
	pruned_text(f, v);
	if (v->overflow.cgroups_evicted || v->overflow.tasks_evicted || v->overflow.files_evicted ||
	    v->overflow.update_failures || v->overflow.events_missed)
		fprintf(f, "\noverflow: %llu cgroups, %llu processes, %llu files evicted, "
			   "%llu updates lost, %llu events missed\n",
			(unsigned long long)v->overflow.cgroups_evicted,
			(unsigned long long)v->overflow.tasks_evicted,
			(unsigned long long)v->overflow.files_evicted,
			(unsigned long long)v->overflow.update_failures,
			(unsigned long long)v->overflow.events_missed);
}
