/* SPDX-License-Identifier: MIT */
#include "shared/json_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *json_string_lossy(const char *s)
{
	json_t *j;
	char *copy;

	if (!s || !*s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c > 0x7e)
			*c = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

int json_print(const json_t *doc)
{
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0 || fputc('\n', stdout) == EOF)
		return -EIO;
	return fflush(stdout) == EOF ? -EIO : 0;
}
