/* SPDX-License-Identifier: MIT */
/* libFuzzer: the dpkg status parser, as status (append) and as an
 * updates/ entry (replace) on top of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conflicts/pkgdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d = { 0 };
	struct pkgdb db;
	char *a = malloc(size + 1), *b = malloc(size + 1);

	if (!a || !b || memchr(data, '\0', size))
		goto out;  /* the reader refuses NUL bytes before parsing */
	memcpy(a, data, size);
	a[size] = '\0';
	memcpy(b, a, size + 1);
	pkgdb_init(&db, PKGDB_DPKG);
	pkgdb_dpkg_parse(&db, "status", a, false, &d);
	pkgdb_dpkg_parse(&db, "updates/0001", b, true, &d);
	for (size_t i = 0; i < db.n; i++)
		if (!db.pkgs[i].name[0] || db.pkgs[i].file >= db.nfiles)
			abort();
	pkgdb_free(&db);
out:
	diag_free(&d);
	free(a);
	free(b);
	return 0;
}
