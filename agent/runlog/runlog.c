/* SPDX-License-Identifier: MIT */
#include "runlog/runlog.h"

#include <ctype.h>
#include <printf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <wchar.h>
#include <systemd/sd-journal.h>

#include "shared/util.h"

void dlog_entry_add(struct dlog_entry *e, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (e->n >= DLOG_FIELDS_MAX)
		return;
	snprintf(e->f[e->n].key, sizeof(e->f[0].key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(e->f[e->n].value, sizeof(e->f[0].value), fmt, ap);
	va_end(ap);
	e->n++;
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Length of "key=" at p (a key of [a-z0-9_]), 0 when p starts no field. */
static size_t key_at(const char *p)
{
	size_t n = 0;

	while (key_char(p[n]))
		n++;
	return n && p[n] == '=' ? n + 1 : 0;
}

/* "k=v k=v ... detail=rest": a word that is not key=value, or detail,
 * takes the rest. */
static void parse_text(struct dlog_entry *e, const char *p)
{
	while (*p && e->n < DLOG_FIELDS_MAX) {
		size_t k;
		const char *end;

		while (*p == ' ')
			p++;
		k = key_at(p);
		if (!*p)
			break;
		if (!k || (k == 7 && !strncmp(p, "detail=", 7))) {
			dlog_entry_add(e, "detail", "%s", p + k);
			break;
		}
		end = strchrnul(p + k, ' ');
		snprintf(e->f[e->n].key, sizeof(e->f[0].key), "%.*s", (int)(k - 1), p);
		snprintf(e->f[e->n].value, sizeof(e->f[0].value), "%.*s", (int)(end - p - k), p + k);
		e->n++;
		p = end;
	}
}

/* Consumes one argument of printf type t (parse_printf_format(3)). */
static void skip_arg(va_list *ap, int t)
{
	switch (t & ~PA_FLAG_MASK) {
	case PA_INT:
	case PA_CHAR:
		if (t & PA_FLAG_LONG_LONG)
			(void)va_arg(*ap, long long);
		else if (t & PA_FLAG_LONG)
			(void)va_arg(*ap, long);
		else
			(void)va_arg(*ap, int);
		break;
	case PA_WCHAR:
		(void)va_arg(*ap, wint_t);
		break;
	case PA_FLOAT:
	case PA_DOUBLE:
		if (t & PA_FLAG_LONG_DOUBLE)
			(void)va_arg(*ap, long double);
		else
			(void)va_arg(*ap, double);
		break;
	default:  /* strings and pointers */
		(void)va_arg(*ap, void *);
		break;
	}
}

/* One field: key and the part of the format that makes its value,
 * formatted with the arguments it takes (consumed from *ap). */
static void add_field(struct dlog_entry *e, const char *key, size_t klen, const char *vfmt,
		      size_t vlen, va_list *ap)
{
	char sub[DLOG_LINE_MAX];
	int types[16];
	size_t n;
	va_list cp;

	if (e->n >= DLOG_FIELDS_MAX)
		return;
	snprintf(sub, sizeof(sub), "%.*s", (int)vlen, vfmt);
	n = parse_printf_format(sub, ELEMENTSOF(types), types);
	snprintf(e->f[e->n].key, sizeof(e->f[0].key), "%.*s", (int)klen, key);
	va_copy(cp, *ap);
	vsnprintf(e->f[e->n].value, sizeof(e->f[0].value), sub, cp);
	va_end(cp);
	e->n++;
	for (size_t i = 0; i < n && i < ELEMENTSOF(types); i++)
		skip_arg(ap, types[i]);
}

/* "k=%s k=%llu ... detail=free text": the fields are cut from the
 * format, not from what it produced, so an argument holding a space or
 * " errno=0" stays one value.  detail (or text that starts no field)
 * takes the rest. */
void dlog_entry_vformat(struct dlog_entry *e, const char *event, const char *fmt, va_list ap)
{
	const char *p = fmt;
	va_list args;

	e->event = event;
	e->n = 0;
	if (!key_at(fmt)) {
		/* A line made elsewhere ("%s" of "k=v k=v"): its fields are read
		 * from the text, so its values must hold no spaces. */
		char text[DLOG_LINE_MAX];

		vsnprintf(text, sizeof(text), fmt, ap);
		parse_text(e, text);
		return;
	}
	va_copy(args, ap);
	while (*p) {
		size_t k = key_at(p);
		const char *v, *end;

		if (!k || (k == 7 && !strncmp(p, "detail=", 7))) {
			add_field(e, "detail", 6, k ? p + k : p, strlen(k ? p + k : p), &args);
			break;
		}
		v = p + k;
		for (end = v; *end && !(end[0] == ' ' && key_at(end + 1)); end++)
			;
		add_field(e, p, k - 1, v, (size_t)(end - v), &args);
		p = *end ? end + 1 : end;
	}
	va_end(args);
}

/* A value goes into the line as it is unless it could be read as more than
 * one value: empty, a space, a quote, a backslash or a control character
 * make it quoted, with \" \\ \n \t \xHH inside. */
static bool needs_quotes(const char *v)
{
	if (!*v)
		return true;
	for (; *v; v++)
		if (*v == ' ' || *v == '"' || *v == '\\' || (unsigned char)*v < 0x20 || *v == 0x7f)
			return true;
	return false;
}

static size_t put_value(char *buf, size_t size, size_t w, const char *v)
{
	if (!needs_quotes(v))
		return w + (size_t)snprintf(buf + w, w < size ? size - w : 0, "%s", v);
	w += (size_t)snprintf(buf + w, w < size ? size - w : 0, "\"");
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		size_t left = w < size ? size - w : 0;

		if (c == '"' || c == '\\')
			w += (size_t)snprintf(buf + w, left, "\\%c", c);
		else if (c == '\n')
			w += (size_t)snprintf(buf + w, left, "\\n");
		else if (c == '\t')
			w += (size_t)snprintf(buf + w, left, "\\t");
		else if (c < 0x20 || c == 0x7f)
			w += (size_t)snprintf(buf + w, left, "\\x%02x", c);
		else
			w += (size_t)snprintf(buf + w, left, "%c", c);
	}
	return w + (size_t)snprintf(buf + w, w < size ? size - w : 0, "\"");
}

void dlog_entry_line(const struct dlog_entry *e, char *buf, size_t size)
{
	size_t w = (size_t)snprintf(buf, size, "%s", e->event);

	for (size_t i = 0; i < e->n; i++) {
		w += (size_t)snprintf(buf + (w < size ? w : size), w < size ? size - w : 0, " %s=",
				      e->f[i].key);
		w = put_value(buf, size, w, e->f[i].value);
	}
}

/* The journal takes any byte in a field given by length: the value goes
 * in unescaped, a newline included. */
void dlog_fields_build(struct dlog_fields *jf, const struct dlog_entry *e, const char *line)
{
	jf->n = 0;
	snprintf(jf->msg, sizeof(jf->msg), "MESSAGE=%s", line);
	snprintf(jf->event, sizeof(jf->event), "WSLDOCK_EVENT=%s", e->event);
	jf->iov[jf->n++] = (struct iovec){ jf->msg, strlen(jf->msg) };
	jf->iov[jf->n++] = (struct iovec){ jf->event, strlen(jf->event) };
	jf->iov[jf->n++] = (struct iovec){ (char *)"SYSLOG_IDENTIFIER=wsldock-agent", 31 };
	jf->iov[jf->n++] = (struct iovec){ (char *)"PRIORITY=6", 10 };
	for (size_t i = 0; i < e->n && i < DLOG_FIELDS_MAX; i++) {
		char *f = jf->field[i];
		size_t w = (size_t)snprintf(f, sizeof(jf->field[0]), "WSLDOCK_");

		for (const char *k = e->f[i].key; *k; k++)
			f[w++] = (char)toupper((unsigned char)*k);
		w += (size_t)snprintf(f + w, sizeof(jf->field[0]) - w, "=%s", e->f[i].value);
		if (w >= sizeof(jf->field[0]))
			w = sizeof(jf->field[0]) - 1;
		jf->iov[jf->n++] = (struct iovec){ f, w };
	}
}

static bool journal_said;

void dlog_write(const struct dlog *g, const struct dlog_entry *e)
{
	char line[DLOG_LINE_MAX];

	dlog_entry_line(e, line, sizeof(line));
	if (g->foreground) {
		fprintf(g->err, "wsldock-agent %s: %s\n", g->verb, line);
		fflush(g->err);
	}
	if (g->journal) {
		_cleanup_free_ struct dlog_fields *jf = malloc(sizeof(*jf));
		int r;

		if (!jf)
			return;
		dlog_fields_build(jf, e, line);
		r = (g->journal_sendv ?: sd_journal_sendv)(jf->iov, (int)jf->n);
		/* No journal (no systemd here, a container): the stderr line
		 * stays; said once, on stderr, not in the journal it lacks. */
		if (r < 0 && !journal_said && g->foreground) {
			fprintf(g->err, "wsldock-agent %s: journal errno=%s detail=the journal does not "
				"take entries: stderr only\n", g->verb, strerrorname_np(-r) ?: "?");
			journal_said = true;
		}
	}
}

void dlog_event(const struct dlog *g, const char *event, const char *fmt, ...)
{
	_cleanup_free_ struct dlog_entry *e = malloc(sizeof(*e));
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	dlog_entry_vformat(e, event, fmt, ap);
	va_end(ap);
	dlog_write(g, e);
}

void dlog_decision(const struct dlog *g, const struct policy_decision *d, enum policy_state s,
		   bool dry_run)
{
	_cleanup_free_ struct dlog_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return;
	e->event = "decision";
	dlog_entry_add(e, "episode", "%llu", (unsigned long long)d->episode);
	dlog_entry_add(e, "state", "%s", policy_state_name(s));
	dlog_entry_add(e, "lever", "%s", d->verdict == POLICY_ACT ? lever_name(d->req.lever) : "none");
	dlog_entry_add(e, "reason", "%s", d->reason ? d->reason : "-");
	dlog_entry_add(e, "targeted_bytes", "%llu", (unsigned long long)d->bytes_targeted);
	dlog_entry_add(e, "wanted_bytes", "%llu", (unsigned long long)d->req.bytes_wanted);
	dlog_entry_add(e, "dry_run", "%s", dry_run ? "true" : "false");
	dlog_entry_add(e, "detail", "%s", d->detail[0] ? d->detail : "-");
	dlog_write(g, e);
}

static void record_entry(struct dlog_entry *e, const struct action_record *rec,
			 const char *const *names)
{
	char buf[40];

	e->event = "action";
	e->n = 0;
	for (size_t i = 0; i < record_nfields; i++) {
		const struct record_field *f = &record_fields[i];
		bool want = !names;

		for (const char *const *n = names; n && *n && !want; n++)
			want = !strcmp(*n, f->name);
		if (want)
			dlog_entry_add(e, f->name, "%s", record_field_text(f, rec, buf, sizeof(buf)));
	}
}

void dlog_record_line(const struct action_record *rec, const char *const *names, char *buf,
		      size_t size)
{
	_cleanup_free_ struct dlog_entry *e = malloc(sizeof(*e));
	const char *rest;

	if (!e || !size) {
		if (size)
			buf[0] = '\0';
		return;
	}
	record_entry(e, rec, names);
	dlog_entry_line(e, buf, size);
	/* Without the event word: the caller names the line. */
	rest = strchr(buf, ' ');
	memmove(buf, rest ? rest + 1 : buf + strlen(buf), strlen(rest ? rest + 1 : "") + 1);
}

void dlog_record(const struct dlog *g, const struct action_record *rec)
{
	_cleanup_free_ struct dlog_entry *e = malloc(sizeof(*e));

	if (!e)
		return;
	record_entry(e, rec, NULL);
	dlog_write(g, e);
}

void dlog_action(const struct dlog *g, const struct policy_decision *d,
		 const struct action_result *r)
{
	struct action_record rec;

	action_record_make(&rec, d, r);
	dlog_record(g, &rec);
}
