/* SPDX-License-Identifier: MIT */
/* A stand-in for wsl.exe (which cannot exist under wine) as
 * `wsldock-bridge enroll DISTRO` runs it: checks the command line is
 * `-d DISTRO -u root wsldock-agent enroll`, copies standard input (the key)
 * to %FAKE_WSL_OUT%, and exits %FAKE_WSL_RC% (default 0), as the real
 * `wsldock-agent enroll` inside the distro would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <io.h>

int main(int argc, char **argv)
{
	const char *out = getenv("FAKE_WSL_OUT"), *rc = getenv("FAKE_WSL_RC");
	char buf[256];
	size_t n;
	FILE *f;

	if (argc != 7 || strcmp(argv[1], "-d") || strcmp(argv[3], "-u") || strcmp(argv[4], "root") ||
	    strcmp(argv[5], "wsldock-agent") || strcmp(argv[6], "enroll")) {
		fprintf(stderr, "fake wsl.exe: not the enroll command line\n");
		return 90;
	}
	_setmode(_fileno(stdin), _O_BINARY);
	n = fread(buf, 1, sizeof(buf), stdin);
	if (!out || !(f = fopen(out, "wb")))
		return 91;
	fprintf(f, "%s ", argv[2]);
	fwrite(buf, 1, n, f);
	fclose(f);
	return rc ? atoi(rc) : 0;
}
