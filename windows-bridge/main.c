/* SPDX-License-Identifier: MIT */
/* wsldock-bridge's command line: serve agents (the default), or apply one
 * integration change by hand.  Same option parser shape as wsldock-agent's
 * verbs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "dashboard.h"
#include "enroll.h"
#include "hostmem.h"
#include "log.h"
#include "platform.h"
#include "server.h"
#include "state.h"

enum { EXIT_CLEAN = 0, EXIT_REFUSED = 1, EXIT_ERROR = 2 };

static const char *program_name = "wsldock-bridge";

enum {
	OPT_LISTEN = 0x100, OPT_HTTP, OPT_HTTP_ANY, OPT_DOCKER_SETTINGS, OPT_WSLCONFIG,
	OPT_DRY_RUN, OPT_LOW_MEMORY, OPT_MEMINFO, OPT_HOST_INTERVAL, OPT_STATE_DIR, OPT_ALLOW_CHANGES,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [run] --listen ENDPOINT... [--http ADDR:PORT [--http-any]]\n"
		"              [--docker-settings FILE] [--wslconfig FILE] [--dry-run]\n"
		"              [--low-memory LIMIT] [--meminfo FILE] [--host-interval MS]\n"
		"              [--state-dir DIR] [--allow-changes DISTRO=WHAT[,WHAT...]]...\n"
		"       %s enroll DISTRO [--state-dir DIR]\n"
		"       %s integration enable|disable DISTRO [--docker-settings FILE] [--dry-run]\n"
		"       %s wslconfig set SECTION.KEY=VALUE [--wslconfig FILE] [--dry-run]\n",
		program_name, program_name, program_name, program_name);
	for (const struct plat_verb *v = plat_verbs; v->name; v++)
		fprintf(f, "       %s %-11s %s\n", program_name, v->name, v->summary);
	fprintf(f,
		"       %s --help | --version\n"
		"\n"
		"The host side of wsldock: wsldock-agent daemons report to it, it shows\n"
		"every distro's memory, applies Docker Desktop and .wslconfig changes\n"
		"safely and tells the agents when the host runs short of memory.\n"
		"\n"
		"  --listen ENDPOINT    unix:PATH, tcp:HOST:PORT, vsock:CID:PORT (CID may be\n"
		"                       'any'); repeatable, up to %d\n"
		"  --http ADDR:PORT     serve /, /api/v1/distros and /metrics there\n"
		"  --http-any           allow a non-loopback --http address; every request then\n"
		"                       needs the token in the URL the bridge logs at start\n"
		"  --docker-settings FILE  Docker Desktop's settings-store.json or settings.json\n"
		"  --wslconfig FILE     the .wslconfig to edit\n"
		"  --dry-run            say what would change, write nothing\n"
		"  --low-memory LIMIT   host memory is low below LIMIT available: N%% of total\n"
		"                       or a size (512M, 2G); default 10%%\n"
		"  --meminfo FILE       read host memory from a meminfo-format FILE\n"
		"  --host-interval MS   sample host memory every MS milliseconds (default 1000)\n"
		"  --state-dir DIR      keep the distros' enrolment keys in DIR/bridge-keys\n"
		"                       (default: the log directory)\n"
		"  --allow-changes DISTRO=WHAT[,WHAT...]  the changes DISTRO's agent may ask\n"
		"                       for: integration, wslconfig (every key) or\n"
		"                       wslconfig.SECTION.KEY; others are refused (repeatable)\n"
		"\n"
		"enroll DISTRO makes a new key for DISTRO, installs it there with\n"
		"`wsl.exe -d DISTRO -u root wsldock-agent enroll` and keeps it: only an\n"
		"enrolled agent may report for a distro or ask for a change.\n"
		"\n"
		"See wsldock-bridge(8) and wsldock-protocol(7).\n"
		"Exit status: 0 done (or nothing to change), 1 change refused, 2 error.\n",
		program_name, SERVER_MAX_LISTEN);
}

/* Prints an applier's outcome: the change on stdout, a refusal on stderr. */
static int report_result(const struct apply_result *r)
{
	if (r->status == APPLY_REFUSED) {
		fprintf(stderr, "%s: %s\n", program_name, r->message);
		return EXIT_REFUSED;
	}
	printf("%s\n", r->message);
	if (r->restart[0] && !r->dry_run)
		printf("run `%s` to apply it\n", r->restart);
	return EXIT_CLEAN;
}

static const struct option file_options[] = {
	{ "docker-settings", required_argument, NULL, OPT_DOCKER_SETTINGS },
	{ "wslconfig", required_argument, NULL, OPT_WSLCONFIG },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The options of the two by-hand verbs: which file, --dry-run. */
static int parse_file_options(int argc, char **argv, int want, const char **file, bool *dry_run)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", file_options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(EXIT_CLEAN);
		} else if (c == OPT_DRY_RUN) {
			*dry_run = true;
		} else if (c == want) {
			*file = optarg;
		} else {
			fprintf(stderr, "%s %s: %s\n", program_name, argv[0],
				c == '?' ? "unknown option (see --help)" : "that option belongs to the other verb");
			return -EINVAL;
		}
	}
	return 0;
}

static int verb_integration(int argc, char **argv)
{
	const char *file = NULL;
	char path[1024];
	bool dry_run = false, enable;
	struct apply_result r;

	if (parse_file_options(argc, argv, OPT_DOCKER_SETTINGS, &file, &dry_run) < 0)
		return EXIT_ERROR;
	if (argc - optind != 2 || (strcmp(argv[optind], "enable") && strcmp(argv[optind], "disable"))) {
		fprintf(stderr, "%s integration: expected enable|disable DISTRO\n", program_name);
		return EXIT_ERROR;
	}
	enable = !strcmp(argv[optind], "enable");
	if (!file) {
		if (plat_docker_settings_path(path, sizeof(path)) < 0) {
			fprintf(stderr, "%s integration: no Docker Desktop settings file found; give --docker-settings FILE\n",
				program_name);
			return EXIT_ERROR;
		}
		file = path;
	}
	apply_integration(file, argv[optind + 1], enable, dry_run, &r);
	return report_result(&r);
}

static int verb_wslconfig(int argc, char **argv)
{
	const char *file = NULL;
	char path[1024], *key, *value;
	bool dry_run = false;
	struct apply_result r;

	if (parse_file_options(argc, argv, OPT_WSLCONFIG, &file, &dry_run) < 0)
		return EXIT_ERROR;
	if (argc - optind != 2 || strcmp(argv[optind], "set") ||
	    apply_split_assignment(argv[optind + 1], &key, &value) < 0) {
		fprintf(stderr, "%s wslconfig: expected set SECTION.KEY=VALUE\n", program_name);
		return EXIT_ERROR;
	}
	if (!file) {
		if (plat_wslconfig_path(path, sizeof(path)) < 0) {
			fprintf(stderr, "%s wslconfig: no .wslconfig location known here; give --wslconfig FILE\n",
				program_name);
			return EXIT_ERROR;
		}
		file = path;
	}
	apply_wslconfig(file, key, value, dry_run, &r);
	return report_result(&r);
}

static int verb_enroll(int argc, char **argv)
{
	static const struct option options[] = {
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = NULL;
	char why[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_CLEAN;
		}
		if (c != OPT_STATE_DIR) {
			fprintf(stderr, "%s enroll: unknown option (see --help)\n", program_name);
			return EXIT_ERROR;
		}
		state_dir = optarg;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s enroll: expected DISTRO\n", program_name);
		return EXIT_ERROR;
	}
	if (enroll_distro(state_dir, argv[optind], why, sizeof(why)) < 0) {
		fprintf(stderr, "%s enroll: %s\n", program_name, why);
		return EXIT_ERROR;
	}
	printf("%s: enrolled; its agent proves the new key from its next connection\n", argv[optind]);
	return EXIT_CLEAN;
}

static int verb_run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "http", required_argument, NULL, OPT_HTTP },
		{ "http-any", no_argument, NULL, OPT_HTTP_ANY },
		{ "docker-settings", required_argument, NULL, OPT_DOCKER_SETTINGS },
		{ "wslconfig", required_argument, NULL, OPT_WSLCONFIG },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "low-memory", required_argument, NULL, OPT_LOW_MEMORY },
		{ "meminfo", required_argument, NULL, OPT_MEMINFO },
		{ "host-interval", required_argument, NULL, OPT_HOST_INTERVAL },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "allow-changes", required_argument, NULL, OPT_ALLOW_CHANGES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server_config cfg = {
		.threshold = { .percent = 10 },
		.host_interval_ms = 1000,
		/* An agent answers the challenge at once: seconds, not minutes. */
		.hello_timeout_ms = 5000,
		.idle_timeout_ms = 120000,
	};
	struct bridge_state st;
	struct dashboard *db = NULL;
	const char *http = NULL;
	bool http_any = false;
	char why[512], *end;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		case OPT_LISTEN:
			if (cfg.nlisten == SERVER_MAX_LISTEN) {
				fprintf(stderr, "%s: at most %d --listen\n", program_name, SERVER_MAX_LISTEN);
				return EXIT_ERROR;
			}
			cfg.listen[cfg.nlisten++] = optarg;
			break;
		case OPT_HTTP:
			http = optarg;
			break;
		case OPT_HTTP_ANY:
			http_any = true;
			break;
		case OPT_DOCKER_SETTINGS:
			cfg.docker_settings = optarg;
			break;
		case OPT_WSLCONFIG:
			cfg.wslconfig = optarg;
			break;
		case OPT_DRY_RUN:
			cfg.dry_run = true;
			break;
		case OPT_LOW_MEMORY:
			if (hostmem_threshold_parse(optarg, &cfg.threshold) < 0) {
				fprintf(stderr, "%s: --low-memory %s: expected N%% (1-99) or a size like 512M\n",
					program_name, optarg);
				return EXIT_ERROR;
			}
			break;
		case OPT_MEMINFO:
			cfg.meminfo = optarg;
			break;
		case OPT_STATE_DIR:
			cfg.state_dir = optarg;
			break;
		case OPT_ALLOW_CHANGES:
			if (server_allow_check(optarg, why, sizeof(why)) < 0) {
				fprintf(stderr, "%s: %s\n", program_name, why);
				return EXIT_ERROR;
			}
			if (cfg.nallow == SERVER_MAX_ALLOW) {
				fprintf(stderr, "%s: at most %d --allow-changes\n", program_name, SERVER_MAX_ALLOW);
				return EXIT_ERROR;
			}
			cfg.allow[cfg.nallow++] = optarg;
			break;
		case OPT_HOST_INTERVAL:
			cfg.host_interval_ms = (unsigned)strtoul(optarg, &end, 10);
			if (*end || cfg.host_interval_ms < 100 || cfg.host_interval_ms > 600000) {
				fprintf(stderr, "%s: --host-interval %s: expected 100 to 600000 ms\n",
					program_name, optarg);
				return EXIT_ERROR;
			}
			break;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", program_name, argv[optind]);
		return EXIT_ERROR;
	}
	if (http_any && !http) {
		fprintf(stderr, "%s: --http-any needs --http ADDR:PORT\n", program_name);
		return EXIT_ERROR;
	}
	if (!cfg.nlisten) {
		const char *def = plat_default_listen();

		if (!def) {
			fprintf(stderr, "%s: give at least one --listen ENDPOINT (see --help)\n", program_name);
			return EXIT_ERROR;
		}
		cfg.listen[cfg.nlisten++] = def;
	}
	if (state_init(&st) < 0) {
		fprintf(stderr, "%s: out of memory\n", program_name);
		return EXIT_ERROR;
	}
	if (http) {
		db = dashboard_start(&st, http, http_any, why, sizeof(why));
		if (!db) {
			fprintf(stderr, "%s: %s\n", program_name, why);
			state_fini(&st);
			return EXIT_ERROR;
		}
	}
	if (cfg.dry_run)
		bridge_log("dry run: change requests are answered with what would change; nothing is written");
	r = server_run(&st, &cfg);
	dashboard_stop(db);
	state_fini(&st);
	bridge_log("stopped");
	return r < 0 ? EXIT_ERROR : EXIT_CLEAN;
}

int main(int argc, char **argv)
{
	int r = plat_init();

	if (r < 0) {
		fprintf(stderr, "%s: cannot initialise the platform layer: %s\n", program_name, strerror(-r));
		return EXIT_ERROR;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("%s %s\n", program_name, PACKAGE_VERSION);
		return EXIT_CLEAN;
	}
	if (argc < 2 || argv[1][0] == '-')
		return verb_run(argc, argv);
	if (!strcmp(argv[1], "run"))
		return verb_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "enroll"))
		return verb_enroll(argc - 1, argv + 1);
	if (!strcmp(argv[1], "integration"))
		return verb_integration(argc - 1, argv + 1);
	if (!strcmp(argv[1], "wslconfig"))
		return verb_wslconfig(argc - 1, argv + 1);
	for (const struct plat_verb *v = plat_verbs; v->name; v++)
		if (!strcmp(argv[1], v->name))
			return v->run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown verb '%s' (try '%s --help')\n", program_name, argv[1], program_name);
	return EXIT_ERROR;
}
