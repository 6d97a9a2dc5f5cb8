/* SPDX-License-Identifier: MIT */
/* The agent's bridge client on a real sd-event loop and a real unix
 * socket: the bounded queue while the bridge is away (latest events kept,
 * the oldest dropped and counted), hello first on connect, host memory as
 * the policy's input and reset on disconnect, and a back-off that waits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "unit.h"

#include "bridge/bridge_client.h"
#include "daemon/daemon.h"

static struct dlog test_log = { .foreground = true, .journal = false, .verb = "test" };

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void run_for(sd_event *ev, unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end)
		sd_event_run(ev, 20000);
}

static const char *state_of(struct bridge_client *c, json_int_t *queued, json_int_t *dropped)
{
	static char s[32];
	json_t *j = bridge_client_state_json(c);

	snprintf(s, sizeof(s), "%s", json_string_value(json_object_get(j, "state")));
	if (queued)
		*queued = json_integer_value(json_object_get(j, "queued_events"));
	if (dropped)
		*dropped = json_integer_value(json_object_get(j, "events_dropped"));
	json_decref(j);
	return s;
}

static int listen_at(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sun.sun_path, path);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* Reads n lines from fd (blocking, with the loop run in between). */
static void read_lines(sd_event *ev, int fd, char lines[][512], int n)
{
	static char buf[1 << 16];
	size_t len = 0;
	int got = 0;
	uint64_t end = mono_ms() + 5000;

	while (got < n && mono_ms() < end) {
		char *nl;
		ssize_t r;

		sd_event_run(ev, 10000);
		r = recv(fd, buf + len, sizeof(buf) - len - 1, MSG_DONTWAIT);
		if (r > 0)
			len += (size_t)r;
		while (got < n && (nl = memchr(buf, '\n', len))) {
			snprintf(lines[got++], 512, "%.*s", (int)(nl - buf), buf);
			len -= (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, len);
		}
	}
	assert_int_equal(got, n);
}

static void test_queue_connect_host(void **state)
{
	char dir[] = "/tmp/wsldock-client.XXXXXX", path[128], lines[70][512];
	struct bridge_client *c;
	json_int_t queued, dropped;
	sd_event *ev;
	int l, a;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "unix:%s/b.sock", dir);
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(bridge_client_new(ev, &test_log, path, "Ubuntu", NULL, &c), 0);
	run_for(ev, 50);
	assert_string_equal(state_of(c, NULL, NULL), "waiting");
	for (int i = 0; i < 100; i++)
		bridge_client_event(c, json_pack("{s:s, s:s, s:i}", "type", "event", "event",
						 "episode-started", "episode", i));
	state_of(c, &queued, &dropped);
	assert_int_equal(queued, BRIDGE_EVENTS_MAX);
	assert_int_equal(dropped, 100 - BRIDGE_EVENTS_MAX);
	assert_false(bridge_client_host_low(c));
	{
		json_t *req = json_object();

		assert_int_equal(bridge_client_change(c, req, NULL, NULL), -ENOTCONN);
		json_decref(req);
	}

	l = listen_at(path + 5);
	/* The back-off retries on its own. */
	for (int k = 0; k < 300 && strcmp(state_of(c, NULL, NULL), "connected"); k++)
		run_for(ev, 10);
	assert_string_equal(state_of(c, NULL, NULL), "connected");
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	read_lines(ev, a, lines, 1 + BRIDGE_EVENTS_MAX);
	assert_non_null(strstr(lines[0], "\"type\":\"hello\""));
	assert_non_null(strstr(lines[0], "\"distro\":\"Ubuntu\""));
	/* The newest 64 events, in order: 36 .. 99. */
	assert_non_null(strstr(lines[1], "\"episode\":36"));
	assert_non_null(strstr(lines[BRIDGE_EVENTS_MAX], "\"episode\":99"));

	/* The bridge says the host is low: the policy's input turns on. */
	const char *hm = "{\"type\":\"hello\",\"protocol_min\":1,\"protocol_max\":1,\"bridge_version\":\"t\"}\n"
			 "{\"type\":\"host-memory\",\"total_bytes\":100,\"available_bytes\":1,\"low\":true}\n";
	assert_int_equal(send(a, hm, strlen(hm), 0), (ssize_t)strlen(hm));
	for (int k = 0; k < 100 && !bridge_client_host_low(c); k++)
		run_for(ev, 10);
	assert_true(bridge_client_host_low(c));

	/* The status goes out when due, the latest only. */
	json_t *rep = json_pack("{s:{s:I}}", "memory", "page_cache_bytes", (json_int_t)5);
	assert_true(bridge_client_wants_status(c, 1));
	bridge_client_status(c, rep, 5, 1);
	json_decref(rep);
	read_lines(ev, a, lines, 1);
	assert_non_null(strstr(lines[0], "\"type\":\"status\""));
	assert_false(bridge_client_wants_status(c, 2));

	/* The bridge goes away: stale news must not keep the host "low". */
	close(a);
	for (int k = 0; k < 100 && !strcmp(state_of(c, NULL, NULL), "connected"); k++)
		run_for(ev, 10);
	assert_string_not_equal(state_of(c, NULL, NULL), "connected");
	assert_false(bridge_client_host_low(c));

	bridge_client_free(c);
	close(l);
	unlink(path + 5);
	rmdir(dir);
	sd_event_unref(ev);
}

static void test_backoff_waits(void **state)
{
	struct bridge_client *c;
	sd_event *ev;
	json_t *j;
	json_int_t n;

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(bridge_client_new(ev, &test_log, "unix:/nonexistent/wsldock-b.sock", "D", NULL, &c), 0);
	run_for(ev, 3000);
	j = bridge_client_state_json(c);
	n = json_integer_value(json_object_get(j, "reconnects"));
	json_decref(j);
	/* 0.25-0.5 s, 0.5-1 s, 1-2 s, ...: at most 4 tries in 3 s (a client
	 * without back-off would have tried hundreds of times). */
	assert_true(n >= 1);
	assert_true(n <= 4);
	bridge_client_free(c);
	sd_event_unref(ev);
}

static void test_endpoints(void **state)
{
	char why[256];

	assert_int_equal(bridge_endpoint_check("unix:/run/x.sock", why, sizeof(why)), 0);
	assert_int_equal(bridge_endpoint_check("tcp:127.0.0.1:9", why, sizeof(why)), 0);
	assert_int_equal(bridge_endpoint_check("vsock:2:9478", why, sizeof(why)), 0);
	assert_int_equal(bridge_endpoint_check("tcp:host", why, sizeof(why)), -EINVAL);
	assert_int_equal(bridge_endpoint_check("vsock:x:1", why, sizeof(why)), -EINVAL);
	assert_int_equal(bridge_endpoint_check("http://x", why, sizeof(why)), -EINVAL);
	/* vsock only on WSL 2 or when asked for. */
	assert_null(bridge_default_endpoint(NULL, false));
	assert_string_equal(bridge_default_endpoint(NULL, true), "vsock:2:9478");
	assert_null(bridge_default_endpoint("none", true));
	assert_string_equal(bridge_default_endpoint("unix:/b", false), "unix:/b");
}

int main(void)
{
	test_log.err = stderr;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_queue_connect_host),
		cmocka_unit_test(test_backoff_waits),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
