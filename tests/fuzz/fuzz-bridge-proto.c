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
	/* The status scanner and jansson take exactly the same lines (jansson
	 * without the duplicate-key check, which the scanner does not do; and
	 * lines with a NUL byte, which jansson may take as the end and the
	 * scanner refuses), and agree on the figures the metrics use. */
	if (!memchr(line, '\0', len)) {
		struct proto_status st;
		json_error_t je;
		json_t *j = json_loadb(line, len, 0, &je);
		int s = proto_scan_status(line, len, &st, why, sizeof(why));

		if (j && json_is_object(j)) {
			json_t *rep = json_object_get(j, "report");
			const char *type = json_string_value(json_object_get(j, "type"));
			bool status = type && !strcmp(type, "status");
			/* The scanner matches keys as written: an escaped "type" or
			 * "report" (or a duplicate key) is where the two may differ. */
			bool escapes = memchr(line, '\\', len) != NULL;

			/* Refused: only a status without an object "report". */
			if (s < 0 && !escapes && !(status && !json_is_object(rep)))
				abort();
			if (status && !escapes && json_is_object(rep) && s != 1)
				abort();
			if (s == 1) {
				json_t *pc = json_object_get(json_object_get(rep, "memory"), "page_cache_bytes");

				if (json_is_integer(pc) && json_integer_value(pc) >= 0 &&
				    (!st.page_cache_known || st.page_cache_bytes != (uint64_t)json_integer_value(pc)))
					abort();
			}
		} else if (j == NULL && s >= 0 && len > 0 && memchr(line, '{', 1)) {
			abort();  /* invalid JSON taken */
		}
		json_decref(j);
	}
	t = proto_parse(line, len, &msg, why, sizeof(why));
	if (t < 0)
		return;
	switch (t) {
	case PROTO_HELLO:
		if (proto_hello_get(msg, true, &h, why, sizeof(why)) == 0) {
			char in[256];

			proto_negotiate(h.version_min, h.version_max);
			/* What the bridge would MAC: any accepted hello's fields fit. */
			if (h.agent_nonce && proto_auth_input(true, h.agent_nonce, h.agent_nonce, h.distro,
							      h.vm_id, in, sizeof(in)) < 0)
				__builtin_trap();
		}
		proto_hello_get(msg, false, &h, why, sizeof(why));
		break;
	case PROTO_CHALLENGE: {
		const char *nonce;

		proto_challenge_get(msg, &nonce, why, sizeof(why));
		break;
	}
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
