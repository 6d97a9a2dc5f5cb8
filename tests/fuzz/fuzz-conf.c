/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the configuration file parser (inih plus our line
 * reader and the policy's value parsers).  The first byte is unused. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"

#include "config/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d = { 0 };
	struct agent_conf c;
	char *text;

	text = fuzz_text(data, size);
	if (!text)
		return 0;
	conf_default(&c);
	/* Every problem must be said: a failed parse with no diagnostic, or a
	 * diagnostic on a successful one, is a bug. */
	if ((conf_parse_text(text, "fuzz.conf", &c, &d) < 0) != (d.n + d.dropped > 0))
		abort();
	diag_free(&d);
	free(text);
	return 0;
}
