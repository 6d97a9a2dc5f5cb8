/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

const char *fixture_path(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s", FIXTURES_DIR, name);
	return buf;
}

/* NAME.symlinks lists "path target" pairs: links pointing outside the tree
 * (into /mnt/wsl) that `make dist` cannot carry. */
static void apply_symlinks(const char *name, const char *dir)
{
	char path[PATH_MAX], line[2 * PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s.symlinks", fixture_path(name));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || sscanf(line, "%4095s %4095s", link, target) != 2)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, link);
		tree_write_str(dir, link, "");
		assert_int_equal(unlink(path), 0);
		assert_int_equal(symlink(target, path), 0);
	}
	fclose(f);
}

const char *tree_from_fixture(const char *name)
{
	static char dir[PATH_MAX];
	char cmd[3 * PATH_MAX];

	snprintf(dir, sizeof(dir), "/tmp/wsldock-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	if (name) {
		snprintf(cmd, sizeof(cmd), "cp -R '%s/.' '%s/'", fixture_path(name), dir);
		assert_int_equal(system(cmd), 0);
		apply_symlinks(name, dir);
	}
	return dir;
}

static void mkdir_parents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0)
			assert_int_equal(errno, EEXIST);
		*p = '/';
	}
}

void tree_write(const char *root, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdir_parents(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

void tree_write_str(const char *root, const char *rel, const char *text)
{
	tree_write(root, rel, text, strlen(text));
}

void tree_remove(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(unlink(path), 0);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

void tree_destroy(const char *root)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
