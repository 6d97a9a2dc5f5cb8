/* SPDX-License-Identifier: MIT */
/* wsldock-protocol(7): framing (bounded lines, byte-at-a-time, oversized
 * lines skipped), parsing, field validation and version negotiation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "unit.h"

#include "../../windows-bridge/proto.h"

struct lines {
	unsigned n, too_long;
	char last[256];
};

static void on_line(void *ud, const char *line, size_t len, int err)
{
	struct lines *l = ud;

	if (err == -EMSGSIZE) {
		l->too_long++;
		return;
	}
	l->n++;
	snprintf(l->last, sizeof(l->last), "%.*s", (int)len, line);
}

static void test_reader_lines(void **state)
{
	static struct proto_reader r;
	struct lines l = { 0 };
	const char *in = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\"";

	memset(&r, 0, sizeof(r));
	proto_reader_feed(&r, in, strlen(in), on_line, &l);
	assert_int_equal(l.n, 2);  /* the empty line is no message */
	assert_string_equal(l.last, "{\"b\":2}");
	proto_reader_feed(&r, ":3}\n", 4, on_line, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.last, "{\"c\":3}");
}

static void test_reader_byte_at_a_time(void **state)
{
	static struct proto_reader r;
	struct lines l = { 0 };
	const char *in = "{\"type\":\"hello\"}\n{\"type\":\"status\"}\n";

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < strlen(in); i++)
		proto_reader_feed(&r, in + i, 1, on_line, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.last, "{\"type\":\"status\"}");
}

static void test_reader_oversized(void **state)
{
	static struct proto_reader r;
	struct lines l = { 0 };
	char *big = malloc(PROTO_MAX_MESSAGE + 10);

	assert_non_null(big);
	memset(&r, 0, sizeof(r));
	memset(big, 'x', PROTO_MAX_MESSAGE + 10);
	/* Over the bound in pieces: reported once, skipped to the newline,
	 * and the next message is read normally. */
	proto_reader_feed(&r, big, 40000, on_line, &l);
	proto_reader_feed(&r, big, PROTO_MAX_MESSAGE + 10, on_line, &l);
	proto_reader_feed(&r, "tail\n{\"ok\":1}\n", 14, on_line, &l);
	assert_int_equal(l.too_long, 1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.last, "{\"ok\":1}");

	/* Exactly the bound, newline included, is accepted. */
	memset(big, ' ', PROTO_MAX_MESSAGE);
	big[0] = '{';
	big[PROTO_MAX_MESSAGE - 2] = '}';
	big[PROTO_MAX_MESSAGE - 1] = '\n';
	proto_reader_feed(&r, big, PROTO_MAX_MESSAGE, on_line, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.too_long, 1);
	big[PROTO_MAX_MESSAGE - 1] = ' ';
	proto_reader_feed(&r, big, PROTO_MAX_MESSAGE, on_line, &l);
	proto_reader_feed(&r, "\n", 1, on_line, &l);
	assert_int_equal(l.too_long, 2);
	free(big);
}

static int parse(const char *s, json_t **m, char *why)
{
	return proto_parse(s, strlen(s), m, why, 256);
}

static void test_parse(void **state)
{
	char why[256];
	json_t *m;

	assert_int_equal(parse("{\"type\":\"status\",\"report\":{},\"future\":[1,2]}", &m, why), PROTO_STATUS);
	json_decref(m);
	assert_int_equal(parse("{\"type\":\"teleport\"}", &m, why), PROTO_UNKNOWN);
	json_decref(m);
	assert_int_equal(parse("{\"type\":1}", &m, why), -EINVAL);
	assert_non_null(strstr(why, "type"));
	assert_int_equal(parse("[1]", &m, why), -EINVAL);
	assert_string_equal(why, "not a JSON object");
	assert_int_equal(parse("{\"type\":\"status\"", &m, why), -EINVAL);
	assert_non_null(strstr(why, "not JSON"));
	assert_int_equal(parse("{\"type\":\"a\",\"type\":\"b\"}", &m, why), -EINVAL);
	assert_null(m);
}

static void test_hello(void **state)
{
	const char *caps[] = { "status", NULL };
	struct proto_hello h;
	char why[256];
	json_t *m = proto_hello_new(0, "0.1.0", "Ubuntu-22.04", "{abc}", "leader", caps);

	assert_non_null(m);
	assert_int_equal(proto_hello_get(m, true, &h, why, sizeof(why)), 0);
	assert_int_equal(h.version_min, PROTO_VERSION_MIN);
	assert_int_equal(h.version_max, PROTO_VERSION_MAX);
	assert_string_equal(h.distro, "Ubuntu-22.04");
	assert_string_equal(h.role, "leader");
	json_object_set_new(m, "distro", json_string("../etc"));
	assert_int_equal(proto_hello_get(m, true, &h, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "distro"));
	json_object_set_new(m, "distro", json_string("Ubuntu"));
	json_object_set_new(m, "role", json_string("boss"));
	assert_int_equal(proto_hello_get(m, true, &h, why, sizeof(why)), -EINVAL);
	json_object_set_new(m, "role", json_string("follower"));
	json_object_set_new(m, "protocol_min", json_integer(3));
	assert_int_equal(proto_hello_get(m, true, &h, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "above"));
	json_decref(m);

	/* Version 1 (no authentication, the "build" vocabulary) is not spoken any more. */
	assert_int_equal(proto_negotiate(1, 1), -1);
	assert_int_equal(proto_negotiate(1, 2), 2);
	assert_int_equal(proto_negotiate(1, 9), PROTO_VERSION_MAX);
	assert_int_equal(proto_negotiate(PROTO_VERSION_MAX + 1, PROTO_VERSION_MAX + 3), -1);
}

/* The authenticated hello's pieces: the challenge, the nonces and proofs
 * (exactly 64 lowercase hex digits), the bytes a proof covers. */
static void test_auth_fields(void **state)
{
	const char *bn = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	const char *an = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
	unsigned char bytes[PROTO_NONCE_BYTES];
	struct proto_hello h;
	char why[256], buf[256], hex[65];
	const char *nonce;
	json_t *m;
	int n;

	m = proto_challenge_new(bn);
	assert_int_equal(proto_challenge_get(m, &nonce, why, sizeof(why)), 0);
	assert_string_equal(nonce, bn);
	json_object_set_new(m, "nonce", json_string("00112233"));
	assert_int_equal(proto_challenge_get(m, &nonce, why, sizeof(why)), -EINVAL);
	json_object_del(m, "nonce");
	assert_int_equal(proto_challenge_get(m, &nonce, why, sizeof(why)), -EINVAL);
	json_decref(m);

	m = proto_hello_new(0, "0.1.0", "Ubuntu", NULL, "leader", NULL);
	assert_int_equal(proto_hello_get(m, true, &h, why, sizeof(why)), 0);
	assert_null(h.proof);
	assert_null(h.agent_nonce);
	json_object_set_new(m, "agent_nonce", json_string(an));
	json_object_set_new(m, "proof", json_string(bn));
	assert_int_equal(proto_hello_get(m, true, &h, why, sizeof(why)), 0);
	assert_string_equal(h.agent_nonce, an);
	assert_string_equal(h.proof, bn);
	/* Upper case, short, or not hex: refused, not compared. */
	json_object_set_new(m, "proof", json_string("00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff"));
	assert_int_equal(proto_hello_get(m, true, &h, why, sizeof(why)), -EINVAL);
	json_object_set_new(m, "proof", json_string(bn));
	json_object_set_new(m, "vm_id", json_string("{abc}\nforged"));
	assert_int_equal(proto_hello_get(m, true, &h, why, sizeof(why)), -EINVAL);
	json_decref(m);

	n = proto_auth_input(true, bn, an, "Ubuntu", "{0a-b}", buf, sizeof(buf));
	assert_true(n > 0);
	snprintf(why, sizeof(why), "wsldock-protocol-2 agent\n%s\n%s\nUbuntu\n{0a-b}\n", bn, an);
	assert_string_equal(buf, why);
	n = proto_auth_input(false, bn, an, "Ubuntu", NULL, buf, sizeof(buf));
	snprintf(why, sizeof(why), "wsldock-protocol-2 bridge\n%s\n%s\nUbuntu\n\n", bn, an);
	assert_string_equal(buf, why);
	assert_int_equal(proto_auth_input(true, bn, an, "Ubuntu\nx", NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(proto_auth_input(true, bn, an, "Ubuntu", NULL, buf, 16), -ENOBUFS);

	assert_int_equal(proto_unhex(bn, bytes, sizeof(bytes)), 0);
	proto_hex(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, bn);
	assert_int_equal(proto_unhex("0g", bytes, 1), -EINVAL);
	assert_true(proto_equal_ct("abc", "abc", 3));
	assert_false(proto_equal_ct("abc", "abd", 3));
}

static void test_event_change_host(void **state)
{
	struct proto_event e;
	struct proto_change c;
	struct proto_host_memory hm = { 8ull << 30, 1ull << 30, 0, 0, true }, back;
	char why[256], *line;
	size_t len;
	json_t *m;

	m = json_pack("{s:s, s:s, s:s, s:I}", "type", "event", "event", "reclaim", "lever", "fadvise",
		      "returned_bytes", (json_int_t)4096);
	assert_int_equal(proto_event_get(m, &e, why, sizeof(why)), 0);
	assert_int_equal(e.kind, PROTO_EV_RECLAIM);
	assert_int_equal(e.returned_bytes, 4096);
	json_object_set_new(m, "episode", json_string("17"));
	assert_int_equal(proto_event_get(m, &e, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "\"episode\" is not a non-negative integer"));
	json_object_set_new(m, "episode", json_integer(17));
	assert_int_equal(proto_event_get(m, &e, why, sizeof(why)), 0);
	assert_int_equal(e.episode, 17);
	json_object_set_new(m, "returned_bytes", json_integer(-1));
	assert_int_equal(proto_event_get(m, &e, why, sizeof(why)), -EINVAL);
	json_object_set_new(m, "event", json_string("meteor"));
	assert_int_equal(proto_event_get(m, &e, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "unknown event"));
	json_decref(m);

	m = json_pack("{s:s, s:i, s:s, s:s}", "type", "change", "id", 7, "change", "integration",
		      "action", "enable");
	assert_int_equal(proto_change_get(m, &c, why, sizeof(why)), 0);
	assert_true(c.enable);
	assert_int_equal(c.id, 7);
	json_object_set_new(m, "action", json_string("toggle"));
	assert_int_equal(proto_change_get(m, &c, why, sizeof(why)), -EINVAL);
	json_decref(m);

	m = proto_host_memory_new(&hm);
	assert_int_equal(proto_encode(m, &line, &len), 0);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));
	free(line);
	assert_int_equal(proto_host_memory_get(m, &back, why, sizeof(why)), 0);
	assert_true(back.low);
	assert_int_equal(back.available_bytes, 1ull << 30);
	json_decref(m);

	/* A message that would exceed the bound is not sent. */
	m = json_pack("{s:s, s:s}", "type", "status", "pad", "");
	{
		char *pad = malloc(PROTO_MAX_MESSAGE);

		memset(pad, 'a', PROTO_MAX_MESSAGE - 1);
		pad[PROTO_MAX_MESSAGE - 1] = '\0';
		json_object_set_new(m, "pad", json_string(pad));
		free(pad);
	}
	assert_int_equal(proto_encode(m, &line, &len), -EMSGSIZE);
	json_decref(m);
}

static void test_scan_status(void **state)
{
	struct proto_status st;
	char why[256];
	const char *ok = "{\"type\":\"status\",\"x\":[1,2.5e3,-0,\"\\u00e9\\ud83d\\ude00\"],\"report\":"
			 "{\"memory\":{\"page_cache_bytes\":123},\"daemon\":{\"episode_active\":true,"
			 "\"episode_attributed_bytes\":7},\"conflicts\":{\"findings\":[{\"severity\":\"conflict\"},"
			 "{\"severity\":\"info\"},{\"severity\":\"warning\",\"memory\":{\"page_cache_bytes\":9}}]}}}";

	assert_int_equal(proto_scan_status(ok, strlen(ok), &st, why, sizeof(why)), 1);
	assert_true(st.page_cache_known);
	assert_int_equal(st.page_cache_bytes, 123);
	assert_true(st.episode_active);
	assert_int_equal(st.episode_attributed_bytes, 7);
	assert_int_equal(st.conflicts, 2);
	assert_int_equal(st.report[0], '{');
	assert_int_equal(st.report[st.report_len - 1], '}');

	static const char *const other[] = { "{\"type\":\"hello\"}", "{\"report\":{},\"type\":\"event\"}" };
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(proto_scan_status(other[i], strlen(other[i]), &st, why, sizeof(why)), 0);
	static const char *const bad[] = {
		"{\"type\":\"status\",\"report\":[]}", "{\"type\":\"status\"}", "{\"type\":\"status\",",
		"{\"a\":01}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\xc3\"}", "{\"a\":\"\xed\xa0\x80\"}",
		"{\"a\":1e999}", "{\"a\":99999999999999999999}", "{\"a\":tru}", "{\"a\":1}x", "{\"a\" 1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(proto_scan_status(bad[i], strlen(bad[i]), &st, why, sizeof(why)), -EINVAL);
		assert_true(why[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_lines),
		cmocka_unit_test(test_reader_byte_at_a_time),
		cmocka_unit_test(test_reader_oversized),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_auth_fields),
		cmocka_unit_test(test_event_change_host),
		cmocka_unit_test(test_scan_status),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
