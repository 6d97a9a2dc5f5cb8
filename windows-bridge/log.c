/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void bridge_log(const char *fmt, ...)
{
	va_list ap;

	fputs("wsldock-bridge: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
