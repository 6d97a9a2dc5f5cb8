/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "config/conf.h"
#include "shared/json_util.h"

enum { OPT_CONFIG = OPT_COMMON_LAST, OPT_TEMPLATE };

static void config_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s config [--config FILE] [--json] [--root DIR]\n"
		"       %s config --template\n"
		"\n"
		"Prints the effective configuration of the agent: every key of\n"
		"/etc/wsldock/agent.conf and its drop-ins, its value, and where the value\n"
		"came from (a file and line, or the built-in default).\n"
		"\n"
		"  --config FILE  read FILE and FILE.d/*.conf instead of /etc/wsldock/agent.conf\n"
		"  --json         print one JSON document\n"
		"  --template     print a configuration file with every key commented out\n"
		"                 at its default (the file the package installs)\n"
		"  --root DIR     read the default configuration file under DIR\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit status: 0 valid, 1 the configuration has errors (each is printed\n"
		"as FILE:LINE: KEY: ...), 2 usage error.\n",
		program_name, program_name);
}

static void print_template(void)
{
	struct policy_config def;
	char value[64];

	policy_config_default(&def);
	printf("# wsldock-agent configuration; see wsldock-agent.conf(5).\n"
	       "# Every key is shown commented out at its built-in default.  Drop-ins in\n"
	       "# /etc/wsldock/agent.conf.d/*.conf are read after this file, in lexical\n"
	       "# order; the last value of a key wins.  `wsldock-agent config` prints\n"
	       "# the effective values and where each came from; `systemctl reload\n"
	       "# wsldock-agent` applies a change (a bad file keeps the running one).\n"
	       "\n[reclaim]\n");
	for (size_t i = 0; i < policy_keys_n; i++) {
		policy_config_format(&def, &policy_keys[i], value, sizeof(value));
		printf("# %s\n#%s = %s\n", policy_keys[i].help, policy_keys[i].name, value);
	}
}

static void conf_text(const struct agent_conf *c)
{
	char value[64], origin[PATH_MAX + 16];

	printf("# %s%s, %u drop-in%s\n[reclaim]\n", c->main_path,
	       c->main_found ? "" : " (absent: defaults)", c->dropins, c->dropins == 1 ? "" : "s");
	for (size_t i = 0; i < policy_keys_n; i++) {
		policy_config_format(&c->reclaim, &policy_keys[i], value, sizeof(value));
		printf("%-26s = %-10s # %s\n", policy_keys[i].name, value,
		       conf_origin_string(&c->reclaim_origin[i], origin, sizeof(origin)));
	}
}

struct config_args {
	const char *path;
	bool template;
};

static int config_option(int c, const char *arg, void *u)
{
	struct config_args *a = u;

	switch (c) {
	case OPT_CONFIG:
		a->path = arg;
		return 0;
	case OPT_TEMPLATE:
		a->template = true;
		return 0;
	default:
		config_usage(stderr);
		return -EINVAL;
	}
}

int verb_config(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "template", no_argument, NULL, OPT_TEMPLATE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { 0 };
	struct diag_list diags = { 0 };
	struct agent_conf conf;
	const char *path = NULL;
	bool template = false;
	int c, r;

	const struct cli_verb verb = { "config", options, "h", config_usage, config_option, 0 };
	struct config_args a = { 0 };

	c = cli_parse(&verb, argc, argv, &common, &a);
	if (c <= 0)
		return c < 0 ? EXIT_ERROR : EXIT_CLEAN;
	path = a.path;
	template = a.template;
	if (template) {
		print_template();
		return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_ERROR;
	}
	conf_default(&conf);
	r = conf_load(common.root, path, &conf, &diags);
	diag_print(&diags, stderr, program_name);
	diag_free(&diags);
	if (r < 0)
		return EXIT_FLAGGED;
	if (common.json) {
		json_t *doc = conf_json(&conf);

		r = doc ? json_print(doc) : -ENOMEM;
		json_decref(doc);
		if (r < 0)
			return EXIT_ERROR;
	} else {
		conf_text(&conf);
	}
	return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_ERROR;
}
