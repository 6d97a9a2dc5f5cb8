/* SPDX-License-Identifier: MIT */
/* The verbs' one way to the running daemon: its control socket
 * (wsldock-agent(8), CONTROL SOCKET).  `report` and `reclaim` say where
 * their figures come from; `integration` and `wslconfig` send their change
 * requests, which the daemon relays to wsldock-bridge. */
#include "cli/daemon_link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/control.h"

/* Time for a reply: a status is a few milliseconds; a reclaim-now runs
 * levers, each bounded by action_timeout; a change waits for the bridge,
 * which the daemon bounds at 10 s (this is longer, to hear its error). */
#define STATUS_TIMEOUT_MS 5000
#define RECLAIM_TIMEOUT_MS 120000
#define CHANGE_TIMEOUT_MS 15000

static int timeout_ms(const char *request)
{
	json_t *o = json_loads(request, 0, NULL);
	const char *name = json_string_value(json_object_get(o, "request"));
	int ms = STATUS_TIMEOUT_MS;

	if (name && !strcmp(name, "reclaim-now"))
		ms = RECLAIM_TIMEOUT_MS;
	else if (name && !strcmp(name, "change"))
		ms = CHANGE_TIMEOUT_MS;
	json_decref(o);
	return ms;
}

int daemon_link_call(const char *const *requests, size_t n, json_t **replies, char *why,
		     size_t whylen)
{
	const char *path = control_client_path(NULL);
	struct control_conn cc;
	int r;

	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	r = control_connect(&cc, path);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		snprintf(why, whylen, "not running");
		return -ENOENT;
	}
	if (r < 0) {
		snprintf(why, whylen, "cannot be asked (%s: %s)", path, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		r = control_call(&cc, requests[i], timeout_ms(requests[i]), &replies[i]);
		if (r < 0) {
			snprintf(why, whylen, "not answering (%s: %s)", path, strerror(-r));
			break;
		}
	}
	control_disconnect(&cc);
	if (r < 0)
		for (size_t i = 0; i < n; i++) {
			json_decref(replies[i]);
			replies[i] = NULL;
		}
	return r;
}

void daemon_link_line(FILE *f, const json_t *daemon, const char *standalone_why)
{
	if (!daemon) {
		fprintf(f, "daemon: %s (figures from this process alone)\n", standalone_why);
		return;
	}
	fprintf(f, "daemon: running (pid %lld, %s)\n",
		(long long)json_integer_value(json_object_get(daemon, "pid")),
		json_string_value(json_object_get(daemon, "role")) ?: "?");
}

json_t *daemon_link_absent(const char *standalone_why)
{
	return json_pack("{s:b, s:s}", "running", 0, "detail", standalone_why);
}

json_t *daemon_link_report(char *why, size_t whylen)
{
	static const char *const requests[] = { "{\"request\":\"status\"}",
						"{\"request\":\"history\",\"limit\":10}" };
	json_t *replies[2], *daemon = NULL;

	if (daemon_link_call(requests, 2, replies, why, whylen) < 0)
		return NULL;
	if (!json_is_true(json_object_get(replies[0], "ok")) ||
	    !json_is_true(json_object_get(replies[1], "ok"))) {
		/* A member of neither root nor the control group. */
		snprintf(why, whylen, "refused to answer (%s)",
			 json_string_value(json_object_get(replies[0], "error")) ?:
			 json_string_value(json_object_get(replies[1], "error")) ?: "?");
	} else {
		daemon = json_incref(json_object_get(replies[0], "daemon"));
		if (daemon)
			json_object_set(daemon, "history", json_object_get(replies[1], "actions"));
	}
	json_decref(replies[0]);
	json_decref(replies[1]);
	return daemon;
}

/* "Bridge: STATE (ENDPOINT) ..." from the status reply's daemon.bridge. */
static void bridge_text(FILE *f, const json_t *b)
{
	const char *state = json_string_value(json_object_get(b, "state"));
	const char *endpoint = json_string_value(json_object_get(b, "endpoint"));

	if (!state)
		return;
	fprintf(f, "\nBridge: %s", state);
	if (endpoint)
		fprintf(f, " (%s)", endpoint);
	if (!strcmp(state, "connected"))
		fprintf(f, " since %s, %lld statuses sent, %lld events queued, %lld dropped",
			json_string_value(json_object_get(b, "since")) ?: "?",
			(long long)json_integer_value(json_object_get(b, "statuses_sent")),
			(long long)json_integer_value(json_object_get(b, "queued_events")),
			(long long)json_integer_value(json_object_get(b, "events_dropped")));
	else if (json_string_value(json_object_get(b, "last_error")))
		fprintf(f, ": %s", json_string_value(json_object_get(b, "last_error")));
	else if (json_string_value(json_object_get(b, "detail")))
		fprintf(f, ": %s", json_string_value(json_object_get(b, "detail")));
	if (json_is_true(json_object_get(json_object_get(b, "host_memory"), "low")))
		fprintf(f, "; the host is LOW on memory");
	fputc('\n', f);
}

static double mib(const json_t *o, const char *key)
{
	return (double)json_integer_value(json_object_get(o, key)) / (1024.0 * 1024.0);
}

void daemon_link_report_text(FILE *f, const json_t *daemon, const char *why)
{
	const json_t *ep, *history, *a;
	size_t i;

	fputc('\n', f);
	daemon_link_line(f, daemon, why);
	if (!daemon)
		return;
	ep = json_object_get(daemon, "episode");
	history = json_object_get(daemon, "history");
	fprintf(f, "  mode %s, tracker %s, %s, up %lld s\n",
		json_string_value(json_object_get(daemon, "mode")) ?: "?",
		json_string_value(json_object_get(daemon, "tracker")) ?: "?",
		json_string_value(json_object_get(daemon, "state")) ?: "?",
		json_integer_value(json_object_get(daemon, "uptime_s")));
	if (json_integer_value(json_object_get(ep, "id")))
		fprintf(f, "  episode %lld: %s, %.1f MiB, %.1f MiB returned\n",
			json_integer_value(json_object_get(ep, "id")),
			json_string_value(json_object_get(ep, "state")) ?: "?", mib(ep, "attributed_bytes"),
			mib(ep, "returned_bytes"));
	else
		fprintf(f, "  no episode yet\n");
	fprintf(f, "  returned since start: %.1f MiB in %lld actions\n",
		mib(daemon, "returned_since_start_bytes"),
		json_integer_value(json_object_get(daemon, "actions_since_start")));
	if (json_array_size(history))
		fprintf(f, "  last actions:\n");
	json_array_foreach(history, i, a) {
		time_t t = (time_t)(json_integer_value(json_object_get(a, "time_ms")) / 1000);
		char when[16] = "?";
		struct tm tm;

		if (t && localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(f, "    %s %-14s %-18s targeted %8.1f MiB returned %8.1f MiB %5lld ms%s%s\n",
			when,
			json_string_value(json_object_get(a, "lever")) ?: "?",
			json_string_value(json_object_get(a, "reason")) ?: "?",
			mib(a, "targeted_bytes"), mib(a, "returned_bytes"),
			json_integer_value(json_object_get(a, "duration_ms")),
			json_is_true(json_object_get(a, "dry_run")) ? " (dry run)" : "",
			strcmp(json_string_value(json_object_get(a, "errno")) ?: "0", "0") ? " failed" : "");
	}
	bridge_text(f, json_object_get(daemon, "bridge"));
}
