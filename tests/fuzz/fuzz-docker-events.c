/* SPDX-License-Identifier: MIT */
/* libFuzzer target for Docker Engine's event stream as the agent reads it
 * (sources/docker_events.c): an HTTP/1.0 response, then one JSON event per
 * line.  The first byte sets the size of the reads the stream is cut into,
 * as a socket would hand them over. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/docker_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *u, enum docker_event e)
{
	if (e != DOCKER_EVENT_BUILD_END)
		abort();  /* only hints are handed on */
	(*(size_t *)u)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct docker_stream s;
	size_t chunk, hints = 0, lines = 0;
	enum docker_event e;
	char err[192];
	int r = 0;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	data++, size--;
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < size && r == 0; i += chunk) {
		err[0] = '\0';
		r = docker_stream_feed(&s, (const char *)data + i, size - i < chunk ? size - i : chunk,
				       on_event, &hints, err, sizeof(err));
		if (r < 0 && (r != -EPROTO || !err[0]))
			abort();  /* every refusal says why */
	}
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	/* A hint is a whole line of the body: never more hints than lines. */
	if (hints != s.events || hints > lines || (hints && !s.in_body))
		abort();
	err[0] = '\0';
	r = docker_event_parse((const char *)data, size, &e, err, sizeof(err));
	if ((r < 0 && (r != -EINVAL || !err[0])) || (r == 0 && e != DOCKER_EVENT_OTHER &&
						      e != DOCKER_EVENT_BUILD_END))
		abort();
	return 0;
}
