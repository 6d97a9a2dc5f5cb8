/* SPDX-License-Identifier: MIT */
#include "tracker/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/util.h"

static void counts_add(struct ledger_counts *d, const struct ledger_counts *s)
{
	d->added += s->added;
	d->removed += s->removed;
	d->dirtied += s->dirtied;
}

static bool counts_zero(const struct ledger_counts *c)
{
	return !c->added && !c->removed && !c->dirtied;
}

/* Keeps the TOP_PROCS processes that added the most. */
static void share_add_proc(struct view_share *sh, const struct ledger_entry *t)
{
	size_t i;

	if (sh->nprocs < TOP_PROCS)
		i = sh->nprocs++;
	else if (t->bytes.added > sh->procs[TOP_PROCS - 1].added)
		i = TOP_PROCS - 1;
	else
		return;
	sh->procs[i] = (struct top_proc){ .tgid = t->ns_tgid, .added = t->bytes.added };
	memcpy(sh->procs[i].comm, t->comm, sizeof(sh->procs[i].comm));
	for (; i > 0 && sh->procs[i].added > sh->procs[i - 1].added; i--) {
		struct top_proc tmp = sh->procs[i];

		sh->procs[i] = sh->procs[i - 1];
		sh->procs[i - 1] = tmp;
	}
}

static void counts_sub(struct ledger_counts *d, const struct ledger_counts *s)
{
	d->added = sat_sub64(d->added, s->added);
	d->removed = sat_sub64(d->removed, s->removed);
	d->dirtied = sat_sub64(d->dirtied, s->dirtied);
}

const char *view_cgroup_path(const struct ledger *l, struct resolver *r, uint64_t cgid)
{
	const struct ledger_entry *c = ledger_find(l, LEDGER_CGROUPS, (struct ledger_key){ cgid, 0 });

	return resolver_cgroup_path(r, cgid) ?: (c ? c->path_hint : NULL);
}

enum tclass view_file_class(const struct ledger *l, struct resolver *r,
			    const struct ledger_entry *f)
{
	struct classify_input in = { .cgroup_path = view_cgroup_path(l, r, f->owner_cgid),
				     .comm = f->comm, .parent_comm = f->parent_comm,
				     .trust = f->trust };

	in.build_container = resolver_build_container(r, in.cgroup_path);
	return classify(&in);
}

const char *view_cgroup_split(const struct ledger *l, struct resolver *r,
			      const struct ledger_entry *c, size_t *task_i,
			      struct view_share share[_TCLASS_MAX])
{
	const struct ledger_table *tasks = &l->t[LEDGER_TASKS];
	struct ledger_counts rest = c->bytes, rest_last = ledger_last(l, c);
	double rest1 = ledger_rate(l, c, 1000000000ull, false);
	double rest10 = ledger_rate(l, c, 10000000000ull, false);
	struct classify_input in = { .cgroup_path = view_cgroup_path(l, r, c->key.a),
				     .trust = c->trust };
	enum tclass path_class;

	memset(share, 0, _TCLASS_MAX * sizeof(*share));
	in.build_container = resolver_build_container(r, in.cgroup_path);
	path_class = classify(&in);
	while (*task_i < tasks->n && tasks->v[*task_i].key.a < c->key.a)
		(*task_i)++;
	for (; *task_i < tasks->n && tasks->v[*task_i].key.a == c->key.a; (*task_i)++) {
		const struct ledger_entry *t = &tasks->v[*task_i];
		struct ledger_counts last = ledger_last(l, t);
		double r1 = ledger_rate(l, t, 1000000000ull, false);
		double r10 = ledger_rate(l, t, 10000000000ull, false);
		struct view_share *sh;

		in.comm = t->comm;
		in.parent_comm = t->parent_comm;
		in.trust = t->trust;
		sh = &share[classify(&in)];
		counts_add(&sh->bytes, &t->bytes);
		counts_add(&sh->last, &last);
		sh->rate1 += r1;
		sh->rate10 += r10;
		rest1 -= r1;
		rest10 -= r10;
		counts_sub(&rest, &t->bytes);
		counts_sub(&rest_last, &last);
		if (t->bytes.added)
			share_add_proc(sh, t);
	}
	counts_add(&share[path_class].bytes, &rest);
	counts_add(&share[path_class].last, &rest_last);
	share[path_class].rate1 += rest1 > 0 ? rest1 : 0;
	share[path_class].rate10 += rest10 > 0 ? rest10 : 0;
	return in.cgroup_path;
}

static int rows_push(struct top_view *v, size_t *cap, const struct top_row *row)
{
	if (v->nrows == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct top_row *nr = realloc(v->rows, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		v->rows = nr;
		*cap = ncap;
	}
	v->rows[v->nrows++] = *row;
	return 0;
}

/* One cgroup: a row per class its bytes fall in. */
static int cgroup_rows(const struct ledger *l, struct resolver *r, const struct ledger_entry *c,
		       size_t *task_i, struct top_view *v, size_t *cap)
{
	struct view_share share[_TCLASS_MAX];
	const char *path = view_cgroup_split(l, r, c, task_i, share);
	int ret;

	for (int k = 0; k < _TCLASS_MAX; k++) {
		struct top_row row = {
			.cgid = c->key.a, .memcg_v1 = (c->key.a & RESOLVER_CGID_V1) != 0,
			.path = path, .class = k, .bytes = share[k].bytes,
			.rate1 = share[k].rate1, .rate10 = share[k].rate10, .nprocs = share[k].nprocs,
		};

		if (counts_zero(&share[k].bytes))
			continue;
		memcpy(row.procs, share[k].procs, sizeof(row.procs));
		ret = rows_push(v, cap, &row);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->bytes.added != y->bytes.added)
		return x->bytes.added > y->bytes.added ? -1 : 1;
	return x->cgid < y->cgid ? -1 : x->cgid > y->cgid;
}

static int entry_added_cmp(const void *a, const void *b)
{
	const struct ledger_entry *const *x = a, *const *y = b;

	if ((*x)->bytes.added != (*y)->bytes.added)
		return (*x)->bytes.added > (*y)->bytes.added ? -1 : 1;
	return 0;
}

static int files_build(const struct ledger *l, struct resolver *r, size_t max,
		       struct top_view *v)
{
	const struct ledger_table *ft = &l->t[LEDGER_FILES];
	_cleanup_free_ const struct ledger_entry **order = NULL;
	_cleanup_free_ struct file_id *ids = NULL;
	size_t n = 0;

	if (!max)
		return 0;  /* rows only (the daemon, every second): no sort of every file */
	order = calloc(ft->n + 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < ft->n; i++)
		if (ft->v[i].bytes.added)
			order[n++] = &ft->v[i];
	qsort(order, n, sizeof(*order), entry_added_cmp);
	if (n > max)
		n = max;
	v->files = calloc(n + 1, sizeof(*v->files));
	ids = calloc(n + 1, sizeof(*ids));
	if (!v->files || !ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ids[i] = (struct file_id){ ledger_file_dev(&order[i]->key), order[i]->key.b };
	resolver_lookup_files(r, ids, n);
	for (size_t i = 0; i < n; i++) {
		const struct ledger_entry *e = order[i];
		struct top_file *f = &v->files[i];
		*f = (struct top_file){
			.dev = ledger_file_dev(&e->key), .ino = e->key.b, .bytes = e->bytes,
			.tgid = e->owner_ns_tgid,
			.path = resolver_file_path(r, ledger_file_dev(&e->key), e->key.b),
			.class = view_file_class(l, r, e),
			.rate1 = ledger_rate(l, e, 1000000000ull, false),
			.rate10 = ledger_rate(l, e, 10000000000ull, false),
			.owner_path = view_cgroup_path(l, r, e->owner_cgid),
		};
		memcpy(f->comm, e->comm, sizeof(f->comm));
	}
	v->nfiles = n;
	return 0;
}

void top_view_resolve(const struct ledger *l, struct resolver *r)
{
	const struct ledger_table *cg = &l->t[LEDGER_CGROUPS];

	for (size_t i = 0; i < cg->n; i++)
		resolver_build_container(r, view_cgroup_path(l, r, cg->v[i].key.a));
}

int top_view_build(const struct ledger *l, struct resolver *r, size_t max_files,
		   struct top_view *v)
{
	const struct ledger_table *cg = &l->t[LEDGER_CGROUPS];
	size_t cap = 0, task_i = 0;
	int ret;

	memset(v, 0, sizeof(*v));
	v->overflow = l->overflow;
	memcpy(v->pruned, l->pruned, sizeof(v->pruned));
	v->page_size = l->page_size;
	for (size_t i = 0; i < cg->n; i++) {
		if (counts_zero(&cg->v[i].bytes))
			continue;
		ret = cgroup_rows(l, r, &cg->v[i], &task_i, v, &cap);
		if (ret < 0)
			goto fail;
	}
	if (v->nrows)
		qsort(v->rows, v->nrows, sizeof(*v->rows), row_cmp);
	ret = files_build(l, r, max_files, v);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	top_view_free(v);
	return ret;
}

void top_view_free(struct top_view *v)
{
	free(v->rows);
	free(v->files);
	memset(v, 0, sizeof(*v));
}
