/* SPDX-License-Identifier: MIT */
#include "sources/source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shared/util.h"

const char *source_state_name(enum source_state s)
{
	switch (s) {
	case SOURCE_OK:
		return "ok";
	case SOURCE_ABSENT:
		return "absent";
	case SOURCE_UNREADABLE:
		return "unreadable";
	case SOURCE_MALFORMED:
		return "malformed";
	default:
		return "unread";
	}
}

void source_fail(struct source_status *st, enum source_state state, const char *fmt, ...)
{
	va_list ap;

	st->state = state;
	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	va_end(ap);
}

int source_load_max(const char *root, const char *abs, enum source_need need, size_t max,
		    struct source_status *st, char **text, struct diag_list *d)
{
	const char *path = st->path;
	int r;

	r = root_path(root, abs, st->path, sizeof(st->path));
	if (r < 0) {
		source_fail(st, SOURCE_UNREADABLE, "path too long under root prefix");
		diag_add_at(d, abs, 0, "path too long under the root prefix");
		return r;
	}
	r = read_text_at(root, abs, max, text, NULL);
	if (r == -ENOENT || r == -ENOTDIR || r == -EOPNOTSUPP) {
		/* EOPNOTSUPP: the file exists but the feature is off (PSI
		 * built in but disabled at boot). */
		source_fail(st, SOURCE_ABSENT, "%s %s", path,
			    r == -EOPNOTSUPP ? "is present but the feature is disabled" : "does not exist");
		if (need == SOURCE_REQUIRED)
			diag_add_at(d, path, 0, "missing");
		return r == -EOPNOTSUPP ? r : -ENOENT;
	}
	if (r == -EILSEQ)
		source_fail(st, SOURCE_MALFORMED, "contains binary data (NUL bytes)");
	else if (r == -EFBIG)
		source_fail(st, SOURCE_MALFORMED, "larger than %zu MiB: not the file expected here",
			    max >> 20);
	else if (r == -ENOTREG)
		source_fail(st, SOURCE_MALFORMED, "not a regular file (a FIFO, device or socket): "
			    "not read");
	else if (r < 0)
		source_fail(st, SOURCE_UNREADABLE, "cannot read: %s", strerror(-r));
	if (r < 0) {
		diag_add_at(d, path, 0, "%s", st->reason);
		return r;
	}
	st->state = SOURCE_OK;
	st->reason[0] = '\0';
	return 0;
}

int source_load(const char *root, const char *abs, enum source_need need,
		struct source_status *st, char **text, struct diag_list *d)
{
	return source_load_max(root, abs, need, READ_FILE_MAX_DEFAULT, st, text, d);
}
