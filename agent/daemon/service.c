/* SPDX-License-Identifier: MIT */
#include "daemon/service.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "bridge/agent_bridge.h"
#include "conflicts/conflicts.h"
#include "daemon/manual.h"
#include "model/mem_state.h"
#include "outputs/report.h"
#include "shared/util.h"

/* How long a change request waits for the bridge's answer.  The verbs wait
 * longer (cli/daemon_link.c), so they hear this daemon's timeout error. */
#define CHANGE_TIMEOUT_USEC (10ull * 1000000)

int service_config_load(const char *root, const char *path, const char *const *sets, size_t nsets,
			struct agent_conf *c, struct diag_list *d)
{
	struct agent_conf next;
	char err[400];
	int r;

	conf_default(&next);
	r = conf_load(root, path, &next, d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nsets; i++) {
		size_t k;

		if (policy_config_set(&next.reclaim, sets[i], err, sizeof(err)) < 0) {
			diag_add(d, "--set %s", err);
			return -EINVAL;
		}
		for (k = 0; k < policy_keys_n && k < CONF_KEYS_MAX; k++)
			if (!strncmp(sets[i], policy_keys[k].name, strlen(policy_keys[k].name)) &&
			    sets[i][strlen(policy_keys[k].name)] == '=')
				break;
		if (k < policy_keys_n && k < CONF_KEYS_MAX)
			next.reclaim_origin[k] = (struct conf_origin){ .file = "--set", .line = 0 };
	}
	*c = next;
	return 0;
}

static void fmt_time(uint64_t realtime_ns, char *buf, size_t size)
{
	time_t t = (time_t)(realtime_ns / NSEC_PER_SEC);
	struct tm tm;

	if (!realtime_ns || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "-");
}

/* ---- sd_notify ---- */

/* sd_notify(3) returns 0 without a NOTIFY_SOCKET (not under systemd);
 * a failure to send is said once in the log, not dropped. */
__attribute__((format(printf, 2, 3)))
static void notify(struct service *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = sd_notify(0, msg);
	if (r < 0 && !s->notify_failed_logged && s->log) {
		dlog_event(s->log, "warning", "errno=%s detail=sd_notify failed: systemd does not hear "
			   "this daemon's state", strerrorname_np(-r) ?: "?");
		s->notify_failed_logged = true;
	}
}

/* STATUS=: the daemon's state, then the last action in the record's own
 * names and values (as the run log writes them). */
static void status_line(const struct service *s, const struct service_state *st, char *buf,
			size_t size)
{
	static const char *const last[] = { "episode", "lever", "returned_bytes", "errno", NULL };
	const struct service_action *a = s->ring_n ?
		&s->ring[(s->ring_next + CONTROL_HISTORY_MAX - 1) % CONTROL_HISTORY_MAX] : NULL;
	char action[160] = "none";

	if (a)
		dlog_record_line(&a->rec, last, action, sizeof(action));
	snprintf(buf, size, "%s, mode %s, tracker %s, %s, episode %llu, returned %.1f MiB since "
		 "start, last action: %s", st->role, policy_mode_name(s->o->cfg.mode), st->tracker,
		 policy_state_name(st->state), (unsigned long long)st->episode,
		 (double)s->returned_total / (double)MIB, action);
}

void service_update(struct service *s, const struct service_state *st)
{
	char line[sizeof(s->status)];

	s->st = *st;
	status_line(s, st, line, sizeof(line));
	if (!strcmp(line, s->status))
		return;
	snprintf(s->status, sizeof(s->status), "%s", line);
	notify(s, "STATUS=%s", line);
}

void service_ready(struct service *s, const struct service_state *st)
{
	s->status[0] = '\0';
	notify(s, "READY=1");
	service_update(s, st);
}

void service_stop(struct service *s)
{
	notify(s, "STOPPING=1");
	control_close(&s->ctl);
}

/* ---- history ---- */

void service_record(struct service *s, const struct policy_decision *d,
		    const struct action_result *r, bool requested)
{
	struct service_action *a = &s->ring[s->ring_next];

	action_record_make(&a->rec, d, r);
	a->requested = requested;
	s->ring_next = (s->ring_next + 1) % CONTROL_HISTORY_MAX;
	if (s->ring_n < CONTROL_HISTORY_MAX)
		s->ring_n++;
	s->actions_total++;
	s->returned_total += action_record_returned(&a->rec);
	/* A run of levers inside one sample can outlast half the watchdog
	 * interval; each finished lever shows the loop is alive. */
	if (s->watchdog)
		notify(s, "WATCHDOG=1");
}

/* The record's fields, and what started the action. */
static json_t *action_json(const struct service_action *a)
{
	json_t *o = action_record_json(&a->rec);

	if (o && json_object_set_new(o, "trigger", json_string(a->requested ? "reclaim-now"
							       : "policy")) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The newest `limit` actions, oldest first. */
json_t *service_history_json(const struct service *s, unsigned limit)
{
	json_t *list = json_array();
	size_t n = s->ring_n < limit ? s->ring_n : limit;

	for (size_t i = 0; list && i < n; i++) {
		size_t at = (s->ring_next + CONTROL_HISTORY_MAX - n + i) % CONTROL_HISTORY_MAX;

		json_array_append_new(list, action_json(&s->ring[at]));
	}
	return list;
}

/* ---- answers ---- */

static json_t *daemon_json(const struct service *s)
{
	const struct service_state *st = &s->st;
	char started[32], ep_started[32];

	fmt_time(s->start_realtime_ns, started, sizeof(started));
	fmt_time(st->episode_start_realtime_ns, ep_started, sizeof(ep_started));
	return json_pack("{s:b, s:i, s:s, s:s, s:s, s:b, s:s, s:s, s:{s:I, s:s, s:I, s:I, s:s},"
			 " s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
			 "running", 1, "pid", (int)getpid(), "role", st->role, "lock", st->lock,
			 "mode", policy_mode_name(s->o->cfg.mode), "dry_run", s->o->dry_run,
			 "tracker", st->tracker, "state", policy_state_name(st->state),
			 "episode", "id", (json_int_t)st->episode, "state", policy_state_name(st->state),
			 "attributed_bytes", (json_int_t)st->episode_bytes,
			 "returned_bytes", (json_int_t)st->episode_returned, "started", ep_started,
			 "started", started,
			 "uptime_s", (json_int_t)((clock_now_ns(CLOCK_MONOTONIC) - s->start_mono_ns) / NSEC_PER_SEC),
			 "returned_since_start_bytes", (json_int_t)s->returned_total,
			 "actions_since_start", (json_int_t)s->actions_total,
			 "config", conf_json(s->o->conf), "control", control_stats_json(&s->ctl),
			 "bridge", agent_bridge_state_json(s->bridge),
			 "last_action", s->ring_n ? action_json(&s->ring[(s->ring_next +
				CONTROL_HISTORY_MAX - 1) % CONTROL_HISTORY_MAX]) : json_null());
}

/* Every reply but status's full state says who answered. */
static json_t *ok_reply(const struct service *s, const char *request)
{
	return json_pack("{s:b, s:s, s:{s:b, s:i, s:s, s:I}}", "ok", 1, "request", request,
			 "daemon", "running", 1, "pid", (int)getpid(), "role", s->st.role,
			 "returned_since_start_bytes", (json_int_t)s->returned_total);
}

static json_t *answer_status(struct service *s)
{
	struct diag_list dg = { 0 };
	struct conflicts_snapshot *cs;
	struct mem_state *m;
	json_t *reply = ok_reply(s, "status"), *doc = NULL;

	m = calloc(1, sizeof(*m));
	if (!m || !reply) {
		free(m);
		json_decref(reply);
		return control_error("status", "ENOMEM", "out of memory");
	}
	mem_state_collect(m, s->o->root, (unsigned)sysconf(_SC_PAGESIZE), &dg);
	cs = conflicts_snapshot_collect(s->o->root);
	doc = report_json(m, cs, &dg);
	json_object_set_new(reply, "report", doc ? doc : json_null());
	json_object_set_new(reply, "daemon", daemon_json(s));
	conflicts_snapshot_free(cs);
	diag_free(&dg);
	free(m);
	return reply;
}

static json_t *answer_history(struct service *s, unsigned limit)
{
	json_t *reply = ok_reply(s, "history");

	if (!reply)
		return control_error("history", "ENOMEM", "out of memory");
	json_object_set_new(reply, "actions", service_history_json(s, limit));
	json_object_set_new(reply, "returned_since_start_bytes", json_integer((json_int_t)s->returned_total));
	json_object_set_new(reply, "actions_since_start", json_integer((json_int_t)s->actions_total));
	return reply;
}

static void on_requested_action(void *u, const struct policy_decision *d,
				const struct action_result *r)
{
	service_record(u, d, r, true);
}

static json_t *answer_reclaim_now(struct service *s, const struct control_request *req,
				  const struct control_peer *peer)
{
	struct manual_reclaim m = {
		.cfg = &s->o->cfg, .root = s->o->root, .dry_run = req->dry_run || s->o->dry_run,
		.lever = -1, .log = s->log, .log_decisions = true,
		.on_action = on_requested_action, .u = s,
	};
	struct engine eng = { 0 };
	enum lever l;
	json_t *reply;
	int r;

	if (req->lever[0]) {
		if (lever_from_string(req->lever, &l) < 0) {
			char msg[160];

			snprintf(msg, sizeof(msg), "lever: one of %s", lever_names_list());
			return control_error("reclaim-now", "EINVAL", msg);
		}
		m.lever = (int)l;
	}
	if (!m.dry_run && strcmp(s->st.role, "leader"))
		return control_error("reclaim-now", "EBUSY", "this agent is a follower: the leader "
				     "reclaims (dry_run is allowed here)");
	dlog_event(s->log, "reclaim-now", "uid=%u dry_run=%s lever=%s", (unsigned)peer->uid,
		   m.dry_run ? "true" : "false", m.lever >= 0 ? lever_name((enum lever)m.lever) : "any");
	if (engine_init(&eng, s->o->root, s->o->docker_root, NULL) < 0)
		dlog_event(s->log, "warning", "detail=cannot read the cgroup layout: cgroup levers off");
	r = manual_reclaim_run(&m, &eng);
	engine_free(&eng);
	if (r < 0 || !m.doc) {
		json_decref(m.doc);
		return control_error("reclaim-now", "ENOMEM", "out of memory");
	}
	reply = ok_reply(s, "reclaim-now");
	if (!reply || json_object_update(reply, m.doc) < 0) {
		json_decref(reply);
		json_decref(m.doc);
		return control_error("reclaim-now", "ENOMEM", "out of memory");
	}
	json_decref(m.doc);
	json_object_set_new(reply, "failed", json_boolean(m.failed));
	service_update(s, &s->st);
	return reply;
}

/* Reads the configuration again; a bad one keeps the running one.  The
 * problems go to the log (stderr in --foreground, the journal) and, for
 * the control socket, into *errors. */
static int reload(struct service *s, const char *why, json_t **errors)
{
	struct diag_list dg = { 0 };
	struct agent_conf *next;
	int r;

	next = malloc(sizeof(*next));
	if (!next)
		return -ENOMEM;
	notify(s, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)(clock_now_ns(CLOCK_MONOTONIC) / 1000));
	r = service_config_load(s->o->root, s->o->config_path, s->o->sets, s->o->nsets, next, &dg);
	if (r < 0) {
		for (size_t i = 0; i < dg.n; i++)
			dlog_event(s->log, "reload", "result=failed trigger=%s detail=%s: the running "
				   "configuration stays", why, dg.items[i]);
	} else {
		*s->o->conf = *next;
		s->o->cfg = next->reclaim;
		dlog_event(s->log, "reload", "result=ok trigger=%s file=%s dropins=%u", why,
			   next->main_path, next->dropins);
		if (s->reloaded)
			s->reloaded(s->u);
	}
	if (errors)
		*errors = diag_to_json(&dg);
	diag_free(&dg);
	free(next);
	notify(s, "READY=1");
	s->status[0] = '\0';
	service_update(s, &s->st);
	return r;
}

static json_t *answer_reload(struct service *s)
{
	json_t *errors = NULL, *reply;
	int r = reload(s, "control", &errors);

	if (r == -ENOMEM)
		return control_error("reload", "ENOMEM", "out of memory");
	if (r < 0) {
		reply = control_error("reload", "EINVAL", "the configuration has errors: the running "
				      "one stays");
		json_object_set_new(reply, "errors", errors ? errors : json_array());
		return reply;
	}
	json_decref(errors);
	reply = ok_reply(s, "reload");
	json_object_set_new(reply, "config", conf_json(s->o->conf));
	return reply;
}

/* The bridge's change-result, or NULL: its connection closed first. */
static void on_change_result(void *ud, json_t *result)
{
	struct control_client *k = ud;
	struct service *s = control_client_handler_data(k);
	static const char *const keys[] = { "result", "changed", "message", "restart" };
	json_t *reply;

	if (!result) {
		dlog_event(s->log, "change", "result=none detail=the bridge connection closed before "
			   "it answered");
		control_answer(k, control_error("change", "ECONNRESET", "the bridge connection closed "
						"before it answered: the change may or may not be "
						"applied (see `wsldock-agent report`)"));
		return;
	}
	dlog_event(s->log, "change", "result=%s changed=%d detail=%s",
		   json_string_value(json_object_get(result, "result")) ?: "?",
		   json_is_true(json_object_get(result, "changed")),
		   json_string_value(json_object_get(result, "message")) ?: "");
	reply = ok_reply(s, "change");
	for (size_t i = 0; reply && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(result, keys[i]))
			json_object_set(reply, keys[i], json_object_get(result, keys[i]));
	control_answer(k, reply ? reply : control_error("change", "ENOMEM", "out of memory"));
}

static void change_forget(void *u, struct control_client *k)
{
	struct service *s = u;

	agent_bridge_forget(s->bridge, k);
}

/* Relayed to the bridge (wsldock-protocol(7), change); the client waits
 * for its answer, deferred, bounded by CHANGE_TIMEOUT_USEC.  A dry run
 * relays too: the agent writes nothing itself, the bridge decides. */
static json_t *answer_change(struct service *s, const struct control_request *req,
			     const struct control_peer *peer, struct control_client *k)
{
	bool integration = req->change == CONTROL_CHANGE_INTEGRATION;
	char why[320];
	json_t *msg;
	int r;

	msg = integration ? json_pack("{s:s, s:s, s:s}", "type", "change", "change", "integration",
				      "action", req->enable ? "enable" : "disable")
			  : json_pack("{s:s, s:s, s:s, s:s}", "type", "change", "change", "wslconfig",
				      "key", req->key, "value", req->value);
	if (!msg)
		return control_error("change", "ENOMEM", "out of memory");
	r = agent_bridge_change(s->bridge, msg, on_change_result, k, why, sizeof(why));
	json_decref(msg);
	if (r < 0) {
		dlog_event(s->log, "change", "uid=%u change=%s result=none detail=%s",
			   (unsigned)peer->uid, integration ? "integration" : "wslconfig", why);
		return control_error("change", r == -EBUSY ? "EBUSY" : r == -ENOMEM ? "ENOMEM"
				     : "ENOTCONN", why);
	}
	/* After the relay: were the wait not set up, the pending result is
	 * forgotten at once rather than left pointing at this client. */
	r = control_defer(k, "change", CHANGE_TIMEOUT_USEC, "the bridge did not answer within 10 s "
			  "(it may still apply the change: see its log)", change_forget, s);
	if (r < 0) {
		agent_bridge_forget(s->bridge, k);
		return control_error("change", "ENOMEM", "out of memory");
	}
	if (integration)
		dlog_event(s->log, "change", "uid=%u change=integration detail=asked the bridge: %s",
			   (unsigned)peer->uid, req->enable ? "enable" : "disable");
	else
		dlog_event(s->log, "change", "uid=%u change=wslconfig detail=asked the bridge: %s=%s",
			   (unsigned)peer->uid, req->key, req->value);
	return NULL;
}

static json_t *answer(void *u, const struct control_request *req, const struct control_peer *peer,
		      struct control_client *k)
{
	struct service *s = u;

	switch (req->verb) {
	case CONTROL_STATUS:
		return answer_status(s);
	case CONTROL_HISTORY:
		return answer_history(s, req->limit);
	case CONTROL_RECLAIM_NOW:
		return answer_reclaim_now(s, req, peer);
	case CONTROL_RELOAD:
		return answer_reload(s);
	case CONTROL_CHANGE:
		return answer_change(s, req, peer, k);
	default:
		return control_error(NULL, "EINVAL", "unknown request");
	}
}

static int on_sighup(sd_event_source *src, const struct signalfd_siginfo *si, void *u)
{
	reload(u, "SIGHUP", NULL);
	return 0;
}

int service_setup(struct service *s, sd_event *ev, struct daemon_opts *o, const struct dlog *log,
		  void (*reloaded)(void *u), void *u)
{
	const char *path = o->control_path;
	char why[512];
	sigset_t mask;
	int r;

	memset(s, 0, sizeof(*s));
	s->ctl.fd = -1;
	s->o = o;
	s->log = log;
	s->reloaded = reloaded;
	s->u = u;
	s->ev = ev;
	s->start_mono_ns = clock_now_ns(CLOCK_MONOTONIC);
	s->start_realtime_ns = clock_now_ns(CLOCK_REALTIME);
	s->st = (struct service_state){ .role = "-", .tracker = "none", .lock = "-" };
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	/* sd-event's signal source needs SIGHUP blocked; this cannot fail
	 * for a valid set, so a failure is a bug worth an error. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	r = sd_event_add_signal(ev, NULL, SIGHUP, on_sighup, s);
	if (r < 0)
		return r;
	/* WATCHDOG=1 from the loop itself, at half of WATCHDOG_USEC, when
	 * systemd (or a test) asks for it. */
	r = sd_event_set_watchdog(ev, true);
	if (r < 0)
		return r;
	s->watchdog = r > 0;
	if (!sd_booted() && !getenv("NOTIFY_SOCKET"))
		fprintf(stderr, "wsldock-agent run: systemd is not running here (no /run/systemd/system): "
			"nothing will restart the agent and there is no journal; run it from the "
			"[boot] command of /etc/wsl.conf instead (wsldock-agent(8), WITHOUT SYSTEMD)\n");
	if (!path)
		path = getenv("WSLDOCK_CONTROL_SOCKET");
	if (path && !*path)
		path = NULL;
	/* A dry run writes nothing anywhere, so it makes a socket file only
	 * where it is told to (tests); one passed by systemd it uses. */
	r = control_open(&s->ctl, ev, path, !o->dry_run || path, answer, s, why, sizeof(why));
	if (r == -ENOENT && o->dry_run && !path)
		snprintf(why, sizeof(why), "a dry run makes no socket file unless --control-socket or "
			 "$WSLDOCK_CONTROL_SOCKET names one");
	if (r < 0)
		dlog_event(log, "control", "socket=none errno=%s detail=%s: no control socket",
			   strerrorname_np(-r) ?: "?", why);
	else
		dlog_event(log, "control", "socket=%s activated=%d group=%s group_found=%d", s->ctl.path,
			   s->ctl.activated, s->ctl.group, s->ctl.have_gid);
	return 0;
}
