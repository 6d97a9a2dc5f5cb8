/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "platform.h"
#include "sbuf.h"
#include "state.h"

#include "actions/lever_names.h"

/* The agent's levers by their one name (the agent's one table,
 * actions/lever_names.h); any other name an agent sends is counted as
 * "other" so labels stay bounded. */
#define STATE_LEVER(e, name) name,
const char *const state_lever_names[STATE_LEVERS] = { FOREACH_LEVER(STATE_LEVER) "other" };
#undef STATE_LEVER
#define STATE_LEVER_ID(e, name) STATE_##e,
enum { FOREACH_LEVER(STATE_LEVER_ID) };
#undef STATE_LEVER_ID

int state_init(struct bridge_state *s)
{
	memset(s, 0, sizeof(*s));
	s->lock = plat_mutex_new();
	if (!s->lock)
		return -ENOMEM;
	s->started_wall_ms = plat_wall_ns() / 1000000;
	return 0;
}

static void distro_free(struct distro *d)
{
	if (!d)
		return;
	free(d->report_text);
	free(d);
}

void state_fini(struct bridge_state *s)
{
	for (size_t i = 0; i < s->ndistros; i++)
		distro_free(s->distros[i]);
	plat_mutex_free(s->lock);
	memset(s, 0, sizeof(*s));
}

struct distro *state_distro(struct bridge_state *s, const char *name, bool create)
{
	struct distro *d;

	for (size_t i = 0; i < s->ndistros; i++)
		if (!proto_ascii_casecmp(s->distros[i]->name, name))
			return s->distros[i];
	if (!create || !proto_distro_name_valid(name))
		return NULL;
	if (s->ndistros == STATE_MAX_DISTROS) {
		/* Forget the distro not seen for longest, if it is gone. */
		size_t oldest = SIZE_MAX;

		for (size_t i = 0; i < s->ndistros; i++)
			if (!s->distros[i]->connections &&
			    (oldest == SIZE_MAX ||
			     s->distros[i]->last_seen_wall_ms < s->distros[oldest]->last_seen_wall_ms))
				oldest = i;
		if (oldest == SIZE_MAX)
			return NULL;
		distro_free(s->distros[oldest]);
		s->distros[oldest] = s->distros[--s->ndistros];
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	snprintf(d->name, sizeof(d->name), "%s", name);
	s->distros[s->ndistros++] = d;
	return d;
}

static bool finding_counts(json_t *f)
{
	const char *sev = json_string_value(json_object_get(f, "severity"));

	return sev && (!strcmp(sev, "conflict") || !strcmp(sev, "warning"));
}

int state_status(struct distro *d, const struct proto_status *st, uint64_t wall_ms)
{
	struct state_sample *smp;
	char *text;

	/* The line's depth counts the message object around the report. */
	if (st->report_len > STATE_REPORT_MAX || st->depth > STATE_REPORT_DEPTH + 1)
		return -EMSGSIZE;
	text = malloc(st->report_len + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, st->report, st->report_len);
	text[st->report_len] = '\0';
	free(d->report_text);
	d->report_text = text;
	d->report_len = st->report_len;
	d->statuses++;
	d->page_cache_bytes = st->page_cache_known ? st->page_cache_bytes : 0;
	d->episode_attributed_known = st->episode_attributed_known;
	d->episode_attributed_bytes = st->episode_attributed_bytes;
	d->episode_active = st->episode_active;
	d->conflicts = st->conflicts;

	smp = &d->history[d->history_next];
	smp->wall_ms = wall_ms;
	smp->page_cache_bytes = d->page_cache_bytes;
	smp->returned_bytes = d->returned_bytes;
	d->history_next = (d->history_next + 1) % STATE_HISTORY;
	if (d->nhistory < STATE_HISTORY)
		d->nhistory++;
	return 0;
}

static size_t lever_index(const char *name)
{
	for (size_t i = 0; i < STATE_LEVERS - 1; i++)
		if (!strcmp(name, state_lever_names[i]))
			return i;
	return STATE_LEVERS - 1;
}

void state_event(struct distro *d, const struct proto_event *e, uint64_t wall_ms)
{
	struct state_reclaim *rc;
	size_t lever;

	switch (e->kind) {
	case PROTO_EV_RECLAIM:
		/* Compaction's gain is reportable free, not memory returned:
		 * the agent's totals leave it out, so does this one. */
		lever = lever_index(e->lever);
		if (lever != STATE_LEVER_COMPACT)
			d->returned_bytes += e->returned_bytes;
		d->actions[lever]++;
		rc = &d->reclaims[d->reclaims_next];
		rc->wall_ms = e->time_ms ? e->time_ms : wall_ms;
		rc->bytes = e->returned_bytes;
		snprintf(rc->lever, sizeof(rc->lever), "%s", e->lever);
		snprintf(rc->reason, sizeof(rc->reason), "%s", e->reason ? e->reason : "");
		d->reclaims_next = (d->reclaims_next + 1) % STATE_RECLAIMS;
		if (d->nreclaims < STATE_RECLAIMS)
			d->nreclaims++;
		break;
	case PROTO_EV_EPISODE_STARTED:
		d->episode_active = true;
		d->episodes++;
		break;
	case PROTO_EV_EPISODE_ENDED:
		d->episode_active = false;
		break;
	case PROTO_EV_CONFLICTS_CHANGED:
		d->conflicts = e->conflicts;
		break;
	case PROTO_EV_LEADER_CHANGED:
		snprintf(d->leader, sizeof(d->leader), "%s", e->leader);
		break;
	}
}

bool state_change_allowed(struct distro *d, uint64_t now_ms, unsigned *retry_s)
{
	uint64_t oldest = d->change_ms[d->change_next];

	if (oldest && now_ms >= oldest && now_ms - oldest < STATE_CHANGE_WINDOW_MS) {
		*retry_s = (unsigned)((STATE_CHANGE_WINDOW_MS - (now_ms - oldest) + 999) / 1000);
		return false;
	}
	d->change_ms[d->change_next] = now_ms ? now_ms : 1;
	d->change_next = (d->change_next + 1) % STATE_CHANGE_BURST;
	return true;
}

static json_t *time_json(uint64_t wall_ms)
{
	char buf[32];

	if (!wall_ms)
		return json_null();
	format_utc((unsigned long long)wall_ms * 1000000ull, true, buf, sizeof(buf));
	return json_string(buf);
}

/* The findings worth showing (conflict or warning), with their remedies:
 * each remedy is what the distro's agent sent, so it says so
 * ("remedy_source"), and the page labels it. */
static json_t *conflicts_json(const struct distro *d)
{
	json_t *out = json_array(), *findings, *f, *report;
	size_t i;

	/* One report parsed at a time, freed at once: at most one tree of
	 * STATE_REPORT_MAX bytes exists. */
	report = d->report_text ? json_loadb(d->report_text, d->report_len, 0, NULL) : NULL;
	findings = json_object_get(json_object_get(report, "conflicts"), "findings");
	json_array_foreach(findings, i, f) {
		if (!finding_counts(f))
			continue;
		json_array_append_new(out, json_pack("{s:O*, s:O*, s:O*, s:O*, s:O*, s:s}",
						     "id", json_object_get(f, "id"),
						     "severity", json_object_get(f, "severity"),
						     "name", json_object_get(f, "name"),
						     "message", json_object_get(f, "message"),
						     "remedy", json_object_get(f, "remedy"),
						     "remedy_source", "reported by the distro"));
	}
	json_decref(report);
	return out;
}

/* A distro's entry without its "status" (state_api_text adds the text). */
static json_t *distro_json(const struct distro *d)
{
	json_t *o, *hist = json_array(), *rec = json_array(), *actions = json_object();

	for (size_t i = 0; i < d->nhistory; i++) {
		const struct state_sample *smp =
			&d->history[(d->history_next + STATE_HISTORY - d->nhistory + i) % STATE_HISTORY];

		json_array_append_new(hist, json_pack("[I, I, I]", (json_int_t)smp->wall_ms,
						      (json_int_t)smp->page_cache_bytes,
						      (json_int_t)smp->returned_bytes));
	}
	for (size_t i = 0; i < d->nreclaims; i++) {
		const struct state_reclaim *rc =
			&d->reclaims[(d->reclaims_next + STATE_RECLAIMS - d->nreclaims + i) % STATE_RECLAIMS];

		json_array_append_new(rec, json_pack("{s:o, s:s, s:I, s:s}", "time", time_json(rc->wall_ms),
						     "lever", rc->lever, "returned_bytes", (json_int_t)rc->bytes,
						     "reason", rc->reason));
	}
	for (size_t i = 0; i < STATE_LEVERS; i++)
		if (d->actions[i])
			json_object_set_new(actions, state_lever_names[i],
					    json_integer((json_int_t)d->actions[i]));
	o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:o, s:o, s:I, s:I, s:o, s:b, s:I, s:o, "
		      "s:{s:I, s:o, s:o}, s:o, s:o}",
		      "name", d->name,
		      "connection", d->connections ? "connected" : "disconnected",
		      "role", d->role[0] ? d->role : NULL,
		      "agent_version", d->agent_version[0] ? d->agent_version : NULL,
		      "vm_id", d->vm_id[0] ? d->vm_id : NULL,
		      "connected_since", time_json(d->connections ? d->connected_wall_ms : 0),
		      "last_seen", time_json(d->last_seen_wall_ms),
		      "last_seen_ms", (json_int_t)d->last_seen_wall_ms,
		      "page_cache_bytes", (json_int_t)d->page_cache_bytes,
		      "episode_attributed_bytes",
		      d->episode_attributed_known ? json_integer((json_int_t)d->episode_attributed_bytes) : json_null(),
		      "episode_active", d->episode_active,
		      "conflict_count", (json_int_t)d->conflicts,
		      "conflicts", conflicts_json(d),
		      "reclaim", "returned_bytes", (json_int_t)d->returned_bytes,
		      "actions", actions, "history", rec,
		      "history", hist,
		      "leader", d->leader[0] ? json_string(d->leader) : json_null());
	return o;
}

/* Whether agents can reach the bridge now (Windows: the Hyper-V listener's
 * lifecycle, e.g. "no-vm" before WSL starts); null when the platform has
 * nothing to say. */
static json_t *transport_json(void)
{
	char st[16], detail[256];

	if (plat_transport_status(st, sizeof(st), detail, sizeof(detail)) < 0)
		return json_null();
	return json_pack("{s:s, s:s}", "state", st, "detail", detail);
}

int state_copy(const struct bridge_state *s, struct bridge_state *out)
{
	*out = *s;
	out->lock = NULL;
	out->ndistros = 0;
	for (size_t i = 0; i < s->ndistros; i++) {
		struct distro *d = malloc(sizeof(*d));

		if (!d) {
			state_copy_free(out);
			return -ENOMEM;
		}
		*d = *s->distros[i];
		d->report_text = NULL;
		if (s->distros[i]->report_text) {
			d->report_text = malloc(d->report_len + 1);
			if (!d->report_text) {
				free(d);
				state_copy_free(out);
				return -ENOMEM;
			}
			memcpy(d->report_text, s->distros[i]->report_text, d->report_len + 1);
		}
		out->distros[out->ndistros++] = d;
	}
	return 0;
}

void state_copy_free(struct bridge_state *c)
{
	for (size_t i = 0; i < c->ndistros; i++)
		distro_free(c->distros[i]);
	c->ndistros = 0;
}


/* Appends a jansson object's text without its closing brace, freed. */
static bool put_open(struct sbuf *b, json_t *o)
{
	char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t n = t ? strlen(t) : 0;

	json_decref(o);
	if (n < 2) {
		free(t);
		return false;
	}
	sbuf_put(b, t, n - 1);
	free(t);
	return true;
}

static json_t *head_json(const struct bridge_state *s, uint64_t wall_ms)
{
	json_t *host = s->host_known
		? json_pack("{s:I, s:I, s:I, s:I, s:b}", "total_bytes", (json_int_t)s->host.total_bytes,
			    "available_bytes", (json_int_t)s->host.available_bytes,
			    "commit_bytes", (json_int_t)s->host.commit_bytes,
			    "commit_limit_bytes", (json_int_t)s->host.commit_limit_bytes,
			    "low", s->host.low)
		: json_null();
	return json_pack("{s:i, s:s, s:o, s:o, s:o, s:o}", "schema_version", 1,
			 "bridge_version", PACKAGE_VERSION, "now", time_json(wall_ms),
			 "host_memory", host, "transport", transport_json(),
			 "advice", advice_json(s->advice, s->nadvice));
}


char *state_api_text(const struct bridge_state *s, uint64_t wall_ms, size_t *len)
{
	struct sbuf b = { 0 };

	if (!put_open(&b, head_json(s, wall_ms)))
		b.failed = true;
	sbuf_put(&b, ",\"distros\":[", 12);
	for (size_t i = 0; i < s->ndistros && !b.failed; i++) {
		const struct distro *d = s->distros[i];

		if (i)
			sbuf_put(&b, ",", 1);
		if (!put_open(&b, distro_json(d)))
			b.failed = true;
		/* proto_scan_status validated the report: it goes in as it came. */
		sbuf_put(&b, ",\"status\":", 10);
		if (d->report_text)
			sbuf_put(&b, d->report_text, d->report_len);
		else
			sbuf_put(&b, "null", 4);
		sbuf_put(&b, "}", 1);
	}
	sbuf_put(&b, "]}", 2);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static void metric_head(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values: backslash, double quote and newline escaped.  Distro names
 * are validated, but versions and VM ids come from agents too. */
static void label_value(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && o + 3 < size; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

#define FOR_DISTROS(s, d) \
	for (size_t _i = 0; _i < (s)->ndistros && ((d) = (s)->distros[_i]); _i++)

char *state_metrics(const struct bridge_state *s, size_t *len)
{
	struct sbuf b = { 0 };
	const struct distro *d;
	char v1[160], v2[160];

	metric_head(&b, "wsldock_bridge_build_info", "gauge", "The bridge's version, as a label.");
	sbuf_printf(&b, "wsldock_bridge_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	metric_head(&b, "wsldock_bridge_connections", "gauge", "Agent connections open now.");
	sbuf_printf(&b, "wsldock_bridge_connections %u\n", s->open_connections);
	metric_head(&b, "wsldock_bridge_connections_accepted_total", "counter",
		    "Agent connections accepted since the bridge started.");
	sbuf_printf(&b, "wsldock_bridge_connections_accepted_total %llu\n", (unsigned long long)s->connections);
	metric_head(&b, "wsldock_bridge_messages_total", "counter", "Protocol messages received.");
	sbuf_printf(&b, "wsldock_bridge_messages_total %llu\n", (unsigned long long)s->messages);
	metric_head(&b, "wsldock_bridge_protocol_errors_total", "counter",
		    "Messages answered with a protocol error (malformed, too long, unknown type).");
	sbuf_printf(&b, "wsldock_bridge_protocol_errors_total %llu\n", (unsigned long long)s->protocol_errors);
	metric_head(&b, "wsldock_bridge_changes_total", "counter", "Change requests, by result.");
	sbuf_printf(&b, "wsldock_bridge_changes_total{result=\"applied\"} %llu\n",
		  (unsigned long long)s->changes_applied);
	sbuf_printf(&b, "wsldock_bridge_changes_total{result=\"refused\"} %llu\n",
		  (unsigned long long)s->changes_refused);

	if (s->host_known) {
		metric_head(&b, "wsldock_host_memory_total_bytes", "gauge", "The host's physical memory.");
		sbuf_printf(&b, "wsldock_host_memory_total_bytes %llu\n", (unsigned long long)s->host.total_bytes);
		metric_head(&b, "wsldock_host_memory_available_bytes", "gauge",
			    "The host's memory available to programs.");
		sbuf_printf(&b, "wsldock_host_memory_available_bytes %llu\n",
			  (unsigned long long)s->host.available_bytes);
		if (s->host.commit_limit_bytes) {
			metric_head(&b, "wsldock_host_memory_commit_bytes", "gauge", "The host's committed memory.");
			sbuf_printf(&b, "wsldock_host_memory_commit_bytes %llu\n",
				  (unsigned long long)s->host.commit_bytes);
			metric_head(&b, "wsldock_host_memory_commit_limit_bytes", "gauge",
				    "The host's commit limit.");
			sbuf_printf(&b, "wsldock_host_memory_commit_limit_bytes %llu\n",
				  (unsigned long long)s->host.commit_limit_bytes);
		}
		metric_head(&b, "wsldock_host_memory_low", "gauge",
			    "1 while the host is low on memory (agents then reclaim cold page cache).");
		sbuf_printf(&b, "wsldock_host_memory_low %d\n", s->host.low ? 1 : 0);
	}

	if (!s->ndistros)
		goto done;
	metric_head(&b, "wsldock_agent_up", "gauge", "1 while the distro's agent is connected.");
	FOR_DISTROS(s, d)
		sbuf_printf(&b, "wsldock_agent_up{distro=\"%s\"} %d\n", d->name, d->connections ? 1 : 0);
	metric_head(&b, "wsldock_agent_info", "gauge", "The agent's version and role, as labels.");
	FOR_DISTROS(s, d) {
		label_value(d->agent_version, v1, sizeof(v1));
		label_value(d->role, v2, sizeof(v2));
		sbuf_printf(&b, "wsldock_agent_info{distro=\"%s\",version=\"%s\",role=\"%s\"} 1\n",
			  d->name, v1, v2);
	}
	metric_head(&b, "wsldock_agent_last_seen_timestamp_seconds", "gauge",
		    "When the agent last sent a message, in seconds since the epoch.");
	FOR_DISTROS(s, d)
		sbuf_printf(&b, "wsldock_agent_last_seen_timestamp_seconds{distro=\"%s\"} %llu.%03llu\n",
			  d->name, (unsigned long long)(d->last_seen_wall_ms / 1000),
			  (unsigned long long)(d->last_seen_wall_ms % 1000));
	metric_head(&b, "wsldock_page_cache_bytes", "gauge",
		    "Page cache the distro's kernel holds (the WSL VM's, shared by its distros).");
	FOR_DISTROS(s, d)
		if (d->statuses)
			sbuf_printf(&b, "wsldock_page_cache_bytes{distro=\"%s\"} %llu\n", d->name,
				  (unsigned long long)d->page_cache_bytes);
	metric_head(&b, "wsldock_episode_attributed_bytes", "gauge",
		    "Page cache the agent attributes to the current episode (Docker builds).");
	FOR_DISTROS(s, d)
		if (d->episode_attributed_known)
			sbuf_printf(&b, "wsldock_episode_attributed_bytes{distro=\"%s\"} %llu\n", d->name,
				  (unsigned long long)d->episode_attributed_bytes);
	metric_head(&b, "wsldock_returned_bytes_total", "counter",
		    "Memory the agent's reclaim actions handed back to the host (not compaction's).");
	FOR_DISTROS(s, d)
		sbuf_printf(&b, "wsldock_returned_bytes_total{distro=\"%s\"} %llu\n", d->name,
			  (unsigned long long)d->returned_bytes);
	metric_head(&b, "wsldock_reclaim_actions_total", "counter", "Reclaim actions, by lever.");
	FOR_DISTROS(s, d)
		for (size_t i = 0; i < STATE_LEVERS; i++)
			sbuf_printf(&b, "wsldock_reclaim_actions_total{distro=\"%s\",lever=\"%s\"} %llu\n",
				  d->name, state_lever_names[i], (unsigned long long)d->actions[i]);
	metric_head(&b, "wsldock_episodes_total", "counter", "Episodes (Docker builds) the agent saw start.");
	FOR_DISTROS(s, d)
		sbuf_printf(&b, "wsldock_episodes_total{distro=\"%s\"} %llu\n", d->name,
			  (unsigned long long)d->episodes);
	metric_head(&b, "wsldock_conflicts", "gauge",
		    "Findings of severity conflict or warning (wsldock-agent conflicts).");
	FOR_DISTROS(s, d)
		sbuf_printf(&b, "wsldock_conflicts{distro=\"%s\"} %llu\n", d->name,
			  (unsigned long long)d->conflicts);
done:
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
