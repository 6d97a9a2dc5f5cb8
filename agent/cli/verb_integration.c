/* SPDX-License-Identifier: MIT */
/* `integration enable|disable` and `wslconfig set`: change requests sent
 * through the running daemon (`run`) to wsldock-bridge, which applies them
 * on the host; the bridge's answer is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../windows-bridge/proto.h"
#include "bridge/agent_bridge.h"
#include "cli/cli.h"

#define ANSWER_TIMEOUT_MS 15000

enum { OPT_CONTROL = OPT_COMMON_LAST };

static void usage(FILE *f, const char *verb)
{
	if (!strcmp(verb, "integration"))
		fprintf(f,
			"Usage: %s integration enable|disable [--control PATH]\n"
			"\n"
			"Asks wsldock-bridge, through the running daemon, to turn Docker Desktop's\n"
			"WSL integration on or off for this distro (Desktop's settings file on the host).\n",
			program_name);
	else
		fprintf(f,
			"Usage: %s wslconfig set SECTION.KEY=VALUE [--control PATH]\n"
			"\n"
			"Asks wsldock-bridge, through the running daemon, to set a key of the host's\n"
			".wslconfig (allowlisted: see wsldock-bridge(8)); WSL applies it after\n"
			"`wsl --shutdown`.\n",
			program_name);
	fprintf(f,
		"\n"
		"  --control PATH  the daemon's control socket (default %s)\n"
		"  -h, --help      show this help\n"
		"\n"
		"Exit status: 0 applied (or needs the restart printed), 1 refused, 2 error\n"
		"(no daemon, no bridge).\n",
		control_default_path());
}

static int send_change(const char *verb, const char *control, json_t *req)
{
	const char *result, *message, *restart;
	json_t *reply = NULL;
	char why[512];
	int r;

	r = control_request(control, req, ANSWER_TIMEOUT_MS, &reply, why, sizeof(why));
	json_decref(req);
	if (r < 0) {
		cli_error(verb, "%s", why);
		return EXIT_ERROR;
	}
	result = json_string_value(json_object_get(reply, "result"));
	message = json_string_value(json_object_get(reply, "message"));
	restart = json_string_value(json_object_get(reply, "restart"));
	if (!result) {
		cli_error(verb, "%s", message ? message : "the daemon's answer has no result");
		json_decref(reply);
		return EXIT_ERROR;
	}
	if (!strcmp(result, PROTO_REFUSED)) {
		cli_error(verb, "refused: %s", message ? message : "(no reason given)");
		json_decref(reply);
		return EXIT_FLAGGED;
	}
	printf("%s: %s\n", result, message ? message : "");
	if (restart)
		printf("run `%s` on the host to apply it\n", restart);
	json_decref(reply);
	return EXIT_CLEAN;
}

static int parse(int argc, char **argv, const char *verb, const char **control)
{
	static const struct option options[] = {
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*control = control_default_path();
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout, verb);
			exit(EXIT_CLEAN);
		}
		if (c != OPT_CONTROL) {
			usage(stderr, verb);
			return -1;
		}
		*control = optarg;
	}
	return 0;
}

int verb_integration(int argc, char **argv)
{
	const char *control;

	if (parse(argc, argv, "integration", &control) < 0)
		return EXIT_ERROR;
	if (argc - optind != 1 || (strcmp(argv[optind], "enable") && strcmp(argv[optind], "disable"))) {
		cli_error("integration", "expected enable or disable");
		return EXIT_ERROR;
	}
	return send_change("integration", control,
			   json_pack("{s:s, s:i, s:s, s:s}", "type", "change", "id", 1, "change",
				     "integration", "action", argv[optind]));
}

int verb_wslconfig(int argc, char **argv)
{
	const char *control, *eq;
	char key[129];

	if (parse(argc, argv, "wslconfig", &control) < 0)
		return EXIT_ERROR;
	if (argc - optind != 2 || strcmp(argv[optind], "set") || !(eq = strchr(argv[optind + 1], '=')) ||
	    (size_t)(eq - argv[optind + 1]) >= sizeof(key) || !memchr(argv[optind + 1], '.', (size_t)(eq - argv[optind + 1]))) {
		cli_error("wslconfig", "expected set SECTION.KEY=VALUE");
		return EXIT_ERROR;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[optind + 1]), argv[optind + 1]);
	return send_change("wslconfig", control,
			   json_pack("{s:s, s:i, s:s, s:s, s:s}", "type", "change", "id", 1, "change",
				     "wslconfig", "key", key, "value", eq + 1));
}
