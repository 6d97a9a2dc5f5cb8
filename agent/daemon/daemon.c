/* SPDX-License-Identifier: MIT */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bridge/agent_bridge.h"
#include "daemon/docker_watch.h"
#include "daemon/service.h"
#include "engine/engine.h"
#include "shared/util.h"
#include "model/topology.h"
#include "sources/build_signal.h"
#include "sources/wsl_env.h"

#define SAMPLE_USEC 1000000ull
/* Timer slack: lets the kernel batch our wakeup with others. */
#define SAMPLE_ACCURACY_USEC 50000ull
/* A PSI trigger: 150 ms of "some" memory stall within 1 s wakes us early. */
#define PSI_TRIGGER "some 150000 1000000"

struct daemon {
	struct daemon_opts *o;
	sd_event *ev;
	struct tracker *tracker;
	struct ledger ledger;
	struct resolver *res;
	struct engine eng;
	struct policy_history h;
	struct leader lead;
	struct dlog log;
	struct agent_bridge *bridge;  /* the wsldock-bridge client */
	struct docker_watch *docker;  /* Docker Engine's events, a hint */
	uint64_t build_end_ns;        /* its last build-finished event */
	/* sources/build_signal.h, read while an episode is open: what ran at
	 * the episode's first read (build_episode), so containers running
	 * all along hold nothing. */
	struct build_signal build_at_start;
	uint64_t build_episode;
	bool build_error_logged;
	/* model/topology.h: read at start and when an episode opens. */
	struct topology topo;
	char reach_why[PATH_MAX + 160];
	size_t ledger_cap;            /* the ledger's table room last sample */
	int psi_fd;
	uint64_t last_tick_ns;
	bool tracker_failed_logged, lock_error_logged;
	/* What was logged last, so a held decision is logged once, not every second. */
	const char *logged_reason;
	uint64_t logged_episode;
	enum policy_state logged_state;
	struct service svc;          /* config reload, sd_notify, control socket */
};

static volatile sig_atomic_t stop_signal;

static void on_stop_during_action(int sig)
{
	stop_signal = sig;
}

static const char *role(const struct daemon *d)
{
	return d->o->dry_run ? "dry-run" : d->lead.held ? "leader" : "follower";
}

static void elect(struct daemon *d)
{
	int r;

	if (d->o->dry_run || d->lead.held)
		return;
	r = leader_try(&d->lead);
	if (r == 1) {
		dlog_event(&d->log, "role", "role=leader lock=%s", d->lead.path);
	} else if (r < 0 && !d->lock_error_logged) {
		/* Cannot even open it: stay a follower, say why once. */
		dlog_event(&d->log, "role", "role=follower lock=%s errno=%s detail=cannot use the "
			   "leader lock%s%s", d->lead.path, strerrorname_np(-r) ?: "?",
			   d->lead.why[0] ? ": " : "", d->lead.why);
		d->lock_error_logged = true;
	}
}

/* A lever runs inside the loop; SIGTERM must still end it at once: the
 * signals are let through for the call, so a blocking write to
 * memory.reclaim or force_empty returns EINTR. */
static int run_action(void *u, const struct action_request *q, struct action_result *res)
{
	struct sigaction sa = { .sa_handler = on_stop_during_action }, old_term, old_int;
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	r = action_run(q, res);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	return r;
}

static bool worth_logging(struct daemon *d, const struct policy_decision *dec)
{
	if (dec->verdict == POLICY_ACT)
		return true;
	if (!strcmp(dec->reason, "idle"))
		return false;
	return !d->logged_reason || strcmp(d->logged_reason, dec->reason) ||
	       d->logged_episode != dec->episode || d->logged_state != d->h.state;
}

/* Where this distro sits and whether the engine's files can be opened from
 * here: logged, and handed to the engine so the policy knows before it
 * plans whether per-file eviction can reach anything. */
static void read_topology(struct daemon *d, bool log)
{
	char placement[PATH_MAX + 256], engine[PATH_MAX + 512];
	const char *socket = d->o->root ? "none" : d->o->docker_socket;

	topology_read(d->o->root, socket, TOPOLOGY_ENGINE_TIMEOUT_MS, &d->topo);
	d->eng.files_out_of_reach = topology_files_out_of_reach(&d->topo, d->reach_why,
								 sizeof(d->reach_why));
	d->eng.root_by_id = topology_root_by_id(&d->topo);
	if (!log)
		return;
	topology_placement_line(&d->topo, placement, sizeof(placement));
	topology_engine_line(&d->topo, engine, sizeof(engine));
	dlog_event(&d->log, "topology", "layout=%s fadvise=%s cgroups=%s engine=%s",
		   wsl_cgroup_layout_name(d->topo.placement.layout),
		   d->eng.files_out_of_reach ? "out-of-reach" : "may-reach", placement, engine);
}

static void log_transition(struct daemon *d, enum policy_state before, uint64_t episode_before)
{
	const struct policy_history *h = &d->h;

	if (h->episode != episode_before && h->state == PSTATE_GROWING)
		agent_bridge_episode(d->bridge, true, h->episode);
	if (before == PSTATE_GROWING && h->state != PSTATE_GROWING)
		agent_bridge_episode(d->bridge, false, h->episode);
	if (h->episode != episode_before && h->state == PSTATE_GROWING)
		read_topology(d, false);
	if (h->episode != episode_before && h->state == PSTATE_GROWING)
		dlog_event(&d->log, "episode-start", "episode=%llu growth_rate=%.0f members=%zu",
			   (unsigned long long)h->episode, h->growth_rate, h->nmembers);
	if (before == PSTATE_GROWING && h->state == PSTATE_RECLAIM)
		dlog_event(&d->log, "episode-end", "episode=%llu bytes=%llu members=%zu "
			   "duration_ms=%llu ended_by=%s", (unsigned long long)h->episode,
			   (unsigned long long)h->episode_bytes, h->nmembers,
			   (unsigned long long)((h->last_growth_ns - h->episode_start_ns) / 1000000),
			   h->ended_by_hint ? "docker-event" : "quiet-period");
	if (before == PSTATE_GROWING && h->state == PSTATE_IDLE)
		dlog_event(&d->log, "episode-end", "episode=%llu bytes=%llu detail=below episode_min: "
			   "left alone", (unsigned long long)h->episode,
			   (unsigned long long)h->episode_bytes);
	if (before == PSTATE_RECLAIM && h->state == PSTATE_GROWING)
		dlog_event(&d->log, "episode-resume", "episode=%llu detail=growing again: reclaim waits",
			   (unsigned long long)h->episode);
	if (before != PSTATE_HOST && h->state == PSTATE_HOST)
		dlog_event(&d->log, "host-low", "state=host-low detail=Windows is low on memory");
	if (before == PSTATE_HOST && h->state != PSTATE_HOST)
		dlog_event(&d->log, "host-ok", "state=%s", policy_state_name(h->state));
}

/* The engine's record hooks: the log, the service status, the bridge. */
static void on_decision(void *u, const struct policy_decision *dec, enum policy_state before)
{
	struct daemon *d = u;

	if (!worth_logging(d, dec))
		return;
	dlog_decision(&d->log, dec, before, d->o->dry_run);
	d->logged_reason = dec->reason;
	d->logged_episode = dec->episode;
	d->logged_state = d->h.state;
}

static void on_action(void *u, const struct policy_decision *dec, const struct action_result *res)
{
	struct daemon *d = u;

	dlog_action(&d->log, dec, res);
	service_record(&d->svc, dec, res, false);
	agent_bridge_reclaim(d->bridge, dec, res);
}

static bool stopping(void *u)
{
	return stop_signal != 0;
}

/* What the service side shows (STATUS=, the control socket's status). */
static struct service_state *service_state_of(const struct daemon *d, struct service_state *st)
{
	*st = (struct service_state){
		.role = role(d), .lock = d->o->dry_run ? "-" : d->lead.path,
		.tracker = d->tracker ? tracker_mode_name(tracker_mode(d->tracker)) : "none",
		.state = d->h.state, .episode = d->h.episode, .episode_bytes = d->h.episode_bytes,
		.episode_returned = d->h.returned,
		.episode_start_realtime_ns = d->h.episode_start_realtime_ns,
	};
	return st;
}

/* An episode's observations and decisions (up to 16 k files each) were
 * freed, or the ledger's tables shrank after the tracker forgot a build's
 * files: glibc keeps such freed memory in its heap unless asked to give it
 * back, and the daemon then idles for hours. */
static void give_back(struct daemon *d, enum policy_state before)
{
	size_t cap = 0;

	for (int k = 0; k < _LEDGER_KINDS; k++)
		cap += d->ledger.t[k].cap;
	if ((before != PSTATE_IDLE && d->h.state == PSTATE_IDLE) || cap < d->ledger_cap)
		malloc_trim(0);
	d->ledger_cap = cap;
}

/* Whether a build still runs (the docker CLI's build in this distro,
 * populated build-step cgroups): the policy then holds the episode open.
 * Read only while an episode is open or being reclaimed, so the idle
 * daemon walks neither /proc nor the cgroups. */
static bool build_running(struct daemon *d)
{
	struct build_signal s;
	int r;

	if (d->h.state != PSTATE_GROWING && d->h.state != PSTATE_RECLAIM)
		return false;
	r = build_signal_read(d->o->root, &s);
	if (r < 0) {
		if (!d->build_error_logged)
			dlog_event(&d->log, "error", "errno=%s detail=%s",
				   strerrorname_np(-r) ?: "?",
				   "cannot read /proc nor the cgroups for a running build; episodes end "
				   "by growth and the engine's events alone");
		d->build_error_logged = true;
		return false;
	}
	if (d->build_episode != d->h.episode) {
		d->build_at_start = s;
		d->build_episode = d->h.episode;
	}
	return build_signal_running(&s, &d->build_at_start);
}

static void tick(struct daemon *d)
{
	uint64_t now = clock_now_ns(CLOCK_MONOTONIC);
	struct policy_obs obs = { .now_ns = now, .realtime_ns = clock_now_ns(CLOCK_REALTIME) };
	enum policy_state before = d->h.state;
	uint64_t episode_before = d->h.episode;
	bool tracking = d->tracker != NULL;
	const struct ledger *l;

	d->last_tick_ns = now;
	elect(d);
	obs.leader = d->o->dry_run || d->lead.held;
	obs.host_low = agent_bridge_host_low(d->bridge);
	obs.build_end_ns = d->build_end_ns;
	obs.build_running = build_running(d);
	if (tracking && tracker_sample(d->tracker, &d->ledger, now) < 0) {
		if (!d->tracker_failed_logged)
			dlog_event(&d->log, "error", "errno=%s detail=cannot read the BPF maps",
				   strerrorname_np(errno) ?: "?");
		d->tracker_failed_logged = true;
		tracking = false;
	}
	if (tracking)
		resolver_tick(d->res);
	l = tracking ? &d->ledger : NULL;
	if (engine_observe(&d->eng, &d->o->cfg, &d->h, l, &obs) < 0 ||
	    policy_observe(&d->o->cfg, &d->h, &obs) < 0)
		goto oom;
	log_transition(d, before, episode_before);
	if (engine_run(&d->eng, &d->o->cfg, &d->h, l, &obs) < 0)
		dlog_event(&d->log, "error", "detail=out of memory deciding");
	observe_reset(&d->eng.ob);
	give_back(d, before);
	service_update(&d->svc, service_state_of(d, &(struct service_state){ 0 }));
	agent_bridge_tick(d->bridge, &d->h, d->lead.held, now);
	docker_watch_tick(d->docker, now);
	if (stop_signal)
		sd_event_exit(d->ev, 0);
	return;
oom:
	observe_reset(&d->eng.ob);
	dlog_event(&d->log, "error", "detail=out of memory observing");
}

static int on_timer(sd_event_source *s, uint64_t usec, void *u)
{
	struct daemon *d = u;

	tick(d);
	sd_event_source_set_time(s, usec + SAMPLE_USEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *u)
{
	struct daemon *d = u;

	stop_signal = (int)si->ssi_signo;
	return sd_event_exit(d->ev, 0);
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *u)
{
	struct daemon *d = u;

	resolver_process_events(d->res);
	return 0;
}

/* Memory stalls rose: sample now rather than at the next second (the
 * policy holds reclaim while PSI full is high). */
static int on_psi(sd_event_source *s, int fd, uint32_t revents, void *u)
{
	struct daemon *d = u;

	if (revents & EPOLLERR) {
		dlog_event(&d->log, "psi", "detail=the PSI trigger went away: polling only");
		return sd_event_source_set_enabled(s, SD_EVENT_OFF);
	}
	if (clock_now_ns(CLOCK_MONOTONIC) - d->last_tick_ns > 200000000ull)
		tick(d);
	return 0;
}

static void psi_trigger(struct daemon *d)
{
	d->psi_fd = -1;
	if (d->o->root)
		return;  /* a captured tree has no live pressure file */
	if (d->o->dry_run) {
		/* A trigger is registered by writing the pressure file: a dry run
		 * writes nothing anywhere, so it polls. */
		dlog_event(&d->log, "psi", "trigger=none detail=dry run: polling every second");
		return;
	}
	d->psi_fd = open("/proc/pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d->psi_fd >= 0 && write(d->psi_fd, PSI_TRIGGER, strlen(PSI_TRIGGER) + 1) > 0 &&
	    sd_event_add_io(d->ev, NULL, d->psi_fd, EPOLLPRI, on_psi, d) >= 0) {
		dlog_event(&d->log, "psi", "trigger=%s", "some:150ms/1s");
		return;
	}
	dlog_event(&d->log, "psi", "trigger=none detail=/proc/pressure/memory %s: polling every second",
		   d->psi_fd < 0 ? "absent" : "refuses triggers");
	if (d->psi_fd >= 0)
		close(d->psi_fd);
	d->psi_fd = -1;
}

static void on_build_end(void *u)
{
	struct daemon *d = u;

	d->build_end_ns = clock_now_ns(CLOCK_MONOTONIC);
}

static void log_config(struct daemon *d)
{

	char line[2048], v[64];
	size_t w = 0;

	for (size_t i = 0; i < policy_keys_n && w < sizeof(line); i++) {
		policy_config_format(&d->o->cfg, &policy_keys[i], v, sizeof(v));
		w += (size_t)snprintf(line + w, sizeof(line) - w, "%s%s=%s", i ? " " : "",
				      policy_keys[i].name, v);
	}
	dlog_event(&d->log, "config", "%s", line);
}

static void on_reloaded(void *u)
{
	log_config(u);
}

static int setup(struct daemon *d)
{
	struct tracker_opts to = { .root = d->o->root, .mode = d->o->bpf_mode };
	struct wsl_env env;
	struct source_status st = { 0 };
	struct diag_list dg = { 0 };
	sigset_t mask;
	char why[640];
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r = sd_event_new(&d->ev);
	if (r < 0)
		return r;
	if ((r = sd_event_add_signal(d->ev, NULL, SIGTERM, on_signal, d)) < 0 ||
	    (r = sd_event_add_signal(d->ev, NULL, SIGINT, on_signal, d)) < 0 ||
	    (r = service_setup(&d->svc, d->ev, d->o, &d->log, on_reloaded, d)) < 0)
		return r;
	d->eng.dry_run = d->o->dry_run;
	d->eng.hooks = (struct engine_hooks){ .on_decision = on_decision, .on_action = on_action,
					      .act = run_action, .stop = stopping, .ud = d };
	r = engine_init(&d->eng, d->o->root, d->o->docker_root, NULL);
	if (r < 0)
		dlog_event(&d->log, "warning", "detail=cannot read the cgroup layout: cgroup levers off");
	wsl_env_read(d->o->root, &env, &st, &dg);
	diag_free(&dg);
	leader_init(&d->lead, d->o->lock_dir ? d->o->lock_dir
					      : leader_default_dir(env.kind == WSL_2 && env.mnt_wsl));
	policy_init(&d->h);
	log_config(d);
	if (tracker_open(&to, &d->tracker, why, sizeof(why)) < 0) {
		d->tracker = NULL;
		dlog_event(&d->log, "tracker", "bpf=none detail=%s: no build episodes without it", why);
	} else {
		dlog_event(&d->log, "tracker", "bpf=%s detail=%s", tracker_mode_name(tracker_mode(d->tracker)),
			   tracker_probe_log(d->tracker));
		ledger_init(&d->ledger, d->eng.ob.page_size, clock_now_ns(CLOCK_MONOTONIC));
		r = resolver_new(&(struct resolver_opts){ .root = d->o->root,
							  .cgroup2_mount = d->eng.ob.cg.unified_path,
							  .docker_root = d->o->docker_root },
				 &d->res);
		if (r < 0)
			return r;
		d->eng.ob.res = d->res;
		if (resolver_watch_fd(d->res) >= 0 &&
		    (r = sd_event_add_io(d->ev, NULL, resolver_watch_fd(d->res), EPOLLIN, on_inotify,
					 d)) < 0)
			return r;
	}
	psi_trigger(d);
	/* A captured tree has no live engine to ask. */
	r = docker_watch_start(d->ev, &d->log, d->o->root ? NULL : d->o->docker_socket
				       ?: DOCKER_WATCH_DEFAULT, on_build_end, d, &d->docker);
	if (r < 0)
		return r;
	read_topology(d, true);
	elect(d);
	d->bridge = agent_bridge_start(d->ev, &d->log, &(struct agent_bridge_opts){
		.endpoint = d->o->bridge, .root = d->o->root,
		.wsl2 = env.kind == WSL_2, .distro = env.distro_name });
	d->svc.bridge = d->bridge;
	dlog_event(&d->log, "start", "role=%s lock=%s mode=%s memcg=%s dry_run=%s",
		   role(d), d->o->dry_run ? "-" : d->lead.path, policy_mode_name(d->o->cfg.mode),
		   memcg_mode_name(d->eng.ob.cg.memcg), d->o->dry_run ? "true" : "false");
	return sd_event_add_time_relative(d->ev, NULL, CLOCK_MONOTONIC, SAMPLE_USEC,
					  SAMPLE_ACCURACY_USEC, on_timer, d);
}

static void teardown(struct daemon *d)
{
	control_close(&d->svc.ctl);
	agent_bridge_free(d->bridge);
	docker_watch_free(d->docker);
	policy_history_free(&d->h);
	engine_free(&d->eng);
	resolver_free(d->res);
	if (d->tracker) {
		tracker_close(d->tracker);
		ledger_free(&d->ledger);
	}
	if (d->psi_fd >= 0)
		close(d->psi_fd);
	leader_release(&d->lead);
	sd_event_unref(d->ev);
}

int daemon_run(struct daemon_opts *o)
{
	struct daemon d = {
		.o = o, .psi_fd = -1, .svc.ctl.fd = -1,
		.log = { .foreground = o->foreground, .journal = true, .err = stderr, .verb = "run" },
	};
	int r;

	stop_signal = 0;
	r = setup(&d);
	if (r < 0) {
		dlog_event(&d.log, "error", "errno=%s detail=cannot start the event loop",
			   strerrorname_np(-r) ?: "?");
		teardown(&d);
		return r;
	}
	/* Loading the BPF objects parsed the kernel's BTF: give that memory
	 * back before idling for hours. */
	malloc_trim(0);
	service_ready(&d.svc, service_state_of(&d, &(struct service_state){ 0 }));
	r = sd_event_loop(d.ev);
	service_stop(&d.svc);
	dlog_event(&d.log, "stop", "signal=%s", stop_signal ? sigabbrev_np(stop_signal) : "none");
	teardown(&d);
	return r < 0 ? r : 0;
}
