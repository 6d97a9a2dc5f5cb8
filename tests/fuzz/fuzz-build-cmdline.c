/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the /proc/PID/cmdline parser of the build-running
 * signal (sources/build_signal.c): any bytes, as any user's process may
 * hold.  The input is copied to a buffer of exactly its size, so that a
 * read past len is an ASan report; the verdict must not depend on the
 * bytes after len, nor change when the same bytes are parsed twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/build_signal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *exact, *padded;
	bool a, b;

	if (size > BUILD_CMDLINE_MAX)
		size = BUILD_CMDLINE_MAX;
	exact = malloc(size ? size : 1);
	padded = malloc(size + 16);
	if (!exact || !padded)
		abort();
	memcpy(exact, data, size);
	memcpy(padded, data, size);
	memset(padded + size, 'd', 16);
	a = build_cmdline_is_build(exact, size);
	b = build_cmdline_is_build(padded, size);
	if (a != b || a != build_cmdline_is_build(exact, size))
		abort();
	free(exact);
	free(padded);
	return 0;
}
