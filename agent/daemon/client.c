/* SPDX-License-Identifier: MIT */
/* The client side of the control socket, for `report` and `reclaim`. */
#include "daemon/control.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shared/util.h"

const char *control_client_path(const char *path)
{
	const char *env = getenv("WSLDOCK_CONTROL_SOCKET");

	if (path)
		return path;
	return env && *env ? env : CONTROL_DEFAULT_PATH;
}

int control_connect(struct control_conn *cc, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	cc->n = 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	cc->fd = -1;
	if (fd < 0)
		return -errno;
	/* A unix connect completes at once or fails (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	cc->fd = TAKE_FD(fd);
	return 0;
}

static int64_t now_ms(void)
{
	return (int64_t)(clock_now_ns(CLOCK_MONOTONIC) / 1000000);
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left = deadline - now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&p, 1, (int)left);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* Replies can be larger than the buffer (a status document with many
 * cgroups): they are read into a growing string. */
static int read_line(struct control_conn *cc, int64_t deadline, char **line, size_t *len)
{
	char *s = NULL, *grown, *nl;
	size_t n = 0;
	ssize_t got;
	int r;

	for (;;) {
		nl = memchr(cc->buf, '\n', cc->n);
		size_t take = nl ? (size_t)(nl - cc->buf) : cc->n;

		if (n + take > (64u << 20)) {
			free(s);
			return -E2BIG;
		}
		grown = realloc(s, n + take + 1);
		if (!grown) {
			free(s);
			return -ENOMEM;
		}
		s = grown;
		memcpy(s + n, cc->buf, take);
		n += take;
		s[n] = '\0';
		if (nl) {
			memmove(cc->buf, nl + 1, cc->n - take - 1);
			cc->n -= take + 1;
			*line = s;
			*len = n;
			return 0;
		}
		cc->n = 0;
		r = wait_fd(cc->fd, POLLIN, deadline);
		if (r < 0)
			break;
		got = recv(cc->fd, cc->buf, sizeof(cc->buf), MSG_DONTWAIT);
		if (got == 0) {
			r = -ECONNRESET;
			break;
		}
		if (got < 0 && errno != EAGAIN && errno != EINTR) {
			r = -errno;
			break;
		}
		if (got > 0)
			cc->n = (size_t)got;
	}
	free(s);
	return r;
}

int control_call(struct control_conn *cc, const char *request, int timeout_ms, json_t **reply)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t len = strlen(request), off = 0;
	char *line = NULL;
	json_error_t je;
	ssize_t w;
	int r;

	*reply = NULL;
	while (off < len + 1) {
		/* the request, then its newline */
		const char *p = off < len ? request + off : "\n";
		size_t left = off < len ? len - off : 1;

		w = send(cc->fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EAGAIN) {
			r = wait_fd(cc->fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	r = read_line(cc, deadline, &line, &len);
	if (r < 0)
		return r;
	*reply = json_loadb(line, len, 0, &je);
	free(line);
	return *reply ? 0 : -EPROTO;
}

void control_disconnect(struct control_conn *cc)
{
	if (cc->fd >= 0)
		close(cc->fd);
	cc->fd = -1;
}
