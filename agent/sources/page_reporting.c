/* SPDX-License-Identifier: MIT */
#include "sources/page_reporting.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/util.h"

#define PR_DIR "/sys/module/page_reporting/parameters"
/* The buddy allocator has never had more than 2^15-page blocks. */
#define PR_ORDER_MAX 15

static int pr_read_value(const char *root, const char *name, uint64_t *v, bool *numeric,
			 char *path, size_t pathsz)
{
	_cleanup_free_ char *text = NULL;
	char abs[PATH_MAX];
	int r;

	if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", PR_DIR, name) >= sizeof(abs) ||
	    root_path(root, abs, path, pathsz) < 0)
		return -ENAMETOOLONG;
	r = read_text_at(root, abs, 4096, &text, NULL);
	if (r < 0)
		return r;
	strip_trailing_space(text);
	*numeric = parse_u64(text, v) == 0;
	return 0;
}

static void pr_keep_counter(struct page_reporting *pr, const char *name, uint64_t v)
{
	if (pr->ncounters >= PR_MAX_COUNTERS) {
		pr->dropped_counters++;
		return;
	}
	snprintf(pr->counters[pr->ncounters].name, sizeof(pr->counters[0].name), "%s", name);
	pr->counters[pr->ncounters++].value = v;
}

static int pr_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pr_counter *)a)->name, ((const struct pr_counter *)b)->name);
}

int page_reporting_read(const char *root, struct page_reporting *pr, struct source_status *st,
			struct diag_list *d)
{
	char path[PATH_MAX + 256];
	struct dirent *de;
	DIR *dir;
	int r;

	memset(pr, 0, sizeof(*pr));
	r = root_path(root, PR_DIR, st->path, sizeof(st->path));
	if (r < 0)
		return r;
	dir = root_opendir(root, PR_DIR);
	if (!dir) {
		r = -errno;
		source_fail(st, r == -ENOENT ? SOURCE_ABSENT : SOURCE_UNREADABLE,
			    r == -ENOENT ? "no %s: this kernel has no free page reporting"
					 : "cannot open %s", st->path);
		if (r != -ENOENT)
			diag_add_at(d, st->path, 0, "%s", strerror(-r));
		return r;
	}
	pr->present = true;
	st->state = SOURCE_OK;
	while ((de = readdir(dir))) {
		uint64_t v;
		bool numeric;

		if (de->d_name[0] == '.')
			continue;
		r = pr_read_value(root, de->d_name, &v, &numeric, path, sizeof(path));
		if (r < 0) {
			diag_add_at(d, path, 0, "cannot read: %s", root_strerror(-r));
			source_fail(st, SOURCE_UNREADABLE, "cannot read %s: %s", path,
				    root_strerror(-r));
			continue;
		}
		if (!strcmp(de->d_name, "page_reporting_order")) {
			if (!numeric || v > PR_ORDER_MAX) {
				diag_add_at(d, path, 1, "not an order between 0 and %d", PR_ORDER_MAX);
				source_fail(st, SOURCE_MALFORMED, "page_reporting_order is not a valid order");
				continue;
			}
			pr->order = (unsigned)v;
			pr->order_known = true;
			continue;
		}
		if (!numeric)
			continue;  /* booleans such as free_bitmap_enable */
		if (!strcmp(de->d_name, "reported_kib")) {
			pr->reported_kib = v;
			pr->reported_kib_known = true;
		}
		pr_keep_counter(pr, de->d_name, v);
	}
	closedir(dir);
	qsort(pr->counters, pr->ncounters, sizeof(pr->counters[0]), pr_name_cmp);
	if (pr->dropped_counters)
		diag_add_at(d, st->path, 0, "%u parameters beyond the first %d were not kept",
			    pr->dropped_counters, PR_MAX_COUNTERS);
	if (!pr->order_known && st->state == SOURCE_OK) {
		source_fail(st, SOURCE_MALFORMED, "page_reporting_order is missing");
		diag_add_at(d, st->path, 0, "page_reporting_order is missing");
	}
	return 0;
}
