/* SPDX-License-Identifier: MIT */
#include "sources/psi.h"

#include <errno.h>
#include <string.h>

#include "shared/util.h"

static int psi_parse_line(char *line, struct psi *p, const char **why)
{
	struct psi_line *l;
	char *tok, *save = NULL;
	unsigned seen = 0;

	tok = strtok_r(line, " \t", &save);
	if (!tok) {
		*why = "empty line";
		return -EINVAL;
	}
	if (!strcmp(tok, "some"))
		l = &p->some;
	else if (!strcmp(tok, "full"))
		l = &p->full;
	else {
		*why = "line starts with neither 'some' nor 'full'";
		return -EINVAL;
	}
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');
		int r;

		if (!eq) {
			*why = "field without '='";
			return -EINVAL;
		}
		*eq++ = '\0';
		if (!strcmp(tok, "avg10"))
			r = parse_double(eq, &l->avg10), seen |= 1;
		else if (!strcmp(tok, "avg60"))
			r = parse_double(eq, &l->avg60), seen |= 2;
		else if (!strcmp(tok, "avg300"))
			r = parse_double(eq, &l->avg300), seen |= 4;
		else if (!strcmp(tok, "total"))
			r = parse_u64(eq, &l->total_us), seen |= 8;
		else
			continue;
		if (r < 0) {
			*why = "value is not a number";
			return r;
		}
	}
	if (seen != 15) {
		*why = "missing one of avg10, avg60, avg300, total (truncated line?)";
		return -EINVAL;
	}
	if (l->avg10 > 100 || l->avg60 > 100 || l->avg300 > 100) {
		*why = "average above 100 %";
		return -ERANGE;
	}
	l->present = true;
	return 0;
}

int psi_parse(char *text, const char *path, struct psi *p, struct diag_list *d)
{
	unsigned lineno = 0;
	int bad = 0;
	char *line, *cursor = text;

	memset(p, 0, sizeof(*p));
	while ((line = next_line(&cursor, &lineno))) {
		struct psi tmp = *p;
		const char *why = NULL;

		if (!*skip_space(line))
			continue;
		if (psi_parse_line(line, &tmp, &why) < 0) {
			diag_add_at(d, path, lineno, "%s", why);
			bad++;
			continue;
		}
		*p = tmp;
	}
	return bad;
}

int psi_read(const char *root, struct psi *p, struct source_status *st, struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	int r, bad;

	memset(p, 0, sizeof(*p));
	r = source_load(root, "/proc/pressure/memory", SOURCE_OPTIONAL, st, &text, d);
	if (st->state == SOURCE_ABSENT) {
		source_fail(st, SOURCE_ABSENT,
			    "%s is missing or disabled: the kernel has no PSI or it is off "
			    "(WSL kernels need psi=1 on the kernel command line)", st->path);
		return r;
	}
	if (r < 0)
		return r;
	bad = psi_parse(text, st->path, p, d);
	if (bad > 0)
		source_fail(st, SOURCE_MALFORMED, "%d malformed line%s", bad, bad == 1 ? "" : "s");
	if (!p->some.present) {
		source_fail(st, SOURCE_MALFORMED, "no 'some' line");
		diag_add_at(d, st->path, 0, "no 'some' line");
	}
	return 0;
}
