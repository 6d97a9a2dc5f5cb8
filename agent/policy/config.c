/* SPDX-License-Identifier: MIT */
#include "policy/policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shared/util.h"

static const char *const mode_names[_POLICY_MODE_MAX] = {
	[POLICY_MODE_AUTO] = "auto",
	[POLICY_MODE_WSL_IDLE] = "wsl-idle",
	[POLICY_MODE_OFF] = "off",
};

const char *policy_mode_name(enum policy_mode m)
{
	return m < _POLICY_MODE_MAX ? mode_names[m] : "?";
}

int policy_mode_from_string(const char *s, enum policy_mode *ret)
{
	for (int m = 0; m < _POLICY_MODE_MAX; m++)
		if (!strcmp(s, mode_names[m])) {
			*ret = m;
			return 0;
		}
	return -EINVAL;
}

static const char *const drop_behind_names[_DROP_BEHIND_MAX] = {
	[DROP_BEHIND_NO] = "no",
	[DROP_BEHIND_AUTO] = "auto",
	[DROP_BEHIND_YES] = "yes",
};

const char *drop_behind_name(enum drop_behind v)
{
	return v < _DROP_BEHIND_MAX ? drop_behind_names[v] : "?";
}

void policy_config_default(struct policy_config *c)
{
	*c = (struct policy_config){
		.mode = POLICY_MODE_AUTO,
		.floor = 256 * MIB,
		.quiet_period_ns = 3 * NSEC_PER_SEC,
		.growth_rate_min = 2 * MIB,
		.episode_min = 64 * MIB,
		.hot_set_window_ns = 600 * NSEC_PER_SEC,
		.psi_full_max = 10.0,
		.drop_caches = true,
		.finish_share = 0.9,
		.drop_caches_min = 512 * MIB,
		.drop_caches_min_interval_ns = 600 * NSEC_PER_SEC,
		.restore_hot_set = true,
		.restore_budget = 512 * MIB,
		.reclaim_step = 256 * MIB,
		.lever_min = 16 * MIB,
		.lever_min_share = 0.25,
		.backoff_ns = 30 * NSEC_PER_SEC,
		.backoff_max_ns = 600 * NSEC_PER_SEC,
		.compact = true,
		.compact_min = 64 * MIB,
		.action_timeout_ns = 10 * NSEC_PER_SEC,
		.host_step = 256 * MIB,
		.host_interval_ns = 2 * NSEC_PER_SEC,
		.refault_max = 32 * MIB,
		.wsl_idle_interval_ns = 30 * NSEC_PER_SEC,
		.wsl_idle_samples = 20,
		.wsl_idle_user_max = 0.5,
		.build_hold_max_ns = 1800 * NSEC_PER_SEC,
		.drop_behind = DROP_BEHIND_AUTO,
		.drop_behind_min = 256 * MIB,
		.drop_behind_share = 0.1,
		.drop_behind_interval_ns = 1 * NSEC_PER_SEC,
	};
}

#define KEY(n, t, f, h) { n, t, offsetof(struct policy_config, f), h }
const struct policy_key policy_keys[] = {
	KEY("mode", PKEY_MODE, mode, "auto, wsl-idle (WSL's idle-gated dropCache) or off"),
	KEY("floor", PKEY_BYTES, floor, "page cache always kept"),
	KEY("quiet_period", PKEY_DURATION, quiet_period_ns,
	    "no attributed growth for this long ends a build episode"),
	KEY("growth_rate_min", PKEY_BYTES, growth_rate_min,
	    "attributed page-cache additions per second that count as growth"),
	KEY("episode_min", PKEY_BYTES, episode_min, "smaller episodes are left alone"),
	KEY("hot_set_window", PKEY_DURATION, hot_set_window_ns,
	    "a file class other added to the cache this recently is hot: never evicted"),
	KEY("psi_full_max", PKEY_PERCENT, psi_full_max,
	    "no reclaim while memory PSI full avg10 is above this percentage"),
	KEY("drop_caches", PKEY_BOOL, drop_caches, "lever d (global drop_caches) allowed"),
	KEY("finish_share", PKEY_SHARE, finish_share,
	    "an episode the targeted levers returned less of than this share is finished by "
	    "drop_caches or, where it may not run, memory.reclaim on the root cgroup"),
	KEY("drop_caches_min", PKEY_BYTES, drop_caches_min,
	    "drop_caches only when at least this much of the episode is left"),
	KEY("drop_caches_min_interval", PKEY_DURATION, drop_caches_min_interval_ns,
	    "at most one drop_caches per this interval"),
	KEY("restore_hot_set", PKEY_BOOL, restore_hot_set,
	    "after drop_caches or memory.reclaim on the root cgroup, read back the hot files that were resident"),
	KEY("restore_budget", PKEY_BYTES, restore_budget, "at most this much is read back"),
	KEY("reclaim_step", PKEY_BYTES, reclaim_step, "bytes per memory.reclaim write"),
	KEY("lever_min", PKEY_BYTES, lever_min, "a lever is not used to reach less than this"),
	KEY("lever_min_share", PKEY_SHARE, lever_min_share,
	    "a lever that returns less than this share of its target returned too little"),
	KEY("backoff", PKEY_DURATION, backoff_ns,
	    "a lever that returned too little is not used again for this long"),
	KEY("backoff_max", PKEY_DURATION, backoff_max_ns, "the back-off doubles up to this"),
	KEY("compact", PKEY_BOOL, compact, "compact memory after a reclaim"),
	KEY("compact_min", PKEY_BYTES, compact_min, "compact once at least this much came back"),
	KEY("action_timeout", PKEY_DURATION, action_timeout_ns, "one lever runs at most this long"),
	KEY("host_step", PKEY_BYTES, host_step, "bytes per step while Windows is low on memory"),
	KEY("host_interval", PKEY_DURATION, host_interval_ns,
	    "time between steps while Windows is low on memory"),
	KEY("refault_max", PKEY_BYTES, refault_max,
	    "file refaults per second above which host-pressure and drop-behind steps back off"),
	KEY("wsl_idle_interval", PKEY_DURATION, wsl_idle_interval_ns, "wsl-idle: poll interval"),
	KEY("wsl_idle_samples", PKEY_COUNT, wsl_idle_samples,
	    "wsl-idle: idle polls in a row before dropCache"),
	KEY("wsl_idle_user_max", PKEY_PERCENT, wsl_idle_user_max,
	    "wsl-idle: user CPU percentage of nprocs x CLK_TCK that is idle"),
	KEY("build_hold_max", PKEY_DURATION, build_hold_max_ns,
	    "a build known to be running holds its episode open at most this long"),
	KEY("drop_behind", PKEY_DROP_BEHIND, drop_behind,
	    "give back what a running build wrote, in memory.reclaim steps (cgroup v2): "
	    "auto while Windows is low on memory"),
	KEY("drop_behind_min", PKEY_BYTES, drop_behind_min,
	    "a growing episode may always hold this much: drop-behind starts above it"),
	KEY("drop_behind_share", PKEY_SHARE, drop_behind_share,
	    "a growing episode may hold this share of what it wrote, if more than drop_behind_min"),
	KEY("drop_behind_interval", PKEY_DURATION, drop_behind_interval_ns,
	    "time between drop-behind steps"),
};
#undef KEY
const size_t policy_keys_n = ELEMENTSOF(policy_keys);

static int parse_scaled(const char *s, const char *const *units, const uint64_t *mult,
			size_t nunits, uint64_t *ret)
{
	char num[64];
	size_t len = strspn(s, "0123456789.");
	double v;

	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len);
	num[len] = '\0';
	if (parse_double(num, &v) < 0 || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < nunits; i++) {
		if (strcasecmp(s + len, units[i]))
			continue;
		/* Below 2^64 with room for rounding: the cast is defined. */
		if (v * (double)mult[i] >= 1.8e19)
			return -ERANGE;
		*ret = (uint64_t)(v * (double)mult[i] + 0.5);
		return 0;
	}
	return -EINVAL;
}

static int parse_bytes(const char *s, uint64_t *ret)
{
	static const char *const u[] = { "", "b", "k", "kib", "m", "mib", "g", "gib" };
	static const uint64_t m[] = { 1, 1, 1024, 1024, MIB, MIB, 1024 * MIB, 1024 * MIB };

	return parse_scaled(s, u, m, ELEMENTSOF(u), ret);
}

static int parse_duration(const char *s, uint64_t *ret)
{
	static const char *const u[] = { "ms", "s", "min", "h" };
	static const uint64_t m[] = { 1000000, NSEC_PER_SEC, 60 * NSEC_PER_SEC, 3600 * NSEC_PER_SEC };

	return parse_scaled(s, u, m, ELEMENTSOF(u), ret);
}

static int parse_bool(const char *s, bool *ret)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "on"))
		*ret = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "off"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

static int drop_behind_from_string(const char *s, enum drop_behind *ret)
{
	bool b;

	if (!strcmp(s, "auto")) {
		*ret = DROP_BEHIND_AUTO;
		return 0;
	}
	if (parse_bool(s, &b) < 0)
		return -EINVAL;
	*ret = b ? DROP_BEHIND_YES : DROP_BEHIND_NO;
	return 0;
}

static const char *const type_hint[] = {
	[PKEY_BYTES] = "bytes with an optional K, M or G suffix",
	[PKEY_DURATION] = "a duration ending in ms, s, min or h",
	[PKEY_SHARE] = "a share from 0 to 1",
	[PKEY_PERCENT] = "a percentage from 0 to 100",
	[PKEY_BOOL] = "yes or no",
	[PKEY_COUNT] = "a count from 1 to 1000",
	[PKEY_MODE] = "auto, wsl-idle or off",
	[PKEY_DROP_BEHIND] = "yes, no or auto",
};

int policy_config_set(struct policy_config *c, const char *assignment, char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	const struct policy_key *k = NULL;
	char *field;
	uint64_t u;
	double v;
	bool b;
	enum policy_mode m;
	enum drop_behind db;
	int r = -EINVAL;

	if (!eq) {
		snprintf(err, errlen, "'%s': expected KEY=VALUE", assignment);
		return -EINVAL;
	}
	for (size_t i = 0; i < policy_keys_n; i++)
		if (strlen(policy_keys[i].name) == (size_t)(eq - assignment) &&
		    !strncmp(policy_keys[i].name, assignment, (size_t)(eq - assignment)))
			k = &policy_keys[i];
	if (!k) {
		snprintf(err, errlen, "unknown key '%.*s'", (int)(eq - assignment), assignment);
		return -EINVAL;
	}
	field = (char *)c + k->offset;
	switch (k->type) {
	case PKEY_BYTES:
		if ((r = parse_bytes(eq + 1, &u)) == 0)
			*(uint64_t *)field = u;
		break;
	case PKEY_DURATION:
		if ((r = parse_duration(eq + 1, &u)) == 0)
			*(uint64_t *)field = u;
		break;
	case PKEY_SHARE:
	case PKEY_PERCENT:
		r = parse_double(eq + 1, &v);
		if (r == 0 && (v < 0 || v > (k->type == PKEY_SHARE ? 1.0 : 100.0)))
			r = -ERANGE;
		if (r == 0)
			*(double *)field = v;
		break;
	case PKEY_BOOL:
		if ((r = parse_bool(eq + 1, &b)) == 0)
			*(bool *)field = b;
		break;
	case PKEY_COUNT:
		r = parse_u64(eq + 1, &u);
		if (r == 0 && (u < 1 || u > 1000))
			r = -ERANGE;
		if (r == 0)
			*(unsigned *)field = (unsigned)u;
		break;
	case PKEY_MODE:
		if ((r = policy_mode_from_string(eq + 1, &m)) == 0)
			*(enum policy_mode *)field = m;
		break;
	case PKEY_DROP_BEHIND:
		if ((r = drop_behind_from_string(eq + 1, &db)) == 0)
			*(enum drop_behind *)field = db;
		break;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: '%s' is not %s", k->name, eq + 1, type_hint[k->type]);
		return -EINVAL;
	}
	return 0;
}

static void format_scaled(uint64_t v, const char *const *units, const uint64_t *mult, size_t n,
			  char *buf, size_t size)
{
	for (size_t i = n; i-- > 0;)
		if (v % mult[i] == 0 || i == 0) {
			snprintf(buf, size, "%llu%s", (unsigned long long)(v / mult[i]), units[i]);
			return;
		}
}

void policy_config_format(const struct policy_config *c, const struct policy_key *k, char *buf,
			  size_t size)
{
	static const char *const bu[] = { "", "K", "M", "G" };
	static const uint64_t bm[] = { 1, 1024, MIB, 1024 * MIB };
	static const char *const du[] = { "ms", "s", "min", "h" };
	static const uint64_t dm[] = { 1000000, NSEC_PER_SEC, 60 * NSEC_PER_SEC, 3600 * NSEC_PER_SEC };
	const char *field = (const char *)c + k->offset;
	uint64_t v;

	switch (k->type) {
	case PKEY_BYTES:
		format_scaled(*(const uint64_t *)field, bu, bm, ELEMENTSOF(bu), buf, size);
		break;
	case PKEY_DURATION:
		v = *(const uint64_t *)field;
		if (v < 1000000)
			snprintf(buf, size, "0ms");
		else
			format_scaled(v - v % 1000000, du, dm, ELEMENTSOF(du), buf, size);
		break;
	case PKEY_SHARE:
	case PKEY_PERCENT:
		snprintf(buf, size, "%g", *(const double *)field);
		break;
	case PKEY_BOOL:
		snprintf(buf, size, "%s", *(const bool *)field ? "yes" : "no");
		break;
	case PKEY_COUNT:
		snprintf(buf, size, "%u", *(const unsigned *)field);
		break;
	case PKEY_MODE:
		snprintf(buf, size, "%s", policy_mode_name(*(const enum policy_mode *)field));
		break;
	case PKEY_DROP_BEHIND:
		snprintf(buf, size, "%s", drop_behind_name(*(const enum drop_behind *)field));
		break;
	}
}
