/* SPDX-License-Identifier: MIT */
#include "conflicts/pkgdb.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "shared/util.h"

/* One local/<name>-<version>/desc file: "%SECTION%" lines, each followed by
 * its values, one per line, up to a blank line. */
int pkgdb_pacman_parse_desc(struct pkgdb *db, const char *path, char *text, struct diag_list *d)
{
	struct pkg p = { .state = PKG_INSTALLED, .state_word = "installed" };
	enum { SEC_NONE, SEC_NAME, SEC_VERSION, SEC_OTHER } section = SEC_NONE;
	unsigned lineno = 0, name_line = 0;
	char *cursor = text, *line;
	int r;

	r = pkgdb_add_file(db, path, &p.file);
	if (r < 0)
		return r;
	while ((line = next_line(&cursor, &lineno))) {
		size_t len;

		strip_trailing_space(line);
		len = strlen(line);
		if (!len) {
			section = SEC_NONE;
		} else if (len > 2 && line[0] == '%' && line[len - 1] == '%') {
			section = !strcmp(line, "%NAME%") ? SEC_NAME : !strcmp(line, "%VERSION%") ? SEC_VERSION : SEC_OTHER;
		} else if (section == SEC_NAME && !name_line) {
			name_line = lineno;
			if (!pkg_copy_field(p.name, sizeof(p.name), line)) {
				diag_add_at(d, path, lineno, "package name longer than %d bytes",
					    PKG_NAME_MAX - 1);
				db->dropped++;
				return 0;
			}
		} else if (section == SEC_VERSION && !p.version[0]) {
			if (!pkg_copy_field(p.version, sizeof(p.version), line))
				snprintf(p.version, sizeof(p.version), "(too long)");
		} else if (section == SEC_NONE) {
			diag_add_at(d, path, lineno, "value outside a %%SECTION%%");
			db->dropped++;
			return 0;
		}
	}
	if (!name_line) {
		diag_add_at(d, path, 0, "no %%NAME%% section");
		db->dropped++;
		return 0;
	}
	p.line = name_line;
	return pkgdb_put(db, &p, false);
}

#define PACMAN_LOCAL "/var/lib/pacman/local"

static int read_desc(struct pkgdb *db, const char *root, const char *entry, struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	struct source_status st = { 0 };
	char abs[PATH_MAX];
	int r;

	if (snprintf(abs, sizeof(abs), PACMAN_LOCAL "/%s/desc", entry) >= (int)sizeof(abs)) {
		diag_add_at(d, db->st.path, 0, "entry name too long: skipped");
		db->dropped++;
		return 0;
	}
	r = pkgdb_load(root, abs, &st, &text, d);
	if (r == -ENOENT) {
		diag_add_at(d, st.path, 0, "missing: package entry skipped");
		db->dropped++;
		return 0;
	}
	if (r < 0) {
		db->dropped++;
		return 0;
	}
	return pkgdb_pacman_parse_desc(db, st.path, text, d);
}

int pkgdb_pacman_read(const char *root, struct pkgdb *db, struct diag_list *d)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *dh;
	int r = 0;

	r = root_path(root, PACMAN_LOCAL, dir, sizeof(dir));
	if (r < 0)
		return r;
	snprintf(db->st.path, sizeof(db->st.path), "%s", dir);
	dh = root_opendir(root, PACMAN_LOCAL);
	if (!dh) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		r = -errno;
		db->present = true;
		source_fail(&db->st, SOURCE_UNREADABLE, "cannot read %s: %s", dir, strerror(-r));
		diag_add_at(d, dir, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	db->present = true;
	db->st.state = SOURCE_OK;
	while (r >= 0 && (e = readdir(dh))) {
		/* ALPM_DB_VERSION and dot entries are not packages. */
		if (e->d_name[0] == '.' || e->d_type == DT_REG)
			continue;
		r = read_desc(db, root, e->d_name, d);
	}
	closedir(dh);
	return r;
}
