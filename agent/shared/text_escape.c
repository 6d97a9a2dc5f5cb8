/* SPDX-License-Identifier: MIT */
#include "shared/text_escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 character at s (1-4), or 0 when s does not
 * start one (a stray continuation byte, an overlong form, a surrogate,
 * past U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F): CSI is U+009B. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return n;
}

const char *text_escape(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;

	if (!s)
		s = "(null)", p = (const unsigned char *)s;
	while (*p) {
		char esc[5];
		const char *out = esc;
		size_t n = utf8_len(p), len;

		if (*p == '\\')
			out = "\\\\", n = 1;
		else if (*p == '\n')
			out = "\\n", n = 1;
		else if (*p == '\t')
			out = "\\t", n = 1;
		else if (n == 1 && (*p < 0x20 || *p == 0x7f))
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else if (n == 0)
			snprintf(esc, sizeof(esc), "\\x%02x", *p), n = 1;
		else
			out = NULL;
		len = out ? strlen(out) : n;
		if (used + len >= size)
			break;
		memcpy(buf + used, out ? out : (const char *)p, len);
		used += len;
		p += n;
	}
	buf[used] = '\0';
	return buf;
}
