/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the policy's KEY=VALUE parser (--set, and the
 * configuration file to come): every line of the input is one assignment.
 * A value that parses must format back to a value that parses to the same
 * configuration. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_config c, back;
	char err[256], buf[64], assign[128];
	char *text = fuzz_text(data, size), *line, *save = NULL;

	if (!text)
		return 0;
	policy_config_default(&c);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct policy_config before = c;

		if (policy_config_set(&c, line, err, sizeof(err)) < 0) {
			if (memcmp(&before, &c, sizeof(c)))
				abort();  /* a refused line changed the configuration */
			if (!err[0])
				abort();  /* and said nothing */
		}
	}
	for (size_t i = 0; i < policy_keys_n; i++) {
		policy_config_format(&c, &policy_keys[i], buf, sizeof(buf));
		snprintf(assign, sizeof(assign), "%s=%s", policy_keys[i].name, buf);
		back = c;
		if (policy_config_set(&back, assign, err, sizeof(err)) < 0)
			abort();
	}
	free(text);
	return 0;
}
