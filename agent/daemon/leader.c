/* SPDX-License-Identifier: MIT */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *leader_default_dir(bool wsl2_with_mnt_wsl)
{
	const char *env = getenv("WSLDOCK_LOCK_DIR");

	if (env && env[0])
		return env;
	return wsl2_with_mnt_wsl ? "/mnt/wsl/wsldock" : "/run/wsldock";
}

void leader_init(struct leader *l, const char *dir)
{
	snprintf(l->path, sizeof(l->path), "%s/leader.lock", dir);
	l->fd = -1;
	l->held = false;
}

/* flock, not fcntl locks: the lock belongs to the open file, so it goes
 * when the agent dies however it dies (kill -9 included), and agents in
 * other distros of the VM contend on the same tmpfs inode. */
int leader_try(struct leader *l)
{
	if (l->held)
		return 1;
	if (l->fd < 0) {
		char dir[sizeof(l->path)];
		char *slash;

		snprintf(dir, sizeof(dir), "%s", l->path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				return -errno;
		}
		l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (l->fd < 0)
			return -errno;
	}
	if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
	l->held = true;
	return 1;
}

void leader_release(struct leader *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->held = false;
}
