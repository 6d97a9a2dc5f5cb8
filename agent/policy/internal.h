/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the policy's files only (never included outside agent/policy/):
 * the core (core.c) and one file per sub-policy. */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>

#include "policy/policy.h"
#include "shared/util.h"

#define BIT(l) (1u << (l))
/* h->tried: memory.reclaim on the root cgroup finished the episode. */
#define TRIED_ROOT BIT(_LEVER_MAX)
/* The kernel's root cgroup's id (its kernfs inode). */
#define CGROUP_ROOT_ID 1

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Page cache the policy may reclaim for an episode: Docker's. */
static inline bool attributed(enum tclass c)
{
	return c == TCLASS_DOCKER_BUILD || c == TCLASS_DOCKER_CONTAINER || c == TCLASS_DOCKER_DAEMON;
}


/* core.c: the decision being made. */
__attribute__((format(printf, 3, 4)))
void decision_say(struct policy_decision *d, const char *reason, const char *fmt, ...);
void decision_act(const struct policy_config *c, struct policy_decision *d, enum lever l,
		  uint64_t targeted, uint64_t wanted);

/* episode.c: build episodes and their members. */
int aggregate(struct policy_history *h, const struct policy_obs *o);
int episode_fold(const struct policy_config *c, struct policy_history *h,
		 const struct policy_obs *o);
bool episode_held(const struct policy_config *c, const struct policy_history *h,
		  const struct policy_obs *o);
void episode_close(struct policy_history *h);
struct policy_member *member_find(struct policy_member *v, size_t n, uint64_t cgid);
bool members_have_ready(const struct policy_history *h, uint64_t cgid);
uint64_t member_net(const struct policy_member *m);
uint64_t members_net(const struct policy_member *v, size_t n);
const struct policy_cgroup *obs_row(const struct policy_obs *o, uint64_t cgid);

/* hot.c: the user's hot set. */
int hot_fold(const struct policy_config *c, struct policy_history *h, const struct policy_obs *o);
struct policy_hot *hot_find(const struct policy_history *h, uint64_t dev, uint64_t ino,
			    uint32_t gen);
bool hot_now(const struct policy_config *c, const struct policy_hot *e, uint64_t now);
int hot_list(const struct policy_config *c, const struct policy_history *h,
	     const struct policy_obs *o, struct policy_decision *d);

/* levers.c: an ended episode's levers, and the guardrails host.c shares. */
int episode_decide(const struct policy_config *c, struct policy_history *h,
		   const struct policy_obs *o, struct policy_decision *d);
bool targeted_lever(const struct policy_config *c, const struct policy_history *h,
		    const struct policy_obs *o, const struct policy_member *mem, size_t nmem,
		    unsigned tried, uint64_t wanted, uint64_t room, struct policy_decision *d,
		    char *skipped, size_t skipped_len);
void targets_reset(struct policy_decision *d);
bool psi_over(const struct policy_config *c, const struct policy_obs *o,
	      struct policy_decision *d);
uint64_t floor_room(const struct policy_config *c, const struct policy_history *h,
		    const struct policy_obs *o);
int root_reclaim(const struct policy_config *c, const struct policy_obs *o, uint64_t bytes,
		 struct policy_decision *d);
uint64_t cgroup_targets(const struct policy_obs *o, const struct policy_member *mem, size_t nmem,
			bool v2, struct policy_decision *d, unsigned *frozen, uint64_t *empties);

/* drop_behind.c: what a running build wrote, given back while it runs. */
bool drop_behind_decide(const struct policy_config *c, struct policy_history *h,
			const struct policy_obs *o, struct policy_decision *d);
void drop_behind_reset(struct policy_history *h);
void drop_behind_record(struct policy_history *h, const struct policy_decision *d,
			const struct action_result *r, uint64_t now_ns);

/* host.c: Windows is low on memory. */
int host_decide(const struct policy_config *c, struct policy_history *h,
		const struct policy_obs *o, struct policy_decision *d);

/* wsl_idle.c: mode=wsl-idle. */
void wsl_idle_fold(const struct policy_config *c, struct policy_history *h,
		   const struct policy_obs *o);
int wsl_idle_decide(const struct policy_config *c, struct policy_history *h,
		    const struct policy_obs *o, struct policy_decision *d);
