/* SPDX-License-Identifier: MIT */
/* Enrolment on Windows (enroll.h): random bytes and HMAC-SHA256 from
 * BCrypt (bcrypt.dll, no library to ship), the key directory, and
 * `wsl.exe -d DISTRO -u root wsldock-agent enroll` with the key on its
 * standard input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <windows.h>
#include <bcrypt.h>

#include "../enroll.h"
#include "winplat.h"

#ifndef NT_SUCCESS
#define NT_SUCCESS(s) ((NTSTATUS)(s) >= 0)
#endif

int plat_random(void *buf, size_t len)
{
	if (len > ULONG_MAX)
		return -EINVAL;
	return NT_SUCCESS(BCryptGenRandom(NULL, buf, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG)) ? 0 : -EIO;
}

int plat_hmac_sha256(const unsigned char *key, size_t key_len, const void *msg, size_t len,
		     unsigned char out[PROTO_MAC_BYTES])
{
	BCRYPT_ALG_HANDLE alg = NULL;
	BCRYPT_HASH_HANDLE h = NULL;
	int r = -EIO;

	if (!NT_SUCCESS(BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, NULL,
						    BCRYPT_ALG_HANDLE_HMAC_FLAG)))
		return -EIO;
	/* With no object buffer BCrypt allocates the hash object itself. */
	if (NT_SUCCESS(BCryptCreateHash(alg, &h, NULL, 0, (PUCHAR)key, (ULONG)key_len, 0)) &&
	    NT_SUCCESS(BCryptHashData(h, (PUCHAR)msg, (ULONG)len, 0)) &&
	    NT_SUCCESS(BCryptFinishHash(h, out, PROTO_MAC_BYTES, 0)))
		r = 0;
	if (h)
		BCryptDestroyHash(h);
	BCryptCloseAlgorithmProvider(alg, 0);
	return r;
}

/* Creates dir and its parents.  It lives under %LOCALAPPDATA% (the log
 * directory) unless --state-dir says otherwise; new directories inherit
 * that profile's ACL (the user, SYSTEM, Administrators).  A reparse point
 * (a junction planted to move the keys elsewhere) is refused. */
int plat_private_dir(const char *dir, char *why, size_t why_len)
{
	wchar_t *w = win_wide(dir);
	DWORD attr;
	int r = 0;

	if (!w) {
		snprintf(why, why_len, "%s: not a valid path", dir);
		return -EILSEQ;
	}
	for (wchar_t *p = w + 1; *p; p++) {
		if (*p != L'\\' && *p != L'/')
			continue;
		if (p[-1] == L':')
			continue;  /* "C:\" */
		wchar_t c = *p;
		*p = 0;
		CreateDirectoryW(w, NULL);
		*p = c;
	}
	if (!CreateDirectoryW(w, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
		r = win_errno(GetLastError());
		snprintf(why, why_len, "%s: cannot create it: %s", dir, strerror(-r));
	} else if ((attr = GetFileAttributesW(w)) == INVALID_FILE_ATTRIBUTES ||
		   !(attr & FILE_ATTRIBUTE_DIRECTORY) || (attr & FILE_ATTRIBUTE_REPARSE_POINT)) {
		r = -EPERM;
		snprintf(why, why_len, "%s: refusing to keep keys there: not a plain directory", dir);
	}
	free(w);
	return r;
}

/* The child gets the read end of a pipe as its standard input and nothing
 * else of ours (sockets are inheritable by default). */
int plat_enroll_install(const char *distro, const char *key_hex, char *why, size_t why_len)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	STARTUPINFOEXW si = { .StartupInfo = { .cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES } };
	PROCESS_INFORMATION pi = { 0 };
	const char *wsl = getenv("WSLDOCK_WSL_EXE");
	char cmd8[1024], line[PROTO_HEX_LEN(PROTO_KEY_BYTES) + 2];
	HANDLE rd, wr;
	DWORD code = 0, done = 0, err;
	SIZE_T asize = 0;
	wchar_t *cmd;
	BOOL ok;

	if (!wsl || !*wsl)
		wsl = "wsl.exe";
	/* distro is a validated WSL name: no quote or space to escape. */
	snprintf(cmd8, sizeof(cmd8), "\"%s\" -d %s -u root wsldock-agent enroll", wsl, distro);
	cmd = win_wide(cmd8);
	if (!cmd) {
		snprintf(why, why_len, "%s: not a valid command line", cmd8);
		return -EILSEQ;
	}
	if (!CreatePipe(&rd, &wr, &sa, 0)) {
		free(cmd);
		snprintf(why, why_len, "CreatePipe failed (%lu)", (unsigned long)GetLastError());
		return -EIO;
	}
	SetHandleInformation(wr, HANDLE_FLAG_INHERIT, 0);
	si.StartupInfo.hStdInput = rd;
	si.StartupInfo.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
	si.StartupInfo.hStdError = GetStdHandle(STD_ERROR_HANDLE);
	HANDLE inherit[1] = { rd };
	InitializeProcThreadAttributeList(NULL, 1, 0, &asize);
	si.lpAttributeList = malloc(asize);
	ok = si.lpAttributeList && InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &asize) &&
	     UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit,
				       sizeof(inherit), NULL, NULL) &&
	     CreateProcessW(NULL, cmd, NULL, NULL, TRUE, CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT,
			    NULL, NULL, &si.StartupInfo, &pi);
	err = si.lpAttributeList ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
	if (si.lpAttributeList) {
		DeleteProcThreadAttributeList(si.lpAttributeList);
		free(si.lpAttributeList);
	}
	free(cmd);
	CloseHandle(rd);
	if (!ok) {
		CloseHandle(wr);
		snprintf(why, why_len, "cannot run %s: %s", wsl, strerror(-win_errno(err)));
		return win_errno(err);
	}
	snprintf(line, sizeof(line), "%s\n", key_hex);
	ok = WriteFile(wr, line, (DWORD)strlen(line), &done, NULL) && done == strlen(line);
	SecureZeroMemory(line, sizeof(line));
	CloseHandle(wr);
	/* wsl.exe may start the VM and the distro: give it a minute. */
	if (WaitForSingleObject(pi.hProcess, 60000) != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		code = 1;
	} else {
		GetExitCodeProcess(pi.hProcess, &code);
	}
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	if (code != 0) {
		snprintf(why, why_len, "`%s -d %s -u root wsldock-agent enroll` failed (exit status %lu); "
			 "is wsldock-agent installed in %s?", wsl, distro, (unsigned long)code, distro);
		return -EIO;
	}
	if (!ok) {
		snprintf(why, why_len, "%s did not read the key", wsl);
		return -EIO;
	}
	return 0;
}
