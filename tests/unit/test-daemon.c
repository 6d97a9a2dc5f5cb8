/* SPDX-License-Identifier: MIT */
/* The daemon's pieces that need no BPF: the leader lock and the log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include <cmocka.h>
#include "unit.h"

#include "daemon/daemon.h"

static void test_leader_one_at_a_time(void **state)
{
	char dir[] = "/tmp/wsldock-leader-XXXXXX", sub[64];
	struct leader a, b;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/made", dir);
	/* Two agents on one lock (flock is per open file, so one process
	 * stands for two): exactly one holds it. */
	leader_init(&a, sub);
	leader_init(&b, sub);
	assert_int_equal(leader_try(&a), 1);  /* creates the directory too */
	assert_int_equal(leader_try(&b), 0);
	assert_int_equal(leader_try(&a), 1);  /* still held */
	assert_int_equal(leader_try(&b), 0);  /* retried: still not */
	/* The leader goes (as when it is killed: its file is closed). */
	leader_release(&a);
	assert_int_equal(leader_try(&b), 1);
	leader_release(&b);
	unlink(a.path);
	rmdir(sub);
	rmdir(dir);
}

static void test_leader_errors(void **state)
{
	struct leader l;

	leader_init(&l, "/proc/self/no/such/dir");
	assert_true(leader_try(&l) < 0);
	assert_false(l.held);
	leader_release(&l);
}

static void test_leader_default_dir(void **state)
{
	unsetenv("WSLDOCK_LOCK_DIR");
	assert_string_equal(leader_default_dir(true), "/mnt/wsl/wsldock");
	assert_string_equal(leader_default_dir(false), "/run/wsldock");
	setenv("WSLDOCK_LOCK_DIR", "/tmp/x", 1);
	assert_string_equal(leader_default_dir(true), "/tmp/x");
	unsetenv("WSLDOCK_LOCK_DIR");
}

static void test_log_line(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct dlog g = { .foreground = true, .err = f, .verb = "run" };
	struct policy_decision d = { .verdict = POLICY_ACT, .reason = "episode-end", .episode = 4,
				     .bytes_targeted = 10,
				     .req = { .lever = LEVER_FILE_EVICT, .bytes_wanted = 5 } };
	struct action_result r = { .lever = LEVER_FILE_EVICT, .error = -EBUSY, .bytes_targeted = 10,
				   .bytes_returned = 3, .duration_ns = 7000000 };

	assert_non_null(f);
	snprintf(d.detail, sizeof(d.detail), "free text, with spaces");
	snprintf(r.error_where, sizeof(r.error_where), "/sys/fs/cgroup/x");
	dlog_decision(&g, &d, PSTATE_RECLAIM, false);
	dlog_action(&g, &d, &r);
	fclose(f);
	assert_non_null(strstr(buf, "wsldock-agent run: decision episode=4 state=reclaim lever=fadvise "
				    "reason=episode-end bytes_targeted=10 bytes_wanted=5 dry_run=0 "
				    "detail=free text, with spaces\n"));
	assert_non_null(strstr(buf, "wsldock-agent run: action episode=4 lever=fadvise "
				    "reason=episode-end bytes_targeted=10 bytes_returned=3 errno=EBUSY "
				    "error_where=/sys/fs/cgroup/x duration_ms=7 "));
	free(buf);
}

static bool has_field(const struct dlog_fields *jf, const char *want)
{
	for (size_t i = 0; i < jf->n; i++)
		if (jf->iov[i].iov_len == strlen(want) && !memcmp(jf->iov[i].iov_base, want, strlen(want)))
			return true;
	return false;
}

static void test_journal_fields(void **state)
{
	struct dlog_fields *jf = malloc(sizeof(*jf));
	const char *kv = "episode=4 lever=fadvise bytes_targeted=10 bytes_returned=3 errno=EBUSY "
			 "reason=fallback detail=free text, with = signs";

	assert_non_null(jf);
	dlog_fields_build(jf, "action", kv, "action episode=4 ...");
	assert_true(has_field(jf, "MESSAGE=action episode=4 ..."));
	assert_true(has_field(jf, "WSLDOCK_EVENT=action"));
	assert_true(has_field(jf, "SYSLOG_IDENTIFIER=wsldock-agent"));
	assert_true(has_field(jf, "WSLDOCK_EPISODE=4"));
	assert_true(has_field(jf, "WSLDOCK_LEVER=fadvise"));
	assert_true(has_field(jf, "WSLDOCK_BYTES_TARGETED=10"));
	assert_true(has_field(jf, "WSLDOCK_BYTES_RETURNED=3"));
	assert_true(has_field(jf, "WSLDOCK_ERRNO=EBUSY"));
	assert_true(has_field(jf, "WSLDOCK_REASON=fallback"));
	assert_true(has_field(jf, "WSLDOCK_DETAIL=free text, with = signs"));
	assert_int_equal(jf->n, 4 + 7);
	free(jf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leader_one_at_a_time),
		cmocka_unit_test(test_leader_errors),
		cmocka_unit_test(test_leader_default_dir),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_journal_fields),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
