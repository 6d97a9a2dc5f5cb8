/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The live ledgers: bytes of page cache added, removed and dirtied since
 * the ledger started, per cgroup, per (cgroup, process) and per file, with
 * rates over 1 s and 10 s.  Pure: fed cumulative counters and the time by
 * the caller, so it is tested without BPF and never reads the clock. */

/* Samples kept for the rates: enough for 10 s at 1 s and a bit of jitter. */
#define LEDGER_HIST 16
#define LEDGER_COMM_LEN 16

struct ledger_counts {
	uint64_t added, removed, dirtied;
};

/* cgroups: a = cgroup id; tasks: a = cgroup id, b = tgid (in the initial
 * pid namespace: a key, never a pid to look up in the agent's /proc);
 * files: a = device (user-space dev_t, which fits 32 bits for every device
 * the kernel's 32-bit encoding can name) | inode generation << 32, b = inode. */
struct ledger_key {
	uint64_t a, b;
};

static inline uint64_t ledger_file_key_a(uint64_t dev, uint32_t gen)
{
	return dev | (uint64_t)gen << 32;
}

static inline uint64_t ledger_file_dev(const struct ledger_key *k)
{
	return (uint32_t)k->a;
}

/* One entry of a source snapshot: cumulative pages since the source began. */
struct ledger_item {
	struct ledger_key key;
	struct ledger_counts pages;
	char comm[LEDGER_COMM_LEN];   /* tasks: process name; files: owner's */
	char parent_comm[LEDGER_COMM_LEN];  /* name of that process's parent */
	const char *path_hint;        /* cgroups: path rebuilt from kernfs names */
	uint64_t owner_cgid;          /* files: cgroup of the first adder */
	uint32_t owner_tgid;          /* files: process of the first adder */
	/* The same processes as the agent's pid namespace numbers them; 0 when
	 * they have none there (another distro's, Docker Desktop's). */
	uint32_t ns_tgid;             /* tasks */
	uint32_t owner_ns_tgid;       /* files */
	/* CLASSIFY_TRUST_* (tracker/classify.h) the kernel vouched for: the
	 * cgroup's owner, the process's (files: the owner's) credentials. */
	uint32_t trust;
};

struct ledger_entry {
	struct ledger_key key;
	struct ledger_counts bytes;  /* since the ledger started */
	struct ledger_counts raw;    /* last cumulative pages seen */
	char comm[LEDGER_COMM_LEN];
	char parent_comm[LEDGER_COMM_LEN];
	char *path_hint;  /* kept from the first item that had one */
	uint64_t seen;    /* ledger sample in which the source last had it */
	/* The samples in which bytes.added, and added or removed, last moved
	 * (or the entry appeared): an entry unchanged for LEDGER_HIST samples
	 * has the same value in every history slot, so it is not rewritten. */
	uint64_t added_seq, changed_seq;
	uint64_t owner_cgid;
	uint32_t owner_tgid;
	uint32_t ns_tgid, owner_ns_tgid;  /* as in ledger_item */
	uint32_t trust;                   /* as in ledger_item */
	uint64_t hist_added[LEDGER_HIST];
	int64_t hist_net[LEDGER_HIST];
};

struct ledger_table {
	struct ledger_entry *v;  /* sorted by key */
	size_t n, cap;
};

/* What the source could not keep: LRU evictions and lost updates. */
struct ledger_overflow {
	uint64_t cgroups_evicted, tasks_evicted, files_evicted;
	uint64_t update_failures;
	uint64_t removed_unowned_bytes;  /* removed from files added before tracking */
	uint64_t events_missed;  /* the kernel skipped a program (it was running
				    on that CPU already: preempted mid-event) */
};

struct ledger_stats {
	uint64_t cgroup_inserts, task_inserts, file_inserts;
	uint64_t update_failures;
	uint64_t removed_unowned_pages;
	uint64_t events_missed;
	uint64_t map_updates;  /* counts the source folded into its entries */
	uint64_t file_deletes;  /* file entries the source forgot on purpose */
};

enum ledger_kind { LEDGER_CGROUPS, LEDGER_TASKS, LEDGER_FILES, _LEDGER_KINDS };

struct ledger_snapshot {
	/* The source's entries are as in its last snapshot (no insert, no
	 * update): items and n are not given and every entry is still there;
	 * the stats are new but for events_missed. */
	bool unchanged;
	struct ledger_item *items[_LEDGER_KINDS];
	size_t n[_LEDGER_KINDS];
	struct ledger_stats stats;
};

struct ledger {
	struct ledger_table t[_LEDGER_KINDS];
	/* Bytes of entries dropped from the tables (see ledger_update). */
	struct ledger_counts pruned[_LEDGER_KINDS];
	uint64_t seq;  /* samples folded so far */
	uint64_t full_seq;     /* the last sample that gave the source's items */
	uint64_t changed_seq;  /* the last sample in which an entry moved or appeared */
	uint64_t ts[LEDGER_HIST];
	unsigned head, samples;
	uint64_t page_size;
	uint64_t start_ns;
	struct ledger_overflow overflow;
};

void ledger_init(struct ledger *l, uint64_t page_size, uint64_t now_ns);
void ledger_free(struct ledger *l);
/* Folds a snapshot in.  A counter lower than last time means the source
 * evicted and re-created the key: the new value is all new.  An entry the
 * source no longer has and that did not change over the whole rate window
 * is dropped, its bytes added to pruned[], so the ledger stays about as
 * big as the source's bounded maps however long it runs.  -ENOMEM (the
 * ledger is unchanged for the entries not yet folded), -EINVAL when time
 * goes backwards. */
int ledger_update(struct ledger *l, const struct ledger_snapshot *s, uint64_t now_ns);

/* The entry gained cache in the last sample folded (or appeared in it). */
static inline bool ledger_added_last_sample(const struct ledger *l, const struct ledger_entry *e)
{
	return e->added_seq == l->seq;
}

/* The source may forget the entry: it has it, none of the cache its
 * counters saw arrive is left (removed >= added), and nothing moved for a
 * whole history.  For files, whose map is the largest: a file read again
 * later is a new entry, owned by whoever brought it back. */
static inline bool ledger_forgettable(const struct ledger *l, const struct ledger_entry *e)
{
	return e->seen == l->full_seq && l->seq - e->changed_seq >= LEDGER_HIST &&
	       e->raw.removed >= e->raw.added;
}

const struct ledger_entry *ledger_find(const struct ledger *l, enum ledger_kind k,
				       struct ledger_key key);
/* Bytes per second over the last window_ns (the sample closest to it), of
 * added bytes or of added - removed.  0 before there are two samples. */
double ledger_rate(const struct ledger *l, const struct ledger_entry *e, uint64_t window_ns,
		   bool net);
int64_t ledger_net(const struct ledger_entry *e);
/* The length of the last interval folded (between the two newest samples)
 * and the bytes the entry gained and lost in it: the growth every reader
 * of the ledger takes (the engine, the policy through it).  0 before there
 * are two samples. */
uint64_t ledger_interval_ns(const struct ledger *l);
struct ledger_counts ledger_last(const struct ledger *l, const struct ledger_entry *e);
