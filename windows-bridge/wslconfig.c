/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wslconfig.h"

struct span {
	size_t start, end;  /* [start, end) in the text */
};

struct line {
	struct span all;    /* without the newline; end includes a '\r' */
	struct span eol;    /* "\n", "\r\n" or empty at the end of the text */
	enum { L_OTHER, L_SECTION, L_KEY } kind;
	struct span name;   /* section name or key */
	struct span value;  /* key lines: the value's bytes */
	bool continued;     /* the value ends in a backslash */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int span_casecmp(const char *text, struct span s, const char *name)
{
	size_t n = strlen(name);

	if (s.end - s.start != n)
		return 1;
	for (size_t i = 0; i < n; i++) {
		char a = text[s.start + i], b = name[i];

		if (a >= 'A' && a <= 'Z')
			a += 32;
		if (b >= 'A' && b <= 'Z')
			b += 32;
		if (a != b)
			return 1;
	}
	return 0;
}

static void trim(const char *text, struct span *s)
{
	while (s->start < s->end && is_space(text[s->start]))
		s->start++;
	while (s->end > s->start && (is_space(text[s->end - 1]) || text[s->end - 1] == '\r'))
		s->end--;
}

/* Classifies one line.  The value ends at an unquoted '#' or ';'. */
static void classify(const char *text, struct line *l)
{
	size_t i = l->all.start, end = l->all.end;
	bool quoted = false;

	l->kind = L_OTHER;
	while (i < end && is_space(text[i]))
		i++;
	if (i >= end || text[i] == '#' || text[i] == ';' || text[i] == '\r')
		return;
	if (text[i] == '[') {
		const char *close = memchr(text + i, ']', end - i);

		if (!close)
			return;
		l->kind = L_SECTION;
		l->name = (struct span){ i + 1, (size_t)(close - text) };
		trim(text, &l->name);
		return;
	}
	const char *eq = memchr(text + i, '=', end - i);

	if (!eq)
		return;
	l->kind = L_KEY;
	l->name = (struct span){ i, (size_t)(eq - text) };
	trim(text, &l->name);
	i = (size_t)(eq - text) + 1;
	while (i < end && is_space(text[i]))
		i++;
	l->value.start = i;
	for (; i < end; i++) {
		if (text[i] == '"')
			quoted = !quoted;
		else if (text[i] == '\\' && i + 1 < end)
			i++;
		else if (!quoted && (text[i] == '#' || text[i] == ';'))
			break;
	}
	l->value.end = i;
	trim(text, &l->value);
	if (l->value.start > l->value.end)
		l->value.start = l->value.end;
	l->continued = l->value.end > l->value.start && text[l->value.end - 1] == '\\';
}

/* The buffer the output is built in. */
struct out {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *p = realloc(o->p, cap);

		if (!p) {
			o->failed = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

int wslconfig_set(const char *text, size_t len, const char *section, const char *key,
		  const char *value, struct wslconfig_edit *r)
{
	struct line *lines = NULL;
	size_t n = 0, i, pos;
	long sec_last = -1, key_line = -1, insert_after = -1;
	bool in_section = false, crlf = false, spaced = false, first_key = true;
	const char *eol;
	struct out o = { 0 };
	int ret = -EINVAL;

	memset(r, 0, sizeof(*r));
	if (memchr(text, '\0', len)) {
		snprintf(r->why, sizeof(r->why), "the file holds a NUL byte: not a text file");
		return -EINVAL;
	}
	/* Count the lines first so one allocation holds them. */
	for (i = 0, n = 1; i < len; i++)
		n += text[i] == '\n';
	lines = calloc(n, sizeof(*lines));
	if (!lines) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		return -ENOMEM;
	}
	for (pos = 0, i = 0; i < n; i++) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct line *l = &lines[i];

		l->all = (struct span){ pos, end };
		l->eol = (struct span){ end, nl ? end + 1 : end };
		if (nl && end > pos && text[end - 1] == '\r')
			crlf = true;
		classify(text, l);
		if (l->kind == L_SECTION) {
			in_section = !span_casecmp(text, l->name, section);
			if (in_section) {
				sec_last = (long)i;
				insert_after = (long)i;
				key_line = -1;  /* the last occurrence of the section wins */
			}
		} else if (l->kind == L_KEY) {
			if (first_key) {
				spaced = l->name.end < l->all.end && is_space(text[l->name.end]);
				first_key = false;
			}
			if (in_section) {
				insert_after = (long)i;
				if (!span_casecmp(text, l->name, key))
					key_line = (long)i;
			}
		}
		pos = l->eol.end;
	}
	eol = crlf ? "\r\n" : "\n";
	snprintf(r->section_as_written, sizeof(r->section_as_written), "%s", section);
	snprintf(r->key_as_written, sizeof(r->key_as_written), "%s", key);
	if (sec_last >= 0)
		snprintf(r->section_as_written, sizeof(r->section_as_written), "%.*s",
			 (int)(lines[sec_last].name.end - lines[sec_last].name.start),
			 text + lines[sec_last].name.start);
	if (key_line >= 0)
		snprintf(r->key_as_written, sizeof(r->key_as_written), "%.*s",
			 (int)(lines[key_line].name.end - lines[key_line].name.start),
			 text + lines[key_line].name.start);

	if (key_line >= 0) {
		struct line *l = &lines[key_line];
		size_t vlen = l->value.end - l->value.start;

		if (l->continued) {
			snprintf(r->why, sizeof(r->why),
				 "line %ld: the value of %.*s continues on the next line; edit it by hand",
				 key_line + 1, (int)(l->name.end - l->name.start), text + l->name.start);
			goto out;
		}
		r->had_key = true;
		r->before_len = vlen;
		r->line = (unsigned)key_line + 1;
		snprintf(r->before, sizeof(r->before), "%.*s", (int)vlen, text + l->value.start);
		if (vlen == strlen(value) && !memcmp(text + l->value.start, value, vlen)) {
			ret = 0;  /* already so: nothing to write */
			goto out;
		}
		put(&o, text, l->value.start);
		puts_(&o, value);
		/* A value that was empty may sit right before a comment. */
		if (vlen == 0 && l->value.end < l->all.end &&
		    (text[l->value.end] == '#' || text[l->value.end] == ';'))
			puts_(&o, " ");
		put(&o, text + l->value.end, len - l->value.end);
	} else if (sec_last >= 0) {
		struct line *l = &lines[insert_after];
		size_t at = l->eol.end;

		put(&o, text, at);
		if (l->eol.start == l->eol.end)  /* the last line had no newline */
			puts_(&o, eol);
		puts_(&o, key);
		puts_(&o, spaced ? " = " : "=");
		puts_(&o, value);
		puts_(&o, eol);
		put(&o, text + at, len - at);
		r->line = (unsigned)insert_after + 2;
	} else {
		put(&o, text, len);
		if (len > 0 && text[len - 1] != '\n')
			puts_(&o, eol);
		/* A blank line before the new section, as people write them. */
		if (len > 0 && !(len >= 2 && text[len - 1] == '\n' &&
				 (text[len - 2] == '\n' || (len >= 3 && text[len - 2] == '\r' &&
							    text[len - 3] == '\n'))))
			puts_(&o, eol);
		puts_(&o, "[");
		puts_(&o, section);
		puts_(&o, "]");
		puts_(&o, eol);
		puts_(&o, key);
		puts_(&o, spaced ? " = " : "=");
		puts_(&o, value);
		puts_(&o, eol);
		r->added_section = true;
		for (r->line = 1, i = 0; i < o.len; i++)
			r->line += o.p[i] == '\n';
		r->line -= 1;
	}
	if (o.failed) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (!o.p)
		put(&o, "", 0);
	r->out = o.p;
	r->out_len = o.len;
	r->changed = true;
	o.p = NULL;
	ret = 0;
out:
	free(o.p);
	free(lines);
	return ret;
}

int wslconfig_get(const char *text, size_t len, const char *section, const char *key, char *buf,
		  size_t size)
{
	bool in_section = false;
	int found = 0;

	if (memchr(text, '\0', len))
		return -EINVAL;
	/* A git-config style reader: the last assignment of the key in any
	 * [section] of that name is the one WSL uses. */
	/* Notepad's byte order mark is not part of the first line. */
	size_t pos = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct line l = { .all = { pos, end } };

		classify(text, &l);
		if (l.kind == L_SECTION) {
			in_section = !span_casecmp(text, l.name, section);
		} else if (l.kind == L_KEY && in_section && !span_casecmp(text, l.name, key)) {
			struct span v = l.value;

			if (l.continued)
				return -EINVAL;
			/* A quoted value is read without its quotes. */
			if (v.end - v.start >= 2 && text[v.start] == '"' && text[v.end - 1] == '"') {
				v.start++;
				v.end--;
			}
			snprintf(buf, size, "%.*s", (int)(v.end - v.start), text + v.start);
			found = 1;
		}
		if (!nl)
			break;
		pos = end + 1;
	}
	return found;
}

void wslconfig_edit_free(struct wslconfig_edit *r)
{
	free(r->out);
	r->out = NULL;
}
