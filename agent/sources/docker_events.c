/* SPDX-License-Identifier: MIT */
#include "sources/docker_events.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

static const char *str_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int docker_event_parse(const char *line, size_t len, enum docker_event *ret, char *err,
		       size_t errlen)
{
	json_error_t je;
	json_t *o = json_loadb(line, len, 0, &je);
	const char *type, *action;

	if (!o || !json_is_object(o)) {
		snprintf(err, errlen, "event is not a JSON object%s%s", o ? "" : ": ",
			 o ? "" : je.text);
		json_decref(o);
		return -EINVAL;
	}
	/* "Type"/"Action" since API 1.22; "status" is the older name of Action. */
	type = str_member(o, "Type");
	action = str_member(o, "Action") ?: str_member(o, "status");
	*ret = type && action && !strcmp(type, "image") && !strcmp(action, "tag")
		       ? DOCKER_EVENT_BUILD_END
		       : DOCKER_EVENT_OTHER;
	json_decref(o);
	return 0;
}

/* "HTTP/1.0 200 OK" or "HTTP/1.1 200 OK". */
static bool status_ok(const char *line, size_t len)
{
	return len >= 12 && !memcmp(line, "HTTP/1.", 7) && (line[7] == '0' || line[7] == '1') &&
	       !memcmp(line + 8, " 200", 4) && (len == 12 || line[12] == ' ');
}

/* One complete line, without its "\n" (and "\r" in the headers). */
static int stream_line(struct docker_stream *s, char *line, size_t len,
		       void (*on_event)(void *u, enum docker_event e), void *u, char *err,
		       size_t errlen)
{
	enum docker_event e;

	if (!s->in_body) {
		if (len && line[len - 1] == '\r')
			len--;
		if (!s->status_ok) {
			if (!status_ok(line, len)) {
				snprintf(err, errlen, "the Docker API answered \"%.*s\", not 200",
					 (int)(len > 64 ? 64 : len), line);
				return -EPROTO;
			}
			s->status_ok = true;
		} else if (!len) {
			s->in_body = true;
		}
		return 0;
	}
	if (!len)
		return 0;
	if (docker_event_parse(line, len, &e, err, errlen) < 0)
		return -EPROTO;
	if (e == DOCKER_EVENT_BUILD_END) {
		s->events++;
		on_event(u, e);
	}
	return 0;
}

int docker_stream_feed(struct docker_stream *s, const char *data, size_t n,
		       void (*on_event)(void *u, enum docker_event e), void *u, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int r;

		if (data[i] != '\n') {
			if (s->len == sizeof(s->line)) {
				snprintf(err, errlen, "a line of the Docker event stream is longer than "
					 "%d bytes", DOCKER_EVENTS_LINE_MAX);
				return -EPROTO;
			}
			s->line[s->len++] = data[i];
			continue;
		}
		r = stream_line(s, s->line, s->len, on_event, u, err, errlen);
		s->len = 0;
		if (r < 0)
			return r;
	}
	return 0;
}
