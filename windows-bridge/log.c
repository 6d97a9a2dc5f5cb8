/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

/* Everything after the prefix comes from printf with values agents sent
 * (versions, messages, distro names): control characters (a newline that
 * would start a forged line, escape sequences for a terminal) are written
 * as \xNN.  Backslashes stay (Windows paths); a literal "\x0a" an agent
 * sends stays on its line, which is all that matters. */
void bridge_log(const char *fmt, ...)
{
	char line[4096], out[sizeof(line) * 4 + 1];
	size_t o = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	fprintf(stderr, "wsldock-bridge: %s\n", out);
	fflush(stderr);
}

/* Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm). */
static void civil_from_days(long long z, int *y, unsigned *m, unsigned *d)
{
	long long era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void format_utc(unsigned long long wall_ns, bool iso, char *buf, size_t size)
{
	long long s = (long long)(wall_ns / 1000000000ull), days = s / 86400, rem = s % 86400;
	unsigned m, d;
	int y;

	civil_from_days(days, &y, &m, &d);
	snprintf(buf, size, iso ? "%04d-%02u-%02uT%02lld:%02lld:%02lldZ" : "%04d%02u%02uT%02lld%02lld%02lldZ",
		 y, m, d, rem / 3600, rem / 60 % 60, rem % 60);
}
