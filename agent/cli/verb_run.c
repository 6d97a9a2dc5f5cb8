/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bridge/bridge_client.h"
#include "cli/cli.h"
#include "daemon/daemon.h"

enum { OPT_FOREGROUND = OPT_COMMON_LAST, OPT_DRY_RUN, OPT_LOCK_DIR, OPT_DOCKER_ROOT, OPT_BPF_MODE,
       OPT_SET, OPT_BRIDGE, OPT_CONTROL };

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s run [--foreground] [--dry-run] [--set KEY=VALUE]... [--lock-dir DIR]\n"
		"       [--docker-root DIR] [--bpf-mode MODE] [--bridge ENDPOINT] [--control PATH]\n"
		"       [--root DIR]\n"
		"\n"
		"The reclaim daemon: tracks who fills the page cache (eBPF) and, when a Docker\n"
		"build ends, hands its page cache back with the most targeted lever, then\n"
		"compacts.  One agent per VM leads (reclaims); the others only track.\n"
		"\n"
		"  --foreground        also write one line per decision and action to stderr\n"
		"  --dry-run           decide and log as it would act; write nothing anywhere\n"
		"  --set KEY=VALUE     override one policy setting (see wsldock-agent(8),\n"
		"                      RECLAIM POLICY), e.g. --set quiet_period=5s\n"
		"  --lock-dir DIR      where leader.lock lives (default /mnt/wsl/wsldock on\n"
		"                      WSL 2, else /run/wsldock; or $WSLDOCK_LOCK_DIR)\n"
		"  --docker-root DIR   Docker's data root (default /var/lib/docker)\n"
		"  --bpf-mode MODE     auto (default), fentry, tp_btf or tracepoint\n"
		"  --bridge ENDPOINT   report to wsldock-bridge at vsock:CID:PORT, unix:PATH or\n"
		"                      tcp:HOST:PORT (default vsock:2:9478 on WSL 2 only;\n"
		"                      none: no bridge)\n"
		"  --control PATH      the control socket the integration, wslconfig and report\n"
		"                      verbs use (default /run/wsldock/control.sock)\n"
		"  --root DIR          read /proc and /sys under DIR\n"
		"  -h, --help          show this help\n"
		"\n"
		"Runs until SIGTERM or SIGINT.  Exit status: 0 stopped by a signal,\n"
		"2 usage error or the event loop could not start.\n",
		program_name);
}

/* --set KEY=VALUE, shared by run and reclaim. */
int cli_policy_set(const char *verb, struct policy_config *cfg, const char *arg)
{
	char err[256];

	if (policy_config_set(cfg, arg, err, sizeof(err)) < 0) {
		cli_error(verb, "--set %s", err);
		return -EINVAL;
	}
	return 0;
}

int verb_run(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "lock-dir", required_argument, NULL, OPT_LOCK_DIR },
		{ "docker-root", required_argument, NULL, OPT_DOCKER_ROOT },
		{ "bpf-mode", required_argument, NULL, OPT_BPF_MODE },
		{ "set", required_argument, NULL, OPT_SET },
		{ "bridge", required_argument, NULL, OPT_BRIDGE },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { 0 };
	struct daemon_opts o = { 0 };
	int c;

	policy_config_default(&o.cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		int handled = cli_common_option(c, optarg, &common);

		if (handled < 0)
			return EXIT_ERROR;
		if (handled)
			continue;
		switch (c) {
		case 'h':
			run_usage(stdout);
			return EXIT_CLEAN;
		case OPT_FOREGROUND:
			o.foreground = true;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_LOCK_DIR:
			o.lock_dir = optarg;
			break;
		case OPT_DOCKER_ROOT:
			o.docker_root = optarg;
			break;
		case OPT_BPF_MODE:
			if (tracker_mode_from_string(optarg, &o.bpf_mode) < 0) {
				cli_error("run", "--bpf-mode: unknown mode '%s' (auto, fentry, tp_btf, tracepoint)",
					  optarg);
				return EXIT_ERROR;
			}
			break;
		case OPT_SET:
			if (cli_policy_set("run", &o.cfg, optarg) < 0)
				return EXIT_ERROR;
			break;
		case OPT_BRIDGE: {
			char why[256];

			if (strcmp(optarg, "none") && bridge_endpoint_check(optarg, why, sizeof(why)) < 0) {
				cli_error("run", "--bridge %s", why);
				return EXIT_ERROR;
			}
			o.bridge = optarg;
			break;
		}
		case OPT_CONTROL:
			o.control = optarg;
			break;
		default:
			run_usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		cli_error("run", "unexpected argument '%s'", argv[optind]);
		return EXIT_ERROR;
	}
	if (common.json) {
		cli_error("run", "--json is for reclaim and report; run logs to stderr and the journal");
		return EXIT_ERROR;
	}
	o.root = common.root;
	return daemon_run(&o);
}
