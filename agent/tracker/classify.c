/* SPDX-License-Identifier: MIT */
#include "tracker/classify.h"

#include <ctype.h>
#include <string.h>

/* The attribution rules, in one place (documented in wsldock-agent(8),
 * ATTRIBUTION RULES).  Order matters: process names come before cgroup
 * paths because dockerd writes committed layers from its own cgroup, and a
 * daemon inside a container is still a daemon. */
const struct classify_rule classify_rules[] = {
	{ MATCH_COMM, "buildkitd", TCLASS_DOCKER_BUILD, "BuildKit daemon" },
	{ MATCH_COMM, "buildkit-runc", TCLASS_DOCKER_BUILD, "BuildKit step runner" },
	{ MATCH_CGROUP_SEGMENT, "buildkit", TCLASS_DOCKER_BUILD, "BuildKit step cgroup" },
	{ MATCH_DOCKER_BUILD_CONTAINER, NULL, TCLASS_DOCKER_BUILD, "legacy builder step container" },
	{ MATCH_COMM, "dockerd", TCLASS_DOCKER_DAEMON, "Docker daemon (writes committed layers)" },
	{ MATCH_PARENT_COMM, "dockerd", TCLASS_DOCKER_DAEMON,
	  "helper forked by dockerd (layer unpacking re-executes dockerd as \"exe\")" },
	{ MATCH_COMM, "containerd", TCLASS_DOCKER_DAEMON, "containerd (unpacks image layers)" },
	{ MATCH_COMM_PREFIX, "containerd-shim", TCLASS_DOCKER_DAEMON, "containerd shim" },
	{ MATCH_DOCKER_CONTAINER, NULL, TCLASS_DOCKER_CONTAINER, "Docker container cgroup" },
};
const size_t classify_rules_n = sizeof(classify_rules) / sizeof(classify_rules[0]);

const char *tclass_name(enum tclass c)
{
	static const char *const n[] = { "other", "docker-build", "docker-container",
					 "docker-daemon" };

	return c < _TCLASS_MAX ? n[c] : "other";
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* Calls fn on each segment of path; stops when fn returns true. */
static bool any_segment(const char *path, bool (*fn)(const char *seg, size_t len,
						     const char *prev, size_t prev_len, void *u),
			void *u)
{
	const char *prev = "", *p = path;
	size_t prev_len = 0;

	while (p && *p) {
		const char *end;
		size_t len;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len && fn(p, len, prev, prev_len, u))
			return true;
		prev = p;
		prev_len = len;
		p = end;
	}
	return false;
}

static bool seg_equals(const char *seg, size_t len, const char *prev, size_t prev_len, void *u)
{
	const char *want = u;

	return strlen(want) == len && !memcmp(seg, want, len);
}

/* docker/<id> (cgroupfs driver) or docker-<id>.scope (systemd driver). */
static bool seg_container(const char *seg, size_t len, const char *prev, size_t prev_len,
			  void *u)
{
	char *id = u;
	const char *start = NULL;

	if (prev_len == 6 && !memcmp(prev, "docker", 6) && is_hex64(seg, len))
		start = seg;
	else if (len == 7 + 64 + 6 && !memcmp(seg, "docker-", 7) &&
		 !memcmp(seg + 7 + 64, ".scope", 6) && is_hex64(seg + 7, 64))
		start = seg + 7;
	if (!start)
		return false;
	if (id) {
		memcpy(id, start, 64);
		id[64] = '\0';
	}
	return true;
}

bool docker_container_id(const char *cgroup_path, char id[65])
{
	return cgroup_path && any_segment(cgroup_path, seg_container, id);
}

/* A rule on names the adder could have chosen counts only when the kernel
 * vouches that root chose them: any user can call a process "buildkitd"
 * (prctl PR_SET_NAME, or exec through a symlink of that name) or, in a
 * delegated subtree, make a cgroup called "buildkit". */
static bool rule_trusted(const struct classify_rule *r, const struct classify_input *in)
{
	switch (r->match) {
	case MATCH_COMM:
	case MATCH_COMM_PREFIX:
	case MATCH_PARENT_COMM:
		return in->trust & CLASSIFY_TRUST_ROOT_PROCESS;
	case MATCH_CGROUP_SEGMENT:
	case MATCH_DOCKER_BUILD_CONTAINER:
	case MATCH_DOCKER_CONTAINER:
		return in->trust & CLASSIFY_TRUST_ROOT_CGROUP;
	}
	return false;
}

static bool rule_matches(const struct classify_rule *r, const struct classify_input *in)
{
	if (!rule_trusted(r, in))
		return false;
	switch (r->match) {
	case MATCH_COMM:
		return in->comm && !strcmp(in->comm, r->pattern);
	case MATCH_COMM_PREFIX:
		return in->comm && !strncmp(in->comm, r->pattern, strlen(r->pattern));
	case MATCH_PARENT_COMM:
		return in->parent_comm && !strcmp(in->parent_comm, r->pattern);
	case MATCH_CGROUP_SEGMENT:
		return in->cgroup_path &&
		       any_segment(in->cgroup_path, seg_equals, (void *)r->pattern);
	case MATCH_DOCKER_BUILD_CONTAINER:
		return in->build_container && docker_container_id(in->cgroup_path, NULL);
	case MATCH_DOCKER_CONTAINER:
		return docker_container_id(in->cgroup_path, NULL);
	}
	return false;
}

int classify_rule_index(const struct classify_input *in)
{
	for (size_t i = 0; i < classify_rules_n; i++)
		if (rule_matches(&classify_rules[i], in))
			return (int)i;
	return -1;
}

enum tclass classify(const struct classify_input *in)
{
	int i = classify_rule_index(in);

	return i < 0 ? TCLASS_OTHER : classify_rules[i].class;
}
