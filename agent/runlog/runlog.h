/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/uio.h>

#include "policy/policy.h"
#include "runlog/record.h"

/* The run log: one line per event on stderr (foreground) and the same as
 * a structured journal entry.  A line is "EVENT key=value ...": a value
 * with a space, a quote or a backslash is quoted ("..."), control
 * characters are escaped (\n, \t, \xHH), so no value can forge a field or
 * a line; the journal gets each value unescaped in WSLDOCK_<KEY>. */

struct dlog {
	bool foreground;
	bool journal;
	FILE *err;                   /* stderr */
	const char *verb;            /* "run" or "reclaim" */
	/* Where journal entries go: NULL = sd_journal_sendv (tests read
	 * them here). */
	int (*journal_sendv)(const struct iovec *iov, int n);
};

#define DLOG_LINE_MAX 2048
#define DLOG_FIELDS_MAX 48
#define DLOG_VALUE_MAX 512

/* One event: its fields, unescaped. */
struct dlog_entry {
	const char *event;
	size_t n;
	struct {
		char key[32];
		char value[DLOG_VALUE_MAX];
	} f[DLOG_FIELDS_MAX];
};

/* One journal entry: MESSAGE, WSLDOCK_EVENT, SYSLOG_IDENTIFIER, PRIORITY
 * and a WSLDOCK_<KEY> field per field of the entry. */
struct dlog_fields {
	char msg[DLOG_LINE_MAX + 160];
	char event[96];
	char field[DLOG_FIELDS_MAX][DLOG_VALUE_MAX + 48];
	struct iovec iov[DLOG_FIELDS_MAX + 4];
	size_t n;
};

/* Adds key=value (printf) to e; a full entry drops the field. */
__attribute__((format(printf, 3, 4)))
void dlog_entry_add(struct dlog_entry *e, const char *key, const char *fmt, ...);
/* dlog_event()'s format, "key=%s key=%llu ... detail=free text": each
 * field's value is formatted from its own part of the format, so no
 * argument can add a field.  A key is [a-z0-9_]; detail, last, takes the
 * rest of the format. */
void dlog_entry_vformat(struct dlog_entry *e, const char *event, const char *fmt, va_list ap);
/* The line (without the "wsldock-agent VERB: " prefix) and the journal
 * fields, both from the entry. */
void dlog_entry_line(const struct dlog_entry *e, char *buf, size_t size);
void dlog_fields_build(struct dlog_fields *jf, const struct dlog_entry *e, const char *line);
/* The record's fields as the run log writes them, "name=value ..." in
 * table order; names (NULL-terminated) picks some, NULL = all. */
void dlog_record_line(const struct action_record *rec, const char *const *names, char *buf,
		      size_t size);
/* Writes one entry: stderr in foreground, the journal when asked. */
void dlog_write(const struct dlog *g, const struct dlog_entry *e);

__attribute__((format(printf, 3, 4)))
void dlog_event(const struct dlog *g, const char *event, const char *fmt, ...);

/* The record hooks of the decide -> act loop. */
void dlog_decision(const struct dlog *g, const struct policy_decision *d, enum policy_state s,
		   bool dry_run);
/* The "action" line: every field of the record, in table order. */
void dlog_record(const struct dlog *g, const struct action_record *rec);
/* action_record_make() + dlog_record(). */
void dlog_action(const struct dlog *g, const struct policy_decision *d,
		 const struct action_result *r);
