/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/daemon.h"
#include "engine/engine.h"

/* One decision now, outside the policy's own episodes: the page cache of
 * Docker's cgroups (memory.stat) and Docker's data root are the episode; the
 * levers are tried in order under the guardrails, then memory is compacted.
 * What `wsldock-agent reclaim` does standalone and the daemon does for a
 * `reclaim-now` request (with its own history untouched). */
struct manual_reclaim {
	const struct policy_config *cfg;
	const char *root;
	bool dry_run;
	int lever;                   /* -1 = any */
	const struct dlog *log;      /* each decision (when log_decisions) and action */
	bool log_decisions;
	/* Called after each action (the daemon's history). */
	void (*on_action)(void *u, const struct policy_decision *d, const struct action_result *r);
	void *u;

	/* out */
	json_t *doc;                 /* {"actions":[...], "decision":{...}, "dry_run", "returned_bytes"} */
	uint64_t returned;           /* by every lever but compaction */
	bool failed;                 /* a lever failed */
};

/* e: from engine_init() (its dry_run, docker_cgroups and hooks are set
 * here).  -ENOMEM (m->doc may then be NULL). */
int manual_reclaim_run(struct manual_reclaim *m, struct engine *e);
json_t *manual_decision_json(const struct policy_decision *d);
