/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The agent <-> bridge protocol (wsldock-protocol(7)): newline-delimited
 * JSON objects over a stream socket.  Portable C11 + jansson: the agent
 * links this file too, so both ends frame and validate messages with the
 * same code. */

#define PROTO_VERSION_MIN 2
#define PROTO_VERSION_MAX 2
/* Every message, its newline included, is at most this long. */
#define PROTO_MAX_MESSAGE 65536
/* The vsock port agents connect to (CID 2, the host); on Windows the
 * Hyper-V service id {00002506-facb-11e6-bd58-64006a7986d3}. */
#define PROTO_DEFAULT_VSOCK_PORT 9478
/* Distro names are WSL's: letters, digits, '.', '_' and '-'. */
#define PROTO_DISTRO_MAX 64

/* Splits a byte stream into lines of at most PROTO_MAX_MESSAGE bytes.  A
 * longer line is reported once (line NULL, err -EMSGSIZE) and skipped up to
 * its newline, so one oversized message never ends the connection. */
struct proto_reader {
	size_t len;
	bool skipping;
	char buf[PROTO_MAX_MESSAGE];
};
typedef void (*proto_line_fn)(void *userdata, const char *line, size_t len, int err);
void proto_reader_feed(struct proto_reader *r, const char *data, size_t len,
		       proto_line_fn fn, void *userdata);

enum proto_type {
	PROTO_HELLO,
	PROTO_STATUS,
	PROTO_EVENT,
	PROTO_CHANGE,
	PROTO_CHANGE_RESULT,
	PROTO_HOST_MEMORY,
	PROTO_ERROR,
	PROTO_CHALLENGE,
	PROTO_UNKNOWN,  /* a "type" this version does not know */
};
const char *proto_type_name(enum proto_type t);

/* Error codes a peer answers with (the "code" of an error message). */
#define PROTO_E_MALFORMED "malformed"          /* not a JSON object / bad field */
#define PROTO_E_TOO_LONG "too-long"            /* over PROTO_MAX_MESSAGE */
#define PROTO_E_UNKNOWN_TYPE "unknown-type"
#define PROTO_E_HELLO_FIRST "hello-first"      /* a message before the hello */
#define PROTO_E_VERSION "unsupported-version"  /* no common version: closes */
#define PROTO_E_AUTH "not-authenticated"       /* no or a wrong proof: closes */

/* Parses one line into a JSON object with a string "type".  Returns the
 * type (PROTO_UNKNOWN for a type not known here) with *ret set (the caller
 * owns it), or -EINVAL with a one-line reason in why. */
int proto_parse(const char *line, size_t len, json_t **ret, char *why, size_t why_len);

struct proto_hello {
	int version_min, version_max;
	const char *agent_version;   /* or bridge_version in the bridge's hello */
	const char *distro;          /* NULL in the bridge's hello */
	const char *vm_id;           /* NULL when unknown */
	const char *role;            /* "leader" or "follower"; NULL for the bridge */
	json_t *capabilities;        /* array of strings, borrowed */
	const char *agent_nonce;     /* the agent's nonce (hex), NULL when absent */
	const char *proof;           /* the sender's proof (hex), NULL when absent */
};
/* Validates an agent's (agent true) or the bridge's hello.  Strings are
 * borrowed from msg. */
int proto_hello_get(json_t *msg, bool agent, struct proto_hello *h, char *why, size_t why_len);
/* Authentication (protocol 2; wsldock-protocol(7), AUTHENTICATION): the
 * bridge opens with a challenge carrying its nonce; the agent's hello adds
 * its own nonce and a proof, HMAC-SHA256 under the distro's enrolment key
 * of proto_auth_input(agent = true, ...); the bridge's hello answers with
 * its proof over proto_auth_input(agent = false, ...).  Each side computes
 * the HMAC with its platform's library; this file only says which bytes. */
#define PROTO_KEY_BYTES 32
#define PROTO_NONCE_BYTES 32
#define PROTO_MAC_BYTES 32
#define PROTO_HEX_LEN(n) (2 * (n))   /* lowercase hex, without the NUL */
#define PROTO_VM_ID_MAX 64

json_t *proto_challenge_new(const char *nonce_hex);
/* The challenge's nonce (64 hex digits, borrowed from msg). */
int proto_challenge_get(json_t *msg, const char **nonce_hex, char *why, size_t why_len);
/* "wsldock-protocol-2 agent\n" (or " bridge\n"), then the bridge's nonce,
 * the agent's nonce, the distro and the VM id ("" when unknown), each
 * followed by a newline (none of them can hold one).  Returns the length
 * written to buf, or -EINVAL for a field that is not what the protocol
 * allows, -ENOBUFS when buf is too small (256 bytes always suffice). */
int proto_auth_input(bool agent, const char *bridge_nonce, const char *agent_nonce,
		     const char *distro, const char *vm_id, char *buf, size_t size);
/* Lowercase hex of n bytes into out (2n + 1 bytes with the NUL). */
void proto_hex(const unsigned char *in, size_t n, char *out);
/* Exactly 2n hex digits into n bytes; -EINVAL otherwise. */
int proto_unhex(const char *in, unsigned char *out, size_t n);
/* Compares n bytes in time independent of where they differ. */
bool proto_equal_ct(const void *a, const void *b, size_t n);
/* A VM id as WSL prints it: hex digits, '-', '{' and '}', at most 64. */
bool proto_vm_id_valid(const char *s);

/* The bridge's one case-insensitive compare (distro names, settings keys):
 * ASCII only, so no locale changes which names are the same. */
int proto_ascii_casecmp(const char *a, const char *b);

/* The highest version both sides speak, or -1. */
int proto_negotiate(int peer_min, int peer_max);

enum proto_event_kind {
	PROTO_EV_RECLAIM,
	PROTO_EV_EPISODE_STARTED,
	PROTO_EV_EPISODE_ENDED,
	PROTO_EV_CONFLICTS_CHANGED,
	PROTO_EV_LEADER_CHANGED,
};
struct proto_event {
	enum proto_event_kind kind;
	uint64_t time_ms;            /* reclaim: Unix time in ms, 0 = not given */
	const char *lever;           /* reclaim */
	uint64_t returned_bytes;     /* reclaim */
	const char *reason;          /* reclaim: the policy's reason (episode-end, host-low, ...) */
	uint64_t episode;            /* reclaim, episode-*: the episode id, 0 = none */
	uint64_t conflicts;          /* conflicts-changed: how many now */
	const char *leader;          /* leader-changed: the leader's distro */
};
int proto_event_get(json_t *msg, struct proto_event *e, char *why, size_t why_len);
const char *proto_event_name(enum proto_event_kind k);

enum proto_change_kind { PROTO_CHANGE_INTEGRATION, PROTO_CHANGE_WSLCONFIG };
struct proto_change {
	int64_t id;
	enum proto_change_kind kind;
	bool enable;                 /* integration */
	const char *key, *value;     /* wslconfig: "section.key", value */
};
int proto_change_get(json_t *msg, struct proto_change *c, char *why, size_t why_len);

/* Results of a change request (the "result" of a change-result). */
#define PROTO_APPLIED "applied"
#define PROTO_REFUSED "refused"
#define PROTO_NEEDS_RESTART "needs-restart"

struct proto_host_memory {
	uint64_t total_bytes, available_bytes, commit_bytes, commit_limit_bytes;
	bool low;
};
int proto_host_memory_get(json_t *msg, struct proto_host_memory *m, char *why, size_t why_len);

/* Builders: new references, NULL when out of memory. */
json_t *proto_hello_new(int version, const char *software_version, const char *distro,
			const char *vm_id, const char *role, const char *const *caps);
json_t *proto_error_new(const char *code, const char *message, json_t *ref);
json_t *proto_change_result_new(int64_t id, const char *result, bool changed,
				const char *message, const char *restart);
json_t *proto_host_memory_new(const struct proto_host_memory *m);

/* Serialises msg as one line, newline included, into a heap buffer.
 * -EMSGSIZE when it would exceed PROTO_MAX_MESSAGE. */
int proto_encode(const json_t *msg, char **ret, size_t *ret_len);

/* WSL's distro-name rule; also what keeps names safe as file content and
 * metric labels. */
bool proto_distro_name_valid(const char *s);

/* A status message, read without building a JSON tree: at 64 agents a
 * second, jansson's tree for a 6 KiB report was most of the bridge's CPU.
 * proto_scan_status validates the whole line as JSON (RFC 8259: UTF-8,
 * escapes, numbers, nesting at most 64 deep; \u0000 refused as jansson
 * does) and, when it is an object whose "type" is "status", returns the
 * report's span and the figures the bridge's metrics need.  Returns 1 for
 * a status, 0 for valid JSON of another type (parse it with proto_parse),
 * -EINVAL with why for text that is not valid JSON or a status without an
 * object "report". */
struct proto_status {
	const char *report;      /* the report object's text, within the line */
	size_t report_len;
	bool page_cache_known;
	uint64_t page_cache_bytes;         /* report.memory.page_cache_bytes */
	bool episode_attributed_known;
	uint64_t episode_attributed_bytes; /* report.daemon.episode_attributed_bytes */
	bool episode_active;               /* report.daemon.episode_active */
	uint64_t conflicts;                /* report.conflicts.findings of severity
					      conflict or warning */
	unsigned depth;                    /* the line's deepest nesting (1: the message) */
};
int proto_scan_status(const char *line, size_t len, struct proto_status *st, char *why, size_t why_len);
