/* SPDX-License-Identifier: MIT */
#include "sources/buddyinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shared/util.h"

static int buddy_parse_line(char *line, struct buddy_zone *z, const char **why)
{
	char *p, *tok, *save = NULL;
	uint64_t node;

	/* "Node 0, zone   Normal      3      3 ..." */
	if (!string_has_prefix(line, "Node ")) {
		*why = "line does not start with 'Node '";
		return -EINVAL;
	}
	p = line + 5;
	tok = strchr(p, ',');
	if (!tok) {
		*why = "no ',' after the node number (truncated line?)";
		return -EINVAL;
	}
	*tok = '\0';
	if (parse_u64(p, &node) < 0 || node > UINT32_MAX) {
		*why = "node is not a number";
		return -EINVAL;
	}
	z->node = (unsigned)node;
	p = skip_space(tok + 1);
	if (!string_has_prefix(p, "zone")) {
		*why = "no 'zone' after the node";
		return -EINVAL;
	}
	tok = strtok_r(p + 4, " \t", &save);
	if (!tok) {
		*why = "no zone name (truncated line?)";
		return -EINVAL;
	}
	snprintf(z->name, sizeof(z->name), "%s", tok);
	z->norders = 0;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (z->norders >= BUDDY_MAX_ORDERS) {
			*why = "more orders than any kernel has";
			return -EINVAL;
		}
		if (parse_u64(tok, &z->free_blocks[z->norders]) < 0) {
			*why = "free block count is not an unsigned 64-bit number";
			return -EINVAL;
		}
		z->norders++;
	}
	if (z->norders == 0) {
		*why = "no free block counts (truncated line?)";
		return -EINVAL;
	}
	return 0;
}

int buddyinfo_parse(char *text, const char *path, struct buddyinfo *b, struct diag_list *d)
{
	unsigned lineno = 0;
	int bad = 0;
	char *line, *cursor = text;

	memset(b, 0, sizeof(*b));
	while ((line = next_line(&cursor, &lineno))) {
		struct buddy_zone z = { 0 };
		const char *why = NULL;

		if (!*skip_space(line))
			continue;
		if (buddy_parse_line(line, &z, &why) < 0) {
			diag_add_at(d, path, lineno, "%s", why);
			bad++;
			continue;
		}
		if (b->nzones >= BUDDY_MAX_ZONES) {
			b->dropped_zones++;
			continue;
		}
		b->zones[b->nzones++] = z;
	}
	if (b->dropped_zones)
		diag_add_at(d, path, 0, "%u zones beyond the first %d were not counted",
			    b->dropped_zones, BUDDY_MAX_ZONES);
	return bad;
}

int buddyinfo_read(const char *root, enum source_need need, struct buddyinfo *b,
		   struct source_status *st, struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	int r, bad;

	memset(b, 0, sizeof(*b));
	r = source_load(root, "/proc/buddyinfo", need, st, &text, d);
	if (r < 0)
		return r;
	bad = buddyinfo_parse(text, st->path, b, d);
	if (bad > 0 || b->dropped_zones)
		source_fail(st, SOURCE_MALFORMED, "%d malformed line%s", bad, bad == 1 ? "" : "s");
	if (b->nzones == 0) {
		source_fail(st, SOURCE_MALFORMED, "no zones listed");
		diag_add_at(d, st->path, 0, "no zones listed");
	}
	return 0;
}

static uint64_t sat_shift(uint64_t v, unsigned order)
{
	return v > (UINT64_MAX >> order) ? UINT64_MAX : v << order;
}

uint64_t buddyinfo_free_pages(const struct buddyinfo *b, unsigned min_order, unsigned max_order)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < b->nzones; i++) {
		const struct buddy_zone *z = &b->zones[i];

		for (unsigned o = min_order; o < z->norders && o <= max_order; o++)
			total = sat_add(total, sat_shift(z->free_blocks[o], o));
	}
	return total;
}
