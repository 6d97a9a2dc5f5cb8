/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fuzz input layout shared by the targets: the first byte picks the parser,
 * the rest is a file's text.  Returns that text NUL-terminated (free it), or
 * NULL when the input is empty or holds a NUL byte, which the readers
 * refuse before any parser sees it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || memchr(data + 1, '\0', size - 1))
		return NULL;
	text = malloc(size);
	if (!text)
		return NULL;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	return text;
}
