/* SPDX-License-Identifier: MIT */
/* The levers' names and the dispatcher: measure, run one lever, measure
 * again, say what came back.  ctx.c, files.c and measure.c hold what the
 * levers share. */
#include "actions/actions.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions/internal.h"
#include "shared/util.h"

#define LEVER_NAME(e, name) [e] = name,
static const char *const lever_names[_LEVER_MAX] = { FOREACH_LEVER(LEVER_NAME) };
#undef LEVER_NAME

static const char *const anon_guard_names[_ANON_GUARD_MAX] = {
	[ANON_GUARD_NONE] = "none",
	[ANON_GUARD_SWAPPINESS_ARG] = "swappiness=0",
	[ANON_GUARD_SWAP_MAX] = "swap.max=0",
	[ANON_GUARD_V1_SWAPPINESS] = "memory.swappiness=0",
	[ANON_GUARD_NO_SWAP] = "no-swap",
	[ANON_GUARD_VM_SWAPPINESS] = "vm.swappiness=0",
};

const char *lever_name(enum lever l)
{
	return (unsigned)l < _LEVER_MAX ? lever_names[l] : "unknown";
}

const char *lever_names_list(void)
{
#define LEVER_ITEM(e, name) ", " name
	static const char list[] = FOREACH_LEVER(LEVER_ITEM);
#undef LEVER_ITEM

	return list + 2;
}

int lever_from_string(const char *s, enum lever *ret)
{
	for (unsigned i = 0; i < _LEVER_MAX; i++)
		if (s && strcmp(s, lever_names[i]) == 0) {
			*ret = (enum lever)i;
			return 0;
		}
	return -EINVAL;
}

const char *anon_guard_name(enum anon_guard g)
{
	return (unsigned)g < _ANON_GUARD_MAX ? anon_guard_names[g] : "unknown";
}

int action_run_hooked(const struct action_request *q, struct action_result *r,
		      const struct act_hooks *hooks)
{
	static int (*const levers[_LEVER_MAX])(struct act_ctx *) = {
		[LEVER_MEMCG_RECLAIM] = lever_memcg_reclaim,
		[LEVER_MEMCG_FORCE_EMPTY] = lever_force_empty,
		[LEVER_FILE_EVICT] = lever_fadvise,
		[LEVER_DROP_CACHES] = lever_drop_caches,
		[LEVER_COMPACT] = lever_compact,
	};
	struct act_ctx c = {
		.q = q, .r = r, .hooks = hooks, .hook_data = hooks ? hooks->data : NULL,
		.swap_total_known = -1,
	};
	uint64_t start;
	long ps = sysconf(_SC_PAGESIZE);
	int ret;

	start = act_ctx_now(&c);
	memset(r, 0, sizeof(*r));
	r->lever = q->lever;
	r->dry_run = q->dry_run;
	if ((unsigned)q->lever >= _LEVER_MAX) {
		act_fail(&c, -EINVAL, "lever %d", (int)q->lever);
		return r->error;
	}
	c.page_size = ps > 0 ? (unsigned)ps : 4096;
	if (q->max_duration_ns)
		c.deadline_ns = start + q->max_duration_ns;
	act_measure_global(&c, &r->before);
	act_measure_hot(&c, &r->before);
	ret = levers[q->lever](&c);
	if (ret < 0)
		act_fail(&c, ret, "%s", lever_name(q->lever));
	act_measure_global(&c, &r->after);
	act_measure_hot(&c, &r->after);
	act_ctx_close(&c);
	/* A lever that could reach none of its targets failed with the first
	 * reason; one that reached some reports the rest as unreachable. */
	if (!r->error && r->unreachable && c.first_unreachable_err && !r->steps &&
	    !r->bytes_targeted && !r->skipped_frozen && !r->skipped_hot)
		act_fail(&c, c.first_unreachable_err, "%s", c.first_unreachable);
	switch (q->lever) {
	case LEVER_DROP_CACHES:
		r->bytes_returned = sat_sub64(r->before.page_cache, r->after.page_cache);
		break;
	case LEVER_COMPACT:
		r->bytes_returned = sat_sub64(r->after.reportable_free, r->before.reportable_free);
		break;
	default:
		r->bytes_returned = sat_sub64(r->before.targets_cache, r->after.targets_cache);
		break;
	}
	if (q->dry_run)
		r->bytes_returned = 0;
	r->duration_ns = act_ctx_now(&c) - start;
	r->realtime_ns = clock_now_ns(CLOCK_REALTIME);
	return r->error;
}

int action_run(const struct action_request *q, struct action_result *r)
{
	return action_run_hooked(q, r, NULL);
}
