// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Page-cache tracker: counts pages added to, removed from and dirtied in
 * the page cache per cgroup v2 id, per (cgroup, process) and per file.
 * Three sets of entry points feed the same handlers; user space enables
 * one set (fentry, tp_btf or tracepoint) after probing what attaches. */
#include "types.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "pagecache.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#ifndef EEXIST
#define EEXIST 17
#endif

/* The agent's pid namespace (st_ino of /proc/self/ns/pid), set by user
 * space before loading; 0 records initial-namespace tgids only. */
const volatile __u32 pidns_ino = 0;

struct pc_cpu_events cpu_events[PC_EVENT_CPUS] = {};

static __always_inline void count_event(void)
{
	cpu_events[bpf_get_smp_processor_id() & (PC_EVENT_CPUS - 1)].n++;
}

/* Pid namespaces nested deeper than this below the root are not searched. */
#define PC_PIDNS_DEPTH 8

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PC_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct pc_cgroup);
} cgroups SEC(".maps");

/* Events come in long runs for one file from one task (readahead, a
 * write loop, truncation): they are summed per CPU here and added to the
 * hash maps when the key changes or PC_FLUSH_PAGES accumulate, which cuts
 * the cost per event from three hash lookups to one array lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PC_SLOT_MAX);
	__type(key, __u32);
	__type(value, struct pc_slot);
} slots SEC(".maps");

/* Room for a new cgroup entry: too big for the 512-byte BPF stack.  One
 * per program kind (add, dirty, remove, flush): a program cannot run twice
 * at once on a CPU (the kernel counts that as a miss), but in fentry mode,
 * which only disables migration, two different programs can interleave on
 * one CPU, and the flush program can interrupt any of them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PC_SLOT_MAX + 1);
	__type(key, __u32);
	__type(value, struct pc_cgroup);
} cgroup_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PC_MAX_TASKS);
	__type(key, struct pc_task_key);
	__type(value, struct pc_task);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PC_MAX_FILES);
	__type(key, struct pc_file_key);
	__type(value, struct pc_file);
} files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PC_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += n;
}

/* Lookup, else insert init; a concurrent insert of the same key is fine. */
static __always_inline void *get_or_insert(void *map, const void *key, const void *init,
					   __u32 insert_stat)
{
	void *v = bpf_map_lookup_elem(map, key);
	long err;

	if (v)
		return v;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (!err)
		stat_add(insert_stat, 1);
	else if (err != -EEXIST) {
		stat_add(PC_STAT_UPDATE_FAILED, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node___old *old = (void *)kn;

	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ(old, parent);
}

/* The running task's v1 memory cgroup, or NULL without one (no memory
 * controller, or it is on the unified hierarchy). */
static __always_inline struct cgroup *memcg_v1(struct task_struct *task, struct cgroup *dfl)
{
	struct css_set *cs = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css = NULL;
	struct cgroup *cg;
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return NULL;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (id < 0 || id >= 16)
		return NULL;
	bpf_core_read(&css, sizeof(css), &cs->subsys[id]);
	cg = BPF_CORE_READ(css, cgroup);
	return cg && cg != dfl ? cg : NULL;
}

/* The running task's cgroup v2 id; on a hybrid host, for a task in the v2
 * root, its v1 memory cgroup's id | PC_CGID_V1 instead (see pagecache.h). */
static __always_inline __u64 current_cgid(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct cgroup *dfl = BPF_CORE_READ(task, cgroups, dfl_cgrp), *mem;

	if (BPF_CORE_READ(dfl, level) != 0)
		return bpf_get_current_cgroup_id();
	mem = memcg_v1(task, dfl);
	if (!mem || BPF_CORE_READ(mem, level) == 0)
		return bpf_get_current_cgroup_id();
	return BPF_CORE_READ(mem, kn, id) | PC_CGID_V1;
}

/* The running task's cgroup as cgid names it (see current_cgid). */
static __always_inline struct cgroup *current_cgroup(__u64 cgid)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);

	if (cgid & PC_CGID_V1)
		cg = memcg_v1(task, cg) ?: cg;
	return cg;
}

/* A cgroup directory without attributes of its own was made by root (or
 * the kernel); one a user made, in a subtree delegated to them, carries
 * their uid. */
static __always_inline bool root_owned(struct kernfs_node *kn)
{
	struct kernfs_iattrs *ia = BPF_CORE_READ(kn, iattr);

	return kn && (!ia || BPF_CORE_READ(ia, ia_uid.val) == 0);
}

/* PC_TRUST_* of the running task in cgroup cgid: read from the kernel's
 * credentials and the cgroup's owner, never from a name. */
static __always_inline __u32 current_trust(__u64 cgid)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	const struct cred *cred = BPF_CORE_READ(task, cred);
	__u32 trust = 0;

	if (BPF_CORE_READ(cred, uid.val) == 0 && BPF_CORE_READ(cred, euid.val) == 0)
		trust |= PC_TRUST_ROOT_TASK;
	if (root_owned(BPF_CORE_READ(current_cgroup(cgid), kn)))
		trust |= PC_TRUST_ROOT_CGROUP;
	return trust;
}

static __always_inline void cgroup_names(struct pc_cgroup *v, __u64 cgid)
{
	struct cgroup *cg = current_cgroup(cgid);
	struct kernfs_node *kn = BPF_CORE_READ(cg, kn);

	v->trust = root_owned(kn) ? PC_TRUST_ROOT_CGROUP : 0;
	v->level = BPF_CORE_READ(cg, level);
	for (int i = 0; i < PC_CG_NAMES && kn; i++) {
		bpf_probe_read_kernel_str(v->names[i], PC_CG_NAME_LEN, BPF_CORE_READ(kn, name));
		kn = kn_parent(kn);
	}
}

/* current: cgid is the running task's cgroup, so its names can be read. */
static __always_inline struct pc_counts *cgroup_counts(__u64 cgid, bool current, __u32 scratch)
{
	struct pc_cgroup *v = bpf_map_lookup_elem(&cgroups, &cgid);

	if (v)
		return &v->c;
	v = bpf_map_lookup_elem(&cgroup_scratch, &scratch);
	if (!v)
		return NULL;
	__builtin_memset(v, 0, sizeof(*v));
	if (current)
		cgroup_names(v, cgid);
	v = get_or_insert(&cgroups, &cgid, v, PC_STAT_CGROUP_INSERTS);
	return v ? &v->c : NULL;
}

static __always_inline void parent_comm(char *buf)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);

	bpf_probe_read_kernel_str(buf, PC_COMM_LEN, parent->comm);
}

/* The current process's tgid as the agent's pid namespace numbers it, or
 * 0 when it has none there: each distro has its own pid namespace under
 * WSL, and Docker Desktop's processes are in none of ours.  Walking the
 * pid's levels (rather than bpf_get_ns_current_pid_tgid, which answers
 * only for tasks whose own namespace is the agent's) also numbers the
 * processes of containers nested below the agent's namespace. */
static __always_inline __u32 agent_ns_tgid(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);

	if (!pidns_ino)
		return bpf_get_current_pid_tgid() >> 32;
	for (unsigned int i = 0; i < PC_PIDNS_DEPTH; i++) {
		if (i > level)
			break;
		if (BPF_CORE_READ(pid, numbers[i].ns, ns.inum) == pidns_ino)
			return (__u32)BPF_CORE_READ(pid, numbers[i].nr);
	}
	return 0;
}

/* Makes sure the running task's cgroup, (cgroup, process) and, for
 * additions, file entries exist, while the task whose names they record is
 * the current one. */
static __always_inline void ensure_entries(__u64 cgid, __u32 tgid, __u32 ns_tgid, __u32 dev,
					   __u64 ino, __u32 gen, bool file, __u32 scratch)
{
	struct pc_task_key tk = { .cgid = cgid, .tgid = tgid };
	struct pc_file_key fk = { .ino = ino, .dev = dev, .gen = gen };
	struct pc_task *t, tinit = {};
	struct pc_file finit = {};
	__u32 trust = current_trust(cgid);

	cgroup_counts(cgid, true, scratch);
	t = bpf_map_lookup_elem(&tasks, &tk);
	if (t) {
		/* The name and credentials may have changed by exec or setuid
		 * since the entry was made. */
		bpf_get_current_comm(t->comm, sizeof(t->comm));
		t->trust = trust;
	} else {
		bpf_get_current_comm(tinit.comm, sizeof(tinit.comm));
		parent_comm(tinit.parent_comm);
		tinit.ns_tgid = ns_tgid;
		tinit.trust = trust;
		t = get_or_insert(&tasks, &tk, &tinit, PC_STAT_TASK_INSERTS);
	}
	if (!file || bpf_map_lookup_elem(&files, &fk))
		return;
	finit.owner_cgid = cgid;
	finit.owner_tgid = tgid;
	finit.owner_ns_tgid = ns_tgid;
	finit.owner_trust = trust;
	bpf_get_current_comm(finit.owner_comm, sizeof(finit.owner_comm));
	if (t)
		__builtin_memcpy(finit.owner_parent_comm, t->parent_comm,
				 sizeof(finit.owner_parent_comm));
	get_or_insert(&files, &fk, &finit, PC_STAT_FILE_INSERTS);
}

static __always_inline void flush_add(struct pc_slot *s, __u32 scratch)
{
	struct pc_task_key tk = { .cgid = s->cgid, .tgid = s->tgid };
	struct pc_file_key fk = { .ino = s->ino, .dev = s->dev, .gen = s->gen };
	struct pc_counts *c = cgroup_counts(s->cgid, false, scratch);
	struct pc_task *t = bpf_map_lookup_elem(&tasks, &tk);
	struct pc_file *f = bpf_map_lookup_elem(&files, &fk);

	if (c)
		__sync_fetch_and_add(&c->added, s->pages);
	if (t)
		__sync_fetch_and_add(&t->c.added, s->pages);
	if (f)
		__sync_fetch_and_add(&f->c.added, s->pages);
	else
		stat_add(PC_STAT_UPDATE_FAILED, 1);
	stat_add(PC_STAT_MAP_UPDATES, 1);
	s->pages = 0;
}

static __always_inline void flush_dirty(struct pc_slot *s, __u32 scratch)
{
	struct pc_task_key tk = { .cgid = s->cgid, .tgid = s->tgid };
	struct pc_file_key fk = { .ino = s->ino, .dev = s->dev, .gen = s->gen };
	struct pc_counts *c = cgroup_counts(s->cgid, false, scratch);
	struct pc_task *t = bpf_map_lookup_elem(&tasks, &tk);
	struct pc_file *f;

	if (c)
		__sync_fetch_and_add(&c->dirtied, s->pages);
	if (t)
		__sync_fetch_and_add(&t->c.dirtied, s->pages);
	f = s->have_file ? bpf_map_lookup_elem(&files, &fk) : NULL;
	if (f)
		__sync_fetch_and_add(&f->c.dirtied, s->pages);
	stat_add(PC_STAT_MAP_UPDATES, 1);
	s->pages = 0;
}

/* Removals run in reclaim, truncate or drop_caches context, so the current
 * task says nothing about whose cache left: charge the file's owner. */
static __always_inline void flush_remove(struct pc_slot *s, __u32 scratch)
{
	struct pc_file_key fk = { .ino = s->ino, .dev = s->dev, .gen = s->gen };
	struct pc_file *f = bpf_map_lookup_elem(&files, &fk);
	struct pc_task_key tk = {};
	struct pc_counts *c;
	struct pc_task *t;

	if (!f) {
		stat_add(PC_STAT_REMOVED_UNOWNED, s->pages);
		s->pages = 0;
		return;
	}
	__sync_fetch_and_add(&f->c.removed, s->pages);
	stat_add(PC_STAT_MAP_UPDATES, 1);
	c = cgroup_counts(f->owner_cgid, false, scratch);
	if (c)
		__sync_fetch_and_add(&c->removed, s->pages);
	tk.cgid = f->owner_cgid;
	tk.tgid = f->owner_tgid;
	t = bpf_map_lookup_elem(&tasks, &tk);
	if (t)
		__sync_fetch_and_add(&t->c.removed, s->pages);
	s->pages = 0;
}

static __always_inline struct pc_slot *slot(__u32 kind)
{
	return bpf_map_lookup_elem(&slots, &kind);
}

/* busy brackets every update of a slot (see struct pc_slot); the compiler
 * must not move the slot's loads and stores across it. */
static __always_inline void slot_busy(struct pc_slot *s, __u32 busy)
{
	asm volatile("" ::: "memory");
	*(volatile __u32 *)&s->busy = busy;
	asm volatile("" ::: "memory");
}

static __always_inline void flush_slot(struct pc_slot *s, __u32 kind, __u32 scratch)
{
	if (!s->pages)
		return;
	if (kind == PC_SLOT_ADD)
		flush_add(s, scratch);
	else if (kind == PC_SLOT_DIRTY)
		flush_dirty(s, scratch);
	else
		flush_remove(s, scratch);
}

/* The fast path compares the task pointer only; the cgroup and tgid are
 * looked up when a run starts, and again after each flush, so a task moved
 * to another cgroup is charged there within PC_FLUSH_PAGES pages.  Returns
 * the slot marked busy. */
static __always_inline struct pc_slot *run_slot(__u32 kind, __u32 dev, __u64 ino, __u32 gen,
						bool have_file)
{
	__u64 task = bpf_get_current_task();
	struct pc_slot *s = slot(kind);

	if (!s)
		return NULL;
	slot_busy(s, 1);
	if (s->used && s->task == task && s->dev == dev && s->ino == ino && s->gen == gen)
		return s;
	flush_slot(s, kind, kind);
	*s = (struct pc_slot){ .cgid = current_cgid(),
			       .tgid = bpf_get_current_pid_tgid() >> 32, .task = task,
			       .dev = dev, .ino = ino, .gen = gen, .have_file = have_file,
			       .used = 1, .busy = 1, .ns_tgid = agent_ns_tgid() };
	ensure_entries(s->cgid, s->tgid, s->ns_tgid, dev, ino, gen, kind == PC_SLOT_ADD, kind);
	return s;
}

static __always_inline void on_run(__u32 kind, __u32 dev, __u64 ino, __u32 gen, bool have_file,
				   __u64 nr)
{
	struct pc_slot *s;

	count_event();
	s = run_slot(kind, dev, ino, gen, have_file);

	if (!s)
		return;
	s->pages += nr;
	if (s->pages >= PC_FLUSH_PAGES) {
		flush_slot(s, kind, kind);
		s->used = 0;
	}
	slot_busy(s, 0);
}

static __always_inline void on_add(__u32 dev, __u64 ino, __u32 gen, __u64 nr)
{
	on_run(PC_SLOT_ADD, dev, ino, gen, true, nr);
}

static __always_inline void on_dirty(__u32 dev, __u64 ino, __u32 gen, bool have_file, __u64 nr)
{
	on_run(PC_SLOT_DIRTY, dev, ino, gen, have_file, nr);
}

static __always_inline void on_remove(__u32 dev, __u64 ino, __u32 gen, __u64 nr)
{
	struct pc_slot *s;

	count_event();
	s = slot(PC_SLOT_REMOVE);

	if (!s)
		return;
	slot_busy(s, 1);
	if (!s->used || s->dev != dev || s->ino != ino || s->gen != gen) {
		flush_slot(s, PC_SLOT_REMOVE, PC_SLOT_REMOVE);
		*s = (struct pc_slot){ .dev = dev, .ino = ino, .gen = gen, .used = 1, .busy = 1 };
	}
	s->pages += nr;
	if (s->pages >= PC_FLUSH_PAGES)
		flush_slot(s, PC_SLOT_REMOVE, PC_SLOT_REMOVE);
	slot_busy(s, 0);
}

/* Run by user space (BPF_PROG_TEST_RUN on each CPU in turn) before it
 * reads the maps, so a sample holds every page counted so far, not all but
 * the last PC_FLUSH_PAGES - 1 per CPU and kind.  It runs in an IPI, so it
 * may interrupt a program updating a slot: that slot is left for the
 * program (or the next flush) to finish. */
SEC("raw_tp")
int flush_pending(void *ctx)
{
	for (__u32 kind = 0; kind < PC_SLOT_MAX; kind++) {
		struct pc_slot *s = slot(kind);

		if (!s || s->busy)
			continue;
		flush_slot(s, kind, PC_SLOT_MAX);
	}
	return 0;
}

/* fentry and tp_btf hand us BTF-typed pointers: plain loads (checked by
 * the verifier, relocated by CO-RE) instead of bpf_probe_read_kernel calls,
 * which cost about 25 ns each on every page-cache event. */
static __always_inline __u64 folio_nr(struct folio *folio)
{
	struct folio___ulong *old = (void *)folio;
	unsigned long flags;

	if (bpf_core_field_exists(folio->flags.f))
		flags = folio->flags.f;
	else
		flags = old->flags;
	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	/* 6.1-6.5 have both fields, and there _flags_1 holds the first tail
	 * page's flags: only _folio_order is the order.  6.6 moved the order
	 * into _flags_1's low byte and dropped _folio_order. */
	if (bpf_core_field_exists(old->_folio_order))
		return 1UL << old->_folio_order;
	if (bpf_core_field_exists(folio->_flags_1))
		return 1UL << (folio->_flags_1 & 0xff);
	return 1;
}

static __always_inline __u32 mapping_dev(struct address_space *m)
{
	return m->host->i_sb->s_dev;
}

static __always_inline __u64 mapping_ino(struct address_space *m)
{
	return m->host->i_ino;
}

static __always_inline __u32 mapping_gen(struct address_space *m)
{
	return m->host->i_generation;
}

/* --- fentry mode: the folio-era functions behind the tracepoints --- */

SEC("fexit/__filemap_add_folio")
int BPF_PROG(fexit_filemap_add_folio, struct address_space *mapping, struct folio *folio,
	     unsigned long index, unsigned int gfp, void **shadowp, int ret)
{
	if (ret == 0)
		on_add(mapping_dev(mapping), mapping_ino(mapping), mapping_gen(mapping),
		       folio_nr(folio));
	return 0;
}

/* Both __filemap_remove_folio and delete_from_page_cache_batch pass here. */
SEC("fentry/filemap_unaccount_folio")
int BPF_PROG(fentry_filemap_unaccount_folio, struct address_space *mapping, struct folio *folio)
{
	on_remove(mapping_dev(mapping), mapping_ino(mapping), mapping_gen(mapping),
		  folio_nr(folio));
	return 0;
}

/* Called only for a folio that was clean: counts each dirtying once. */
SEC("fentry/__folio_mark_dirty")
int BPF_PROG(fentry_folio_mark_dirty, struct folio *folio, struct address_space *mapping)
{
	if (mapping)
		on_dirty(mapping_dev(mapping), mapping_ino(mapping), mapping_gen(mapping), true,
			 folio_nr(folio));
	return 0;
}

/* --- tp_btf mode: BTF-typed tracepoints, folio pointers as arguments --- */

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(btf_add, struct folio *folio)
{
	struct address_space *m = folio->mapping;

	on_add(mapping_dev(m), mapping_ino(m), mapping_gen(m), folio_nr(folio));
	return 0;
}

SEC("tp_btf/mm_filemap_delete_from_page_cache")
int BPF_PROG(btf_delete, struct folio *folio)
{
	struct address_space *m = folio->mapping;

	on_remove(mapping_dev(m), mapping_ino(m), mapping_gen(m), folio_nr(folio));
	return 0;
}

SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(btf_dirty, struct folio *folio, struct address_space *mapping)
{
	if (mapping)
		on_dirty(mapping_dev(mapping), mapping_ino(mapping), mapping_gen(mapping), true,
			 folio_nr(folio));
	return 0;
}

/* --- tracepoint mode: classic tracepoints, no BTF-typed arguments --- */

static __always_inline __u64 tp_nr(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	if (bpf_core_field_exists(ctx->order))
		return 1UL << ctx->order;
	return 1;
}

SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int tp_add(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	on_add(ctx->s_dev, ctx->i_ino, 0, tp_nr(ctx));
	return 0;
}

SEC("tracepoint/filemap/mm_filemap_delete_from_page_cache")
int tp_delete(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	on_remove(ctx->s_dev, ctx->i_ino, 0, tp_nr(ctx));
	return 0;
}

/* This event carries neither the device nor the folio size: one page per
 * event, charged to the cgroup and process only (a lower bound where large
 * folios are in use). */
SEC("tracepoint/writeback/writeback_dirty_folio")
int tp_dirty(struct trace_event_raw_writeback_folio_template *ctx)
{
	on_dirty(0, ctx->ino, 0, false, 1);
	return 0;
}
