/* SPDX-License-Identifier: MIT */
/* The daemon's control socket: one request per connection, one answer.
 *   {"type":"state"}  -> {"type":"state","bridge":{...}}
 *   {"type":"change",...} (wsldock-protocol(7)) -> the bridge's change-result
 * Local only (a unix socket, 0600), bounded like the protocol. */
#include "bridge/agent_bridge.h"
#include "bridge/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../windows-bridge/proto.h"
#include "daemon/daemon.h"

#define CONTROL_CONNS_MAX 16

struct control_conn {
	struct control *ctl;
	int fd;
	sd_event_source *io;
	struct proto_reader *rd;
	char *out;
	size_t out_len, out_off;
	bool answered;
};

struct control {
	sd_event *ev;
	const struct dlog *log;
	char path[108];
	int fd;
	sd_event_source *io;
	struct bridge_client *bc;
	struct control_conn *conns[CONTROL_CONNS_MAX];
};

const char *control_default_path(void)
{
	const char *e = getenv("WSLDOCK_CONTROL");

	return e && *e ? e : "/run/wsldock/control.sock";
}

static void conn_free(struct control_conn *cc)
{
	struct control *ctl = cc->ctl;

	for (size_t i = 0; i < CONTROL_CONNS_MAX; i++)
		if (ctl->conns[i] == cc)
			ctl->conns[i] = NULL;
	bridge_client_forget(ctl->bc, cc);
	sd_event_source_disable_unref(cc->io);
	close(cc->fd);
	free(cc->rd);
	free(cc->out);
	free(cc);
}

static void answer(struct control_conn *cc, json_t *msg)
{
	char *line;
	size_t len;

	if (cc->answered || !msg)
		return;
	if (proto_encode(msg, &line, &len) < 0)
		return;
	free(cc->out);
	cc->out = line;
	cc->out_len = len;
	cc->out_off = 0;
	cc->answered = true;
	sd_event_source_set_io_events(cc->io, EPOLLOUT);
}

static void on_result(void *ud, json_t *result)
{
	answer(ud, result);
}

static void on_request(struct control_conn *cc, const char *line, size_t len)
{
	struct control *ctl = cc->ctl;
	struct proto_change ch;
	char why[256];
	json_t *msg, *reply;
	int t = proto_parse(line, len, &msg, why, sizeof(why));

	if (t < 0) {
		reply = proto_error_new(PROTO_E_MALFORMED, why, NULL);
		answer(cc, reply);
		json_decref(reply);
		return;
	}
	if (!strcmp(json_string_value(json_object_get(msg, "type")), "state")) {
		reply = json_pack("{s:s, s:o}", "type", "state", "bridge",
				  ctl->bc ? bridge_client_state_json(ctl->bc)
					  : json_pack("{s:s, s:s}", "state", "off", "detail",
						      "no bridge endpoint (not WSL 2 and no --bridge)"));
	} else if (t == PROTO_CHANGE) {
		if (proto_change_get(msg, &ch, why, sizeof(why)) < 0) {
			reply = proto_error_new(PROTO_E_MALFORMED, why, NULL);
		} else {
			int r = bridge_client_change(ctl->bc, msg, on_result, cc);

			if (r == 0) {
				dlog_event(ctl->log, "bridge", "change=%s detail=asked the bridge",
					   ch.kind == PROTO_CHANGE_INTEGRATION ? "integration" : "wslconfig");
				json_decref(msg);
				return;  /* answered when the bridge replies */
			}
			snprintf(why, sizeof(why), r == -ENOTCONN
				 ? "the bridge is not connected (see `wsldock-agent report`)"
				 : "too many change requests in flight");
			reply = proto_change_result_new(ch.id, PROTO_REFUSED, false, why, NULL);
		}
	} else {
		reply = proto_error_new(PROTO_E_UNKNOWN_TYPE, "the control socket takes state and change",
					json_object_get(msg, "type"));
	}
	answer(cc, reply);
	json_decref(reply);
	json_decref(msg);
}

static void on_line(void *ud, const char *line, size_t len, int err)
{
	struct control_conn *cc = ud;

	if (!err && !cc->answered)
		on_request(cc, line, len);
}

static int on_conn_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct control_conn *cc = ud;
	char buf[4096];

	if (revents & EPOLLIN) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_free(cc);
			return 0;
		}
		if (n > 0)
			proto_reader_feed(cc->rd, buf, (size_t)n, on_line, cc);
	}
	if ((revents & EPOLLHUP) && !(revents & EPOLLIN)) {
		conn_free(cc);
		return 0;
	}
	if (cc->answered) {
		ssize_t n = send(fd, cc->out + cc->out_off, cc->out_len - cc->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			cc->out_off += (size_t)n;
		if ((n < 0 && errno != EAGAIN) || cc->out_off == cc->out_len)
			conn_free(cc);
	}
	return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct control *ctl = ud;
	struct control_conn *cc;
	size_t slot = CONTROL_CONNS_MAX;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return 0;
	for (size_t i = 0; i < CONTROL_CONNS_MAX; i++)
		if (!ctl->conns[i]) {
			slot = i;
			break;
		}
	cc = slot < CONTROL_CONNS_MAX ? calloc(1, sizeof(*cc)) : NULL;
	if (cc)
		cc->rd = calloc(1, sizeof(*cc->rd));
	if (!cc || !cc->rd || sd_event_add_io(ctl->ev, &cc->io, cfd, EPOLLIN, on_conn_io, cc) < 0) {
		if (cc)
			free(cc->rd);
		free(cc);
		close(cfd);
		return 0;
	}
	cc->ctl = ctl;
	cc->fd = cfd;
	ctl->conns[slot] = cc;
	return 0;
}

int control_start(sd_event *ev, const struct dlog *log, const char *path, struct bridge_client *bc,
		  struct control **ret)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *ctl;
	char dir[108], *slash;
	int fd, r;

	*ret = NULL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket left by a daemon that died is replaced; a live one is not. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	ctl->ev = ev;
	ctl->log = log;
	ctl->fd = fd;
	ctl->bc = bc;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	r = sd_event_add_io(ev, &ctl->io, fd, EPOLLIN, on_accept, ctl);
	if (r < 0) {
		control_free(ctl);
		return r;
	}
	*ret = ctl;
	return 0;
}

void control_free(struct control *ctl)
{
	if (!ctl)
		return;
	for (size_t i = 0; i < CONTROL_CONNS_MAX; i++)
		if (ctl->conns[i])
			conn_free(ctl->conns[i]);
	sd_event_source_disable_unref(ctl->io);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

struct reply_wait {
	json_t *msg;
	char why[256];
	bool done;
};

static void control_reply_line(void *ud, const char *line, size_t len, int err)
{
	struct reply_wait *w = ud;

	if (w->done)
		return;
	w->done = true;
	if (err)
		snprintf(w->why, sizeof(w->why), "over 64 KiB");
	else if (proto_parse(line, len, &w->msg, w->why, sizeof(w->why)) < 0)
		w->msg = NULL;
}

int control_request(const char *path, json_t *req, int timeout_ms, json_t **reply,
		    char *why, size_t why_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static struct proto_reader rd;
	struct timespec t0;
	char *line, buf[4096];
	size_t len;
	int fd, r;
	struct reply_wait got = { 0 };

	*reply = NULL;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, why_len, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	r = proto_encode(req, &line, &len);
	if (r < 0) {
		snprintf(why, why_len, "the request does not fit in one message");
		return r;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		snprintf(why, why_len, "no wsldock-agent daemon answers on %s (%s): is `wsldock-agent run` running?",
			 path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(line);
		return r;
	}
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
		r = -errno;
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		close(fd);
		free(line);
		return r;
	}
	free(line);
	memset(&rd, 0, sizeof(rd));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!got.done) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = timeout_ms - ms_since(&t0);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			snprintf(why, why_len, "no answer from the daemon within %d ms", timeout_ms);
			close(fd);
			return -ETIMEDOUT;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			snprintf(why, why_len, "the daemon closed the connection without an answer");
			close(fd);
			return -ECONNRESET;
		}
		proto_reader_feed(&rd, buf, (size_t)n, control_reply_line, &got);
	}
	close(fd);
	if (!got.msg) {
		snprintf(why, why_len, "the daemon's answer is malformed: %s", got.why);
		return -EBADMSG;
	}
	*reply = got.msg;
	return 0;
}
