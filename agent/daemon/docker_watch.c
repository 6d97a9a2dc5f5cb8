/* SPDX-License-Identifier: MIT */
#include "daemon/docker_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shared/util.h"
#include "sources/docker_events.h"

enum watch_state { WATCH_NEW, WATCH_UP, WATCH_DOWN };

struct docker_watch {
	sd_event *ev;
	const struct dlog *log;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	void (*on_build_end)(void *u);
	void *u;
	int fd;
	sd_event_source *io;
	uint64_t retry_ns;   /* CLOCK_MONOTONIC of the next try while down */
	struct docker_stream stream;
	enum watch_state state;
	char last_why[160];  /* what was logged last, so a retry that fails alike is quiet */
};

static void hang_up(struct docker_watch *w, const char *why)
{
	uint64_t now_usec = 0;

	w->io = sd_event_source_disable_unref(w->io);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->state != WATCH_DOWN || strcmp(w->last_why, why))
		dlog_event(w->log, "docker-events", "state=off socket=%s detail=%s: the quiet "
			   "period alone ends episodes; trying again every %llus", w->path, why,
			   DOCKER_WATCH_RETRY_NSEC / 1000000000);
	snprintf(w->last_why, sizeof(w->last_why), "%s", why);
	w->state = WATCH_DOWN;
	sd_event_now(w->ev, CLOCK_MONOTONIC, &now_usec);  /* the loop's time */
	w->retry_ns = now_usec * 1000 + DOCKER_WATCH_RETRY_NSEC;
}

static void on_hint(void *u, enum docker_event e)
{
	struct docker_watch *w = u;

	dlog_event(w->log, "docker-event", "event=image-tag detail=a build finished: its episode "
		   "ends at the first sample without growth");
	w->on_build_end(w->u);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *u)
{
	struct docker_watch *w = u;
	char buf[4096], err[192];
	ssize_t n;

	for (;;) {
		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			hang_up(w, n ? strerror(errno) : "the engine closed the event stream");
			return 0;
		}
		if (docker_stream_feed(&w->stream, buf, (size_t)n, on_hint, w, err, sizeof(err)) < 0) {
			hang_up(w, err);
			return 0;
		}
		if (w->stream.in_body && w->state != WATCH_UP) {
			dlog_event(w->log, "docker-events", "state=on socket=%s detail=a build's "
				   "image tag ends its episode early", w->path);
			w->state = WATCH_UP;
			w->last_why[0] = '\0';
		}
	}
}

static void try_connect(struct docker_watch *w)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(DOCKER_EVENTS_REQUEST);

	memcpy(sa.sun_path, w->path, strlen(w->path));
	memset(&w->stream, 0, sizeof(w->stream));
	w->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0) {
		hang_up(w, strerror(errno));
		return;
	}
	/* A unix connect completes at once or fails (EAGAIN: backlog full). */
	if (connect(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		hang_up(w, strerror(errno));
		return;
	}
	if (send(w->fd, DOCKER_EVENTS_REQUEST, len, MSG_NOSIGNAL) != (ssize_t)len) {
		hang_up(w, "cannot send the request");
		return;
	}
	if (sd_event_add_io(w->ev, &w->io, w->fd, EPOLLIN, on_io, w) < 0)
		hang_up(w, "cannot watch the socket");
}

void docker_watch_tick(struct docker_watch *w, uint64_t now)
{
	if (w && w->state == WATCH_DOWN && w->path[0] && now >= w->retry_ns)
		try_connect(w);
}

int docker_watch_start(sd_event *ev, const struct dlog *log, const char *path,
		       void (*on_build_end)(void *u), void *u, struct docker_watch **ret)
{
	struct docker_watch *w;

	*ret = NULL;
	if (!path || !strcmp(path, "none"))
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct docker_watch){ .ev = ev, .log = log, .on_build_end = on_build_end, .u = u,
				    .fd = -1 };
	if (strlen(path) >= sizeof(w->path)) {
		w->state = WATCH_DOWN;
		dlog_event(log, "docker-events", "state=off socket=%s detail=the path is too long "
			   "for a unix socket", path);
		*ret = w;
		return 0;
	}
	memcpy(w->path, path, strlen(path) + 1);
	try_connect(w);
	*ret = w;
	return 0;
}

void docker_watch_free(struct docker_watch *w)
{
	if (!w)
		return;
	sd_event_source_disable_unref(w->io);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
