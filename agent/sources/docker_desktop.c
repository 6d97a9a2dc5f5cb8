/* SPDX-License-Identifier: MIT */
#include "sources/docker_desktop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <jansson.h>

#include "shared/util.h"

/* "HTTP/1.0 200 ..." or "HTTP/1.1 200 ...". */
static bool status_ok(const char *p, size_t len)
{
	return len >= 12 && !memcmp(p, "HTTP/1.", 7) && (p[7] == '0' || p[7] == '1') &&
	       !memcmp(p + 8, " 200", 4) && (len == 12 || p[12] == ' ' || p[12] == '\r' ||
					     p[12] == '\n');
}

/* The body: after the first empty line ("\r\n\r\n" or "\n\n"). */
static const char *body_of(const char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return p + i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return p + i + 3;
	}
	return NULL;
}

/* Copies string member key into buf; absent is "", the wrong type or too
 * long an error. */
static int take(json_t *o, const char *key, char *buf, size_t size, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	buf[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "/info: %s is not a string", key);
		return -EPROTO;
	}
	n = json_string_length(v);
	if (n >= size || memchr(json_string_value(v), '\0', n)) {
		snprintf(err, errlen, "/info: %s is too long or holds a NUL", key);
		return -EPROTO;
	}
	memcpy(buf, json_string_value(v), n + 1);
	return 0;
}

int docker_info_parse(const char *resp, size_t len, struct docker_engine_info *ret, char *err,
		      size_t errlen)
{
	const struct { const char *key; size_t off, size; } fields[] = {
#define F(k, m) { k, offsetof(struct docker_engine_info, m), sizeof(ret->m) }
		F("Name", name), F("OperatingSystem", os), F("DockerRootDir", data_root),
		F("Driver", driver), F("CgroupDriver", cgroup_driver),
		F("CgroupVersion", cgroup_version), F("ServerVersion", version),
		F("KernelVersion", kernel),
#undef F
	};
	const char *body;
	json_error_t je;
	json_t *o;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (len > DOCKER_INFO_MAX) {
		snprintf(err, errlen, "/info: the answer is longer than %u bytes", DOCKER_INFO_MAX);
		return -EPROTO;
	}
	if (!status_ok(resp, len)) {
		size_t n = 0;

		while (n < len && n < 64 && resp[n] != '\r' && resp[n] != '\n' && resp[n] >= ' ')
			n++;
		snprintf(err, errlen, "/info: the Docker API answered \"%.*s\", not 200", (int)n, resp);
		return -EPROTO;
	}
	body = body_of(resp, len);
	if (!body) {
		snprintf(err, errlen, "/info: no body after the headers");
		return -EPROTO;
	}
	o = json_loadb(body, len - (size_t)(body - resp), 0, &je);
	if (!o || !json_is_object(o)) {
		snprintf(err, errlen, "/info: the body is not a JSON object%s%s", o ? "" : ": ",
			 o ? "" : je.text);
		json_decref(o);
		return -EPROTO;
	}
	for (size_t i = 0; i < ELEMENTSOF(fields) && r == 0; i++)
		r = take(o, fields[i].key, (char *)ret + fields[i].off, fields[i].size, err, errlen);
	json_decref(o);
	if (r < 0)
		memset(ret, 0, sizeof(*ret));
	return r;
}

bool docker_info_is_desktop(const struct docker_engine_info *info, bool proxy_socket)
{
	return !strcmp(info->os, "Docker Desktop") || (!info->os[0] && proxy_socket) ||
	       (proxy_socket && !strcmp(info->name, "docker-desktop"));
}

static uint64_t now_ms(void)
{
	return clock_now_ns(CLOCK_MONOTONIC) / 1000000;
}

/* The whole answer to DOCKER_INFO_REQUEST on a unix socket, the engine
 * closing after it (HTTP/1.0), within timeout_ms. */
static int ask_info(const char *path, int timeout_ms, char **ret, size_t *ret_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const size_t reqlen = strlen(DOCKER_INFO_REQUEST);
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int fd, r = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	buf = malloc(DOCKER_INFO_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* A unix connect completes at once or fails. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, DOCKER_INFO_REQUEST, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		n = poll(&p, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ETIMEDOUT;
			break;
		}
		n = read(fd, buf + len, DOCKER_INFO_MAX + 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > DOCKER_INFO_MAX) {
			r = -EMSGSIZE;
			break;
		}
	}
	close(fd);
	if (r < 0)
		return r;
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
	*ret_len = len;
	return 0;
}

static bool is_socket_under(const char *root, const char *abs)
{
	char path[PATH_MAX];
	struct stat st;

	return root_path(root, abs, path, sizeof(path)) >= 0 && stat(path, &st) == 0 &&
	       S_ISSOCK(st.st_mode);
}

void engine_reach_files(const char *root, struct engine_reach *r)
{
	char abs[PATH_MAX + 32];
	DIR *d;
	int fd;

	r->files_reachable = false;
	r->files_err = 0;
	if (!r->info.data_root[0]) {
		snprintf(r->files_where, sizeof(r->files_where), "(the engine's data root is unknown)");
		r->files_err = -ENODATA;
		return;
	}
	snprintf(abs, sizeof(abs), "%s/%s", r->info.data_root,
		 r->info.driver[0] ? r->info.driver : "overlay2");
	snprintf(r->files_where, sizeof(r->files_where), "%s", abs);
	fd = root_open(root, abs, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		r->files_err = fd;
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		r->files_err = -errno;
		close(fd);
		return;
	}
	/* An empty directory of that name is not the engine's data root (a
	 * user distro may have an empty /var/lib/docker of its own). */
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			r->files_reachable = true;
			break;
		}
	closedir(d);
	if (!r->files_reachable)
		r->files_err = -ENOENT;
}

void engine_reach_probe(const char *root, const char *socket, int timeout_ms,
			struct engine_reach *r)
{
	_cleanup_free_ char *resp = NULL;
	bool live = !root || !strcmp(root, "/");
	size_t len = 0;
	int fd, e;

	memset(r, 0, sizeof(*r));
	fd = root_open(root, DOCKER_DESKTOP_DIR, O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		r->desktop_dir = true;
		close(fd);
	}
	r->proxy_socket = is_socket_under(root, DOCKER_DESKTOP_PROXY_SOCK);
	if (!socket)
		socket = is_socket_under(root, "/var/run/docker.sock") || !r->proxy_socket
				 ? "/var/run/docker.sock" : DOCKER_DESKTOP_PROXY_SOCK;
	snprintf(r->socket, sizeof(r->socket), "%s", socket);
	if (!live) {
		r->engine_err = -EOPNOTSUPP;
		snprintf(r->engine_why, sizeof(r->engine_why), "not asked: a tree under --root");
	} else if ((e = ask_info(socket, timeout_ms, &resp, &len)) < 0) {
		r->engine_err = e;
		snprintf(r->engine_why, sizeof(r->engine_why), "%s: %s", socket, strerror(-e));
	} else if ((e = docker_info_parse(resp, len, &r->info, r->engine_why,
					  sizeof(r->engine_why))) < 0) {
		r->engine_err = e;
	} else {
		r->engine_known = true;
	}
	if (!r->engine_known)
		r->socket[0] = '\0';
	r->desktop = docker_info_is_desktop(&r->info, r->proxy_socket);
	engine_reach_files(root, r);
}

void engine_reach_describe(const struct engine_reach *r, char *buf, size_t size)
{
	const char *en = r->files_err ? strerrorname_np(-r->files_err) : NULL;

	if (!r->engine_known) {
		snprintf(buf, size, "no engine answered (%s)%s", r->engine_why,
			 r->proxy_socket ? "; Docker Desktop's proxy socket is here" : "");
		return;
	}
	snprintf(buf, size, "%s (%s %s, %s v%s) via %s; its files: %s%s%s%s", r->desktop ?
		 "Docker Desktop" : r->info.os[0] ? r->info.os : "an engine", r->info.name,
		 r->info.version, r->info.cgroup_driver[0] ? r->info.cgroup_driver : "?",
		 r->info.cgroup_version[0] ? r->info.cgroup_version : "?", r->socket,
		 r->files_reachable ? "reachable under " : "out of reach (", r->files_where,
		 r->files_reachable ? "" : ": ", r->files_reachable ? "" : en ? en : "?");
	if (!r->files_reachable)
		snprintf(buf + strlen(buf), size - strlen(buf), "): cgroup levers only");
}
