/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the Docker Desktop settings editor.  The first byte
 * picks enable/disable and the file name hint; the rest is the file.  An
 * accepted edit must parse again, and applying it twice changes nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "../../windows-bridge/docker_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_edit r, again;
	bool enable;
	const char *hint;
	char *text = fuzz_text(data, size);

	if (!text)
		return 0;
	enable = data[0] & 1;
	hint = data[0] & 2 ? "settings-store.json" : "settings.json";
	if (ds_edit_integration(text, size - 1, hint, "Ubuntu", enable, &r) == 0 && r.changed) {
		if (ds_edit_integration(r.out, r.out_len, hint, "Ubuntu", enable, &again) != 0 || again.changed)
			abort();
		ds_edit_free(&again);
	}
	ds_edit_free(&r);
	free(text);
	return 0;
}
