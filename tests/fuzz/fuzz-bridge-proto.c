/* SPDX-License-Identifier: MIT */
/* libFuzzer target for wsldock-protocol(7): the input is a byte stream cut
 * into chunks (the first byte picks the chunk size, so byte-at-a-time and
 * whole-buffer reads are both covered); every complete line goes through
 * the parser and the validator of its type, as the bridge and the agent
 * run them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "../../windows-bridge/proto.h"

static void on_line(void *ud, const char *line, size_t len, int err)
{
	struct proto_hello h;
	struct proto_event e;
	struct proto_change c;
	struct proto_host_memory m;
	char why[256], *out;
	size_t out_len;
	json_t *msg;
	int t;

	if (err)
		return;
	t = proto_parse(line, len, &msg, why, sizeof(why));
	if (t < 0)
		return;
	switch (t) {
	case PROTO_HELLO:
		if (proto_hello_get(msg, true, &h, why, sizeof(why)) == 0)
			proto_negotiate(h.version_min, h.version_max);
		proto_hello_get(msg, false, &h, why, sizeof(why));
		break;
	case PROTO_EVENT:
		proto_event_get(msg, &e, why, sizeof(why));
		break;
	case PROTO_CHANGE:
		proto_change_get(msg, &c, why, sizeof(why));
		break;
	case PROTO_HOST_MEMORY:
		proto_host_memory_get(msg, &m, why, sizeof(why));
		break;
	default:
		break;
	}
	/* What the bridge answers must encode within the bound. */
	json_t *reply = proto_error_new("malformed", why, json_object_get(msg, "type"));

	if (reply && proto_encode(reply, &out, &out_len) == 0)
		free(out);
	json_decref(reply);
	json_decref(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_reader r;
	size_t chunk;

	if (size < 1)
		return 0;
	memset(&r, 0, sizeof(r));
	chunk = (size_t)data[0] * 7 + 1;
	for (size_t off = 1; off < size; off += chunk)
		proto_reader_feed(&r, (const char *)data + off, size - off < chunk ? size - off : chunk,
				  on_line, NULL);
	return 0;
}
