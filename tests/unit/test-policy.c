/* SPDX-License-Identifier: MIT */
/* The reclaim policy, as tables of scenarios: each a list of samples (the
 * tracker's rows and files, the memory figures, now) with the state the
 * policy must be in after the sample and the decisions it must take, each
 * acting decision answered by a simulated lever result.  Every sample is
 * decided on: one with no decisions listed must not act.  One cmocka test
 * per scenario, so one failure hides no other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>
#include "unit.h"

#include "policy/policy.h"
#include "shared/util.h"

#define S NSEC_PER_SEC
#define ALL UINT64_MAX  /* the simulated lever returns all it targeted */
#define MAXR 4
#define MAXX 6
#define MAXSTEPS 40

struct trow {
	uint64_t cgid;
	enum tclass class;
	uint64_t added, removed;  /* MiB, cumulative */
	const char *path, *v2, *v1;
	bool frozen;
	uint64_t held;            /* MiB its target holds (memory.stat); 0 = unknown */
};

struct tfile {
	uint64_t ino;
	enum tclass class;
	uint64_t owner;
	uint64_t added;  /* MiB */
};

struct texpect {
	const char *reason;       /* NULL ends the list */
	bool act;
	enum lever lever;
	uint64_t ret;             /* MiB returned (ALL: what it targeted) */
	int err;
	bool exhausted;
	bool root;                /* the request targets the kernel's root cgroup */
};

struct tstep {
	unsigned t;               /* seconds */
	struct trow rows[MAXR];
	struct tfile files[MAXR];
	uint64_t cache;           /* MiB of page cache; 0 = 4096 */
	double psi;
	bool host_low, follower, no_meminfo;
	uint64_t user_ticks, refault;  /* refault in MiB */
	unsigned build_end;       /* s: Docker's last "image tag" event; 0 = none */
	bool build;               /* a build is known to be running */
	enum policy_state state;
	struct texpect ex[MAXX];
};

struct scenario {
	const char *name;
	const char *set[4];
	enum memcg_mode memcg;
	bool dry_run;
	bool data_root;           /* Docker's data root exists */
	const char *out_of_reach; /* the engine's files cannot be opened from here */
	bool root_by_id;          /* a cgroup namespace: the root is reached by id */
	struct tstep steps[MAXSTEPS];
};

#define MI(x) ((uint64_t)(x) * MIB)
#define V2ROW(id, cls, add, path) { id, cls, add, 0, path, path, NULL, false }
#define DOCKER_ROW(add) { 7, TCLASS_DOCKER_BUILD, add, 0, "/docker/c1", "/docker/c1", NULL, false }
#define V1_REMOVED(add) { 7, TCLASS_DOCKER_CONTAINER, add, 0, "/docker/c1", NULL, "/docker", false }
#define DOCKERD(add) { 1, TCLASS_DOCKER_DAEMON, add, 0, "/", "/", "/", false }
#define DB_ROW(add, rem) { 7, TCLASS_DOCKER_BUILD, add, rem, "/docker/c1", "/docker/c1", NULL, false }
#define NO_TARGET(add) { 7, TCLASS_DOCKER_BUILD, add, 0, "/docker/c1", NULL, NULL, false }

/* A v2 episode: 3 s of growth, 3 s quiet, then its levers. */
#define GROW_V2                                                                     \
	{ .t = 1, .rows = { DOCKER_ROW(0) }, .state = PSTATE_IDLE },                 \
	{ .t = 2, .rows = { DOCKER_ROW(200) }, .state = PSTATE_GROWING,             \
	  .ex = { { "growing" } } },                                                 \
	{ .t = 3, .rows = { DOCKER_ROW(400) }, .state = PSTATE_GROWING },           \
	{ .t = 5, .rows = { DOCKER_ROW(400) }, .state = PSTATE_GROWING }

static const struct scenario scenarios[] = {
	{ "v2 episode: memory.reclaim on its cgroup, then compact", .memcg = MEMCG_V2, .steps = {
		GROW_V2,
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
		{ .t = 7, .rows = { DOCKER_ROW(400) }, .state = PSTATE_IDLE, .ex = { { "idle" } } },
	} },
	{ "Docker's build-finished event ends the episode without the quiet period", .memcg = MEMCG_V2,
	  .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(200) }, .state = PSTATE_GROWING },
		{ .t = 3, .rows = { DOCKER_ROW(400) }, .state = PSTATE_GROWING },
		/* Tagged at 3: the sample at 4 grew (the writes before the tag). */
		{ .t = 4, .rows = { DOCKER_ROW(450) }, .build_end = 3, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(450) }, .build_end = 3, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "growth after the event: the quiet period decides", .set = { "drop_behind=no" },
	  .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(200) }, .state = PSTATE_GROWING },
		{ .t = 3, .rows = { DOCKER_ROW(400) }, .build_end = 2, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(600) }, .build_end = 2, .state = PSTATE_GROWING },
		{ .t = 6, .rows = { DOCKER_ROW(600) }, .build_end = 2, .state = PSTATE_GROWING },
		{ .t = 8, .rows = { DOCKER_ROW(600) }, .build_end = 2, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "an event from before the episode is no hint", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) }, .build_end = 1 },
		{ .t = 3, .rows = { DOCKER_ROW(200) }, .build_end = 1, .state = PSTATE_GROWING },
		{ .t = 4, .rows = { DOCKER_ROW(400) }, .build_end = 1, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(400) }, .build_end = 1, .state = PSTATE_GROWING },
		{ .t = 7, .rows = { DOCKER_ROW(400) }, .build_end = 1, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "v1 removed container: force_empty on the live parent", .memcg = MEMCG_V1, .steps = {
		{ .t = 1, .rows = { V1_REMOVED(0) } },
		{ .t = 2, .rows = { V1_REMOVED(300) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { V1_REMOVED(300) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_FORCE_EMPTY, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "dockerd in the root cgroup: no cgroup lever, fadvise", .memcg = MEMCG_V2, .data_root = true,
	  .steps = {
		{ .t = 1, .rows = { DOCKERD(0) } },
		{ .t = 2, .rows = { DOCKERD(500) }, .files = { { 11, TCLASS_DOCKER_DAEMON, 1, 100 } },
		  .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKERD(500) }, .files = { { 11, TCLASS_DOCKER_DAEMON, 1, 100 } },
		  .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_FILE_EVICT, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	/* Docker Desktop before WSL 2.9.8 (layout a): dockerd in the root
	 * cgroup, its data disk mounted in its own distro only.  The engine
	 * knows before planning that fadvise cannot open those files: no failed
	 * lever; memory.reclaim on the root cgroup finishes an episode below
	 * drop_caches_min (issue 17; docs/benchmarks.md, "layout a"). */
	{ "engine's files out of reach: no fadvise planned, the root cgroup finishes a small rest",
	  .memcg = MEMCG_V2, .data_root = true,
	  .out_of_reach = "cannot open the engine's files from this distro",
	  .steps = {
		{ .t = 1, .rows = { DOCKERD(0) } },
		{ .t = 2, .rows = { DOCKERD(500) }, .files = { { 11, TCLASS_DOCKER_DAEMON, 1, 100 } },
		  .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKERD(500) }, .files = { { 11, TCLASS_DOCKER_DAEMON, 1, 100 } },
		  .state = PSTATE_RECLAIM, .ex = {
			{ "finish", true, LEVER_MEMCG_RECLAIM, ALL, 0, false, true },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	/* WSL 2.9.13: "/" is this distro's own cgroup; the root is reached by id. */
	{ "a cgroup namespace: the root cgroup by id when drop_caches may not run",
	  .memcg = MEMCG_V2, .set = { "drop_caches=no" }, .root_by_id = true,
	  .steps = {
		{ .t = 1, .rows = { NO_TARGET(0) } },
		{ .t = 2, .rows = { NO_TARGET(500) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { NO_TARGET(500) }, .state = PSTATE_RECLAIM, .ex = {
			{ "finish", true, LEVER_MEMCG_RECLAIM, ALL, 0, false, true },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	/* A large rest: drop_caches, the hot set read back; the root's reclaim
	 * only when that returned too little. */
	{ "a large rest: drop_caches first, then the root cgroup", .memcg = MEMCG_V2,
	  .set = { "drop_caches_min=64M" }, .steps = {
		{ .t = 1, .rows = { NO_TARGET(0) } },
		{ .t = 2, .rows = { NO_TARGET(500) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { NO_TARGET(500) }, .state = PSTATE_RECLAIM, .ex = {
			{ "last-resort", true, LEVER_DROP_CACHES, 100 },
			{ "finish", true, LEVER_MEMCG_RECLAIM, ALL, 0, false, true },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "a lever that fails falls to the next, and backs off next time", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(400) },
		  .files = { { 11, TCLASS_DOCKER_BUILD, 7, 400 } }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(400) },
		  .files = { { 11, TCLASS_DOCKER_BUILD, 7, 400 } }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, 0, -EBUSY },
			{ "fallback", true, LEVER_FILE_EVICT, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
		/* A second episode within the back-off: memory.reclaim is skipped. */
		{ .t = 6, .rows = { DOCKER_ROW(800) }, .state = PSTATE_GROWING },
		{ .t = 9, .rows = { DOCKER_ROW(800) },
		  .files = { { 11, TCLASS_DOCKER_BUILD, 7, 800 } }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_FILE_EVICT, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "EAGAIN (exhausted) is not a failure: no back-off", .set = { "drop_caches_min=64M" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, 0, 0, true },
			{ "last-resort", true, LEVER_DROP_CACHES, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
		{ .t = 6, .rows = { DOCKER_ROW(800) }, .state = PSTATE_GROWING },
		{ .t = 9, .rows = { DOCKER_ROW(800) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "last resort: nothing targeted reaches; then the interval holds it", .set = { "drop_caches_min=64M" }, .memcg = MEMCG_V2,
	  .steps = {
		{ .t = 1, .rows = { NO_TARGET(0) } },
		{ .t = 2, .rows = { NO_TARGET(400) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { NO_TARGET(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "last-resort", true, LEVER_DROP_CACHES, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
		/* Within drop_caches_min_interval: the root's reclaim instead. */
		{ .t = 6, .rows = { NO_TARGET(800) }, .state = PSTATE_GROWING },
		{ .t = 9, .rows = { NO_TARGET(800) }, .state = PSTATE_RECLAIM, .ex = {
			{ "finish", true, LEVER_MEMCG_RECLAIM, 0, 0, false, true },
			{ "no-lever" } } },
		{ .t = 10, .rows = { NO_TARGET(800) }, .state = PSTATE_IDLE },
	} },
	{ "less than drop_caches_min left: no drop_caches", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { NO_TARGET(0) } },
		{ .t = 2, .rows = { NO_TARGET(400) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { NO_TARGET(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "finish", true, LEVER_MEMCG_RECLAIM, 0, 0, false, true }, { "no-lever" } } },
	} },
	{ "drop_caches=no: no lever", .set = { "drop_caches=no" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { NO_TARGET(0) } },
		{ .t = 2, .rows = { NO_TARGET(400) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { NO_TARGET(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "finish", true, LEVER_MEMCG_RECLAIM, 0, 0, false, true }, { "no-lever" } } },
	} },
	{ "targeted levers returned little: drop_caches after them",
	  .set = { "drop_caches_min=64M", "drop_behind=no" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(1000) },
		  .files = { { 11, TCLASS_DOCKER_BUILD, 7, 1000 } }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(1000) },
		  .files = { { 11, TCLASS_DOCKER_BUILD, 7, 1000 } }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, 100 },
			{ "fallback", true, LEVER_FILE_EVICT, 100 },
			/* memory.reclaim returned too little on the episode's own
			 * cgroups: it backs off, the root's too. */
			{ "last-resort", true, LEVER_DROP_CACHES, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "finish_share came back from the targeted levers: nothing to finish",
	  .set = { "drop_behind=no" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(1000) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(1000) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, 900 },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "PSI full above the limit holds the episode", .memcg = MEMCG_V2, .steps = {
		GROW_V2,
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .psi = 25, .state = PSTATE_RECLAIM,
		  .ex = { { "psi" } } },
		{ .t = 7, .rows = { DOCKER_ROW(400) }, .psi = 2, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	/* Issue 18: on a fresh VM the build's cache is nearly all there is; the
	 * floor guards the user's cache, not the build's. */
	{ "the floor counts only cache outside the episode", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) }, .cache = 300 },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .cache = 420, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(400) }, .cache = 420, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .cache = 20, .state = PSTATE_IDLE },
	} },
	{ "the floor keeps the cache outside the episode from drop_caches", .memcg = MEMCG_V2,
	  .set = { "drop_caches_min=64M" }, .steps = {
		{ .t = 1, .rows = { NO_TARGET(0) } },
		{ .t = 2, .rows = { NO_TARGET(400) }, .cache = 600, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { NO_TARGET(400) }, .cache = 600, .state = PSTATE_RECLAIM, .ex = {
			{ "finish", true, LEVER_MEMCG_RECLAIM, 0, 0, false, true },
			{ "no-lever" } } },
	} },
	/* Issue 18's fresh VM: a 400 MiB build in a docker/<id> cgroup is
	 * nearly all the cache; force_empty empties only what the episode holds. */
	{ "fresh VM: force_empty of the build's cgroup, the floor notwithstanding", .memcg = MEMCG_V1,
	  .steps = {
		{ .t = 1, .rows = { V1_REMOVED(0) }, .cache = 60 },
		{ .t = 2, .rows = { V1_REMOVED(400) }, .cache = 456, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { { 7, TCLASS_DOCKER_CONTAINER, 400, 0, "/docker/c1", NULL, "/docker",
				      false, 400 } }, .cache = 456, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_FORCE_EMPTY, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	/* /docker also holds 300 MiB of other containers: force_empty would take
	 * the user's cache below the floor. */
	{ "force_empty would go below the floor: next lever", .memcg = MEMCG_V1, .steps = {
		{ .t = 1, .rows = { V1_REMOVED(0) } },
		{ .t = 2, .rows = { V1_REMOVED(400) },
		  .files = { { 11, TCLASS_DOCKER_CONTAINER, 7, 400 } }, .cache = 756,
		  .state = PSTATE_GROWING },
		{ .t = 5, .rows = { { 7, TCLASS_DOCKER_CONTAINER, 400, 0, "/docker/c1", NULL, "/docker",
				      false, 700 } },
		  .files = { { 11, TCLASS_DOCKER_CONTAINER, 7, 400 } }, .cache = 756,
		  .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_FILE_EVICT, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "force_empty judged on what its target holds, not on the estimate", .memcg = MEMCG_V1,
	  .steps = {
		{ .t = 1, .rows = { V1_REMOVED(0) }, .cache = 600 },
		{ .t = 2, .rows = { V1_REMOVED(500) }, .cache = 600, .state = PSTATE_GROWING },
		/* Someone dropped part of it meanwhile: /docker holds 300 MiB. */
		{ .t = 5, .rows = { { 7, TCLASS_DOCKER_CONTAINER, 500, 0, "/docker/c1", NULL, "/docker",
				      false, 300 } }, .cache = 600, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_FORCE_EMPTY, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "force_empty skipped when its target holds more than the room", .memcg = MEMCG_V1,
	  .data_root = true, .steps = {
		{ .t = 1, .rows = { V1_REMOVED(0) }, .cache = 1000 },
		{ .t = 2, .rows = { V1_REMOVED(300) }, .cache = 1000, .state = PSTATE_GROWING },
		/* /docker also holds running containers' cache: 900 MiB in all. */
		{ .t = 5, .rows = { { 7, TCLASS_DOCKER_CONTAINER, 300, 0, "/docker/c1", NULL, "/docker",
				      false, 900 } }, .cache = 1000, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_FILE_EVICT, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "growth again during reclaim waits again", .set = { "drop_behind=no" }, .memcg = MEMCG_V2,
	  .steps = {
		GROW_V2,
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .psi = 50, .state = PSTATE_RECLAIM,
		  .ex = { { "psi" } } },
		{ .t = 7, .rows = { DOCKER_ROW(600) }, .state = PSTATE_GROWING, .ex = { { "growing" } } },
		{ .t = 10, .rows = { DOCKER_ROW(600) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "an episode below episode_min is left alone", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(30) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(30) }, .state = PSTATE_IDLE, .ex = { { "idle" } } },
	} },
	{ "slow growth is not an episode; class other never is", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0), { 1, TCLASS_OTHER, 0, 0, "/", "/" } } },
		{ .t = 2, .rows = { DOCKER_ROW(1), { 1, TCLASS_OTHER, 900, 0, "/", "/" } },
		  .state = PSTATE_IDLE },
	} },
	{ "a cgroup whose row changes class is not new growth", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { { 7, TCLASS_DOCKER_CONTAINER, 400, 0, "/docker/c1", "/docker/c1" } } },
		{ .t = 2, .rows = { { 7, TCLASS_DOCKER_BUILD, 400, 0, "/docker/c1", "/docker/c1" } },
		  .state = PSTATE_IDLE },
		/* Split over two classes, summed: 100 MiB of growth. */
		{ .t = 3, .rows = { { 7, TCLASS_DOCKER_BUILD, 300, 0, "/docker/c1", "/docker/c1" },
				    { 7, TCLASS_DOCKER_DAEMON, 200, 0, "/docker/c1", "/docker/c1" } },
		  .state = PSTATE_GROWING },
		{ .t = 6, .rows = { { 7, TCLASS_DOCKER_BUILD, 300, 0, "/docker/c1", "/docker/c1" },
				    { 7, TCLASS_DOCKER_DAEMON, 200, 0, "/docker/c1", "/docker/c1" } },
		  .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "pages removed during the episode are not reclaimed again", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { { 7, TCLASS_DOCKER_BUILD, 400, 390, "/docker/c1", "/docker/c1" } },
		  .state = PSTATE_IDLE },
	} },
	{ "a frozen cgroup is left alone", .set = { "drop_caches_min=64M" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { { 7, TCLASS_DOCKER_BUILD, 0, 0, "/docker/c1", "/docker/c1", NULL, true } } },
		{ .t = 2, .rows = { { 7, TCLASS_DOCKER_BUILD, 400, 0, "/docker/c1", "/docker/c1", NULL, true } },
		  .state = PSTATE_GROWING },
		/* Not memory.reclaim on the root either: it would walk the frozen
		 * cgroup (WSL's gradual reclaim beside Resource Saver hangs). */
		{ .t = 5, .rows = { { 7, TCLASS_DOCKER_BUILD, 400, 0, "/docker/c1", "/docker/c1", NULL, true } },
		  .state = PSTATE_RECLAIM, .ex = {
			{ "last-resort", true, LEVER_DROP_CACHES, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	/* Issue 18: a build that outgrows drop_behind_min gives back what it
	 * wrote in bounded steps while it runs, backs off when refaults rise,
	 * and leaves the episode's own levers untouched for its end. */
	{ "drop-behind: bounded steps while the build runs, back-off on refaults", .memcg = MEMCG_V2,
	  .set = { "drop_behind=yes", "drop_behind_min=512M", "drop_behind_share=0.2",
		   "drop_behind_interval=2s" },
	  .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
		{ .t = 3, .rows = { DOCKER_ROW(800) }, .build = true, .state = PSTATE_GROWING, .ex = {
			{ "drop-behind", true, LEVER_MEMCG_RECLAIM, 256 } } },
		/* The next step waits drop_behind_interval. */
		{ .t = 4, .rows = { DB_ROW(1000, 256) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
		{ .t = 5, .rows = { DB_ROW(1200, 256) }, .build = true, .state = PSTATE_GROWING, .ex = {
			{ "drop-behind", true, LEVER_MEMCG_RECLAIM, 256 } } },
		/* 300 MiB of refaults in 2 s: the build reads back what went. */
		{ .t = 7, .rows = { DB_ROW(1600, 512) }, .refault = 300, .build = true,
		  .state = PSTATE_GROWING, .ex = { { "refaults" } } },
		{ .t = 9, .rows = { DB_ROW(1600, 512) }, .refault = 300, .build = true,
		  .state = PSTATE_GROWING, .ex = { { "growing" } } },
		/* The build's end: memory.reclaim is not backed off. */
		{ .t = 10, .rows = { DB_ROW(1600, 512) }, .refault = 300, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	/* auto, the default: the re-reads drop-behind causes are paid only
	 * while Windows needs the memory.  On 88ca800 nothing gave back while
	 * a build ran, however low Windows was. */
	{ "drop-behind auto: only while Windows is low on memory", .memcg = MEMCG_V2,
	  .set = { "drop_behind_min=512M", "drop_behind_share=0.2" },
	  .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
		{ .t = 3, .rows = { DOCKER_ROW(800) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
		{ .t = 4, .rows = { DOCKER_ROW(1000) }, .build = true, .host_low = true,
		  .state = PSTATE_GROWING, .ex = { { "drop-behind", true, LEVER_MEMCG_RECLAIM, 256 } } },
		{ .t = 6, .rows = { DB_ROW(1200, 256) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
	} },
	{ "drop-behind: below drop_behind_min", .set = { "drop_behind=yes" }, .memcg = MEMCG_V2,
	  .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(500) }, .build = true, .state = PSTATE_GROWING },
		{ .t = 3, .rows = { DOCKER_ROW(1000) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
	} },
	{ "drop-behind off", .set = { "drop_behind=no", "drop_behind_min=256M" }, .memcg = MEMCG_V2,
	  .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(500) }, .build = true, .state = PSTATE_GROWING },
		{ .t = 3, .rows = { DOCKER_ROW(1000) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
	} },
	{ "drop-behind: never on cgroup v1", .set = { "drop_behind=yes", "drop_behind_min=256M" },
	  .memcg = MEMCG_V1,
	  .steps = {
		{ .t = 1, .rows = { V1_REMOVED(0) } },
		{ .t = 2, .rows = { V1_REMOVED(500) }, .build = true, .state = PSTATE_GROWING },
		{ .t = 3, .rows = { V1_REMOVED(1000) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
	} },
	{ "drop-behind: never on the root cgroup (layout a)",
	  .set = { "drop_behind=yes", "drop_behind_min=256M" },
	  .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKERD(0) } },
		{ .t = 2, .rows = { DOCKERD(500) }, .build = true, .state = PSTATE_GROWING },
		{ .t = 3, .rows = { DOCKERD(1000) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
	} },
	{ "a follower decides but never acts", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) }, .follower = true },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .follower = true, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(400) }, .follower = true, .state = PSTATE_RECLAIM,
		  .ex = { { "follower" } } },
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .follower = true, .state = PSTATE_IDLE,
		  .ex = { { "idle" } } },
	} },
	{ "mode=off never acts", .set = { "mode=off" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .state = PSTATE_IDLE, .ex = { { "idle" } } },
		{ .t = 3, .rows = { DOCKER_ROW(400) }, .host_low = true, .state = PSTATE_IDLE,
		  .ex = { { "idle" } } },
	} },
	{ "no /proc/meminfo: not acting blind", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(400) }, .no_meminfo = true, .state = PSTATE_RECLAIM,
		  .ex = { { "no-meminfo" } } },
	} },
	{ "dry-run: each lever taken to return what it targeted", .memcg = MEMCG_V2, .dry_run = true,
	  .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) } },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { DOCKER_ROW(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, 0 },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "host low: build-attributed first, then the root cgroup, backing off on refaults",
	  .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(400) }, .state = PSTATE_IDLE },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .host_low = true, .state = PSTATE_HOST, .ex = {
			{ "host-low", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "host-wait" } } },
		{ .t = 4, .rows = { { 7, TCLASS_DOCKER_BUILD, 400, 256, "/docker/c1", "/docker/c1" } },
		  .host_low = true, .state = PSTATE_HOST, .ex = {
			{ "host-low", true, LEVER_MEMCG_RECLAIM, 1 },
			{ "host-wait" } } },
		/* memory.reclaim on the build returned too little: next lever, then root. */
		{ .t = 6, .rows = { { 7, TCLASS_DOCKER_BUILD, 400, 256, "/docker/c1", "/docker/c1" } },
		  .host_low = true, .state = PSTATE_HOST, .ex = {
			{ "host-low-root", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "host-wait" } } },
		{ .t = 8, .rows = { DOCKER_ROW(400) }, .host_low = true, .refault = 500,
		  .state = PSTATE_HOST, .ex = { { "refaults" } } },
		{ .t = 9, .rows = { DOCKER_ROW(400) }, .host_low = true, .refault = 500,
		  .state = PSTATE_HOST, .ex = { { "host-wait" } } },
		{ .t = 40, .rows = { DOCKER_ROW(400) }, .host_low = true, .refault = 500,
		  .state = PSTATE_HOST, .ex = {
			{ "host-low-root", true, LEVER_MEMCG_RECLAIM, 0, -EIO },
			{ "host-wait" } } },
		{ .t = 43, .rows = { DOCKER_ROW(400) }, .host_low = true, .refault = 500,
		  .state = PSTATE_HOST, .ex = { { "host-low-no-lever" } } },
		{ .t = 44, .rows = { DOCKER_ROW(400) }, .psi = 30, .host_low = true, .refault = 500,
		  .state = PSTATE_HOST, .ex = { { "psi" } } },
		{ .t = 45, .rows = { DOCKER_ROW(400) }, .state = PSTATE_IDLE, .ex = { { "idle" } } },
	} },
	{ "host low on cgroup v1: no root lever; at the floor: wait", .memcg = MEMCG_V1, .steps = {
		{ .t = 1, .rows = { V1_REMOVED(0) }, .host_low = true, .state = PSTATE_HOST, .ex = {
			{ "host-low-no-lever" } } },
		{ .t = 2, .rows = { V1_REMOVED(0) }, .host_low = true, .cache = 260,
		  .state = PSTATE_HOST, .ex = { { "floor" } } },
	} },
	{ "a build during host pressure is an episode", .memcg = MEMCG_V2, .steps = {
		/* Nothing attributed holds cache yet: the root cgroup's step. */
		{ .t = 1, .rows = { DOCKER_ROW(0) }, .host_low = true, .state = PSTATE_HOST, .ex = {
			{ "host-low-root", true, LEVER_MEMCG_RECLAIM, ALL }, { "host-wait" } } },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .host_low = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
	} },
	{ "wsl-idle: drop_caches after 20 idle polls, once; compaction every idle poll",
	  .set = { "mode=wsl-idle", "wsl_idle_samples=3" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 0, .user_ticks = 1000, .ex = { { "wsl-idle-wait" } } },
		/* 2 CPUs x 100 ticks x 30 s x 0.5 % = 30 ticks: busy. */
		{ .t = 30, .user_ticks = 1100, .ex = { { "wsl-idle-wait" } } },
		{ .t = 60, .user_ticks = 1110, .ex = {
			{ "wsl-idle", true, LEVER_COMPACT, 0 }, { "wsl-idle-wait" } } },
		{ .t = 70, .user_ticks = 1110, .ex = { { "wsl-idle-wait" } } },
		{ .t = 90, .user_ticks = 1120, .ex = {
			{ "wsl-idle", true, LEVER_COMPACT, 0 }, { "wsl-idle-wait" } } },
		{ .t = 120, .user_ticks = 1130, .ex = {
			{ "wsl-idle", true, LEVER_DROP_CACHES, ALL },
			{ "wsl-idle", true, LEVER_COMPACT, 0 }, { "wsl-idle-wait" } } },
		{ .t = 150, .user_ticks = 1130, .ex = {
			{ "wsl-idle", true, LEVER_COMPACT, 0 }, { "wsl-idle-wait" } } },
		/* Busy again: a new idle period may drop again. */
		{ .t = 180, .user_ticks = 9000, .ex = { { "wsl-idle-wait" } } },
		{ .t = 210, .user_ticks = 9000, .ex = {
			{ "wsl-idle", true, LEVER_COMPACT, 0 }, { "wsl-idle-wait" } } },
		{ .t = 240, .user_ticks = 9000, .ex = {
			{ "wsl-idle", true, LEVER_COMPACT, 0 }, { "wsl-idle-wait" } } },
		{ .t = 270, .user_ticks = 9000, .ex = {
			{ "wsl-idle", true, LEVER_DROP_CACHES, ALL },
			{ "wsl-idle", true, LEVER_COMPACT, 0 }, { "wsl-idle-wait" } } },
	} },
	{ "compact=no: done after the lever", .set = { "compact=no" }, .memcg = MEMCG_V2, .steps = {
		GROW_V2,
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "done" } } },
	} },
	{ "the episode's pages went on their own: nothing left", .memcg = MEMCG_V2, .steps = {
		GROW_V2,
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .psi = 90, .state = PSTATE_RECLAIM,
		  .ex = { { "psi" } } },
		{ .t = 7, .rows = { { 7, TCLASS_DOCKER_BUILD, 400, 395, "/docker/c1", "/docker/c1" } },
		  .state = PSTATE_RECLAIM, .ex = { { "nothing-left" } } },
	} },
	{ "a lever that reaches too little is skipped", .set = { "drop_caches_min=64M" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { { 8, TCLASS_DOCKER_BUILD, 0, 0, "/docker/c2", "/docker/c2" },
				    NO_TARGET(0) } },
		{ .t = 2, .rows = { { 8, TCLASS_DOCKER_BUILD, 10, 0, "/docker/c2", "/docker/c2" },
				    NO_TARGET(400) }, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { { 8, TCLASS_DOCKER_BUILD, 10, 0, "/docker/c2", "/docker/c2" },
				    NO_TARGET(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "last-resort", true, LEVER_DROP_CACHES, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "drop_caches cannot keep the floor: not used when it binds", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { NO_TARGET(0) }, .cache = 500 },
		{ .t = 2, .rows = { NO_TARGET(400) }, .cache = 500, .state = PSTATE_GROWING },
		{ .t = 5, .rows = { NO_TARGET(400) }, .cache = 500, .state = PSTATE_RECLAIM, .ex = {
			{ "finish", true, LEVER_MEMCG_RECLAIM, 0, 0, false, true },
			{ "no-lever" } } },
	} },
	{ "wsl-idle follower: never drops", .set = { "mode=wsl-idle", "wsl_idle_samples=1" },
	  .memcg = MEMCG_V2, .steps = {
		{ .t = 0, .user_ticks = 1000, .follower = true, .ex = { { "wsl-idle-wait" } } },
		{ .t = 30, .user_ticks = 1000, .follower = true, .ex = {
			{ "follower" }, { "wsl-idle-wait" } } },
		{ .t = 31, .user_ticks = 1000, .follower = true, .ex = { { "wsl-idle-wait" } } },
	} },
	{ "host low, follower and no meminfo", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(400) }, .host_low = true, .follower = true,
		  .state = PSTATE_HOST, .ex = { { "follower" }, { "host-wait" } } },
		{ .t = 4, .rows = { DOCKER_ROW(400) }, .host_low = true, .no_meminfo = true,
		  .state = PSTATE_HOST, .ex = { { "no-meminfo" } } },
	} },
	{ "a running build holds its episode open, then it ends as usual", .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) }, .build = true },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .build = true, .state = PSTATE_GROWING },
		/* Quiet for long, and Docker said a build finished: still held. */
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .build = true, .build_end = 3,
		  .state = PSTATE_GROWING, .ex = { { "growing" } } },
		{ .t = 60, .rows = { DOCKER_ROW(400) }, .build = true, .build_end = 3,
		  .state = PSTATE_GROWING, .ex = { { "growing" } } },
		{ .t = 61, .rows = { DOCKER_ROW(400) }, .build_end = 3, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "a build starting while the episode waits to be reclaimed holds it again", .memcg = MEMCG_V2,
	  .steps = {
		GROW_V2,
		{ .t = 6, .rows = { DOCKER_ROW(400) }, .psi = 50, .state = PSTATE_RECLAIM,
		  .ex = { { "psi" } } },
		{ .t = 7, .rows = { DOCKER_ROW(400) }, .build = true, .state = PSTATE_GROWING,
		  .ex = { { "growing" } } },
		{ .t = 8, .rows = { DOCKER_ROW(400) }, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "build_hold_max bounds the hold of a build that never seems to end",
	  .set = { "build_hold_max=20s" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) }, .build = true },
		{ .t = 2, .rows = { DOCKER_ROW(400) }, .build = true, .state = PSTATE_GROWING },
		{ .t = 20, .rows = { DOCKER_ROW(400) }, .build = true, .state = PSTATE_GROWING },
		/* The episode began at 1 (the sample before its growth): 20 s later. */
		{ .t = 21, .rows = { DOCKER_ROW(400) }, .build = true, .state = PSTATE_RECLAIM, .ex = {
			{ "episode-end", true, LEVER_MEMCG_RECLAIM, ALL },
			{ "compact", true, LEVER_COMPACT, 0 },
			{ "done" } } },
	} },
	{ "wsl-idle ignores build episodes", .set = { "mode=wsl-idle" }, .memcg = MEMCG_V2, .steps = {
		{ .t = 1, .rows = { DOCKER_ROW(0) }, .user_ticks = 5 },
		{ .t = 2, .rows = { DOCKER_ROW(900) }, .user_ticks = 5, .state = PSTATE_IDLE,
		  .ex = { { "wsl-idle-wait" } } },
	} },
};

/* The growth of each row in the last interval, as the ledger would give
 * it: a row's gain over the previous sample (all of it for a new row), no
 * more than its cgroup gained in all its classes (a process found to be of
 * another class moves bytes between rows, it adds none).  A cgroup whose
 * sum went down was re-created: all of it is new. */
static void ledger_like_last(struct policy_cgroup *rows, size_t n, const struct policy_cgroup *prev,
			     size_t np)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t now_a = 0, now_r = 0, was_a = 0, was_r = 0, left_a, left_r;
		bool first = true;

		for (size_t j = 0; j < i; j++)
			first &= rows[j].cgid != rows[i].cgid;
		if (!first)
			continue;
		for (size_t j = i; j < n; j++)
			if (rows[j].cgid == rows[i].cgid) {
				now_a += rows[j].added;
				now_r += rows[j].removed;
			}
		for (size_t j = 0; j < np; j++)
			if (prev[j].cgid == rows[i].cgid) {
				was_a += prev[j].added;
				was_r += prev[j].removed;
			}
		left_a = now_a >= was_a ? now_a - was_a : now_a;
		left_r = now_r >= was_r ? now_r - was_r : now_r;
		for (size_t j = i; j < n; j++) {
			const struct policy_cgroup *p = NULL;
			uint64_t a, r;

			if (rows[j].cgid != rows[i].cgid)
				continue;
			for (size_t k = 0; k < np; k++)
				if (prev[k].cgid == rows[j].cgid && prev[k].class == rows[j].class)
					p = &prev[k];
			a = !p ? rows[j].added : rows[j].added > p->added ? rows[j].added - p->added : 0;
			r = !p ? rows[j].removed
			       : rows[j].removed > p->removed ? rows[j].removed - p->removed : 0;
			rows[j].added_last = a < left_a ? a : left_a;
			rows[j].removed_last = r < left_r ? r : left_r;
			left_a -= rows[j].added_last;
			left_r -= rows[j].removed_last;
		}
	}
}

static void fill_obs(const struct scenario *sc, const struct tstep *st, struct policy_obs *o,
		     struct policy_cgroup *rows, struct policy_file *files)
{
	memset(o, 0, sizeof(*o));
	o->now_ns = st->t * S + S;  /* never 0 */
	o->realtime_ns = 1700000000ull * S + o->now_ns;
	o->leader = !st->follower;
	o->tracker = true;
	o->mem_known = !st->no_meminfo;
	o->page_cache = MI(st->cache ? st->cache : 4096);
	o->mem_free = MI(8192);
	o->psi_known = true;
	o->psi_full_avg10 = st->psi;
	o->refault_known = true;
	o->refault_bytes = MI(st->refault);
	o->memcg = sc->memcg;
	o->docker_root = sc->data_root ? "/var/lib/docker" : NULL;
	o->files_out_of_reach = sc->out_of_reach;
	o->root_by_id = sc->root_by_id;
	o->host_low = st->host_low;
	o->build_end_ns = st->build_end ? st->build_end * S + S : 0;  /* the now_ns scale */
	o->build_running = st->build;
	o->cpu_known = true;
	o->cpu_user_ticks = st->user_ticks;
	o->nprocs = 2;
	o->clk_tck = 100;
	for (size_t i = 0; i < MAXR && (st->rows[i].cgid || st->rows[i].path); i++) {
		rows[i] = (struct policy_cgroup){ .cgid = st->rows[i].cgid, .class = st->rows[i].class,
						  .added = MI(st->rows[i].added),
						  .removed = MI(st->rows[i].removed),
						  .path = st->rows[i].path, .v2_target = st->rows[i].v2,
						  .v1_target = st->rows[i].v1, .frozen = st->rows[i].frozen,
						  .target_cache_known = st->rows[i].held > 0,
						  .target_cache = MI(st->rows[i].held) };
		o->ncgroups++;
	}
	for (size_t i = 0; i < MAXR && st->files[i].ino; i++) {
		files[i] = (struct policy_file){ .dev = 8, .ino = st->files[i].ino, .gen = 1,
						 .owner_cgid = st->files[i].owner,
						 .class = st->files[i].class, .added = MI(st->files[i].added) };
		o->nfiles++;
	}
	o->cgroups = rows;
	o->files = files;
}

static void decide_step(const struct scenario *sc, const struct tstep *st,
			const struct policy_config *c, struct policy_history *h,
			const struct policy_obs *o)
{
	size_t x = 0;

	do {
		const struct texpect *e = &st->ex[x];
		struct policy_decision d;
		struct action_result r = { 0 };

		assert_int_equal(policy_decide(c, h, o, &d), 0);
		if (!e->reason) {
			/* Nothing listed for this sample: it must not act. */
			if (d.verdict == POLICY_ACT)
				fail_msg("%s: t=%u: acted (%s, %s: %s), expected no action", sc->name,
					 st->t, lever_name(d.req.lever), d.reason, d.detail);
			policy_decision_free(&d);
			return;
		}
		if (strcmp(d.reason, e->reason) || (d.verdict == POLICY_ACT) != e->act ||
		    (e->act && d.req.lever != e->lever))
			fail_msg("%s: t=%u decision %zu: %s %s (%s), expected %s %s", sc->name, st->t, x,
				 d.verdict == POLICY_ACT ? lever_name(d.req.lever) : "none", d.reason,
				 d.detail, e->act ? lever_name(e->lever) : "none", e->reason);
		if (d.verdict == POLICY_ACT) {
			/* Every acting decision is a request the lever can run. */
			assert_int_equal(d.req.max_duration_ns, c->action_timeout_ns);
			if (e->root && (d.req.ncgroups != 1 ||
					(sc->root_by_id ? d.req.cgroups[0].cgid != 1 || d.req.cgroups[0].v2_path
							: !d.req.cgroups[0].v2_path ||
								  strcmp(d.req.cgroups[0].v2_path, "/"))))
				fail_msg("%s: t=%u decision %zu: not the kernel's root cgroup %s", sc->name,
					 st->t, x, sc->root_by_id ? "by id" : "by path");
			if (e->root && (!d.req.sync_first || !d.req.restore_hot_set))
				fail_msg("%s: t=%u decision %zu: the root's finish without a sync first "
					 "or the hot set read back after", sc->name, st->t, x);
			r.lever = d.req.lever;
			r.dry_run = sc->dry_run;
			r.bytes_targeted = d.bytes_targeted;
			r.bytes_returned = e->ret == ALL ? d.bytes_targeted : MI(e->ret);
			r.error = e->err;
			r.exhausted = e->exhausted;
			policy_record(c, h, &d, &r, o->now_ns);
		}
		policy_decision_free(&d);
	} while (++x < MAXX && st->ex[x].reason);
}

static void test_scenario(void **state)
{
	const struct scenario *sc = *state;
	struct policy_cgroup rows[2][MAXR];
	struct policy_file files[MAXR];
	struct policy_config c;
	struct policy_history h;
	size_t nprev = 0;
	uint64_t prev_ns = 0;
	char err[256];

	policy_config_default(&c);
	/* The scenarios' episodes are a few hundred MiB: drop-behind starts
	 * above 1 GiB here unless a scenario says otherwise. */
	assert_int_equal(policy_config_set(&c, "drop_behind_min=1G", err, sizeof(err)), 0);
	for (size_t i = 0; i < 4 && sc->set[i]; i++)
		assert_int_equal(policy_config_set(&c, sc->set[i], err, sizeof(err)), 0);
	policy_init(&h);
	for (size_t s = 0; s < MAXSTEPS; s++) {
		const struct tstep *st = &sc->steps[s];
		struct policy_cgroup *now = rows[s % 2], *prev = rows[(s + 1) % 2];
		struct policy_obs o;

		if (s && !st->t)
			break;
		fill_obs(sc, st, &o, now, files);
		ledger_like_last(now, o.ncgroups, prev, nprev);
		o.interval_ns = prev_ns ? o.now_ns - prev_ns : 0;
		assert_int_equal(policy_observe(&c, &h, &o), 0);
		if (h.state != st->state)
			fail_msg("%s: t=%u: state %s, expected %s", sc->name, st->t,
				 policy_state_name(h.state), policy_state_name(st->state));
		decide_step(sc, st, &c, &h, &o);
		nprev = o.ncgroups;
		prev_ns = o.now_ns;
	}
	policy_history_free(&h);
}

/* ---- the requests handed to the levers ---- */

static struct policy_history h;
static struct policy_config cfg;

static const char *data_root;
static struct policy_cgroup fed[8], fed_prev[8];
static size_t nfed_prev;
static struct policy_file fed_files[8], fed_files_prev[8];
static size_t nfed_files_prev;
static bool fed_host_low;  /* the bridge says Windows is low on memory */

static void feed(uint64_t t, const struct policy_cgroup *rows, size_t nrows,
		 const struct policy_file *files, size_t nfiles, enum memcg_mode memcg,
		 struct policy_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->now_ns = t * S;
	o->realtime_ns = 1700000000ull * S + t * S;
	o->leader = o->tracker = o->mem_known = true;
	o->page_cache = MI(4096);
	o->memcg = memcg;
	o->docker_root = data_root;
	o->host_low = fed_host_low;
	o->ncgroups = nrows;
	o->nfiles = nfiles;
	/* The rows and files as the engine hands them: with their growth
	 * since the previous feed (none before the first of a history). */
	assert_true(nrows <= ELEMENTSOF(fed) && nfiles <= ELEMENTSOF(fed_files));
	if (!h.have_prev)
		nfed_files_prev = 0;  /* a new history: every file is new */
	memcpy(fed, rows, nrows * sizeof(*rows));
	for (size_t i = 0; i < nfiles; i++) {
		fed_files[i] = files[i];
		fed_files[i].added_last = files[i].added;
		for (size_t j = 0; j < nfed_files_prev; j++)
			if (fed_files_prev[j].ino == files[i].ino)
				fed_files[i].added_last = files[i].added > fed_files_prev[j].added
							  ? files[i].added - fed_files_prev[j].added : 0;
	}
	o->files = fed_files;
	ledger_like_last(fed, nrows, fed_prev, h.have_prev ? nfed_prev : 0);
	o->cgroups = fed;
	o->interval_ns = h.have_prev ? o->now_ns - h.prev_ns : 0;
	assert_int_equal(policy_observe(&cfg, &h, o), 0);
	memcpy(fed_prev, fed, nrows * sizeof(*rows));
	nfed_prev = nrows;
	/* A file not fed this time keeps its last figures (the ledger keeps it). */
	for (size_t i = 0; i < nfiles; i++) {
		size_t j;

		for (j = 0; j < nfed_files_prev && fed_files_prev[j].ino != fed_files[i].ino; j++)
			;
		if (j == ELEMENTSOF(fed_files_prev))
			continue;
		fed_files_prev[j] = fed_files[i];
		if (j == nfed_files_prev)
			nfed_files_prev++;
	}
}

static void test_fadvise_request(void **state)
{
	struct policy_cgroup rows[] = {
		{ .cgid = 1, .class = TCLASS_DOCKER_DAEMON, .path = "/", .v2_target = "/" },
		{ .cgid = 1, .class = TCLASS_OTHER, .path = "/", .v2_target = "/" },
	};
	struct policy_file files[] = {
		{ .dev = 8, .ino = 10, .gen = 3, .owner_cgid = 1, .class = TCLASS_DOCKER_DAEMON },
		{ .dev = 8, .ino = 11, .gen = 3, .owner_cgid = 1, .class = TCLASS_DOCKER_DAEMON },
		{ .dev = 8, .ino = 12, .gen = 3, .owner_cgid = 1, .class = TCLASS_DOCKER_DAEMON },
		{ .dev = 8, .ino = 13, .gen = 3, .owner_cgid = 1, .class = TCLASS_OTHER },
		{ .dev = 8, .ino = 14, .gen = 3, .owner_cgid = 99, .class = TCLASS_DOCKER_CONTAINER },
	};
	struct policy_decision d;
	struct policy_obs o;

	data_root = "/var/lib/docker";
	policy_config_default(&cfg);
	policy_init(&h);
	feed(1, rows, 2, NULL, 0, MEMCG_V2, &o);
	/* The user reads a file (class other): it is hot from now on. */
	files[3].added = MI(120);
	rows[1].added = MI(120);
	feed(2, rows, 2, &files[3], 1, MEMCG_V2, &o);
	for (int i = 0; i < 3; i++)
		files[i].added = MI(100);
	files[4].added = MI(50);
	rows[0].added = MI(300);
	feed(3, rows, 2, files, 5, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_GROWING);
	feed(6, rows, 2, files, 5, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_RECLAIM);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.verdict, POLICY_ACT);
	assert_int_equal(d.req.lever, LEVER_FILE_EVICT);
	/* The daemon's three files; not the hot one, not a running container's. */
	assert_int_equal(d.req.nfiles, 3);
	for (size_t i = 0; i < d.req.nfiles; i++) {
		assert_int_not_equal(d.req.files[i].ino, 13);
		assert_int_not_equal(d.req.files[i].ino, 14);
		assert_int_equal(d.req.files[i].gen, 3);
	}
	/* dockerd writes layers anywhere: all of overlay2/, changed since. */
	assert_int_equal(d.req.ndirs, 1);
	assert_string_equal(d.req.dirs[0], "/var/lib/docker/overlay2");
	/* Files changed since the episode began (a sample before its first growth). */
	assert_int_equal(d.req.since_ns, 1700000000ull * S + 2 * S);
	assert_int_equal(d.req.nhot, 1);
	assert_int_equal(d.req.hot[0].ino, 13);
	assert_int_equal(d.req.bytes_wanted, MI(300));
	policy_decision_free(&d);
	policy_history_free(&h);
}

/* Drop-behind keeps a share of what the build wrote; a page it gave back
 * and the build read again is one write, not two: the refaults since it
 * first looked are taken off.  Before, the keep grew with every re-read. */
static void test_drop_behind_written(void **state)
{
	struct policy_cgroup rows[] = {
		{ .cgid = 7, .class = TCLASS_DOCKER_BUILD, .path = "/docker/c1", .v2_target = "/docker/c1" },
	};
	struct action_result r = { 0 };
	struct policy_decision d;
	struct policy_obs o;
	char err[128];

	(void)state;
	data_root = "/var/lib/docker";
	policy_config_default(&cfg);
	assert_int_equal(policy_config_set(&cfg, "drop_behind=yes", err, sizeof(err)), 0);
	assert_int_equal(policy_config_set(&cfg, "drop_behind_min=64M", err, sizeof(err)), 0);
	assert_int_equal(policy_config_set(&cfg, "drop_behind_share=0.5", err, sizeof(err)), 0);
	assert_int_equal(policy_config_set(&cfg, "refault_max=1G", err, sizeof(err)), 0);
	policy_init(&h);
	feed(1, rows, 1, NULL, 0, MEMCG_V2, &o);
	rows[0].added = MI(400);
	feed(2, rows, 1, NULL, 0, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_GROWING);
	o.refault_known = true;
	o.refault_bytes = MI(1000);  /* the machine's, before the episode */
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.verdict, POLICY_ACT);
	assert_true(d.drop_behind);
	assert_int_equal(d.req.bytes_wanted, MI(200));  /* keeps half of 400 */
	r.bytes_targeted = r.bytes_returned = MI(200);
	policy_record(&cfg, &h, &d, &r, 2 * S);
	policy_decision_free(&d);
	/* 200 more written, 300 read back after the step: added 900. */
	rows[0].added = MI(900);
	rows[0].removed = MI(200);
	feed(4, rows, 1, NULL, 0, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_GROWING);
	o.refault_known = true;
	o.refault_bytes = MI(1300);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.verdict, POLICY_ACT);
	assert_true(d.drop_behind);
	/* Holds 700 of the 600 it wrote: keeps 300, not 450. */
	assert_int_equal(d.req.bytes_wanted, MI(400));
	policy_decision_free(&d);
	policy_history_free(&h);
}

/* Windows low on memory, no build-attributed cache left: memory.reclaim on
 * the root cgroup reads the hot set back, as an episode's finish does.  A
 * file the user read once is on the inactive list, which the root's
 * reclaim takes first (tests/vm/dd-b-host-low.sh saw it at 0.75 resident
 * when the host was low before the build).  On 88ca800 nothing was read
 * back. */
static void test_host_root_reads_hot_back(void **state)
{
	struct policy_cgroup rows[] = {
		{ .cgid = 1, .class = TCLASS_OTHER, .path = "/", .v2_target = "/" },
	};
	struct policy_file hot = { .dev = 8, .ino = 13, .gen = 3, .owner_cgid = 1, .class = TCLASS_OTHER };
	struct policy_decision d;
	struct policy_obs o;

	(void)state;
	data_root = "/var/lib/docker";
	policy_config_default(&cfg);
	policy_init(&h);
	feed(1, rows, 1, NULL, 0, MEMCG_V2, &o);
	hot.added = rows[0].added = MI(120);
	feed(2, rows, 1, &hot, 1, MEMCG_V2, &o);
	fed_host_low = true;
	feed(3, rows, 1, &hot, 1, MEMCG_V2, &o);
	fed_host_low = false;
	assert_int_equal(h.state, PSTATE_HOST);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.verdict, POLICY_ACT);
	assert_string_equal(d.reason, "host-low-root");
	assert_int_equal(d.req.lever, LEVER_MEMCG_RECLAIM);
	assert_int_equal(d.req.ncgroups, 1);
	assert_string_equal(d.req.cgroups[0].v2_path, "/");
	assert_true(d.req.restore_hot_set);
	assert_int_equal(d.req.restore_budget_bytes, cfg.restore_budget);
	assert_int_equal(d.req.nhot, 1);
	assert_int_equal(d.req.hot[0].ino, 13);
	policy_decision_free(&d);
	policy_history_free(&h);
}

/* A container-only episode: its files by handle, and the data root's
 * overlay2 walked for what changed since the episode began. */
static void test_container_files(void **state)
{
	struct policy_cgroup rows[] = {
		{ .cgid = 5, .class = TCLASS_DOCKER_CONTAINER, .path = "/docker/a" },
	};
	struct policy_file files[] = {
		{ .dev = 8, .ino = 10, .owner_cgid = 5, .class = TCLASS_DOCKER_CONTAINER },
		{ .dev = 8, .ino = 11, .owner_cgid = 5, .class = TCLASS_DOCKER_CONTAINER },
		{ .dev = 8, .ino = 12, .owner_cgid = 5, .class = TCLASS_DOCKER_CONTAINER },
		{ .dev = 8, .ino = 13, .owner_cgid = 5, .class = TCLASS_DOCKER_CONTAINER },
		{ .dev = 8, .ino = 14, .owner_cgid = 5, .class = TCLASS_DOCKER_CONTAINER },
	};
	struct policy_decision d;
	struct policy_obs o;

	data_root = "/var/lib/docker";
	policy_config_default(&cfg);
	policy_init(&h);
	feed(1, rows, 1, NULL, 0, MEMCG_NONE, &o);
	for (int i = 0; i < 5; i++)
		files[i].added = MI(100);
	rows[0].added = MI(500);
	feed(2, rows, 1, files, 5, MEMCG_NONE, &o);
	feed(5, rows, 1, files, 5, MEMCG_NONE, &o);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_FILE_EVICT);
	assert_int_equal(d.req.nfiles, 5);
	for (size_t i = 0; i < d.req.nfiles; i++)
		assert_null(d.req.files[i].path);
	assert_int_equal(d.req.ndirs, 1);
	assert_string_equal(d.req.dirs[0], "/var/lib/docker/overlay2");
	assert_int_equal(d.req.since_ns, 1700000000ull * S + 1 * S);
	policy_decision_free(&d);
	policy_history_free(&h);
}

static void test_cgroup_request(void **state)
{
	/* Two removed containers and a live one under /docker: the removed ones
	 * are reached through their live parent, once. */
	struct policy_cgroup rows[] = {
		{ .cgid = 5, .class = TCLASS_DOCKER_BUILD, .path = "/docker/a", .v2_target = "/docker" },
		{ .cgid = 6, .class = TCLASS_DOCKER_BUILD, .path = "/docker/b", .v2_target = "/docker" },
		{ .cgid = 7, .class = TCLASS_DOCKER_BUILD, .path = "/docker/c", .v2_target = "/docker/c" },
	};
	struct policy_decision d;
	struct policy_obs o;

	data_root = NULL;
	data_root = NULL;
	policy_config_default(&cfg);
	policy_init(&h);
	feed(1, rows, 3, NULL, 0, MEMCG_V2, &o);
	rows[0].added = MI(100);
	rows[1].added = MI(200);
	rows[2].added = MI(300);
	feed(2, rows, 3, NULL, 0, MEMCG_V2, &o);
	feed(5, rows, 3, NULL, 0, MEMCG_V2, &o);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_MEMCG_RECLAIM);
	assert_int_equal(d.req.ncgroups, 2);
	assert_string_equal(d.req.cgroups[0].v2_path, "/docker");
	assert_int_equal(d.req.cgroups[0].bytes, MI(300));
	assert_int_equal(d.req.cgroups[0].cgid, 0);  /* not its own cgroup: by path */
	assert_string_equal(d.req.cgroups[1].v2_path, "/docker/c");
	assert_int_equal(d.req.cgroups[1].cgid, 7);
	assert_int_equal(d.req.step_bytes, cfg.reclaim_step);
	assert_int_equal(d.bytes_targeted, MI(600));
	policy_decision_free(&d);
	policy_history_free(&h);

	/* A cgroup this distro cannot name (Docker Desktop's, seen by the
	 * tracker only): reached by its id. */
	policy_init(&h);
	rows[0] = (struct policy_cgroup){ .cgid = 9, .class = TCLASS_DOCKER_BUILD, .by_id = true };
	feed(1, rows, 1, NULL, 0, MEMCG_V2, &o);
	rows[0].added = MI(300);
	feed(2, rows, 1, NULL, 0, MEMCG_V2, &o);
	feed(5, rows, 1, NULL, 0, MEMCG_V2, &o);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_MEMCG_RECLAIM);
	assert_int_equal(d.req.ncgroups, 1);
	assert_null(d.req.cgroups[0].v2_path);
	assert_int_equal(d.req.cgroups[0].cgid, 9);
	policy_decision_free(&d);
	policy_history_free(&h);
}

static void test_drop_caches_request(void **state)
{
	struct policy_cgroup rows[] = {
		{ .cgid = 5, .class = TCLASS_DOCKER_BUILD, .path = "/docker/a" },
		{ .cgid = 1, .class = TCLASS_OTHER, .path = "/" },
	};
	struct policy_file hot = { .dev = 8, .ino = 13, .class = TCLASS_OTHER, .added = MI(50) };
	struct policy_decision d;
	struct policy_obs o;
	char err[128];

	data_root = NULL;
	policy_config_default(&cfg);
	assert_int_equal(policy_config_set(&cfg, "restore_budget=1G", err, sizeof(err)), 0);
	assert_int_equal(policy_config_set(&cfg, "drop_caches_min=100M", err, sizeof(err)), 0);
	policy_init(&h);
	feed(1, rows, 2, &hot, 1, MEMCG_NONE, &o);
	rows[0].added = MI(500);
	feed(2, rows, 2, NULL, 0, MEMCG_NONE, &o);
	feed(5, rows, 2, NULL, 0, MEMCG_NONE, &o);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_DROP_CACHES);
	assert_string_equal(d.reason, "last-resort");
	assert_true(d.req.restore_hot_set);
	assert_int_equal(d.req.restore_budget_bytes, 1024 * MIB);
	assert_int_equal(d.req.nhot, 1);
	policy_decision_free(&d);
	policy_history_free(&h);
}

static void test_hot_window(void **state)
{
	struct policy_cgroup rows[] = { { .cgid = 1, .class = TCLASS_DOCKER_DAEMON, .path = "/" } };
	struct policy_file files[] = {
		{ .dev = 8, .ino = 13, .class = TCLASS_OTHER, .added = MI(50) },
		{ .dev = 8, .ino = 20, .owner_cgid = 1, .class = TCLASS_DOCKER_DAEMON },
	};
	struct policy_decision d;
	struct policy_obs o;

	data_root = NULL;
	policy_config_default(&cfg);
	policy_init(&h);
	feed(1, rows, 1, files, 1, MEMCG_V2, &o);
	assert_int_equal(h.nhot, 1);
	/* Eleven minutes later the file is no longer hot and is forgotten. */
	feed(661, rows, 1, files, 1, MEMCG_V2, &o);
	assert_int_equal(h.nhot, 0);
	/* Listed again unchanged (a sample that may act lists every file):
	 * not hot again. */
	feed(661, rows, 1, files, 1, MEMCG_V2, &o);
	assert_int_equal(h.nhot, 0);
	/* It gains pages again: hot again. */
	files[0].added = MI(60);
	feed(662, rows, 1, files, 1, MEMCG_V2, &o);
	assert_int_equal(h.nhot, 1);
	files[1].added = MI(300);
	rows[0].added = MI(300);
	feed(663, rows, 1, files, 2, MEMCG_V2, &o);
	feed(666, rows, 1, files, 2, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_RECLAIM);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_FILE_EVICT);
	assert_int_equal(d.req.nfiles, 1);
	assert_int_equal(d.req.files[0].ino, 20);
	assert_int_equal(d.req.ndirs, 0);
	/* No walk, but the listed files too are evicted only if the episode
	 * made them (issue 19): since_ns is its start. */
	assert_true(d.req.since_ns != 0);
	assert_int_equal(d.req.since_ns, h.episode_start_realtime_ns);
	policy_decision_free(&d);
	policy_history_free(&h);
}

static void test_manual(void **state)
{
	struct policy_cgroup rows[] = {
		{ .cgid = 1, .class = TCLASS_DOCKER_CONTAINER, .added = MI(700), .path = "/docker",
		  .v1_target = "/docker" },
	};
	struct policy_decision d;
	struct policy_obs o = { .now_ns = S, .leader = true, .mem_known = true,
				.page_cache = MI(4096), .memcg = MEMCG_V1,
				.docker_root = "/var/lib/docker", .cgroups = rows, .ncgroups = 1 };
	struct action_result r = { 0 };

	policy_config_default(&cfg);
	policy_init(&h);
	/* Any lever, in order. */
	assert_int_equal(policy_begin_manual(&h, &o, -1), 0);
	assert_int_equal(h.episode_bytes, MI(700));
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_MEMCG_FORCE_EMPTY);
	assert_string_equal(d.reason, "manual");
	r = (struct action_result){ .lever = d.req.lever, .bytes_targeted = MI(700) };
	policy_record(&cfg, &h, &d, &r, S);  /* nothing came back */
	policy_decision_free(&d);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_FILE_EVICT);
	assert_string_equal(d.reason, "fallback");
	assert_int_equal(d.req.ndirs, 1);
	assert_string_equal(d.req.dirs[0], "/var/lib/docker/overlay2");
	assert_int_equal(d.req.since_ns, 0);
	policy_decision_free(&d);
	policy_history_free(&h);

	/* --lever compact compacts even though nothing was reclaimed. */
	policy_init(&h);
	assert_int_equal(policy_begin_manual(&h, &o, LEVER_COMPACT), 0);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_COMPACT);
	r = (struct action_result){ .lever = d.req.lever };
	policy_record(&cfg, &h, &d, &r, S);
	policy_decision_free(&d);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.verdict, POLICY_NONE);
	policy_decision_free(&d);
	policy_history_free(&h);

	/* --lever drop_caches with nothing attributed: the room above the floor. */
	policy_init(&h);
	o.ncgroups = 0;
	assert_int_equal(policy_begin_manual(&h, &o, LEVER_DROP_CACHES), 0);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_DROP_CACHES);
	assert_int_equal(d.req.bytes_wanted, MI(4096) - cfg.floor);
	policy_decision_free(&d);
	/* --lever fadvise without cgroups still walks the data root. */
	policy_history_free(&h);
	policy_init(&h);
	assert_int_equal(policy_begin_manual(&h, &o, LEVER_FILE_EVICT), 0);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_FILE_EVICT);
	policy_decision_free(&d);
	policy_history_free(&h);
}

static void test_backoff_doubles(void **state)
{
	struct policy_decision d = { .verdict = POLICY_ACT, .req.lever = LEVER_MEMCG_RECLAIM,
				     .bytes_targeted = MI(400) };
	struct action_result r = { .lever = LEVER_MEMCG_RECLAIM, .bytes_targeted = MI(400),
				   .bytes_returned = MI(10) };

	policy_config_default(&cfg);
	policy_init(&h);
	h.state = PSTATE_RECLAIM;
	policy_record(&cfg, &h, &d, &r, 100 * S);
	assert_int_equal(h.backoff_until[LEVER_MEMCG_RECLAIM], 130 * S);
	policy_record(&cfg, &h, &d, &r, 200 * S);
	assert_int_equal(h.backoff_until[LEVER_MEMCG_RECLAIM], 260 * S);
	for (int i = 0; i < 10; i++)
		policy_record(&cfg, &h, &d, &r, 1000 * S);
	assert_int_equal(h.backoff_cur[LEVER_MEMCG_RECLAIM], cfg.backoff_max_ns);
	/* A good result resets it. */
	r.bytes_returned = MI(400);
	policy_record(&cfg, &h, &d, &r, 2000 * S);
	assert_int_equal(h.backoff_cur[LEVER_MEMCG_RECLAIM], 0);
	/* Too little of a tiny target is not a failure. */
	r = (struct action_result){ .lever = LEVER_MEMCG_RECLAIM, .bytes_targeted = MI(1) };
	policy_record(&cfg, &h, &d, &r, 3000 * S);
	assert_int_equal(h.backoff_cur[LEVER_MEMCG_RECLAIM], 0);
	policy_history_free(&h);
}

static void test_mode_off_closes(void **state)
{
	struct policy_cgroup rows[] = { { .cgid = 5, .class = TCLASS_DOCKER_BUILD, .path = "/docker/a",
					  .v2_target = "/docker/a" } };
	struct policy_decision d;
	struct policy_obs o;
	char err[64];

	data_root = NULL;
	policy_config_default(&cfg);
	policy_init(&h);
	feed(1, rows, 1, NULL, 0, MEMCG_V2, &o);
	assert_false(policy_may_act(&cfg, &h, false));
	rows[0].added = MI(500);
	feed(2, rows, 1, NULL, 0, MEMCG_V2, &o);
	assert_string_equal(policy_state_name(h.state), "growing");
	feed(5, rows, 1, NULL, 0, MEMCG_V2, &o);
	assert_true(policy_may_act(&cfg, &h, false));
	/* The configuration changes to off (a reload, later): the episode is let go. */
	assert_int_equal(policy_config_set(&cfg, "mode=off", err, sizeof(err)), 0);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_string_equal(d.reason, "mode-off");
	assert_int_equal(d.verdict, POLICY_NONE);
	assert_int_equal(h.state, PSTATE_IDLE);
	policy_decision_free(&d);
	/* A result for a decision that did not act changes nothing. */
	policy_record(&cfg, &h, &d, &(struct action_result){ .bytes_returned = 1 }, 6 * S);
	assert_int_equal(h.returned, 0);
	assert_string_equal(policy_state_name(_PSTATE_MAX), "?");
	policy_history_free(&h);
}

/* A file first added by the user, then (its tracker entry re-created) owned
 * by dockerd: it stays hot, fadvise leaves it. */
static void test_hot_file_owned_by_docker(void **state)
{
	struct policy_cgroup rows[] = { { .cgid = 1, .class = TCLASS_DOCKER_DAEMON, .path = "/" } };
	struct policy_file f[] = {
		{ .dev = 8, .ino = 13, .gen = 2, .class = TCLASS_OTHER, .added = MI(50) },
		{ .dev = 8, .ino = 14, .gen = 2, .class = TCLASS_DOCKER_DAEMON, .owner_cgid = 1 },
	};
	struct policy_decision d;
	struct policy_obs o;

	data_root = NULL;
	policy_config_default(&cfg);
	policy_init(&h);
	feed(1, rows, 1, f, 1, MEMCG_V2, &o);
	f[0].added = MI(60);  /* read again: last_ns moves */
	feed(100, rows, 1, f, 1, MEMCG_V2, &o);
	assert_int_equal(h.hot[0].last_ns, 100 * S);
	f[0].class = TCLASS_DOCKER_DAEMON;
	f[0].added = MI(200);
	f[1].added = MI(200);
	rows[0].added = MI(400);
	feed(101, rows, 1, f, 2, MEMCG_V2, &o);
	feed(104, rows, 1, f, 2, MEMCG_V2, &o);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_FILE_EVICT);
	assert_int_equal(d.req.nfiles, 1);
	assert_int_equal(d.req.files[0].ino, 14);
	policy_decision_free(&d);
	policy_history_free(&h);
}

/* Another build keeps growing (a busy machine, a second build): the one
 * that stopped is reclaimed after its own quiet period; the other goes on
 * as the next episode and is reclaimed when it stops.  The data root's
 * walk waits until nothing grows. */
static void test_partial_episode(void **state)
{
	struct policy_cgroup rows[] = {
		{ .cgid = 7, .class = TCLASS_DOCKER_BUILD, .path = "/docker/c1", .v2_target = "/docker/c1" },
		{ .cgid = 8, .class = TCLASS_DOCKER_BUILD, .path = "/docker/c2", .v2_target = "/docker/c2" },
	};
	struct policy_decision d;
	struct action_result r;
	struct policy_obs o;

	data_root = "/var/lib/docker";
	policy_config_default(&cfg);
	policy_init(&h);
	feed(1, rows, 2, NULL, 0, MEMCG_V2, &o);
	rows[0].added = MI(400);
	rows[1].added = MI(100);
	feed(2, rows, 2, NULL, 0, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_GROWING);
	for (int t = 3; t <= 4; t++) {
		rows[1].added += MI(100);
		feed(t, rows, 2, NULL, 0, MEMCG_V2, &o);
		assert_int_equal(h.state, PSTATE_GROWING);
	}
	rows[1].added += MI(100);
	feed(5, rows, 2, NULL, 0, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_RECLAIM);
	assert_int_equal(h.episode_bytes, MI(400));
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_MEMCG_RECLAIM);
	assert_int_equal(d.req.ncgroups, 1);
	assert_string_equal(d.req.cgroups[0].v2_path, "/docker/c1");
	r = (struct action_result){ .lever = d.req.lever, .bytes_targeted = MI(400), .bytes_returned = MI(400) };
	policy_record(&cfg, &h, &d, &r, o.now_ns);
	policy_decision_free(&d);
	/* Still growing in c2: no lever reaches c2, fadvise walks nothing. */
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_COMPACT);
	r = (struct action_result){ .lever = d.req.lever };
	policy_record(&cfg, &h, &d, &r, o.now_ns);
	policy_decision_free(&d);
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_string_equal(d.reason, "done");
	policy_decision_free(&d);
	/* c2 goes on as episode 2. */
	assert_int_equal(h.state, PSTATE_GROWING);
	assert_int_equal(h.episode, 2);
	assert_int_equal(h.nmembers, 1);
	assert_int_equal(h.members[0].cgid, 8);
	rows[0].removed = MI(400);
	rows[1].added += MI(100);
	feed(6, rows, 2, NULL, 0, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_GROWING);
	feed(9, rows, 2, NULL, 0, MEMCG_V2, &o);
	assert_int_equal(h.state, PSTATE_RECLAIM);
	assert_int_equal(h.episode_bytes, MI(500));
	assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
	assert_int_equal(d.req.lever, LEVER_MEMCG_RECLAIM);
	assert_int_equal(d.req.ncgroups, 1);
	assert_string_equal(d.req.cgroups[0].v2_path, "/docker/c2");
	policy_decision_free(&d);
	policy_history_free(&h);

	/* The same with fadvise: files of the growing member are left, and so
	 * is the data root's walk. */
	{
		struct policy_file files[] = {
			{ .dev = 8, .ino = 1, .owner_cgid = 7, .class = TCLASS_DOCKER_BUILD, .added = MI(400) },
			{ .dev = 8, .ino = 2, .owner_cgid = 8, .class = TCLASS_DOCKER_BUILD, .added = MI(100) },
		};

		rows[0] = (struct policy_cgroup){ .cgid = 7, .class = TCLASS_DOCKER_BUILD };
		rows[1] = (struct policy_cgroup){ .cgid = 8, .class = TCLASS_DOCKER_BUILD };
		policy_init(&h);
		feed(1, rows, 2, NULL, 0, MEMCG_NONE, &o);
		rows[0].added = MI(400);
		rows[1].added = MI(100);
		feed(2, rows, 2, files, 2, MEMCG_NONE, &o);
		for (int t = 3; t <= 5; t++) {
			rows[1].added += MI(100);
			feed(t, rows, 2, files, 2, MEMCG_NONE, &o);
		}
		assert_int_equal(h.state, PSTATE_RECLAIM);
		assert_int_equal(policy_decide(&cfg, &h, &o, &d), 0);
		assert_int_equal(d.req.lever, LEVER_FILE_EVICT);
		assert_int_equal(d.req.nfiles, 1);
		assert_int_equal(d.req.files[0].ino, 1);
		assert_int_equal(d.req.ndirs, 0);
		policy_decision_free(&d);
		/* Growth again in the ready member: back to waiting. */
		rows[0].added += MI(100);
		rows[1].added += MI(100);
		feed(6, rows, 2, files, 2, MEMCG_NONE, &o);
		assert_int_equal(h.state, PSTATE_GROWING);
		policy_history_free(&h);
	}
}

/* ---- configuration ---- */

static void test_config(void **state)
{
	struct policy_config c, d;
	char err[256], buf[64];

	policy_config_default(&c);
	assert_int_equal(c.floor, 256 * MIB);
	assert_int_equal(c.quiet_period_ns, 3 * S);
	assert_int_equal(c.hot_set_window_ns, 600 * S);
	assert_int_equal(policy_config_set(&c, "floor=1G", err, sizeof(err)), 0);
	assert_int_equal(c.floor, 1024 * MIB);
	assert_int_equal(policy_config_set(&c, "quiet_period=1500ms", err, sizeof(err)), 0);
	assert_int_equal(c.quiet_period_ns, 1500000000ull);
	assert_int_equal(policy_config_set(&c, "hot_set_window=2min", err, sizeof(err)), 0);
	assert_int_equal(c.hot_set_window_ns, 120 * S);
	assert_int_equal(policy_config_set(&c, "finish_share=0.75", err, sizeof(err)), 0);
	assert_true(c.finish_share == 0.75);
	assert_int_equal(policy_config_set(&c, "restore_hot_set=no", err, sizeof(err)), 0);
	assert_false(c.restore_hot_set);
	assert_int_equal(policy_config_set(&c, "mode=wsl-idle", err, sizeof(err)), 0);
	assert_int_equal(c.mode, POLICY_MODE_WSL_IDLE);
	assert_int_equal(c.drop_behind, DROP_BEHIND_AUTO);
	assert_int_equal(policy_config_set(&c, "drop_behind=on", err, sizeof(err)), 0);
	assert_int_equal(c.drop_behind, DROP_BEHIND_YES);
	assert_int_equal(policy_config_set(&c, "drop_behind=no", err, sizeof(err)), 0);
	assert_int_equal(c.drop_behind, DROP_BEHIND_NO);
	/* Bad input: one line naming the key, nothing changed. */
	d = c;
	assert_int_equal(policy_config_set(&c, "floor=lots", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "floor"));
	assert_int_equal(policy_config_set(&c, "nosuch=1", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nosuch"));
	assert_int_equal(policy_config_set(&c, "floor", err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_config_set(&c, "quiet_period=3", err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_config_set(&c, "finish_share=1.5", err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_config_set(&c, "psi_full_max=-1", err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_config_set(&c, "wsl_idle_samples=0", err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_config_set(&c, "mode=fast", err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_config_set(&c, "drop_behind=sometimes", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "yes, no or auto"));
	assert_int_equal(policy_config_set(&c, "floor=99999999999G", err, sizeof(err)), -EINVAL);
	assert_memory_equal(&c, &d, sizeof(c));
	/* Every key formats to a value that parses back to the same. */
	policy_config_default(&c);
	for (size_t i = 0; i < policy_keys_n; i++) {
		char assign[128];

		policy_config_format(&c, &policy_keys[i], buf, sizeof(buf));
		snprintf(assign, sizeof(assign), "%s=%s", policy_keys[i].name, buf);
		d = c;
		assert_int_equal(policy_config_set(&d, assign, err, sizeof(err)), 0);
		assert_memory_equal(&c, &d, sizeof(c));
	}
	policy_config_format(&c, &policy_keys[1], buf, sizeof(buf));
	assert_string_equal(buf, "256M");
}

/* The man page lists every key with its default, as formatted here. */
int main(void)
{
	struct CMUnitTest each[ELEMENTSOF(scenarios)];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fadvise_request),
		cmocka_unit_test(test_cgroup_request),
		cmocka_unit_test(test_container_files),
		cmocka_unit_test(test_drop_behind_written),
		cmocka_unit_test(test_host_root_reads_hot_back),
		cmocka_unit_test(test_drop_caches_request),
		cmocka_unit_test(test_hot_window),
		cmocka_unit_test(test_manual),
		cmocka_unit_test(test_backoff_doubles),
		cmocka_unit_test(test_mode_off_closes),
		cmocka_unit_test(test_partial_episode),
		cmocka_unit_test(test_hot_file_owned_by_docker),
		cmocka_unit_test(test_config),
	};
	int failed;

	for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
		each[i] = (struct CMUnitTest){ .name = scenarios[i].name, .test_func = test_scenario,
					      .initial_state = (void *)&scenarios[i] };
	failed = _cmocka_run_group_tests("scenarios", each, ELEMENTSOF(each), NULL, NULL);
	return unit_status(failed + cmocka_run_group_tests(tests, NULL, NULL));
}
