/* SPDX-License-Identifier: MIT */
/* The Linux platform layer of wsldock-bridge: the build the tests drive.
 * Listens on unix, tcp and vsock sockets (a Linux host of VMs gets the same
 * bridge), reads host memory from /proc/meminfo. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "enroll.h"
#include "hostmem.h"
#include "platform.h"

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	stop_flag = 1;
}

int plat_init(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() returns EINTR and the loop sees the flag. */
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	return 0;
}

bool plat_stop_requested(void)
{
	return stop_flag != 0;
}

const char *plat_default_listen(void)
{
	return NULL;
}

const struct plat_verb plat_verbs[] = { { NULL, NULL, NULL } };

struct plat_mutex {
	pthread_mutex_t m;
};

struct plat_mutex *plat_mutex_new(void)
{
	struct plat_mutex *m = calloc(1, sizeof(*m));

	if (m && pthread_mutex_init(&m->m, NULL)) {
		free(m);
		return NULL;
	}
	return m;
}

void plat_mutex_lock(struct plat_mutex *m)
{
	pthread_mutex_lock(&m->m);
}

void plat_mutex_unlock(struct plat_mutex *m)
{
	pthread_mutex_unlock(&m->m);
}

void plat_mutex_free(struct plat_mutex *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->m);
	free(m);
}

/* A socket file left by a bridge that died: nobody answers on it. */
static bool unix_socket_stale(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool stale;

	if (fd < 0)
		return false;
	stale = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0 && errno == ECONNREFUSED;
	close(fd);
	return stale;
}

/* A non-blocking listening socket of family on sa; what the error line
 * names it ("unix:/x", "tcp:h:p").  0, or negative errno with why. */
static int bind_listen(int family, const struct sockaddr *sa, socklen_t len, bool reuse,
		       const char *what, int *ret, char *why, size_t why_len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1, r;

	if (fd < 0)
		goto fail;
	if (reuse)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0)
		goto fail;
	*ret = fd;
	return 0;
fail:
	r = -errno;
	snprintf(why, why_len, "%s: %s", what, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

static int listen_unix(const char *path, int *ret, char *why, size_t why_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	char what[sizeof(sun.sun_path) + 8];

	if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, why_len, "unix:%s: the path is empty or too long", path);
		return -EINVAL;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || !unix_socket_stale(&sun)) {
			snprintf(why, why_len, "unix:%s: %s", path,
				 S_ISSOCK(st.st_mode) ? "another process listens there"
						      : "exists and is not a socket");
			return -EADDRINUSE;
		}
		unlink(path);
	}
	snprintf(what, sizeof(what), "unix:%s", path);
	return bind_listen(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun), false, what, ret, why,
			   why_len);
}

/* "HOST:PORT", "[V6]:PORT". */
static int split_host_port(const char *s, char *host, size_t size, const char **port)
{
	const char *colon;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= size)
			return -EINVAL;
		snprintf(host, size, "%.*s", (int)(close - s - 1), s + 1);
		*port = close + 2;
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= size)
		return -EINVAL;
	snprintf(host, size, "%.*s", (int)(colon - s), s);
	*port = colon + 1;
	return 0;
}

static int listen_tcp(const char *hostport, int *ret, char *why, size_t why_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256];
	const char *port;
	char what[300];
	int r;

	if (split_host_port(hostport, host, sizeof(host), &port) < 0 || !*port) {
		snprintf(why, why_len, "tcp:%s: expected tcp:HOST:PORT", hostport);
		return -EINVAL;
	}
	r = getaddrinfo(host, port, &hints, &res);
	if (r) {
		snprintf(why, why_len, "tcp:%s: %s", hostport, gai_strerror(r));
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "tcp:%s", hostport);
	r = bind_listen(res->ai_family, res->ai_addr, res->ai_addrlen, true, what, ret, why, why_len);
	freeaddrinfo(res);
	return r;
}

/* vsock:CID:PORT, CID "any" for every CID.  Never used by the tests: this
 * machine's CID 2 is its own host, not ours. */
static int listen_vsock(const char *cidport, int *ret, char *why, size_t why_len)
{
	struct sockaddr_vm svm = { .svm_family = AF_VSOCK };
	unsigned long cid, port;
	char *end, what[64];

	if (!strncmp(cidport, "any:", 4)) {
		cid = VMADDR_CID_ANY;
		end = (char *)cidport + 3;
	} else {
		cid = strtoul(cidport, &end, 10);
	}
	if (*end != ':' || (port = strtoul(end + 1, &end, 10)) == 0 || *end || port > UINT_MAX) {
		snprintf(why, why_len, "vsock:%s: expected vsock:CID:PORT", cidport);
		return -EINVAL;
	}
	svm.svm_cid = (unsigned)cid;
	svm.svm_port = (unsigned)port;
	snprintf(what, sizeof(what), "vsock:%s", cidport);
	return bind_listen(AF_VSOCK, (struct sockaddr *)&svm, sizeof(svm), false, what, ret, why,
			   why_len);
}

int plat_listen(const char *endpoint, plat_sock *ret, char *why, size_t why_len)
{
	*ret = PLAT_SOCK_INVALID;
	if (!strncmp(endpoint, "unix:", 5))
		return listen_unix(endpoint + 5, ret, why, why_len);
	if (!strncmp(endpoint, "tcp:", 4))
		return listen_tcp(endpoint + 4, ret, why, why_len);
	if (!strncmp(endpoint, "vsock:", 6))
		return listen_vsock(endpoint + 6, ret, why, why_len);
	snprintf(why, why_len, "%s: not an endpoint this build listens on (unix:PATH, tcp:HOST:PORT, vsock:CID:PORT)",
		 endpoint);
	return -EINVAL;
}

void plat_unlisten(const char *endpoint)
{
	if (!strncmp(endpoint, "unix:", 5))
		unlink(endpoint + 5);
}

int plat_accept(plat_sock l, plat_sock *ret)
{
	int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*ret = fd;
	return 0;
}

long plat_recv(plat_sock s, void *buf, size_t len)
{
	ssize_t n = recv(s, buf, len, MSG_DONTWAIT);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return (long)n;
}

long plat_send(plat_sock s, const void *buf, size_t len)
{
	ssize_t n = send(s, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return (long)n;
}

void plat_close(plat_sock s)
{
	if (s >= 0)
		close(s);
}

int plat_poll(struct plat_pollfd *fds, size_t n, int timeout_ms)
{
	/* Reused between calls: the loop polls on every message. */
	static struct pollfd *p;
	static size_t cap;
	int r;

	if (n > cap) {
		struct pollfd *grown = realloc(p, n * sizeof(*p));

		if (!grown)
			return -ENOMEM;
		p = grown;
		cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		p[i].fd = fds[i].fd;
		p[i].events = (short)((fds[i].events & PLAT_POLLIN ? POLLIN : 0) |
				      (fds[i].events & PLAT_POLLOUT ? POLLOUT : 0));
	}
	r = poll(p, n, timeout_ms);
	if (r < 0)
		return -errno;
	for (size_t i = 0; i < n; i++)
		fds[i].revents = (short)((p[i].revents & POLLIN ? PLAT_POLLIN : 0) |
					 (p[i].revents & POLLOUT ? PLAT_POLLOUT : 0) |
					 (p[i].revents & (POLLERR | POLLNVAL) ? PLAT_POLLERR : 0) |
					 (p[i].revents & POLLHUP ? PLAT_POLLHUP : 0));
	return r;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t plat_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t plat_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int plat_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, r = 0;

	*ret = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *p = realloc(buf, ncap);

			if (!p) {
				r = -ENOMEM;
				break;
			}
			buf = p;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int plat_host_memory(struct plat_host_memory *m)
{
	char *text;
	size_t len;
	int r = plat_read_file("/proc/meminfo", 1 << 20, &text, &len);

	if (r < 0)
		return r;
	r = hostmem_parse_meminfo(text, m);
	free(text);
	return r;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int plat_replace_file(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX], target[PATH_MAX];
	const char *slash;
	struct stat st;
	bool existed;
	int fd, r, n;

	/* A symlinked file (a dotfiles checkout) is edited where it points:
	 * renaming over the link would turn it into a regular file and leave
	 * the target with the old value. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!realpath(path, target))
			return -errno;
		path = target;
	}
	slash = strrchr(path, '/');
	existed = stat(path, &st) == 0;

	/* .NAME.wsldock-tmp-PID beside the file: same filesystem, so the
	 * rename is atomic; a killed writer leaves only this, never a short
	 * NAME. */
	n = slash ? snprintf(tmp, sizeof(tmp), "%.*s/.%s.wsldock-tmp-%ld", (int)(slash - path), path,
			     slash + 1, (long)getpid())
		  : snprintf(tmp, sizeof(tmp), ".%s.wsldock-tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, existed ? st.st_mode & 07777 : 0644);
	if (fd < 0)
		return -errno;
	if (existed && fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM) {
		r = -errno;
		goto fail;
	}
	r = write_all(fd, data, len);
	if (r < 0)
		goto fail;
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	return fsync_dir_of(path);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

/* The backup is written to a temp file and linked into place, so a killed
 * copy never leaves a short backup and an existing one is never replaced. */
int plat_copy_file(const char *path, const char *backup_path)
{
	char tmp[PATH_MAX], buf[65536];
	struct stat st;
	int in, out = -1, r = 0, n;

	n = snprintf(tmp, sizeof(tmp), "%s.wsldock-tmp-%ld", backup_path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0) {
		r = -errno;
		goto out;
	}
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
	if (out < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t got = read(in, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		r = write_all(out, buf, (size_t)got);
		if (r < 0)
			break;
	}
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	if (close(out) < 0 && r == 0)
		r = -errno;
	out = -1;
	if (r == 0 && link(tmp, backup_path) < 0)
		r = -errno;
	unlink(tmp);
	if (r == 0)
		r = fsync_dir_of(backup_path);
out:
	close(in);
	return r;
}

static int home_path(const char *rel, char *buf, size_t size)
{
	const char *home = getenv("HOME");
	int n;

	if (!home || !*home)
		return -ENOENT;
	n = snprintf(buf, size, "%s/%s", home, rel);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Docker Desktop for Linux keeps its settings under ~/.docker/desktop/. */
int plat_docker_settings_path(char *buf, size_t size)
{
	int r = home_path(".docker/desktop/settings-store.json", buf, size);

	if (r < 0 || access(buf, F_OK) == 0)
		return r;
	r = home_path(".docker/desktop/settings.json", buf, size);
	if (r < 0 || access(buf, F_OK) == 0)
		return r;
	return -ENOENT;
}

/* WSL reads %UserProfile%\.wslconfig on Windows; a Linux host has none. */
int plat_wslconfig_path(char *buf, size_t size)
{
	return -ENOENT;
}

int plat_log_dir(char *buf, size_t size)
{
	const char *state = getenv("XDG_STATE_HOME");
	int n;

	if (state && *state) {
		n = snprintf(buf, size, "%s/wsldock", state);
		return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
	}
	return home_path(".local/state/wsldock", buf, size);
}

/* Docker Desktop for Linux runs its engine VM from com.docker.backend. */
int plat_docker_desktop_running(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;

	if (!d)
		return -errno;
	while (!found && (de = readdir(d))) {
		char path[64], comm[64];
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "com.docker.back\n"))
			found = 1;
		fclose(f);
	}
	closedir(d);
	return found;
}

/* ---- enrolment (enroll.h) ---- */

int plat_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int plat_hmac_sha256(const unsigned char *key, size_t key_len, const void *msg, size_t len,
		     unsigned char out[PROTO_MAC_BYTES])
{
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), key, (int)key_len, msg, len, out, &n) || n != PROTO_MAC_BYTES)
		return -EIO;
	return 0;
}

/* mkdir -p with 0700 for what it creates; the last one is checked. */
int plat_private_dir(const char *dir, char *why, size_t why_len)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(dir);

	if (n >= sizeof(path)) {
		snprintf(why, why_len, "%s: the path is too long", dir);
		return -ENAMETOOLONG;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			snprintf(why, why_len, "%s: cannot create it: %s", path, strerror(errno));
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(why, why_len, "%s: cannot create it: %s", path, strerror(errno));
		return -errno;
	}
	if (lstat(path, &st) < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(why, why_len, "%s: refusing to keep keys there: it must be a directory of this user "
			 "that nobody else may enter (mode 0700)", path);
		return -EPERM;
	}
	return 0;
}

/* A Linux host has no wsl.exe of its own, but a bridge run inside WSL
 * reaches Windows' through interop; the tests name a fake. */
int plat_enroll_install(const char *distro, const char *key_hex, char *why, size_t why_len)
{
	const char *wsl = getenv("WSLDOCK_WSL_EXE");
	char line[PROTO_HEX_LEN(PROTO_KEY_BYTES) + 2];
	int fds[2], status, r;
	pid_t pid;

	if (!wsl || !*wsl)
		wsl = "wsl.exe";
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		snprintf(why, why_len, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(127);
		execlp(wsl, wsl, "-d", distro, "-u", "root", "wsldock-agent", "enroll", (char *)NULL);
		fprintf(stderr, "wsldock-bridge: cannot run %s: %s\n", wsl, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	snprintf(line, sizeof(line), "%s\n", key_hex);
	r = write_all(fds[1], line, strlen(line));
	memset(line, 0, sizeof(line));
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, why_len, "waitpid: %s", strerror(errno));
			return -errno;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, why_len, "`%s -d %s -u root wsldock-agent enroll` failed (%s %d); "
			 "is wsldock-agent installed in %s?", wsl, distro,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), distro);
		return -EIO;
	}
	if (r < 0) {
		snprintf(why, why_len, "%s did not read the key: %s", wsl, strerror(-r));
		return r;
	}
	return 0;
}
