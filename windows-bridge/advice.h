/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Settings of the host the bridge advises to change, measured beside the
 * agent (docs/benchmarks.md, "WSL's autoMemoryReclaim beside the agent").
 * Advice only: `wsldock-bridge wslconfig set` stays the one way to apply
 * it, and no web page can (the dashboard shows the command). */

#define ADVICE_MAX 1
#define ADVICE_RECLAIM_SECTION "experimental"
#define ADVICE_RECLAIM_KEY "autoMemoryReclaim"
#define ADVICE_RECLAIM_DEFAULT "dropCache"   /* WSL's, when .wslconfig does not set it */
#define ADVICE_RECLAIM_RECOMMENDED "gradual"

struct advice {
	char key[48];          /* SECTION.KEY, as `wslconfig set` takes it */
	char current[64];      /* as the file writes it, or WSL's default */
	bool current_default;  /* the file does not set it (or does not exist) */
	char recommended[32];
	const char *why;       /* one sentence, static */
	char command[1200];    /* the command that applies it */
};

/* What to advise for the .wslconfig text (NULL: there is no such file, so
 * WSL's defaults hold).  wslconfig_arg is the path to name in the command
 * (`--wslconfig PATH`), NULL when `wslconfig set` finds the file by itself
 * (the platform's own path).  Fills at most max entries and returns how
 * many (0: nothing to advise), or -EINVAL when the file cannot be read as
 * WSL would (a NUL byte, a value continued on the next line). */
int advice_wslconfig(const char *text, size_t len, const char *wslconfig_arg, struct advice *out,
		     size_t max);

/* The entries as /api/v1/distros's "advice" array (never NULL but on ENOMEM). */
json_t *advice_json(const struct advice *a, size_t n);
