/* SPDX-License-Identifier: MIT */
#include "sources/wsl_env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/util.h"

const char *wsl_kind_name(enum wsl_kind k)
{
	switch (k) {
	case WSL_1:
		return "wsl1";
	case WSL_2:
		return "wsl2";
	default:
		return "none";
	}
}

const char *desktop_distro_name(enum desktop_distro d)
{
	switch (d) {
	case DESKTOP_DISTRO_DOCKER_DESKTOP:
		return "docker-desktop";
	case DESKTOP_DISTRO_DOCKER_DESKTOP_DATA:
		return "docker-desktop-data";
	default:
		return NULL;
	}
}

enum wsl_kind wsl_kind_from_release(const char *release)
{
	/* WSL1 fakes "4.4.0-19041-Microsoft" (capital M); WSL2 kernels say
	 * "microsoft-standard-WSL2" (early ones "-microsoft-standard"). */
	if (strstr(release, "Microsoft"))
		return WSL_1;
	if (strstr(release, "microsoft-standard") || strstr(release, "-WSL2"))
		return WSL_2;
	return WSL_NONE;
}

static bool is_dir_under(const char *root, const char *abs)
{
	int fd = root_open(root, abs, O_PATH | O_DIRECTORY);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Desktop's integration replaces the distro's CLI with links into the
 * shared /mnt/wsl/docker-desktop tree. */
static void detect_desktop_cli(const char *root, struct wsl_env *e)
{
	static const char *const links[] = { "/usr/bin/docker", "/usr/local/bin/docker" };

	for (size_t i = 0; i < ELEMENTSOF(links); i++) {
		char path[PATH_MAX], target[PATH_MAX];
		ssize_t n;

		if (root_resolve(root, links[i], path, sizeof(path)) < 0)
			continue;
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (string_has_prefix(target, DESKTOP_MNT "/")) {
			e->desktop_integration = true;
			snprintf(e->desktop_evidence, sizeof(e->desktop_evidence), "%s -> %s",
				 links[i], target);
			return;
		}
	}
}

int wsl_env_read(const char *root, struct wsl_env *e, struct source_status *st,
		 struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	const char *v;
	int r;

	memset(e, 0, sizeof(*e));
	v = getenv("WSL_DISTRO_NAME");
	if (v)
		snprintf(e->distro_name, sizeof(e->distro_name), "%s", v);
	e->interop = getenv("WSL_INTEROP") != NULL;
	if (!strcmp(e->distro_name, "docker-desktop"))
		e->desktop_distro = DESKTOP_DISTRO_DOCKER_DESKTOP;
	else if (!strcmp(e->distro_name, "docker-desktop-data"))
		e->desktop_distro = DESKTOP_DISTRO_DOCKER_DESKTOP_DATA;
	e->mnt_wsl = is_dir_under(root, "/mnt/wsl");
	e->desktop_running = is_dir_under(root, DESKTOP_MNT);
	detect_desktop_cli(root, e);

	r = source_load(root, "/proc/sys/kernel/osrelease", SOURCE_REQUIRED, st, &text, d);
	if (r < 0)
		return r;
	strip_trailing_space(text);
	if (!*text || strchr(text, '\n')) {
		source_fail(st, SOURCE_MALFORMED, "not a single-line kernel release");
		diag_add_at(d, st->path, 1, "%s", st->reason);
		return 0;
	}
	snprintf(e->kernel_release, sizeof(e->kernel_release), "%s", text);
	e->kind = wsl_kind_from_release(text);
	return 0;
}
