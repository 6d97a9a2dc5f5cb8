/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include <jansson.h>

/* The JSON readers of `wsldock-bridge status`, pure so the Windows test
 * program checks them. */

/* Whether Docker Desktop's settings (settings-store.json or settings.json,
 * keys matched case-insensitively) integrate distro: listed in
 * IntegratedWslDistros, or the default distro with
 * EnableIntegrationWithDefaultWslDistro.  1 yes, 0 no, -EINVAL no object. */
int status_integration(json_t *settings, const char *distro, bool is_default);
/* Whether the bridge's /api/v1/distros document ({"distros": [{"name",
 * "connection"}]}) lists distro: 1 connected now, 2 listed but
 * disconnected, 0 not listed. */
int status_reports(json_t *api, const char *distro);
