/* SPDX-License-Identifier: MIT */
#include "shared/diag.h"

#include <stdlib.h>
#include <string.h>

static void diag_addv(struct diag_list *d, const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t plen = strlen(prefix);

	if (d->n >= DIAG_MAX) {
		d->dropped++;
		return;
	}
	snprintf(msg, sizeof(msg), "%s", prefix);
	if (plen < sizeof(msg))
		vsnprintf(msg + plen, sizeof(msg) - plen, fmt, ap);
	/* Messages quote file contents; keep them printable ASCII so the
	 * terminal and JSON encoders get exactly what we meant to say. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	d->items[d->n] = strdup(msg);
	if (!d->items[d->n]) {
		d->dropped++;
		return;
	}
	d->n++;
}

void diag_add(struct diag_list *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_addv(d, "", fmt, ap);
	va_end(ap);
}

void diag_add_at(struct diag_list *d, const char *path, unsigned line, const char *fmt, ...)
{
	char prefix[4200];
	va_list ap;

	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	va_start(ap, fmt);
	diag_addv(d, prefix, fmt, ap);
	va_end(ap);
}

void diag_print(const struct diag_list *d, FILE *f, const char *prog)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s: %s\n", prog, d->items[i]);
	if (d->dropped)
		fprintf(f, "%s: %zu more diagnostics were dropped\n", prog, d->dropped);
}

json_t *diag_to_json(const struct diag_list *d)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		json_array_append_new(a, json_string(d->items[i]));
	if (d->dropped) {
		char buf[96];

		snprintf(buf, sizeof(buf), "%zu more diagnostics were dropped", d->dropped);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

void diag_free(struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->items[i]);
	d->n = 0;
	d->dropped = 0;
}
