/* SPDX-License-Identifier: MIT */
/* `integration enable|disable` and `wslconfig set`: a change request on the
 * running daemon's control socket (`run`), which relays it to
 * wsldock-bridge, which applies it on the host; the bridge's answer is
 * printed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon_link.h"
#include "daemon/control.h"

static void usage(FILE *f, const char *verb)
{
	if (!strcmp(verb, "integration"))
		fprintf(f,
			"Usage: %s integration enable|disable\n"
			"\n"
			"Asks wsldock-bridge, through the running daemon, to turn Docker Desktop's\n"
			"WSL integration on or off for this distro (Desktop's settings file on the host).\n",
			program_name);
	else
		fprintf(f,
			"Usage: %s wslconfig set SECTION.KEY=VALUE\n"
			"\n"
			"Asks wsldock-bridge, through the running daemon, to set a key of the host's\n"
			".wslconfig (allowlisted: see wsldock-bridge(8)); WSL applies it after\n"
			"`wsl --shutdown`.\n",
			program_name);
	fprintf(f,
		"\n"
		"The daemon's control socket is $WSLDOCK_CONTROL_SOCKET or %s;\n"
		"a change request is for root only.\n"
		"\n"
		"  -h, --help      show this help\n"
		"\n"
		"Exit status: 0 applied (or needs the restart printed), 1 refused by the bridge,\n"
		"2 error (no daemon, no bridge, no answer, not root).\n",
		CONTROL_DEFAULT_PATH);
}

/* Sends {"request":"change",...} (req, stolen) and prints the answer. */
static int send_change(const char *verb, json_t *req)
{
	const char *result, *message, *restart, *path = control_client_path(NULL);
	char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	const char *lines[1] = { line };
	json_t *reply = NULL;
	char why[512];
	int r;

	json_decref(req);
	if (!line) {
		cli_error(verb, "out of memory");
		return EXIT_ERROR;
	}
	r = daemon_link_call(lines, 1, &reply, why, sizeof(why));
	free(line);
	if (r == -ENOENT) {
		cli_error(verb, "no daemon answers on %s: the change goes through `wsldock-agent run`",
			  path);
		return EXIT_ERROR;
	}
	if (r < 0) {
		cli_error(verb, "the daemon %s", why);
		return EXIT_ERROR;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		cli_error(verb, "%s", json_string_value(json_object_get(reply, "error")) ?:
			  "the daemon's answer has no error");
		json_decref(reply);
		return EXIT_ERROR;
	}
	result = json_string_value(json_object_get(reply, "result"));
	message = json_string_value(json_object_get(reply, "message"));
	restart = json_string_value(json_object_get(reply, "restart"));
	if (!result) {
		cli_error(verb, "the daemon's answer has no result");
		json_decref(reply);
		return EXIT_ERROR;
	}
	if (!strcmp(result, "refused")) {
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

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void integration_usage(FILE *f)
{
	usage(f, "integration");
}

static void wslconfig_usage(FILE *f)
{
	usage(f, "wslconfig");
}

int verb_integration(int argc, char **argv)
{
	const struct cli_verb verb = { "integration", help_only, "h", integration_usage, NULL, 1 };
	int r = cli_parse(&verb, argc, argv, NULL, NULL);

	if (r <= 0)
		return r < 0 ? EXIT_ERROR : EXIT_CLEAN;
	if (argc - optind != 1 || (strcmp(argv[optind], "enable") && strcmp(argv[optind], "disable"))) {
		cli_error("integration", "expected enable or disable");
		return EXIT_ERROR;
	}
	return send_change("integration", json_pack("{s:s, s:s, s:s}", "request", "change",
						     "change", "integration", "action", argv[optind]));
}

int verb_wslconfig(int argc, char **argv)
{
	const char *arg, *eq;
	char key[CONTROL_CHANGE_KEY_MAX + 1];
	const struct cli_verb verb = { "wslconfig", help_only, "h", wslconfig_usage, NULL, 2 };
	int r = cli_parse(&verb, argc, argv, NULL, NULL);

	if (r <= 0)
		return r < 0 ? EXIT_ERROR : EXIT_CLEAN;
	arg = argc - optind == 2 ? argv[optind + 1] : NULL;
	eq = arg ? strchr(arg, '=') : NULL;
	if (!eq || strcmp(argv[optind], "set") || (size_t)(eq - arg) >= sizeof(key) ||
	    !memchr(arg, '.', (size_t)(eq - arg))) {
		cli_error("wslconfig", "expected set SECTION.KEY=VALUE");
		return EXIT_ERROR;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
	return send_change("wslconfig", json_pack("{s:s, s:s, s:s, s:s}", "request", "change",
						  "change", "wslconfig", "key", key, "value", eq + 1));
}
