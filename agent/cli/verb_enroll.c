/* SPDX-License-Identifier: MIT */
/* `enroll`: the distro's side of `wsldock-bridge enroll DISTRO`, which runs
 * it as `wsl.exe -d DISTRO -u root wsldock-agent enroll` with the new key on
 * standard input.  The key goes to a root-only 0600 file (temp, fsync,
 * rename): whoever reads it can speak for this distro to the bridge. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge/bridge_client.h"
#include "cli/cli.h"
#include "../windows-bridge/proto.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s enroll\n"
		"\n"
		"Reads the key wsldock-bridge made for this distro (64 hex digits and a\n"
		"newline) from standard input and keeps it in %s (root only,\n"
		"mode 0600; $WSLDOCK_BRIDGE_KEY names another file).  The running daemon\n"
		"proves it from its next connection to the bridge.  Windows runs this:\n"
		"`wsldock-bridge enroll DISTRO`.\n"
		"\n"
		"  -h, --help  show this help\n"
		"\n"
		"Exit status: 0 stored, 2 error (not root, no key on standard input, the\n"
		"directory is not root's).\n",
		program_name, BRIDGE_KEY_PATH);
}

/* The key's directory must be the caller's and not writable by others, or
 * whoever can write there could swap the file. */
static int check_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		cli_error("enroll", "%s: cannot create it: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) < 0) {
		cli_error("enroll", "%s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		cli_error("enroll", "%s: refusing to keep the key there: it must be a directory of this user "
			  "that nobody else may write", dir);
		return -EPERM;
	}
	return 0;
}

static int write_key(const char *path, const char *hex)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32], line[PROTO_HEX_LEN(PROTO_KEY_BYTES) + 2];
	const char *slash = strrchr(path, '/');
	int fd, r = 0, n;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	r = check_dir(dir);
	if (r < 0)
		return r;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		cli_error("enroll", "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	n = snprintf(line, sizeof(line), "%s\n", hex);
	if (write(fd, line, (size_t)n) != n || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	memset(line, 0, sizeof(line));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		cli_error("enroll", "%s: cannot store the key: %s", path, strerror(-r));
		unlink(tmp);
		return r;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0)
			cli_error("enroll", "%s: fsync: %s (the key is stored)", dir, strerror(errno));
		close(fd);
	}
	return 0;
}

int verb_enroll(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_verb verb = { "enroll", options, "h", usage, NULL, 0 };
	unsigned char key[PROTO_KEY_BYTES];
	char buf[256];
	size_t len = 0;
	int c;

	c = cli_parse(&verb, argc, argv, NULL, NULL);
	if (c <= 0)
		return c < 0 ? EXIT_ERROR : EXIT_CLEAN;
	if (geteuid() != 0 && !getenv("WSLDOCK_BRIDGE_KEY")) {
		cli_error("enroll", "only root may enrol the distro (Windows runs `wsl.exe -u root`)");
		return EXIT_ERROR;
	}
	while (len < sizeof(buf) - 1) {
		ssize_t n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (proto_unhex(buf, key, sizeof(key)) < 0) {
		memset(buf, 0, sizeof(buf));
		cli_error("enroll", "standard input holds no key (64 lowercase hex digits and a newline)");
		return EXIT_ERROR;
	}
	memset(key, 0, sizeof(key));
	c = write_key(bridge_key_path(), buf);
	memset(buf, 0, sizeof(buf));
	if (c < 0)
		return EXIT_ERROR;
	printf("enrolled: the key is in %s\n", bridge_key_path());
	return EXIT_CLEAN;
}
