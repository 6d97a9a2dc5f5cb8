/* SPDX-License-Identifier: MIT */
#include "shared/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

static bool is_live(const char *root);

int root_path(const char *root, const char *abs, char *buf, size_t size)
{
	int n;

	if (is_live(root))
		root = "";
	n = snprintf(buf, size, "%s%s%s", root,
		     (*root && abs[0] != '/') ? "/" : "", abs);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static bool is_live(const char *root)
{
	return !root || !*root || (root[0] == '/' && root[1] == '\0');
}

#define ROOT_OPEN_ADD (O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

int root_open(const char *root, const char *abs, int flags)
{
	/* openat2 refuses O_PATH with flags other than these. */
	int add = (flags & O_PATH) ? O_CLOEXEC : ROOT_OPEN_ADD;
	struct open_how how = {
		.flags = (uint64_t)(flags | add),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char path[PATH_MAX];
	_cleanup_close_ int rootfd = -1;
	int fd, r;

	if (is_live(root)) {
		fd = open(abs, flags | add);
		return fd < 0 ? -errno : fd;
	}
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, rootfd, abs, &how, sizeof(how));
	r = fd < 0 ? -errno : fd;
	if (r != -ENOSYS)
		return r;
	r = root_path(root, abs, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, flags | add);
	return fd < 0 ? -errno : fd;
}

int root_resolve(const char *root, const char *abs, char *buf, size_t size)
{
	char proc[64];
	ssize_t n;
	_cleanup_close_ int fd = -1;

	if (is_live(root))
		return root_path(NULL, abs, buf, size);
	fd = root_open(root, abs, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

DIR *root_opendir(const char *root, const char *abs)
{
	int fd = root_open(root, abs, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}

static bool is_component(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

int root_openat(int dirfd, const char *name, int flags)
{
	int add = (flags & O_PATH) ? O_CLOEXEC : ROOT_OPEN_ADD, fd;

	if (!is_component(name))
		return -EINVAL;
	fd = openat(dirfd, name, flags | add | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int root_write_at(int dirfd, const char *name, const char *value)
{
	size_t len = strlen(value);
	struct stat sb;
	ssize_t n;
	_cleanup_close_ int fd = -1;

	if (!is_component(name))
		return -EINVAL;
	/* Looked at before the open for writing: opening a FIFO with
	 * O_NONBLOCK fails (ENXIO) rather than saying what it is. */
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(sb.st_mode))
		return -ELOOP;
	if (!S_ISREG(sb.st_mode))
		return -ENOTREG;
	fd = root_openat(dirfd, name, O_WRONLY);
	if (fd < 0)
		return fd;
	/* Swapped for something else since the look: still never blocks. */
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return -ENOTREG;
	n = write(fd, value, len);
	return n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
}

const char *root_strerror(int errnum)
{
	return errnum == ENOTREG ? "not a regular file" : strerror(errnum);
}

int read_text_at(const char *root, const char *abs, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = root_open(root, abs, O_RDONLY);

	return fd < 0 ? fd : read_text_fd(fd, max, ret, ret_len);
}

int read_text_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	return read_text_at(NULL, path, max, ret, ret_len);
}

int read_text_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat sb;
	int r;

	/* proc and sysfs files are regular; a FIFO, device or socket in a
	 * tree is not what a reader expects and could block or never end. */
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -ENOTREG;
	for (;;) {
		ssize_t k;

		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nbuf;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= len) {
				r = -EFBIG;
				goto out;
			}
			nbuf = realloc(buf, ncap + 1);
			if (!nbuf) {
				r = -ENOMEM;
				goto out;
			}
			buf = nbuf;
			cap = ncap;
		}
		/* /proc files must be read in one pass per open: never seek. */
		k = read(fd, buf + len, cap - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > max) {
			r = -EFBIG;
			goto out;
		}
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf) {
			r = -ENOMEM;
			goto out;
		}
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		r = -EILSEQ;
		goto out;
	}
	*ret = buf;
	if (ret_len)
		*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

char *next_line(char **cursor, unsigned *lineno)
{
	char *line = *cursor, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = line + strlen(line);
	}
	if (lineno)
		(*lineno)++;
	return line;
}

int parse_u64_prefix(const char *s, uint64_t *ret, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*p && !isspace((unsigned char)*p))
		return -EINVAL;
	*ret = v;
	if (end)
		*end = p;
	return 0;
}

int parse_u64(const char *s, uint64_t *ret)
{
	const char *end;
	int r = parse_u64_prefix(s, ret, &end);

	if (r < 0)
		return r;
	end = skip_space(end);
	return *end ? -EINVAL : 0;
}

int parse_double(const char *s, double *ret)
{
	char *end;
	double v;

	/* Digits with at most one '.': strtod alone would also take hex
	 * ("0x10"), exponents and "inf". */
	if (!isdigit((unsigned char)*s) || s[strspn(s, "0123456789")] == 'x' ||
	    s[strspn(s, "0123456789")] == 'X' || strpbrk(s, "eEpP"))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || !isfinite(v))
		return -ERANGE;
	if (*skip_space(end))
		return -EINVAL;
	*ret = v;
	return 0;
}

const char *format_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	v /= 1024.0;
	while (v >= 1024.0 && i + 1 < ELEMENTSOF(unit)) {
		v /= 1024.0;
		i++;
	}
	snprintf(buf, size, "%.1f %s", v, unit[i]);
	return buf;
}

char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return (char *)s;
}

void strip_trailing_space(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

bool string_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

uint64_t clock_now_ns(clockid_t id)
{
	struct timespec ts;

	/* Only an invalid clock id fails; every caller passes a constant. */
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int grow_array(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 32;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}
