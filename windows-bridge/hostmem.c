/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostmem.h"

/* "Name:   1234 kB" -> bytes.  Lines not of that shape are skipped: the
 * file grows fields with every kernel. */
static bool meminfo_field(const char *text, const char *name, uint64_t *ret)
{
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;
		unsigned long long v;

		if (strncmp(p, name, n) || p[n] != ':')
			continue;
		p += n + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || v > UINT64_MAX / 1024)
			return false;
		while (*end == ' ' || *end == '\t')
			end++;
		*ret = strncmp(end, "kB", 2) ? v : v * 1024;
		return true;
	}
	return false;
}

int hostmem_parse_meminfo(const char *text, struct plat_host_memory *m)
{
	memset(m, 0, sizeof(*m));
	if (!meminfo_field(text, "MemTotal", &m->total_bytes) ||
	    !meminfo_field(text, "MemAvailable", &m->available_bytes))
		return -EINVAL;
	if (!meminfo_field(text, "Committed_AS", &m->commit_bytes) ||
	    !meminfo_field(text, "CommitLimit", &m->commit_limit_bytes))
		m->commit_bytes = m->commit_limit_bytes = 0;
	/* Linux itself has no "low memory" signal to pass on. */
	m->low_known = false;
	return 0;
}

int hostmem_threshold_parse(const char *s, struct hostmem_threshold *t)
{
	char *end;
	unsigned long long v;

	memset(t, 0, sizeof(*t));
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (!strcmp(end, "%")) {
		if (v < 1 || v > 99)
			return -ERANGE;
		t->percent = (unsigned)v;
		return 0;
	}
	static const char units[] = "KMGT";
	const char *u = *end ? strchr(units, *end) : NULL;

	if (*end && (!u || end[1]))
		return -EINVAL;
	for (int i = u ? (int)(u - units) + 1 : 0; i > 0; i--) {
		if (v > UINT64_MAX / 1024)
			return -ERANGE;
		v *= 1024;
	}
	if (v == 0)
		return -ERANGE;
	t->bytes = v;
	return 0;
}

void hostmem_judge(const struct plat_host_memory *m, const struct hostmem_threshold *t,
		   struct proto_host_memory *out)
{
	uint64_t below = t->bytes ? t->bytes : m->total_bytes / 100 * t->percent;

	out->total_bytes = m->total_bytes;
	out->available_bytes = m->available_bytes;
	out->commit_bytes = m->commit_bytes;
	out->commit_limit_bytes = m->commit_limit_bytes;
	out->low = m->low_known ? m->low : m->available_bytes < below;
}

bool hostmem_changed(const struct proto_host_memory *last, const struct proto_host_memory *next)
{
	uint64_t d = last->available_bytes > next->available_bytes
		? last->available_bytes - next->available_bytes
		: next->available_bytes - last->available_bytes;

	return last->low != next->low || last->total_bytes != next->total_bytes ||
	       d >= next->total_bytes / 32;
}
