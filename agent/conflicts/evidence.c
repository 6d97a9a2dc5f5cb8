/* SPDX-License-Identifier: MIT */
#include "conflicts/conflicts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "conflicts/rules.h"
#include "shared/util.h"

static const char *const unit_names[_UNIT_MAX] = {
	[UNIT_DOCKER_SERVICE] = "docker.service",
	[UNIT_DOCKER_SOCKET] = "docker.socket",
	[UNIT_CONTAINERD_SERVICE] = "containerd.service",
};

const char *unit_name(unsigned u)
{
	return u < _UNIT_MAX ? unit_names[u] : "?";
}

static bool is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && !strcmp(s + a - b, suffix);
}

static void unquote(char *v)
{
	size_t len = strlen(v);

	if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
		memmove(v, v + 1, len - 2);
		v[len - 2] = '\0';
	}
}

/* ID picks the family; ID_LIKE is the fallback for derivatives. */
static void read_os_release(struct conflict_facts *f, struct diag_list *d)
{
	static const char *const files[] = { "/etc/os-release", "/usr/lib/os-release" };

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *text = NULL;
		struct source_status st = { 0 };
		unsigned like = 0, lineno = 0;
		char *cursor, *line;

		if (source_load(f->root, files[i], SOURCE_OPTIONAL, &st, &text, d) < 0)
			continue;
		snprintf(f->os_file, sizeof(f->os_file), "%s", st.path);
		for (cursor = text; (line = next_line(&cursor, &lineno));) {
			strip_trailing_space(line);
			if (string_has_prefix(line, "ID=")) {
				unquote(line + 3);
				snprintf(f->os_id, sizeof(f->os_id), "%s", line + 3);
				f->os_families = family_from_os_id(f->os_id);
			} else if (string_has_prefix(line, "ID_LIKE=")) {
				char *save = NULL;

				unquote(line + 8);
				for (char *w = strtok_r(line + 8, " ", &save); w; w = strtok_r(NULL, " ", &save))
					like |= family_from_os_id(w);
			}
		}
		if (!f->os_families)
			f->os_families = like;
		return;
	}
}

static void read_pkgdbs(struct conflict_facts *f, struct diag_list *d)
{
	static int (*const readers[_PKGDB_MAX])(const char *, struct pkgdb *, struct diag_list *) = {
		[PKGDB_DPKG] = pkgdb_dpkg_read, [PKGDB_RPM] = pkgdb_rpm_read,
		[PKGDB_APK] = pkgdb_apk_read, [PKGDB_PACMAN] = pkgdb_pacman_read,
		[PKGDB_SNAP] = pkgdb_snap_read,
	};

	for (unsigned k = 0; k < _PKGDB_MAX; k++) {
		pkgdb_init(&f->dbs[k], k);
		/* A failure is recorded in the database's status and becomes a
		 * finding; the other databases are still read. */
		(void)readers[k](f->root, &f->dbs[k], d);
	}
}

static bool seen_binary(const struct conflict_facts *f, const struct stat *sb, dev_t *devs,
			ino_t *inos)
{
	for (size_t i = 0; i < f->nbins; i++)
		if (devs[i] == sb->st_dev && inos[i] == sb->st_ino)
			return true;
	return false;
}

static void add_binary(struct conflict_facts *f, const char *dir, const char *name, dev_t *devs,
		       ino_t *inos)
{
	char abs[PATH_MAX], path[PATH_MAX];
	struct binary_fact *b;
	struct stat sb;
	ssize_t n;

	if (snprintf(abs, sizeof(abs), "%s/%s", dir, name) >= (int)sizeof(abs) ||
	    root_resolve(f->root, abs, path, sizeof(path)) < 0 || lstat(path, &sb) < 0)
		return;
	if (seen_binary(f, &sb, devs, inos))
		return;
	if (f->nbins == BINARY_FACTS_MAX) {
		f->bins_dropped++;
		return;
	}
	b = &f->bins[f->nbins];
	memset(b, 0, sizeof(*b));
	snprintf(b->path, sizeof(b->path), "%s", abs);
	if (S_ISLNK(sb.st_mode) && (n = readlink(path, b->target, sizeof(b->target) - 1)) > 0) {
		b->target[n] = '\0';
		b->desktop = string_has_prefix(b->target, DESKTOP_MNT "/");
	}
	devs[f->nbins] = sb.st_dev;
	inos[f->nbins] = sb.st_ino;
	f->nbins++;
}

/* The usual directories first, then this process's PATH (mapped under the
 * root), each file counted once however many links reach it. */
static void find_binaries(struct conflict_facts *f)
{
	static const char *const dirs[] = { "/usr/local/bin", "/usr/local/sbin", "/usr/bin",
					    "/usr/sbin", "/bin", "/sbin", "/snap/bin" };
	static const char *const names[] = { "docker", "dockerd", "containerd" };
	const char *path = f->env_from_files ? f->path_var : getenv("PATH");
	dev_t devs[BINARY_FACTS_MAX];
	ino_t inos[BINARY_FACTS_MAX];

	for (size_t n = 0; n < ELEMENTSOF(names); n++) {
		_cleanup_free_ char *copy = path ? strdup(path) : NULL;
		char *save = NULL;

		for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
			add_binary(f, dirs[i], names[n], devs, inos);
		for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
		     dir = strtok_r(NULL, ":", &save))
			if (dir[0] == '/')  /* relative PATH entries mean nothing under a root */
				add_binary(f, dir, names[n], devs, inos);
	}
}

/* Whether a file list ABS under ROOT ("/usr/bin/docker" lines for dpkg,
 * "usr/bin/docker" for pacman) names path. */
static bool list_has(const char *root, const char *list, const char *path, bool strip_slash)
{
	_cleanup_free_ char *text = NULL;
	unsigned lineno = 0;
	char *cursor, *line;

	if (read_text_at(root, list, PKGDB_FILE_MAX, &text, NULL) < 0)
		return false;
	if (strip_slash)
		path++;
	for (cursor = text; (line = next_line(&cursor, &lineno));)
		if (!strcmp(line, path))
			return true;
	return false;
}

static bool dpkg_owns(const struct conflict_facts *f, const char *pkg, const char *path)
{
	static const char dir[] = "/var/lib/dpkg/info";
	char list[PATH_MAX];
	struct dirent *e;
	bool found = false;
	size_t len = strlen(pkg);
	DIR *dh;

	if (snprintf(list, sizeof(list), "%s/%s.list", dir, pkg) >= (int)sizeof(list))
		return false;
	if (list_has(f->root, list, path, false))
		return true;
	/* Multi-Arch: same packages keep <name>:<arch>.list. */
	if (!(dh = root_opendir(f->root, dir)))
		return false;
	while (!found && (e = readdir(dh))) {
		if (strncmp(e->d_name, pkg, len) || e->d_name[len] != ':' || !has_suffix(e->d_name, ".list"))
			continue;
		if (snprintf(list, sizeof(list), "%s/%s", dir, e->d_name) < (int)sizeof(list))
			found = list_has(f->root, list, path, false);
	}
	closedir(dh);
	return found;
}

static bool pacman_owns(const struct conflict_facts *f, const struct pkgdb *db,
			const struct pkg *p, const char *path)
{
	char list[PATH_MAX], prefix[PATH_MAX];
	const char *desc = db->files[p->file];
	size_t len, plen;

	/* desc is named "ROOT/var/lib/pacman/local/NAME/desc" for messages:
	 * the list is opened through the root, by its path inside it. */
	if (root_path(f->root, "", prefix, sizeof(prefix)) < 0)
		return false;
	plen = strlen(prefix);
	if (plen && prefix[plen - 1] == '/')
		plen--;
	if (strncmp(desc, prefix, plen))
		return false;
	desc += plen;
	len = strlen(desc);
	if (len < 4 || strcmp(desc + len - 4, "desc") || len >= sizeof(list))
		return false;
	snprintf(list, sizeof(list), "%.*sfiles", (int)(len - 4), desc);
	return list_has(f->root, list, path, true);
}

/* Which conflicting package installed each binary, where the database
 * keeps file lists cheaply (dpkg, pacman): a binary none of them owns was
 * copied in by hand and needs its own remedy. */
static void find_binary_owners(struct conflict_facts *f)
{
	static const enum pkgdb_kind kinds[] = { PKGDB_DPKG, PKGDB_PACMAN };

	for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
		const struct pkgdb *db = &f->dbs[kinds[k]];
		unsigned fam = f->os_families & families_of_pkgdb(kinds[k]) ?: families_of_pkgdb(kinds[k]);

		if (!db->present || db->st.state != SOURCE_OK)
			continue;
		for (size_t b = 0; b < f->nbins; b++) {
			struct binary_fact *bf = &f->bins[b];

			if (bf->desktop || bf->owner[0])
				continue;
			bf->owner_checked = true;
			for (size_t i = 0; i < db->n && !bf->owner[0]; i++) {
				const struct pkg *p = &db->pkgs[i];

				if (!conflict_rule_find(p->name, fam) || p->state == PKG_NOT_INSTALLED)
					continue;
				if (kinds[k] == PKGDB_DPKG ? dpkg_owns(f, p->name, bf->path)
							   : pacman_owns(f, db, p, bf->path)) {
					snprintf(bf->owner, sizeof(bf->owner), "%s", p->name);
					bf->owner_db = kinds[k];
				}
			}
		}
	}
}

/* Without systemd running, enablement is the install symlinks in
 * ROOT/etc/systemd/system/<target>.wants/ (what systemctl enable made). */
static void units_from_links(struct conflict_facts *f)
{
	struct dirent *e;
	DIR *dh;

	if (!(dh = root_opendir(f->root, "/etc/systemd/system")))
		return;
	while ((e = readdir(dh))) {
		if (!has_suffix(e->d_name, ".wants") && !has_suffix(e->d_name, ".requires"))
			continue;
		for (unsigned u = 0; u < _UNIT_MAX; u++) {
			struct unit_fact *uf = &f->units[u];
			char abs[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
			ssize_t n;

			if (uf->enabled ||
			    snprintf(abs, sizeof(abs), "/etc/systemd/system/%s/%s", e->d_name,
				     unit_names[u]) >= (int)sizeof(abs) ||
			    root_resolve(f->root, abs, link, sizeof(link)) < 0)
				continue;
			n = readlink(link, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			uf->enabled = true;
			snprintf(uf->evidence, sizeof(uf->evidence), "/etc/systemd/system/%s/%s",
				 e->d_name, unit_names[u]);
			snprintf(uf->value, sizeof(uf->value), "-> %.60s", target);
		}
	}
	closedir(dh);
}

static void unit_from_bus(sd_bus *bus, struct unit_fact *uf, const char *unit)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	_cleanup_free_ char *active = NULL, *objpath = NULL;
	const char *state = NULL;
	int r;

	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "GetUnitFileState", &err, &reply,
			       "s", unit);
	if (r >= 0 && sd_bus_message_read(reply, "s", &state) >= 0)
		uf->enabled = !strcmp(state, "enabled") || !strcmp(state, "enabled-runtime") ||
			      !strcmp(state, "linked") || !strcmp(state, "alias");
	snprintf(uf->value, sizeof(uf->value), "UnitFileState=%.40s", state ? state : "unknown");
	reply = sd_bus_message_unref(reply);
	state = NULL;  /* it pointed into the reply */
	sd_bus_error_free(&err);
	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "LoadUnit", &err, &reply, "s", unit);
	if (r >= 0 && sd_bus_message_read(reply, "o", &state) >= 0 && (objpath = strdup(state)) &&
	    sd_bus_get_property_string(bus, "org.freedesktop.systemd1", objpath,
				       "org.freedesktop.systemd1.Unit", "ActiveState", &err, &active) >= 0) {
		uf->active = !strcmp(active, "active") || !strcmp(active, "activating") ||
			     !strcmp(active, "reloading");
		size_t len = strlen(uf->value);
		snprintf(uf->value + len, sizeof(uf->value) - len, " ActiveState=%.16s", active);
	}
	sd_bus_message_unref(reply);
	sd_bus_error_free(&err);
	snprintf(uf->evidence, sizeof(uf->evidence), "systemd (D-Bus) %s", unit);
}

void conflicts_units_from_bus(sd_bus *bus, struct unit_fact units[_UNIT_MAX])
{
	for (unsigned u = 0; u < _UNIT_MAX; u++)
		unit_from_bus(bus, &units[u], unit_names[u]);
}

static void find_units(struct conflict_facts *f, struct diag_list *d)
{
	sd_bus *bus = NULL;
	int r, fd;

	/* sd_booted(), under the root: systemd creates this at boot. */
	fd = root_open(f->root, "/run/systemd/system", O_PATH | O_DIRECTORY);
	f->systemd_running = fd >= 0;
	if (fd >= 0)
		close(fd);
	if (!f->systemd_running || !is_live(f->root)) {
		f->systemd_running = false;
		units_from_links(f);
		return;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		diag_add(d, "systemd runs but its bus cannot be reached (%s): using unit links",
			 strerror(-r));
		f->systemd_running = false;
		units_from_links(f);
		return;
	}
	conflicts_units_from_bus(bus, f->units);
	sd_bus_flush_close_unref(bus);
}

/* The inode of a listening unix socket bound to path, from /proc/net/unix
 * ("Num RefCount Protocol Flags Type St Inode Path"); 0 when not found. */
static unsigned long socket_inode(const char *root, const char *path)
{
	_cleanup_free_ char *text = NULL;
	struct source_status st = { 0 };
	struct diag_list quiet = { 0 };
	unsigned long inode = 0;
	unsigned lineno = 0;
	char *cursor, *line;

	if (source_load(root, "/proc/net/unix", SOURCE_OPTIONAL, &st, &text, &quiet) < 0) {
		diag_free(&quiet);
		return 0;
	}
	for (cursor = text; !inode && (line = next_line(&cursor, &lineno));) {
		unsigned long ino;
		int off = 0;

		if (lineno == 1 || sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %n", &ino, &off) != 1 || !off)
			continue;
		strip_trailing_space(line + off);
		if (!strcmp(line + off, path))
			inode = ino;
	}
	diag_free(&quiet);
	return inode;
}

static bool pid_holds(const char *root, const char *pid, const char *want)
{
	char rel[64];
	struct dirent *e;
	bool found = false;
	DIR *dh;

	snprintf(rel, sizeof(rel), "/proc/%s/fd", pid);
	if (!(dh = root_opendir(root, rel)))
		return false;
	while (!found && (e = readdir(dh))) {
		char target[64];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		/* The link's text only: it is never followed. */
		n = readlinkat(dirfd(dh), e->d_name, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = !strcmp(target, want);
		}
	}
	closedir(dh);
	return found;
}

static void describe_pid(const char *root, const char *pid, struct conflict_facts *f)
{
	char rel[64], cmd[512] = "";
	size_t len = 0;
	struct stat sb;
	ssize_t n;
	int fd;

	/* cmdline separates arguments with NUL bytes: read it raw. */
	snprintf(rel, sizeof(rel), "/proc/%s/cmdline", pid);
	fd = root_open(root, rel, O_RDONLY);
	if (fd >= 0) {
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (n = read(fd, cmd, sizeof(cmd) - 1)) > 0)
			len = (size_t)n;
		close(fd);
	}
	for (size_t i = 0; i < len; i++)
		if (!cmd[i])
			cmd[i] = ' ';
	cmd[len] = '\0';
	f->sock = strstr(cmd, DESKTOP_MNT "/") || strstr(cmd, "docker-desktop-user-distro")
			  ? SOCKET_DESKTOP : SOCKET_OTHER;
	snprintf(f->sock_pid, sizeof(f->sock_pid), "%.15s", pid);
	snprintf(f->sock_evidence, sizeof(f->sock_evidence), "listener pid %s: %.200s", pid,
		 len ? cmd : "?");
}

static void find_socket_owner(struct conflict_facts *f, const char *abs)
{
	unsigned long inode = socket_inode(f->root, abs);
	char want[64];
	struct dirent *e;
	DIR *dh;

	if (!inode && !strcmp(abs, "/var/run/docker.sock"))
		inode = socket_inode(f->root, "/run/docker.sock");
	if (!inode || !(dh = root_opendir(f->root, "/proc")))
		return;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while ((e = readdir(dh))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || !pid_holds(f->root, e->d_name, want))
			continue;
		describe_pid(f->root, e->d_name, f);
		break;
	}
	closedir(dh);
}

static void find_socket(struct conflict_facts *f)
{
	static const char *const socks[] = { "/var/run/docker.sock", "/run/docker.sock" };

	for (size_t i = 0; i < ELEMENTSOF(socks); i++) {
		char path[PATH_MAX], target[PATH_MAX];
		struct stat sb;
		ssize_t n;

		if (root_resolve(f->root, socks[i], path, sizeof(path)) < 0 || lstat(path, &sb) < 0)
			continue;
		snprintf(f->sock_path, sizeof(f->sock_path), "%s", socks[i]);
		f->sock = SOCKET_OWNER_UNKNOWN;
		/* A link is Desktop's or of unknown origin: following it could
		 * leave the root. */
		if (S_ISLNK(sb.st_mode)) {
			n = readlink(path, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
			snprintf(f->sock_evidence, sizeof(f->sock_evidence), "-> %.1000s", target);
			if (string_has_prefix(target, DESKTOP_MNT "/"))
				f->sock = SOCKET_DESKTOP;
			return;
		}
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(f->sock_evidence, sizeof(f->sock_evidence), "not a socket");
			return;
		}
		find_socket_owner(f, socks[i]);
		return;
	}
}

/* currentContext of the docker config ABS under the root, if any. */
static bool read_context(struct conflict_facts *f, const char *abs, struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	struct source_status st = { 0 };
	json_error_t err;
	json_t *doc, *cur;

	if (source_load(f->root, abs, SOURCE_OPTIONAL, &st, &text, d) < 0)
		return false;
	doc = json_loads(text, 0, &err);
	if (!doc) {
		diag_add_at(d, st.path, (unsigned)(err.line > 0 ? err.line : 0), "not JSON: %s", err.text);
		return false;
	}
	cur = json_object_get(doc, "currentContext");
	if (json_is_string(cur)) {
		snprintf(f->context, sizeof(f->context), "%s", json_string_value(cur));
		snprintf(f->context_file, sizeof(f->context_file), "%s", abs);
	}
	json_decref(doc);
	return f->context[0] && strcmp(f->context, "default");
}

/* The live system: this process's DOCKER_CONFIG or HOME.  A root: its
 * DOCKER_CONFIG (from its files), else every user's ~/.docker under it
 * (/root, /home/NAME); the first with a context other than default wins. */
static void find_context(struct conflict_facts *f, struct diag_list *d)
{
	const char *cfgdir = f->env_from_files ? f->docker_config : getenv("DOCKER_CONFIG");
	const char *home = f->env_from_files ? NULL : getenv("HOME");
	char abs[PATH_MAX];
	struct dirent *e;
	DIR *dh;

	if (cfgdir && *cfgdir) {
		if (snprintf(abs, sizeof(abs), "%s/config.json", cfgdir) < (int)sizeof(abs))
			read_context(f, abs, d);
		return;
	}
	if (!f->env_from_files) {
		if (home && *home &&
		    snprintf(abs, sizeof(abs), "%s/.docker/config.json", home) < (int)sizeof(abs))
			read_context(f, abs, d);
		return;
	}
	if (read_context(f, "/root/.docker/config.json", d) || !(dh = root_opendir(f->root, "/home")))
		return;
	while ((e = readdir(dh))) {
		if (e->d_name[0] == '.' ||
		    snprintf(abs, sizeof(abs), "/home/%s/.docker/config.json", e->d_name) >=
			    (int)sizeof(abs))
			continue;
		if (read_context(f, abs, d))
			break;
	}
	closedir(dh);
}

/* NAME=VALUE or export NAME=VALUE, with one level of quotes; the value
 * of a line that expands anything ($, `) is not known and is skipped. */
static bool assignment(char *line, const char *name, char *val, size_t size)
{
	char *l = skip_space(line);
	size_t n = strlen(name), len;

	if (string_has_prefix(l, "export "))
		l = skip_space(l + 7);
	if (strncmp(l, name, n) || l[n] != '=')
		return false;
	l += n + 1;
	strip_trailing_space(l);
	len = strlen(l);
	if (len >= 2 && (l[0] == '"' || l[0] == '\'') && l[len - 1] == l[0]) {
		l[len - 1] = '\0';
		l++;
	}
	if (strpbrk(l, "$`"))
		return false;
	snprintf(val, size, "%s", l);
	return true;
}

/* The last assignment of each variable in ABS under the root wins, as a
 * shell reading it would. */
static void env_file(struct conflict_facts *f, const char *abs, struct diag_list *d)
{
	static const struct {
		const char *name;
		size_t val, file;  /* offsets in conflict_facts; file 0: not kept */
		size_t val_size;
	} vars[] = {
		{ "DOCKER_HOST", offsetof(struct conflict_facts, docker_host),
		  offsetof(struct conflict_facts, docker_host_file), sizeof(f->docker_host) },
		{ "DOCKER_CONTEXT", offsetof(struct conflict_facts, docker_context),
		  offsetof(struct conflict_facts, docker_context_file), sizeof(f->docker_context) },
		{ "DOCKER_CONFIG", offsetof(struct conflict_facts, docker_config), 0,
		  sizeof(f->docker_config) },
		{ "PATH", offsetof(struct conflict_facts, path_var), 0, sizeof(f->path_var) },
	};
	_cleanup_free_ char *text = NULL;
	struct source_status st = { 0 };
	unsigned lineno = 0;
	char *cursor, *line;

	if (source_load(f->root, abs, SOURCE_OPTIONAL, &st, &text, d) < 0)
		return;
	for (cursor = text; (line = next_line(&cursor, &lineno));)
		for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
			char *val = (char *)f + vars[i].val;

			if (!assignment(line, vars[i].name, val, vars[i].val_size))
				continue;
			if (vars[i].file)
				snprintf((char *)f + vars[i].file, sizeof(f->docker_host_file), "%s:%u",
					 abs, lineno);
		}
}

static void find_environment(struct conflict_facts *f, struct diag_list *d)
{
	static const char *const system_files[] = { "/etc/environment", "/etc/profile",
						    "/etc/bash.bashrc" };
	static const char *const user_files[] = { ".profile", ".bash_profile", ".bashrc",
						  ".zshenv", ".zshrc" };
	const char *v;
	struct dirent *e;
	DIR *dh;

	f->env_from_files = f->root[0] != '\0';
	if (!f->env_from_files) {
		if ((v = getenv("DOCKER_HOST")))
			snprintf(f->docker_host, sizeof(f->docker_host), "%s", v);
		if ((v = getenv("DOCKER_CONTEXT")))
			snprintf(f->docker_context, sizeof(f->docker_context), "%s", v);
		snprintf(f->docker_host_file, sizeof(f->docker_host_file), "environment");
		snprintf(f->docker_context_file, sizeof(f->docker_context_file), "environment");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(system_files); i++)
		env_file(f, system_files[i], d);
	for (size_t i = 0; i < ELEMENTSOF(user_files); i++) {
		char abs[PATH_MAX];

		snprintf(abs, sizeof(abs), "/root/%s", user_files[i]);
		env_file(f, abs, d);
	}
	if (!(dh = root_opendir(f->root, "/home")))
		return;
	while ((e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < ELEMENTSOF(user_files); i++) {
			char abs[PATH_MAX];

			if (snprintf(abs, sizeof(abs), "/home/%s/%s", e->d_name, user_files[i]) <
			    (int)sizeof(abs))
				env_file(f, abs, d);
		}
	}
	closedir(dh);
}

/* /etc/wsl.conf is INI: systemd runs in this distro with [boot] systemd=true. */
static void find_wslconf(struct conflict_facts *f, struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	struct source_status st = { 0 };
	bool boot = false;
	unsigned lineno = 0;
	char *cursor, *line;

	f->wslconf_systemd = -1;
	if (source_load(f->root, "/etc/wsl.conf", SOURCE_OPTIONAL, &st, &text, d) < 0)
		return;
	snprintf(f->wslconf_file, sizeof(f->wslconf_file), "/etc/wsl.conf");
	for (cursor = text; (line = next_line(&cursor, &lineno));) {
		char *l = skip_space(line), *eq;

		strip_trailing_space(l);
		if (*l == '[') {
			boot = !strcasecmp(l, "[boot]");
			continue;
		}
		if (!boot || !(eq = strchr(l, '=')))
			continue;
		*eq = '\0';
		strip_trailing_space(l);
		if (strcasecmp(l, "systemd"))
			continue;
		f->wslconf_line = lineno;
		f->wslconf_systemd = !strcasecmp(skip_space(eq + 1), "true");
	}
}

void conflicts_collect(struct conflict_facts *f, const char *root, struct diag_list *d)
{
	struct source_status st = { 0 };
	struct diag_list quiet = { 0 };

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "%s", is_live(root) ? "" : root);
	read_os_release(f, d);
	read_pkgdbs(f, d);
	f->distro_unknown = !f->os_file[0];
	for (unsigned k = 0; k < _PKGDB_MAX; k++)
		if (f->dbs[k].present)
			f->distro_unknown = false;
	/* Before the binaries: under a root, PATH comes from its files. */
	find_environment(f, d);
	find_binaries(f);
	find_binary_owners(f);
	find_units(f, d);
	find_socket(f);
	find_context(f, d);
	find_wslconf(f, d);
	/* Only the Desktop fields matter here; a root without /proc (an
	 * unpacked distro) has no kernel release, which is not a problem for
	 * this check. */
	wsl_env_read(f->root, &f->env, &st, &quiet);
	diag_free(&quiet);
}

void conflicts_facts_free(struct conflict_facts *f)
{
	for (unsigned k = 0; k < _PKGDB_MAX; k++)
		pkgdb_free(&f->dbs[k]);
}
