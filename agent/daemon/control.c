/* SPDX-License-Identifier: MIT */
#include "daemon/control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "shared/util.h"

struct control_client {
	struct control *c;
	struct control_client *next, *prev;
	int fd;
	sd_event_source *io, *idle;
	struct control_peer peer;
	char in[CONTROL_REQUEST_MAX];
	size_t nin;
	char *out;                  /* the reply being written */
	size_t nout, off;
	bool eof;                   /* the client shut down its side */
	bool closing;               /* close once the reply is written */
	/* control_defer(): waiting for a reply from elsewhere */
	bool deferred;
	sd_event_source *defer_timer;
	control_cancel_fn cancel;
	void *cancel_u;
	char defer_request[24];
	char timeout_msg[200];
};

static void client_free(struct control_client *k)
{
	struct control *c = k->c;

	if (k->prev)
		k->prev->next = k->next;
	else
		c->clients = k->next;
	if (k->next)
		k->next->prev = k->prev;
	c->nclients--;
	if (k->deferred && k->cancel)
		k->cancel(k->cancel_u, k);
	sd_event_source_disable_unref(k->defer_timer);
	sd_event_source_disable_unref(k->io);
	sd_event_source_disable_unref(k->idle);
	close(k->fd);
	free(k->out);
	free(k);
}

static int client_events(struct control_client *k)
{
	/* A deferred client is not read: EPOLLHUP (always reported) still says
	 * when it hangs up. */
	uint32_t ev = k->out ? EPOLLOUT : (k->eof || k->closing || k->deferred ? 0 : EPOLLIN);

	return sd_event_source_set_io_events(k->io, ev);
}

/* Restarts the client's deadline: it has CONTROL_IDLE_USEC from now to
 * send its next whole request.  Called when a request was answered (or
 * its reply written), never for bytes that only trickle in: otherwise a
 * byte every few seconds holds a slot for ever.  The clock now, not the
 * loop's cached time: an answer (reclaim-now runs levers) may take longer
 * than the idle timeout itself. */
static void touch(struct control_client *k)
{
	sd_event_source_set_time(k->idle, clock_now_ns(CLOCK_MONOTONIC) / 1000 + CONTROL_IDLE_USEC);
}

/* Queues the reply (one line) and frees it. */
static void queue_reply(struct control_client *k, json_t *reply)
{
	char *s = reply ? json_dumps(reply, JSON_COMPACT) : NULL;

	json_decref(reply);
	if (!s) {
		/* Out of memory: nothing sensible to say; close. */
		k->closing = true;
		return;
	}
	k->nout = strlen(s);
	s[k->nout++] = '\n';  /* json_dumps' NUL becomes the newline */
	k->out = s;
	k->off = 0;
}

static void handle_line(struct control_client *k, const char *line, size_t len)
{
	struct control *c = k->c;
	struct control_request req;
	json_t *reply;
	char err[320];

	c->stats.requests++;
	if (control_parse_request(line, len, &req, err, sizeof(err)) < 0) {
		c->stats.bad_requests++;
		queue_reply(k, control_error(NULL, "EINVAL", err));
		return;
	}
	if (!control_allowed(req.verb, &k->peer, err, sizeof(err))) {
		c->stats.refused++;
		queue_reply(k, control_error(control_verb_name(req.verb), "EPERM", err));
		return;
	}
	reply = c->handle(c->u, &req, &k->peer, k);
	if (k->deferred || k->out) {
		/* deferred (or, were it ever so, answered at once through control_answer) */
		json_decref(reply);
		return;
	}
	queue_reply(k, reply);
}

/* Answers the next complete line, if any and if no reply is pending. */
static void process(struct control_client *k)
{
	char *nl;
	size_t len;

	if (k->out || k->closing || k->deferred)
		return;
	nl = memchr(k->in, '\n', k->nin);
	if (nl) {
		len = (size_t)(nl - k->in);
		handle_line(k, k->in, len);
		memmove(k->in, nl + 1, k->nin - len - 1);
		k->nin -= len + 1;
		touch(k);
		return;
	}
	if (k->nin == sizeof(k->in)) {
		/* No newline in the whole buffer: the framing is lost. */
		k->c->stats.requests++;
		k->c->stats.bad_requests++;
		queue_reply(k, control_error(NULL, "E2BIG", "request longer than 4095 bytes: closing"));
		k->closing = true;
		k->nin = 0;
		return;
	}
	if (k->eof) {
		/* A last request without its newline is still a request. */
		if (k->nin)
			handle_line(k, k->in, k->nin);
		k->nin = 0;
		k->closing = true;
	}
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *u)
{
	struct control_client *k = u;
	ssize_t n;

	if (k->deferred) {
		/* Not read while it waits: only a hang-up wakes it. */
		if (revents & (EPOLLHUP | EPOLLERR))
			goto drop;
		return 0;
	}
	if (revents & EPOLLOUT && k->out) {
		n = send(fd, k->out + k->off, k->nout - k->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto drop;
		if (n > 0)
			k->off += (size_t)n;
		if (k->off == k->nout) {
			free(k->out);
			k->out = NULL;
			touch(k);
		}
	} else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR) && !k->eof && !k->out) {
		n = recv(fd, k->in + k->nin, sizeof(k->in) - k->nin, MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto drop;
		if (n == 0)
			k->eof = true;
		if (n > 0)
			k->nin += (size_t)n;
	} else if (revents & (EPOLLHUP | EPOLLERR)) {
		goto drop;
	}
	process(k);
	if (!k->out && k->closing && !k->deferred)
		goto drop;
	if (client_events(k) < 0)
		goto drop;
	return 0;
drop:
	client_free(k);
	return 0;
}

static int on_defer_timeout(sd_event_source *s, uint64_t usec, void *u)
{
	struct control_client *k = u;

	if (k->cancel)
		k->cancel(k->cancel_u, k);
	k->cancel = NULL;
	control_answer(k, control_error(k->defer_request, "ETIMEDOUT", k->timeout_msg));
	return 0;
}

int control_defer(struct control_client *k, const char *request, uint64_t timeout_usec,
		  const char *timeout_msg, control_cancel_fn cancel, void *u)
{
	int r;

	r = sd_event_add_time_relative(k->c->ev, &k->defer_timer, CLOCK_MONOTONIC, timeout_usec,
				       100000, on_defer_timeout, k);
	if (r < 0)
		return r;
	k->deferred = true;
	k->cancel = cancel;
	k->cancel_u = u;
	snprintf(k->defer_request, sizeof(k->defer_request), "%s", request);
	snprintf(k->timeout_msg, sizeof(k->timeout_msg), "%s", timeout_msg);
	sd_event_source_set_enabled(k->idle, SD_EVENT_OFF);
	return 0;
}

void control_answer(struct control_client *k, json_t *reply)
{
	if (!k->deferred) {
		json_decref(reply);
		return;
	}
	k->deferred = false;
	k->cancel = NULL;
	k->defer_timer = sd_event_source_disable_unref(k->defer_timer);
	queue_reply(k, reply);
	touch(k);
	sd_event_source_set_enabled(k->idle, SD_EVENT_ONESHOT);
	/* The reply goes out when the socket takes it; if the socket cannot
	 * be watched, the idle timeout drops the client. */
	client_events(k);
}

void *control_client_handler_data(const struct control_client *k)
{
	return k->c->u;
}

static int on_idle(sd_event_source *s, uint64_t usec, void *u)
{
	struct control_client *k = u;

	k->c->stats.dropped_idle++;
	client_free(k);
	return 0;
}

static void peer_of(struct control *c, int fd, struct control_peer *p)
{
	struct ucred cr = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t len = sizeof(cr);
	gid_t groups[256];

	p->uid = (uid_t)-1;
	p->in_group = false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return;  /* unknown peer: nothing allowed */
	p->uid = cr.uid;
	if (!c->have_gid)
		return;
	p->in_group = cr.gid == c->gid;
	len = sizeof(groups);
	/* SO_PEERGROUPS (Linux 4.13): the peer's supplementary groups; a peer
	 * in more than 256 is judged by its primary group alone. */
	if (!p->in_group && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == c->gid)
				p->in_group = true;
}

static void refuse_busy(struct control *c, int fd, bool for_uid)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many clients: try again\","
				   "\"code\":\"EBUSY\"}\n";
	static const char busy_uid[] = "{\"ok\":false,\"error\":\"too many clients of this user "
				       "(at most 4; one slot is kept for root): try again\","
				       "\"code\":\"EBUSY\"}\n";
	const char *line = for_uid ? busy_uid : busy;

	_Static_assert(CONTROL_CLIENTS_PER_UID == 4, "the message says 4");
	c->stats.busy++;
	c->stats.busy_uid += for_uid;
	/* Best effort: a fresh socket's buffer takes this line without blocking. */
	if (send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing more to do: the client sees the connection close */
	}
	close(fd);
}

/* Root may take any slot; anyone else neither the last one (root's) nor
 * more than CONTROL_CLIENTS_PER_UID.  A peer whose uid is unknown counts
 * as one user, not as root. */
static bool room_for(const struct control *c, uid_t uid, bool *for_uid)
{
	unsigned same = 0;

	*for_uid = false;
	if (c->nclients >= CONTROL_CLIENTS_MAX)
		return false;
	if (uid == 0)
		return true;
	for (const struct control_client *k = c->clients; k; k = k->next)
		same += k->peer.uid == uid;
	*for_uid = true;
	return same < CONTROL_CLIENTS_PER_UID && c->nclients < CONTROL_CLIENTS_MAX - 1;
}

static void accept_one(struct control *c, int fd)
{
	struct control_client *k;
	struct control_peer peer;
	bool for_uid;
	uint64_t now;

	peer_of(c, fd, &peer);
	if (!room_for(c, peer.uid, &for_uid)) {
		refuse_busy(c, fd, for_uid);
		return;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		close(fd);
		return;
	}
	k->c = c;
	k->fd = fd;
	k->peer = peer;
	sd_event_now(c->ev, CLOCK_MONOTONIC, &now);
	if (sd_event_add_io(c->ev, &k->io, fd, EPOLLIN, on_client, k) < 0 ||
	    sd_event_add_time(c->ev, &k->idle, CLOCK_MONOTONIC, now + CONTROL_IDLE_USEC, 100000,
			      on_idle, k) < 0) {
		sd_event_source_disable_unref(k->io);
		close(fd);
		free(k);
		return;
	}
	k->next = c->clients;
	if (c->clients)
		c->clients->prev = k;
	c->clients = k;
	c->nclients++;
	c->stats.clients++;
}

/* Drains the backlog a bounded number at a time, so a flood of connections
 * neither starves the samples nor waits one loop iteration per client. */
static int on_accept(sd_event_source *s, int lfd, uint32_t revents, void *u)
{
	struct control *c = u;

	for (int i = 0; i < 2 * CONTROL_CLIENTS_MAX; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return 0;  /* EAGAIN, ECONNABORTED, EMFILE: the loop goes on */
		accept_one(c, fd);
	}
	return 0;
}

static void find_group(struct control *c)
{
	const char *name = getenv("WSLDOCK_CONTROL_GROUP");
	struct group *g;

	if (!name || !*name)
		name = CONTROL_DEFAULT_GROUP;
	snprintf(c->group, sizeof(c->group), "%s", name);
	g = getgrnam(name);
	if (g) {
		c->have_gid = true;
		c->gid = g->gr_gid;
	}
}

static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* 1 when an agent answers on path, 0 when nothing listens (a stale file
 * left by a killed agent, or no file). */
static int in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN;
	close(fd);
	return r;
}

/* Binds under a temporary name, sets mode and group, then renames it into
 * place: the socket is never visible with looser rights. */
static int create_socket(struct control *c, char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = -1, r;

	if (strlen(c->path) + 16 >= sizeof(sa.sun_path)) {
		snprintf(why, whylen, "%s: path too long for a unix socket", c->path);
		return -ENAMETOOLONG;
	}
	r = make_parent(c->path);
	if (r < 0) {
		snprintf(why, whylen, "cannot create the directory of %s: %s", c->path, strerror(-r));
		return r;
	}
	if (in_use(c->path) == 1) {
		snprintf(why, whylen, "%s: another agent answers there", c->path);
		return -EADDRINUSE;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%d.tmp", c->path, (int)getpid());
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(sa.sun_path, c->have_gid ? 0660 : 0600) < 0 ||
	    (c->have_gid && chown(sa.sun_path, (uid_t)-1, c->gid) < 0) || listen(fd, 64) < 0 ||
	    rename(sa.sun_path, c->path) < 0 || stat(c->path, &st) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot listen on %s: %s", c->path, strerror(errno));
		unlink(sa.sun_path);
		if (fd >= 0)
			close(fd);
		return r;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->fd = fd;
	return 0;
}

/* The first socket systemd passed, when it is a listening unix stream one. */
static int activated_fd(void)
{
	int n = sd_listen_fds(1);

	for (int fd = SD_LISTEN_FDS_START; n > 0 && fd < SD_LISTEN_FDS_START + n; fd++)
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0)
			return fd;
	return -1;
}

int control_open(struct control *c, sd_event *ev, const char *path, bool may_create,
		 control_handler h, void *u, char *why, size_t whylen)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int r;

	memset(c, 0, sizeof(*c));
	c->ev = ev;
	c->fd = -1;
	c->handle = h;
	c->u = u;
	find_group(c);
	c->fd = activated_fd();
	if (c->fd >= 0) {
		c->activated = true;
		if (getsockname(c->fd, (struct sockaddr *)&sa, &len) == 0 && len > sizeof(sa_family_t))
			snprintf(c->path, sizeof(c->path), "%.*s",
				 (int)(len - sizeof(sa_family_t)), sa.sun_path);
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	} else {
		snprintf(c->path, sizeof(c->path), "%s", path ? path : CONTROL_DEFAULT_PATH);
		if (!may_create) {
			snprintf(why, whylen, "none passed by systemd, and this run creates none");
			return -ENOENT;
		}
		r = create_socket(c, why, whylen);
		if (r < 0)
			return r;
	}
	r = sd_event_add_io(ev, &c->accept_src, c->fd, EPOLLIN, on_accept, c);
	if (r < 0) {
		snprintf(why, whylen, "cannot watch %s: %s", c->path, strerror(-r));
		control_close(c);
		return r;
	}
	return 0;
}

void control_close(struct control *c)
{
	struct stat st;

	while (c->clients)
		client_free(c->clients);
	c->accept_src = sd_event_source_disable_unref(c->accept_src);
	if (c->fd < 0)
		return;
	/* Remove the file only if it is still the one this agent made. */
	if (!c->activated && stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	close(c->fd);
	c->fd = -1;
}

json_t *control_stats_json(const struct control *c)
{
	if (c->fd < 0)
		return json_null();
	return json_pack("{s:s, s:b, s:s, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "path", c->path,
			 "activated", c->activated, "group", c->group, "group_found", c->have_gid,
			 "clients", (int)c->nclients, "clients_total", (json_int_t)c->stats.clients,
			 "requests", (json_int_t)c->stats.requests,
			 "bad_requests", (json_int_t)c->stats.bad_requests,
			 "refused", (json_int_t)c->stats.refused, "busy", (json_int_t)c->stats.busy,
			 "busy_uid", (json_int_t)c->stats.busy_uid,
			 "dropped_idle", (json_int_t)c->stats.dropped_idle);
}
