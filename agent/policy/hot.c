/* SPDX-License-Identifier: MIT */
#include "policy/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The hot set: files class `other` (the user) added to the page cache
 * within hot_set_window.  Lever c (fadvise) skips them, lever d
 * (drop_caches) reads back what of them was resident. */

static int hot_cmp(const void *a, const void *b)
{
	const struct policy_hot *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->gen < y->gen ? -1 : x->gen > y->gen;
}

struct policy_hot *hot_find(const struct policy_history *h, uint64_t dev, uint64_t ino,
				   uint32_t gen)
{
	struct policy_hot key = { .dev = dev, .ino = ino, .gen = gen };

	return h->nhot ? bsearch(&key, h->hot, h->nhot, sizeof(*h->hot), hot_cmp) : NULL;
}

bool hot_now(const struct policy_config *c, const struct policy_hot *e, uint64_t now)
{
	return e && now - e->last_ns <= c->hot_set_window_ns;
}

/* Files class `other` added pages to within the window: the user's hot set
 * as far as the tracker can tell (it sees additions to the cache, not reads
 * of pages already cached: fentry on the read path is not available on
 * every kernel).  Bounded: beyond POLICY_HOT_MAX new files are not
 * remembered. */
int hot_fold(const struct policy_config *c, struct policy_history *h,
		    const struct policy_obs *o)
{
	size_t old = h->nhot, w = 0;
	bool added = false;

	for (size_t i = 0; i < o->nfiles; i++) {
		const struct policy_file *f = &o->files[i];
		struct policy_hot *e;

		if (f->class != TCLASS_OTHER || !f->added)
			continue;
		e = old ? bsearch(&(struct policy_hot){ .dev = f->dev, .ino = f->ino, .gen = f->gen },
				  h->hot, old, sizeof(*h->hot), hot_cmp)
			: NULL;
		if (e) {
			if (f->added > e->added)
				e->last_ns = o->now_ns;
			e->added = f->added;
			continue;
		}
		/* New to the set only when it gained pages now (a sample that may
		 * act lists every file, those that left the window too). */
		if (h->nhot >= POLICY_HOT_MAX || !f->added_last)
			continue;
		if (grow_array((void **)&h->hot, &h->hot_cap, h->nhot + 1, sizeof(*h->hot)) < 0)
			return -ENOMEM;
		h->hot[h->nhot++] = (struct policy_hot){ .dev = f->dev, .ino = f->ino, .gen = f->gen,
							 .added = f->added, .last_ns = o->now_ns };
		added = true;
	}
	/* Forget what left the window, keep the table sorted. */
	for (size_t i = 0; i < h->nhot; i++)
		if (hot_now(c, &h->hot[i], o->now_ns))
			h->hot[w++] = h->hot[i];
	h->nhot = w;
	if (added)
		qsort(h->hot, h->nhot, sizeof(*h->hot), hot_cmp);
	return 0;
}


/* The hot set now, sorted by (dev, ino), for lever c to skip and lever d to
 * read back. */
int hot_list(const struct policy_config *c, const struct policy_history *h,
		    const struct policy_obs *o, struct policy_decision *d)
{
	size_t n = 0;

	d->hot = calloc(h->nhot + 1, sizeof(*d->hot));
	if (!d->hot)
		return -ENOMEM;
	for (size_t i = 0; i < h->nhot; i++)
		if (hot_now(c, &h->hot[i], o->now_ns))
			d->hot[n++] = (struct action_file){ .dev = h->hot[i].dev, .ino = h->hot[i].ino,
							    .gen = h->hot[i].gen, .bytes = h->hot[i].added };
	d->req.hot = d->hot;
	d->req.nhot = n;
	return 0;
}
