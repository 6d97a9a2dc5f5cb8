/* SPDX-License-Identifier: MIT */
#include "model/topology.h"

#include <stdio.h>
#include <string.h>

void topology_read(const char *root, const char *socket, int timeout_ms, struct topology *t)
{
	memset(t, 0, sizeof(*t));
	t->placement_err = cgroup_placement_read(root, &t->placement);
	t->reach_asked = !socket || strcmp(socket, "none");
	if (t->reach_asked)
		engine_reach_probe(root, socket, timeout_ms, &t->reach);
}

void topology_placement_line(const struct topology *t, char *buf, size_t size)
{
	if (t->placement_err < 0) {
		snprintf(buf, size, "unknown (%s)", strerrorname_np(-t->placement_err) ?: "?");
		return;
	}
	cgroup_placement_describe(&t->placement, buf, size);
}

void topology_engine_line(const struct topology *t, char *buf, size_t size)
{
	if (!t->reach_asked) {
		snprintf(buf, size, "not asked (--docker-socket none)");
		return;
	}
	engine_reach_describe(&t->reach, buf, size);
}

bool topology_root_by_id(const struct topology *t)
{
	return !t->placement_err && t->placement.own_ns == 1 && !t->placement.root_is_kernel_root;
}

const char *topology_files_out_of_reach(const struct topology *t, char *buf, size_t size)
{
	if (!t->reach_asked || !t->reach.engine_known || t->reach.files_reachable)
		return NULL;
	snprintf(buf, size, "cannot open the engine's files from this distro (%s: %s)%s",
		 t->reach.files_where[0] ? t->reach.files_where : t->reach.info.data_root,
		 strerrorname_np(-t->reach.files_err) ?: "?",
		 t->reach.desktop ? ", Docker Desktop's data disk is mounted in its own distro" : "");
	return buf;
}
