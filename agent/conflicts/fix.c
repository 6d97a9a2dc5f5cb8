/* SPDX-License-Identifier: MIT */
#include "conflicts/conflicts.h"

#include <errno.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>

#include "conflicts/rules.h"
#include "shared/util.h"

extern char **environ;

struct step_builder {
	struct fix_step *s;
	size_t argc, used;
	bool overflow;
};

static void arg(struct step_builder *b, const char *a)
{
	size_t len = strlen(a) + 1;

	if (b->argc == FIX_ARGS_MAX || b->used + len > sizeof(b->s->storage)) {
		b->overflow = true;
		return;
	}
	memcpy(b->s->storage + b->used, a, len);
	b->s->argv[b->argc++] = b->s->storage + b->used;
	b->used += len;
}

/* The plan says why each thing goes, next to the command. */
static void why(struct step_builder *b, const char *name, const char *reason)
{
	size_t len = strlen(b->s->why);

	snprintf(b->s->why + len, sizeof(b->s->why) - len, "%s%s: %s", len ? "; " : "", name,
		 reason);
}

static struct step_builder step_new(struct fix_plan *p)
{
	struct step_builder b = { 0 };

	if (p->n == FIX_STEPS_MAX) {
		p->skipped++;
		return b;
	}
	b.s = &p->steps[p->n];
	memset(b.s, 0, sizeof(*b.s));
	return b;
}

static void step_commit(struct fix_plan *p, struct step_builder *b)
{
	if (!b->s)
		return;
	if (b->overflow) {
		p->skipped++;
		return;
	}
	b->s->argv[b->argc] = NULL;
	p->n++;
}

/* With --root the package managers' own root options act on that tree and
 * never on this system; without it, the front ends a user would type. */
static void manager_argv(struct step_builder *b, enum pkgdb_kind k, unsigned fam,
			 const char *root, bool yes)
{
	char opt[PATH_MAX + 32];

	switch (k) {
	case PKGDB_DPKG:
		if (root[0]) {
			snprintf(opt, sizeof(opt), "--root=%s", root);
			arg(b, "dpkg"), arg(b, opt), arg(b, "--remove");
		} else {
			arg(b, "apt-get"), arg(b, "remove");
			if (yes)
				arg(b, "-y");
		}
		return;
	case PKGDB_RPM:
		if (root[0]) {
			snprintf(opt, sizeof(opt), "--root=%s", root);
			arg(b, "rpm"), arg(b, opt), arg(b, "-e");
		} else if (fam & ~FAM_SLES) {
			arg(b, "dnf"), arg(b, "remove");
			if (yes)
				arg(b, "-y");
		} else {
			arg(b, "zypper");
			if (yes)
				arg(b, "--non-interactive");
			arg(b, "remove");
		}
		return;
	case PKGDB_APK:
		arg(b, "apk");
		if (root[0])
			arg(b, "--root"), arg(b, root);
		arg(b, "del");
		return;
	case PKGDB_PACMAN:
		arg(b, "pacman");
		if (root[0]) {
			snprintf(opt, sizeof(opt), "%s/var/lib/pacman", root);
			arg(b, "--root"), arg(b, root), arg(b, "--dbpath"), arg(b, opt);
		}
		arg(b, "-Rns");
		if (yes)
			arg(b, "--noconfirm");
		return;
	default:
		arg(b, "snap"), arg(b, "remove");
		return;
	}
}

static void plan_packages(const struct conflict_facts *f, const struct finding_list *l, bool yes,
			  struct fix_plan *p)
{
	for (unsigned k = 0; k < _PKGDB_MAX; k++) {
		char prefix[96];
		struct step_builder b;
		size_t names = 0;

		snprintf(prefix, sizeof(prefix), "package-%s-", pkgdb_kind_name(k));
		for (size_t i = 0; i < l->n; i++)
			names += l->items[i].severity == SEV_CONFLICT &&
				 string_has_prefix(l->items[i].id, prefix);
		if (!names)
			continue;
		if (k == PKGDB_SNAP && f->root[0]) {
			p->skipped += names;  /* snapd cannot act on another root */
			continue;
		}
		b = step_new(p);
		if (!b.s)
			continue;
		manager_argv(&b, k, f->os_families & families_of_pkgdb(k) ?: families_of_pkgdb(k),
			     f->root, yes);
		for (size_t i = 0; i < l->n; i++)
			if (l->items[i].severity == SEV_CONFLICT && string_has_prefix(l->items[i].id, prefix)) {
				arg(&b, l->items[i].name);
				why(&b, l->items[i].name, l->items[i].message);
			}
		step_commit(p, &b);
	}
}

static void plan_units(const struct conflict_facts *f, struct fix_plan *p)
{
	char opt[PATH_MAX + 16];
	struct step_builder b;
	bool any = false;

	for (unsigned u = 0; u < _UNIT_MAX; u++)
		any |= f->units[u].enabled || f->units[u].active;
	if (!any || !(b = step_new(p)).s)
		return;
	arg(&b, "systemctl");
	if (f->root[0]) {
		snprintf(opt, sizeof(opt), "--root=%s", f->root);
		arg(&b, opt);
		arg(&b, "disable");
	} else {
		arg(&b, "disable");
		arg(&b, "--now");
	}
	for (unsigned u = 0; u < _UNIT_MAX; u++)
		if (f->units[u].enabled || f->units[u].active) {
			arg(&b, unit_name(u));
			why(&b, unit_name(u), "a native engine service; Docker Desktop serves "
			    "/var/run/docker.sock itself");
		}
	step_commit(p, &b);
}

void fix_plan_build(const struct conflict_facts *f, const struct finding_list *l, bool assume_yes,
		    struct fix_plan *p)
{
	memset(p, 0, sizeof(*p));
	/* Services first: stop the engine before its packages go. */
	plan_units(f, p);
	plan_packages(f, l, assume_yes, p);
	/* Hand-copied binaries, sockets, the shell's environment and docker
	 * contexts are the user's to change: listed with remedies, not run. */
	for (size_t i = 0; i < l->n; i++) {
		const struct finding *x = &l->items[i];

		if (x->severity < SEV_WARNING || x->kind == KIND_SERVICE ||
		    (x->kind == KIND_PACKAGE && x->severity == SEV_CONFLICT))
			continue;
		if (x->kind == KIND_BINARY && !string_has_prefix(x->remedy, "sudo rm"))
			continue;  /* goes with its package */
		if (x->kind == KIND_SOCKET && string_has_prefix(x->remedy, "sudo systemctl"))
			continue;
		p->skipped++;
	}
}

void fix_plan_print(FILE *out, const struct fix_plan *p)
{
	if (!p->n)
		fprintf(out, "Nothing for --fix to run.\n");
	for (size_t i = 0; i < p->n; i++) {
		fprintf(out, "  %zu.", i + 1);
		for (char *const *a = p->steps[i].argv; *a; a++)
			fprintf(out, " %s", *a);
		fputc('\n', out);
		for (const char *w = p->steps[i].why; *w;) {
			size_t n = strcspn(w, ";");

			fprintf(out, "       - %.*s\n", (int)n, w);
			w += n;
			w += strspn(w, "; ");
		}
	}
	if (p->skipped)
		fprintf(out, "%zu finding%s must be handled by hand (see the remedies above).\n",
			p->skipped, p->skipped == 1 ? "" : "s");
}

int fix_plan_run(const struct fix_plan *p, FILE *log)
{
	for (size_t i = 0; i < p->n; i++) {
		pid_t pid;
		int status = 0, r;

		fprintf(log, "running:");
		for (char *const *a = p->steps[i].argv; *a; a++)
			fprintf(log, " %s", *a);
		fputc('\n', log);
		fflush(log);
		r = posix_spawnp(&pid, p->steps[i].argv[0], NULL, NULL, p->steps[i].argv, environ);
		if (r == 0 && waitpid(pid, &status, 0) < 0)
			r = errno;
		if (r != 0) {
			fprintf(log, "cannot run %s: %s\n", p->steps[i].argv[0], strerror(r));
			return -EIO;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(log, "%s failed (status %d); stopping\n", p->steps[i].argv[0],
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			return -EIO;
		}
	}
	return 0;
}
