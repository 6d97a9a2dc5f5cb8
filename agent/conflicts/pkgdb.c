/* SPDX-License-Identifier: MIT */
#include "conflicts/pkgdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/util.h"

const char *pkgdb_kind_name(enum pkgdb_kind k)
{
	static const char *const names[] = {
		[PKGDB_DPKG] = "dpkg", [PKGDB_RPM] = "rpm", [PKGDB_APK] = "apk",
		[PKGDB_PACMAN] = "pacman", [PKGDB_SNAP] = "snap",
	};

	return k < _PKGDB_MAX ? names[k] : "unknown";
}

const char *pkg_state_name(enum pkg_state s)
{
	switch (s) {
	case PKG_INSTALLED:
		return "installed";
	case PKG_PARTIAL:
		return "partly installed";
	case PKG_CONFIG_FILES:
		return "removed, configuration left";
	default:
		return "not installed";
	}
}

void pkgdb_init(struct pkgdb *db, enum pkgdb_kind kind)
{
	memset(db, 0, sizeof(*db));
	db->kind = kind;
}

void pkgdb_free(struct pkgdb *db)
{
	for (size_t i = 0; i < db->nfiles; i++)
		free(db->files[i]);
	free(db->files);
	free(db->pkgs);
	pkgdb_init(db, db->kind);
}

int pkgdb_add_file(struct pkgdb *db, const char *path, size_t *ret)
{
	char **nf = realloc(db->files, (db->nfiles + 1) * sizeof(*nf));

	if (!nf)
		return -ENOMEM;
	db->files = nf;
	nf[db->nfiles] = strdup(path);
	if (!nf[db->nfiles])
		return -ENOMEM;
	*ret = db->nfiles++;
	return 0;
}

const struct pkg *pkgdb_find(const struct pkgdb *db, const char *name)
{
	/* Last match wins, as records appended later override earlier ones. */
	for (size_t i = db->n; i-- > 0;)
		if (!strcmp(db->pkgs[i].name, name))
			return &db->pkgs[i];
	return NULL;
}

int pkgdb_put(struct pkgdb *db, const struct pkg *p, bool replace)
{
	if (replace) {
		struct pkg *old = (struct pkg *)pkgdb_find(db, p->name);

		if (old) {
			*old = *p;
			return 0;
		}
	}
	if (db->n == db->cap) {
		size_t ncap = db->cap ? db->cap * 2 : 256;
		struct pkg *np = realloc(db->pkgs, ncap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		db->pkgs = np;
		db->cap = ncap;
	}
	db->pkgs[db->n++] = *p;
	return 0;
}

bool pkg_copy_field(char *dst, size_t size, const char *value)
{
	size_t len = strlen(value);

	if (len >= size)
		return false;
	memcpy(dst, value, len + 1);
	return true;
}

int pkgdb_load(const char *root, const char *abs, struct source_status *st, char **text,
	       struct diag_list *d)
{
	return source_load_max(root, abs, SOURCE_OPTIONAL, PKGDB_FILE_MAX, st, text, d);
}

int pkgdb_open_text(const char *root, const char *abs, struct pkgdb *db, char **text,
		    struct diag_list *d)
{
	int r;

	r = pkgdb_load(root, abs, &db->st, text, d);
	if (r == -ENOENT)
		return 0;
	db->present = true;
	return r < 0 ? r : 1;
}
