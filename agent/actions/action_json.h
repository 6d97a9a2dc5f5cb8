/* SPDX-License-Identifier: MIT */
#pragma once

#include <jansson.h>

#include "actions/actions.h"

/* The result as JSON, with the names used everywhere else (lever, journal
 * fields in lower case): {"lever":..., "dry_run":..., "error":..., ...}.
 * NULL on allocation failure. */
json_t *action_result_json(const struct action_result *r);
