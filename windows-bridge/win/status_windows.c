/* SPDX-License-Identifier: MIT */
/* `wsldock-bridge status` on Windows: the distros WSL knows (Lxss registry
 * and `wsl.exe -l -v`), which of them report to the running bridge (its
 * /api/v1/distros), Docker Desktop's version and integration per distro,
 * and the .wslconfig memory settings. */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../advice.h"
#include "../platform.h"
#include "status.h"
#include "winplat.h"

static json_t *get_ci(json_t *obj, const char *key)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
		if (!strcasecmp(k, key))
			return v;
	return NULL;
}

int status_integration(json_t *settings, const char *distro, bool is_default)
{
	if (!json_is_object(settings))
		return -EINVAL;
	json_t *list = get_ci(settings, "IntegratedWslDistros");
	json_t *def = get_ci(settings, "EnableIntegrationWithDefaultWslDistro");
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && !strcasecmp(json_string_value(v), distro))
			return 1;
	return is_default && json_is_true(def);
}

int status_reports(json_t *api, const char *distro)
{
	json_t *arr = json_is_array(api) ? api : json_object_get(api, "distros");
	size_t i;
	json_t *d;
	json_array_foreach(arr, i, d) {
		json_t *n = json_object_get(d, "distro");
		if (!n)
			n = json_object_get(d, "name");
		if (json_is_string(n) && !strcasecmp(json_string_value(n), distro)) {
			const char *c = json_string_value(json_object_get(d, "connection"));
			return c && strcmp(c, "connected") ? 2 : 1;
		}
	}
	return 0;
}

/* GET path from 127.0.0.1:port (HTTP/1.0, body only); NULL on any failure. */
static char *http_get(const char *addr, const char *path)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	SOCKET s = INVALID_SOCKET;
	char *buf = NULL, *body = NULL;
	size_t len = 0, cap = 1 << 20;

	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return NULL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	if (getaddrinfo(host, colon + 1, &hints, &ai) || !ai)
		return NULL;
	s = socket(ai->ai_family, SOCK_STREAM, 0);
	DWORD tmo = 3000;
	if (s == INVALID_SOCKET)
		goto out;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&tmo, sizeof(tmo));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&tmo, sizeof(tmo));
	if (connect(s, ai->ai_addr, (int)ai->ai_addrlen))
		goto out;
	char req[256];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, addr);
	if (send(s, req, n, 0) != n)
		goto out;
	buf = malloc(cap + 1);
	if (!buf)
		goto out;
	while (len < cap) {
		int got = recv(s, buf + len, (int)(cap - len), 0);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	buf[len] = 0;
	char *sep = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) || !sep || strncmp(buf + 8, " 200", 4))
		goto out;
	body = strdup(sep + 4);
out:
	free(buf);
	if (s != INVALID_SOCKET)
		closesocket(s);
	freeaddrinfo(ai);
	return body;
}

static const char *usage =
	"usage: wsldock-bridge status [--http ADDR:PORT] [--docker-settings FILE] [--wslconfig FILE]\n";

int win_status(int argc, char **argv)
{
	const char *http = "127.0.0.1:9477", *settings_path = NULL, *wslconfig = NULL;
	char settings_buf[1024], wslconfig_buf[1024], ver[64];
	struct host_lxss_distro lx[64];
	struct host_wsl_distro rows[64];
	unsigned skipped = 0;
	int nlx, nrows = 0;

	for (int i = 1; i < argc; i++) {
		const char **dst = !strcmp(argv[i], "--http") ? &http
				   : !strcmp(argv[i], "--docker-settings") ? &settings_path
				   : !strcmp(argv[i], "--wslconfig") ? &wslconfig : NULL;
		if (!dst || i + 1 == argc) {
			fputs(usage, stderr);
			return 2;
		}
		*dst = argv[++i];
	}

	nlx = win_lxss_read(HKEY_CURRENT_USER, "Software\\Microsoft\\Windows\\CurrentVersion\\Lxss", lx,
			    64, &skipped);
	uint8_t *out = NULL;
	size_t len;
	char *text = NULL, why[256] = "";
	/* System32's wsl.exe by its full path: a bare name would be looked
	 * up in the current directory first.  (`-l -v` lists distros without
	 * starting the VM.) */
	wchar_t sys[MAX_PATH];
	char cmd[MAX_PATH * 3 + 32] = "wsl.exe -l -v", *sys8 = NULL;
	UINT sl = GetSystemDirectoryW(sys, MAX_PATH);
	if (sl > 0 && sl < MAX_PATH && (sys8 = win_utf8(sys)))
		snprintf(cmd, sizeof(cmd), "\"%s\\wsl.exe\" -l -v", sys8);
	free(sys8);
	int r = win_run_capture(cmd, 10000, 1 << 16, &out, &len);
	const char *u8 = getenv("WSL_UTF8");
	if (r == 0 && host_wsl_output_decode(out, len, u8 && !strcmp(u8, "1"), &text) == 0)
		nrows = host_wsl_list_parse(text, rows, 64, why, sizeof(why));
	else if (r >= 0)
		snprintf(why, sizeof(why), "wsl.exe -l -v exited %d", r);
	else
		snprintf(why, sizeof(why), "cannot run wsl.exe (%s)", strerror(-r));
	free(out);
	free(text);
	if (nrows < 0)
		nrows = 0;

	char *api = http_get(http, "/api/v1/distros");
	json_t *apij = api ? json_loads(api, 0, NULL) : NULL;
	free(api);

	json_t *settings = NULL;
	if (!settings_path && plat_docker_settings_path(settings_buf, sizeof(settings_buf)) == 0)
		settings_path = settings_buf;
	if (settings_path) {
		char *s = NULL;
		if (plat_read_file(settings_path, 4 << 20, &s, NULL) == 0)
			settings = json_loads(s, 0, NULL);
		free(s);
	}

	printf("Distros (%s):\n", nlx >= 0 ? "Lxss registry" : "wsl.exe -l -v");
	if (nlx < 0 && nrows == 0)
		printf("  none found (%s)\n", why[0] ? why : "no Lxss key");
	int n = nlx >= 0 ? nlx : nrows;
	static const char *const reports[] = { "not seen", "reporting", "gone" };
	for (int i = 0; i < n; i++) {
		const char *name = nlx >= 0 ? lx[i].name : rows[i].name;
		int version = nlx >= 0 ? lx[i].version : rows[i].version;
		bool def = nlx >= 0 ? lx[i].is_default : rows[i].is_default;
		const char *state = "";
		for (int j = 0; j < nrows; j++)
			if (!strcasecmp(rows[j].name, name)) {
				state = rows[j].state;
				if (!version)
					version = rows[j].version;
			}
		int integ = settings ? status_integration(settings, name, def) : -1;
		char wsl[8] = "?";
		if (version)
			snprintf(wsl, sizeof(wsl), "%d", version);
		printf("  %s%-24s WSL %s  %-10s bridge: %-11s Docker integration: %s\n", def ? "*" : " ",
		       name, wsl, state[0] ? state : "-",
		       !apij ? "unknown" : reports[status_reports(apij, name)],
		       integ < 0 ? "unknown" : integ ? "on" : "off");
	}
	if (skipped)
		printf("  (%u Lxss entries without a GUID name or DistributionName skipped)\n", skipped);
	if (why[0])
		printf("  (state and WSL version from wsl.exe unknown: %s)\n", why);
	if (!apij)
		printf("The bridge at %s does not answer (is wsldock-bridge running?)\n", http);

	int running = plat_docker_desktop_running();
	printf("Docker Desktop: %s, %s\n",
	       win_docker_desktop_version(ver, sizeof(ver)) == 0 ? ver : "version unknown",
	       running > 0 ? "running" : running == 0 ? "not running" : "state unknown");
	printf("  settings: %s%s\n", settings_path ? settings_path : "not found",
	       settings_path && !settings ? " (unreadable or not JSON)" : "");

	const char *wslconfig_arg = wslconfig;  /* given: named in the advised command */
	if (!wslconfig && plat_wslconfig_path(wslconfig_buf, sizeof(wslconfig_buf)) == 0)
		wslconfig = wslconfig_buf;
	char *wc = NULL;
	size_t wlen = 0;
	struct host_wslconfig_memory m = { 0 };
	int rr = wslconfig ? plat_read_file(wslconfig, 1 << 20, &wc, &wlen) : -ENOENT;
	bool have = rr == 0;
	if (have)
		host_wslconfig_memory(wc, &m);
	printf(".wslconfig: %s%s\n", wslconfig ? wslconfig : "unknown",
	       have ? "" : rr == -ENOENT ? " (absent)" : " (unreadable)");
	printf("  [wsl2] memory=%s swap=%s  [experimental] autoMemoryReclaim=%s\n",
	       m.memory[0] ? m.memory : "(default)", m.swap[0] ? m.swap : "(default)",
	       m.auto_memory_reclaim[0] ? m.auto_memory_reclaim : "(default)");
	/* The advice the bridge's API gives, from the same file; the command
	 * is the one way to apply it. */
	struct advice adv[ADVICE_MAX];
	int nadv = wslconfig && (have || rr == -ENOENT)
		? advice_wslconfig(have ? wc : NULL, wlen, wslconfig_arg, adv, ADVICE_MAX) : 0;
	for (int i = 0; i < nadv; i++)
		printf("  advice: %s is %s%s; %s works better beside wsldock-agent (%s).\n"
		       "          To change it: %s\n",
		       adv[i].key, adv[i].current, adv[i].current_default ? " (WSL's default)" : "",
		       adv[i].recommended, adv[i].why, adv[i].command);
	free(wc);
	json_decref(apij);
	json_decref(settings);
	return 0;
}
