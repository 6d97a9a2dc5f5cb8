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
	l->why[0] = '\0';
}

/* The directory and the lock file must be this agent's user's, and no one
 * else's to write: flock works on any descriptor, read-only included, so a
 * lock file other users can open is one any user can hold to stop reclaim
 * in every distro (/mnt/wsl is shared by all of them).  A directory or
 * file another user made first is refused, never adopted; our own are put
 * back to 0700 and 0600 whatever the umask made them (an older agent, a
 * start without systemd's UMask=0077). */
static int own_it(struct leader *l, int fd, const char *what, mode_t mode)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid()) {
		snprintf(l->why, sizeof(l->why), "%s is owned by uid %u, not this agent's uid %u: "
			 "refusing it (remove it as root)", what, (unsigned)st.st_uid,
			 (unsigned)geteuid());
		return -EPERM;
	}
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0) {
		snprintf(l->why, sizeof(l->why), "cannot make %s mode %04o: %s", what,
			 (unsigned)mode, strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_lock_at(struct leader *l, int dfd, const char *dir, const char *name)
{
	int fd, r;

	r = own_it(l, dfd, dir, 0700);
	if (r < 0)
		return r;
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(l->why, sizeof(l->why), "cannot open %s: %s", l->path, strerror(-r));
		return r;
	}
	r = own_it(l, fd, l->path, 0600);
	if (r < 0) {
		close(fd);
		return r;
	}
	l->fd = fd;
	return 0;
}

static int open_lock(struct leader *l)
{
	char dir[sizeof(l->path)];
	const char *name;
	char *slash;
	int dfd, r;

	snprintf(dir, sizeof(dir), "%s", l->path);
	slash = strrchr(dir, '/');
	if (!slash)
		return -EINVAL;
	name = l->path + (slash - dir) + 1;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(l->why, sizeof(l->why), "cannot make %s: %s", dir, strerror(errno));
		return -errno;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		snprintf(l->why, sizeof(l->why), "cannot open %s (a symlink?): %s", dir, strerror(-r));
		return r;
	}
	r = open_lock_at(l, dfd, dir, name);
	close(dfd);
	return r;
}

/* flock, not fcntl locks: the lock belongs to the open file, so it goes
 * when the agent dies however it dies (kill -9 included), and agents in
 * other distros of the VM contend on the same tmpfs inode. */
int leader_try(struct leader *l)
{
	int r;

	if (l->held)
		return 1;
	if (l->fd < 0) {
		l->why[0] = '\0';
		r = open_lock(l);
		if (r < 0)
			return r;
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
