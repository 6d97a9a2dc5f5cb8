/* SPDX-License-Identifier: MIT */
/* A stand-in for wsl.exe, which cannot exist under wine: what the bridge
 * asks it, answered the way WSL does.  `-l -v` in UTF-16LE without a BOM
 * and with \r\r\n line ends (UTF-8 when WSL_UTF8=1), `-e wslinfo --vm-id`
 * with the id in FAKE_WSL_VM_ID as the Linux side prints it (UTF-8).
 * Every call is appended to the file FAKE_WSL_LOG names, if set: the
 * serving bridge must never run wsl.exe (it would boot the VM). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <fcntl.h>
#include <io.h>

static const char table[] =
	"  NAME            STATE           VERSION\r\r\n"
	"* Ubuntu          Running         2\r\r\n"
	"  Debian          Stopped         1\r\r\n";

int main(int argc, char **argv)
{
	const char *log = getenv("FAKE_WSL_LOG");
	FILE *f = log ? fopen(log, "a") : NULL;
	if (f) {
		for (int i = 1; i < argc; i++)
			fprintf(f, "%s%s", argv[i], i + 1 < argc ? " " : "\n");
		fclose(f);
	}
	_setmode(_fileno(stdout), _O_BINARY);
	if (argc == 3 && !strcmp(argv[1], "-l") && !strcmp(argv[2], "-v")) {
		const char *u8 = getenv("WSL_UTF8");
		if (u8 && !strcmp(u8, "1")) {
			fputs(table, stdout);
			return 0;
		}
		for (const char *p = table; *p; p++) {
			putchar(*p);
			putchar(0);
		}
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "-e") && !strcmp(argv[2], "wslinfo") &&
	    !strcmp(argv[3], "--vm-id")) {
		const char *id = getenv("FAKE_WSL_VM_ID");
		if (!id)
			return 1;
		printf("{%s}\n", id);
		return 0;
	}
	fprintf(stderr, "fake wsl.exe: not a question the bridge asks\n");
	return 1;
}
