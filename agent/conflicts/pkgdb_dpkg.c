/* SPDX-License-Identifier: MIT */
#include "conflicts/pkgdb.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/util.h"

/* One deb822 stanza being collected. */
struct stanza {
	struct pkg p;
	unsigned start;
	bool any, has_name, has_status, bad;
};

static const struct {
	const char *word;
	enum pkg_state state;
} dpkg_states[] = {
	{ "installed", PKG_INSTALLED },
	{ "unpacked", PKG_PARTIAL },
	{ "half-configured", PKG_PARTIAL },
	{ "half-installed", PKG_PARTIAL },
	{ "triggers-awaited", PKG_PARTIAL },
	{ "triggers-pending", PKG_PARTIAL },
	{ "config-files", PKG_CONFIG_FILES },
	{ "not-installed", PKG_NOT_INSTALLED },
};

/* "Status: <want> <ok|reinstreq> <state>": only the state says what is on
 * disk; want and error flags are checked for shape only. */
static int parse_status(struct pkg *p, const char *value)
{
	char want[32], flag[32], state[32], extra;

	if (sscanf(value, "%31s %31s %31s %c", want, flag, state, &extra) != 3)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(dpkg_states); i++)
		if (!strcmp(state, dpkg_states[i].word)) {
			p->state = dpkg_states[i].state;
			snprintf(p->state_word, sizeof(p->state_word), "%s", state);
			return 0;
		}
	return -EINVAL;
}

static void stanza_field(struct stanza *s, const char *path, unsigned lineno, char *line,
			 struct diag_list *d)
{
	char *colon = strchr(line, ':'), *value;

	if (!colon) {
		diag_add_at(d, path, lineno, "line is not a \"Field: value\" pair");
		s->bad = true;
		return;
	}
	*colon = '\0';
	value = skip_space(colon + 1);
	strip_trailing_space(value);
	if (!strcasecmp(line, "Package")) {
		s->has_name = true;
		if (!*value || !pkg_copy_field(s->p.name, sizeof(s->p.name), value)) {
			diag_add_at(d, path, lineno, "Package name is empty or longer than %d bytes",
				    PKG_NAME_MAX - 1);
			s->bad = true;
		}
	} else if (!strcasecmp(line, "Status")) {
		s->has_status = true;
		if (parse_status(&s->p, value) < 0) {
			diag_add_at(d, path, lineno, "Status is not \"want flag state\"");
			s->bad = true;
		}
	} else if (!strcasecmp(line, "Version")) {
		/* An overlong version is cosmetic: keep the package. */
		if (!pkg_copy_field(s->p.version, sizeof(s->p.version), value))
			snprintf(s->p.version, sizeof(s->p.version), "(too long)");
	}
}

static int stanza_end(struct pkgdb *db, struct stanza *s, const char *path, bool replace,
		      struct diag_list *d)
{
	int r = 0;

	if (!s->any)
		return 0;
	if (!s->bad && !s->has_name) {
		diag_add_at(d, path, s->start, "stanza has no Package field");
		s->bad = true;
	}
	if (!s->bad && !s->has_status) {
		diag_add_at(d, path, s->start, "stanza for %s has no Status field", s->p.name);
		s->bad = true;
	}
	if (s->bad)
		db->dropped++;
	else
		r = pkgdb_put(db, &s->p, replace);
	memset(s, 0, sizeof(*s));
	return r;
}

int pkgdb_dpkg_parse(struct pkgdb *db, const char *path, char *text, bool replace,
		     struct diag_list *d)
{
	struct stanza s = { 0 };
	unsigned lineno = 0;
	size_t file;
	char *cursor = text, *line;
	int r;

	r = pkgdb_add_file(db, path, &file);
	if (r < 0)
		return r;
	while ((line = next_line(&cursor, &lineno))) {
		if (!*skip_space(line)) {
			r = stanza_end(db, &s, path, replace, d);
			if (r < 0)
				return r;
			continue;
		}
		if (!s.any) {
			s.any = true;
			s.start = lineno;
			s.p.file = file;
			s.p.line = lineno;
		}
		if (line[0] == ' ' || line[0] == '\t')
			continue;  /* continuation of a multi-line field */
		stanza_field(&s, path, lineno, line, d);
	}
	return stanza_end(db, &s, path, replace, d);
}

static int digits_only(const struct dirent *e)
{
	const char *c = e->d_name;

	if (!*c)
		return 0;
	for (; *c; c++)
		if (*c < '0' || *c > '9')
			return 0;
	return 1;
}

static int by_number(const struct dirent **a, const struct dirent **b)
{
	unsigned long x = strtoul((*a)->d_name, NULL, 10), y = strtoul((*b)->d_name, NULL, 10);

	return x < y ? -1 : x > y;
}

/* dpkg journals changes it has not folded into status yet as digit-named
 * files in updates/, applied in numeric order on its next run: a package
 * removed a second ago may still be "installed" in status. */
static int read_updates(const char *root, struct pkgdb *db, struct diag_list *d)
{
	char dir[PATH_MAX];
	struct dirent **ents = NULL;
	int n, r = 0;

	/* The journal's names are listed in the directory the root resolves
	 * it to; each entry is then opened through the root again. */
	if (root_resolve(root, "/var/lib/dpkg/updates", dir, sizeof(dir)) < 0)
		return 0;
	n = scandir(dir, &ents, digits_only, by_number);
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *text = NULL;
		struct source_status st = { 0 };
		char abs[PATH_MAX];

		if (r >= 0 && snprintf(abs, sizeof(abs), "/var/lib/dpkg/updates/%s", ents[i]->d_name) <
				      (int)sizeof(abs)) {
			int k = pkgdb_load(root, abs, &st, &text, d);

			if (k == 0)
				r = pkgdb_dpkg_parse(db, st.path, text, true, d);
			else if (k != -ENOENT)
				db->dropped++;  /* unreadable journal entry, diagnosed */
		}
		free(ents[i]);
	}
	free(ents);
	return r;
}

int pkgdb_dpkg_read(const char *root, struct pkgdb *db, struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = pkgdb_open_text(root, "/var/lib/dpkg/status", db, &text, d);
	if (r <= 0)
		return r;
	r = pkgdb_dpkg_parse(db, db->st.path, text, false, d);
	if (r < 0)
		return r;
	return read_updates(root, db, d);
}
