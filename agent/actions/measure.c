/* SPDX-License-Identifier: MIT */
/* What every action measures before and after (the global figures and the
 * hot set's residency), and the hot-set lookup. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions/internal.h"
#include "model/mem_state.h"
#include "sources/meminfo.h"
#include "shared/util.h"

static int cmp_file(const void *a, const void *b)
{
	const struct action_file *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

bool act_is_hot(const struct action_request *q, uint64_t dev, uint64_t ino, uint32_t gen)
{
	struct action_file key = { .dev = dev, .ino = ino };
	const struct action_file *h;

	if (!q->nhot || !q->hot)
		return false;
	h = bsearch(&key, q->hot, q->nhot, sizeof(*q->hot), cmp_file);
	return h && (!gen || !h->gen || h->gen == gen);
}

void act_measure_global(struct act_ctx *c, struct action_measure *m)
{
	struct diag_list d = { 0 };
	struct mem_state *s = calloc(1, sizeof(*s));

	if (!s)
		return;
	mem_state_collect(s, c->q->root, c->page_size, &d);
	m->mem_free = s->free.known ? s->free.value : 0;
	m->page_cache = s->page_cache.known ? s->page_cache.value : 0;
	m->reportable_free = s->reportable_free.known ? s->reportable_free.value : 0;
	m->stranded_free = s->stranded_free.known ? s->stranded_free.value : 0;
	m->reported_known = s->reported.known;
	m->reported = s->reported.known ? s->reported.value : 0;
	if (!c->cg_known) {
		c->cg = s->cgroup;
		c->cg_known = s->cgroup_src.state == SOURCE_OK;
	}
	/* The same read tells whether swap exists (the anon guard): no
	 * second read of /proc/meminfo for it. */
	if (c->swap_total_known < 0 && kv_has(&s->meminfo, MI_SWAP_TOTAL))
		c->swap_total_known = s->meminfo.values[MI_SWAP_TOTAL] > 0;
	diag_free(&d);
	free(s);
}

void act_measure_hot(struct act_ctx *c, struct action_measure *m)
{
	uint64_t sum = 0;

	if (!c->q->nhot)
		return;
	for (size_t i = 0; i < c->q->nhot; i++) {
		struct stat st;
		uint64_t res, dirty;
		bool dk;
		_cleanup_close_ int fd = -1;

		/* A hot file gone or unreadable holds no cache to measure. */
		if (act_open_file(c, &c->q->hot[i], &fd, &st) < 0)
			continue;
		if (act_file_resident(c, fd, (uint64_t)st.st_size, &res, &dirty, &dk) == 0)
			sum += res;
	}
	m->hot_known = true;
	m->hot_cache = sum;
}

