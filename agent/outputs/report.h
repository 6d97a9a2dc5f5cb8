/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>

#include <jansson.h>

#include "model/mem_state.h"
#include "shared/diag.h"

/* Bumped only when a key changes meaning or disappears; new keys are added
 * freely (see wsldock-agent(8), JSON OUTPUT). */
#define REPORT_SCHEMA_VERSION 1

json_t *report_json(const struct mem_state *s, const struct diag_list *d);
void report_text(FILE *f, const struct mem_state *s, const struct diag_list *d);
