/* SPDX-License-Identifier: MIT */
#include "tracker/resolve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <jansson.h>

#include "shared/util.h"
#include "tracker/classify.h"

#define WALK_LIMIT_DEFAULT 200000
#define WALK_DEPTH_MAX 24
#define RESOLVE_CACHE_MAX 65536
#define WATCH_MAX 256
#define BACKOFF_MAX 256
/* At most one data-root walk per this many generations (samples): new ids
 * come all the time on a busy machine, and each walk costs up to
 * walk_limit entries. */
#define WALK_EVERY 10

struct container_watch {
	int wd;
	char id[65];
};

struct named {
	uint64_t a, b;
	char *path;  /* NULL: looked up, not found (or, for containers, "no") */
	/* Files only: a miss is looked up again at generation retry_gen,
	 * backing off (1, 2, 4 ... BACKOFF_MAX generations), since a deleted
	 * build-step file is the normal case and is never found. */
	unsigned misses, retry_gen;
	bool due;     /* looked up by the scan running now */
	bool walked;  /* the data root was walked for it */
};

struct named_set {
	struct named *v;
	size_t n, cap;
	bool sorted;
};

struct resolver {
	char root[PATH_MAX];      /* "" for the live system */
	char cgroup2[PATH_MAX];   /* absolute, without the root prefix */
	char memcg_v1[PATH_MAX];  /* the same for the v1 memory hierarchy */
	char docker_root[PATH_MAX];
	size_t walk_limit;
	unsigned gen, cgroup_scan_gen, cgroup_v1_scan_gen, next_walk_gen;
	struct named_set cgroups;     /* a = id */
	struct named_set cgroups_v1;  /* a = id in the v1 memory hierarchy */
	struct named_set files;       /* a = dev, b = ino */
	struct named_set containers;  /* a, b = first 32 hex digits of the id; path "build" or NULL */
	int inotify_fd, containers_wd;
	struct container_watch watches[WATCH_MAX];  /* wd -1 = free */
};

uint64_t kernel_dev_to_user(uint32_t kdev)
{
	return makedev(kdev >> 20, kdev & ((1u << 20) - 1));
}

static int named_cmp(const void *x, const void *y)
{
	const struct named *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return 0;
}

static struct named *set_find(struct named_set *s, uint64_t a, uint64_t b)
{
	struct named key = { .a = a, .b = b };

	/* qsort and bsearch take no NULL base, even for zero elements. */
	if (!s->n)
		return NULL;
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(*s->v), named_cmp);
		s->sorted = true;
	}
	return bsearch(&key, s->v, s->n, sizeof(*s->v), named_cmp);
}

/* Appends without looking for the key: for scans that start from empty. */
static int set_append(struct named_set *s, uint64_t a, uint64_t b, const char *path)
{
	char *copy = NULL;

	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct named *nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv) {
			free(copy);
			return -ENOMEM;
		}
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = (struct named){ .a = a, .b = b, .path = copy };
	s->sorted = false;
	return 0;
}

/* Adds or replaces; path is copied (NULL allowed). */
static int set_put(struct named_set *s, uint64_t a, uint64_t b, const char *path)
{
	struct named *e = set_find(s, a, b);
	char *copy = NULL;

	if (!e)
		return set_append(s, a, b, path);
	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	free(e->path);
	e->path = copy;
	return 0;
}

static void set_clear(struct named_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool is_container_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == 64 && s[64] == '\0';
}

static int containers_dir(const struct resolver *r, char *buf, size_t size)
{
	char rel[PATH_MAX];

	if ((size_t)snprintf(rel, sizeof(rel), "%s/containers", r->docker_root) >= sizeof(rel))
		return -ENAMETOOLONG;
	/* inotify takes a path: the directory as the root resolves it. */
	return root_resolve(r->root, rel, buf, size);
}

/* Watching is a best effort: without it, containers are still looked up
 * when a sample sees them. */
static void watch_start(struct resolver *r)
{
	char dir[PATH_MAX];

	if (containers_dir(r, dir, sizeof(dir)) < 0)
		return;
	r->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->inotify_fd < 0)
		return;
	r->containers_wd = inotify_add_watch(r->inotify_fd, dir, IN_CREATE | IN_ONLYDIR);
	if (r->containers_wd < 0) {
		close(r->inotify_fd);
		r->inotify_fd = -1;
	}
}

int resolver_watch_fd(struct resolver *r)
{
	return r->inotify_fd;
}

int resolver_new(const struct resolver_opts *o, struct resolver **ret)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	if (o->root && strcmp(o->root, "/"))
		snprintf(r->root, sizeof(r->root), "%s", o->root);
	snprintf(r->cgroup2, sizeof(r->cgroup2), "%s", o->cgroup2_mount ? o->cgroup2_mount : "");
	snprintf(r->memcg_v1, sizeof(r->memcg_v1), "%s", o->memcg_v1_mount ? o->memcg_v1_mount : "");
	snprintf(r->docker_root, sizeof(r->docker_root), "%s",
		 o->docker_root ? o->docker_root : "/var/lib/docker");
	r->walk_limit = o->walk_limit ? o->walk_limit : WALK_LIMIT_DEFAULT;
	r->gen = 1;
	r->inotify_fd = -1;
	for (size_t i = 0; i < WATCH_MAX; i++)
		r->watches[i].wd = -1;
	watch_start(r);
	*ret = r;
	return 0;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	set_clear(&r->cgroups);
	set_clear(&r->cgroups_v1);
	set_clear(&r->files);
	set_clear(&r->containers);
	if (r->inotify_fd >= 0)
		close(r->inotify_fd);
	free(r);
}

void resolver_tick(struct resolver *r)
{
	r->gen++;
}

/* Depth-first walk under dir (a real path); calls fn for each entry with
 * its stat and its path relative to the walk's start ("" for the start). */
struct walk {
	size_t budget;
	bool dirs_only;
	bool one_dev;  /* stay on the start's device: no overlay2/.../merged */
	dev_t dev;
	int (*fn)(struct walk *w, const char *rel, const struct stat *st);
	void *u;
};

static void walk_dir(struct walk *w, int dfd, char *rel, size_t rel_len, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return;
	}
	while (w->budget && (de = readdir(d))) {
		struct stat st;
		size_t len;
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (w->dirs_only && de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		w->budget--;
		len = strlen(de->d_name);
		if (rel_len + 1 + len >= PATH_MAX)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, de->d_name, len + 1);
		if (w->fn(w, rel, &st) > 0 || !S_ISDIR(st.st_mode) || depth >= WALK_DEPTH_MAX ||
		    (w->one_dev && st.st_dev != w->dev)) {
			rel[rel_len] = '\0';
			continue;
		}
		cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (cfd >= 0)
			walk_dir(w, cfd, rel, rel_len + 1 + len, depth + 1);
		rel[rel_len] = '\0';
	}
	closedir(d);
}

static void walk(struct walk *w, const char *root, const char *abs)
{
	char rel[PATH_MAX] = "";
	struct stat st;
	int fd;

	fd = root_open(root, abs, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || w->fn(w, "", &st) > 0) {
		close(fd);
		return;
	}
	w->dev = st.st_dev;
	walk_dir(w, fd, rel, 0, 0);
}

static int cgroup_seen(struct walk *w, const char *rel, const struct stat *st)
{
	struct named_set *set = w->u;

	if (!S_ISDIR(st->st_mode))
		return 1;
	set_append(set, st->st_ino, 0, *rel ? rel : "/");
	return 0;
}

/* A cgroup's id is its directory's inode number in its hierarchy. */
static const char *cgroup_lookup(struct resolver *r, struct named_set *set, const char *mount,
				 unsigned *scan_gen, uint64_t id)
{
	struct named *e = set_find(set, id, 0);
	struct walk w = { .budget = r->walk_limit, .dirs_only = true, .fn = cgroup_seen, .u = set };

	if (e || !mount[0] || *scan_gen == r->gen)
		return e ? e->path : NULL;
	/* Start over: paths of removed cgroups are not kept (the BPF side
	 * records names for those), and ids are never reused. */
	*scan_gen = r->gen;
	set_clear(set);
	walk(&w, r->root, mount);
	e = set_find(set, id, 0);
	return e ? e->path : NULL;
}

const char *resolver_cgroup_path(struct resolver *r, uint64_t cgid)
{
	if (cgid & RESOLVER_CGID_V1)
		return cgroup_lookup(r, &r->cgroups_v1, r->memcg_v1, &r->cgroup_v1_scan_gen,
				     cgid & ~RESOLVER_CGID_V1);
	return cgroup_lookup(r, &r->cgroups, r->cgroup2, &r->cgroup_scan_gen, cgid);
}

struct file_walk {
	struct resolver *r;
	const char *prefix;  /* absolute path of the walk's start, no root */
	size_t missing;
};

static bool wanted(struct resolver *r, uint64_t dev, uint64_t ino)
{
	struct named *e = set_find(&r->files, dev, ino);

	return e && e->due && !e->path;
}

static void found(struct file_walk *fw, uint64_t dev, uint64_t ino, const char *path)
{
	struct named *e = set_find(&fw->r->files, dev, ino);

	if (e && e->due && !e->path) {
		e->path = strdup(path);
		if (e->path && fw->missing)
			fw->missing--;
	}
}

static int file_seen(struct walk *w, const char *rel, const struct stat *st)
{
	struct file_walk *fw = w->u;
	char abs[PATH_MAX];

	if (!fw->missing) {
		w->budget = 0;
		return 1;
	}
	if (!S_ISREG(st->st_mode))
		return 0;
	if (wanted(fw->r, st->st_dev, st->st_ino) &&
	    (size_t)snprintf(abs, sizeof(abs), "%s%s", fw->prefix, rel) < sizeof(abs))
		found(fw, st->st_dev, st->st_ino, abs);
	return 0;
}

/* Files open now: ROOT/proc/PID/fd/N, stat'ed through the link. */
static void scan_proc_fds(struct file_walk *fw)
{
	struct resolver *r = fw->r;
	size_t budget = r->walk_limit;
	struct dirent *pe;
	DIR *pd;

	if (!(pd = root_opendir(r->root, "/proc")))
		return;
	while (fw->missing && budget && (pe = readdir(pd))) {
		char fdp[PATH_MAX];
		struct dirent *fe;
		DIR *fdd;

		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		/* The fd links themselves are followed: that is how a process's
		 * open file is named (under a root tree they lead nowhere real). */
		if ((size_t)snprintf(fdp, sizeof(fdp), "/proc/%s/fd", pe->d_name) >= sizeof(fdp) ||
		    !(fdd = root_opendir(r->root, fdp)))
			continue;
		while (budget && (fe = readdir(fdd))) {
			char target[PATH_MAX];
			struct stat st;
			ssize_t n;

			budget--;
			if (fe->d_name[0] == '.' || fstatat(dirfd(fdd), fe->d_name, &st, 0) < 0 ||
			    !S_ISREG(st.st_mode) || !wanted(r, st.st_dev, st.st_ino))
				continue;
			n = readlinkat(dirfd(fdd), fe->d_name, target, sizeof(target) - 1);
			if (n <= 0 || target[0] != '/')
				continue;
			target[n] = '\0';
			found(fw, st.st_dev, st.st_ino, target);
		}
		closedir(fdd);
	}
	closedir(pd);
}

/* The data root is walked only for ids on its device it was not walked
 * for yet: a walk can find nothing else, and it is the costly part (up to
 * walk_limit entries).  Misses are retried in /proc only. */
static bool walk_worth_it(struct resolver *r, const struct file_id *ids, size_t n, dev_t dev)
{
	for (size_t i = 0; i < n; i++) {
		struct named *e = set_find(&r->files, ids[i].dev, ids[i].ino);

		if (ids[i].dev == dev && e && e->due && !e->path && !e->walked)
			return true;
	}
	return false;
}

void resolver_lookup_files(struct resolver *r, const struct file_id *ids, size_t n)
{
	struct file_walk fw = { .r = r };
	struct walk w = { .budget = r->walk_limit, .one_dev = true, .fn = file_seen, .u = &fw };
	struct stat st;
	bool walked;
	int fd;

	/* The cache only grows while the agent runs: start over when large. */
	if (r->files.n > RESOLVE_CACHE_MAX)
		set_clear(&r->files);
	/* Only the files asked for now, and of those only new ids and misses
	 * whose back-off ran out: unnamed entries of deleted files would
	 * otherwise make every tick scan /proc and walk the data root. */
	for (size_t i = 0; i < n; i++) {
		struct named *e = set_find(&r->files, ids[i].dev, ids[i].ino);

		if (!e) {
			if (set_append(&r->files, ids[i].dev, ids[i].ino, NULL) < 0)
				continue;
			e = set_find(&r->files, ids[i].dev, ids[i].ino);
		}
		if (e && !e->path && e->retry_gen <= r->gen) {
			e->due = true;
			fw.missing++;
		}
	}
	if (!fw.missing)
		return;
	scan_proc_fds(&fw);
	fw.prefix = r->docker_root;
	walked = false;
	if (fw.missing && r->gen >= r->next_walk_gen &&
	    (fd = root_open(r->root, r->docker_root, O_PATH | O_DIRECTORY)) >= 0) {
		walked = fstat(fd, &st) == 0 && walk_worth_it(r, ids, n, st.st_dev);
		close(fd);
	}
	if (walked) {
		walk(&w, r->root, r->docker_root);
		r->next_walk_gen = r->gen + WALK_EVERY;
	}
	for (size_t i = 0; i < n; i++) {
		struct named *e = set_find(&r->files, ids[i].dev, ids[i].ino);

		if (!e || !e->due)
			continue;
		e->due = false;
		e->walked |= walked;
		if (e->path)
			continue;
		e->retry_gen = r->gen + (e->misses < 8 ? 1u << e->misses : BACKOFF_MAX);
		e->misses++;
	}
}

const char *resolver_file_path(struct resolver *r, uint64_t dev, uint64_t ino)
{
	struct named *e = set_find(&r->files, dev, ino);

	return e ? e->path : NULL;
}

/* The legacy builder (builder/dockerfile, seen with Docker 20.10) creates
 * each RUN container from the previous step's image id ("sha256:...") with
 * its health check disabled (Healthcheck.Test ["NONE"]); `docker run` keeps
 * the image name the user typed and the image's health check. */
static bool config_is_build_step(const char *root, const char *abs)
{
	_cleanup_free_ char *text = NULL;
	json_t *doc, *cfg, *test;
	const char *image;
	bool r = false;

	if (read_text_at(root, abs, READ_FILE_MAX_DEFAULT, &text, NULL) < 0 ||
	    !(doc = json_loads(text, 0, NULL)))
		return false;
	cfg = json_object_get(doc, "Config");
	image = json_string_value(json_object_get(cfg, "Image"));
	test = json_object_get(json_object_get(cfg, "Healthcheck"), "Test");
	if (image && !strncmp(image, "sha256:", 7) && json_array_size(test) == 1 &&
	    !strcmp(json_string_value(json_array_get(test, 0)) ?: "", "NONE"))
		r = true;
	json_decref(doc);
	return r;
}

static uint64_t hex16(const char *s)
{
	return strtoull((char[17]){ s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9],
				    s[10], s[11], s[12], s[13], s[14], s[15], 0 },
			NULL, 16);
}

/* refresh: look again when the cached answer is "no" (the config may
 * have been read before it was written). */
static bool container_check(struct resolver *r, const char id[65], bool refresh)
{
	char rel[PATH_MAX];
	struct named *e;
	bool yes;

	if (r->containers.n > RESOLVE_CACHE_MAX)
		set_clear(&r->containers);
	e = set_find(&r->containers, hex16(id), hex16(id + 16));
	if (e && (e->path || !refresh))
		return e->path != NULL;
	if ((size_t)snprintf(rel, sizeof(rel), "%s/containers/%s/config.v2.json", r->docker_root,
			     id) >= sizeof(rel))
		return false;
	yes = config_is_build_step(r->root, rel);
	/* The builder removes its containers: cache the answer for the id. */
	set_put(&r->containers, hex16(id), hex16(id + 16), yes ? "build" : NULL);
	return yes;
}

bool resolver_build_container(struct resolver *r, const char *cgroup_path)
{
	char id[65];

	return docker_container_id(cgroup_path, id) && container_check(r, id, false);
}

static void watch_container(struct resolver *r, const char *id)
{
	char dir[PATH_MAX], sub[PATH_MAX];
	int wd;

	if (containers_dir(r, dir, sizeof(dir)) < 0 ||
	    (size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, id) >= sizeof(sub))
		return;
	wd = inotify_add_watch(r->inotify_fd, sub, IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
	if (wd < 0)
		return;
	for (size_t i = 0; i < WATCH_MAX; i++)
		if (r->watches[i].wd < 0 || r->watches[i].wd == wd) {
			r->watches[i].wd = wd;
			memcpy(r->watches[i].id, id, 65);
			return;
		}
	/* More containers created at once than slots: they are looked up later. */
	inotify_rm_watch(r->inotify_fd, wd);
}

static void config_written(struct resolver *r, int wd, uint32_t mask)
{
	for (size_t i = 0; i < WATCH_MAX; i++) {
		if (r->watches[i].wd != wd)
			continue;
		if (mask & IN_IGNORED) {
			r->watches[i].wd = -1;
			return;
		}
		container_check(r, r->watches[i].id, true);
		return;
	}
}

void resolver_process_events(struct resolver *r)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	if (r->inotify_fd < 0)
		return;
	while ((n = read(r->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->wd == r->containers_wd && ev->len && (ev->mask & IN_ISDIR) &&
			    is_container_id(ev->name))
				watch_container(r, ev->name);
			else if (ev->wd != r->containers_wd &&
				 (ev->mask & IN_IGNORED ||
				  (ev->len && !strcmp(ev->name, "config.v2.json"))))
				config_written(r, ev->wd, ev->mask);
			p += sizeof(*ev) + ev->len;
		}
	}
}
