/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* Names the agent prints to a person (process, cgroup and file names, the
 * distro's name, reasons that quote them) are chosen by whoever made them,
 * any user included: printed raw, an escape sequence in one retitles or
 * clears root's terminal, and a newline forges a line.  text_escape copies
 * s into buf with every C0 and C1 control character, DEL, byte that is not
 * part of valid UTF-8, and backslash written as \n, \t, \\ or \xNN; other
 * UTF-8 passes unchanged.  The copy is cut to fit (never inside an escape
 * or a character); buf must hold at least 1 byte.  Returns buf, "(null)"
 * for a NULL s.  TEXT_ESCAPED_SIZE(n): room for any n-byte string. */
#define TEXT_ESCAPED_SIZE(n) (4 * (n) + 1)

const char *text_escape(const char *s, char *buf, size_t size);
