/* SPDX-License-Identifier: MIT */
#include "sources/cgroup_ancestry.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* <linux/exportfs.h>: cgroup2 (kernfs) handles hold the 64-bit node id. */
#define FILEID_KERNFS 0xfe

struct cgroup_ancestry *cgroup_ancestry_global(void)
{
	static struct cgroup_ancestry table;

	return &table;
}

static struct cgroup_ancestry_entry *find(const struct cgroup_ancestry *a, uint64_t id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].id == id)
			return (struct cgroup_ancestry_entry *)&a->e[i];
	return NULL;
}

void cgroup_ancestry_record(struct cgroup_ancestry *a, uint64_t id, const uint64_t *up,
			    size_t n)
{
	struct cgroup_ancestry_entry *e = find(a, id);

	if (!id)
		return;
	if (!e) {
		if (a->n < CGROUP_ANCESTRY_MAX) {
			e = &a->e[a->n++];
		} else {
			e = &a->e[a->next];
			a->next = (a->next + 1) % CGROUP_ANCESTRY_MAX;
		}
	}
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->depth = (uint8_t)(n < CGROUP_ANCESTRY_DEPTH ? n : CGROUP_ANCESTRY_DEPTH);
	memcpy(e->up, up, e->depth * sizeof(*up));
}

size_t cgroup_ancestry_get(const struct cgroup_ancestry *a, uint64_t id, uint64_t *up,
			   size_t max)
{
	const struct cgroup_ancestry_entry *e = find(a, id);
	size_t n;

	if (!e)
		return 0;
	n = e->depth < max ? e->depth : max;
	memcpy(up, e->up, n * sizeof(*up));
	return n;
}

int cgroup_id_of_fd(int fd, uint64_t *ret)
{
	struct { struct file_handle h; unsigned char b[32]; } fh = { .h.handle_bytes = 32 };
	int mount_id;

	if (name_to_handle_at(fd, "", &fh.h, &mount_id, AT_EMPTY_PATH) < 0)
		return -errno;
	if (fh.h.handle_type != FILEID_KERNFS || fh.h.handle_bytes != sizeof(*ret))
		return -EMEDIUMTYPE;  /* not a cgroup2 directory */
	memcpy(ret, fh.h.f_handle, sizeof(*ret));
	return 0;
}

static int open_by_id(int mountfd, uint64_t id)
{
	struct { struct file_handle h; uint64_t id; } fh = {
		.h.handle_bytes = sizeof(uint64_t), .h.handle_type = FILEID_KERNFS, .id = id,
	};
	int fd = open_by_handle_at(mountfd, &fh.h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int cgroup_ancestry_note(struct cgroup_ancestry *a, int mountfd, uint64_t id)
{
	uint64_t up[CGROUP_ANCESTRY_DEPTH], cur = id;
	size_t n = 0;
	int fd, r = 0;

	if (find(a, id))
		return (int)find(a, id)->depth;
	fd = open_by_id(mountfd, id);
	if (fd < 0)
		return fd;
	/* Up to the kernel's root cgroup, which is not listed (reclaiming it
	 * is no longer a targeted lever): it is the one without cgroup.events.
	 * The walk also ends where ".." leaves cgroup2 (a mount's root). */
	while (n < CGROUP_ANCESTRY_DEPTH) {
		int pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		uint64_t pid;

		if (pfd < 0) {
			r = -errno;
			break;
		}
		close(fd);
		fd = pfd;
		r = cgroup_id_of_fd(fd, &pid);
		if (r < 0 || pid == cur || faccessat(fd, "cgroup.events", F_OK, 0) < 0)
			break;
		up[n++] = cur = pid;
	}
	close(fd);
	if (r < 0 && !n)
		return r;
	cgroup_ancestry_record(a, id, up, n);
	return (int)n;
}
