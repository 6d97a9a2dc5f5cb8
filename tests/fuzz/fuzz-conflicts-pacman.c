/* SPDX-License-Identifier: MIT */
/* libFuzzer: a pacman local/NAME-VERSION/desc file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conflicts/pkgdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d = { 0 };
	struct pkgdb db;
	char *a = malloc(size + 1);

	if (!a || memchr(data, '\0', size))
		goto out;  /* the reader refuses NUL bytes before parsing */
	memcpy(a, data, size);
	a[size] = '\0';
	pkgdb_init(&db, PKGDB_PACMAN);
	pkgdb_pacman_parse_desc(&db, "desc", a, &d);
	for (size_t i = 0; i < db.n; i++)
		if (!db.pkgs[i].name[0] || db.pkgs[i].file >= db.nfiles)
			abort();
	pkgdb_free(&db);
out:
	diag_free(&d);
	free(a);
	return 0;
}
