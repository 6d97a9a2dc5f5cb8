/* SPDX-License-Identifier: MIT */
/* Reaching the files and cgroups the tracker names: by path or by handle,
 * and measuring what of a file is in the page cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

/* include/uapi/linux/mman.h (6.5+); defined here so older headers build. */
struct act_cachestat_range {
	uint64_t off, len;
};
struct act_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

/* Handle types (include/linux/exportfs.h): ext4 and xfs decode INO32_GEN;
 * xfs takes 64-bit inode numbers with its own flag; kernfs (cgroup2) is
 * keyed by the 64-bit node id. */
#define FILEID_INO32_GEN 1
#define FILEID_INO64_GEN_XFS 0x81
#define FILEID_KERNFS 0xfe

static int cachestat_state = 0;  /* 0 untried, 1 works, -1 ENOSYS or refused */

static bool add_run(void *ud, uint64_t off, uint64_t len)
{
	*(uint64_t *)ud += len;
	return true;
}

/* Without cachestat: the resident runs (mincore), summed. */
static int mincore_resident(const struct act_ctx *c, int fd, uint64_t size, uint64_t *resident)
{
	*resident = 0;
	return act_file_resident_runs(c, fd, size, add_run, resident);
}

int act_file_resident(const struct act_ctx *c, int fd, uint64_t size, uint64_t *resident,
		      uint64_t *dirty, bool *dirty_known)
{
	struct act_cachestat_range range = { 0, 0 };  /* len 0: to the end */
	struct act_cachestat cs;

	*dirty = 0;
	*dirty_known = false;
	if (cachestat_state >= 0) {
		if (syscall(__NR_cachestat, fd, &range, &cs, 0) == 0) {
			cachestat_state = 1;
			*resident = cs.nr_cache * c->page_size;
			*dirty = (cs.nr_dirty + cs.nr_writeback) * c->page_size;
			*dirty_known = true;
			return 0;
		}
		/* EPERM: a seccomp allow list from a systemd or libseccomp
		 * older than cachestat (the unit's) refuses it; cachestat
		 * itself never says EPERM. */
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		cachestat_state = -1;
	}
	if (size == 0) {
		*resident = 0;
		return 0;
	}
	return mincore_resident(c, fd, size, resident);
}

int act_file_resident_runs(const struct act_ctx *c, int fd, uint64_t size,
			   bool (*fn)(void *ud, uint64_t off, uint64_t len), void *ud)
{
	const uint64_t window = 1ull << 30;
	_cleanup_free_ unsigned char *vec = malloc(window / c->page_size);
	int r = 0;

	if (!vec)
		return -ENOMEM;
	for (uint64_t off = 0; off < size; off += window) {
		uint64_t len = size - off < window ? size - off : window;
		size_t pages = (size_t)((len + c->page_size - 1) / c->page_size), i = 0;
		void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
		bool more = true;

		if (p == MAP_FAILED) {
			r = -errno;
			break;
		}
		if (mincore(p, len, vec) < 0) {
			r = -errno;
			munmap(p, len);
			break;
		}
		munmap(p, len);
		while (i < pages && more) {
			size_t j;

			if (!(vec[i] & 1)) {
				i++;
				continue;
			}
			for (j = i; j < pages && (vec[j] & 1); j++)
				;
			more = fn(ud, off + (uint64_t)i * c->page_size,
				  (uint64_t)(j - i) * c->page_size);
			i = j;
		}
		if (!more)
			break;
	}
	return r;
}

/* Mount points in mountinfo escape space, tab, newline and backslash as
 * \ooo: undo that in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The mount point of a mount of dev, preferring one of the file system's
 * root (any mount of the super block decodes handles, but a bind mount of
 * a subtree may hide the file from an unprivileged check). */
static int mount_point_of(struct act_ctx *c, uint64_t dev, char *out, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char *cursor, *line;
	bool found = false;
	int r;

	r = read_text_at(c->q->root, "/proc/self/mountinfo", 16u << 20, &text, NULL);
	if (r < 0)
		return r;
	cursor = text;
	while ((line = next_line(&cursor, NULL))) {
		char *f[5], *save = NULL, *tok = strtok_r(line, " ", &save);
		unsigned maj, min, n = 0;

		for (; tok && n < 5; tok = strtok_r(NULL, " ", &save))
			f[n++] = tok;
		if (n < 5 || sscanf(f[2], "%u:%u", &maj, &min) != 2 || makedev(maj, min) != dev)
			continue;
		unescape_octal(f[4]);
		if (!found || strcmp(f[3], "/") == 0) {
			snprintf(out, size, "%s", f[4]);
			found = true;
		}
		if (strcmp(f[3], "/") == 0)
			break;
	}
	return found ? 0 : -ENODEV;
}

int act_mount_fd(struct act_ctx *c, uint64_t dev)
{
	char mnt[4096];
	int fd, r;

	for (size_t i = 0; i < c->nmounts; i++)
		if (c->mounts[i].dev == dev)
			return c->mounts[i].fd;
	if (c->nmounts == ACT_MAX_MOUNTS)
		return -EMFILE;
	r = mount_point_of(c, dev, mnt, sizeof(mnt));
	if (r < 0)
		return r;
	fd = act_open(c, mnt, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	c->mounts[c->nmounts].dev = dev;
	c->mounts[c->nmounts].fd = fd;
	c->nmounts++;
	return fd;
}

static int open_by_handle(int mountfd, int type, const void *id, unsigned len, int flags)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 16];
	} h;
	int fd;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = len;
	h.fh.handle_type = type;
	memcpy(h.fh.f_handle, id, len);
	fd = open_by_handle_at(mountfd, &h.fh, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int act_open_cgroup_by_id(int mountfd, uint64_t cgid)
{
	return open_by_handle(mountfd, FILEID_KERNFS, &cgid, sizeof(cgid), O_RDONLY | O_DIRECTORY);
}

static int open_file_by_handle(struct act_ctx *c, const struct action_file *f)
{
	int mfd = act_mount_fd(c, f->dev);
	const int flags = O_RDONLY | O_NOCTTY | O_NONBLOCK;

	if (mfd < 0)
		return mfd;
	if (f->ino <= UINT32_MAX) {
		uint32_t id[2] = { (uint32_t)f->ino, f->gen };

		return open_by_handle(mfd, FILEID_INO32_GEN, id, sizeof(id), flags);
	} else {
		struct __attribute__((packed)) { uint64_t ino; uint32_t gen; } id = { f->ino, f->gen };

		return open_by_handle(mfd, FILEID_INO64_GEN_XFS, &id, sizeof(id), flags);
	}
}

int act_open_file(struct act_ctx *c, const struct action_file *f, int *ret_fd, struct stat *st)
{
	int fd = -ENOENT;

	if (f->path) {
		/* O_NONBLOCK (root_open adds it): a path that now names a FIFO
		 * must not block the open. */
		fd = act_open(c, f->path, O_RDONLY | O_NOFOLLOW);
		if (fd >= 0 && fstat(fd, st) == 0 && (!f->ino || (st->st_dev == f->dev &&
							      st->st_ino == f->ino)))
			goto found;
		/* The path names another file now (or none): try the handle. */
		if (fd >= 0) {
			close(fd);
			fd = -ESTALE;
		}
	}
	if (f->ino && f->dev) {
		int hfd = open_file_by_handle(c, f);

		if (hfd >= 0 && fstat(hfd, st) == 0)
			fd = hfd;
		else if (hfd >= 0)
			close(hfd);
		else if (!f->path)
			fd = hfd;
	}
	if (fd < 0)
		return fd;
found:
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -EBADF;
	}
	*ret_fd = fd;
	return 0;
}
