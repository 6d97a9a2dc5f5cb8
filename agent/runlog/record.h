/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "actions/actions.h"

/* One action as every output writes it: the run log line, its journal
 * entry (WSLDOCK_<NAME>), the service's STATUS= and history, the control
 * socket, `reclaim --json` and the bridge's reclaim event.  They all walk
 * record_fields[] below, so a field has one name, one unit and one value
 * everywhere.  The record is a pure function of the decision and the
 * result (the time is the result's), so any output may build it again. */

struct policy_decision;

struct action_record {
	uint64_t episode;            /* 0 = outside an episode (reclaim) */
	char reason[40];             /* the policy's reason, "" = none */
	struct action_result res;
};

enum record_type {
	RECORD_UINT,                 /* JSON integer, decimal text */
	RECORD_STRING,               /* JSON string, text quoted when it must be */
	RECORD_BOOL,                 /* JSON true/false, text "true"/"false" */
};

struct record_value {
	uint64_t u;
	const char *s;
	bool b;
};

struct record_field {
	const char *name;            /* JSON key and run-log key; journal WSLDOCK_<NAME> */
	enum record_type type;
	const char *unit;            /* "bytes", "ms", "count", "" */
	/* false: no value (JSON null, run log and journal "-") */
	bool (*get)(const struct action_record *rec, struct record_value *v);
};

extern const struct record_field record_fields[];
extern const size_t record_nfields;

/* d may be NULL (a lever run by itself): episode 0, reason "". */
void action_record_make(struct action_record *rec, const struct policy_decision *d,
			const struct action_result *r);

/* The field's value as text, unescaped ("-" when none); numbers are
 * written into buf, strings are returned as they are. */
const char *record_field_text(const struct record_field *f, const struct action_record *rec,
			      char *buf, size_t size);
/* Every field, in table order, as one JSON object.  NULL on ENOMEM. */
json_t *action_record_json(const struct action_record *rec);
/* The record's fields added to obj (the bridge's event, the history). */
int action_record_json_into(const struct action_record *rec, json_t *obj);
/* The one "returned" total rule: compaction's gain (reportable free) is
 * not memory the levers returned, and a dry run returns nothing. */
uint64_t action_record_returned(const struct action_record *rec);
/* A lever's result alone (no decision: episode 0, no reason) as the
 * record's JSON: the tests' lever driver and `reclaim --json`'s result. */
json_t *action_result_json(const struct action_result *r);
