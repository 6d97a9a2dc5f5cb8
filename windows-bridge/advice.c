/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "advice.h"
#include "proto.h"
#include "wslconfig.h"

/* Why, from the measurements in docs/benchmarks.md (bench/wsl-autoreclaim). */
static const char reclaim_why[] =
	"wsldock-agent already returns each build's page cache; dropCache then empties the whole page "
	"cache whenever the VM goes idle, the hot files included (measured: all of them read back from "
	"disk), while gradual reclaims in steps, inactive pages first, and kept the hot files whole "
	"(released WSL) or in part (its reworked loop)";

/* A path a shell, cmd.exe and PowerShell all take as one word as is. */
static bool plain_path(const char *p)
{
	for (; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.,/:\\+@=", *p))
			return false;
	return true;
}

static void command(char *buf, size_t size, const char *key, const char *value, const char *wslconfig_arg)
{
	int n = snprintf(buf, size, "wsldock-bridge wslconfig set %s=%s", key, value);

	if (n < 0 || (size_t)n >= size || !wslconfig_arg)
		return;
	if (plain_path(wslconfig_arg))
		snprintf(buf + n, size - (size_t)n, " --wslconfig %s", wslconfig_arg);
	else if (!strpbrk(wslconfig_arg, "\"$`!%"))
		snprintf(buf + n, size - (size_t)n, " --wslconfig \"%s\"", wslconfig_arg);
	else
		snprintf(buf + n, size - (size_t)n, " --wslconfig FILE");
}

int advice_wslconfig(const char *text, size_t len, const char *wslconfig_arg, struct advice *out,
		     size_t max)
{
	char cur[64] = ADVICE_RECLAIM_DEFAULT;
	int r = 0;

	if (text) {
		r = wslconfig_get(text, len, ADVICE_RECLAIM_SECTION, ADVICE_RECLAIM_KEY, cur, sizeof(cur));
		if (r < 0)
			return r;
		if (r == 0)
			snprintf(cur, sizeof(cur), "%s", ADVICE_RECLAIM_DEFAULT);
	}
	/* WSL compares the value without regard to case. */
	if (!proto_ascii_casecmp(cur, ADVICE_RECLAIM_RECOMMENDED) || max == 0)
		return 0;
	/* The value goes into JSON and a terminal: printable ASCII only. */
	for (char *c = cur; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	memset(out, 0, sizeof(*out));
	snprintf(out->key, sizeof(out->key), "%s.%s", ADVICE_RECLAIM_SECTION, ADVICE_RECLAIM_KEY);
	snprintf(out->current, sizeof(out->current), "%s", cur);
	out->current_default = r == 0;
	snprintf(out->recommended, sizeof(out->recommended), "%s", ADVICE_RECLAIM_RECOMMENDED);
	out->why = reclaim_why;
	command(out->command, sizeof(out->command), out->key, out->recommended, wslconfig_arg);
	return 1;
}

json_t *advice_json(const struct advice *a, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:s, s:s, s:s}", "key", a[i].key,
						     "current", a[i].current, "default", a[i].current_default,
						     "recommended", a[i].recommended, "why", a[i].why,
						     "command", a[i].command));
	return arr;
}
