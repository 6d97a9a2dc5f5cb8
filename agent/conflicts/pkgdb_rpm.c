/* SPDX-License-Identifier: MIT */
#include "conflicts/pkgdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "shared/util.h"

extern char **environ;

static const char *const rpm_dirs[] = { "/usr/lib/sysimage/rpm", "/var/lib/rpm" };

static bool file_exists(const char *dir, const char *name, off_t *size)
{
	char path[PATH_MAX];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return false;
	/* lstat: dir is resolved inside the root, and a database file that is
	 * a link (perhaps out of the tree) is not what rpm writes. */
	if (lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return false;
	if (size)
		*size = sb.st_size;
	return true;
}

static int put_name(struct pkgdb *db, const char *name, size_t file, struct diag_list *d)
{
	struct pkg p = { .state = PKG_INSTALLED, .state_word = "installed", .file = file };

	if (!name || !*name || !pkg_copy_field(p.name, sizeof(p.name), name)) {
		diag_add_at(d, db->files[file], 0, "package name empty or longer than %d bytes",
			    PKG_NAME_MAX - 1);
		db->dropped++;
		return 0;
	}
	return pkgdb_put(db, &p, true);
}

/* The Name index maps each package name to its header; reading it is all
 * the check needs and avoids parsing rpm headers.  A database without
 * pending WAL frames is opened immutable, so SQLite neither locks nor
 * creates -shm/-wal files in the user's root; with pending frames the WAL
 * must be read, which a plain read-only open does. */
static int read_sqlite(struct pkgdb *db, const char *dir, struct diag_list *d)
{
	char path[PATH_MAX], uri[PATH_MAX + 64];
	sqlite3 *sql = NULL;
	sqlite3_stmt *stmt = NULL;
	off_t wal_size = 0;
	size_t file;
	int r, rc;

	snprintf(path, sizeof(path), "%s/rpmdb.sqlite", dir);
	snprintf(db->st.path, sizeof(db->st.path), "%s", path);
	r = pkgdb_add_file(db, path, &file);
	if (r < 0)
		return r;
	bool wal = file_exists(dir, "rpmdb.sqlite-wal", &wal_size) && wal_size > 0;
	/* sqlite URIs need '?' and '#' escaped; refuse such paths rather than
	 * open a different file. */
	if (strpbrk(path, "?#%")) {
		source_fail(&db->st, SOURCE_UNREADABLE, "cannot open %s: '?', '#' or '%%' in the path", path);
		diag_add_at(d, path, 0, "%s", db->st.reason);
		return -EINVAL;
	}
	snprintf(uri, sizeof(uri), "file:%s?%s", path, wal ? "mode=ro" : "immutable=1");
	rc = sqlite3_open_v2(uri, &sql, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(sql, "SELECT DISTINCT key FROM Name", -1, &stmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = put_name(db, (const char *)sqlite3_column_text(stmt, 0), file, d);
		if (r < 0)
			goto out;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		source_fail(&db->st, SOURCE_MALFORMED, "cannot read %s: %s", path,
			    sql ? sqlite3_errmsg(sql) : "out of memory");
		diag_add_at(d, path, 0, "cannot read the Name index: %s",
			    sql ? sqlite3_errmsg(sql) : "out of memory");
		r = -EIO;
		goto out;
	}
	db->st.state = SOURCE_OK;
	r = 0;
out:
	sqlite3_finalize(stmt);
	sqlite3_close(sql);
	return r;
}

/* Reads all of fd (bounded) into a NUL-terminated buffer. */
static int slurp(int fd, char **ret)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t k;

		if (cap - len < 4096) {
			char *nbuf;

			if (cap >= PKGDB_FILE_MAX)
				goto too_big;
			cap = cap ? cap * 2 : 16384;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				free(buf);
				return -ENOMEM;
			}
			buf = nbuf;
		}
		k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(buf);
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
too_big:
	free(buf);
	return -EFBIG;
}

/* Berkeley DB and NDB have no stable library to read them with; rpm itself
 * does, when it is installed. */
static int read_with_rpm(struct pkgdb *db, const char *dir, const char *dbfile,
			 struct diag_list *d)
{
	char *argv[] = { "rpm", "-qa", "--dbpath", (char *)dir, "--qf", "%{NAME}\\n", NULL };
	_cleanup_free_ char *out = NULL;
	posix_spawn_file_actions_t fa;
	char *cursor, *line;
	size_t file;
	unsigned lineno = 0;
	int fds[2], status = 0, r, k;
	pid_t pid;

	snprintf(db->st.path, sizeof(db->st.path), "%s/%s", dir, dbfile);
	r = pkgdb_add_file(db, db->st.path, &file);
	if (r < 0)
		return r;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, "rpm", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	k = r == 0 ? slurp(fds[0], &out) : 0;
	close(fds[0]);
	if (r == 0 && waitpid(pid, &status, 0) < 0)
		r = errno;
	if (r != 0 || k < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		source_fail(&db->st, SOURCE_UNREADABLE,
			    "cannot read %s: Berkeley DB/NDB format, and %s", db->st.path,
			    r == ENOENT ? "rpm is not installed to read it"
					: "rpm -qa --dbpath failed on it");
		diag_add_at(d, db->st.path, 0, "%s", db->st.reason);
		return -EIO;
	}
	cursor = out;
	while ((line = next_line(&cursor, &lineno)))
		if (*line && (r = put_name(db, line, file, d)) < 0)
			return r;
	db->st.state = SOURCE_OK;
	return 0;
}

int pkgdb_rpm_read(const char *root, struct pkgdb *db, struct diag_list *d)
{
	for (size_t i = 0; i < ELEMENTSOF(rpm_dirs); i++) {
		char abs[PATH_MAX], dir[PATH_MAX];
		size_t n;

		/* SQLite and rpm take a path: the directory as the root
		 * resolves it, so a link in the tree cannot lead out of it.
		 * root_resolve() does not follow the last component: "/."
		 * makes it the directory itself (/var/lib/rpm is often a
		 * link to /usr/lib/sysimage/rpm). */
		snprintf(abs, sizeof(abs), "%s/.", rpm_dirs[i]);
		if (root_resolve(root, abs, dir, sizeof(dir)) < 0)
			continue;
		n = strlen(dir);
		if (n >= 2 && !strcmp(dir + n - 2, "/."))
			dir[n - 2] = '\0';  /* the live system's path, as given */
		if (file_exists(dir, "rpmdb.sqlite", NULL)) {
			db->present = true;
			return read_sqlite(db, dir, d);
		}
		if (file_exists(dir, "Packages.db", NULL)) {
			db->present = true;
			return read_with_rpm(db, dir, "Packages.db", d);
		}
		if (file_exists(dir, "Packages", NULL)) {
			db->present = true;
			return read_with_rpm(db, dir, "Packages", d);
		}
	}
	return 0;
}
