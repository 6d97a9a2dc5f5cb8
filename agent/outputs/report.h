/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>

#include <jansson.h>

#include "conflicts/conflicts.h"
#include "model/mem_state.h"
#include "shared/diag.h"

/* Bumped only when a key changes meaning or disappears; new keys are added
 * freely (see wsldock-agent(8), JSON OUTPUT). */
#define REPORT_SCHEMA_VERSION 1

/* c: the conflict check to include, or NULL (JSON null, no text section). */
json_t *report_json(const struct mem_state *s, const struct conflicts_snapshot *c,
		    const struct diag_list *d);
void report_text(FILE *f, const struct mem_state *s, const struct conflicts_snapshot *c,
		 const struct diag_list *d);
