/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "docker_settings.h"
#include "log.h"
#include "platform.h"
#include "proto.h"
#include "wslconfig.h"

/* Settings files are a few KiB; refuse anything that is not one. */
#define SETTINGS_MAX (8u << 20)

const char *apply_status_name(enum apply_status s)
{
	switch (s) {
	case APPLY_UNCHANGED:
		return "unchanged";
	case APPLY_APPLIED:
		return "applied";
	case APPLY_NEEDS_RESTART:
		return "needs-restart";
	default:
		return "refused";
	}
}

__attribute__((format(printf, 2, 3)))
static void refuse(struct apply_result *r, const char *fmt, ...)
{
	va_list ap;

	r->status = APPLY_REFUSED;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/'), *b = strrchr(path, '\\');

	if (b && (!s || b > s))
		s = b;
	return s ? s + 1 : path;
}

/* The last APPLY_BACKUPS versions stay beside the file as
 * PATH.wsldock-backup-1 (the newest) to -N: each change shifts them by one
 * (the oldest goes), so a burst of changes cannot fill the disk.  A slot is
 * made by plat_copy_file (it keeps the file's mode) and later overwritten
 * in place by plat_replace_file (which keeps the slot's), all portable. */
static int backup_slot(const char *path, unsigned n, char *buf, size_t size)
{
	int len = snprintf(buf, size, "%s.wsldock-backup-%u", path, n);

	return len < 0 || (size_t)len >= size ? -ENAMETOOLONG : 0;
}

static int copy_over(const char *from, const char *to)
{
	char *data;
	size_t len;
	int r = plat_copy_file(from, to);

	if (r != -EEXIST)
		return r;
	r = plat_read_file(from, SETTINGS_MAX, &data, &len);
	if (r < 0)
		return r;
	r = plat_replace_file(to, data, len);
	free(data);
	return r;
}

static int make_backup(const char *path, char *buf, size_t size)
{
	char from[1100], to[1100];
	int r;

	for (unsigned n = APPLY_BACKUPS - 1; n >= 1; n--) {
		char *probe;
		size_t len;

		if (backup_slot(path, n, from, sizeof(from)) < 0 || backup_slot(path, n + 1, to, sizeof(to)) < 0)
			return -ENAMETOOLONG;
		/* Whether slot n exists (-EFBIG: it does, and is over a byte). */
		r = plat_read_file(from, 1, &probe, &len);
		if (r == -ENOENT)
			continue;
		free(probe);
		r = copy_over(from, to);
		if (r < 0)
			return r;
	}
	r = backup_slot(path, 1, buf, size);
	return r < 0 ? r : copy_over(path, buf);
}

/* Backs up (when the file exists) and replaces path; fills r on failure. */
static int write_with_backup(const char *path, bool existed, const char *data, size_t len,
			     struct apply_result *r)
{
	int e;

	if (existed) {
		e = make_backup(path, r->backup, sizeof(r->backup));
		if (e < 0) {
			r->backup[0] = '\0';
			refuse(r, "%s: cannot make a backup (%s); nothing written", path, strerror(-e));
			return e;
		}
	}
	e = plat_replace_file(path, data, len);
	if (e < 0) {
		refuse(r, "%s: cannot replace the file (%s); it is unchanged", path, strerror(-e));
		return e;
	}
	return 0;
}

void apply_integration(const char *path, const char *distro, bool enable, bool dry_run,
		       struct apply_result *r)
{
	struct ds_edit ed;
	char *text = NULL;
	size_t len = 0;
	int e, running;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->dry_run = dry_run;
	if (!proto_distro_name_valid(distro)) {
		refuse(r, "'%s' is not a WSL distro name (letters, digits, '.', '_', '-')", distro);
		return;
	}
	e = plat_read_file(path, SETTINGS_MAX, &text, &len);
	if (e == -ENOENT) {
		refuse(r, "%s: no such file (is Docker Desktop installed? give --docker-settings FILE)", path);
		return;
	}
	if (e < 0) {
		refuse(r, "%s: cannot read: %s", path, strerror(-e));
		return;
	}
	e = ds_edit_integration(text, len, base_name(path), distro, enable, &ed);
	free(text);
	if (e < 0) {
		refuse(r, "%s: refusing to edit it: %s", path, ed.why);
		return;
	}
	if (!ed.changed) {
		r->status = APPLY_UNCHANGED;
		snprintf(r->message, sizeof(r->message), "%s: %s already %s %s: nothing to write%s%s",
			 path, ed.key, enable ? "lists" : "leaves out", distro,
			 ed.note[0] ? "; note: " : "", ed.note);
		return;
	}
	running = plat_docker_desktop_running();
	if (!dry_run && write_with_backup(path, true, ed.out, ed.out_len, r) < 0) {
		ds_edit_free(&ed);
		return;
	}
	r->status = running > 0 ? APPLY_NEEDS_RESTART : APPLY_APPLIED;
	if (running > 0)
		snprintf(r->restart, sizeof(r->restart), "docker desktop restart");
	n = (size_t)snprintf(r->message, sizeof(r->message), "%s%s: %s: %s -> %s%s",
			     dry_run ? "would change " : "", path, ed.key, ed.before, ed.after,
			     ed.bom_removed ? " (and the UTF-8 byte-order mark removed)" : "");
	if (n < sizeof(r->message) && r->backup[0])
		n += (size_t)snprintf(r->message + n, sizeof(r->message) - n, " (backup %s)", r->backup);
	if (n < sizeof(r->message) && running > 0)
		n += (size_t)snprintf(r->message + n, sizeof(r->message) - n,
				      "; Docker Desktop is running and writes its settings from memory:"
				      " the change applies after `docker desktop restart`");
	if (n < sizeof(r->message) && ed.note[0])
		snprintf(r->message + n, sizeof(r->message) - n, "; note: %s", ed.note);
	ds_edit_free(&ed);
}

/* The .wslconfig keys the bridge may set, with the casing WSL documents
 * (used when the file lacks the key) and what a value must look like. */
enum value_kind { V_SIZE, V_COUNT, V_MS, V_BOOL, V_RECLAIM };
static const struct allowed {
	const char *section, *key;
	enum value_kind kind;
} allowlist[] = {
	{ "wsl2", "memory", V_SIZE },
	{ "wsl2", "swap", V_SIZE },
	{ "wsl2", "processors", V_COUNT },
	{ "wsl2", "vmIdleTimeout", V_MS },
	{ "wsl2", "pageReporting", V_BOOL },
	{ "experimental", "autoMemoryReclaim", V_RECLAIM },
	{ "experimental", "sparseVhd", V_BOOL },
};

static bool all_digits(const char *s, size_t max)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= max && s[n] == '\0';
}

/* Checks value for its kind; writes the canonical spelling into buf. */
static bool value_valid(enum value_kind kind, const char *value, char *buf, size_t size)
{
	static const char *const reclaim[] = { "disabled", "gradual", "dropCache" };
	size_t n;

	switch (kind) {
	case V_SIZE:
		/* 8GB, 512MB, 0 ... (WSL takes B/KB/MB/GB/TB, any case). */
		n = strspn(value, "0123456789");
		if (n == 0 || n > 12)
			return false;
		if (value[n] && proto_ascii_casecmp(value + n, "KB") && proto_ascii_casecmp(value + n, "MB") &&
		    proto_ascii_casecmp(value + n, "GB") && proto_ascii_casecmp(value + n, "TB") &&
		    proto_ascii_casecmp(value + n, "B"))
			return false;
		snprintf(buf, size, "%s", value);
		return true;
	case V_COUNT:
		if (!all_digits(value, 4) || atoi(value) < 1)
			return false;
		snprintf(buf, size, "%s", value);
		return true;
	case V_MS:
		if (!all_digits(value, 10))
			return false;
		snprintf(buf, size, "%s", value);
		return true;
	case V_BOOL:
		if (proto_ascii_casecmp(value, "true") && proto_ascii_casecmp(value, "false"))
			return false;
		snprintf(buf, size, "%s", proto_ascii_casecmp(value, "true") ? "false" : "true");
		return true;
	case V_RECLAIM:
		for (size_t i = 0; i < sizeof(reclaim) / sizeof(reclaim[0]); i++)
			if (!proto_ascii_casecmp(value, reclaim[i])) {
				snprintf(buf, size, "%s", reclaim[i]);
				return true;
			}
		return false;
	}
	return false;
}

static const char *const kind_help[] = {
	[V_SIZE] = "a size such as 8GB or 512MB",
	[V_COUNT] = "a whole number of processors",
	[V_MS] = "milliseconds, a whole number",
	[V_BOOL] = "true or false",
	[V_RECLAIM] = "disabled, gradual or dropCache",
};

int apply_split_assignment(char *arg, char **section_key, char **value)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !memchr(arg, '.', (size_t)(eq - arg)))
		return -EINVAL;
	*eq = '\0';
	*section_key = arg;
	*value = eq + 1;
	return 0;
}

void apply_wslconfig(const char *path, const char *section_key, const char *value,
		     bool dry_run, struct apply_result *r)
{
	const struct allowed *a = NULL;
	struct wslconfig_edit ed;
	const char *dot = strchr(section_key, '.');
	char canon[64], section[32];
	char *text = NULL;
	size_t len = 0, n;
	bool existed = true;
	int e;

	memset(r, 0, sizeof(*r));
	r->dry_run = dry_run;
	if (!dot || (size_t)(dot - section_key) >= sizeof(section)) {
		refuse(r, "'%s' is not SECTION.KEY", section_key);
		return;
	}
	snprintf(section, sizeof(section), "%.*s", (int)(dot - section_key), section_key);
	for (size_t i = 0; i < sizeof(allowlist) / sizeof(allowlist[0]); i++)
		if (!proto_ascii_casecmp(section, allowlist[i].section) &&
		    !proto_ascii_casecmp(dot + 1, allowlist[i].key))
			a = &allowlist[i];
	if (!a) {
		refuse(r, "%s is not a key wsldock changes (it may set wsl2.memory, wsl2.swap, "
			  "wsl2.processors, wsl2.vmIdleTimeout, wsl2.pageReporting, "
			  "experimental.autoMemoryReclaim, experimental.sparseVhd)", section_key);
		return;
	}
	if (!value_valid(a->kind, value, canon, sizeof(canon))) {
		refuse(r, "%s.%s: '%s' is not %s", a->section, a->key, value, kind_help[a->kind]);
		return;
	}
	e = plat_read_file(path, SETTINGS_MAX, &text, &len);
	if (e == -ENOENT) {
		existed = false;
		text = NULL;
		len = 0;
	} else if (e < 0) {
		refuse(r, "%s: cannot read: %s", path, strerror(-e));
		return;
	}
	e = wslconfig_set(text ? text : "", len, a->section, a->key, canon, &ed);
	free(text);
	if (e < 0) {
		refuse(r, "%s: refusing to edit it: %s", path, ed.why);
		return;
	}
	if (!ed.changed) {
		r->status = APPLY_UNCHANGED;
		snprintf(r->message, sizeof(r->message), "%s: [%s] %s is already %s: nothing to write",
			 path, a->section, a->key, canon);
		return;
	}
	if (!dry_run && write_with_backup(path, existed, ed.out, ed.out_len, r) < 0) {
		wslconfig_edit_free(&ed);
		return;
	}
	r->status = APPLY_NEEDS_RESTART;
	snprintf(r->restart, sizeof(r->restart), "wsl --shutdown");
	n = (size_t)snprintf(r->message, sizeof(r->message), "%s%s:%u: [%s] %s: %s -> %s%s%s",
			     dry_run ? "would change " : "", path, ed.line, ed.section_as_written, ed.key_as_written,
			     ed.had_key ? ed.before : "(absent)", canon,
			     ed.added_section ? " (new section)" : "",
			     existed ? "" : " (new file)");
	if (n < sizeof(r->message) && r->backup[0])
		n += (size_t)snprintf(r->message + n, sizeof(r->message) - n, " (backup %s)", r->backup);
	if (n < sizeof(r->message))
		snprintf(r->message + n, sizeof(r->message) - n,
			 "; applies after `wsl --shutdown` or once the WSL VM stops");
	wslconfig_edit_free(&ed);
}
