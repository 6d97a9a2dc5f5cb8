/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conflicts/pkgdb.h"

/* Distribution families whose conflicting-package lists differ. */
enum {
	FAM_UBUNTU = 1u << 0,
	FAM_DEBIAN = 1u << 1,
	FAM_FEDORA = 1u << 2,
	FAM_RHEL = 1u << 3,
	FAM_CENTOS = 1u << 4,
	FAM_SLES = 1u << 5,
	FAM_ALPINE = 1u << 6,
	FAM_ARCH = 1u << 7,
	FAM_SNAP = 1u << 8,
};

struct conflict_rule {
	const char *name;
	unsigned families;
	const char *what;
};

/* The one table of conflicting package names (documented in
 * wsldock-agent(8), CONFLICT RULES). */
extern const struct conflict_rule conflict_rules[];
extern const size_t conflict_rules_n;

/* Families an os-release ID / ID_LIKE word stands for; 0 when unknown. */
unsigned family_from_os_id(const char *id);
/* Families whose packages a database format can hold. */
unsigned families_of_pkgdb(enum pkgdb_kind k);
/* The rule naming pkg for one of families, or NULL. */
const struct conflict_rule *conflict_rule_find(const char *pkg, unsigned families);

/* The command a user types to remove packages of this database
 * ("sudo apt remove"); purge selects removal of left configuration. */
const char *remedy_remove_command(enum pkgdb_kind k, unsigned families, bool purge);
