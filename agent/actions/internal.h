/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "actions/actions.h"
#include "sources/cgroup_layout.h"

/* Shared by the lever files of agent/actions/; not part of the interface. */

/* The kernel write every lever goes through (memory.* files, vm sysctls,
 * sysfs): tests replace it to play kernel answers a fake tree cannot give
 * (EINVAL for swappiness=, EAGAIN when nothing is left). */
struct act_ctx;
typedef int (*act_kwrite_fn)(struct act_ctx *c, int dirfd, const char *name, const char *value);

/* What tests replace: the kernel write, and the clock the deadline is
 * judged by (so a bound can be tested without racing a real one). */
struct act_hooks {
	act_kwrite_fn kwrite;           /* NULL = the real write */
	uint64_t (*now_ns)(void *data); /* NULL = CLOCK_MONOTONIC */
	void *data;                     /* c->hook_data */
};

#define ACT_MAX_MOUNTS 16

struct act_ctx {
	const struct action_request *q;
	struct action_result *r;
	uint64_t deadline_ns;       /* CLOCK_MONOTONIC; 0 = none */
	unsigned page_size;
	struct cgroup_layout cg;    /* mount points as the mounts table names them */
	bool cg_known;
	int swap_total_known;       /* -1 unknown, else 0/1: swap configured */
	const struct act_hooks *hooks;  /* tests only; NULL = the real kernel and clock */
	void *hook_data;
	/* mounts opened for open_by_handle_at, by dev */
	struct { uint64_t dev; int fd; } mounts[ACT_MAX_MOUNTS];
	size_t nmounts;
	int first_unreachable_err;
	char first_unreachable[256];
};

/* The deadline's clock: clock_now_ns(CLOCK_MONOTONIC) unless a test replaced it. */
uint64_t act_ctx_now(const struct act_ctx *c);
bool act_expired(const struct act_ctx *c);

/* Files under --root are opened in one place: root_open() on q->root, so
 * no symlink or ".." in a tree leads out of it and nothing blocks.
 * Returns an fd or negative errno. */
int act_open(const struct act_ctx *c, const char *abs, int flags);
/* How messages name abs under --root (root_path()); never opened. */
int act_name(const struct act_ctx *c, const char *abs, char *buf, size_t size);

/* Records the first failure (negative errno, the file) in the result. */
__attribute__((format(printf, 3, 4)))
void act_fail(struct act_ctx *c, int err, const char *fmt, ...);
/* Counts a target that could not be opened; remembers the first one so a
 * lever that reached nothing can say which and why. */
__attribute__((format(printf, 3, 4)))
void act_unreachable(struct act_ctx *c, int err, const char *fmt, ...);

/* Writes value to dirfd/name (a kernel knob), bounded by the deadline.
 * Refuses (-EPERM, recorded) in dry-run: no lever should ever get here
 * then.  -ETIME when the deadline interrupted the write.  Does not record
 * other errors: the lever decides (EAGAIN is an answer for memory.reclaim). */
int act_write(struct act_ctx *c, int dirfd, const char *name, const char *value);
/* True unless dry-run; records a refusal otherwise (defence in depth for
 * fadvise, sync_file_range, syncfs). */
bool act_may_write(struct act_ctx *c, const char *what);

/* Reads dirfd/name into a heap string (small kernel files), opened with
 * root_openat(): a regular file only, never blocking. */
int act_read_at(int dirfd, const char *name, char **ret);
/* "key value" lines (memory.stat, cgroup.events): the value of key. */
int act_read_key_at(int dirfd, const char *name, const char *key, uint64_t *ret);
/* A file holding one decimal number (memory.swappiness). */
int act_read_u64_at(int dirfd, const char *name, uint64_t *ret);
/* Whether swap is configured (SwapTotal > 0 in the /proc/meminfo the
 * measurement before the lever read; unknown: true). */
bool act_swap_configured(struct act_ctx *c);

/* Hot set lookup: (dev, ino) in q->hot, generation compared when both
 * are known. */
bool act_is_hot(const struct action_request *q, uint64_t dev, uint64_t ino, uint32_t gen);

/* Residency of an open regular file, in bytes: cachestat(2) where the
 * kernel has it, else mincore on a mapping.  dirty_known says whether
 * *dirty (dirty + writeback bytes) could be measured (cachestat only). */
int act_file_resident(const struct act_ctx *c, int fd, uint64_t size, uint64_t *resident,
		      uint64_t *dirty, bool *dirty_known);
/* Resident page runs [off, off+len) of an open file (mincore), passed to
 * fn until it returns false. */
int act_file_resident_runs(const struct act_ctx *c, int fd, uint64_t size,
			   bool (*fn)(void *ud, uint64_t off, uint64_t len), void *ud);

/* Opens a ledger file read-only: by path (under --root) when it names the
 * same (dev, ino), else by handle on a mount of its filesystem.  Only
 * regular files; *st is filled. */
int act_open_file(struct act_ctx *c, const struct action_file *f, int *ret_fd, struct stat *st);
/* An O_PATH-free directory fd of a mount of dev (mountinfo), cached in c. */
int act_mount_fd(struct act_ctx *c, uint64_t dev);
/* cgroup2 file handle: the cgroup directory with this id on the cgroup2
 * mount mountfd. */
int act_open_cgroup_by_id(int mountfd, uint64_t cgid);
void act_ctx_close(struct act_ctx *c);

/* Fills the global figures of m (targets and hot are the lever's). */
void act_measure_global(struct act_ctx *c, struct action_measure *m);
/* Resident bytes of the hot files (only when q->nhot > 0). */
void act_measure_hot(struct act_ctx *c, struct action_measure *m);

/* The levers, one file each. */
int lever_memcg_reclaim(struct act_ctx *c);
int lever_force_empty(struct act_ctx *c);
int lever_fadvise(struct act_ctx *c);
int lever_drop_caches(struct act_ctx *c);
int lever_compact(struct act_ctx *c);

/* action_run() with the kernel write and the clock replaced (tests). */
int action_run_hooked(const struct action_request *q, struct action_result *r,
		      const struct act_hooks *hooks);

/* hot_restore.c: the hot set's resident ranges, recorded before a lever
 * that reaches beyond the episode (when q->restore_hot_set, not in dry-run)
 * and read back after it (r->restored_bytes: what was read back). */
struct hot_run {
	size_t hot;        /* index in q->hot */
	uint64_t off, len;
};

struct hot_restore {
	struct hot_run *v;
	size_t n, cap;
	size_t hot;
	uint64_t total, budget;
	bool oom;
};

void hot_restore_record(struct act_ctx *c, struct hot_restore *rs);
void hot_restore_read(struct act_ctx *c, const struct hot_restore *rs);
void hot_restore_free(struct hot_restore *rs);
