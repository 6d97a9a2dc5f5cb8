/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the control socket's request parser (one line of
 * newline-delimited JSON) and its permission check.  The first byte picks
 * the peer: bit 0 root, bit 1 a member of the control group. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/control_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_peer peer;
	struct control_request req;
	char err[320];
	int r;

	if (size < 1)
		return 0;
	peer = (struct control_peer){ .uid = data[0] & 1 ? 0 : 1000, .in_group = data[0] & 2 };
	err[0] = '\0';
	r = control_parse_request((const char *)data + 1, size - 1, &req, err, sizeof(err));
	if (r < 0) {
		/* Every refusal says why. */
		if (!err[0])
			abort();
		return 0;
	}
	/* What parsed is a known request with values in range. */
	if (r != 0 || req.verb >= _CONTROL_VERB_MAX || req.limit < 1 ||
	    req.limit > CONTROL_HISTORY_MAX ||
	    strlen(req.lever) >= sizeof(req.lever))
		abort();
	/* A change that parsed has the shape the bridge's protocol bounds. */
	if (req.verb == CONTROL_CHANGE && req.change == CONTROL_CHANGE_WSLCONFIG &&
	    (strlen(req.key) > CONTROL_CHANGE_KEY_MAX || strlen(req.value) > CONTROL_CHANGE_VALUE_MAX ||
	     !strchr(req.key, '.') || req.key[0] == '.' || req.key[strlen(req.key) - 1] == '.'))
		abort();
	if (req.verb == CONTROL_CHANGE && req.change != CONTROL_CHANGE_WSLCONFIG &&
	    req.change != CONTROL_CHANGE_INTEGRATION)
		abort();
	/* change alters the host: root only. */
	if (req.verb == CONTROL_CHANGE && peer.uid && control_allowed(req.verb, &peer, err, sizeof(err)))
		abort();
	if (!control_allowed(req.verb, &peer, err, sizeof(err)) && !err[0])
		abort();
	/* root may do anything; nobody outside the group anything at all. */
	if (peer.uid == 0 && !control_allowed(req.verb, &peer, err, sizeof(err)))
		abort();
	if (peer.uid && !peer.in_group && control_allowed(req.verb, &peer, err, sizeof(err)))
		abort();
	return 0;
}
