/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the text package databases.  The first byte picks
 * the parser (dpkg status then the same text as an updates/ entry, apk
 * installed, pacman desc); the rest is the file's content. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "conflicts/pkgdb.h"

static void parse(uint8_t which, const char *text, struct pkgdb *db, struct diag_list *d)
{
	char *a = strdup(text), *b = strdup(text);

	if (!a || !b)
		goto out;
	switch (which % 3) {
	case 0:
		pkgdb_init(db, PKGDB_DPKG);
		pkgdb_dpkg_parse(db, "status", a, false, d);
		pkgdb_dpkg_parse(db, "updates/0001", b, true, d);
		break;
	case 1:
		pkgdb_init(db, PKGDB_APK);
		pkgdb_apk_parse(db, "installed", a, d);
		break;
	default:
		pkgdb_init(db, PKGDB_PACMAN);
		pkgdb_pacman_parse_desc(db, "desc", a, d);
		break;
	}
out:
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d = { 0 };
	struct pkgdb db;
	char *text;

	text = fuzz_text(data, size);
	if (!text)
		return 0;
	pkgdb_init(&db, PKGDB_DPKG);
	parse(data[0], text, &db, &d);
	for (size_t i = 0; i < db.n; i++)
		if (!db.pkgs[i].name[0] || db.pkgs[i].file >= db.nfiles)
			abort();
	pkgdb_free(&db);
	diag_free(&d);
	free(text);
	return 0;
}
