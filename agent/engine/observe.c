/* SPDX-License-Identifier: MIT */
#include "engine/observe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/util.h"
#include "sources/cgroup_ancestry.h"
#include "sources/kv.h"
#include "sources/meminfo.h"
#include "sources/psi.h"
#include "tracker/view.h"

int observer_init(struct observer *ob, const char *root, const char *docker_root,
		  struct resolver *res)
{
	struct source_status st = { 0 };
	struct diag_list d = { 0 };
	int r;

	memset(ob, 0, sizeof(*ob));
	ob->root = root;
	ob->docker_root = docker_root ? docker_root : "/var/lib/docker";
	ob->res = res;
	ob->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	r = cgroup_layout_read(root, &ob->cg, &st, &d);
	diag_free(&d);
	return r < 0 ? r : 0;
}

static void pool_clear(struct string_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	p->n = 0;
}

void observe_reset(struct observer *ob)
{
	pool_clear(&ob->strings);
	ob->nfiles = 0;
	if (!ob->rows_valid)
		ob->nrows = 0;
}

void observer_free(struct observer *ob)
{
	ob->rows_valid = false;
	observe_reset(ob);
	free(ob->strings.v);
	free(ob->rows);
	free(ob->files);
	memset(ob, 0, sizeof(*ob));
}

static const char *keep(struct string_pool *p, const char *s)
{
	char *copy;

	if (grow_array((void **)&p->v, &p->cap, p->n + 1, sizeof(char *)) < 0)
		return NULL;
	copy = strdup(s);
	if (copy)
		p->v[p->n++] = copy;
	return copy;
}

static bool is_dir(const char *root, const char *mount, const char *rel);
static bool cgroup_cache(const char *root, const char *mount, const char *rel, bool v1,
			 uint64_t *ret);

/* "cpu  user nice system ..." -> user ticks. */
static bool read_cpu_user(const char *root, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	const char *end;

	if (read_text_at(root, "/proc/stat", READ_FILE_MAX_DEFAULT, &text, NULL) < 0 ||
	    !string_has_prefix(text, "cpu "))
		return false;
	return parse_u64_prefix(skip_space(text + 4), ret, &end) == 0;
}

void observe_memory(struct observer *ob, bool cpu, struct policy_obs *o)
{
	struct kv_table mi;
	struct source_status st = { 0 };
	struct diag_list d = { 0 };

	meminfo_init(&mi);
	o->mem_known = meminfo_read(ob->root, &mi, &st, &d) >= 0 && kv_has(&mi, MI_MEM_FREE) &&
		       kv_has(&mi, MI_CACHED);
	if (o->mem_known) {
		o->mem_free = mi.values[MI_MEM_FREE];
		o->page_cache = mi.values[MI_CACHED];
		o->shmem = kv_has(&mi, MI_SHMEM) ? mi.values[MI_SHMEM] : 0;
	}
	diag_free(&d);
	o->memcg = ob->cg.memcg;
	if (cpu) {
		o->cpu_known = read_cpu_user(ob->root, &o->cpu_user_ticks);
		o->nprocs = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
		o->clk_tck = (unsigned)sysconf(_SC_CLK_TCK);
	}
}

void observe_act_inputs(struct observer *ob, struct policy_obs *o)
{
	struct kv_table vm;
	struct source_status st = { 0 };
	struct diag_list d = { 0 };
	struct psi p;

	memset(&p, 0, sizeof(p));
	o->psi_known = psi_read(ob->root, &p, &st, &d) >= 0 && st.state == SOURCE_OK &&
		       p.full.present;
	o->psi_full_avg10 = o->psi_known ? p.full.avg10 : 0;
	vmstat_init(&vm);
	o->refault_known = vmstat_read(ob->root, SOURCE_OPTIONAL, &vm, &st, &d) >= 0 &&
			   kv_has(&vm, VM_WORKINGSET_REFAULT_FILE);
	o->refault_bytes = o->refault_known ? vm.values[VM_WORKINGSET_REFAULT_FILE] * ob->page_size : 0;
	diag_free(&d);
	/* Lever c walks DATA-ROOT/overlay2 only where it exists (on Docker
	 * Desktop it is in the docker-desktop distro, out of sight). */
	o->docker_root = is_dir(ob->root, ob->docker_root, "/overlay2") ? ob->docker_root : NULL;
}

/* The ledger's files into ob->files: every one (all), else those that
 * gained pages in the last sample. */
static int files_fold(struct observer *ob, const struct ledger *l, bool all)
{
	const struct ledger_table *ft = &l->t[LEDGER_FILES];

	ob->nfiles = 0;
	if (grow_array((void **)&ob->files, &ob->files_cap, ft->n + 1, sizeof(*ob->files)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ft->n; i++) {
		const struct ledger_entry *e = &ft->v[i];

		if (!e->bytes.added || (!all && !ledger_added_last_sample(l, e)))
			continue;
		ob->files[ob->nfiles++] = (struct policy_file){
			.dev = ledger_file_dev(&e->key), .ino = e->key.b, .gen = (uint32_t)(e->key.a >> 32),
			.owner_cgid = e->owner_cgid, .class = view_file_class(l, ob->res, e),
			.added = e->bytes.added, .removed = e->bytes.removed,
			.added_last = ledger_last(l, e).added,
		};
	}
	return 0;
}

static void row_targets(struct observer *ob, struct policy_cgroup *row);

/* One cgroup entry: a row per class its bytes fall in. */
static int cgroup_fold(struct observer *ob, const struct ledger *l, const struct ledger_entry *c,
		       size_t *task_i, bool targets)
{
	struct view_share share[_TCLASS_MAX];
	const char *path = view_cgroup_split(l, ob->res, c, task_i, share);

	if (grow_array((void **)&ob->rows, &ob->rows_cap, ob->nrows + _TCLASS_MAX, sizeof(*ob->rows)) < 0)
		return -ENOMEM;
	/* The resolver may replace its strings at its next lookup: the path
	 * is copied, and only where the targets need it. */
	if (targets && path && !(path = keep(&ob->strings, path)))
		return -ENOMEM;
	for (int k = 0; k < _TCLASS_MAX; k++) {
		struct policy_cgroup *row = &ob->rows[ob->nrows];

		if (!share[k].bytes.added && !share[k].bytes.removed && !share[k].bytes.dirtied)
			continue;
		*row = (struct policy_cgroup){
			.cgid = c->key.a, .class = k,
			.added = share[k].bytes.added, .removed = share[k].bytes.removed,
			.added_last = share[k].last.added, .removed_last = share[k].last.removed,
			.path = targets ? path : NULL,
		};
		if (targets && k != TCLASS_OTHER)
			row_targets(ob, row);
		ob->nrows++;
	}
	return 0;
}

/* The ancestors of every cgroup that gained pages in the last sample, noted
 * while it lives: a build step's cgroup is removed when the step ends, and
 * memory.reclaim then reaches its cache through its nearest live ancestor,
 * by id where the path is out of sight (sources/cgroup_ancestry.h).  A
 * known id costs a lookup; a failure leaves the lever its path fallback. */
static void note_ancestry(const struct observer *ob, const struct ledger *l)
{
	const struct ledger_table *cg = &l->t[LEDGER_CGROUPS];
	int mfd = -1;

	if (ob->cg.memcg != MEMCG_V2 || !ob->cg.unified_path[0])
		return;
	for (size_t i = 0; i < cg->n; i++) {
		const struct ledger_entry *e = &cg->v[i];

		if ((e->key.a & RESOLVER_CGID_V1) || !ledger_added_last_sample(l, e))
			continue;
		if (mfd < 0)
			mfd = root_open(ob->root, ob->cg.unified_path, O_RDONLY | O_DIRECTORY);
		if (mfd < 0)
			return;
		(void)cgroup_ancestry_note(cgroup_ancestry_global(), mfd, e->key.a);
	}
	if (mfd >= 0)
		close(mfd);
}

int observe_ledger(struct observer *ob, const struct ledger *l, bool targets,
		   struct policy_obs *o)
{
	const struct ledger_table *cg = &l->t[LEDGER_CGROUPS];
	size_t task_i = 0;
	int r;

	o->tracker = true;
	o->interval_ns = ledger_interval_ns(l);
	/* The ledger has not moved since the rows were read: they stand, none
	 * grew in the last interval, and no file gained pages.  The idle
	 * daemon's sample stops here. */
	if (!targets && ob->rows_valid && ob->rows_seq == l->changed_seq) {
		if (ob->rows_sample != l->seq)
			for (size_t i = 0; i < ob->nrows; i++)
				ob->rows[i].added_last = ob->rows[i].removed_last = 0;
		ob->nfiles = 0;
		goto done;
	}
	ob->rows_valid = false;
	ob->nrows = 0;
	note_ancestry(ob, l);
	top_view_resolve(l, ob->res);
	for (size_t i = 0; i < cg->n; i++) {
		r = cgroup_fold(ob, l, &cg->v[i], &task_i, targets);
		if (r < 0)
			goto fail;
	}
	r = files_fold(ob, l, targets);
	if (r < 0)
		goto fail;
	/* Targets are this sample's: rows with them are read again next time. */
	ob->rows_valid = !targets;
	ob->rows_seq = l->changed_seq;
	ob->rows_sample = l->seq;
done:
	o->cgroups = ob->rows;
	o->ncgroups = ob->nrows;
	o->files = ob->files;
	o->nfiles = ob->nfiles;
	return 0;
fail:
	ob->nrows = ob->nfiles = 0;
	return r;
}

static bool is_dir(const char *root, const char *mount, const char *rel)
{
	char abs[PATH_MAX];
	int fd;

	if ((size_t)snprintf(abs, sizeof(abs), "%s%s", mount, strcmp(rel, "/") ? rel : "") >=
	    sizeof(abs))
		return false;
	fd = root_open(root, abs, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The cgroup itself when it exists, else its nearest existing ancestor;
 * "/" at worst.  Returned in buf. */
static void live_ancestor(const char *root, const char *mount, const char *rel, char *buf,
			  size_t size)
{
	char *slash;

	snprintf(buf, size, "%s", rel);
	while (buf[0] && strcmp(buf, "/") && !is_dir(root, mount, buf)) {
		slash = strrchr(buf, '/');
		if (!slash || slash == buf) {
			snprintf(buf, size, "/");
			return;
		}
		*slash = '\0';
	}
	if (!buf[0])
		snprintf(buf, size, "/");
}

static bool frozen(const char *root, const char *mount, const char *rel)
{
	char abs[PATH_MAX];
	_cleanup_free_ char *text = NULL;

	if ((size_t)snprintf(abs, sizeof(abs), "%s%s/cgroup.events", mount,
			     strcmp(rel, "/") ? rel : "") >= sizeof(abs) ||
	    read_text_at(root, abs, 4096, &text, NULL) < 0)
		return false;
	return strstr(text, "\nfrozen 1") || string_has_prefix(text, "frozen 1");
}

/* Where a lever reaches the row's pages now. */
static void row_targets(struct observer *ob, struct policy_cgroup *row)
{
	char buf[PATH_MAX];

	if (!row->path || row->path[0] != '/') {
		row->by_id = ob->cg.memcg == MEMCG_V2;
		return;
	}
	if (ob->cg.unified_path[0]) {
		live_ancestor(ob->root, ob->cg.unified_path, row->path, buf, sizeof(buf));
		row->frozen = frozen(ob->root, ob->cg.unified_path, buf);
		/* Not under this distro's mount and no live ancestor but the
		 * root: maybe live elsewhere in the hierarchy; by its id. */
		row->by_id = ob->cg.memcg == MEMCG_V2 && !strcmp(buf, "/") && ob->res &&
			     !resolver_cgroup_path(ob->res, row->cgid);
		if (ob->cg.memcg == MEMCG_V2 && !row->by_id) {
			row->v2_target = keep(&ob->strings, buf);
			row->target_cache_known = cgroup_cache(ob->root, ob->cg.unified_path, buf,
							       false, &row->target_cache);
		}
	}
	if (ob->cg.memcg == MEMCG_V1 && ob->cg.memcg_path[0]) {
		live_ancestor(ob->root, ob->cg.memcg_path, row->path, buf, sizeof(buf));
		row->v1_target = keep(&ob->strings, buf);
		row->target_cache_known = cgroup_cache(ob->root, ob->cg.memcg_path, buf, true,
						       &row->target_cache);
	}
}

/* memory.stat: "total_cache" (v1, hierarchical) or "file" (v2). */
static bool cgroup_cache(const char *root, const char *mount, const char *rel, bool v1,
			 uint64_t *ret)
{
	char abs[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	const char *key = v1 ? "total_cache " : "file ";
	char *cursor, *line;
	unsigned lineno = 0;

	if ((size_t)snprintf(abs, sizeof(abs), "%s%s/memory.stat", mount, rel) >= sizeof(abs) ||
	    read_text_at(root, abs, 1 << 20, &text, NULL) < 0)
		return false;
	cursor = text;
	while ((line = next_line(&cursor, &lineno)))
		if (string_has_prefix(line, key))
			return parse_u64(line + strlen(key), ret) == 0;
	return false;
}

static int docker_row(struct observer *ob, const char *mount, const char *rel, enum tclass class,
		      bool v1)
{
	uint64_t cache;

	if (!cgroup_cache(ob->root, mount, rel, v1, &cache) || !cache)
		return 0;
	if (grow_array((void **)&ob->rows, &ob->rows_cap, ob->nrows + 1, sizeof(*ob->rows)) < 0)
		return -ENOMEM;
	ob->rows[ob->nrows] = (struct policy_cgroup){ .cgid = ob->nrows + 1, .class = class,
						      .added = cache, .path = keep(&ob->strings, rel) };
	if (!ob->rows[ob->nrows].path)
		return -ENOMEM;
	if (v1)
		ob->rows[ob->nrows].v1_target = ob->rows[ob->nrows].path;
	else
		ob->rows[ob->nrows].v2_target = ob->rows[ob->nrows].path;
	ob->nrows++;
	return 0;
}

/* Docker's cgroup parents: /docker (cgroupfs driver), buildkit; and the
 * docker-<id>.scope of the systemd driver under /system.slice. */
int observe_docker_cgroups(struct observer *ob, struct policy_obs *o)
{
	static const char *const parents[] = { "/docker", "/buildkit" };
	bool v1 = ob->cg.memcg == MEMCG_V1;
	const char *mount = v1 ? ob->cg.memcg_path : ob->cg.unified_path;
	char abs[PATH_MAX];
	DIR *dir;
	struct dirent *de;
	int r = 0;

	o->cgroups = NULL;
	o->ncgroups = 0;
	if (ob->cg.memcg == MEMCG_NONE || !mount[0])
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(parents); i++) {
		r = docker_row(ob, mount, parents[i],
			       i ? TCLASS_DOCKER_BUILD : TCLASS_DOCKER_CONTAINER, v1);
		if (r < 0)
			return r;
	}
	if ((size_t)snprintf(abs, sizeof(abs), "%s/system.slice", mount) < sizeof(abs) &&
	    (dir = root_opendir(ob->root, abs))) {
		while (r == 0 && (de = readdir(dir))) {
			char rel[PATH_MAX];
			char id[65];

			if ((size_t)snprintf(rel, sizeof(rel), "/system.slice/%s", de->d_name) >=
				    sizeof(rel) ||
			    !docker_container_id(rel, id))
				continue;
			r = docker_row(ob, mount, rel, TCLASS_DOCKER_CONTAINER, v1);
		}
		closedir(dir);
	}
	o->cgroups = ob->rows;
	o->ncgroups = ob->nrows;
	return r;
}
