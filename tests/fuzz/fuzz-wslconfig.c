/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the .wslconfig editor and reader.  The first byte
 * picks the key set; the rest is the file.  A set must be idempotent, and
 * every line of the input must still be in the output (nothing lost); the
 * reader takes any file without a fault. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "../../windows-bridge/wslconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[][3] = {
		{ "experimental", "autoMemoryReclaim", "gradual" },
		{ "wsl2", "memory", "8GB" },
		{ "wsl2", "processors", "4" },
		{ "new", "sparseVhd", "true" },
	};
	struct wslconfig_edit r, again;
	const char *const *k;
	char *text = fuzz_text(data, size);

	if (!text)
		return 0;
	k = keys[data[0] % 4];
	if (wslconfig_set(text, size - 1, k[0], k[1], k[2], &r) == 0 && r.changed) {
		if (wslconfig_set(r.out, r.out_len, k[0], k[1], k[2], &again) != 0 || again.changed)
			abort();
		/* Only the one value changed or one line was added: the output
		 * is never shorter than the input minus the old value. */
		if (r.out_len + r.before_len < size - 1)
			abort();
		wslconfig_edit_free(&again);
	}
	wslconfig_edit_free(&r);
	{
		char any[64];

		(void)wslconfig_get(text, size - 1, k[0], k[1], any, sizeof(any));
	}
	free(text);
	return 0;
}
