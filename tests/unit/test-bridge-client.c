/* SPDX-License-Identifier: MIT */
/* The agent's bridge client on a real sd-event loop and a real unix
 * socket: the bounded queue while the bridge is away (latest events kept,
 * the oldest dropped and counted), hello first on connect, host memory as
 * the policy's input and reset on disconnect, and a back-off that waits. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "unit.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bridge/bridge_client.h"
#include "daemon/daemon.h"
#include "../windows-bridge/proto.h"

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

/* The stand-in bridge's half of the hello: the enrolment key (0x11 x 32)
 * in DIR/bridge.key for the client, the HMAC for the test. */
static const unsigned char test_key[PROTO_KEY_BYTES] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};
#define TEST_NONCE "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void write_key(const char *dir, mode_t mode)
{
	char path[256], hex[PROTO_HEX_LEN(PROTO_KEY_BYTES) + 1];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bridge.key", dir);
	proto_hex(test_key, sizeof(test_key), hex);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", hex);
	fclose(f);
	chmod(path, mode);
	setenv("WSLDOCK_BRIDGE_KEY", path, 1);
}

static void mac_hex(bool agent, const char *agent_nonce, const char *distro, char out[65])
{
	unsigned char mac[PROTO_MAC_BYTES];
	unsigned int len;
	char input[256];
	int n = proto_auth_input(agent, TEST_NONCE, agent_nonce, distro, NULL, input, sizeof(input));

	assert_true(n > 0);
	assert_non_null(HMAC(EVP_sha256(), test_key, sizeof(test_key), (unsigned char *)input, (size_t)n, mac, &len));
	proto_hex(mac, sizeof(mac), out);
}

/* Sends the challenge, checks the agent's hello proves the key, answers
 * with the bridge's hello (its proof right, or wrong when bad_proof). */
static void handshake(sd_event *ev, int a, bool bad_proof)
{
	const char *ch = "{\"type\":\"challenge\",\"protocol_min\":2,\"protocol_max\":2,\"nonce\":\"" TEST_NONCE "\"}\n";
	char lines[1][512], want[65], reply[512];
	json_t *h;
	const char *an;

	assert_int_equal(send(a, ch, strlen(ch), MSG_NOSIGNAL), (ssize_t)strlen(ch));
	read_lines(ev, a, lines, 1);
	h = json_loads(lines[0], 0, NULL);
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(h, "type")), "hello");
	assert_string_equal(json_string_value(json_object_get(h, "distro")), "Ubuntu");
	an = json_string_value(json_object_get(h, "agent_nonce"));
	assert_non_null(an);
	mac_hex(true, an, "Ubuntu", want);
	assert_string_equal(json_string_value(json_object_get(h, "proof")), want);
	mac_hex(false, an, "Ubuntu", want);
	if (bad_proof)
		want[0] = want[0] == '0' ? '1' : '0';
	snprintf(reply, sizeof(reply),
		 "{\"type\":\"hello\",\"protocol_min\":2,\"protocol_max\":2,\"bridge_version\":\"t\",\"proof\":\"%s\"}\n"
		 "{\"type\":\"host-memory\",\"total_bytes\":100,\"available_bytes\":1,\"low\":true}\n", want);
	json_decref(h);
	assert_int_equal(send(a, reply, strlen(reply), MSG_NOSIGNAL), (ssize_t)strlen(reply));
}

static void test_queue_connect_host(void **state)
{
	char dir[] = "/tmp/wsldock-client.XXXXXX", path[128], lines[70][512];
	struct bridge_client *c;
	json_int_t queued, dropped;
	sd_event *ev;
	int l, a;

	assert_non_null(mkdtemp(dir));
	write_key(dir, 0600);
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
	/* The back-off retries on its own; the socket connects, but the state
	 * says "connected" only once the hello is done both ways. */
	fcntl(l, F_SETFL, O_NONBLOCK);
	a = -1;
	for (int k = 0; k < 300 && a < 0; k++) {
		run_for(ev, 10);
		a = accept(l, NULL, NULL);
	}
	assert_true(a >= 0);
	run_for(ev, 100);
	assert_string_equal(state_of(c, NULL, NULL), "connecting");
	{
		json_t *req = json_object();  /* borrowed by bridge_client_change */

		assert_int_equal(bridge_client_change(c, req, NULL, NULL), -ENOTCONN);
		json_decref(req);
	}
	/* Nothing before the challenge; the hello proves the key; what waited
	 * goes out only once the bridge proved it too. */
	assert_int_equal(recv(a, lines[0], sizeof(lines[0]), MSG_DONTWAIT), -1);
	handshake(ev, a, false);
	for (int k = 0; k < 300 && strcmp(state_of(c, NULL, NULL), "connected"); k++)
		run_for(ev, 10);
	assert_string_equal(state_of(c, NULL, NULL), "connected");
	read_lines(ev, a, lines, BRIDGE_EVENTS_MAX);
	/* The newest 64 events, in order: 36 .. 99. */
	assert_non_null(strstr(lines[0], "\"episode\":36"));
	assert_non_null(strstr(lines[BRIDGE_EVENTS_MAX - 1], "\"episode\":99"));

	/* The bridge says the host is low (in handshake()): the policy's input turns on. */
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
	snprintf(path, sizeof(path), "%s/bridge.key", dir);
	unlink(path);
	rmdir(dir);
	sd_event_unref(ev);
}

/* A bridge that cannot prove the key (an impostor on the port) gets
 * nothing: no event, no status, and its host-memory is not believed. */
static void test_impostor_bridge(void **state)
{
	char dir[] = "/tmp/wsldock-client.XXXXXX", path[128], buf[4096];
	struct bridge_client *c;
	sd_event *ev;
	ssize_t n, got = 0;
	int l, a;

	assert_non_null(mkdtemp(dir));
	write_key(dir, 0600);
	snprintf(path, sizeof(path), "unix:%s/b.sock", dir);
	l = listen_at(path + 5);
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(bridge_client_new(ev, &test_log, path, "Ubuntu", NULL, &c), 0);
	bridge_client_event(c, json_pack("{s:s, s:s}", "type", "event", "event", "build-started"));
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	handshake(ev, a, true);
	run_for(ev, 300);
	while ((n = recv(a, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		got += n;
	assert_int_equal(got, 0);
	assert_false(bridge_client_host_low(c));
	assert_string_not_equal(state_of(c, NULL, NULL), "connected");
	bridge_client_free(c);
	close(a);

	/* A key file others may read is refused: no hello is sent. */
	write_key(dir, 0644);
	assert_int_equal(bridge_client_new(ev, &test_log, path, "Ubuntu", NULL, &c), 0);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	{
		const char *ch = "{\"type\":\"challenge\",\"protocol_min\":2,\"protocol_max\":2,\"nonce\":\"" TEST_NONCE "\"}\n";

		/* The client may have closed already (EPIPE): it refuses the key
		 * file before it reads anything. */
		(void)send(a, ch, strlen(ch), MSG_NOSIGNAL);
	}
	run_for(ev, 300);
	assert_int_equal(recv(a, buf, sizeof(buf), MSG_DONTWAIT), 0);  /* closed, nothing sent */
	bridge_client_free(c);
	close(a);
	close(l);
	snprintf(buf, sizeof(buf), "%s/bridge.key", dir);
	unlink(buf);
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
		cmocka_unit_test(test_impostor_bridge),
		cmocka_unit_test(test_backoff_waits),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
