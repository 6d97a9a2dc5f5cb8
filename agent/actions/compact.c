/* SPDX-License-Identifier: MIT */
/* Lever e: compaction after a reclaim, so the freed pages form blocks of
 * page_reporting_order that free page reporting hands to the host. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

static int write_knob(struct act_ctx *c, const char *dir, const char *name)
{
	char path[4096];
	_cleanup_close_ int fd = -1;
	int r;

	r = act_name(c, dir, path, sizeof(path));
	if (r < 0)
		return r;
	fd = act_open(c, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		act_fail(c, fd, "%s/%s", path, name);
		return fd;
	}
	if (faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		act_fail(c, r, "%s/%s", path, name);
	} else if (!c->q->dry_run) {
		r = act_write(c, fd, name, "1");
		c->r->steps++;
		if (r < 0)
			act_fail(c, r, "%s/%s", path, name);
	}
	return r;
}

int lever_compact(struct act_ctx *c)
{
	/* What compaction could make reportable: free memory in blocks
	 * below page_reporting_order. */
	c->r->bytes_targeted = c->r->before.stranded_free;
	if (!c->q->nnodes) {
		write_knob(c, "/proc/sys/vm", "compact_memory");
		return 0;
	}
	for (size_t i = 0; i < c->q->nnodes; i++) {
		char dir[64];

		if (act_expired(c)) {
			act_fail(c, -ETIME, "%s", lever_name(LEVER_COMPACT));
			break;
		}
		snprintf(dir, sizeof(dir), "/sys/devices/system/node/node%u", c->q->nodes[i]);
		write_knob(c, dir, "compact");
	}
	return 0;
}
