/* SPDX-License-Identifier: MIT */
#pragma once

#include <jansson.h>

#include "actions/actions.h"

/* Transitional, for daemon/manual.c only (the engine's runner replaces
 * it; then this header goes): a result as JSON is the action record's,
 * declared and defined in runlog/record.[ch].  Declared here without
 * including runlog/, so actions/ keeps no arrow to it. */
json_t *action_result_json(const struct action_result *r);
