/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "policy/policy.h"
#include "shared/diag.h"

/* The agent's configuration file: /etc/wsldock/agent.conf, then the drop-ins
 * /etc/wsldock/agent.conf.d/NAME.conf in lexical order, each key's last value
 * winning.  INI as /etc/wsl.conf, read by inih; the keys of section
 * [reclaim] are the policy's (policy_keys[]), documented in
 * wsldock-agent.conf(5).  A loaded configuration remembers where each value
 * came from, so `wsldock-agent config` can say it. */

#define CONF_DEFAULT_PATH "/etc/wsldock/agent.conf"
#define CONF_KEYS_MAX 64

struct conf_origin {
	char file[PATH_MAX];  /* "" = the built-in default */
	unsigned line;
};

struct agent_conf {
	struct policy_config reclaim;
	/* by index in policy_keys[] (tests/unit/test-conf.c checks the room) */
	struct conf_origin reclaim_origin[CONF_KEYS_MAX];
	char main_path[PATH_MAX];   /* the file read (or that would be read) */
	bool main_found;            /* it existed */
	unsigned dropins;           /* drop-in files read */
};

void conf_default(struct agent_conf *c);

/* Loads path (NULL = CONF_DEFAULT_PATH, where absence is fine; a path given
 * explicitly must exist) and its drop-in directory PATH.d/.  Every problem
 * is one diagnostic "FILE:LINE: KEY: what is wrong (what is allowed)"; on
 * any problem returns -EINVAL and leaves *c untouched, so a reload with a
 * bad file keeps the configuration that runs.  root prefixes the default
 * paths (tests); NULL = /. */
int conf_load(const char *root, const char *path, struct agent_conf *c, struct diag_list *d);

/* Parses one INI text as if read from name (used by conf_load and the fuzz
 * target): applies its values to c, recording their origin.  Returns 0 or
 * -EINVAL with diagnostics in d (c is then partly changed: conf_load
 * works on a copy). */
int conf_parse_text(const char *text, const char *name, struct agent_conf *c, struct diag_list *d);

/* "default", "FILE:LINE", or "--set" (a value from the command line). */
const char *conf_origin_string(const struct conf_origin *o, char *buf, size_t size);

/* {"schema_version", "file", "file_found", "dropins", "sections": {"reclaim":
 * {KEY: {"value", "origin"}}}}: what `config --json` prints and the daemon's
 * status carries.  NULL when out of memory. */
json_t *conf_json(const struct agent_conf *c);
