/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/diag.h"
#include "sources/source.h"

/* Package databases read directly from the files the package managers
 * keep, under a root prefix.  Every reader fills the same record type so
 * the decision (rules.c, findings.c) never cares about the format. */

enum pkgdb_kind {
	PKGDB_DPKG,
	PKGDB_RPM,
	PKGDB_APK,
	PKGDB_PACMAN,
	PKGDB_SNAP,
	_PKGDB_MAX,
};

enum pkg_state {
	PKG_NOT_INSTALLED,
	PKG_INSTALLED,
	PKG_PARTIAL,       /* dpkg: unpacked, half-configured, half-installed, triggers-* */
	PKG_CONFIG_FILES,  /* dpkg: removed, configuration files left */
};

#define PKG_NAME_MAX 128
#define PKG_VERSION_MAX 96
#define PKG_STATE_WORD_MAX 24

struct pkg {
	char name[PKG_NAME_MAX];
	char version[PKG_VERSION_MAX];
	char state_word[PKG_STATE_WORD_MAX];  /* as the database spells it */
	enum pkg_state state;
	size_t file;                          /* index into pkgdb.files */
	unsigned line;                        /* where its record starts; 0 = n/a */
};

struct pkgdb {
	enum pkgdb_kind kind;
	bool present;             /* the database exists under the root */
	struct source_status st;  /* main file or directory, and why it failed */
	struct pkg *pkgs;
	size_t n, cap;
	char **files;             /* files records came from */
	size_t nfiles;
	size_t dropped;           /* malformed records skipped (see diagnostics) */
};

const char *pkgdb_kind_name(enum pkgdb_kind k);
const char *pkg_state_name(enum pkg_state s);

void pkgdb_init(struct pkgdb *db, enum pkgdb_kind kind);
void pkgdb_free(struct pkgdb *db);
/* Remembers a file name records refer to; returns its index or -ENOMEM. */
int pkgdb_add_file(struct pkgdb *db, const char *path, size_t *ret);
/* Appends p, or replaces the record of the same name when replace is set
 * (dpkg's pending updates override the status file). */
int pkgdb_put(struct pkgdb *db, const struct pkg *p, bool replace);
const struct pkg *pkgdb_find(const struct pkgdb *db, const char *name);
/* Copies a field value into dst; false (and nothing copied) when too long. */
bool pkg_copy_field(char *dst, size_t size, const char *value);

/* Pure parsers: text is split in place; path only names the file in
 * diagnostics.  They return 0 or -ENOMEM; malformed records are counted in
 * db->dropped with a "path:line: why" diagnostic. */
int pkgdb_dpkg_parse(struct pkgdb *db, const char *path, char *text, bool replace,
		     struct diag_list *d);
int pkgdb_apk_parse(struct pkgdb *db, const char *path, char *text, struct diag_list *d);
int pkgdb_pacman_parse_desc(struct pkgdb *db, const char *path, char *text, struct diag_list *d);

/* Readers under a root prefix.  An absent database leaves db->present
 * false and returns 0; a database that exists but cannot be read records
 * why in db->st and returns negative errno. */
int pkgdb_dpkg_read(const char *root, struct pkgdb *db, struct diag_list *d);
int pkgdb_rpm_read(const char *root, struct pkgdb *db, struct diag_list *d);
int pkgdb_apk_read(const char *root, struct pkgdb *db, struct diag_list *d);
int pkgdb_pacman_read(const char *root, struct pkgdb *db, struct diag_list *d);
int pkgdb_snap_read(const char *root, struct pkgdb *db, struct diag_list *d);

/* Largest package database file read (dpkg status of big systems is a few
 * MiB); larger is refused as not a database. */
#define PKGDB_FILE_MAX (64u << 20)

/* Loads the database file ABS under ROOT: source_load_max with
 * PKGDB_FILE_MAX (its path for messages in st->path).  Absent: -ENOENT, no
 * diagnostic. */
int pkgdb_load(const char *root, const char *abs, struct source_status *st, char **text,
	       struct diag_list *d);
/* Loads db's main file ROOT/ABS (path kept in db->st.path): 1 when loaded,
 * 0 when the database does not exist, negative errno when it exists but
 * cannot be read (db->present is then set, the reason in db->st). */
int pkgdb_open_text(const char *root, const char *abs, struct pkgdb *db, char **text,
		    struct diag_list *d);
