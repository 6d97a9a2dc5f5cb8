/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bridge/bridge_client.h"
#include "cli/cli.h"
#include "config/conf.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/docker_watch.h"
#include "daemon/service.h"

enum { OPT_FOREGROUND = OPT_COMMON_LAST, OPT_LOCK_DIR, OPT_CONFIG, OPT_CONTROL_SOCKET, OPT_BRIDGE,
       OPT_DOCKER_SOCKET };

#define SETS_MAX 64

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s run [--foreground] [--dry-run] [--config FILE] [--set KEY=VALUE]...\n"
		"       [--control-socket PATH] [--lock-dir DIR] [--docker-root DIR]\n"
		"       [--docker-socket PATH] [--bpf-mode MODE] [--bridge ENDPOINT] [--root DIR]\n"
		"\n"
		"The reclaim daemon: tracks who fills the page cache (eBPF) and, when a Docker\n"
		"build ends, hands its page cache back with the most targeted lever, then\n"
		"compacts.  One agent per VM leads (reclaims); the others only watch.\n"
		"\n"
		"  --foreground        also write one line per decision and action to stderr\n"
		"  --dry-run           decide and log as it would act; write nothing anywhere\n"
		"  --config FILE       read FILE and FILE.d/*.conf (default\n"
		"                      /etc/wsldock/agent.conf; see wsldock-agent.conf(5))\n"
		"  --set KEY=VALUE     override one policy setting on top of the file (the\n"
		"                      keys: wsldock-agent.conf(5)), e.g. --set quiet_period=5s\n"
		"  --control-socket PATH  the control socket (report, reclaim, integration,\n"
		"                      wslconfig ask there) when systemd does not pass one\n"
		"                      (default " CONTROL_DEFAULT_PATH ", or $WSLDOCK_CONTROL_SOCKET)\n"
		"  --lock-dir DIR      where leader.lock lives (default /mnt/wsl/wsldock on\n"
		"                      WSL 2, else /run/wsldock; or $WSLDOCK_LOCK_DIR)\n"
		"  --docker-root DIR   Docker's data root (default /var/lib/docker)\n"
		"  --docker-socket PATH  Docker Engine's API socket, whose build-finished events\n"
		"                      end an episode before its quiet period (default\n"
		"                      " DOCKER_WATCH_DEFAULT "; none: not asked; never required)\n"
		"  --bpf-mode MODE     auto (default), fentry, tp_btf or tracepoint\n"
		"  --bridge ENDPOINT   report to wsldock-bridge at vsock:CID:PORT, unix:PATH or\n"
		"                      tcp:HOST:PORT (default vsock:2:9478 on WSL 2 only;\n"
		"                      none: no bridge)\n"

		"  --root DIR          read /proc and /sys under DIR\n"
		"  -h, --help          show this help\n"
		"\n"
		"Runs until SIGTERM or SIGINT; SIGHUP reads the configuration again (a bad\n"
		"file keeps the running one).  Exit status: 0 stopped by a signal, 2 usage\n"
		"error, a bad configuration, or the event loop could not start.\n",
		program_name);
}

int cli_bpf_mode(const char *verb, const char *arg, enum tracker_mode *ret)
{
	if (tracker_mode_from_string(arg, ret) < 0) {
		cli_error(verb, "--bpf-mode: unknown mode '%s' (auto, fentry, tp_btf, tracepoint)", arg);
		return -EINVAL;
	}
	return 0;
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

struct run_args {
	struct daemon_opts o;
	const char *sets[SETS_MAX];
};

static int run_option(int c, const char *arg, void *u)
{
	struct run_args *a = u;
	struct daemon_opts *o = &a->o;
	char why[256];

	switch (c) {
	case OPT_FOREGROUND:
		o->foreground = true;
		return 0;
	case OPT_DRY_RUN:
		o->dry_run = true;
		return 0;
	case OPT_LOCK_DIR:
		o->lock_dir = arg;
		return 0;
	case OPT_DOCKER_ROOT:
		o->docker_root = arg;
		return 0;
	case OPT_DOCKER_SOCKET:
		o->docker_socket = arg;
		return 0;
	case OPT_BPF_MODE:
		return cli_bpf_mode("run", arg, &o->bpf_mode);
	case OPT_SET:
		/* Checked now, applied on top of the file (and again on reload). */
		if (cli_policy_set("run", &o->cfg, arg) < 0)
			return -EINVAL;
		if (o->nsets == SETS_MAX) {
			cli_error("run", "--set: at most %d", SETS_MAX);
			return -EINVAL;
		}
		a->sets[o->nsets++] = arg;
		return 0;
	case OPT_CONFIG:
		o->config_path = arg;
		return 0;
	case OPT_CONTROL_SOCKET:
		o->control_path = arg;
		return 0;
	case OPT_BRIDGE:
		if (strcmp(arg, "none") && bridge_endpoint_check(arg, why, sizeof(why)) < 0) {
			cli_error("run", "--bridge %s", why);
			return -EINVAL;
		}
		o->bridge = arg;
		return 0;
	default:
		run_usage(stderr);
		return -EINVAL;
	}
}

int verb_run(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS, CLI_OPT_DRY_RUN, CLI_OPT_DOCKER_ROOT, CLI_OPT_BPF_MODE, CLI_OPT_SET,
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "lock-dir", required_argument, NULL, OPT_LOCK_DIR },
		{ "docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "control-socket", required_argument, NULL, OPT_CONTROL_SOCKET },
		{ "bridge", required_argument, NULL, OPT_BRIDGE },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_verb verb = { "run", options, "h", run_usage, run_option, 0 };
	struct cli_common common = { 0 };
	struct diag_list diags = { 0 };
	/* Both outlive the loop's reloads, which read them again. */
	static struct agent_conf conf;
	static struct run_args a;
	struct daemon_opts *o = &a.o;
	int r;

	policy_config_default(&o->cfg);
	r = cli_parse(&verb, argc, argv, &common, &a);
	if (r <= 0)
		return r < 0 ? EXIT_ERROR : EXIT_CLEAN;
	if (common.json) {
		cli_error("run", "--json is for reclaim and report; run logs to stderr and the journal");
		return EXIT_ERROR;
	}
	o->root = common.root;
	o->sets = a.sets;
	r = service_config_load(o->root, o->config_path, a.sets, o->nsets, &conf, &diags);
	diag_print(&diags, stderr, program_name);
	diag_free(&diags);
	if (r < 0)
		return EXIT_ERROR;  /* the daemon does not start on a bad configuration */
	o->conf = &conf;
	o->cfg = conf.reclaim;
	/* The daemon says what failed in its log; here only the exit status
	 * is decided: 0 after SIGTERM/SIGINT, else it could not start. */
	r = daemon_run(o);
	if (r < 0)
		cli_error("run", "stopped: %s", strerror(-r));
	return r == 0 ? EXIT_CLEAN : EXIT_ERROR;
}
