/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actions/actions.h"
#include "sources/cgroup_layout.h"
#include "tracker/classify.h"

/* The reclaim policy: (observations, configuration, history, now) ->
 * decision.  Pure: it never reads a file, the clock or a BPF map; the
 * engine (agent/engine/) gathers the observations, runs the chosen lever
 * through action_run() and hands the result back with policy_record().
 * Tested with one cmocka test per scenario in tests/unit/test-policy.c.
 *
 * One sample:  policy_may_act() tells the engine how much to read, the
 * engine reads it all, policy_observe() folds it in once, then
 * policy_decide() and, for every POLICY_ACT, action_run() +
 * policy_record() + the engine observing again (policy_reobserved()),
 * until policy_decide() says POLICY_NONE (bounded by the number of levers:
 * each is tried once per episode). */

enum policy_mode {
	POLICY_MODE_AUTO,      /* "auto": build episodes, host pressure */
	POLICY_MODE_WSL_IDLE,  /* "wsl-idle": WSL's released idle-gated dropCache */
	POLICY_MODE_OFF,       /* "off": observe and log, never act */
	_POLICY_MODE_MAX,
};

const char *policy_mode_name(enum policy_mode m);
int policy_mode_from_string(const char *s, enum policy_mode *ret);

#define NSEC_PER_SEC 1000000000ull
#define MIB (1024ull * 1024)

/* Every threshold of the policy: one field each, named by its key (the one
 * name used by --set, the configuration file to come, the man page and
 * `reclaim --json`).  Defaults are in policy_config_default(). */
/* drop_behind: when a running build gives back what it wrote.  Builds read
 * what they wrote once more at their end (the legacy builder's commit,
 * BuildKit's export), so what drop-behind takes is read again from disk:
 * by default that price is paid only while Windows needs the memory. */
enum drop_behind {
	DROP_BEHIND_NO,
	DROP_BEHIND_AUTO,   /* while the bridge says Windows is low on memory */
	DROP_BEHIND_YES,
	_DROP_BEHIND_MAX,
};

const char *drop_behind_name(enum drop_behind v);

struct policy_config {
	enum policy_mode mode;             /* mode = auto */
	uint64_t floor;                    /* floor = 256 MiB of page cache always kept */
	uint64_t quiet_period_ns;          /* quiet_period = 3 s without attributed growth ends an episode */
	uint64_t growth_rate_min;          /* growth_rate_min = 2 MiB/s of attributed additions is growth */
	uint64_t episode_min;              /* episode_min = 64 MiB: smaller episodes are left alone */
	uint64_t hot_set_window_ns;        /* hot_set_window = 10 min */
	double psi_full_max;               /* psi_full_max = 10 (% of avg10 "full" memory stall) */
	bool drop_caches;                  /* drop_caches = yes: lever d allowed at all */
	double finish_share;               /* finish_share = 0.9: an episode the targeted levers
					      returned less of is finished by drop_caches or the
					      root cgroup's memory.reclaim */
	uint64_t drop_caches_min;          /* drop_caches_min = 512 MiB left of the episode */
	uint64_t drop_caches_min_interval_ns; /* drop_caches_min_interval = 10 min */
	bool restore_hot_set;              /* restore_hot_set = yes */
	uint64_t restore_budget;           /* restore_budget = 512 MiB */
	uint64_t reclaim_step;             /* reclaim_step = 256 MiB per memory.reclaim write */
	uint64_t lever_min;                /* lever_min = 16 MiB: a lever is not used for less */
	double lever_min_share;            /* lever_min_share = 0.25 of its target: less is "too little" */
	uint64_t backoff_ns;               /* backoff = 30 s after a lever returned too little */
	uint64_t backoff_max_ns;           /* backoff_max = 10 min (the back-off doubles up to it) */
	bool compact;                      /* compact = yes */
	uint64_t compact_min;              /* compact_min = 64 MiB returned before compacting */
	uint64_t action_timeout_ns;        /* action_timeout = 10 s per lever */
	uint64_t host_step;                /* host_step = 256 MiB per step under host pressure */
	uint64_t host_interval_ns;         /* host_interval = 2 s between host-pressure steps */
	uint64_t refault_max;              /* refault_max = 32 MiB/s of file refaults: back off */
	uint64_t wsl_idle_interval_ns;     /* wsl_idle_interval = 30 s (WSL's poll) */
	unsigned wsl_idle_samples;         /* wsl_idle_samples = 20 idle polls (10 min) */
	double wsl_idle_user_max;          /* wsl_idle_user_max = 0.5 (% of nprocs x CLK_TCK) */
	uint64_t build_hold_max_ns;        /* build_hold_max = 30 min: a running build holds an
					      episode open at most this long after it began */
	enum drop_behind drop_behind;      /* drop_behind = auto: give back while a build runs */
	uint64_t drop_behind_min;          /* drop_behind_min = 256 MiB the episode may always hold */
	double drop_behind_share;          /* drop_behind_share = 0.1 of what it wrote it keeps */
	uint64_t drop_behind_interval_ns;  /* drop_behind_interval = 1 s between steps */
};

void policy_config_default(struct policy_config *c);

enum policy_key_type { PKEY_BYTES, PKEY_DURATION, PKEY_SHARE, PKEY_PERCENT, PKEY_BOOL,
		       PKEY_COUNT, PKEY_MODE, PKEY_DROP_BEHIND };

struct policy_key {
	const char *name;
	enum policy_key_type type;
	size_t offset;
	const char *help;
};

extern const struct policy_key policy_keys[];
extern const size_t policy_keys_n;

/* "key=value": bytes take K/M/G suffixes (KiB units), durations ms/s/min/h,
 * shares 0..1, booleans yes/no/true/false/1/0.  On error returns -EINVAL and
 * one line in err naming the key; c is unchanged. */
int policy_config_set(struct policy_config *c, const char *assignment, char *err, size_t errlen);
/* The value of one key as text ("256M", "3s", "0.5", "yes", "auto"). */
void policy_config_format(const struct policy_config *c, const struct policy_key *k, char *buf,
			  size_t size);

/* One (cgroup, class) row of the tracker's ledger: the policy's input
 * row (a cgroup whose processes fall in several classes has one per class;
 * the policy sums a cgroup's attributed rows). */
struct policy_cgroup {
	uint64_t cgid;
	enum tclass class;
	uint64_t added, removed;      /* cumulative bytes since the tracker started */
	/* Bytes added and removed in the ledger's last interval (the growth
	 * the policy judges; o->interval_ns long). */
	uint64_t added_last, removed_last;
	/* The rest is filled only when policy_may_act() said so before the
	 * sample: the path (relative to the cgroup2 mount; NULL unknown) and
	 * where a lever reaches this row's pages now (the cgroup, or its
	 * nearest live ancestor when it was removed). */
	const char *path;
	const char *v2_target;        /* "/docker"; "/" = root; NULL = none found */
	const char *v1_target;        /* in the v1 memory hierarchy; NULL = none */
	bool frozen;                  /* cgroup.events "frozen 1" (Resource Saver) */
	bool by_id;                   /* live, but no path here: reach it by cgid */
	bool target_cache_known;
	uint64_t target_cache;        /* file cache its target holds now (memory.stat) */
};

/* One file of the tracker's file ledger. */
struct policy_file {
	uint64_t dev, ino;
	uint32_t gen;
	uint64_t owner_cgid;
	enum tclass class;            /* of the process that added its first page */
	uint64_t added, removed;      /* cumulative bytes */
	uint64_t added_last;          /* bytes added in the ledger's last interval */
};

struct policy_obs {
	uint64_t now_ns;              /* CLOCK_MONOTONIC */
	uint64_t realtime_ns;         /* CLOCK_REALTIME (file mtimes for lever c) */
	bool leader;                  /* holds the leader lock (or dry-run) */
	bool tracker;                 /* the cgroup and file rows below are real */

	bool mem_known;
	uint64_t mem_free, page_cache, shmem;
	/* The next three are read only for a sample that may act
	 * (policy_may_act(), or `reclaim`): unknown otherwise. */
	bool psi_known;
	double psi_full_avg10;        /* percent */
	bool refault_known;
	uint64_t refault_bytes;       /* cumulative workingset_refault_file x page size */
	enum memcg_mode memcg;

	const struct policy_cgroup *cgroups;
	size_t ncgroups;
	uint64_t interval_ns;         /* the ledger's last interval (added_last's) */
	const struct policy_file *files;
	size_t nfiles;
	const char *docker_root;      /* "/var/lib/docker" */

	bool host_low;                /* the bridge: Windows is low on memory */
	/* Docker Engine's last "image tag" event (a build finished), on the
	 * CLOCK_MONOTONIC scale; 0 = none.  An extra hint, never required. */
	uint64_t build_end_ns;
	/* A build is known to be running (a CLI process, populated build-step
	 * cgroups...): the episode is not ended nor its members reclaimed while
	 * it is, for at most build_hold_max after the episode began.  Set by
	 * agent/sources/build_signal.c where it is built; false otherwise. */
	bool build_running;
	/* Why per-file eviction cannot open the engine's files from this
	 * distro (Docker Desktop: its data disk is mounted in docker-desktop
	 * only), known before planning; NULL = it can, or nobody knows. */
	const char *files_out_of_reach;
	/* The kernel's root cgroup is not this distro's cgroup2 mount root
	 * (a cgroup namespace per distro, WSL 2.9.13): reach it by id. */
	bool root_by_id;

	/* wsl-idle: /proc/stat */
	bool cpu_known;
	uint64_t cpu_user_ticks;      /* user time of the "cpu" line, as WSL reads it */
	unsigned nprocs, clk_tck;
};

enum policy_state {
	PSTATE_IDLE,
	PSTATE_GROWING,    /* an episode is filling the cache */
	PSTATE_RECLAIM,    /* the episode ended: levers in order */
	PSTATE_HOST,       /* Windows is low on memory: bounded steps */
	_PSTATE_MAX,
};

const char *policy_state_name(enum policy_state s);

struct policy_member {        /* a cgroup whose attributed rows grew in the episode */
	uint64_t cgid;
	enum tclass class;                  /* build > daemon > container of its rows */
	uint64_t base_added, base_removed;  /* cumulative when it joined */
	uint64_t added, removed;            /* last seen */
	uint64_t added_last, removed_last;  /* in the last interval (the sample's sums) */
	uint64_t last_growth_ns;            /* it grew by growth_rate_min or more */
	bool ready;                         /* quiet for quiet_period: reclaimable */
};

struct policy_hot {           /* a file class `other` added to the cache */
	uint64_t dev, ino;
	uint32_t gen;
	uint64_t added;           /* cumulative bytes last seen */
	uint64_t last_ns;         /* when it last gained pages */
};

#define POLICY_HOT_MAX 16384
#define POLICY_MEMBERS_MAX 4096

struct policy_history {
	enum policy_state state;
	uint64_t episode;                 /* id of the current or last episode */
	uint64_t episode_start_ns, episode_start_realtime_ns, last_growth_ns;
	uint64_t episode_bytes;           /* its net page cache when it ended */
	bool ended_by_hint;               /* Docker said its build finished */
	uint64_t returned;                /* what the levers returned for it */
	uint64_t returned_sample;         /* ... since the last policy_observe() */
	unsigned tried;                   /* bit per enum lever tried in this episode, and
					     TRIED_ROOT (policy/internal.h) */
	bool manual;                      /* opened by policy_begin_manual() */
	int force_lever;                  /* manual: only this lever; -1 = any */
	struct policy_member *members;
	size_t nmembers, members_cap;

	/* This sample's attributed rows summed per cgroup (scratch). */
	struct policy_member *agg;
	size_t nagg, agg_cap;
	uint64_t prev_ns;                 /* the last sample with the tracker's rows */
	bool have_prev;
	double growth_rate;               /* attributed bytes/s in the last sample */

	uint64_t backoff_until[_LEVER_MAX], backoff_cur[_LEVER_MAX];
	bool dropped_once;
	uint64_t last_drop_ns;

	struct policy_hot *hot;           /* sorted by (dev, ino) */
	size_t nhot, hot_cap;

	/* drop-behind, while the episode grows */
	uint64_t db_last_ns;              /* the last step */
	uint64_t db_last_refault;         /* refault_bytes at the last step */
	bool db_refault_known;
	uint64_t db_hold_until, db_backoff_cur;  /* back-off after refaults rose */
	uint64_t db_returned;             /* what drop-behind returned in this episode */
	uint64_t db_refault_base;         /* refault_bytes when drop-behind first looked */
	bool db_refault_base_known;

	/* host pressure */
	uint64_t host_last_ns, host_last_refault;
	bool host_refault_known;
	unsigned host_stage;              /* 0 build-attributed, 1 root cgroup, 2 none left */
	unsigned host_tried;              /* stage-0 levers that returned too little */
	uint64_t host_hold_until;         /* back-off after stalls or refaults rose */

	/* wsl-idle */
	bool wsl_have_sample;
	uint64_t wsl_last_ns, wsl_last_user;
	unsigned wsl_idle_count;
	bool wsl_fired, wsl_compact_due;
};

void policy_init(struct policy_history *h);
void policy_history_free(struct policy_history *h);

/* Folds one sample in: growth, episode start and end, the hot set, the
 * wsl-idle polls.  -ENOMEM leaves the history as it was for what was not
 * folded. */
int policy_observe(const struct policy_config *c, struct policy_history *h,
		   const struct policy_obs *o);

/* Asked once, before a sample is read: true when this sample's decisions
 * may act on an episode or on host pressure (host_low: the bridge says
 * Windows is low on memory).  The engine then reads, with the rest of the
 * sample, the rows' targets, every file of the ledger (not only those
 * that gained pages) and the act inputs (PSI, refaults, the data root). */
bool policy_may_act(const struct policy_config *c, const struct policy_history *h,
		    bool host_low);

/* The engine read the memory figures and targets again after a lever ran
 * (in the same sample): what came back is in o->page_cache now. */
void policy_reobserved(struct policy_history *h);

enum policy_verdict { POLICY_NONE, POLICY_ACT };

struct policy_decision {
	enum policy_verdict verdict;
	const char *reason;           /* a token: WSLDOCK_REASON (see wsldock-agent(8)) */
	char detail[192];             /* one human-readable phrase */
	uint64_t episode;
	uint64_t bytes_targeted;      /* what the policy expects the lever to reach */
	bool drop_behind;             /* a drop-behind step while the episode grows */
	bool finish_root;             /* memory.reclaim on the root cgroup finishing an episode */
	/* The lever, what is wanted of it (req.bytes_wanted: stop once this
	 * much came back) and its targets, ready for action_run() (dry_run
	 * and root unset).  Meaningful when verdict is POLICY_ACT. */
	struct action_request req;
	/* Owned storage behind req. */
	struct action_cgroup *cgroups;
	struct action_file *files;
	struct action_file *hot;
	char **dirs;
	size_t ndirs;
};

/* Decides what to do now.  May move the history's state (an episode with
 * nothing left to reach is closed).  The decision owns its arrays: free with
 * policy_decision_free().  -ENOMEM on allocation failure (verdict NONE). */
int policy_decide(const struct policy_config *c, struct policy_history *h,
		  const struct policy_obs *o, struct policy_decision *d);
void policy_decision_free(struct policy_decision *d);

/* Feeds the lever's result back: what it returned, back-off, drop_caches
 * interval, episode closed after compaction.  In dry-run nothing came back,
 * so the lever is taken to have returned what it targeted: the decisions
 * that follow are the ones the daemon would take. */
void policy_record(const struct policy_config *c, struct policy_history *h,
		   const struct policy_decision *d, const struct action_result *r, uint64_t now_ns);

/* For `wsldock-agent reclaim`: opens an already-ended episode from the
 * rows given (every attributed row with cache left, as the daemon or
 * memory.stat sees them) so policy_decide() picks levers at once; lever c
 * then also walks Docker's whole data root.  force_lever >= 0 allows only
 * that lever (and compaction after it).  -ENOMEM. */
int policy_begin_manual(struct policy_history *h, const struct policy_obs *o, int force_lever);
