/* SPDX-License-Identifier: MIT */
#include "daemon/daemon.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

/* The stderr line and the journal entry are made from the same text, so
 * they cannot disagree: "EVENT key=value ... detail=free text" becomes
 * WSLDOCK_EVENT=EVENT, WSLDOCK_KEY=value ..., WSLDOCK_DETAIL=free text
 * and MESSAGE=the whole line. */
void dlog_fields_build(struct dlog_fields *jf, const char *event, const char *kv, const char *line)
{
	size_t nf = 0;
	const char *p = kv;

	jf->n = 0;
	snprintf(jf->msg, sizeof(jf->msg), "MESSAGE=%s", line);
	snprintf(jf->event, sizeof(jf->event), "WSLDOCK_EVENT=%s", event);
	jf->iov[jf->n++] = (struct iovec){ jf->msg, strlen(jf->msg) };
	jf->iov[jf->n++] = (struct iovec){ jf->event, strlen(jf->event) };
	jf->iov[jf->n++] = (struct iovec){ (char *)"SYSLOG_IDENTIFIER=wsldock-agent", 31 };
	jf->iov[jf->n++] = (struct iovec){ (char *)"PRIORITY=6", 10 };
	while (*p && nf < DLOG_FIELDS_MAX) {
		const char *eq, *end;
		char *f = jf->field[nf];
		size_t w, cap = sizeof(jf->field[0]);
		bool detail;

		while (*p == ' ')
			p++;
		eq = strchr(p, '=');
		if (!eq)
			break;
		detail = (size_t)(eq - p) == 6 && !strncmp(p, "detail", 6);
		end = detail ? p + strlen(p) : strchrnul(eq, ' ');
		w = (size_t)snprintf(f, cap, "WSLDOCK_");
		for (const char *k = p; k < eq && w < cap - 2; k++)
			f[w++] = (char)toupper((unsigned char)*k);
		w += (size_t)snprintf(f + w, cap - w, "=%.*s", (int)(end - eq - 1), eq + 1);
		if (w >= cap)
			w = cap - 1;
		jf->iov[jf->n++] = (struct iovec){ f, w };
		nf++;
		p = end;
	}
}

void dlog_event(const struct dlog *g, const char *event, const char *fmt, ...)
{
	char kv[DLOG_LINE_MAX], line[DLOG_LINE_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kv, sizeof(kv), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s%s%s", event, kv[0] ? " " : "", kv);
	if (g->foreground) {
		fprintf(g->err, "wsldock-agent %s: %s\n", g->verb, line);
		fflush(g->err);
	}
	if (g->journal) {
		struct dlog_fields jf;

		dlog_fields_build(&jf, event, kv, line);
		/* No journal (no systemd here, a container): the stderr line stays. */
		sd_journal_sendv(jf.iov, (int)jf.n);
	}
}

void dlog_decision(const struct dlog *g, const struct policy_decision *d, enum policy_state s,
		   bool dry_run)
{
	dlog_event(g, "decision",
		   "episode=%llu state=%s lever=%s reason=%s bytes_targeted=%llu bytes_wanted=%llu "
		   "dry_run=%d detail=%s",
		   (unsigned long long)d->episode, policy_state_name(s),
		   d->verdict == POLICY_ACT ? lever_name(d->req.lever) : "none", d->reason,
		   (unsigned long long)d->bytes_targeted, (unsigned long long)d->req.bytes_wanted, dry_run,
		   d->detail);
}

static const char *errno_token(int err)
{
	const char *s = err ? strerrorname_np(-err) : NULL;

	return err ? (s ? s : "?") : "0";
}

void dlog_action(const struct dlog *g, const struct policy_decision *d,
		 const struct action_result *r)
{
	char reported[96] = "";

	if (r->before.reported_known && r->after.reported_known)
		snprintf(reported, sizeof(reported), " reported_before=%llu reported_after=%llu",
			 (unsigned long long)r->before.reported, (unsigned long long)r->after.reported);
	dlog_event(g, "action",
		   "episode=%llu lever=%s reason=%s bytes_targeted=%llu bytes_returned=%llu errno=%s "
		   "error_where=%s duration_ms=%llu steps=%u mem_free_before=%llu mem_free_after=%llu "
		   "page_cache_before=%llu page_cache_after=%llu reportable_free_before=%llu "
		   "reportable_free_after=%llu targets_cache_before=%llu targets_cache_after=%llu%s "
		   "skipped_hot=%u skipped_frozen=%u unreachable=%u files_walked=%u anon_guard=%s "
		   "restored_bytes=%llu dry_run=%d",
		   (unsigned long long)d->episode, lever_name(r->lever), d->reason,
		   (unsigned long long)r->bytes_targeted, (unsigned long long)r->bytes_returned,
		   errno_token(r->error), r->error && r->error_where[0] ? r->error_where : "-",
		   (unsigned long long)(r->duration_ns / 1000000), r->steps,
		   (unsigned long long)r->before.mem_free, (unsigned long long)r->after.mem_free,
		   (unsigned long long)r->before.page_cache, (unsigned long long)r->after.page_cache,
		   (unsigned long long)r->before.reportable_free,
		   (unsigned long long)r->after.reportable_free,
		   (unsigned long long)r->before.targets_cache,
		   (unsigned long long)r->after.targets_cache, reported, r->skipped_hot,
		   r->skipped_frozen, r->unreachable, r->files_walked, anon_guard_name(r->anon_guard),
		   (unsigned long long)r->restored_bytes, r->dry_run);
}
