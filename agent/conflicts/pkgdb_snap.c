/* SPDX-License-Identifier: MIT */
#include "conflicts/pkgdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shared/util.h"

/* snapd has no text database worth parsing for one name: the docker snap
 * is installed when its mount point or one of its revisions exists. */
static int put_snap(struct pkgdb *db, const char *path, const char *revision)
{
	struct pkg p = { .state = PKG_INSTALLED, .state_word = "installed", .name = "docker" };
	int r;

	snprintf(p.version, sizeof(p.version), "%s", revision);
	r = pkgdb_add_file(db, path, &p.file);
	if (r < 0)
		return r;
	return pkgdb_put(db, &p, true);
}

#define SNAPS "/var/lib/snapd/snaps"

/* SNAPS listed under root; revisions named under dir, as it is shown. */
static int scan_revisions(struct pkgdb *db, const char *root, const char *dir)
{
	struct dirent *e;
	DIR *dh = root_opendir(root, SNAPS);
	int r = 0;

	if (!dh)
		return 0;
	while (r >= 0 && (e = readdir(dh))) {
		char path[PATH_MAX], rev[PKG_VERSION_MAX];
		size_t len = strlen(e->d_name);

		if (!string_has_prefix(e->d_name, "docker_") || len < 13 ||
		    strcmp(e->d_name + len - 5, ".snap"))
			continue;
		snprintf(rev, sizeof(rev), "%.*s", (int)(len - 12), e->d_name + 7);
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		db->present = true;
		r = put_snap(db, path, rev);
	}
	closedir(dh);
	return r;
}

int pkgdb_snap_read(const char *root, struct pkgdb *db, struct diag_list *d)
{
	char mnt[PATH_MAX], snaps[PATH_MAX];
	int r, fd;

	if (root_path(root, SNAPS, db->st.path, sizeof(db->st.path)) < 0)
		return -ENAMETOOLONG;
	db->st.state = SOURCE_OK;
	/* Directories as the root resolves them: no link leads out of it. */
	if (root_resolve(root, SNAPS, snaps, sizeof(snaps)) == 0) {
		r = scan_revisions(db, root, snaps);
		if (r < 0)
			return r;
	}
	/* The mount point, a directory inside the root (named as resolved). */
	fd = root_open(root, "/snap/docker", O_PATH | O_DIRECTORY);
	if (fd < 0)
		return 0;
	close(fd);
	if (root_resolve(root, "/snap/docker", mnt, sizeof(mnt)) < 0)
		return 0;
	db->present = true;
	return pkgdb_find(db, "docker") ? 0 : put_snap(db, mnt, "");
}
