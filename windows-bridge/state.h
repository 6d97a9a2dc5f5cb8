/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "advice.h"
#include "proto.h"

/* What the bridge knows: per distro the last status, its conflicts, the
 * reclaim history and the connection state, and the host's memory.  The
 * main loop writes it, the dashboard's thread reads it, both under lock. */

#define STATE_MAX_DISTROS 256   /* then the one unseen longest and disconnected goes */
/* A distro's report is kept as the validated text it came as, at most this
 * long and this deeply nested (a real one is ~6 KiB, 6 deep); a bigger or
 * deeper one is answered with an error and the previous one kept.  With
 * the history and reclaim rings, 256 distros hold at most ~11 MiB; see
 * wsldock-bridge(8), MEMORY, for the whole bound. */
#define STATE_REPORT_MAX 32768
/* Change requests a distro may make: this many a minute, then refused. */
#define STATE_CHANGE_BURST 6
#define STATE_CHANGE_WINDOW_MS 60000
#define STATE_REPORT_DEPTH 16
#define STATE_HISTORY 240       /* chart samples per distro (one per status) */
#define STATE_RECLAIMS 32       /* reclaim events kept per distro */
#define STATE_LEVERS 6          /* the agent's five levers and "other" */

struct state_sample {
	uint64_t wall_ms;
	uint64_t page_cache_bytes;
	uint64_t returned_bytes;   /* cumulative, as the counter */
};

struct state_reclaim {
	uint64_t wall_ms;
	uint64_t bytes;
	char lever[24];
	char reason[32];
};

struct distro {
	char name[PROTO_DISTRO_MAX + 1];
	char vm_id[65];
	char agent_version[65];
	char role[16];
	unsigned connections;      /* open connections naming this distro */
	uint64_t connected_wall_ms, last_seen_wall_ms;
	char *report_text;         /* the last status's report as sent, or NULL */
	size_t report_len;
	uint64_t statuses;
	uint64_t page_cache_bytes, episode_attributed_bytes;
	bool episode_attributed_known, episode_active;
	uint64_t returned_bytes;   /* sum of reclaim events but compaction's */
	uint64_t actions[STATE_LEVERS];
	uint64_t episodes;
	uint64_t conflicts;
	char leader[PROTO_DISTRO_MAX + 1];
	uint64_t change_ms[STATE_CHANGE_BURST];  /* when the last change requests came (ring) */
	unsigned change_next;
	struct state_sample history[STATE_HISTORY];
	size_t nhistory, history_next;
	struct state_reclaim reclaims[STATE_RECLAIMS];
	size_t nreclaims, reclaims_next;
};

struct plat_mutex;
struct bridge_state {
	struct plat_mutex *lock;
	struct distro *distros[STATE_MAX_DISTROS];
	size_t ndistros;
	bool host_known;
	struct proto_host_memory host;
	unsigned open_connections;
	uint64_t connections, messages, protocol_errors, changes_applied, changes_refused;
	uint64_t started_wall_ms;
	struct advice advice[ADVICE_MAX];  /* what the bridge advises to change */
	size_t nadvice;
};

int state_init(struct bridge_state *s);
void state_fini(struct bridge_state *s);

/* Lookup by name, without regard to case (WSL's own rule); create makes a
 * new entry (NULL when STATE_MAX_DISTROS are known). */
struct distro *state_distro(struct bridge_state *s, const char *name, bool create);

/* Applies what an agent sent (the scanned status; its report text is
 * copied).  -EMSGSIZE (over STATE_REPORT_MAX or STATE_REPORT_DEPTH) and
 * -ENOMEM leave the previous status. */
int state_status(struct distro *d, const struct proto_status *st, uint64_t wall_ms);
void state_event(struct distro *d, const struct proto_event *e, uint64_t wall_ms);
/* Counts a change request; false (not counted) when the distro made
 * STATE_CHANGE_BURST of them in the last STATE_CHANGE_WINDOW_MS, with the
 * seconds to wait in *retry_s. */
bool state_change_allowed(struct distro *d, uint64_t now_ms, unsigned *retry_s);

/* The readers (the dashboard's thread) copy the state under the lock and
 * serialise the copy after releasing it, so an agent's message never waits
 * for a page: state_copy makes out a deep copy without a lock (NULL on
 * -ENOMEM), state_copy_free frees it. */
int state_copy(const struct bridge_state *s, struct bridge_state *out);
void state_copy_free(struct bridge_state *c);

/* GET /api/v1/distros (wsldock-bridge(8) documents the keys) as text: each
 * report goes in as the validated text it came as, so no parse tree of
 * all of them is ever built.  Heap text, NULL on ENOMEM. */
char *state_api_text(const struct bridge_state *s, uint64_t wall_ms, size_t *len);
/* GET /metrics in the Prometheus text format; heap text, NULL on ENOMEM. */
char *state_metrics(const struct bridge_state *s, size_t *len);

extern const char *const state_lever_names[STATE_LEVERS];
