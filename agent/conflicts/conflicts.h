/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "conflicts/pkgdb.h"
#include "shared/diag.h"
#include "sources/wsl_env.h"

/* Everything the check looked at, collected under a root prefix
 * (conflicts_collect) and turned into findings by a pure function
 * (conflicts_decide) that tests drive with hand-made facts. */

#define BINARY_FACTS_MAX 24

struct binary_fact {
	char path[PATH_MAX];    /* absolute, as seen inside the root */
	char target[PATH_MAX];  /* symlink target; empty for a plain file */
	bool desktop;           /* a link into /mnt/wsl/docker-desktop/ */
	bool owner_checked;     /* the file lists of conflicting packages were read */
	char owner[PKG_NAME_MAX];  /* the conflicting package that installed it */
	enum pkgdb_kind owner_db;
};

enum { UNIT_DOCKER_SERVICE, UNIT_DOCKER_SOCKET, UNIT_CONTAINERD_SERVICE, _UNIT_MAX };

struct unit_fact {
	bool enabled, active;
	char evidence[PATH_MAX];  /* enablement symlink, or "systemd (D-Bus)" */
	char value[64];           /* link target's unit or the bus's state */
};

enum socket_owner { SOCKET_ABSENT, SOCKET_OWNER_UNKNOWN, SOCKET_DESKTOP, SOCKET_OTHER };

struct conflict_facts {
	char root[PATH_MAX];
	char os_id[64];
	char os_file[PATH_MAX];
	unsigned os_families;
	struct pkgdb dbs[_PKGDB_MAX];
	struct binary_fact bins[BINARY_FACTS_MAX];
	size_t nbins, bins_dropped;
	bool systemd_running;  /* units below come from the bus, not links */
	struct unit_fact units[_UNIT_MAX];
	enum socket_owner sock;
	char sock_path[64];
	char sock_pid[16];          /* listener, when found under /proc */
	char sock_evidence[PATH_MAX + 64];
	/* The environment: this process's own on the live system; under a
	 * root, what the tree's files set (/etc/environment, then plain
	 * assignments in /etc/profile and the users' shell profiles), since a
	 * tree has no running shell to ask.  env_file names where each was
	 * found ("environment" for this process's). */
	bool env_from_files;
	char docker_host[512];     /* DOCKER_HOST, empty if unset */
	char docker_host_file[PATH_MAX + 16];
	char docker_context[256];  /* DOCKER_CONTEXT */
	char docker_context_file[PATH_MAX + 16];
	char docker_config[PATH_MAX];  /* DOCKER_CONFIG from the tree's files */
	char path_var[4096];           /* PATH from the tree's files */
	bool distro_unknown;       /* no os-release and no package database:
				      native installs could not be checked */
	char context[256];         /* currentContext of ~/.docker/config.json */
	char context_file[PATH_MAX];
	int wslconf_systemd;       /* -1 unset, 0 false, 1 true */
	char wslconf_file[PATH_MAX];
	unsigned wslconf_line;
	struct wsl_env env;
};

const char *unit_name(unsigned u);

enum severity { SEV_INFO, SEV_WARNING, SEV_CONFLICT };
enum finding_kind { KIND_PACKAGE, KIND_BINARY, KIND_SERVICE, KIND_SOCKET, KIND_ENVIRONMENT,
		    KIND_CONTEXT, KIND_DISTRO };

#define FINDINGS_MAX 96

struct finding {
	char id[96];
	enum severity severity;
	enum finding_kind kind;
	char name[PKG_NAME_MAX];
	char message[256];
	char file[PATH_MAX];
	char value[512];
	char remedy[1024];  /* empty: nothing to do */
};

struct finding_list {
	struct finding items[FINDINGS_MAX];
	size_t n, dropped;
};

const char *severity_name(enum severity s);
const char *finding_kind_name(enum finding_kind k);

/* Asks systemd over the bus whether each unit is enabled or active (used
 * when systemd runs; exposed so a test can point it at its own bus). */
struct sd_bus;
void conflicts_units_from_bus(struct sd_bus *bus, struct unit_fact units[_UNIT_MAX]);

/* Reads every source under root (NULL or "/" = this system). */
void conflicts_collect(struct conflict_facts *f, const char *root, struct diag_list *d);
void conflicts_facts_free(struct conflict_facts *f);
/* Pure: the findings the facts call for. */
void conflicts_decide(const struct conflict_facts *f, struct finding_list *out);
/* Findings that make the distro not clean (exit status 1). */
size_t conflicts_count(const struct finding_list *l);

json_t *conflicts_json(const struct conflict_facts *f, const struct finding_list *l,
		       const struct diag_list *d);
void conflicts_text(FILE *out, const struct conflict_facts *f, const struct finding_list *l);

/* What `report` shows of the check: collected once by the verb, rendered
 * by the report's outputs. */
struct conflicts_snapshot {
	struct conflict_facts facts;
	struct finding_list findings;
	struct diag_list diags;  /* kept apart from the memory report's */
};

/* NULL when out of memory; free with conflicts_snapshot_free. */
struct conflicts_snapshot *conflicts_snapshot_collect(const char *root);
void conflicts_snapshot_free(struct conflicts_snapshot *c);
json_t *conflicts_report_json(const struct conflicts_snapshot *c);
void conflicts_report_text(FILE *out, const struct conflicts_snapshot *c);

/* --fix: the commands that would remove what conflicts (argv arrays). */
#define FIX_STEPS_MAX 8
#define FIX_ARGS_MAX 48

struct fix_step {
	char *argv[FIX_ARGS_MAX + 1];
	char storage[4096];
	char why[2048];  /* what each removal takes away, "name: why; ..." */
};

struct fix_plan {
	struct fix_step steps[FIX_STEPS_MAX];
	size_t n;
	size_t skipped;  /* conflicts no command can fix (listed, not run) */
};

/* Pure: plan from facts and findings; assume_yes adds the package
 * managers' non-interactive flags. */
void fix_plan_build(const struct conflict_facts *f, const struct finding_list *l, bool assume_yes,
		    struct fix_plan *p);
void fix_plan_print(FILE *out, const struct fix_plan *p);
/* Runs each step in order, stops at the first failure; 0 or -EIO. */
int fix_plan_run(const struct fix_plan *p, FILE *log);
