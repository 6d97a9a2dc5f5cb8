/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "proto.h"

/* Enrolment: which agent may speak for which distro (wsldock-protocol(7),
 * AUTHENTICATION).  `wsldock-bridge enroll DISTRO` makes a random key,
 * installs it in the distro (`wsl.exe -d DISTRO -u root wsldock-agent
 * enroll`, the key on standard input) and keeps it in the bridge's key
 * directory; a hello proves the key with an HMAC over both sides' nonces.
 * The portable part (key files, proofs) is enroll.c; what needs the OS is
 * below, in platform_linux.c and win/enroll_windows.c. */

/* Random bytes from the OS (getrandom, BCryptGenRandom). */
int plat_random(void *buf, size_t len);
/* HMAC-SHA256 (OpenSSL libcrypto, BCrypt). */
int plat_hmac_sha256(const unsigned char *key, size_t key_len, const void *msg, size_t len,
		     unsigned char out[PROTO_MAC_BYTES]);
/* Creates dir (and its parents) for the current user only; refuses one
 * that another user owns or others may write or read (Linux: mode 0700,
 * owner checked; Windows: a protected DACL for the user and SYSTEM, an
 * existing one's owner and DACL checked). */
int plat_private_dir(const char *dir, char *why, size_t why_len);
/* Runs `wsl.exe -d DISTRO -u root wsldock-agent enroll` with key_hex and a
 * newline on its standard input; 0 when it exits 0.  WSLDOCK_WSL_EXE names
 * another program (the tests' fake wsl.exe). */
int plat_enroll_install(const char *distro, const char *key_hex, char *why, size_t why_len);

/* The key directory: STATE_DIR/bridge-keys, STATE_DIR the --state-dir
 * given or the platform's log directory. */
int enroll_key_dir(const char *state_dir, char *buf, size_t size, char *why, size_t why_len);

/* Looks the distro's key up without regard to case (WSL's rule for names);
 * name receives the name as enrolled.  -ENOENT when not enrolled. */
int enroll_key_load(const char *key_dir, const char *distro, unsigned char key[PROTO_KEY_BYTES],
		    char name[PROTO_DISTRO_MAX + 1]);

/* The proof one side sends: lowercase hex of the HMAC of proto_auth_input. */
int enroll_proof(const unsigned char key[PROTO_KEY_BYTES], bool agent, const char *bridge_nonce,
		 const char *agent_nonce, const char *distro, const char *vm_id,
		 char out[PROTO_HEX_LEN(PROTO_MAC_BYTES) + 1]);
/* Whether proof_hex is the right proof, compared in constant time. */
bool enroll_proof_ok(const unsigned char key[PROTO_KEY_BYTES], bool agent, const char *bridge_nonce,
		     const char *agent_nonce, const char *distro, const char *vm_id,
		     const char *proof_hex);

/* `wsldock-bridge enroll DISTRO`: a new key, installed in the distro, then
 * stored (replacing an older one).  Prints what it did; returns 0 or
 * negative errno with why. */
int enroll_distro(const char *state_dir, const char *distro, char *why, size_t why_len);
