/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 8-4-4-4-12 hex digits at s; no braces. */
static int guid_parse_bare(const char *s, struct host_guid *g)
{
	static const int dash[] = { 8, 13, 18, 23 };
	uint8_t b[16];
	int nb = 0;

	for (int i = 0; i < 36; i++) {
		if (i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3]) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		int h = hexval((unsigned char)s[i]), l;
		if (h < 0)
			return -EINVAL;
		i++;
		if (i == 36 || (l = hexval((unsigned char)s[i])) < 0)
			return -EINVAL;
		b[nb++] = (uint8_t)(h << 4 | l);
	}
	g->data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	g->data2 = (uint16_t)(b[4] << 8 | b[5]);
	g->data3 = (uint16_t)(b[6] << 8 | b[7]);
	memcpy(g->data4, b + 8, 8);
	return 0;
}

int host_guid_parse(const char *s, struct host_guid *g)
{
	size_t n = strlen(s);

	if (n == 38 && s[0] == '{' && s[37] == '}')
		return guid_parse_bare(s + 1, g);
	if (n == 36)
		return guid_parse_bare(s, g);
	return -EINVAL;
}

void host_guid_format(const struct host_guid *g, char buf[HOST_GUID_STR])
{
	snprintf(buf, HOST_GUID_STR, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (unsigned)g->data1, g->data2, g->data3, g->data4[0], g->data4[1], g->data4[2],
		 g->data4[3], g->data4[4], g->data4[5], g->data4[6], g->data4[7]);
}

void host_hv_service_id(uint32_t port, struct host_guid *g)
{
	/* The template Microsoft documents for Linux guests' AF_VSOCK ports. */
	static const struct host_guid tmpl = {
		0, 0xfacb, 0x11e6, { 0xbd, 0x58, 0x64, 0x00, 0x6a, 0x79, 0x86, 0xd3 }
	};
	*g = tmpl;
	g->data1 = port;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int host_utf16le_to_utf8(const uint8_t *in, size_t len, char **ret)
{
	if (len % 2)
		return -EILSEQ;
	size_t n = len / 2, i = 0, o = 0;
	/* Each UTF-16 unit becomes at most 3 bytes (a pair, 4 bytes for 2). */
	char *out = malloc(n * 3 + 1);
	if (!out)
		return -ENOMEM;
	if (n && (in[0] | in[1] << 8) == 0xfeff)
		i = 1;
	for (; i < n; i++) {
		uint32_t u = (uint32_t)(in[2 * i] | in[2 * i + 1] << 8);
		if (u >= 0xdc00 && u <= 0xdfff)
			goto bad;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 1 == n)
				goto bad;
			uint32_t l = (uint32_t)(in[2 * i + 2] | in[2 * i + 3] << 8);
			if (l < 0xdc00 || l > 0xdfff)
				goto bad;
			u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
			i++;
		}
		o += utf8_put(out + o, u);
	}
	out[o] = 0;
	*ret = out;
	return 0;
bad:
	free(out);
	return -EILSEQ;
}

/* UTF-16LE text of mostly ASCII has a NUL in (nearly) every odd byte. */
static bool looks_utf16le(const uint8_t *in, size_t len)
{
	size_t odd = 0, zero = 0;

	if (len >= 2 && in[0] == 0xff && in[1] == 0xfe)
		return true;
	for (size_t i = 1; i < len; i += 2, odd++)
		if (!in[i])
			zero++;
	return len % 2 == 0 && odd && zero * 2 >= odd;
}

int host_wsl_output_decode(const uint8_t *in, size_t len, bool utf8, char **ret)
{
	char *t;
	int r;

	if (!utf8 && looks_utf16le(in, len)) {
		r = host_utf16le_to_utf8(in, len, &t);
		if (r < 0)
			return r;
	} else {
		if (memchr(in, 0, len))
			return -EILSEQ;
		t = malloc(len + 1);
		if (!t)
			return -ENOMEM;
		memcpy(t, in, len);
		t[len] = 0;
		if (len >= 3 && !memcmp(t, "\xef\xbb\xbf", 3))
			memmove(t, t + 3, len - 2);
	}
	/* "\r\r\n" and "\r\n" to "\n"; a lone "\r" (progress output) too. */
	char *w = t;
	for (char *p = t; *p; p++) {
		if (*p != '\r') {
			*w++ = *p;
			continue;
		}
		while (p[1] == '\r')
			p++;
		if (p[1] == '\n')
			p++;
		*w++ = '\n';
	}
	*w = 0;
	*ret = t;
	return 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Copies one whitespace-delimited word; -ENAMETOOLONG when it does not fit. */
static int take_word(const char **s, char *buf, size_t size)
{
	const char *p = skip_ws(*s), *e = p;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (e == p)
		return -ENOENT;
	if ((size_t)(e - p) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = 0;
	*s = e;
	return 0;
}

int host_wsl_list_parse(const char *text, struct host_wsl_distro *rows, size_t max,
			char *why, size_t why_len)
{
	const char *p = text;
	unsigned lineno = 0;
	bool header = false;
	size_t n = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];
		lineno++;
		if (ll >= sizeof(line)) {
			snprintf(why, why_len, "wsl -l -v line %u is %zu bytes long", lineno, ll);
			return -EBADMSG;
		}
		memcpy(line, p, ll);
		line[ll] = 0;
		p = nl ? nl + 1 : p + ll;

		const char *s = skip_ws(line);
		if (!*s)
			continue;
		if (!header) {
			char a[16], b[16], c[16];
			const char *q = s;
			if (take_word(&q, a, sizeof(a)) < 0 || take_word(&q, b, sizeof(b)) < 0 ||
			    take_word(&q, c, sizeof(c)) < 0 || strcmp(a, "NAME") || strcmp(b, "STATE") ||
			    strcmp(c, "VERSION") || *skip_ws(q)) {
				snprintf(why, why_len,
					 "wsl -l -v line %u: expected the NAME STATE VERSION header", lineno);
				return -EBADMSG;
			}
			header = true;
			continue;
		}
		struct host_wsl_distro d = { 0 };
		if (*s == '*') {
			d.is_default = true;
			s++;
		}
		char ver[8];
		if (take_word(&s, d.name, sizeof(d.name)) < 0 ||
		    take_word(&s, d.state, sizeof(d.state)) < 0 || take_word(&s, ver, sizeof(ver)) < 0 ||
		    *skip_ws(s) || (strcmp(ver, "1") && strcmp(ver, "2"))) {
			snprintf(why, why_len, "wsl -l -v line %u: expected NAME STATE VERSION (1 or 2)",
				 lineno);
			return -EBADMSG;
		}
		d.version = ver[0] - '0';
		if (n < max)
			rows[n] = d;
		n++;
	}
	if (!header) {
		snprintf(why, why_len, "wsl -l -v printed no NAME STATE VERSION header");
		return -EBADMSG;
	}
	return (int)(n < max ? n : max);
}

int host_guid_find(const char *text, struct host_guid *g)
{
	size_t n = strlen(text);

	for (size_t i = 0; i + 36 <= n; i++)
		if (hexval((unsigned char)text[i]) >= 0 && (i == 0 || hexval((unsigned char)text[i - 1]) < 0) &&
		    guid_parse_bare(text + i, g) == 0 &&
		    (i + 36 == n || hexval((unsigned char)text[i + 36]) < 0))
			return 0;
	return -ENOENT;
}

int host_vmid_from_cmdline(const char *cmdline, struct host_guid *g)
{
	static const char opt[] = "--vm-id";
	const char *p = cmdline;

	while ((p = strstr(p, opt))) {
		const char *v = p + sizeof(opt) - 1;
		/* A whole argument only: "--vm-idx" or "x--vm-id" are someone else's. */
		if (p != cmdline && p[-1] != ' ' && p[-1] != '\t' && p[-1] != '"') {
			p = v;
			continue;
		}
		if (*v == '"')
			v++;
		if (!*v)
			return -EINVAL;  /* the option, and no value */
		if (*v != '=' && *v != ' ' && *v != '\t') {
			p = v;
			continue;
		}
		v = skip_ws(v + 1);
		if (*v == '"')
			v++;
		char val[40];
		size_t k = 0;
		while (v[k] && v[k] != ' ' && v[k] != '\t' && v[k] != '"' && k < sizeof(val) - 1) {
			val[k] = v[k];
			k++;
		}
		val[k] = 0;
		return host_guid_parse(val, g);
	}
	return -ENOENT;
}

static bool name_is(const char *exe, const char *want)
{
	const char *b = exe;
	for (const char *q = exe; *q; q++)
		if (*q == '\\' || *q == '/')
			b = q + 1;
	return strcasecmp(b, want) == 0;
}

bool host_is_wsl_vm_process(const char *exe_name)
{
	return name_is(exe_name, "wslhost.exe") || name_is(exe_name, "wslrelay.exe");
}

bool host_is_docker_desktop_process(const char *exe_name)
{
	return name_is(exe_name, "Docker Desktop.exe") || name_is(exe_name, "com.docker.backend.exe");
}

static int cmp_distro(const void *a, const void *b)
{
	return strcasecmp(((const struct host_lxss_distro *)a)->name,
			  ((const struct host_lxss_distro *)b)->name);
}

int host_lxss_parse(const char *default_distribution, const struct host_lxss_entry *e, size_t n,
		    struct host_lxss_distro *out, size_t max, unsigned *skipped)
{
	struct host_guid def, g;
	bool have_def = default_distribution && host_guid_parse(default_distribution, &def) == 0;
	size_t k = 0;

	*skipped = 0;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].subkey || host_guid_parse(e[i].subkey, &g) < 0 || !e[i].name ||
		    !*e[i].name || strlen(e[i].name) >= sizeof(out->name)) {
			(*skipped)++;
			continue;
		}
		if (k == max)
			break;
		struct host_lxss_distro *d = &out[k++];
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", e[i].name);
		snprintf(d->base_path, sizeof(d->base_path), "%s", e[i].base_path ? e[i].base_path : "");
		host_guid_format(&g, d->guid);
		d->version = !e[i].has_flags ? 0 : (e[i].flags & HOST_LXSS_WSL2) ? 2 : 1;
		d->is_default = have_def && !memcmp(&g, &def, sizeof(g));
	}
	qsort(out, k, sizeof(*out), cmp_distro);
	return (int)k;
}

static int join(char *buf, size_t size, const char *a, const char *b)
{
	if (!a || !*a)
		return -ENOENT;
	size_t la = strlen(a);
	const char *sep = (a[la - 1] == '\\' || a[la - 1] == '/') ? "" : "\\";
	int w = snprintf(buf, size, "%s%s%s", a, sep, b);
	return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}

int host_docker_settings_candidate(const char *appdata, unsigned i, char *buf, size_t size)
{
	static const char *const names[] = { "Docker\\settings-store.json", "Docker\\settings.json" };
	if (i >= 2)
		return -ENOENT;
	return join(buf, size, appdata, names[i]);
}

int host_wslconfig_path(const char *userprofile, char *buf, size_t size)
{
	return join(buf, size, userprofile, ".wslconfig");
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	size_t k = 0;
	while (s[k] && isspace((unsigned char)s[k]))
		k++;
	memmove(s, s + k, n - k + 1);
}

void host_wslconfig_memory(const char *text, struct host_wslconfig_memory *m)
{
	char section[64] = "";
	const char *p = text;

	memset(m, 0, sizeof(*m));
	if (!strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)(ll < sizeof(line) ? ll : sizeof(line) - 1), p);
		p = nl ? nl + 1 : p + ll;
		trim(line);
		if (!line[0] || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			char *e = strchr(line, ']');
			if (e) {
				*e = 0;
				snprintf(section, sizeof(section), "%s", line + 1);
				trim(section);
			}
			continue;
		}
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = 0;
		char *key = line, *val = eq + 1;
		trim(key);
		/* A comment after the value ("memory=8GB # half") is not part of it. */
		char *hash = strpbrk(val, "#;");
		if (hash)
			*hash = 0;
		trim(val);
		char *dst = NULL;
		if (!strcasecmp(section, "wsl2") && !strcasecmp(key, "memory"))
			dst = m->memory;
		else if (!strcasecmp(section, "wsl2") && !strcasecmp(key, "swap"))
			dst = m->swap;
		else if (!strcasecmp(section, "experimental") && !strcasecmp(key, "autoMemoryReclaim"))
			dst = m->auto_memory_reclaim;
		if (dst)
			snprintf(dst, sizeof(m->memory), "%s", val);
	}
}
