/* SPDX-License-Identifier: MIT */
#include "conflicts/pkgdb.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "shared/util.h"

/* /lib/apk/db/installed: blank-line separated stanzas of "X:value" lines;
 * P is the package name, V its version, the rest (files, checksums) is
 * irrelevant here. */
struct apk_stanza {
	struct pkg p;
	bool any, has_name, bad;
};

static int apk_end(struct pkgdb *db, struct apk_stanza *s, const char *path,
		   struct diag_list *d)
{
	int r = 0;

	if (!s->any)
		return 0;
	if (!s->bad && !s->has_name) {
		diag_add_at(d, path, s->p.line, "stanza has no P: (package name) line");
		s->bad = true;
	}
	if (s->bad)
		db->dropped++;
	else
		r = pkgdb_put(db, &s->p, false);
	memset(s, 0, sizeof(*s));
	return r;
}

static void apk_line(struct apk_stanza *s, const char *path, unsigned lineno, const char *line,
		     struct diag_list *d)
{
	if (line[0] == '\0' || line[1] != ':') {
		diag_add_at(d, path, lineno, "line is not \"X:value\"");
		s->bad = true;
		return;
	}
	if (line[0] == 'P') {
		s->has_name = true;
		if (!line[2] || !pkg_copy_field(s->p.name, sizeof(s->p.name), line + 2)) {
			diag_add_at(d, path, lineno, "package name is empty or longer than %d bytes",
				    PKG_NAME_MAX - 1);
			s->bad = true;
		}
	} else if (line[0] == 'V') {
		if (!pkg_copy_field(s->p.version, sizeof(s->p.version), line + 2))
			snprintf(s->p.version, sizeof(s->p.version), "(too long)");
	}
}

int pkgdb_apk_parse(struct pkgdb *db, const char *path, char *text, struct diag_list *d)
{
	struct apk_stanza s = { 0 };
	unsigned lineno = 0;
	size_t file;
	char *cursor = text, *line;
	int r;

	r = pkgdb_add_file(db, path, &file);
	if (r < 0)
		return r;
	while ((line = next_line(&cursor, &lineno))) {
		strip_trailing_space(line);
		if (!*line) {
			r = apk_end(db, &s, path, d);
			if (r < 0)
				return r;
			continue;
		}
		if (!s.any) {
			s.any = true;
			s.p.file = file;
			s.p.line = lineno;
			s.p.state = PKG_INSTALLED;
			snprintf(s.p.state_word, sizeof(s.p.state_word), "installed");
		}
		apk_line(&s, path, lineno, line, d);
	}
	return apk_end(db, &s, path, d);
}

int pkgdb_apk_read(const char *root, struct pkgdb *db, struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = pkgdb_open_text(root, "/lib/apk/db/installed", db, &text, d);
	if (r <= 0)
		return r;
	return pkgdb_apk_parse(db, db->st.path, text, d);
}
