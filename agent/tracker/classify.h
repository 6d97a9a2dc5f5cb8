/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Who page cache belongs to, as far as reclaim decisions go. */
enum tclass {
	TCLASS_OTHER,
	TCLASS_DOCKER_BUILD,
	TCLASS_DOCKER_CONTAINER,
	TCLASS_DOCKER_DAEMON,
	_TCLASS_MAX,
};

/* What the kernel vouched for about the pages' adder (the BPF side reads
 * it from the task's credentials and the cgroup's owner: see
 * bpf/pagecache.h PC_TRUST_*).  Names are what any user can choose: a
 * process name counts only for a root process, a cgroup path only for a
 * cgroup root made.  Unknown is untrusted. */
#define CLASSIFY_TRUST_ROOT_PROCESS 1u  /* real and effective uid 0 */
#define CLASSIFY_TRUST_ROOT_CGROUP 2u   /* the cgroup directory is root's */

struct classify_input {
	const char *cgroup_path;  /* relative to the cgroup2 mount, "/..."; NULL unknown */
	unsigned trust;           /* CLASSIFY_TRUST_* */
	const char *comm;         /* process name (15 chars at most); NULL unknown */
	const char *parent_comm;  /* its parent's name; NULL unknown */
	bool build_container;     /* the docker container of cgroup_path is a
				     legacy-builder step (see resolve.h) */
};

/* One row of the rule table: the first row that matches decides. */
enum classify_match {
	MATCH_COMM,            /* comm equals pattern */
	MATCH_COMM_PREFIX,     /* comm starts with pattern */
	MATCH_PARENT_COMM,     /* the parent's comm equals pattern */
	MATCH_CGROUP_SEGMENT,  /* a path segment equals pattern */
	MATCH_DOCKER_BUILD_CONTAINER,  /* docker container cgroup flagged as a build step */
	MATCH_DOCKER_CONTAINER,        /* .../docker/<64 hex> or .../docker-<64 hex>.scope */
};

struct classify_rule {
	enum classify_match match;
	const char *pattern;
	enum tclass class;
	const char *why;  /* shown by `top` and in the man page */
};

extern const struct classify_rule classify_rules[];
extern const size_t classify_rules_n;

const char *tclass_name(enum tclass c);
/* The matching rule's index in classify_rules, or -1 for "other". */
int classify_rule_index(const struct classify_input *in);
enum tclass classify(const struct classify_input *in);

/* The 64-hex container id in a docker cgroup path, copied to id (65 bytes);
 * false when the path is not a docker container's. */
bool docker_container_id(const char *cgroup_path, char id[65]);
