/* SPDX-License-Identifier: MIT */
#include "tracker/ledger.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/util.h"

void ledger_init(struct ledger *l, uint64_t page_size, uint64_t now_ns)
{
	memset(l, 0, sizeof(*l));
	l->page_size = page_size;
	l->start_ns = now_ns;
	/* An implicit all-zero sample at start, so the first interval has a rate. */
	l->ts[0] = now_ns;
	l->samples = 1;
}

void ledger_free(struct ledger *l)
{
	for (int k = 0; k < _LEDGER_KINDS; k++) {
		for (size_t i = 0; i < l->t[k].n; i++)
			free(l->t[k].v[i].path_hint);
		free(l->t[k].v);
	}
	memset(l, 0, sizeof(*l));
}

static int key_cmp(const void *a, const void *b)
{
	const struct ledger_key *x = a, *y = b;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return 0;
}

static struct ledger_entry *table_find(const struct ledger_table *t, struct ledger_key key)
{
	/* key is the first member of ledger_entry, so key_cmp compares entries. */
	/* bsearch takes no NULL base, even for zero elements. */
	return t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), key_cmp) : NULL;
}

const struct ledger_entry *ledger_find(const struct ledger *l, enum ledger_kind k,
				       struct ledger_key key)
{
	return table_find(&l->t[k], key);
}

static uint64_t counter_delta(uint64_t now, uint64_t last)
{
	return now >= last ? now - last : now;
}

/* True when the entry's added or removed bytes moved. */
static bool fold(struct ledger_entry *e, const struct ledger_item *it, uint64_t page,
		 uint64_t seq)
{
	uint64_t added = counter_delta(it->pages.added, e->raw.added) * page;
	uint64_t removed = counter_delta(it->pages.removed, e->raw.removed) * page;

	e->bytes.added += added;
	e->bytes.removed += removed;
	if (added)
		e->added_seq = seq;
	if (added || removed)
		e->changed_seq = seq;
	e->bytes.dirtied += counter_delta(it->pages.dirtied, e->raw.dirtied) * page;
	e->raw = it->pages;
	memcpy(e->comm, it->comm, sizeof(e->comm));
	e->comm[sizeof(e->comm) - 1] = '\0';
	memcpy(e->parent_comm, it->parent_comm, sizeof(e->parent_comm));
	e->parent_comm[sizeof(e->parent_comm) - 1] = '\0';
	/* A hint that cannot be copied is only a hint: the entry stays. */
	if (!e->path_hint && it->path_hint)
		e->path_hint = strdup(it->path_hint);
	e->owner_cgid = it->owner_cgid;
	e->owner_tgid = it->owner_tgid;
	e->ns_tgid = it->ns_tgid;
	e->owner_ns_tgid = it->owner_ns_tgid;
	e->trust = it->trust;
	return added || removed;
}

static int table_fold(struct ledger *l, struct ledger_table *t, const struct ledger_item *items,
		      size_t n)
{
	uint64_t seq = l->seq;
	size_t old_n = t->n;

	for (size_t i = 0; i < n; i++) {
		struct ledger_entry *e = old_n ? bsearch(&items[i].key, t->v, old_n, sizeof(*t->v),
							 key_cmp) : NULL;

		if (!e) {
			if (t->n == t->cap) {
				size_t ncap = t->cap ? t->cap * 2 : 64;
				struct ledger_entry *nv = realloc(t->v, ncap * sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				t->v = nv;
				t->cap = ncap;
			}
			e = &t->v[t->n++];
			memset(e, 0, sizeof(*e));
			e->key = items[i].key;
			e->added_seq = e->changed_seq = l->changed_seq = seq;
		}
		if (fold(e, &items[i], l->page_size, seq))
			l->changed_seq = seq;
		e->seen = seq;
	}
	if (t->n != old_n)
		qsort(t->v, t->n, sizeof(*t->v), key_cmp);
	return 0;
}

int64_t ledger_net(const struct ledger_entry *e)
{
	return (int64_t)e->bytes.added - (int64_t)e->bytes.removed;
}

static void overflow_update(struct ledger *l, const struct ledger_snapshot *s)
{
	const struct ledger_stats *st = &s->stats;

	l->overflow.update_failures = st->update_failures;
	l->overflow.removed_unowned_bytes = st->removed_unowned_pages * l->page_size;
	if (s->unchanged)
		return;
	/* Inserts the source made minus entries it still holds = entries evicted. */
	l->overflow.cgroups_evicted = sat_sub64(st->cgroup_inserts, s->n[LEDGER_CGROUPS]);
	l->overflow.tasks_evicted = sat_sub64(st->task_inserts, s->n[LEDGER_TASKS]);
	l->overflow.files_evicted = sat_sub64(sat_sub64(st->file_inserts, st->file_deletes),
					    s->n[LEDGER_FILES]);
	l->overflow.events_missed = st->events_missed;
}

/* Gone from the source and idle for the whole window: nothing to show. */
static bool stale(const struct ledger *l, const struct ledger_entry *e)
{
	unsigned oldest = (l->head + 1) % LEDGER_HIST;

	return e->seen != l->full_seq && l->samples == LEDGER_HIST &&
	       e->hist_added[oldest] == e->hist_added[l->head] &&
	       e->hist_net[oldest] == e->hist_net[l->head];
}

static void prune(struct ledger *l, enum ledger_kind k)
{
	struct ledger_table *t = &l->t[k];
	size_t w = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct ledger_entry *e = &t->v[i];

		if (!stale(l, e)) {
			if (w != i)
				t->v[w] = *e;
			w++;
			continue;
		}
		l->pruned[k].added += e->bytes.added;
		l->pruned[k].removed += e->bytes.removed;
		l->pruned[k].dirtied += e->bytes.dirtied;
		free(e->path_hint);
	}
	if (w != t->n)
		l->changed_seq = l->seq;  /* the views built from the tables change */
	t->n = w;
	/* After a build the tables empty again: give the room back. */
	if (t->cap > 256 && t->n < t->cap / 4) {
		struct ledger_entry *nv = realloc(t->v, t->cap / 2 * sizeof(*nv));

		if (nv) {
			t->v = nv;
			t->cap /= 2;
		}
	}
}

int ledger_update(struct ledger *l, const struct ledger_snapshot *s, uint64_t now_ns)
{
	int r;

	if (now_ns < l->ts[l->head])
		return -EINVAL;
	l->seq++;
	if (!s->unchanged) {
		for (int k = 0; k < _LEDGER_KINDS; k++) {
			r = table_fold(l, &l->t[k], s->items[k], s->n[k]);
			if (r < 0)
				return r;
		}
		l->full_seq = l->seq;
	}
	overflow_update(l, s);
	l->head = (l->head + 1) % LEDGER_HIST;
	l->ts[l->head] = now_ns;
	if (l->samples < LEDGER_HIST)
		l->samples++;
	/* Nothing moved for a whole history: every slot of every entry holds
	 * its value already, and what left the source was pruned when it went
	 * flat.  This is the idle daemon's sample: no walk over the tables. */
	if (s->unchanged && l->seq - l->changed_seq >= LEDGER_HIST)
		return 0;
	for (int k = 0; k < _LEDGER_KINDS; k++) {
		for (size_t i = 0; i < l->t[k].n; i++) {
			struct ledger_entry *e = &l->t[k].v[i];

			if (l->seq - e->changed_seq >= LEDGER_HIST)
				continue;  /* flat: every slot holds this value */
			e->hist_added[l->head] = e->bytes.added;
			e->hist_net[l->head] = ledger_net(e);
		}
		prune(l, k);
	}
	return 0;
}

/* Slot of the newest sample at least window_ns older than the head, else
 * of the oldest sample kept. */
static unsigned window_slot(const struct ledger *l, uint64_t window_ns)
{
	uint64_t now = l->ts[l->head];
	unsigned slot = l->head;

	for (unsigned i = 1; i < l->samples; i++) {
		slot = (l->head + LEDGER_HIST - i) % LEDGER_HIST;
		if (now - l->ts[slot] >= window_ns)
			break;
	}
	return slot;
}

double ledger_rate(const struct ledger *l, const struct ledger_entry *e, uint64_t window_ns,
		   bool net)
{
	unsigned slot;
	uint64_t dt;
	double dv;

	if (l->samples < 2)
		return 0;
	slot = window_slot(l, window_ns);
	dt = l->ts[l->head] - l->ts[slot];
	if (!dt)
		return 0;
	dv = net ? (double)(e->hist_net[l->head] - e->hist_net[slot])
		 : (double)(e->hist_added[l->head] - e->hist_added[slot]);
	return dv * 1e9 / (double)dt;
}

uint64_t ledger_interval_ns(const struct ledger *l)
{
	unsigned prev = (l->head + LEDGER_HIST - 1) % LEDGER_HIST;

	return l->samples < 2 ? 0 : l->ts[l->head] - l->ts[prev];
}

struct ledger_counts ledger_last(const struct ledger *l, const struct ledger_entry *e)
{
	unsigned prev = (l->head + LEDGER_HIST - 1) % LEDGER_HIST;
	uint64_t added;
	int64_t net;

	if (l->samples < 2)
		return (struct ledger_counts){ 0 };
	added = e->hist_added[l->head] - e->hist_added[prev];
	net = e->hist_net[l->head] - e->hist_net[prev];
	return (struct ledger_counts){ .added = added,
				       .removed = net < (int64_t)added ? added - (uint64_t)net : 0 };
}
