/* SPDX-License-Identifier: MIT */
/* The ground every lever stands on: the deadline, the one kernel-write
 * path (dry-run refusal, timer bound), failures recorded once, and small
 * reads of kernel files. */
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
#include "shared/util.h"

uint64_t act_ctx_now(const struct act_ctx *c)
{
	return c->hooks && c->hooks->now_ns ? c->hooks->now_ns(c->hook_data) : clock_now_ns(CLOCK_MONOTONIC);
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
	uint64_t now = clock_now_ns(CLOCK_MONOTONIC), left;

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
	if (r == -EINTR && deadline_ns && clock_now_ns(CLOCK_MONOTONIC) >= deadline_ns)
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
	_cleanup_close_ int fd = root_openat(dirfd, name, O_RDONLY);

	return fd < 0 ? fd : read_text_fd(fd, READ_FILE_MAX_DEFAULT, ret, NULL);
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
	/* From the measurement before the lever (act_measure_global);
	 * unknown counts as configured: the guard is then applied. */
	return c->swap_total_known != 0;
}

void act_ctx_close(struct act_ctx *c)
{
	for (size_t i = 0; i < c->nmounts; i++)
		close(c->mounts[i].fd);
	c->nmounts = 0;
}

