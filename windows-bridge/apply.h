/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* The change appliers: the only code in the bridge that writes files
 * outside its own.  Each is allowlisted (one Docker Desktop key, a handful
 * of .wslconfig keys with validated values), honours dry_run, leaves a
 * timestamped backup beside the file before it replaces it atomically
 * (plat_replace_file), and describes exactly what changed in one line. */

/* Backups kept beside a file the appliers change (PATH.wsldock-backup-1 is
 * the newest). */
#define APPLY_BACKUPS 5

enum apply_status {
	APPLY_UNCHANGED,      /* already so: nothing written */
	APPLY_APPLIED,        /* written; takes effect when its reader next reads it */
	APPLY_NEEDS_RESTART,  /* written; restart says what makes it take effect */
	APPLY_REFUSED,        /* nothing written; message says why */
};

struct apply_result {
	enum apply_status status;
	bool dry_run;           /* status is what would have happened */
	char message[1536];     /* the change ("PATH: KEY: OLD -> NEW (backup B)") or why not */
	char restart[64];       /* "docker desktop restart", "wsl --shutdown" or "" */
	char backup[1024];      /* the backup's path, "" when none was made */
};

/* Enables or disables Docker Desktop's WSL integration for distro in the
 * settings file at path. */
void apply_integration(const char *path, const char *distro, bool enable, bool dry_run,
		       struct apply_result *r);

/* Sets SECTION.KEY (allowlisted, matched without regard to case) to value
 * in the .wslconfig at path; a missing file is created. */
void apply_wslconfig(const char *path, const char *section_key, const char *value,
		     bool dry_run, struct apply_result *r);

/* Splits "SECTION.KEY=VALUE" in place; -EINVAL when it has no '.' or '='. */
int apply_split_assignment(char *arg, char **section_key, char **value);

const char *apply_status_name(enum apply_status s);
