/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* One line on standard error, "wsldock-bridge: ..." (the Windows layer
 * sends standard error to its log file). */
__attribute__((format(printf, 1, 2)))
void bridge_log(const char *fmt, ...);

/* "2026-12-02T00:03:09Z" (iso true) or "20261202T000309Z" from unix ns:
 * portable, no gmtime_r. */
void format_utc(unsigned long long wall_ns, bool iso, char *buf, size_t size);
