/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "actions/actions.h"
#include "engine/observe.h"
#include "policy/policy.h"
#include "tracker/ledger.h"

/* The engine: one sample's way from the sources to the levers, the same for
 * `run` (agent/daemon/daemon.c, every second) and `reclaim`
 * (agent/daemon/manual.c, once).
 *
 *   engine_observe(): the policy's inputs in one pass (observe.c), read
 *                     as far as policy_may_act() says the sample needs;
 *   engine_run():     decide -> act -> record -> observe again, until the
 *                     policy says POLICY_NONE or every lever had its turn.
 *
 * The engine writes no log: each decision and each action goes to the
 * caller's record hooks. */

struct engine_hooks {
	/* Every decision, before it is acted on; before: the policy's state
	 * when it was asked.  Optional. */
	void (*on_decision)(void *ud, const struct policy_decision *d, enum policy_state before);
	/* Every action, with its measured result.  Optional. */
	void (*on_action)(void *ud, const struct policy_decision *d, const struct action_result *r);
	/* Runs the lever: NULL = action_run().  The daemon lets SIGTERM end a
	 * blocking write; the tests fake the levers. */
	int (*act)(void *ud, const struct action_request *q, struct action_result *r);
	/* True to stop between levers (SIGTERM).  Optional. */
	bool (*stop)(void *ud);
	/* CLOCK_MONOTONIC and CLOCK_REALTIME in ns: NULL = the clocks. */
	uint64_t (*now)(void *ud, bool realtime);
	void *ud;
};

struct engine {
	struct observer ob;
	bool dry_run;                /* decide and measure; write nothing */
	const char *root;            /* NULL = live system */
	/* `reclaim`: without the tracker, the page cache memory.stat charges
	 * to Docker's cgroups stands for the ledger's rows. */
	bool docker_cgroups;
	/* model/topology.h's topology_files_out_of_reach(), the caller's:
	 * handed to the policy with every sample. */
	const char *files_out_of_reach;
	/* model/topology.h's topology_root_by_id(), the caller's. */
	bool root_by_id;
	struct engine_hooks hooks;
};

/* Sets up e->ob (the other fields are the caller's to set before or
 * after); root, docker_root: as observer_init().  The cgroup layout that could not
 * be read (negative errno) leaves the cgroup levers without targets; the
 * engine is usable either way. */
int engine_init(struct engine *e, const char *root, const char *docker_root,
		struct resolver *res);
void engine_free(struct engine *e);

/* The hooks' clock, or CLOCK_REALTIME / CLOCK_MONOTONIC, in ns. */
uint64_t engine_now(const struct engine *e, bool realtime);

/* Fills o (now_ns, realtime_ns, leader, host_low, build_end_ns and
 * build_running are the caller's) with this sample's inputs: memory, the
 * ledger's rows and files (l NULL: none, the tracker is off or failed;
 * ignored with docker_cgroups), and, when policy_may_act(c, h, host_low),
 * the targets, every file and the act inputs.  The pointers in o stay
 * valid until the next engine_observe() or engine_free().  -ENOMEM. */
int engine_observe(struct engine *e, const struct policy_config *c,
		   const struct policy_history *h, const struct ledger *l, struct policy_obs *o);

/* Decide -> act -> record -> observe again, at most one round per lever.
 * o: from engine_observe() with the same l (policy_observe() already
 * folded it in).  Returns 0, or -ENOMEM (the history stays consistent). */
int engine_run(struct engine *e, const struct policy_config *c, struct policy_history *h,
	       const struct ledger *l, struct policy_obs *o);
