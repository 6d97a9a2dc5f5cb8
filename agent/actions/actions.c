/* SPDX-License-Identifier: MIT */
/* What every lever shares: names, the deadline, the one kernel-write path
 * (dry-run refusal, timer bound), measurements, and the dispatcher. */
#include "actions/actions.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions/internal.h"
#include "model/mem_state.h"
#include "shared/util.h"

static const char *const lever_names[_LEVER_MAX] = {
	[LEVER_MEMCG_RECLAIM] = "memory.reclaim",
	[LEVER_MEMCG_FORCE_EMPTY] = "force_empty",
	[LEVER_FILE_EVICT] = "fadvise",
	[LEVER_DROP_CACHES] = "drop_caches",
	[LEVER_COMPACT] = "compact",
};

static const char *const anon_guard_names[_ANON_GUARD_MAX] = {
	[ANON_GUARD_NONE] = "none",
	[ANON_GUARD_SWAPPINESS_ARG] = "swappiness=0",
	[ANON_GUARD_SWAP_MAX] = "swap.max=0",
	[ANON_GUARD_V1_SWAPPINESS] = "memory.swappiness=0",
	[ANON_GUARD_NO_SWAP] = "no-swap",
	[ANON_GUARD_VM_SWAPPINESS] = "vm.swappiness=0",
};

const char *lever_name(enum lever l)
{
	return (unsigned)l < _LEVER_MAX ? lever_names[l] : "unknown";
}

int lever_from_string(const char *s, enum lever *ret)
{
	for (unsigned i = 0; i < _LEVER_MAX; i++)
		if (s && strcmp(s, lever_names[i]) == 0) {
			*ret = (enum lever)i;
			return 0;
		}
	return -EINVAL;
}

const char *anon_guard_name(enum anon_guard g)
{
	return (unsigned)g < _ANON_GUARD_MAX ? anon_guard_names[g] : "unknown";
}

uint64_t act_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t act_ctx_now(const struct act_ctx *c)
{
	return c->hooks && c->hooks->now_ns ? c->hooks->now_ns(c->hook_data) : act_now_ns();
}

bool act_expired(const struct act_ctx *c)
{
	return c->deadline_ns && act_ctx_now(c) >= c->deadline_ns;
}

int act_open(const struct act_ctx *c, const char *abs, int flags)
{
	return root_open(c->q->root, abs, flags);
}

int act_name(const struct act_ctx *c, const char *abs, char *buf, size_t size)
{
	return root_path(c->q->root, abs, buf, size);
}

static void vset_where(char *buf, size_t size, const char *fmt, va_list ap)
{
	vsnprintf(buf, size, fmt, ap);
}

void act_fail(struct act_ctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->r->error)
		return;
	c->r->error = err;
	va_start(ap, fmt);
	vset_where(c->r->error_where, sizeof(c->r->error_where), fmt, ap);
	va_end(ap);
}

void act_unreachable(struct act_ctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	c->r->unreachable++;
	if (c->first_unreachable_err)
		return;
	c->first_unreachable_err = err;
	va_start(ap, fmt);
	vset_where(c->first_unreachable, sizeof(c->first_unreachable), fmt, ap);
	va_end(ap);
}

bool act_may_write(struct act_ctx *c, const char *what)
{
	if (!c->q->dry_run)
		return true;
	act_fail(c, -EPERM, "%s: refused in dry-run", what);
	return false;
}

/* glibc before 2.41 names the SIGEV_THREAD_ID target only by its union. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* The timer that bounds one blocking write: memory.reclaim and force_empty
 * loop in the kernel until done but give up on a pending signal (EINTR). */
static void timer_noop(int sig)
{
	(void)sig;
}

struct write_timer {
	bool armed;
	timer_t id;
	struct sigaction old_sa;
	sigset_t old_mask;
};

static int timer_arm(struct write_timer *t, uint64_t deadline_ns)
{
	int sig = SIGRTMIN + ACTION_TIMER_SIGNAL;
	struct sigaction sa = { .sa_handler = timer_noop };  /* no SA_RESTART */
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = sig };
	struct itimerspec its = { 0 };
	sigset_t set;
	uint64_t now = act_now_ns(), left;

	t->armed = false;
	if (!deadline_ns)
		return 0;
	if (now >= deadline_ns)
		return -ETIME;
	left = deadline_ns - now;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, &t->old_sa) < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, &t->old_mask);
	sev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->id) < 0) {
		int r = -errno;

		pthread_sigmask(SIG_SETMASK, &t->old_mask, NULL);
		sigaction(sig, &t->old_sa, NULL);
		return r;
	}
	its.it_value.tv_sec = (time_t)(left / 1000000000u);
	its.it_value.tv_nsec = (long)(left % 1000000000u);
	timer_settime(t->id, 0, &its, NULL);
	t->armed = true;
	return 0;
}

static void timer_disarm(struct write_timer *t)
{
	if (!t->armed)
		return;
	timer_delete(t->id);
	pthread_sigmask(SIG_SETMASK, &t->old_mask, NULL);
	sigaction(SIGRTMIN + ACTION_TIMER_SIGNAL, &t->old_sa, NULL);
	t->armed = false;
}

static int kwrite_real(int dirfd, const char *name, const char *value, uint64_t deadline_ns)
{
	struct write_timer t;
	int r;

	/* root_write_at() never blocks on what a tree puts in a knob's place
	 * (a FIFO is refused); the timer bounds the kernel's own loop. */
	r = timer_arm(&t, deadline_ns);
	if (r < 0)
		return r;
	r = root_write_at(dirfd, name, value);
	timer_disarm(&t);
	if (r == -EINTR && deadline_ns && act_now_ns() >= deadline_ns)
		r = -ETIME;
	return r;
}

int act_write(struct act_ctx *c, int dirfd, const char *name, const char *value)
{
	if (!act_may_write(c, name))
		return -EPERM;
	if (c->hooks && c->hooks->kwrite)
		return c->hooks->kwrite(c, dirfd, name, value);
	return kwrite_real(dirfd, name, value, c->deadline_ns);
}

int act_read_at(int dirfd, const char *name, char **ret)
{
	int fd = root_openat(dirfd, name, O_RDONLY), r;

	if (fd < 0)
		return fd;
	r = read_text_fd(fd, READ_FILE_MAX_DEFAULT, ret, NULL);
	close(fd);
	return r;
}

int act_read_key_at(int dirfd, const char *name, const char *key, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	char *cursor, *line;
	size_t klen = strlen(key);
	int r;

	r = act_read_at(dirfd, name, &text);
	if (r < 0)
		return r;
	cursor = text;
	while ((line = next_line(&cursor, NULL)))
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return parse_u64(skip_space(line + klen), ret);
	return -ENOENT;
}

int act_read_u64_at(int dirfd, const char *name, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = act_read_at(dirfd, name, &text);
	if (r < 0)
		return r;
	strip_trailing_space(text);
	return parse_u64(text, ret);
}

bool act_swap_configured(struct act_ctx *c)
{
	_cleanup_free_ char *text = NULL;
	char *cursor, *line;

	if (c->swap_total_known >= 0)
		return c->swap_total_known;
	/* Unknown counts as configured: the guard is then applied. */
	c->swap_total_known = 1;
	if (read_text_at(c->q->root, "/proc/meminfo", READ_FILE_MAX_DEFAULT, &text, NULL) < 0)
		return true;
	cursor = text;
	while ((line = next_line(&cursor, NULL))) {
		uint64_t kib;
		const char *end;

		if (!string_has_prefix(line, "SwapTotal:"))
			continue;
		if (parse_u64_prefix(skip_space(line + 10), &kib, &end) == 0)
			c->swap_total_known = kib > 0;
		break;
	}
	return c->swap_total_known;
}

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
		int fd;

		if (act_open_file(c, &c->q->hot[i], &fd, &st) < 0)
			continue;
		if (act_file_resident(c, fd, (uint64_t)st.st_size, &res, &dirty, &dk) == 0)
			sum += res;
		close(fd);
	}
	m->hot_known = true;
	m->hot_cache = sum;
}

void act_ctx_close(struct act_ctx *c)
{
	for (size_t i = 0; i < c->nmounts; i++)
		close(c->mounts[i].fd);
	c->nmounts = 0;
}

static uint64_t drop(uint64_t before, uint64_t after)
{
	return before > after ? before - after : 0;
}

int action_run_hooked(const struct action_request *q, struct action_result *r,
		      const struct act_hooks *hooks)
{
	static int (*const levers[_LEVER_MAX])(struct act_ctx *) = {
		[LEVER_MEMCG_RECLAIM] = lever_memcg_reclaim,
		[LEVER_MEMCG_FORCE_EMPTY] = lever_force_empty,
		[LEVER_FILE_EVICT] = lever_fadvise,
		[LEVER_DROP_CACHES] = lever_drop_caches,
		[LEVER_COMPACT] = lever_compact,
	};
	struct act_ctx c = {
		.q = q, .r = r, .hooks = hooks, .hook_data = hooks ? hooks->data : NULL,
		.swap_total_known = -1,
	};
	uint64_t start;
	long ps = sysconf(_SC_PAGESIZE);
	int ret;

	start = act_ctx_now(&c);
	memset(r, 0, sizeof(*r));
	r->lever = q->lever;
	r->dry_run = q->dry_run;
	if ((unsigned)q->lever >= _LEVER_MAX) {
		act_fail(&c, -EINVAL, "lever %d", (int)q->lever);
		return r->error;
	}
	c.page_size = ps > 0 ? (unsigned)ps : 4096;
	if (q->max_duration_ns)
		c.deadline_ns = start + q->max_duration_ns;
	act_measure_global(&c, &r->before);
	act_measure_hot(&c, &r->before);
	ret = levers[q->lever](&c);
	if (ret < 0)
		act_fail(&c, ret, "%s", lever_name(q->lever));
	act_measure_global(&c, &r->after);
	act_measure_hot(&c, &r->after);
	act_ctx_close(&c);
	/* A lever that could reach none of its targets failed with the first
	 * reason; one that reached some reports the rest as unreachable. */
	if (!r->error && r->unreachable && c.first_unreachable_err && !r->steps &&
	    !r->bytes_targeted && !r->skipped_frozen && !r->skipped_hot)
		act_fail(&c, c.first_unreachable_err, "%s", c.first_unreachable);
	switch (q->lever) {
	case LEVER_DROP_CACHES:
		r->bytes_returned = drop(r->before.page_cache, r->after.page_cache);
		break;
	case LEVER_COMPACT:
		r->bytes_returned = drop(r->after.reportable_free, r->before.reportable_free);
		break;
	default:
		r->bytes_returned = drop(r->before.targets_cache, r->after.targets_cache);
		break;
	}
	if (q->dry_run)
		r->bytes_returned = 0;
	r->duration_ns = act_ctx_now(&c) - start;
	return r->error;
}

int action_run(const struct action_request *q, struct action_result *r)
{
	return action_run_hooked(q, r, NULL);
}
