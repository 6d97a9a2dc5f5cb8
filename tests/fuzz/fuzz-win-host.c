/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the Windows bridge's host readers (pure C, so they
 * are fuzzed here on Linux): wsl.exe output decoding (raw bytes, UTF-16LE or
 * UTF-8) and its `wsl -l -v` table, VM ids in command lines, GUIDs, the
 * .wslconfig memory settings.  The first byte picks the reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "../windows-bridge/win/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_wsl_distro rows[16];
	struct host_wslconfig_memory m;
	struct host_guid g;
	char why[256], *t, *text;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
	case 1:
		/* Bytes as wsl.exe printed them: NULs are part of UTF-16. */
		if (host_wsl_output_decode(data + 1, size - 1, data[0] % 5 == 1, &t) == 0) {
			host_wsl_list_parse(t, rows, 16, why, sizeof(why));
			free(t);
		}
		return 0;
	}
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	switch (data[0] % 5) {
	case 2:
		host_vmid_from_cmdline(text, &g);
		host_guid_find(text, &g);
		break;
	case 3:
		if (host_guid_parse(text, &g) == 0) {
			char s[HOST_GUID_STR];
			host_guid_format(&g, s);
		}
		break;
	case 4:
		host_wslconfig_memory(text, &m);
		break;
	}
	free(text);
	return 0;
}
