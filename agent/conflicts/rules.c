/* SPDX-License-Identifier: MIT */
#include "conflicts/rules.h"

#include <string.h>

#include "shared/util.h"

#define DEB (FAM_UBUNTU | FAM_DEBIAN)
#define RPM (FAM_FEDORA | FAM_RHEL | FAM_CENTOS | FAM_SLES)
#define OLD_RPM_DOCKER (FAM_FEDORA | FAM_RHEL | FAM_CENTOS | FAM_SLES)

/* From Docker's install pages ("uninstall old versions") per distribution,
 * plus Docker's own engine packages, which conflict with Desktop's
 * integration just the same.  Only what stands in Desktop's way: a docker
 * command, engine or runtime of its own.  podman itself does not (RHEL's
 * page lists it because podman-docker, which provides docker, comes with
 * it): podman-docker is the package that does. */
const struct conflict_rule conflict_rules[] = {
	{ "docker.io", DEB, "Debian/Ubuntu Docker engine" },
	{ "docker-compose", DEB, "Compose v1" },
	{ "docker-compose-v2", FAM_UBUNTU, "Ubuntu's Compose v2" },
	{ "docker-doc", DEB, "docker.io documentation" },
	{ "podman-docker", DEB | FAM_RHEL, "a docker command emulated by podman" },
	{ "containerd", DEB, "containerd runtime" },
	{ "runc", DEB | FAM_RHEL | FAM_SLES, "OCI runtime" },
	{ "docker-cli", FAM_DEBIAN | FAM_ALPINE, "docker CLI (Debian trixie+, Alpine)" },
	{ "docker", OLD_RPM_DOCKER | FAM_ALPINE | FAM_ARCH | FAM_SNAP, "Docker engine" },
	{ "docker-client", OLD_RPM_DOCKER, "old Docker client" },
	{ "docker-client-latest", OLD_RPM_DOCKER, "old Docker client" },
	{ "docker-common", OLD_RPM_DOCKER, "old Docker common files" },
	{ "docker-latest", OLD_RPM_DOCKER, "old Docker engine" },
	{ "docker-latest-logrotate", OLD_RPM_DOCKER, "old Docker log rotation" },
	{ "docker-logrotate", OLD_RPM_DOCKER, "old Docker log rotation" },
	{ "docker-selinux", FAM_FEDORA, "old Docker SELinux policy" },
	{ "docker-engine-selinux", FAM_FEDORA, "old Docker SELinux policy" },
	{ "docker-engine", OLD_RPM_DOCKER | FAM_ALPINE, "old Docker engine" },
	{ "moby-engine", FAM_FEDORA, "Fedora's Moby engine (provides docker)" },
	{ "docker-ce", DEB | RPM, "Docker CE engine" },
	{ "docker-ce-cli", DEB | RPM, "Docker CE CLI" },
	{ "containerd.io", DEB | RPM, "Docker's containerd" },
	{ "docker-buildx-plugin", DEB | RPM, "Docker CE buildx plugin" },
	{ "docker-compose-plugin", DEB | RPM, "Docker CE compose plugin" },
	{ "docker-ce-rootless-extras", DEB | RPM, "Docker CE rootless mode" },
};
const size_t conflict_rules_n = ELEMENTSOF(conflict_rules);

static const struct {
	const char *id;
	unsigned families;
} os_ids[] = {
	{ "ubuntu", FAM_UBUNTU }, { "debian", FAM_DEBIAN }, { "raspbian", FAM_DEBIAN },
	{ "fedora", FAM_FEDORA }, { "rhel", FAM_RHEL }, { "rocky", FAM_RHEL },
	{ "almalinux", FAM_RHEL }, { "centos", FAM_CENTOS }, { "sles", FAM_SLES },
	{ "opensuse", FAM_SLES }, { "opensuse-leap", FAM_SLES },
	{ "opensuse-tumbleweed", FAM_SLES }, { "suse", FAM_SLES }, { "alpine", FAM_ALPINE },
	{ "arch", FAM_ARCH }, { "manjaro", FAM_ARCH }, { "endeavouros", FAM_ARCH },
};

unsigned family_from_os_id(const char *id)
{
	for (size_t i = 0; i < ELEMENTSOF(os_ids); i++)
		if (!strcmp(id, os_ids[i].id))
			return os_ids[i].families;
	return 0;
}

unsigned families_of_pkgdb(enum pkgdb_kind k)
{
	switch (k) {
	case PKGDB_DPKG:
		return DEB;
	case PKGDB_RPM:
		return RPM;
	case PKGDB_APK:
		return FAM_ALPINE;
	case PKGDB_PACMAN:
		return FAM_ARCH;
	case PKGDB_SNAP:
		return FAM_SNAP;
	default:
		return 0;
	}
}

const struct conflict_rule *conflict_rule_find(const char *pkg, unsigned families)
{
	for (size_t i = 0; i < conflict_rules_n; i++)
		if ((conflict_rules[i].families & families) && !strcmp(conflict_rules[i].name, pkg))
			return &conflict_rules[i];
	return NULL;
}

const char *remedy_remove_command(enum pkgdb_kind k, unsigned families, bool purge)
{
	switch (k) {
	case PKGDB_DPKG:
		return purge ? "sudo apt purge" : "sudo apt remove";
	case PKGDB_RPM:
		return (families & ~FAM_SLES) ? "sudo dnf remove" : "sudo zypper remove";
	case PKGDB_APK:
		return "sudo apk del";
	case PKGDB_PACMAN:
		return "sudo pacman -Rns";
	case PKGDB_SNAP:
		return "sudo snap remove";
	default:
		return NULL;
	}
}
