/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

/* The control socket's protocol (wsldock-agent(8), CONTROL SOCKET): one JSON
 * object per line each way.  This part is pure: it parses one request line
 * and says whether a peer may make it; the server (control.c) does the I/O
 * and the daemon (service.c) the answers.  Fuzzed by tests/fuzz/fuzz-control.c. */

#define CONTROL_REQUEST_MAX 4096   /* bytes of one request line, newline included */
#define CONTROL_HISTORY_MAX 64     /* actions the daemon remembers */

enum control_verb {
	CONTROL_STATUS,
	CONTROL_HISTORY,
	CONTROL_RECLAIM_NOW,
	CONTROL_RELOAD,
	CONTROL_CHANGE,
	_CONTROL_VERB_MAX,
};

/* change: what the daemon relays to wsldock-bridge (wsldock-protocol(7),
 * "change"), with the protocol's bounds on key and value. */
enum control_change_kind { CONTROL_CHANGE_INTEGRATION, CONTROL_CHANGE_WSLCONFIG };
#define CONTROL_CHANGE_KEY_MAX 128
#define CONTROL_CHANGE_VALUE_MAX 256

struct control_request {
	enum control_verb verb;
	unsigned limit;        /* history: at most this many actions, newest last */
	bool dry_run;          /* reclaim-now: decide and measure, write nothing */
	char lever[24];        /* reclaim-now: only this lever ("" = any); its name is
				  checked by the daemon, which knows the levers */
	enum control_change_kind change;           /* change: which */
	bool enable;                               /* change integration: enable or disable */
	char key[CONTROL_CHANGE_KEY_MAX + 1];      /* change wslconfig: SECTION.KEY */
	char value[CONTROL_CHANGE_VALUE_MAX + 1];  /* change wslconfig: its value */
};

const char *control_verb_name(enum control_verb v);

/* Parses one request (without its newline).  On error returns -EINVAL and
 * one phrase in err saying what is wrong and what is allowed. */
int control_parse_request(const char *line, size_t len, struct control_request *req, char *err,
			  size_t errlen);

/* Who is asking, from SO_PEERCRED / SO_PEERGROUPS. */
struct control_peer {
	uid_t uid;
	bool in_group;         /* the control group is its primary or a supplementary group */
};

/* status and history: root and the control group; reclaim-now, reload
 * and change: root only.  Returns false with the reason in err. */
bool control_allowed(enum control_verb v, const struct control_peer *p, char *err, size_t errlen);

/* {"ok":false,"request":R,"error":"...","code":"EINVAL"}; without "request"
 * when it is NULL (the line was not a request). */
json_t *control_error(const char *request, const char *code, const char *msg);
