/* SPDX-License-Identifier: MIT */
/* The one action record: one real action (lever c, posix_fadvise, on a real
 * file this test writes), then every output of it read back and compared
 * field by field with the record's table: the run log line, the journal
 * entry dlog builds, the control socket's history and STATUS= (sd_notify
 * on a datagram socket of our own), `reclaim --json`'s action and the
 * bridge's reclaim event (read by the bridge's own parser).  And the run
 * log's quoting: a value cannot forge a field or a line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include "unit.h"

#include "bridge/agent_bridge.h"
#include "daemon/manual.h"
#include "daemon/service.h"
#include "runlog/record.h"
#include "runlog/runlog.h"
#include "shared/util.h"
#include "../../windows-bridge/proto.h"

/* ---- what the outputs wrote, read back ---- */

#define MAX_KV 64
struct kv {
	size_t n;
	char key[MAX_KV][40];
	char value[MAX_KV][DLOG_VALUE_MAX];
};

static const char *kv_get(const struct kv *k, const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->key[i], key))
			return k->value[i];
	return NULL;
}

static size_t kv_count(const struct kv *k, const char *key)
{
	size_t n = 0;

	for (size_t i = 0; i < k->n; i++)
		n += !strcmp(k->key[i], key);
	return n;
}

/* A run log line as a reader of it would split it: "word k=v k="q\"v" ...". */
static void parse_line(const char *p, struct kv *k)
{
	k->n = 0;
	p = strchr(p, ' ');  /* past the event word */
	while (p && *p == ' ' && k->n < MAX_KV) {
		const char *eq = strchr(++p, '=');
		char *out = k->value[k->n];

		assert_non_null(eq);
		snprintf(k->key[k->n], sizeof(k->key[0]), "%.*s", (int)(eq - p), p);
		p = eq + 1;
		if (*p != '"') {
			size_t len = strcspn(p, " \n");

			snprintf(out, DLOG_VALUE_MAX, "%.*s", (int)len, p);
			p += len;
		} else {
			for (p++; *p && *p != '"'; p++) {
				if (*p != '\\') {
					*out++ = *p;
					continue;
				}
				p++;
				if (*p == 'n')
					*out++ = '\n';
				else if (*p == 't')
					*out++ = '\t';
				else if (*p == 'x') {
					unsigned c;

					assert_int_equal(sscanf(p + 1, "%2x", &c), 1);
					*out++ = (char)c;
					p += 2;
				} else
					*out++ = *p;
			}
			assert_int_equal(*p, '"');
			p++;
			*out = '\0';
		}
		k->n++;
	}
}

static struct kv journal;
static int journal_entries;

static int capture_journal(const struct iovec *iov, int n)
{
	journal.n = 0;
	journal_entries++;
	for (int i = 0; i < n && journal.n < MAX_KV; i++) {
		const char *f = iov[i].iov_base, *eq = memchr(f, '=', iov[i].iov_len);

		assert_non_null(eq);
		snprintf(journal.key[journal.n], sizeof(journal.key[0]), "%.*s", (int)(eq - f), f);
		snprintf(journal.value[journal.n], DLOG_VALUE_MAX, "%.*s",
			 (int)(iov[i].iov_len - (size_t)(eq - f) - 1), eq + 1);
		journal.n++;
	}
	return 0;
}

/* A JSON value as the run log writes it. */
static void json_text(const json_t *v, char *buf, size_t size)
{
	if (!v || json_is_null(v))
		snprintf(buf, size, "-");
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else
		fail_msg("a record field is neither null, integer, boolean nor string");
}

static void journal_key(const char *name, char *buf, size_t size)
{
	size_t w = (size_t)snprintf(buf, size, "WSLDOCK_");

	for (; *name && w < size - 1; name++)
		buf[w++] = (char)(*name >= 'a' && *name <= 'z' ? *name - 32 : *name);
	buf[w] = '\0';
}

/* ---- one real action ---- */

static char dir[] = "/var/tmp/wsldock-record-XXXXXX";

static void fill(const char *path, size_t mib)
{
	char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	memset(block, 'w', sizeof(block));
	for (size_t i = 0; i < mib * 16; i++)
		assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while (read(fd, block, sizeof(block)) > 0)
		;
	close(fd);
}

/* fadvise on files: the first is real and cached, the second named so
 * that a careless log line would show a forged field and a forged line. */
static int run_fadvise(const char *const *paths, size_t n, struct action_result *r)
{
	struct action_file files[4] = { 0 };
	struct action_request q = { .lever = LEVER_FILE_EVICT, .files = files, .nfiles = n };

	for (size_t i = 0; i < n; i++) {
		struct stat st;

		files[i].path = paths[i];
		if (stat(paths[i], &st) == 0) {
			files[i].dev = st.st_dev;
			files[i].ino = st.st_ino;
		}
	}
	return action_run(&q, r);
}

struct outputs {
	char *line;                  /* the run log, as written on stderr */
	struct kv line_kv, journal_kv, status_kv;
	json_t *history, *reclaim_json, *bridge;
};

static void collect(const struct policy_decision *d, const struct action_result *r,
		    struct outputs *o)
{
	size_t len = 0;
	FILE *f = open_memstream(&o->line, &len);
	struct dlog g = { .foreground = true, .journal = true, .err = f, .verb = "test",
			  .journal_sendv = capture_journal };
	struct daemon_opts opts = { 0 };
	struct service *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096], *last;
	json_t *hist;
	int fd;
	ssize_t got;
	json_t *item, *res;

	assert_non_null(f);
	assert_non_null(s);
	/* The run log and the journal: the hook the decide -> act loop calls. */
	journal_entries = 0;
	dlog_action(&g, d, r);
	fclose(f);
	assert_int_equal(journal_entries, 1);
	o->journal_kv = journal;
	assert_non_null(strstr(o->line, "wsldock-agent test: action "));
	/* One line: its only newline ends it. */
	assert_ptr_equal(strchr(o->line, '\n'), o->line + strlen(o->line) - 1);
	parse_line(strstr(o->line, "action "), &o->line_kv);

	/* The service: its history (the control socket's) and STATUS=. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	policy_config_default(&opts.cfg);
	s->o = &opts;
	s->st = (struct service_state){ .role = "leader", .tracker = "none", .lock = "-" };
	service_record(s, d, r, false);
	service_update(s, &s->st);
	got = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(got > 0);
	buf[got] = '\0';
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	last = strstr(buf, "last action: ");
	assert_non_null(last);
	parse_line(last + strlen("last action:"), &o->status_kv);
	hist = service_history_json(s, 1);
	o->history = json_incref(json_array_get(hist, 0));
	json_decref(hist);
	assert_non_null(o->history);
	free(s);

	/* reclaim --json: each action is the decision's item with the
	 * result's fields under "result" (daemon/manual.c). */
	item = manual_decision_json(d);
	res = action_result_json(r);
	assert_non_null(item);
	assert_non_null(res);
	json_object_set_new(res, "episode", json_incref(json_object_get(item, "episode")));
	json_object_set_new(res, "reason", json_incref(json_object_get(item, "reason")));
	json_decref(item);
	o->reclaim_json = res;

	o->bridge = agent_bridge_reclaim_event(d, r);
	assert_non_null(o->bridge);
}

static void outputs_free(struct outputs *o)
{
	free(o->line);
	json_decref(o->history);
	json_decref(o->reclaim_json);
	json_decref(o->bridge);
}

/* Every field of the table, in every output, with one value. */
static void compare(const struct action_record *rec, const struct outputs *o)
{
	static const char *const in_status[] = { "episode", "lever", "returned_bytes", "errno" };

	assert_int_equal(o->line_kv.n, record_nfields);
	for (size_t i = 0; i < record_nfields; i++) {
		const struct record_field *f = &record_fields[i];
		char want[64], got[DLOG_VALUE_MAX], jkey[64];
		const char *w = record_field_text(f, rec, want, sizeof(want));

		/* The line keeps the table's order. */
		assert_string_equal(o->line_kv.key[i], f->name);
		assert_string_equal(o->line_kv.value[i], w);
		journal_key(f->name, jkey, sizeof(jkey));
		assert_int_equal(kv_count(&o->journal_kv, jkey), 1);
		assert_string_equal(kv_get(&o->journal_kv, jkey), w);
		json_text(json_object_get(o->history, f->name), got, sizeof(got));
		assert_string_equal(got, w);
		json_text(json_object_get(o->reclaim_json, f->name), got, sizeof(got));
		assert_string_equal(got, w);
		json_text(json_object_get(o->bridge, f->name), got, sizeof(got));
		assert_string_equal(got, w);
	}
	for (size_t i = 0; i < ELEMENTSOF(in_status); i++) {
		char want[64];
		const struct record_field *f = NULL;

		for (size_t k = 0; k < record_nfields; k++)
			if (!strcmp(record_fields[k].name, in_status[i]))
				f = &record_fields[k];
		assert_non_null(f);
		assert_string_equal(kv_get(&o->status_kv, in_status[i]),
				    record_field_text(f, rec, want, sizeof(want)));
	}
}

static void test_one_real_action(void **state)
{
	char cached[128];
	const char *paths[1] = { cached };
	struct policy_decision d = { .verdict = POLICY_ACT, .req.lever = LEVER_FILE_EVICT,
				     .reason = "episode-end", .episode = 41 };
	struct action_result r;
	struct action_record rec;
	struct outputs o = { 0 };
	struct proto_event ev;
	char why[200];

	snprintf(cached, sizeof(cached), "%s/cached", dir);
	fill(cached, 8);
	assert_int_equal(run_fadvise(paths, 1, &r), 0);
	/* It did act: the file's cache came back. */
	assert_int_equal(r.steps, 1);
	assert_true(r.bytes_returned >= 4u << 20);
	assert_true(r.realtime_ns > 0);
	action_record_make(&rec, &d, &r);
	collect(&d, &r, &o);
	compare(&rec, &o);
	assert_string_equal(kv_get(&o.line_kv, "errno"), "-");
	assert_true(json_is_null(json_object_get(o.bridge, "errno")));
	assert_int_equal(json_integer_value(json_object_get(o.bridge, "episode")), 41);
	/* The bridge reads what the agent sends (wsldock-protocol(7)). */
	assert_int_equal(proto_event_get(o.bridge, &ev, why, sizeof(why)), 0);
	assert_int_equal(ev.kind, PROTO_EV_RECLAIM);
	assert_int_equal(ev.returned_bytes, r.bytes_returned);
	assert_int_equal(ev.episode, 41);
	assert_int_equal(ev.time_ms, r.realtime_ns / 1000000);
	assert_string_equal(ev.lever, "fadvise");
	outputs_free(&o);
	unlink(cached);
}

/* A failed action whose error_where a user chose: a space, a forged field,
 * a quote, a backslash and a newline must stay inside one value. */
static void test_hostile_path(void **state)
{
	char bad[256];
	const char *paths[1] = { bad };
	struct policy_decision d = { .verdict = POLICY_ACT, .req.lever = LEVER_FILE_EVICT,
				     .reason = "fallback", .episode = 7 };
	struct action_result r;
	struct action_record rec;
	struct outputs o = { 0 };

	snprintf(bad, sizeof(bad), "%s/a \"b\\ errno=0\nwsldock-agent test: action errno=0", dir);
	assert_true(run_fadvise(paths, 1, &r) < 0);
	assert_int_equal(r.error, -ENOENT);
	action_record_make(&rec, &d, &r);
	collect(&d, &r, &o);
	compare(&rec, &o);
	/* One errno field, the path whole. */
	assert_int_equal(kv_count(&o.line_kv, "errno"), 1);
	assert_string_equal(kv_get(&o.line_kv, "errno"), "ENOENT");
	assert_string_equal(kv_get(&o.line_kv, "error_where"), bad);
	/* The journal gets it unescaped, newline and all. */
	assert_string_equal(kv_get(&o.journal_kv, "WSLDOCK_ERROR_WHERE"), bad);
	assert_int_equal(kv_count(&o.journal_kv, "WSLDOCK_ERRNO"), 1);
	assert_string_equal(json_string_value(json_object_get(o.bridge, "error_where")), bad);
	outputs_free(&o);
}

/* dlog_event's text form: detail keeps the rest, quoted when it must be. */
static void test_event_line(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct dlog g = { .foreground = true, .journal = true, .err = f, .verb = "run",
			  .journal_sendv = capture_journal };
	struct policy_decision d = { .verdict = POLICY_ACT, .req.lever = LEVER_FILE_EVICT,
				     .reason = "episode-end", .episode = 4, .bytes_targeted = 10,
				     .req.bytes_wanted = 5 };

	assert_non_null(f);
	dlog_event(&g, "reload", "result=ok file=/etc/x detail=free text, with = signs");
	assert_string_equal(kv_get(&journal, "WSLDOCK_DETAIL"), "free text, with = signs");
	assert_string_equal(kv_get(&journal, "WSLDOCK_RESULT"), "ok");
	assert_string_equal(kv_get(&journal, "WSLDOCK_EVENT"), "reload");
	assert_string_equal(kv_get(&journal, "SYSLOG_IDENTIFIER"), "wsldock-agent");
	/* An argument cannot add a field: fields come from the format. */
	journal.n = 0;
	dlog_event(&g, "control", "socket=%s activated=%d group=%s", "/run/a b errno=0\nx", 1,
		   "wsl");
	assert_string_equal(kv_get(&journal, "WSLDOCK_SOCKET"), "/run/a b errno=0\nx");
	assert_string_equal(kv_get(&journal, "WSLDOCK_ACTIVATED"), "1");
	assert_string_equal(kv_get(&journal, "WSLDOCK_GROUP"), "wsl");
	assert_null(kv_get(&journal, "WSLDOCK_ERRNO"));
	/* Every argument type lands in its own field. */
	dlog_event(&g, "mix", "a=%llu b=%zu c=%.1f d=%s e=%c f=%u%% detail=%s end",
		   (unsigned long long)1 << 40, (size_t)7, 2.5, "str", 'x', 9u, "tail text");
	assert_string_equal(kv_get(&journal, "WSLDOCK_A"), "1099511627776");
	assert_string_equal(kv_get(&journal, "WSLDOCK_B"), "7");
	assert_string_equal(kv_get(&journal, "WSLDOCK_C"), "2.5");
	assert_string_equal(kv_get(&journal, "WSLDOCK_D"), "str");
	assert_string_equal(kv_get(&journal, "WSLDOCK_E"), "x");
	assert_string_equal(kv_get(&journal, "WSLDOCK_F"), "9%");
	assert_string_equal(kv_get(&journal, "WSLDOCK_DETAIL"), "tail text end");
	/* A line made elsewhere ("%s"): its key=value words are fields. */
	dlog_event(&g, "config", "%s", "mode=auto floor=256M");
	assert_string_equal(kv_get(&journal, "WSLDOCK_FLOOR"), "256M");
	snprintf(d.detail, sizeof(d.detail), "free text");
	dlog_decision(&g, &d, PSTATE_RECLAIM, false);
	assert_string_equal(kv_get(&journal, "WSLDOCK_WANTED_BYTES"), "5");
	fclose(f);
	assert_non_null(strstr(buf, "wsldock-agent run: reload result=ok file=/etc/x "
				    "detail=\"free text, with = signs\"\n"));
	assert_non_null(strstr(buf, "wsldock-agent run: control socket=\"/run/a b errno=0\\nx\" "
				    "activated=1 group=wsl\n"));
	assert_non_null(strstr(buf, "wsldock-agent run: config mode=auto floor=256M\n"));
	assert_non_null(strstr(buf, "wsldock-agent run: decision episode=4 state=reclaim "
				    "lever=fadvise reason=episode-end targeted_bytes=10 "
				    "wanted_bytes=5 dry_run=false detail=\"free text\"\n"));
	free(buf);
}

/* Compaction's gain is never "returned"; a dry run returns nothing. */
static void test_returned_rule(void **state)
{
	struct action_result r = { .lever = LEVER_COMPACT, .bytes_returned = 100 };
	struct action_record rec;

	action_record_make(&rec, NULL, &r);
	assert_int_equal(action_record_returned(&rec), 0);
	r.lever = LEVER_DROP_CACHES;
	action_record_make(&rec, NULL, &r);
	assert_int_equal(action_record_returned(&rec), 100);
	r.dry_run = true;
	action_record_make(&rec, NULL, &r);
	assert_int_equal(action_record_returned(&rec), 0);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/notify", dir);
	unlink(path);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_real_action),
		cmocka_unit_test(test_hostile_path),
		cmocka_unit_test(test_event_line),
		cmocka_unit_test(test_returned_rule),
	};

	return unit_status(cmocka_run_group_tests(tests, setup, teardown));
}
