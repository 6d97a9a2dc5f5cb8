/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "sources/source.h"

/* Docker Desktop's share in the tmpfs all distros of the VM see; its CLI
 * integration links the distro's docker commands into it. */
#define DESKTOP_MNT "/mnt/wsl/docker-desktop"

enum wsl_kind {
	WSL_NONE,
	WSL_1,
	WSL_2,
};

/* Docker Desktop's own distros, where the agent must not act. */
enum desktop_distro {
	DESKTOP_DISTRO_NO,
	DESKTOP_DISTRO_DOCKER_DESKTOP,       /* "docker-desktop" */
	DESKTOP_DISTRO_DOCKER_DESKTOP_DATA,  /* "docker-desktop-data" */
};

struct wsl_env {
	enum wsl_kind kind;            /* from the kernel release */
	char kernel_release[256];
	char distro_name[256];         /* WSL_DISTRO_NAME; empty when unset */
	bool interop;                  /* WSL_INTEROP set: Windows binaries can run */
	bool mnt_wsl;                  /* /mnt/wsl, the tmpfs all distros share */
	bool desktop_running;          /* /mnt/wsl/docker-desktop exists */
	bool desktop_integration;      /* this distro's docker CLI is Desktop's */
	char desktop_evidence[PATH_MAX];
	enum desktop_distro desktop_distro;
};

const char *wsl_kind_name(enum wsl_kind k);
const char *desktop_distro_name(enum desktop_distro d);

/* Pure: classifies a kernel release string. */
enum wsl_kind wsl_kind_from_release(const char *release);

/* The environment variables (WSL_DISTRO_NAME, WSL_INTEROP) are those of
 * this process even under --root: they describe where the agent runs. */
int wsl_env_read(const char *root, struct wsl_env *e, struct source_status *st,
		 struct diag_list *d);
