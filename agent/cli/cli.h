/* SPDX-License-Identifier: MIT */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes shared by every verb (documented in wsldock-agent(8)). */
enum {
	EXIT_CLEAN = 0,    /* done, nothing to flag */
	EXIT_FLAGGED = 1,  /* done, but something was flagged: a source was
			      unreadable or malformed (report), a conflict was
			      found (conflicts) */
	EXIT_ERROR = 2,    /* usage error or nothing useful could be produced */
};

struct cli_common {
	const char *root;  /* root prefix for /proc, /sys, /etc ...; NULL = live */
	bool json;
};

/* Options every verb accepts; put CLI_COMMON_OPTIONS first in a verb's
 * getopt_long table and pass unknown results to cli_common_option(). */
enum { OPT_ROOT = 0x100, OPT_JSON, OPT_HELP, OPT_DRY_RUN, OPT_DOCKER_ROOT, OPT_BPF_MODE, OPT_SET,
       OPT_COMMON_LAST };
#define CLI_COMMON_OPTIONS                                   \
	{ "root", required_argument, NULL, OPT_ROOT },        \
	{ "json", no_argument, NULL, OPT_JSON },              \
	{ "help", no_argument, NULL, 'h' }
/* Options several verbs share, with one spelling and one check. */
#define CLI_OPT_DRY_RUN { "dry-run", no_argument, NULL, OPT_DRY_RUN }
#define CLI_OPT_DOCKER_ROOT { "docker-root", required_argument, NULL, OPT_DOCKER_ROOT }
#define CLI_OPT_BPF_MODE { "bpf-mode", required_argument, NULL, OPT_BPF_MODE }
#define CLI_OPT_SET { "set", required_argument, NULL, OPT_SET }

/* Returns 1 when handled, 0 when c is not a common option, -1 when its
 * argument is invalid (the error is printed: exit with EXIT_ERROR). */
int cli_common_option(int c, const char *arg, struct cli_common *common);
/* The one option loop of the verbs. */
struct cli_verb {
	const char *name;
	const struct option *options;  /* CLI_COMMON_OPTIONS first, or only --help */
	const char *shortopts;         /* "h", plus the verb's own letters */
	void (*usage)(FILE *f);
	/* The verb's own options: 0, or -EINVAL with the error printed. */
	int (*option)(int c, const char *arg, void *u);
	int max_args;                  /* positional arguments allowed */
};
/* Parses argv: the common options into *common (NULL: the verb has none),
 * -h/--help (usage on stdout), the rest through v->option.  1: go on, the
 * positional arguments from optind; 0: help was printed; -EINVAL: a usage
 * error, printed.  Every verb then returns
 * `r < 0 ? EXIT_ERROR : EXIT_CLEAN` when r <= 0. */
int cli_parse(const struct cli_verb *v, int argc, char **argv, struct cli_common *common,
	      void *u);
/* Prints "wsldock-agent VERB: MESSAGE" to stderr. */
__attribute__((format(printf, 2, 3)))
void cli_error(const char *verb, const char *fmt, ...);

extern const char *program_name;

int verb_report(int argc, char **argv);
int verb_conflicts(int argc, char **argv);
int verb_top(int argc, char **argv);
int verb_config(int argc, char **argv);
int verb_integration(int argc, char **argv);
int verb_wslconfig(int argc, char **argv);
int verb_run(int argc, char **argv);
int verb_reclaim(int argc, char **argv);
int verb_enroll(int argc, char **argv);

struct policy_config;
/* --set KEY=VALUE of run and reclaim: -EINVAL with the error printed. */
int cli_policy_set(const char *verb, struct policy_config *cfg, const char *arg);
enum tracker_mode;
/* --bpf-mode MODE of run and top: -EINVAL with the error printed. */
int cli_bpf_mode(const char *verb, const char *arg, enum tracker_mode *ret);
