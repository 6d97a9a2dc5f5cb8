/* SPDX-License-Identifier: MIT */
/* Test driver for the reclaim levers: builds an action_request from its
 * options, runs action_run() and prints the action_result as JSON.  The
 * tests in tests/actions/ drive real cgroups and files through it; the
 * agent's own entry points (the daemon, `reclaim`) are the reclaim
 * branch's.  Exit 0 when the lever returned 0, 1 when it returned an
 * error (the JSON says which), 2 on a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "actions/actions.h"
#include "runlog/record.h"
#include "shared/json_util.h"
#include "shared/util.h"

#define MAX_ITEMS 256

static struct action_cgroup cgroups[MAX_ITEMS];
static struct action_file files[MAX_ITEMS], hot[MAX_ITEMS];
static const char *dirs[MAX_ITEMS];
static unsigned nodes[MAX_ITEMS];
static size_t ncgroups, nfiles, nhot, ndirs, nnodes;

static int usage(const char *msg)
{
	fprintf(stderr, "action-run: %s\n", msg);
	return 2;
}

static int u64_arg(const char *opt, const char *arg, uint64_t *v)
{
	if (parse_u64(arg, v) < 0) {
		fprintf(stderr, "action-run: %s: not a number: %s\n", opt, arg);
		return -1;
	}
	return 0;
}

/* --cgroup v2=PATH,v1=PATH,id=N,bytes=N (any subset). */
static int cgroup_arg(char *arg)
{
	struct action_cgroup *g = &cgroups[ncgroups];
	char *save = NULL;

	for (char *kv = strtok_r(arg, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		if (string_has_prefix(kv, "v2="))
			g->v2_path = kv + 3;
		else if (string_has_prefix(kv, "v1="))
			g->v1_path = kv + 3;
		else if (string_has_prefix(kv, "id=")) {
			if (u64_arg("--cgroup id", kv + 3, &g->cgid) < 0)
				return -1;
		} else if (string_has_prefix(kv, "bytes=")) {
			if (u64_arg("--cgroup bytes", kv + 6, &g->bytes) < 0)
				return -1;
		} else {
			fprintf(stderr, "action-run: --cgroup: unknown field: %s\n", kv);
			return -1;
		}
	}
	ncgroups++;
	return 0;
}

/* A file as the tracker names it: (dev, ino, generation) from the file,
 * with its path (by path) or without (by handle). */
static int file_arg(struct action_file *f, const char *path, bool by_path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned gen = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "action-run: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (ioctl(fd, FS_IOC_GETVERSION, &gen) < 0)
		gen = 0;
	close(fd);
	*f = (struct action_file){ .dev = st.st_dev, .ino = st.st_ino, .gen = gen,
				   .path = by_path ? path : NULL, .bytes = (uint64_t)st.st_size };
	return 0;
}

/* --handle-id MAJOR:MINOR:INO:GEN: a file known only by its identity. */
static int handle_id_arg(struct action_file *f, const char *arg)
{
	unsigned maj, min, gen;
	unsigned long long ino;
	char junk;

	if (sscanf(arg, "%u:%u:%llu:%u%c", &maj, &min, &ino, &gen, &junk) != 4) {
		fprintf(stderr, "action-run: --handle-id: want MAJOR:MINOR:INO:GEN: %s\n", arg);
		return -1;
	}
	*f = (struct action_file){ .dev = makedev(maj, min), .ino = ino, .gen = gen };
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	const struct action_file *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int main(int argc, char **argv)
{
	enum { O_LEVER = 0x100, O_DRY, O_ROOT, O_CGROUP, O_FILE, O_HANDLE, O_HANDLE_ID, O_HOT, O_DIR, O_SINCE,
	       O_WANTED, O_STEP, O_MAXMS, O_RESTORE, O_BUDGET, O_NODE, O_MAXWALK };
	static const struct option options[] = {
		{ "lever", required_argument, NULL, O_LEVER },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "root", required_argument, NULL, O_ROOT },
		{ "cgroup", required_argument, NULL, O_CGROUP },
		{ "file", required_argument, NULL, O_FILE },
		{ "handle", required_argument, NULL, O_HANDLE },
		{ "handle-id", required_argument, NULL, O_HANDLE_ID },
		{ "hot", required_argument, NULL, O_HOT },
		{ "dir", required_argument, NULL, O_DIR },
		{ "since-ns", required_argument, NULL, O_SINCE },
		{ "bytes-wanted", required_argument, NULL, O_WANTED },
		{ "step", required_argument, NULL, O_STEP },
		{ "max-duration-ms", required_argument, NULL, O_MAXMS },
		{ "restore-hot-set", no_argument, NULL, O_RESTORE },
		{ "restore-budget", required_argument, NULL, O_BUDGET },
		{ "node", required_argument, NULL, O_NODE },
		{ "max-walk-files", required_argument, NULL, O_MAXWALK },
		{ 0 }
	};
	struct action_request q = { .lever = _LEVER_MAX };
	struct action_result r;
	json_t *doc;
	uint64_t v;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if ((c == O_CGROUP && ncgroups == MAX_ITEMS) || ((c == O_FILE || c == O_HANDLE || c == O_HANDLE_ID) &&
		    nfiles == MAX_ITEMS) || (c == O_HOT && nhot == MAX_ITEMS) ||
		    (c == O_DIR && ndirs == MAX_ITEMS) || (c == O_NODE && nnodes == MAX_ITEMS))
			return usage("too many items");
		switch (c) {
		case O_LEVER:
			if (lever_from_string(optarg, &q.lever) < 0)
				return usage("unknown lever");
			break;
		case O_DRY: q.dry_run = true; break;
		case O_ROOT: q.root = optarg; break;
		case O_CGROUP: if (cgroup_arg(optarg) < 0) return 2; break;
		case O_FILE: if (file_arg(&files[nfiles++], optarg, true) < 0) return 2; break;
		case O_HANDLE: if (file_arg(&files[nfiles++], optarg, false) < 0) return 2; break;
		case O_HANDLE_ID: if (handle_id_arg(&files[nfiles++], optarg) < 0) return 2; break;
		case O_HOT: if (file_arg(&hot[nhot++], optarg, true) < 0) return 2; break;
		case O_DIR: dirs[ndirs++] = optarg; break;
		case O_SINCE: if (u64_arg("--since-ns", optarg, &q.since_ns) < 0) return 2; break;
		case O_WANTED: if (u64_arg("--bytes-wanted", optarg, &q.bytes_wanted) < 0) return 2; break;
		case O_STEP: if (u64_arg("--step", optarg, &q.step_bytes) < 0) return 2; break;
		case O_MAXMS:
			if (u64_arg("--max-duration-ms", optarg, &v) < 0)
				return 2;
			q.max_duration_ns = v * 1000000u;
			break;
		case O_RESTORE: q.restore_hot_set = true; break;
		case O_BUDGET:
			if (u64_arg("--restore-budget", optarg, &q.restore_budget_bytes) < 0)
				return 2;
			break;
		case O_NODE:
			if (u64_arg("--node", optarg, &v) < 0)
				return 2;
			nodes[nnodes++] = (unsigned)v;
			break;
		case O_MAXWALK:
			if (u64_arg("--max-walk-files", optarg, &v) < 0)
				return 2;
			q.max_walk_files = (unsigned)v;
			break;
		default:
			return usage("bad option");
		}
	}
	if (q.lever == _LEVER_MAX)
		return usage("--lever is required");
	qsort(hot, nhot, sizeof(hot[0]), cmp_file);
	q.cgroups = cgroups;
	q.ncgroups = ncgroups;
	q.files = files;
	q.nfiles = nfiles;
	q.hot = hot;
	q.nhot = nhot;
	q.dirs = dirs;
	q.ndirs = ndirs;
	q.nodes = nodes;
	q.nnodes = nnodes;
	ret = action_run(&q, &r);
	doc = action_result_json(&r);
	if (!doc || json_print(doc) < 0)
		return 2;
	json_decref(doc);
	return ret < 0 ? 1 : 0;
}
