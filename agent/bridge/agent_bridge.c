/* SPDX-License-Identifier: MIT */
/* The glue `run` calls: starts the client, builds the status (the report
 * --json document the `report` verb prints, plus the daemon's episode
 * state) and the events, and serves the control socket's bridge state and
 * change requests. */
#include "bridge/agent_bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions/actions.h"
#include "bridge/bridge_client.h"
#include "conflicts/conflicts.h"
#include "model/mem_state.h"
#include "outputs/report.h"
#include "policy/policy.h"
#include "runlog/record.h"
#include "runlog/runlog.h"

/* The conflicts check reads package databases: once every 5 minutes is
 * plenty for a status (conflicts-changed events say more). */
#define CONFLICTS_REFRESH_NS (300ull * 1000000000ull)

struct agent_bridge {
	const struct dlog *log;
	const char *root;
	struct bridge_client *bc;
	char off_detail[160];         /* why there is no client (bc NULL) */
	struct conflicts_snapshot *conflicts;
	uint64_t conflicts_at;
	size_t nconflicts;
	bool conflicts_sent;
	struct mem_state *ms;
};

/* WSL's `wslinfo --vm-id` (WSL 2.5.10+), only on WSL 2 and only once. */
static void read_vm_id(bool wsl2, char *buf, size_t size)
{
	FILE *p;

	buf[0] = '\0';
	if (!wsl2 || access("/usr/bin/wslinfo", X_OK) < 0)
		return;
	p = popen("/usr/bin/wslinfo --vm-id 2>/dev/null", "r");
	if (!p)
		return;
	if (!fgets(buf, (int)size, p))
		buf[0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	pclose(p);
}

struct agent_bridge *agent_bridge_start(sd_event *ev, const struct dlog *log,
					const struct agent_bridge_opts *o)
{
	struct agent_bridge *b = calloc(1, sizeof(*b));
	const char *endpoint = bridge_default_endpoint(o->endpoint, o->wsl2);
	char distro[65], vm_id[65];
	int r;

	if (!b)
		return NULL;
	b->log = log;
	b->root = o->root;
	b->ms = calloc(1, sizeof(*b->ms));
	if (o->distro && *o->distro)
		snprintf(distro, sizeof(distro), "%s", o->distro);
	else if (gethostname(distro, sizeof(distro)) < 0)
		snprintf(distro, sizeof(distro), "unknown");
	distro[sizeof(distro) - 1] = '\0';
	if (!endpoint) {
		snprintf(b->off_detail, sizeof(b->off_detail), "%s", o->endpoint ? "--bridge none"
			 : "not WSL 2 and no --bridge: no bridge");
		dlog_event(log, "bridge", "state=off detail=%s", b->off_detail);
	} else {
		read_vm_id(o->wsl2, vm_id, sizeof(vm_id));
		r = bridge_client_new(ev, log, endpoint, distro, vm_id, &b->bc);
		if (r < 0) {
			snprintf(b->off_detail, sizeof(b->off_detail), "%s: %s", endpoint,
				 r == -EINVAL ? "not vsock:CID:PORT, unix:PATH or tcp:HOST:PORT"
					      : strerror(-r));
			dlog_event(log, "bridge", "state=off endpoint=%s detail=%s", endpoint,
				   b->off_detail);
		}
	}
	return b;
}

void agent_bridge_free(struct agent_bridge *b)
{
	if (!b)
		return;
	bridge_client_free(b->bc);
	conflicts_snapshot_free(b->conflicts);
	free(b->ms);
	free(b);
}

bool agent_bridge_host_low(const struct agent_bridge *b)
{
	return b && bridge_client_host_low(b->bc);
}

void agent_bridge_tick(struct agent_bridge *b, const struct policy_history *h, bool leader,
		       uint64_t now_ns)
{
	struct diag_list diags = { 0 };
	json_t *doc;

	if (!b || !b->bc)
		return;
	bridge_client_set_role(b->bc, leader);
	if (!bridge_client_wants_status(b->bc, now_ns) || !b->ms)
		return;
	if (!b->conflicts || now_ns - b->conflicts_at > CONFLICTS_REFRESH_NS) {
		conflicts_snapshot_free(b->conflicts);
		b->conflicts = conflicts_snapshot_collect(b->root);
		b->conflicts_at = now_ns;
		if (b->conflicts) {
			size_t n = conflicts_count(&b->conflicts->findings);

			if (b->conflicts_sent && n != b->nconflicts)
				bridge_client_event(b->bc, json_pack("{s:s, s:s, s:I}", "type", "event", "event",
								     "conflicts-changed", "conflicts", (json_int_t)n));
			b->nconflicts = n;
			b->conflicts_sent = true;
		}
	}
	memset(b->ms, 0, sizeof(*b->ms));
	mem_state_collect(b->ms, b->root, (unsigned)sysconf(_SC_PAGESIZE), &diags);
	doc = report_json(b->ms, b->conflicts, &diags);
	diag_free(&diags);
	if (!doc)
		return;
	json_object_set_new(doc, "daemon",
			    json_pack("{s:s, s:b, s:I, s:I}", "state", policy_state_name(h->state),
				      "episode_active", h->state == PSTATE_GROWING,
				      "episode_attributed_bytes",
				      (json_int_t)(h->state == PSTATE_GROWING || h->state == PSTATE_RECLAIM
						   ? h->episode_bytes : 0),
				      "episode", (json_int_t)h->episode));
	bridge_client_status(b->bc, doc, b->ms->page_cache.known ? b->ms->page_cache.value : 0, now_ns);
	json_decref(doc);
}

/* wsldock-protocol(7) "reclaim": the action record's fields as they are. */
void agent_bridge_reclaim(struct agent_bridge *b, const struct policy_decision *d,
			  const struct action_result *r)
{
	json_t *ev;

	if (!b || !b->bc || r->dry_run)
		return;
	ev = agent_bridge_reclaim_event(d, r);
	if (!ev) {
		dlog_event(b->log, "bridge", "errno=ENOMEM detail=the reclaim event is not sent");
		return;
	}
	bridge_client_event(b->bc, ev);
}

json_t *agent_bridge_reclaim_event(const struct policy_decision *d, const struct action_result *r)
{
	struct action_record rec;
	json_t *ev = json_pack("{s:s, s:s}", "type", "event", "event", "reclaim");

	action_record_make(&rec, d, r);
	if (ev && action_record_json_into(&rec, ev) < 0) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

void agent_bridge_episode(struct agent_bridge *b, bool started, uint64_t episode)
{
	if (!b || !b->bc)
		return;
	bridge_client_event(b->bc, json_pack("{s:s, s:s, s:I}", "type", "event", "event",
					     started ? "episode-started" : "episode-ended",
					     "episode", (json_int_t)episode));
}

json_t *agent_bridge_state_json(const struct agent_bridge *b)
{
	if (!b)
		return json_pack("{s:s, s:s}", "state", "off", "detail", "the bridge client could not "
				 "start (out of memory)");
	if (!b->bc)
		return json_pack("{s:s, s:s}", "state", "off", "detail", b->off_detail);
	return bridge_client_state_json(b->bc);
}

int agent_bridge_change(struct agent_bridge *b, json_t *msg, bridge_result_fn fn, void *userdata,
			char *why, size_t why_len)
{
	json_t *st;
	int r;

	if (!b || !b->bc) {
		snprintf(why, why_len, "no bridge is configured (%s)", b ? b->off_detail : "out of memory");
		return -ENOTCONN;
	}
	r = bridge_client_change(b->bc, msg, fn, userdata);
	if (r == -ENOTCONN) {
		st = bridge_client_state_json(b->bc);
		snprintf(why, why_len, "the bridge at %s is not connected (%s%s%s): see "
			 "`wsldock-agent report`", json_string_value(json_object_get(st, "endpoint")) ?: "?",
			 json_string_value(json_object_get(st, "state")) ?: "?",
			 json_object_get(st, "last_error") ? ": " : "",
			 json_string_value(json_object_get(st, "last_error")) ?: "");
		json_decref(st);
	} else if (r == -EBUSY) {
		snprintf(why, why_len, "too many change requests wait for the bridge: try again");
	} else if (r < 0) {
		snprintf(why, why_len, "cannot send the change request: %s", strerror(-r));
	}
	return r;
}

void agent_bridge_forget(struct agent_bridge *b, void *userdata)
{
	if (b)
		bridge_client_forget(b->bc, userdata);
}
