/* SPDX-License-Identifier: MIT */
#include "conflicts/conflicts.h"

#include <stdarg.h>
#include <string.h>

#include "conflicts/rules.h"
#include "shared/json_util.h"
#include "shared/util.h"

const char *severity_name(enum severity s)
{
	return s == SEV_CONFLICT ? "conflict" : s == SEV_WARNING ? "warning" : "info";
}

const char *finding_kind_name(enum finding_kind k)
{
	static const char *const names[] = {
		[KIND_PACKAGE] = "package", [KIND_BINARY] = "binary", [KIND_SERVICE] = "service",
		[KIND_SOCKET] = "socket", [KIND_ENVIRONMENT] = "environment",
		[KIND_CONTEXT] = "context", [KIND_DISTRO] = "distro",
	};

	return k <= KIND_DISTRO ? names[k] : "unknown";
}

__attribute__((format(printf, 8, 9)))
static struct finding *add(struct finding_list *l, enum severity sev, enum finding_kind kind,
			   const char *id, const char *name, const char *file, const char *value,
			   const char *msgfmt, ...)
{
	struct finding *x;
	va_list ap;

	if (l->n == FINDINGS_MAX) {
		l->dropped++;
		return NULL;
	}
	x = &l->items[l->n++];
	memset(x, 0, sizeof(*x));
	x->severity = sev;
	x->kind = kind;
	snprintf(x->id, sizeof(x->id), "%s", id);
	snprintf(x->name, sizeof(x->name), "%s", name);
	snprintf(x->file, sizeof(x->file), "%s", file ? file : "");
	snprintf(x->value, sizeof(x->value), "%s", value ? value : "");
	va_start(ap, msgfmt);
	vsnprintf(x->message, sizeof(x->message), msgfmt, ap);
	va_end(ap);
	return x;
}

static unsigned db_families(const struct conflict_facts *f, enum pkgdb_kind k)
{
	unsigned fam = f->os_families & families_of_pkgdb(k);

	/* An unknown or foreign distribution ID: every family the format serves. */
	return fam ? fam : families_of_pkgdb(k);
}

/* Evidence names files as they are inside the distro, as remedies do. */
static const char *in_root(const struct conflict_facts *f, const char *path)
{
	size_t len = strlen(f->root);

	return len && !strncmp(path, f->root, len) && path[len] == '/' ? path + len : path;
}

static bool pkg_conflicts(const struct pkg *p, unsigned fam, bool leftovers)
{
	if (!conflict_rule_find(p->name, fam))
		return false;
	if (leftovers)
		return p->state == PKG_CONFIG_FILES;
	return p->state == PKG_INSTALLED || p->state == PKG_PARTIAL;
}

/* "sudo apt remove a b c": one command per database for everything found. */
static void remove_command(const struct conflict_facts *f, enum pkgdb_kind k, bool leftovers,
			   char *buf, size_t size)
{
	const struct pkgdb *db = &f->dbs[k];
	unsigned fam = db_families(f, k);
	size_t len;

	snprintf(buf, size, "%s", remedy_remove_command(k, fam, leftovers));
	for (size_t i = 0; i < db->n; i++) {
		const struct pkg *p = &db->pkgs[i];

		/* dpkg lists a package once per architecture: name it once. */
		if (!pkg_conflicts(p, fam, leftovers) || pkgdb_find(db, p->name) != p)
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, " %s", p->name);
	}
}

static void decide_db(const struct conflict_facts *f, enum pkgdb_kind k, struct finding_list *l,
		      bool *any)
{
	const struct pkgdb *db = &f->dbs[k];
	const char *fmt = pkgdb_kind_name(k);
	unsigned fam = db_families(f, k);
	char remove[1024], purge[1024], id[96], value[256];

	if (!db->present)
		return;
	if (db->st.state != SOURCE_OK) {
		snprintf(id, sizeof(id), "pkgdb-unreadable-%s", fmt);
		add(l, SEV_WARNING, KIND_PACKAGE, id, fmt, db->st.path, db->st.reason,
		    "cannot read the %s database: conflicting packages may go unseen", fmt);
		return;
	}
	remove_command(f, k, false, remove, sizeof(remove));
	remove_command(f, k, true, purge, sizeof(purge));
	for (size_t i = 0; i < db->n; i++) {
		const struct pkg *p = &db->pkgs[i];
		const struct conflict_rule *rule = conflict_rule_find(p->name, fam);
		bool left = p->state == PKG_CONFIG_FILES;
		struct finding *x;

		if (!rule || pkgdb_find(db, p->name) != p || !(pkg_conflicts(p, fam, false) || left))
			continue;
		snprintf(id, sizeof(id), "package-%s-%s", fmt, p->name);
		snprintf(value, sizeof(value), "%s%s%s", p->state_word, p->version[0] ? " " : "",
			 p->version);
		x = add(l, left ? SEV_INFO : SEV_CONFLICT, KIND_PACKAGE, id, p->name,
			in_root(f, db->files[p->file]), value, "%s (%s), %s", rule->what, fmt,
			left ? "removed but its configuration is left" : pkg_state_name(p->state));
		if (!x)
			continue;
		if (p->line)
			snprintf(x->file + strlen(x->file), sizeof(x->file) - strlen(x->file), ":%u", p->line);
		snprintf(x->remedy, sizeof(x->remedy), "%s", left ? purge : remove);
		*any |= !left;
	}
	if (db->dropped) {
		snprintf(id, sizeof(id), "pkgdb-malformed-%s", fmt);
		snprintf(value, sizeof(value), "%zu record%s skipped", db->dropped,
			 db->dropped == 1 ? "" : "s");
		add(l, SEV_WARNING, KIND_PACKAGE, id, fmt, db->st.path, value,
		    "malformed records in the %s database (see diagnostics): conflicting packages may go unseen",
		    fmt);
	}
}

/* Packages found by a database own most binaries, so their command is the
 * remedy; a binary no database explains was copied in by hand. */
static void package_remedy(const struct conflict_facts *f, char *buf, size_t size)
{
	buf[0] = '\0';
	for (unsigned k = 0; k < _PKGDB_MAX && !buf[0]; k++) {
		char cmd[1024];

		if (!f->dbs[k].present || f->dbs[k].st.state != SOURCE_OK)
			continue;
		remove_command(f, k, false, cmd, sizeof(cmd));
		if (strcmp(cmd, remedy_remove_command(k, db_families(f, k), false)))
			snprintf(buf, size, "%s", cmd);
	}
}

static void decide_binaries(const struct conflict_facts *f, const char *pkg_remedy,
			    struct finding_list *l)
{
	for (size_t i = 0; i < f->nbins; i++) {
		const struct binary_fact *b = &f->bins[i];
		const char *base = strrchr(b->path, '/') ? strrchr(b->path, '/') + 1 : b->path;
		char id[96], value[PATH_MAX + 8];
		struct finding *x;

		if (b->desktop)
			continue;
		snprintf(id, sizeof(id), "binary-%.80s", b->path);
		snprintf(value, sizeof(value), "%s%.4000s", b->target[0] ? "-> " : "",
			 b->target[0] ? b->target : "file");
		x = add(l, SEV_CONFLICT, KIND_BINARY, id, base, b->path, value,
			"%s is not Docker Desktop's link into /mnt/wsl/docker-desktop/%s%s%s", base,
			b->owner[0] ? " (installed by " : b->owner_checked ? " (copied by hand)" : "",
			b->owner, b->owner[0] ? ")" : "");
		if (!x)
			continue;
		/* Without file lists to tell, a binary next to conflicting
		 * packages most likely came with them. */
		if (b->owner[0])
			remove_command(f, b->owner_db, false, x->remedy, sizeof(x->remedy));
		else if (!b->owner_checked && pkg_remedy[0])
			snprintf(x->remedy, sizeof(x->remedy), "%s", pkg_remedy);
		else
			snprintf(x->remedy, sizeof(x->remedy), "sudo rm %.1000s", b->path);
	}
	if (f->bins_dropped)
		add(l, SEV_WARNING, KIND_BINARY, "binaries-dropped", "docker", "", "",
		    "%zu more docker binaries were not examined", f->bins_dropped);
}

static void decide_units(const struct conflict_facts *f, struct finding_list *l, char *units,
			 size_t size)
{
	unsigned flagged = 0;

	snprintf(units, size, "sudo systemctl disable --now");
	for (unsigned u = 0; u < _UNIT_MAX; u++)
		if (f->units[u].enabled || f->units[u].active) {
			snprintf(units + strlen(units), size - strlen(units), " %s", unit_name(u));
			flagged++;
		}
	for (unsigned u = 0; u < _UNIT_MAX; u++) {
		const struct unit_fact *uf = &f->units[u];
		char id[96];
		struct finding *x;

		if (!uf->enabled && !uf->active)
			continue;
		snprintf(id, sizeof(id), "service-%s", unit_name(u));
		x = add(l, SEV_CONFLICT, KIND_SERVICE, id, unit_name(u), uf->evidence, uf->value,
			"%s is %s%s%s: a native engine starts in this distro", unit_name(u),
			uf->enabled ? "enabled" : "", uf->enabled && uf->active ? " and " : "",
			uf->active ? "active" : "");
		if (x)
			snprintf(x->remedy, sizeof(x->remedy), "%s", units);
	}
	if (!flagged)
		units[0] = '\0';
}

static void decide_socket(const struct conflict_facts *f, const char *units, struct finding_list *l)
{
	struct finding *x;

	if (f->sock == SOCKET_ABSENT || f->sock == SOCKET_DESKTOP)
		return;
	if (f->sock == SOCKET_OWNER_UNKNOWN) {
		add(l, SEV_INFO, KIND_SOCKET, "socket-owner-unknown", "docker.sock", f->sock_path,
		    f->sock_evidence, "cannot tell what serves %s (no listener found under /proc)",
		    f->sock_path);
		return;
	}
	x = add(l, SEV_CONFLICT, KIND_SOCKET, "socket-not-desktop", "docker.sock", f->sock_path,
		f->sock_evidence, "%s is served by something other than Docker Desktop's proxy",
		f->sock_path);
	if (!x)
		return;
	if (units[0])
		snprintf(x->remedy, sizeof(x->remedy), "%s", units);
	else
		snprintf(x->remedy, sizeof(x->remedy), "sudo kill %s", f->sock_pid);
}

static void decide_environment(const struct conflict_facts *f, struct finding_list *l)
{
	char value[600];
	struct finding *x;

	if (f->docker_host[0]) {
		snprintf(value, sizeof(value), "DOCKER_HOST=%s", f->docker_host);
		x = add(l, SEV_WARNING, KIND_ENVIRONMENT, "environment-docker-host", "DOCKER_HOST",
			f->docker_host_file, value,
			"DOCKER_HOST overrides the socket Docker Desktop serves");
		if (x)
			snprintf(x->remedy, sizeof(x->remedy), "unset DOCKER_HOST");
	}
	if (f->docker_context[0] && strcmp(f->docker_context, "default")) {
		snprintf(value, sizeof(value), "DOCKER_CONTEXT=%s", f->docker_context);
		x = add(l, SEV_WARNING, KIND_ENVIRONMENT, "environment-docker-context",
			"DOCKER_CONTEXT", f->docker_context_file, value,
			"DOCKER_CONTEXT selects an engine other than Docker Desktop's");
		if (x)
			snprintf(x->remedy, sizeof(x->remedy), "unset DOCKER_CONTEXT");
	}
	if (f->env_from_files)
		add(l, SEV_INFO, KIND_ENVIRONMENT, "environment-from-files", "environment", "", "",
		    "under --root the environment is read from the tree's files (/etc/environment, "
		    "plain assignments in /etc/profile and shell profiles), not from a running shell");
	if (f->context[0] && strcmp(f->context, "default")) {
		snprintf(value, sizeof(value), "currentContext=%s", f->context);
		x = add(l, SEV_WARNING, KIND_CONTEXT, "context-not-default", f->context,
			f->context_file, value, "the current docker context is not the default one");
		if (x)
			snprintf(x->remedy, sizeof(x->remedy), "docker context use default");
	}
}

static void decide_distro(const struct conflict_facts *f, struct finding_list *l)
{
	char value[32];

	if (f->distro_unknown)
		add(l, SEV_WARNING, KIND_DISTRO, "distro-not-checked", "distro",
		    f->root[0] ? f->root : "/", "no os-release, no package database",
		    "native Docker installs could not be checked: no os-release and no package "
		    "database found");

	if (f->env.desktop_distro != DESKTOP_DISTRO_NO)
		add(l, SEV_WARNING, KIND_DISTRO, "desktop-internal-distro",
		    desktop_distro_name(f->env.desktop_distro), "environment", "WSL_DISTRO_NAME",
		    "this is Docker Desktop's internal %s distro, not one for development",
		    desktop_distro_name(f->env.desktop_distro));
	if (f->env.desktop_integration)
		add(l, SEV_INFO, KIND_DISTRO, "desktop-integration", "docker-desktop", "",
		    f->env.desktop_evidence, "Docker Desktop integration is present");
	else
		add(l, SEV_INFO, KIND_DISTRO, "desktop-integration", "docker-desktop", "", "",
		    "Docker Desktop integration is not present (no docker link into /mnt/wsl/docker-desktop/)");
	if (f->wslconf_systemd >= 0) {
		char file[PATH_MAX + 16];

		snprintf(value, sizeof(value), "systemd=%s", f->wslconf_systemd ? "true" : "false");
		snprintf(file, sizeof(file), "%s:%u", f->wslconf_file, f->wslconf_line);
		add(l, SEV_INFO, KIND_DISTRO, "wslconf-systemd", "wsl.conf", file, value,
		    "systemd %s in this distro", f->wslconf_systemd ? "is enabled" : "is disabled");
	}
}

void conflicts_decide(const struct conflict_facts *f, struct finding_list *l)
{
	char pkg_remedy[1024], units[256];
	bool any = false;

	memset(l, 0, sizeof(*l));
	decide_distro(f, l);
	for (unsigned k = 0; k < _PKGDB_MAX; k++)
		decide_db(f, k, l, &any);
	package_remedy(f, pkg_remedy, sizeof(pkg_remedy));
	decide_binaries(f, any ? pkg_remedy : "", l);
	decide_units(f, l, units, sizeof(units));
	decide_socket(f, units, l);
	decide_environment(f, l);
}

size_t conflicts_count(const struct finding_list *l)
{
	size_t n = l->dropped;

	for (size_t i = 0; i < l->n; i++)
		n += l->items[i].severity >= SEV_WARNING;
	return n;
}
