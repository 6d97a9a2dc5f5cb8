/* SPDX-License-Identifier: MIT */
/* The user's hot set around a lever that reaches beyond the episode
 * (drop_caches, memory.reclaim on the root cgroup): which of its pages are
 * resident is recorded before (mincore), and those ranges are read back
 * after, within restore_budget_bytes. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

/* include/uapi/linux/ioprio.h */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1

#define READ_CHUNK (1u << 20)

static bool add_run(void *ud, uint64_t off, uint64_t len)
{
	struct hot_restore *rs = ud;

	if (rs->total >= rs->budget)
		return false;
	if (len > rs->budget - rs->total)
		len = rs->budget - rs->total;
	if (grow_array((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)) < 0) {
		rs->oom = true;
		return false;
	}
	rs->v[rs->n++] = (struct hot_run){ rs->hot, off, len };
	rs->total += len;
	return rs->total < rs->budget;
}

void hot_restore_record(struct act_ctx *c, struct hot_restore *rs)
{
	rs->budget = c->q->restore_hot_set && !c->q->dry_run ? c->q->restore_budget_bytes : 0;
	for (size_t i = 0; i < c->q->nhot && rs->total < rs->budget && !rs->oom; i++) {
		struct stat st;
		_cleanup_close_ int fd = -1;

		/* A hot file gone or unreadable has nothing to read back. */
		if (act_open_file(c, &c->q->hot[i], &fd, &st) < 0)
			continue;
		rs->hot = i;
		act_file_resident_runs(c, fd, (uint64_t)st.st_size, add_run, rs);
	}
}

/* At idle I/O priority, so the user's own I/O goes first. */
void hot_restore_read(struct act_ctx *c, const struct hot_restore *rs)
{
	long old;
	_cleanup_free_ char *buf = NULL;
	size_t i = 0;

	if (!rs->n || !(buf = malloc(READ_CHUNK)))
		return;
	/* Its own max_duration: a lever that used all of its own (a slow
	 * root reclaim) must not leave the hot set cold. */
	if (c->deadline_ns)
		c->deadline_ns = act_ctx_now(c) + c->q->max_duration_ns;
	old = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
	syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT);
	while (i < rs->n && !act_expired(c)) {
		size_t hot = rs->v[i].hot;
		struct stat st;
		int fd;

		if (act_open_file(c, &c->q->hot[hot], &fd, &st) < 0) {
			while (i < rs->n && rs->v[i].hot == hot)
				i++;
			continue;
		}
		/* No readahead beyond the ranges: the budget is what is read. */
		posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
		for (; i < rs->n && rs->v[i].hot == hot && !act_expired(c); i++) {
			for (uint64_t done = 0; done < rs->v[i].len;) {
				uint64_t want = rs->v[i].len - done;
				ssize_t n = pread(fd, buf, want < READ_CHUNK ? want : READ_CHUNK,
						  (off_t)(rs->v[i].off + done));

				if (n <= 0)
					break;
				done += (uint64_t)n;
				c->r->restored_bytes += (uint64_t)n;
			}
		}
		close(fd);
	}
	if (old >= 0)
		syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (int)old);
}

void hot_restore_free(struct hot_restore *rs)
{
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}
