/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Docker Engine's event stream (GET /events on the Docker socket) as a
 * hint that a build finished, so its episode need not wait out the whole
 * quiet period.  Parsed here, pure and bounded (fuzzed: fuzz-docker-events);
 * agent/daemon/docker_watch.c holds the connection.
 *
 * Only "image tag" counts: `docker build -t` tags the image when the build
 * is done, with the legacy builder and BuildKit alike.  Container events do
 * not: the legacy builder starts, stops and removes a container for every
 * RUN step, and ending the episode between two steps would evict what the
 * next one reads. */

/* HTTP/1.0: the engine then streams the body unchunked until it closes,
 * one JSON object per line.  The filter asks for image tag events only. */
#define DOCKER_EVENTS_REQUEST                                                         \
	"GET /events?filters=%7B%22type%22%3A%5B%22image%22%5D%2C%22event%22%3A%5B%22tag" \
	"%22%5D%7D HTTP/1.0\r\nHost: docker\r\nUser-Agent: wsldock-agent\r\n\r\n"

/* Longer lines (headers or events) are refused: the stream is dropped. */
#define DOCKER_EVENTS_LINE_MAX 16384

enum docker_event {
	DOCKER_EVENT_OTHER,      /* parsed, but not a hint */
	DOCKER_EVENT_BUILD_END,  /* Type image, Action tag */
};

struct docker_stream {
	char line[DOCKER_EVENTS_LINE_MAX];
	size_t len;
	bool in_body;     /* past the response headers */
	bool status_ok;   /* the status line said 200 */
	unsigned events;  /* hints seen so far */
};

/* One event object ("{"Type":"image","Action":"tag",...}").  -EINVAL with
 * one line in err when it is not one. */
int docker_event_parse(const char *line, size_t len, enum docker_event *ret, char *err,
		       size_t errlen);

/* Feeds bytes read from the socket: the status line must be 200, headers
 * are skipped, then on_event runs for every hint.  A bad status, an
 * overlong line or a malformed event ends the stream: -EPROTO with one line
 * in err (the daemon closes and retries later). */
int docker_stream_feed(struct docker_stream *s, const char *data, size_t n,
		       void (*on_event)(void *u, enum docker_event e), void *u, char *err,
		       size_t errlen);
