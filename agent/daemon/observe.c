/* SPDX-License-Identifier: MIT */
#include "daemon/observe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/util.h"
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
	ob->strings = &ob->pools[0];
	ob->row_strings = &ob->pools[1];
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

static void rows_drop(struct observer *ob)
{
	pool_clear(ob->row_strings);
	ob->nrows = 0;
	ob->rows_valid = false;
}

void observe_reset(struct observer *ob)
{
	pool_clear(ob->strings);
	ob->nfiles = 0;
	if (!ob->rows_valid)
		rows_drop(ob);
}

void observer_free(struct observer *ob)
{
	rows_drop(ob);
	observe_reset(ob);
	for (size_t i = 0; i < ELEMENTSOF(ob->pools); i++)
		free(ob->pools[i].v);
	free(ob->rows);
	free(ob->files);
	memset(ob, 0, sizeof(*ob));
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	for (ncap = *cap ? *cap : 16; ncap < need; ncap *= 2)
		;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static const char *keep(struct string_pool *p, const char *s)
{
	char *copy;

	if (grow((void **)&p->v, &p->cap, p->n + 1, sizeof(char *)) < 0)
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

static const char *cgroup_path(const struct ledger *l, struct resolver *r, uint64_t cgid)
{
	const struct ledger_entry *c = ledger_find(l, LEDGER_CGROUPS, (struct ledger_key){ cgid, 0 });

	return resolver_cgroup_path(r, cgid) ?: (c ? c->path_hint : NULL);
}

static int files_fold(struct observer *ob, const struct ledger *l, bool all)
{
	const struct ledger_table *ft = &l->t[LEDGER_FILES];

	if (grow((void **)&ob->files, &ob->files_cap, ft->n + 1, sizeof(*ob->files)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ft->n; i++) {
		const struct ledger_entry *e = &ft->v[i];
		struct classify_input in;

		if (!e->bytes.added || (!all && !ledger_added_last_sample(l, e)))
			continue;
		in = (struct classify_input){ .cgroup_path = cgroup_path(l, ob->res, e->owner_cgid),
					      .comm = e->comm, .parent_comm = e->parent_comm,
					      .trust = e->trust };
		in.build_container = resolver_build_container(ob->res, in.cgroup_path);
		ob->files[ob->nfiles++] = (struct policy_file){
			.dev = ledger_file_dev(&e->key), .ino = e->key.b, .gen = (uint32_t)(e->key.a >> 32),
			.owner_cgid = e->owner_cgid, .class = classify(&in),
			.added = e->bytes.added, .removed = e->bytes.removed,
		};
	}
	return 0;
}

int observe_tracker(struct observer *ob, const struct ledger *l, bool all_files,
		    struct policy_obs *o)
{
	struct top_view v;
	int r;

	/* The ledger has not moved since the rows were built: they stand, and
	 * no file gained pages.  The idle daemon's sample stops here. */
	if (!all_files && ob->rows_valid && ob->rows_seq == l->changed_seq)
		goto done;
	rows_drop(ob);
	top_view_resolve(l, ob->res);
	r = top_view_build(l, ob->res, 0, &v);
	if (r < 0)
		return r;
	r = grow((void **)&ob->rows, &ob->rows_cap, v.nrows + 1, sizeof(*ob->rows));
	if (r < 0)
		goto out;
	for (size_t i = 0; i < v.nrows; i++)
		ob->rows[ob->nrows++] = (struct policy_cgroup){
			.cgid = v.rows[i].cgid, .class = v.rows[i].class,
			.added = v.rows[i].bytes.added, .removed = v.rows[i].bytes.removed,
			.path = v.rows[i].path ? keep(ob->row_strings, v.rows[i].path) : NULL,
		};
	r = files_fold(ob, l, all_files);
	if (r < 0)
		goto out;
	ob->rows_valid = true;
	ob->rows_seq = l->changed_seq;
	top_view_free(&v);
done:
	o->tracker = true;
	o->cgroups = ob->rows;
	o->ncgroups = ob->nrows;
	o->files = ob->files;
	o->nfiles = ob->nfiles;
	return 0;
out:
	top_view_free(&v);
	rows_drop(ob);
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

void observe_targets(struct observer *ob, struct policy_obs *o)
{
	char buf[PATH_MAX];

	/* The targets below are this sample's: the rows are rebuilt next time. */
	ob->rows_valid = false;

	for (size_t i = 0; i < ob->nrows; i++) {
		struct policy_cgroup *row = &ob->rows[i];

		if (row->class == TCLASS_OTHER)
			continue;
		if (!row->path || row->path[0] != '/') {
			row->by_id = ob->cg.memcg == MEMCG_V2;
			continue;
		}
		if (ob->cg.unified_path[0]) {
			live_ancestor(ob->root, ob->cg.unified_path, row->path, buf, sizeof(buf));
			row->frozen = frozen(ob->root, ob->cg.unified_path, buf);
			/* Not under this distro's mount and no live ancestor but the
			 * root: maybe live elsewhere in the hierarchy; by its id. */
			row->by_id = ob->cg.memcg == MEMCG_V2 && !strcmp(buf, "/") && ob->res &&
				     !resolver_cgroup_path(ob->res, row->cgid);
			if (ob->cg.memcg == MEMCG_V2 && !row->by_id) {
				row->v2_target = keep(ob->strings, buf);
				row->target_cache_known = cgroup_cache(ob->root, ob->cg.unified_path, buf,
								       false, &row->target_cache);
			}
		}
		if (ob->cg.memcg == MEMCG_V1 && ob->cg.memcg_path[0]) {
			live_ancestor(ob->root, ob->cg.memcg_path, row->path, buf, sizeof(buf));
			row->v1_target = keep(ob->strings, buf);
			row->target_cache_known = cgroup_cache(ob->root, ob->cg.memcg_path, buf, true,
							       &row->target_cache);
		}
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
	if (grow((void **)&ob->rows, &ob->rows_cap, ob->nrows + 1, sizeof(*ob->rows)) < 0)
		return -ENOMEM;
	ob->rows[ob->nrows] = (struct policy_cgroup){ .cgid = ob->nrows + 1, .class = class,
						      .added = cache, .path = keep(ob->strings, rel) };
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
