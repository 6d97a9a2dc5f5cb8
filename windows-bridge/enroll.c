/* SPDX-License-Identifier: MIT */
/* Enrolment keys and hello proofs (wsldock-protocol(7), AUTHENTICATION). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll.h"
#include "log.h"
#include "platform.h"

#ifdef _WIN32
#define SEP "\\"
#else
#define SEP "/"
#endif

int enroll_key_dir(const char *state_dir, char *buf, size_t size, char *why, size_t why_len)
{
	char base[1024];
	int n;

	if (state_dir) {
		snprintf(base, sizeof(base), "%s", state_dir);
	} else if (plat_log_dir(base, sizeof(base)) < 0) {
		snprintf(why, why_len, "no state directory is known here: give --state-dir DIR");
		return -ENOENT;
	}
	n = snprintf(buf, size, "%s" SEP "bridge-keys", base);
	if (n < 0 || (size_t)n >= size) {
		snprintf(why, why_len, "%s: the path is too long", base);
		return -ENAMETOOLONG;
	}
	return plat_private_dir(buf, why, why_len);
}

/* KEY_DIR/NAME.key with NAME in lower case: one key per distro whatever
 * the case a hello uses. */
static int key_path(const char *key_dir, const char *distro, char *buf, size_t size)
{
	char lower[PROTO_DISTRO_MAX + 1];
	size_t i;
	int n;

	if (!proto_distro_name_valid(distro))
		return -EINVAL;
	for (i = 0; distro[i]; i++)
		lower[i] = (char)(distro[i] >= 'A' && distro[i] <= 'Z' ? distro[i] + 32 : distro[i]);
	lower[i] = '\0';
	n = snprintf(buf, size, "%s" SEP "%s.key", key_dir, lower);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int enroll_key_load(const char *key_dir, const char *distro, unsigned char key[PROTO_KEY_BYTES],
		    char name[PROTO_DISTRO_MAX + 1])
{
	char path[1200], *text = NULL, *nl;
	size_t len;
	int r = key_path(key_dir, distro, path, sizeof(path));

	if (r < 0)
		return r;
	r = plat_read_file(path, 256, &text, &len);
	if (r < 0)
		return r;
	/* "<64 hex digits> <name>\n", as enroll_distro writes it. */
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	r = -EINVAL;
	if (len > PROTO_HEX_LEN(PROTO_KEY_BYTES) && text[PROTO_HEX_LEN(PROTO_KEY_BYTES)] == ' ') {
		text[PROTO_HEX_LEN(PROTO_KEY_BYTES)] = '\0';
		const char *n = text + PROTO_HEX_LEN(PROTO_KEY_BYTES) + 1;

		if (proto_unhex(text, key, PROTO_KEY_BYTES) == 0 && proto_distro_name_valid(n)) {
			snprintf(name, PROTO_DISTRO_MAX + 1, "%s", n);
			r = 0;
		}
	}
	if (r < 0)
		bridge_log("%s: not a key file wsldock-bridge wrote; enrol the distro again", path);
	memset(text, 0, len);
	free(text);
	return r;
}

int enroll_proof(const unsigned char key[PROTO_KEY_BYTES], bool agent, const char *bridge_nonce,
		 const char *agent_nonce, const char *distro, const char *vm_id,
		 char out[PROTO_HEX_LEN(PROTO_MAC_BYTES) + 1])
{
	unsigned char mac[PROTO_MAC_BYTES];
	char input[256];
	int n = proto_auth_input(agent, bridge_nonce, agent_nonce, distro, vm_id, input, sizeof(input));

	if (n < 0)
		return n;
	n = plat_hmac_sha256(key, PROTO_KEY_BYTES, input, (size_t)n, mac);
	if (n < 0)
		return n;
	proto_hex(mac, sizeof(mac), out);
	return 0;
}

bool enroll_proof_ok(const unsigned char key[PROTO_KEY_BYTES], bool agent, const char *bridge_nonce,
		     const char *agent_nonce, const char *distro, const char *vm_id,
		     const char *proof_hex)
{
	char want[PROTO_HEX_LEN(PROTO_MAC_BYTES) + 1];

	if (!proof_hex || strlen(proof_hex) != PROTO_HEX_LEN(PROTO_MAC_BYTES) ||
	    enroll_proof(key, agent, bridge_nonce, agent_nonce, distro, vm_id, want) < 0)
		return false;
	return proto_equal_ct(want, proof_hex, PROTO_HEX_LEN(PROTO_MAC_BYTES));
}

int enroll_distro(const char *state_dir, const char *distro, char *why, size_t why_len)
{
	unsigned char key[PROTO_KEY_BYTES];
	char dir[1024], path[1200], hex[PROTO_HEX_LEN(PROTO_KEY_BYTES) + 1];
	char line[PROTO_HEX_LEN(PROTO_KEY_BYTES) + PROTO_DISTRO_MAX + 3];
	int r, n;

	if (!proto_distro_name_valid(distro)) {
		snprintf(why, why_len, "'%s' is not a WSL distro name (letters, digits, '.', '_', '-')", distro);
		return -EINVAL;
	}
	r = enroll_key_dir(state_dir, dir, sizeof(dir), why, why_len);
	if (r < 0)
		return r;
	r = key_path(dir, distro, path, sizeof(path));
	if (r < 0) {
		snprintf(why, why_len, "%s: the path is too long", dir);
		return r;
	}
	r = plat_random(key, sizeof(key));
	if (r < 0) {
		snprintf(why, why_len, "no random bytes from the OS: %s", strerror(-r));
		return r;
	}
	proto_hex(key, sizeof(key), hex);
	/* The distro first: a key the agent lacks would lock it out, a key
	 * only the agent has is replaced by the next enrol. */
	r = plat_enroll_install(distro, hex, why, why_len);
	if (r < 0)
		goto out;
	n = snprintf(line, sizeof(line), "%s %s\n", hex, distro);
	r = plat_replace_file(path, line, (size_t)n);
	if (r < 0)
		snprintf(why, why_len, "%s: cannot store the key (%s); the distro has a key the bridge lacks: "
			 "enrol it again", path, strerror(-r));
	memset(line, 0, sizeof(line));
out:
	memset(key, 0, sizeof(key));
	memset(hex, 0, sizeof(hex));
	return r;
}
