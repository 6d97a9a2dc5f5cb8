/* SPDX-License-Identifier: MIT */
/* Enrolment on Windows (enroll.h): random bytes and HMAC-SHA256 from
 * BCrypt (bcrypt.dll, no library to ship), the key directory and its DACL
 * (advapi32), and `wsl.exe -d DISTRO -u root wsldock-agent enroll` with
 * the key on its standard input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <windows.h>
#include <bcrypt.h>
#include <sddl.h>
#include <aclapi.h>

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

/* The process token's user (malloc'ed, its SID inside). */
static int token_user(TOKEN_USER **out)
{
	HANDLE tok;
	DWORD size = 0, err;
	TOKEN_USER *tu;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return win_errno(GetLastError());
	GetTokenInformation(tok, TokenUser, NULL, 0, &size);
	tu = size ? malloc(size) : NULL;
	if (!tu)
		err = size ? ERROR_NOT_ENOUGH_MEMORY : GetLastError();
	else if (!GetTokenInformation(tok, TokenUser, tu, size, &size))
		err = GetLastError();
	else
		err = ERROR_SUCCESS;
	CloseHandle(tok);
	if (err != ERROR_SUCCESS) {
		free(tu);
		return win_errno(err);
	}
	*out = tu;
	return 0;
}

/* The new key directory's security descriptor (LocalFree it): owned by the
 * user, a protected DACL (nothing inherited from the parent, whatever
 * --state-dir names) giving full control to the user and SYSTEM only, both
 * ACEs inherited by what is created inside (OI|CI), so the key files
 * plat_replace_file writes there get the same. */
static int private_sd(PSID user, PSECURITY_DESCRIPTOR *sd)
{
	wchar_t sddl[512];  /* a SID string is at most 184 characters */
	LPWSTR u;
	BOOL ok;

	if (!ConvertSidToStringSidW(user, &u))
		return win_errno(GetLastError());
	ok = swprintf(sddl, sizeof(sddl) / sizeof(*sddl), L"O:%lsD:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)", u, u) > 0 &&
	     ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, sd, NULL);
	LocalFree(u);
	return ok ? 0 : -EINVAL;
}

/* "DOMAIN\NAME (S-1-...)" for a message, or the SID string alone when it
 * names no account here. */
static void sid_text(PSID sid, char *buf, size_t size)
{
	wchar_t name[256], domain[256];
	DWORD nn = 256, dn = 256;
	SID_NAME_USE use;
	LPWSTR str = NULL;
	char *n8 = NULL, *d8 = NULL, *s8 = NULL;

	if (ConvertSidToStringSidW(sid, &str))
		s8 = win_utf8(str);
	if (LookupAccountSidW(NULL, sid, name, &nn, domain, &dn, &use)) {
		n8 = win_utf8(name);
		d8 = win_utf8(domain);
	}
	if (n8 && d8)
		snprintf(buf, size, "%s%s%s (%s)", d8, *d8 ? "\\" : "", n8, s8 ? s8 : "?");
	else
		snprintf(buf, size, "%s", s8 ? s8 : "an unreadable SID");
	free(n8);
	free(d8);
	free(s8);
	LocalFree(str);
}

/* Who may own or be let into the key directory: the user, SYSTEM and the
 * Administrators group.  The last two can read any file anyway (SYSTEM
 * runs everything; an administrator can take ownership of anything), so
 * there is nothing to keep them out of; and a directory made by an
 * elevated process is owned by Administrators. */
static bool trusted(PSID sid, PSID user)
{
	return EqualSid(sid, user) || IsWellKnownSid(sid, WinLocalSystemSid) ||
	       IsWellKnownSid(sid, WinBuiltinAdministratorsSid);
}

int win_private_sd_check(const char *dir, PSECURITY_DESCRIPTOR sd, PSID user, char *why, size_t why_len)
{
	PSID owner = NULL;
	PACL dacl = NULL;
	BOOL present = FALSE, defaulted;
	char who[600];

	if (!GetSecurityDescriptorOwner(sd, &owner, &defaulted) ||
	    !GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted)) {
		snprintf(why, why_len, "%s: cannot read its security descriptor", dir);
		return -EINVAL;
	}
	if (!owner) {
		snprintf(why, why_len, "%s: refusing to keep keys there: it has no owner", dir);
		return -EPERM;
	}
	/* An owner may always rewrite the DACL, whatever it says now. */
	if (!trusted(owner, user)) {
		sid_text(owner, who, sizeof(who));
		snprintf(why, why_len, "%s: refusing to keep keys there: it is owned by %s, not by this user",
			 dir, who);
		return -EPERM;
	}
	if (!present || !dacl) {
		snprintf(why, why_len, "%s: refusing to keep keys there: it has no DACL (everyone may enter it)",
			 dir);
		return -EPERM;
	}
	/* Every allowing ACE counts, inherit-only ones too: those are what the
	 * key files written there would get.  A denying ACE only takes away;
	 * any other kind (callback, object) is not read: refused. */
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACE_HEADER *ace;

		if (!GetAce(dacl, i, (void **)&ace)) {
			snprintf(why, why_len, "%s: cannot read its DACL", dir);
			return -EINVAL;
		}
		if (ace->AceType == ACCESS_DENIED_ACE_TYPE)
			continue;
		if (ace->AceType != ACCESS_ALLOWED_ACE_TYPE) {
			snprintf(why, why_len, "%s: refusing to keep keys there: its DACL has an entry of type %u",
				 dir, ace->AceType);
			return -EPERM;
		}
		PSID sid = &((ACCESS_ALLOWED_ACE *)ace)->SidStart;
		if (!trusted(sid, user)) {
			sid_text(sid, who, sizeof(who));
			snprintf(why, why_len, "%s: refusing to keep keys there: its DACL lets %s in "
				 "(only this user, SYSTEM and Administrators may be)", dir, who);
			return -EPERM;
		}
	}
	return 0;
}

/* An existing key directory: a plain directory (a reparse point, e.g. a
 * junction planted to move the keys elsewhere, is refused) that passes
 * win_private_sd_check. */
static int check_existing(const wchar_t *w, const char *dir, PSID user, char *why, size_t why_len)
{
	PSECURITY_DESCRIPTOR sd;
	DWORD attr = GetFileAttributesW(w), err;
	int r;

	if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY) ||
	    (attr & FILE_ATTRIBUTE_REPARSE_POINT)) {
		snprintf(why, why_len, "%s: refusing to keep keys there: not a plain directory", dir);
		return -EPERM;
	}
	err = GetNamedSecurityInfoW(w, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
				    NULL, NULL, NULL, NULL, &sd);
	if (err != ERROR_SUCCESS) {
		r = win_errno(err);
		snprintf(why, why_len, "%s: cannot read its owner and DACL: %s", dir, strerror(-r));
		return r;
	}
	r = win_private_sd_check(dir, sd, user, why, why_len);
	LocalFree(sd);
	return r;
}

/* Creates dir and its parents.  The parents are only path components and
 * keep what they inherit; dir itself, when new, gets private_sd's DACL
 * (not its parent's: --state-dir may name a directory other users can
 * read), and when it exists already must pass check_existing. */
int plat_private_dir(const char *dir, char *why, size_t why_len)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	TOKEN_USER *tu = NULL;
	wchar_t *w = win_wide(dir);
	int r;

	if (!w) {
		snprintf(why, why_len, "%s: not a valid path", dir);
		return -EILSEQ;
	}
	r = token_user(&tu);
	if (r == 0)
		r = private_sd(tu->User.Sid, &sa.lpSecurityDescriptor);
	if (r < 0) {
		snprintf(why, why_len, "%s: cannot make a DACL for this user: %s", dir, strerror(-r));
		free(tu);
		free(w);
		return r;
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
	if (!CreateDirectoryW(w, &sa)) {
		DWORD err = GetLastError();
		if (err == ERROR_ALREADY_EXISTS) {
			r = check_existing(w, dir, tu->User.Sid, why, why_len);
		} else {
			r = win_errno(err);
			snprintf(why, why_len, "%s: cannot create it: %s", dir, strerror(-r));
		}
	}
	LocalFree(sa.lpSecurityDescriptor);
	free(tu);
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
