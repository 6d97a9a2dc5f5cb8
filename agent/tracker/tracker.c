/* SPDX-License-Identifier: MIT */
#include "tracker/tracker.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/types.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Relative to this file, so VPATH builds find it without another -I. */
#include "../../bpf/pagecache.h"
#include "bpf/pagecache.skel.h"
#include "shared/util.h"
#include "tracker/classify.h"
#include "tracker/resolve.h"

_Static_assert(PC_CGID_V1 == RESOLVER_CGID_V1, "one bit for v1 memory cgroup ids");
_Static_assert(PC_TRUST_ROOT_TASK == CLASSIFY_TRUST_ROOT_PROCESS &&
		       PC_TRUST_ROOT_CGROUP == CLASSIFY_TRUST_ROOT_CGROUP,
	       "the BPF side's trust bits are the classifier's");

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define LIVE_BTF "/sys/kernel/btf/vmlinux"
/* How often the map is rid of the files whose cache is gone (forget_files). */
#define TRACKER_FORGET_NSEC (10ull * 1000000000)
#define CG_HINT_LEN (8 + PC_CG_NAMES * PC_CG_NAME_LEN)

struct map_buf {
	void *keys, *values;
	size_t key_size, value_size, max;
};

struct tracker {
	struct pagecache *skel;
	enum tracker_mode mode;
	char probe_log[512];
	struct map_buf bufs[_LEDGER_KINDS];
	struct ledger_item *items[_LEDGER_KINDS];
	char (*hints)[CG_HINT_LEN];  /* one per cgroup map entry */
	int ncpus;
	__u64 *stat_values;  /* PC_STAT_MAX x ncpus, for read_stats */
	/* The stats that move with the maps, when they were last read whole. */
	uint64_t map_moves;
	bool read_once;     /* false: the next sample reads the maps whole */
	uint64_t forget_ns, file_deletes;
	size_t resident[_LEDGER_KINDS];  /* buffer entries that may be paged in */
	size_t n[_LEDGER_KINDS];         /* entries of the last full read */
	struct ledger_stats stats;  /* as last read */
	/* cpu_events as the last sample saw them, and which moved since. */
	__u64 events_seen[PC_EVENT_CPUS];
	bool moved[PC_EVENT_CPUS];
};

const char *tracker_mode_name(enum tracker_mode m)
{
	static const char *const n[] = { "auto", "fentry", "tp_btf", "tracepoint" };

	return m < _TRACKER_MODE_MAX ? n[m] : "?";
}

int tracker_mode_from_string(const char *s, enum tracker_mode *ret)
{
	for (int m = 0; m < _TRACKER_MODE_MAX; m++)
		if (!strcmp(s, tracker_mode_name(m))) {
			*ret = m;
			return 0;
		}
	return -EINVAL;
}

/* libbpf explains every failed probe at length; the probe log says it in
 * one line, so its chatter is only shown on request. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("WSLDOCK_BPF_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool has_bpf_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	uint64_t eff;

	if (syscall(SYS_capget, &h, d) < 0)
		return geteuid() == 0;
	eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	if (eff & (1ull << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ull << CAP_BPF)) && (eff & (1ull << CAP_PERFMON));
}

static void mode_programs(struct pagecache *s, enum tracker_mode m, struct bpf_program *p[3])
{
	switch (m) {
	case TRACKER_MODE_FENTRY:
		p[0] = s->progs.fexit_filemap_add_folio;
		p[1] = s->progs.fentry_filemap_unaccount_folio;
		p[2] = s->progs.fentry_folio_mark_dirty;
		break;
	case TRACKER_MODE_TP_BTF:
		p[0] = s->progs.btf_add;
		p[1] = s->progs.btf_delete;
		p[2] = s->progs.btf_dirty;
		break;
	default:
		p[0] = s->progs.tp_add;
		p[1] = s->progs.tp_delete;
		p[2] = s->progs.tp_dirty;
		break;
	}
}

static void set_autoload(struct pagecache *s, enum tracker_mode want)
{
	for (int m = TRACKER_MODE_FENTRY; m < _TRACKER_MODE_MAX; m++) {
		struct bpf_program *p[3];

		mode_programs(s, m, p);
		for (size_t i = 0; i < ELEMENTSOF(p); i++)
			bpf_program__set_autoload(p[i], m == (int)want);
	}
}

/* The agent's pid namespace, by inode; 0 (tgids of the initial namespace
 * only) when it cannot be told. */
static __u32 agent_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (__u32)st.st_ino : 0;
}

/* The verifier's log of a failed load, kept for --verbose.  The kernel
 * keeps the log's tail when it overflows (6.4+), which is where the reason
 * is. */
#define VERIFIER_LOG_SIZE (256u << 10)

/* Says why loading failed: a verifier rejection by name (as root it reads
 * EACCES, which is no permission problem), else the errno. */
static void explain_load(struct pagecache *s, enum tracker_mode m, int r, const char *log,
			 char *why, size_t why_len)
{
	struct bpf_program *p[3];

	mode_programs(s, m, p);
	for (size_t i = 0; i < ELEMENTSOF(p); i++) {
		if (bpf_program__fd(p[i]) >= 0)
			continue;
		if (log[0]) {
			snprintf(why, why_len, "the kernel's verifier rejected %s (%s)",
				 bpf_program__name(p[i]), strerror(-r));
			return;
		}
		break;
	}
	snprintf(why, why_len, "load: %s", strerror(-r));
}

/* The real test: open, load and attach every program of the mode. */
static int try_mode(enum tracker_mode m, struct pagecache **ret, char *log, char *why,
		    size_t why_len)
{
	struct pagecache *s = pagecache__open();
	struct bpf_program *p[3];
	int r;

	if (!s) {
		r = -errno;
		snprintf(why, why_len, "open: %s", strerror(-r));
		return r;
	}
	set_autoload(s, m);
	s->rodata->pidns_ino = agent_pidns();
	/* Run on demand by tracker_sample, attached to nothing. */
	bpf_program__set_autoattach(s->progs.flush_pending, false);
	/* With log level 0 libbpf asks for the log only when a load fails. */
	mode_programs(s, m, p);
	log[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(p); i++)
		bpf_program__set_log_buf(p[i], log, VERIFIER_LOG_SIZE);
	r = pagecache__load(s);
	if (r < 0) {
		explain_load(s, m, r, log, why, why_len);
		goto fail;
	}
	r = pagecache__attach(s);
	if (r < 0) {
		snprintf(why, why_len, "attach: %s", strerror(-r));
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	pagecache__destroy(s);
	return r;
}

/* Every mode needs struct folio and the folio tracepoints (5.16+); WSL's
 * 5.10 and 5.15 kernels have neither, and the tracker has no page-era
 * path.  Says so, or "" on a newer kernel. */
static const char *kernel_too_old(void)
{
	static char buf[128];
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2 ||
	    major > 5 || (major == 5 && minor >= 16))
		return "";
	snprintf(buf, sizeof(buf), "; the tracker needs Linux 5.16 or later (folios), this is %.64s",
		 u.release);
	return buf;
}

static int probe(struct tracker *t, const struct tracker_opts *o, char *why, size_t why_len)
{
	enum tracker_mode want = o->mode;
	_cleanup_free_ char *log = malloc(VERIFIER_LOG_SIZE);
	size_t used = 0;
	int r = -ENOENT;

	if (!log) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}

	for (int m = TRACKER_MODE_FENTRY; m < _TRACKER_MODE_MAX; m++) {
		char err[160];

		if (want != TRACKER_MODE_AUTO && m != (int)want)
			continue;
		r = try_mode(m, &t->skel, log, err, sizeof(err));
		if (r < 0 && log[0] && o->verifier_log)
			snprintf(o->verifier_log, o->verifier_log_size, "%s", log);
		if (r == 0) {
			snprintf(t->probe_log + used, sizeof(t->probe_log) - used, "%s: attached",
				 tracker_mode_name(m));
			t->mode = m;
			return 0;
		}
		used += (size_t)snprintf(t->probe_log + used, sizeof(t->probe_log) - used,
					 "%s: %s; ", tracker_mode_name(m), err);
		if (used >= sizeof(t->probe_log))
			used = sizeof(t->probe_log) - 1;
	}
	snprintf(why, why_len, "no BPF attach mode works (%s)%s", t->probe_log, kernel_too_old());
	return r;
}

static int bufs_alloc(struct tracker *t)
{
	static const struct {
		size_t key, value, max;
	} sz[_LEDGER_KINDS] = {
		[LEDGER_CGROUPS] = { sizeof(__u64), sizeof(struct pc_cgroup), PC_MAX_CGROUPS },
		[LEDGER_TASKS] = { sizeof(struct pc_task_key), sizeof(struct pc_task), PC_MAX_TASKS },
		[LEDGER_FILES] = { sizeof(struct pc_file_key), sizeof(struct pc_file), PC_MAX_FILES },
	};

	for (int k = 0; k < _LEDGER_KINDS; k++) {
		struct map_buf *b = &t->bufs[k];

		b->key_size = sz[k].key;
		b->value_size = sz[k].value;
		b->max = sz[k].max;
		b->keys = calloc(b->max, b->key_size);
		b->values = calloc(b->max, b->value_size);
		t->items[k] = calloc(b->max, sizeof(struct ledger_item));
		if (!b->keys || !b->values || !t->items[k])
			return -ENOMEM;
	}
	t->hints = calloc(PC_MAX_CGROUPS, sizeof(*t->hints));
	t->stat_values = calloc((size_t)PC_STAT_MAX * (size_t)t->ncpus, sizeof(*t->stat_values));
	return t->hints && t->stat_values ? 0 : -ENOMEM;
}

int tracker_open(const struct tracker_opts *o, struct tracker **ret, char *why, size_t why_len)
{
	struct tracker *t = NULL;
	int r;

	/* The programs load into the running kernel whatever o->root says, so
	 * its BTF is what counts, never a file under a root tree. */
	if (access(LIVE_BTF, R_OK) < 0) {
		snprintf(why, why_len, "no kernel BTF (%s): the CO-RE programs cannot load", LIVE_BTF);
		return -ENOTSUP;
	}
	if (!has_bpf_privileges()) {
		snprintf(why, why_len, "loading BPF needs root or CAP_BPF with CAP_PERFMON");
		return -EPERM;
	}
	libbpf_set_print(libbpf_quiet);
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	t->ncpus = libbpf_num_possible_cpus();
	r = t->ncpus > 0 ? bufs_alloc(t) : t->ncpus;
	if (r < 0) {
		snprintf(why, why_len, "cannot allocate map buffers: %s", strerror(-r));
		goto fail;
	}
	r = probe(t, o, why, why_len);
	if (r < 0)
		goto fail;
	*ret = t;
	return 0;
fail:
	tracker_close(t);
	return r;
}

enum tracker_mode tracker_mode(const struct tracker *t)
{
	return t->mode;
}

const char *tracker_probe_log(const struct tracker *t)
{
	return t->probe_log;
}

/* Batch lookup where the kernel has it, key by key where it does not. */
static int read_map(int fd, struct map_buf *b, size_t *count)
{
	__u64 token = 0;
	size_t n = 0;
	bool first = true;
	int r;

	for (;;) {
		__u32 cnt = (__u32)(b->max - n);

		if (!cnt)
			break;
		r = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					 (char *)b->keys + n * b->key_size,
					 (char *)b->values + n * b->value_size, &cnt, NULL);
		first = false;
		if (r < 0 && errno != ENOENT)
			goto one_by_one;
		n += cnt;
		if (r < 0)
			break;
	}
	*count = n;
	return 0;
one_by_one:
	n = 0;
	for (void *prev = NULL; n < b->max; n++) {
		void *key = (char *)b->keys + n * b->key_size;

		if (bpf_map_get_next_key(fd, prev, key) < 0)
			break;
		if (bpf_map_lookup_elem(fd, key, (char *)b->values + n * b->value_size) < 0)
			n--;  /* evicted meanwhile: its slot is reused */
		else
			prev = key;
	}
	*count = n;
	return 0;
}

/* "/a/b/c" from the names the programs read; deeper cgroups keep their
 * last three names under "/...".  NULL when the names were not read
 * (entries created by a removal, charged to a cgroup not running). */
static const char *cgroup_hint(const struct pc_cgroup *v, char *buf)
{
	size_t used = 0;
	unsigned n = v->level < PC_CG_NAMES ? v->level : PC_CG_NAMES;

	if (!v->names[0][0])
		return NULL;
	if (v->level == 0)
		return "/";
	if (v->level > PC_CG_NAMES)
		used = (size_t)snprintf(buf, CG_HINT_LEN, "/...");
	for (unsigned i = n; i-- > 0;)
		used += (size_t)snprintf(buf + used, CG_HINT_LEN - used, "/%.*s", PC_CG_NAME_LEN,
					 v->names[i]);
	return buf;
}

static void to_items(struct tracker *t, enum ledger_kind k, size_t n)
{
	struct map_buf *b = &t->bufs[k];
	struct ledger_item *it = t->items[k];

	for (size_t i = 0; i < n; i++) {
		memset(&it[i], 0, sizeof(it[i]));
		if (k == LEDGER_CGROUPS) {
			const struct pc_cgroup *v = &((struct pc_cgroup *)b->values)[i];

			it[i].key.a = ((__u64 *)b->keys)[i];
			it[i].pages = (struct ledger_counts){ v->c.added, v->c.removed, v->c.dirtied };
			it[i].path_hint = cgroup_hint(v, t->hints[i]);
			it[i].trust = v->trust;
		} else if (k == LEDGER_TASKS) {
			const struct pc_task_key *key = &((struct pc_task_key *)b->keys)[i];
			const struct pc_task *v = &((struct pc_task *)b->values)[i];

			it[i].key = (struct ledger_key){ key->cgid, key->tgid };
			it[i].pages = (struct ledger_counts){ v->c.added, v->c.removed, v->c.dirtied };
			memcpy(it[i].comm, v->comm, sizeof(it[i].comm));
			memcpy(it[i].parent_comm, v->parent_comm, sizeof(it[i].parent_comm));
			it[i].ns_tgid = v->ns_tgid;
			it[i].trust = v->trust;
		} else {
			const struct pc_file_key *key = &((struct pc_file_key *)b->keys)[i];
			const struct pc_file *v = &((struct pc_file *)b->values)[i];

			it[i].key = (struct ledger_key){
				ledger_file_key_a(kernel_dev_to_user(key->dev), key->gen), key->ino };
			it[i].pages = (struct ledger_counts){ v->c.added, v->c.removed, v->c.dirtied };
			memcpy(it[i].comm, v->owner_comm, sizeof(it[i].comm));
			memcpy(it[i].parent_comm, v->owner_parent_comm, sizeof(it[i].parent_comm));
			it[i].owner_cgid = v->owner_cgid;
			it[i].owner_tgid = v->owner_tgid;
			it[i].owner_ns_tgid = v->owner_ns_tgid;
			it[i].trust = v->owner_trust;
		}
		it[i].comm[LEDGER_COMM_LEN - 1] = '\0';
		it[i].parent_comm[LEDGER_COMM_LEN - 1] = '\0';
	}
}

/* Events the kernel did not run a program for, because the same program
 * was already running on that CPU (its task preempted mid-event). */
static uint64_t programs_missed(struct tracker *t)
{
	struct bpf_program *p[3];
	uint64_t n = 0;

	mode_programs(t->skel, t->mode, p);
	for (size_t i = 0; i < ELEMENTSOF(p); i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(p[i]), &info, &len) == 0)
			n += info.recursion_misses;
	}
	return n;
}

/* The per-CPU counters of the stats map, summed: one batch lookup of every
 * key and CPU (arrays take batch operations since 5.6, and the programs
 * need 5.16). */
static int read_stats(struct tracker *t, struct ledger_stats *st)
{
	__u64 sum[PC_STAT_MAX] = { 0 };
	__u32 keys[PC_STAT_MAX], count = PC_STAT_MAX, out;
	int r;

	r = bpf_map_lookup_batch(bpf_map__fd(t->skel->maps.stats), NULL, &out, keys,
				 t->stat_values, &count, NULL);
	if (r < 0 && errno != ENOENT)
		return -errno;
	if (count != PC_STAT_MAX)
		return -EIO;
	for (__u32 k = 0; k < PC_STAT_MAX; k++)
		for (int c = 0; c < t->ncpus; c++)
			sum[keys[k]] += t->stat_values[(size_t)k * (size_t)t->ncpus + (size_t)c];
	st->cgroup_inserts = sum[PC_STAT_CGROUP_INSERTS];
	st->task_inserts = sum[PC_STAT_TASK_INSERTS];
	st->file_inserts = sum[PC_STAT_FILE_INSERTS];
	st->update_failures = sum[PC_STAT_UPDATE_FAILED];
	st->removed_unowned_pages = sum[PC_STAT_REMOVED_UNOWNED];
	st->map_updates = sum[PC_STAT_MAP_UPDATES];
	st->file_deletes = t->file_deletes;
	return 0;
}

/* Inserts, folds of pending counts into entries, failed updates: no entry
 * of any map changes without moving one of them. */
static uint64_t map_moves(const struct ledger_stats *st)
{
	return st->cgroup_inserts + st->task_inserts + st->file_inserts + st->update_failures +
	       st->map_updates;
}

/* Which CPUs saw events since the last sample (t->moved); false when none
 * did.  Reads the programs' .bss through its mapping: no system call. */
static bool events_moved(struct tracker *t)
{
	const struct pc_cpu_events *ev = t->skel->bss->cpu_events;
	bool any = false;

	for (int c = 0; c < PC_EVENT_CPUS; c++) {
		__u64 n = __atomic_load_n(&ev[c].n, __ATOMIC_RELAXED);

		t->moved[c] = n != t->events_seen[c];
		t->events_seen[c] = n;
		any |= t->moved[c];
	}
	return any;
}

/* Moves what the programs hold per CPU into the maps, so the sample has
 * every page counted so far: on each CPU that saw events since the last
 * sample (the others hold nothing new), in an IPI.  A CPU that is offline
 * has nothing pending. */
static int flush_pending(struct tracker *t)
{
	int fd = bpf_program__fd(t->skel->progs.flush_pending);

	for (int c = 0; c < t->ncpus; c++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = (__u32)c);

		if (!t->moved[c % PC_EVENT_CPUS])
			continue;
		if (bpf_prog_test_run_opts(fd, &o) < 0 && errno != ENXIO)
			return -errno;
	}
	return 0;
}

/* A map that held many entries and now holds few (the build's files were
 * forgotten) gives back the pages of its buffers beyond what is used: they
 * are faulted in again, zeroed, when the map grows.  Only when the used part
 * halved, so a busy map costs no system call. */
bool tracker_trim_range(uintptr_t base, size_t used, size_t size, size_t page, uintptr_t *from,
			uintptr_t *to)
{
	/* Whole pages inside the buffer only: madvise rounds the length up,
	 * and the page the buffer ends in may hold the next heap chunk's
	 * header and data (a buffer under malloc's mmap threshold, which grows
	 * as large blocks are freed).  Rounding the end up zeroed them: the
	 * "free(): invalid pointer" at SIGTERM after builds' files were
	 * forgotten (issue 19). */
	*from = (base + used + page - 1) & ~((uintptr_t)page - 1);
	*to = (base + size) & ~((uintptr_t)page - 1);
	return *to > *from;
}

static void bufs_trim(struct tracker *t, enum ledger_kind k, size_t n)
{
	struct map_buf *b = &t->bufs[k];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct {
		void *base;
		size_t size;
	} part[] = { { b->keys, b->key_size }, { b->values, b->value_size },
		     { t->items[k], sizeof(struct ledger_item) } };

	if (n >= t->resident[k] / 2)
		return;
	for (size_t i = 0; i < ELEMENTSOF(part); i++) {
		uintptr_t from, to;

		if (tracker_trim_range((uintptr_t)part[i].base, n * part[i].size,
				       b->max * part[i].size, page, &from, &to))
			madvise((void *)from, to - from, MADV_DONTNEED);
	}
	t->resident[k] = n;
}

/* Deletes the file entries the ledger says may go (ledger_forgettable) from
 * the map, at most once per TRACKER_FORGET_NSEC: what a build left in the
 * map is gone from the cache soon after its episode, and would otherwise
 * hold the map, the ledger and this process's memory until evicted by
 * newer files.  The next sample reads the maps whole again. */
static void forget_files(struct tracker *t, const struct ledger *l, size_t n, uint64_t now_ns)
{
	struct map_buf *b = &t->bufs[LEDGER_FILES];
	int fd = bpf_map__fd(t->skel->maps.files);
	__u32 count = 0, done;

	if (now_ns - t->forget_ns < TRACKER_FORGET_NSEC)
		return;
	t->forget_ns = now_ns;
	for (size_t i = 0; i < n; i++) {
		const struct ledger_entry *e = ledger_find(l, LEDGER_FILES, t->items[LEDGER_FILES][i].key);

		if (e && ledger_forgettable(l, e))
			memmove((char *)b->keys + count++ * b->key_size, (char *)b->keys + i * b->key_size,
				b->key_size);
	}
	if (!count)
		return;
	/* The keys were moved: the next sample must read them again. */
	t->read_once = false;
	done = count;
	if (bpf_map_delete_batch(fd, b->keys, &done, NULL) == 0) {
		t->file_deletes += done;
		return;
	}
	/* Stopped at a key evicted meanwhile (ENOENT: skipped), or a kernel
	 * without batch deletes (done = 0): the rest one by one. */
	t->file_deletes += done;
	for (__u32 i = done + (errno == ENOENT); i < count; i++)
		t->file_deletes += bpf_map_delete_elem(fd, (char *)b->keys + i * b->key_size) == 0;
}

/* Folds the snapshot in, then tidies up: the files whose cache is gone
 * leave the map (the buffers still hold the last full read's keys, also
 * after unchanged samples), and buffers the maps no longer fill are given
 * back. */
static int sampled(struct tracker *t, struct ledger *l, const struct ledger_snapshot *s,
		   uint64_t now_ns)
{
	int r = ledger_update(l, s, now_ns);

	if (r < 0)
		return r;
	forget_files(t, l, t->n[LEDGER_FILES], now_ns);
	if (!s->unchanged)
		for (int k = 0; k < _LEDGER_KINDS; k++)
			bufs_trim(t, k, s->n[k]);
	return 0;
}

int tracker_sample(struct tracker *t, struct ledger *l, uint64_t now_ns)
{
	struct ledger_snapshot s = { 0 };
	const int fds[_LEDGER_KINDS] = {
		[LEDGER_CGROUPS] = bpf_map__fd(t->skel->maps.cgroups),
		[LEDGER_TASKS] = bpf_map__fd(t->skel->maps.tasks),
		[LEDGER_FILES] = bpf_map__fd(t->skel->maps.files),
	};
	int r;

	/* The maps are copied out only when they moved (a batch lookup walks
	 * every bucket of a map, used or not).  Idle: no event at all, and no
	 * system call.  Nearly idle: events that changed no entry (pages of
	 * files cached before the programs loaded leaving, DAMON's page-out). */
	if (!events_moved(t) && t->read_once) {
		s.unchanged = true;
		s.stats = t->stats;
		return sampled(t, l, &s, now_ns);
	}
	r = flush_pending(t);
	if (r < 0)
		return r;
	/* Stats first: inserts read before the maps never exceed what the maps
	 * hold plus what was evicted, so eviction counts are never inflated. */
	r = read_stats(t, &s.stats);
	if (r < 0)
		return r;
	s.stats.events_missed = t->stats.events_missed;
	t->stats = s.stats;
	s.unchanged = t->read_once && map_moves(&s.stats) == t->map_moves;
	if (s.unchanged)
		return sampled(t, l, &s, now_ns);
	/* A missed event comes with others that moved the maps: read with them. */
	s.stats.events_missed = t->stats.events_missed = programs_missed(t);
	for (int k = 0; k < _LEDGER_KINDS; k++) {
		r = read_map(fds[k], &t->bufs[k], &s.n[k]);
		if (r < 0)
			return r;
		to_items(t, k, s.n[k]);
		s.items[k] = t->items[k];
		if (s.n[k] > t->resident[k])
			t->resident[k] = s.n[k];
		t->n[k] = s.n[k];
	}
	/* Only a whole read counts: after a failed one the next reads again. */
	t->map_moves = map_moves(&s.stats);
	t->read_once = true;
	return sampled(t, l, &s, now_ns);
}

void tracker_close(struct tracker *t)
{
	if (!t)
		return;
	pagecache__destroy(t->skel);
	for (int k = 0; k < _LEDGER_KINDS; k++) {
		free(t->bufs[k].keys);
		free(t->bufs[k].values);
		free(t->items[k]);
	}
	free(t->hints);
	free(t->stat_values);
	free(t);
}
