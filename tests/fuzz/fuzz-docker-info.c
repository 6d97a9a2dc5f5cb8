/* SPDX-License-Identifier: MIT */
/* libFuzzer target for Docker Engine's `GET /info` answer as the agent
 * reads it from a user distro (sources/docker_desktop.c): a whole HTTP/1.x
 * response, status line, headers, one JSON object. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/docker_desktop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every field is a NUL-terminated string within its buffer. */
static void check_str(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_engine_info info;
	char err[192];
	int r;

	err[0] = '\0';
	r = docker_info_parse((const char *)data, size, &info, err, sizeof(err));
	if (r < 0 && (r != -EPROTO || !err[0]))
		abort();  /* every refusal says why */
	if (r < 0 && (info.name[0] || info.os[0] || info.data_root[0]))
		abort();  /* nothing half-filled is left behind */
	check_str(info.name, sizeof(info.name));
	check_str(info.os, sizeof(info.os));
	check_str(info.data_root, sizeof(info.data_root));
	check_str(info.driver, sizeof(info.driver));
	check_str(info.cgroup_driver, sizeof(info.cgroup_driver));
	check_str(info.cgroup_version, sizeof(info.cgroup_version));
	check_str(info.version, sizeof(info.version));
	check_str(info.kernel, sizeof(info.kernel));
	(void)docker_info_is_desktop(&info, size & 1);
	return 0;
}
