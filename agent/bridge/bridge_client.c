/* SPDX-License-Identifier: MIT */
#include "bridge/bridge_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../windows-bridge/proto.h"
#include "shared/util.h"
#include "runlog/runlog.h"

#define PENDING_MAX 16
/* Output not yet taken by the socket beyond which statuses and events wait
 * in their slots (latest status, event ring) instead. */
#define OUT_SOFT_MAX (64u * 1024)
#define STATUS_MIN_INTERVAL_NS 1000000000ull
#define STATUS_FIGURE_DELTA (1u << 20)

struct line {
	char *p;
	size_t len;
};

struct pending {
	int64_t id;
	bridge_result_fn fn;
	void *userdata;
};

struct bridge_client {
	sd_event *ev;
	const struct dlog *log;
	char endpoint[256];
	char distro[PROTO_DISTRO_MAX + 1];
	char vm_id[65];
	bool leader;
	enum bridge_state state;
	int fd;
	sd_event_source *io, *timer;
	unsigned failures;
	uint64_t reconnects;
	uint64_t since_wall_ns;
	char last_error[160];
	struct proto_reader *rd;
	char *out;
	size_t out_len, out_off;
	struct line status;                     /* latest status not yet sent */
	struct line events[BRIDGE_EVENTS_MAX];  /* ring */
	size_t ev_head, ev_n;
	uint64_t events_dropped, statuses_sent;
	bool force_status;
	uint64_t last_status_ns, last_figure;
	bool hello_ok;          /* the bridge proved the key too */
	bool challenged;        /* our hello answered its challenge */
	char bridge_nonce[PROTO_HEX_LEN(PROTO_NONCE_BYTES) + 1];
	char agent_nonce[PROTO_HEX_LEN(PROTO_NONCE_BYTES) + 1];
	unsigned char key[PROTO_KEY_BYTES];
	int version;
	bool host_known, host_low;
	struct proto_host_memory host;
	struct pending pending[PENDING_MAX];
	int64_t next_id;
};

static const char *const state_names[] = {
	[BRIDGE_OFF] = "off",
	[BRIDGE_WAITING] = "waiting",
	[BRIDGE_CONNECTING] = "connecting",
	[BRIDGE_CONNECTED] = "connected",
};

const char *bridge_state_name(enum bridge_state s)
{
	return (unsigned)s <= BRIDGE_CONNECTED ? state_names[s] : "?";
}

const char *bridge_default_endpoint(const char *explicit_endpoint, bool wsl2)
{
	static char def[32];

	if (explicit_endpoint)
		return strcmp(explicit_endpoint, "none") ? explicit_endpoint : NULL;
	if (!wsl2)
		return NULL;  /* vsock only on WSL 2: CID 2 elsewhere is not ours */
	snprintf(def, sizeof(def), "vsock:2:%d", PROTO_DEFAULT_VSOCK_PORT);
	return def;
}

int bridge_endpoint_check(const char *e, char *why, size_t why_len)
{
	const char *colon;
	unsigned long v;
	char *end;

	if (!strncmp(e, "unix:", 5) && e[5] && strlen(e + 5) < sizeof(((struct sockaddr_un *)0)->sun_path))
		return 0;
	if (!strncmp(e, "tcp:", 4) && (colon = strrchr(e + 4, ':')) && colon > e + 4 &&
	    (v = strtoul(colon + 1, &end, 10)) > 0 && v <= 65535 && !*end)
		return 0;
	if (!strncmp(e, "vsock:", 6) && (v = strtoul(e + 6, &end, 10), *end == ':') &&
	    strtoul(end + 1, &end, 10) > 0 && !*end)
		return 0;
	snprintf(why, why_len, "'%s' is not vsock:CID:PORT, unix:PATH or tcp:HOST:PORT", e);
	return -EINVAL;
}

const char *bridge_key_path(void)
{
	const char *env = getenv("WSLDOCK_BRIDGE_KEY");

	return env && *env ? env : BRIDGE_KEY_PATH;
}

int bridge_key_read(unsigned char key[PROTO_KEY_BYTES], char *why, size_t why_len)
{
	const char *path = bridge_key_path();
	char text[PROTO_HEX_LEN(PROTO_KEY_BYTES) + 3];
	struct stat st;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			snprintf(why, why_len, "not enrolled (%s is missing): run `wsldock-bridge enroll DISTRO` on Windows",
				 path);
		else
			snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return r;
	}
	/* Anyone who can read the key can speak for the distro. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		snprintf(why, why_len, "%s: refusing a key file that is not a regular file of this user with mode 0600",
			 path);
		return -EPERM;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	text[n] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	r = proto_unhex(text, key, PROTO_KEY_BYTES);
	memset(text, 0, sizeof(text));
	if (r < 0)
		snprintf(why, why_len, "%s: not a key (64 hex digits): enrol the distro again", path);
	return r;
}

static int hmac_hex(const unsigned char key[PROTO_KEY_BYTES], bool agent, const char *bridge_nonce,
		    const char *agent_nonce, const char *distro, const char *vm_id,
		    char out[PROTO_HEX_LEN(PROTO_MAC_BYTES) + 1])
{
	unsigned char mac[PROTO_MAC_BYTES];
	unsigned int len = 0;
	char input[256];
	int n = proto_auth_input(agent, bridge_nonce, agent_nonce, distro, vm_id, input, sizeof(input));

	if (n < 0)
		return n;
	if (!HMAC(EVP_sha256(), key, PROTO_KEY_BYTES, (const unsigned char *)input, (size_t)n, mac, &len) ||
	    len != sizeof(mac))
		return -EIO;
	proto_hex(mac, sizeof(mac), out);
	return 0;
}


static void line_free(struct line *l)
{
	free(l->p);
	l->p = NULL;
	l->len = 0;
}

static int encode(json_t *msg, struct line *l)
{
	int r = proto_encode(msg, &l->p, &l->len);

	json_decref(msg);
	return r;
}

static size_t out_pending(const struct bridge_client *c)
{
	return c->out_len - c->out_off;
}

static int out_append(struct bridge_client *c, const char *p, size_t len)
{
	char *grown;

	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	grown = realloc(c->out, c->out_len + len);
	if (!grown)
		return -ENOMEM;
	memcpy(grown + c->out_len, p, len);
	c->out = grown;
	c->out_len += len;
	return 0;
}

static void update_io(struct bridge_client *c)
{
	if (c->io)
		sd_event_source_set_io_events(c->io, EPOLLIN | (out_pending(c) ? EPOLLOUT : 0));
}

/* Moves what waits in the slots into the output, as room allows. */
static void fill(struct bridge_client *c)
{
	/* Nothing goes to a bridge that has not proved the key. */
	if (c->state != BRIDGE_CONNECTED || !c->hello_ok)
		return;
	if (c->status.p && out_pending(c) < OUT_SOFT_MAX && out_append(c, c->status.p, c->status.len) == 0) {
		line_free(&c->status);
		c->statuses_sent++;
	}
	while (c->ev_n && out_pending(c) < OUT_SOFT_MAX) {
		struct line *l = &c->events[c->ev_head];

		if (out_append(c, l->p, l->len) < 0)
			break;
		line_free(l);
		c->ev_head = (c->ev_head + 1) % BRIDGE_EVENTS_MAX;
		c->ev_n--;
	}
}

static void schedule_reconnect(struct bridge_client *c);

/* The connection closed with requests unanswered: the bridge may or may
 * not have applied them, so they are not "refused": fn gets NULL. */
static void fail_pending(struct bridge_client *c)
{
	for (size_t i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &c->pending[i];
		bridge_result_fn fn = p->fn;

		if (!fn)
			continue;
		p->fn = NULL;
		fn(p->userdata, NULL);
	}
}

static void disconnect(struct bridge_client *c, const char *why)
{
	if (c->state == BRIDGE_CONNECTED)
		dlog_event(c->log, "bridge", "state=disconnected endpoint=%s detail=%s", c->endpoint, why);
	else if (strcmp(c->last_error, why))
		dlog_event(c->log, "bridge", "state=waiting endpoint=%s detail=%s (retrying with back-off)",
			   c->endpoint, why);
	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	c->io = sd_event_source_disable_unref(c->io);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->hello_ok = false;
	c->challenged = false;
	memset(c->key, 0, sizeof(c->key));
	c->host_low = false;  /* stale news must not keep reclaiming */
	c->host_known = false;
	fail_pending(c);
	schedule_reconnect(c);
}

static void on_challenge(struct bridge_client *c, json_t *msg);

static void on_message(struct bridge_client *c, const char *line, size_t len)
{
	struct proto_hello h;
	char why[256];
	json_t *msg;
	int t = proto_parse(line, len, &msg, why, sizeof(why));

	if (t < 0) {
		dlog_event(c->log, "bridge", "endpoint=%s detail=bridge sent a malformed message: %s", c->endpoint, why);
		return;
	}
	if (!c->hello_ok && t != PROTO_CHALLENGE && t != PROTO_HELLO && t != PROTO_ERROR) {
		/* Before the bridge proves the key, what it says counts for nothing. */
		json_decref(msg);
		return;
	}
	switch (t) {
	case PROTO_CHALLENGE:
		on_challenge(c, msg);
		json_decref(msg);
		return;
	case PROTO_HELLO: {
		char want[PROTO_HEX_LEN(PROTO_MAC_BYTES) + 1];

		if (proto_hello_get(msg, false, &h, why, sizeof(why)) < 0) {
			dlog_event(c->log, "bridge", "endpoint=%s detail=bad hello: %s", c->endpoint, why);
			break;
		}
		if (!c->challenged || c->hello_ok || !h.proof ||
		    hmac_hex(c->key, false, c->bridge_nonce, c->agent_nonce, c->distro,
			     c->vm_id[0] ? c->vm_id : NULL, want) < 0 ||
		    !proto_equal_ct(want, h.proof, PROTO_HEX_LEN(PROTO_MAC_BYTES))) {
			json_decref(msg);
			disconnect(c, "the bridge did not prove this distro's key (not the enrolling bridge?)");
			return;
		}
		c->hello_ok = true;
		c->version = h.version_max;
		c->failures = 0;
		dlog_event(c->log, "bridge", "state=connected endpoint=%s protocol=%d bridge_version=%s",
			   c->endpoint, c->version, h.agent_version);
		fill(c);
		update_io(c);
		break;
	}
	case PROTO_HOST_MEMORY: {
		struct proto_host_memory m;

		if (proto_host_memory_get(msg, &m, why, sizeof(why)) < 0) {
			dlog_event(c->log, "bridge", "endpoint=%s detail=bad host-memory: %s", c->endpoint, why);
			break;
		}
		if (!c->host_known || m.low != c->host_low)
			dlog_event(c->log, "bridge", "host_low=%d host_available=%llu host_total=%llu",
				   m.low, (unsigned long long)m.available_bytes, (unsigned long long)m.total_bytes);
		c->host = m;
		c->host_low = m.low;
		c->host_known = true;
		break;
	}
	case PROTO_CHANGE_RESULT: {
		json_t *id = json_object_get(msg, "id");

		for (size_t i = 0; i < PENDING_MAX; i++) {
			struct pending *p = &c->pending[i];

			if (p->fn && json_is_integer(id) && json_integer_value(id) == p->id) {
				bridge_result_fn fn = p->fn;

				p->fn = NULL;
				fn(p->userdata, msg);
			}
		}
		break;
	}
	case PROTO_ERROR:
		dlog_event(c->log, "bridge", "endpoint=%s code=%s detail=%s", c->endpoint,
			   json_string_value(json_object_get(msg, "code")) ?: "?",
			   json_string_value(json_object_get(msg, "message")) ?: "");
		if (json_is_string(json_object_get(msg, "code")) &&
		    !strcmp(json_string_value(json_object_get(msg, "code")), PROTO_E_VERSION)) {
			json_decref(msg);
			disconnect(c, "no protocol version in common");
			return;
		}
		if (json_is_string(json_object_get(msg, "code")) &&
		    !strcmp(json_string_value(json_object_get(msg, "code")), PROTO_E_AUTH)) {
			json_decref(msg);
			disconnect(c, "the bridge does not accept this distro's key (enrol it again from Windows)");
			return;
		}
		break;
	default: {
		/* Unknown types are answered, as the protocol asks. */
		json_t *e = proto_error_new(PROTO_E_UNKNOWN_TYPE, "this agent does not take it",
					    json_object_get(msg, "type"));
		struct line l = { 0 };

		if (e && encode(e, &l) == 0) {
			out_append(c, l.p, l.len);
			line_free(&l);
		}
		break;
	}
	}
	json_decref(msg);
}

static void on_line(void *ud, const char *line, size_t len, int err)
{
	struct bridge_client *c = ud;

	if (err)
		dlog_event(c->log, "bridge", "endpoint=%s detail=bridge sent a message over 64 KiB: skipped",
			   c->endpoint);
	else if (c->state == BRIDGE_CONNECTED)
		on_message(c, line, len);
}

/* The bridge spoke first: answer its nonce with ours and a proof of the
 * enrolment key (read now, so a new enrolment needs no restart). */
static void on_challenge(struct bridge_client *c, json_t *msg)
{
	static const char *const caps[] = { "status", "events", "change-requests", "host-pressure", NULL };
	unsigned char nonce[PROTO_NONCE_BYTES];
	char why[256], proof[PROTO_HEX_LEN(PROTO_MAC_BYTES) + 1];
	const char *bridge_nonce;
	struct line l = { 0 };
	json_t *hello;

	if (c->challenged) {
		disconnect(c, "the bridge sent a second challenge");
		return;
	}
	if (proto_challenge_get(msg, &bridge_nonce, why, sizeof(why)) < 0) {
		disconnect(c, why);
		return;
	}
	if (bridge_key_read(c->key, why, sizeof(why)) < 0) {
		disconnect(c, why);
		return;
	}
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
		disconnect(c, "no random bytes from the kernel");
		return;
	}
	snprintf(c->bridge_nonce, sizeof(c->bridge_nonce), "%s", bridge_nonce);
	proto_hex(nonce, sizeof(nonce), c->agent_nonce);
	if (hmac_hex(c->key, true, c->bridge_nonce, c->agent_nonce, c->distro,
		     c->vm_id[0] ? c->vm_id : NULL, proof) < 0) {
		disconnect(c, "cannot compute the hello's proof");
		return;
	}
	hello = proto_hello_new(0, PACKAGE_VERSION, c->distro, c->vm_id[0] ? c->vm_id : NULL,
				c->leader ? "leader" : "follower", caps);
	if (hello) {
		json_object_set_new(hello, "agent_nonce", json_string(c->agent_nonce));
		json_object_set_new(hello, "proof", json_string(proof));
	}
	if (encode(hello, &l) == 0) {
		out_append(c, l.p, l.len);
		line_free(&l);
	}
	c->challenged = true;
	update_io(c);
}

static void connected(struct bridge_client *c)
{
	c->state = BRIDGE_CONNECTED;
	c->since_wall_ns = clock_now_ns(CLOCK_REALTIME);
	c->last_error[0] = '\0';
	memset(c->rd, 0, sizeof(*c->rd));
	/* The bridge opens with a challenge (on_challenge answers it); what
	 * waits is sent once it proves the key. */
	c->force_status = true;
	update_io(c);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct bridge_client *c = ud;
	char buf[16384];

	if (c->state == BRIDGE_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			disconnect(c, strerror(err));
			return 0;
		}
		connected(c);
		return 0;
	}
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (int round = 0; round < 8; round++) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				disconnect(c, n == 0 ? "the bridge closed the connection" : strerror(errno));
				return 0;
			}
			proto_reader_feed(c->rd, buf, (size_t)n, on_line, c);
			if (c->state != BRIDGE_CONNECTED)
				return 0;
		}
	}
	while (out_pending(c)) {
		ssize_t n = send(fd, c->out + c->out_off, out_pending(c), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			disconnect(c, strerror(errno));
			return 0;
		}
		c->out_off += (size_t)n;
		if (!out_pending(c))
			fill(c);
	}
	update_io(c);
	return 0;
}

/* Opens the socket and starts a non-blocking connect. */
static int start_connect(struct bridge_client *c, char *why, size_t why_len)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int fd, family;
	const char *e = c->endpoint;

	memset(&ss, 0, sizeof(ss));
	if (!strncmp(e, "unix:", 5)) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		family = AF_UNIX;
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", e + 5);
		sl = sizeof(*sun);
	} else if (!strncmp(e, "vsock:", 6)) {
		struct sockaddr_vm *svm = (struct sockaddr_vm *)&ss;
		char *end;

		family = AF_VSOCK;
		svm->svm_family = AF_VSOCK;
		svm->svm_cid = (unsigned)strtoul(e + 6, &end, 10);
		svm->svm_port = (unsigned)strtoul(end + 1, NULL, 10);
		sl = sizeof(*svm);
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
		struct addrinfo *res;
		char host[200];
		const char *colon = strrchr(e + 4, ':');
		int r;

		snprintf(host, sizeof(host), "%.*s", (int)(colon - e - 4), e + 4);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		r = getaddrinfo(host, colon + 1, &hints, &res);
		if (r) {
			snprintf(why, why_len, "%s", gai_strerror(r));
			return -EHOSTUNREACH;
		}
		memcpy(&ss, res->ai_addr, res->ai_addrlen);
		sl = res->ai_addrlen;
		family = res->ai_family;
		freeaddrinfo(res);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		int r = -errno;

		snprintf(why, why_len, "%s", strerror(errno));
		close(fd);
		return r;
	}
	c->fd = fd;
	/* Writable once connected (or failed): on_io tells which. */
	if (sd_event_add_io(c->ev, &c->io, fd, EPOLLOUT, on_io, c) < 0) {
		close(fd);
		c->fd = -1;
		snprintf(why, why_len, "cannot watch the socket");
		return -ENOMEM;
	}
	c->state = BRIDGE_CONNECTING;
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	struct bridge_client *c = ud;
	char why[160];

	c->timer = sd_event_source_disable_unref(c->timer);
	c->reconnects++;
	if (start_connect(c, why, sizeof(why)) < 0)
		disconnect(c, why);
	return 0;
}

/* Exponential back-off, 0.5 s doubling to 30 s, with jitter (each wait is
 * 50-100 % of the step) so agents restarted together do not reconnect in
 * lockstep. */
static void schedule_reconnect(struct bridge_client *c)
{
	uint64_t step = BRIDGE_BACKOFF_MIN_MS, ms;

	for (unsigned i = 0; i < c->failures && step < BRIDGE_BACKOFF_MAX_MS; i++)
		step *= 2;
	if (step > BRIDGE_BACKOFF_MAX_MS)
		step = BRIDGE_BACKOFF_MAX_MS;
	ms = step / 2 + (uint64_t)random() % (step / 2 + 1);
	c->failures++;
	c->state = BRIDGE_WAITING;
	c->timer = sd_event_source_disable_unref(c->timer);
	sd_event_add_time_relative(c->ev, &c->timer, CLOCK_MONOTONIC, ms * 1000, 10000, on_timer, c);
}

int bridge_client_new(sd_event *ev, const struct dlog *log, const char *endpoint,
		      const char *distro, const char *vm_id, struct bridge_client **ret)
{
	struct bridge_client *c;
	char why[160];

	if (bridge_endpoint_check(endpoint, why, sizeof(why)) < 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->rd = calloc(1, sizeof(*c->rd));
	if (!c->rd) {
		free(c);
		return -ENOMEM;
	}
	c->ev = sd_event_ref(ev);
	c->log = log;
	c->fd = -1;
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
	snprintf(c->distro, sizeof(c->distro), "%s", proto_distro_name_valid(distro) ? distro : "unknown");
	snprintf(c->vm_id, sizeof(c->vm_id), "%s", vm_id ? vm_id : "");
	srandom((unsigned)(clock_now_ns(CLOCK_MONOTONIC) ^ (uint64_t)getpid()));
	dlog_event(log, "bridge", "endpoint=%s distro=%s detail=connecting", c->endpoint, c->distro);
	if (start_connect(c, why, sizeof(why)) < 0)
		disconnect(c, why);
	*ret = c;
	return 0;
}

void bridge_client_free(struct bridge_client *c)
{
	if (!c)
		return;
	fail_pending(c);
	c->io = sd_event_source_disable_unref(c->io);
	c->timer = sd_event_source_disable_unref(c->timer);
	if (c->fd >= 0)
		close(c->fd);
	line_free(&c->status);
	for (size_t i = 0; i < BRIDGE_EVENTS_MAX; i++)
		line_free(&c->events[i]);
	memset(c->key, 0, sizeof(c->key));
	free(c->out);
	free(c->rd);
	sd_event_unref(c->ev);
	free(c);
}

void bridge_client_set_role(struct bridge_client *c, bool leader)
{
	if (!c || c->leader == leader)
		return;
	c->leader = leader;
	if (leader)
		bridge_client_event(c, json_pack("{s:s, s:s, s:s}", "type", "event", "event", "leader-changed",
						 "leader", c->distro));
}

bool bridge_client_wants_status(const struct bridge_client *c, uint64_t now_ns)
{
	return c && c->state == BRIDGE_CONNECTED &&
	       (c->force_status || now_ns - c->last_status_ns >= STATUS_MIN_INTERVAL_NS);
}

void bridge_client_status(struct bridge_client *c, json_t *report, uint64_t figure, uint64_t now_ns)
{
	uint64_t delta = figure > c->last_figure ? figure - c->last_figure : c->last_figure - figure;
	json_t *msg;
	struct line l = { 0 };

	if (!bridge_client_wants_status(c, now_ns))
		return;
	if (!c->force_status && delta < STATUS_FIGURE_DELTA &&
	    now_ns - c->last_status_ns < BRIDGE_STATUS_REFRESH_NS)
		return;
	msg = json_pack("{s:s, s:O}", "type", "status", "report", report);
	if (!msg || encode(msg, &l) < 0) {
		dlog_event(c->log, "bridge", "detail=the status does not fit in one message: not sent");
		c->last_status_ns = now_ns;
		return;
	}
	line_free(&c->status);  /* only the latest matters */
	c->status = l;
	c->force_status = false;
	c->last_status_ns = now_ns;
	c->last_figure = figure;
	fill(c);
	update_io(c);
}

void bridge_client_event(struct bridge_client *c, json_t *msg)
{
	struct line l = { 0 };

	if (!c || !msg || encode(msg, &l) < 0)
		return;
	if (c->ev_n == BRIDGE_EVENTS_MAX) {
		/* Full: the oldest goes, counted. */
		line_free(&c->events[c->ev_head]);
		c->ev_head = (c->ev_head + 1) % BRIDGE_EVENTS_MAX;
		c->ev_n--;
		c->events_dropped++;
	}
	c->events[(c->ev_head + c->ev_n) % BRIDGE_EVENTS_MAX] = l;
	c->ev_n++;
	fill(c);
	update_io(c);
}

int bridge_client_change(struct bridge_client *c, json_t *msg, bridge_result_fn fn, void *userdata)
{
	struct line l = { 0 };
	struct pending *slot = NULL;

	if (!c || c->state != BRIDGE_CONNECTED || !c->hello_ok)
		return -ENOTCONN;
	for (size_t i = 0; i < PENDING_MAX && !slot; i++)
		if (!c->pending[i].fn)
			slot = &c->pending[i];
	if (!slot)
		return -EBUSY;
	slot->id = ++c->next_id;
	json_object_set_new(msg, "id", json_integer(slot->id));
	if (encode(json_incref(msg), &l) < 0 || out_append(c, l.p, l.len) < 0) {
		line_free(&l);
		return -ENOMEM;
	}
	line_free(&l);
	slot->fn = fn;
	slot->userdata = userdata;
	update_io(c);
	return 0;
}

void bridge_client_forget(struct bridge_client *c, void *userdata)
{
	for (size_t i = 0; c && i < PENDING_MAX; i++)
		if (c->pending[i].userdata == userdata)
			c->pending[i].fn = NULL;
}

bool bridge_client_host_low(const struct bridge_client *c)
{
	return c && c->state == BRIDGE_CONNECTED && c->hello_ok && c->host_known && c->host_low;
}

json_t *bridge_client_state_json(const struct bridge_client *c)
{
	char since[32] = "";
	json_t *host = json_null();

	/* Connected means the hello is done both ways: before that nothing
	 * can be asked of the bridge. */
	enum bridge_state st = c->state == BRIDGE_CONNECTED && !c->hello_ok ? BRIDGE_CONNECTING : c->state;

	if (st == BRIDGE_CONNECTED) {
		time_t t = (time_t)(c->since_wall_ns / 1000000000ull);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (c->host_known)
		host = json_pack("{s:I, s:I, s:b}", "total_bytes", (json_int_t)c->host.total_bytes,
				 "available_bytes", (json_int_t)c->host.available_bytes, "low", c->host.low);
	return json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:I, s:I, s:I, s:I, s:o}",
			 "endpoint", c->endpoint, "state", bridge_state_name(st),
			 "since", since[0] ? since : NULL,
			 "last_error", c->last_error[0] ? c->last_error : NULL,
			 "protocol", c->hello_ok ? c->version : 0,
			 "queued_events", (json_int_t)c->ev_n,
			 "events_dropped", (json_int_t)c->events_dropped,
			 "statuses_sent", (json_int_t)c->statuses_sent,
			 "reconnects", (json_int_t)c->reconnects,
			 "host_memory", host);
}
