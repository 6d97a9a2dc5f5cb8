/* SPDX-License-Identifier: MIT */
#include "conflicts/conflicts.h"

#include <stdlib.h>
#include <string.h>

#include "conflicts/rules.h"
#include "shared/text_escape.h"
#include "shared/json_util.h"

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string_lossy(s) : json_null();
}

static json_t *finding_json(const struct finding *x)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:o, s:o}, s:o}",
			 "id", x->id, "severity", severity_name(x->severity),
			 "kind", finding_kind_name(x->kind), "name", json_string_lossy(x->name),
			 "message", json_string_lossy(x->message),
			 "evidence", "file", str_or_null(x->file), "value", str_or_null(x->value),
			 "remedy", str_or_null(x->remedy));
}

static json_t *databases_json(const struct conflict_facts *f)
{
	json_t *arr = json_array();

	for (unsigned k = 0; k < _PKGDB_MAX; k++) {
		const struct pkgdb *db = &f->dbs[k];

		if (!db->present)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:o, s:s, s:o, s:I, s:I}",
			"format", pkgdb_kind_name(k), "path", json_string_lossy(db->st.path),
			"state", source_state_name(db->st.state), "reason", str_or_null(db->st.reason),
			"packages", (json_int_t)db->n, "dropped", (json_int_t)db->dropped));
	}
	return arr;
}

json_t *conflicts_json(const struct conflict_facts *f, const struct finding_list *l,
		       const struct diag_list *d)
{
	json_t *findings = json_array(), *doc;

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(findings, finding_json(&l->items[i]));
	doc = json_pack("{s:i, s:s, s:o, s:o, s:o, s:b, s:o, s:I, s:I, s:o}",
			"schema_version", 1, "agent_version", PACKAGE_VERSION,
			"root", json_string_lossy(f->root[0] ? f->root : "/"),
			"os_id", str_or_null(f->os_id),
			"databases", databases_json(f),
			"desktop_integration", f->env.desktop_integration,
			"desktop_evidence", str_or_null(f->env.desktop_evidence),
			"conflicts", (json_int_t)conflicts_count(l),
			"findings_dropped", (json_int_t)l->dropped,
			"findings", findings);
	if (doc && d)
		json_object_set_new(doc, "diagnostics", diag_to_json(d));
	return doc;
}

/* Names, values and paths come from files a package or a user wrote (a
 * package's name, a daemon.json value, os-release): escaped as the
 * memory report's are, so none steers the terminal or forges a line. */
#define ESC(field, buf) text_escape(field, buf, sizeof(buf))

static void finding_text(FILE *out, const struct finding *x)
{
	char name[TEXT_ESCAPED_SIZE(sizeof(x->name))], msg[TEXT_ESCAPED_SIZE(sizeof(x->message))];
	char file[TEXT_ESCAPED_SIZE(sizeof(x->file))], value[TEXT_ESCAPED_SIZE(sizeof(x->value))];
	char remedy[TEXT_ESCAPED_SIZE(sizeof(x->remedy))];

	fprintf(out, "\n%-8s %-11s %s: %s\n", severity_name(x->severity),
		finding_kind_name(x->kind), ESC(x->name, name), ESC(x->message, msg));
	if (x->file[0] || x->value[0])
		fprintf(out, "         evidence: %s%s%s\n", ESC(x->file, file),
			x->file[0] && x->value[0] ? "  " : "", ESC(x->value, value));
	if (x->remedy[0])
		fprintf(out, "         remedy:   %s\n", ESC(x->remedy, remedy));
}

void conflicts_text(FILE *out, const struct conflict_facts *f, const struct finding_list *l)
{
	char os_id[TEXT_ESCAPED_SIZE(sizeof(f->os_id))], path[TEXT_ESCAPED_SIZE(PATH_MAX)];
	size_t n = conflicts_count(l);

	fprintf(out, "Distribution: %s\n", f->os_id[0] ? ESC(f->os_id, os_id) : "unknown");
	for (unsigned k = 0; k < _PKGDB_MAX; k++)
		if (f->dbs[k].present)
			fprintf(out, "Package database: %s %s (%zu packages%s)\n", pkgdb_kind_name(k),
				ESC(f->dbs[k].st.path, path), f->dbs[k].n,
				f->dbs[k].st.state == SOURCE_OK ? "" : ", unreadable");
	for (size_t i = 0; i < l->n; i++)
		finding_text(out, &l->items[i]);
	if (l->dropped)
		fprintf(out, "\n%zu more findings were dropped\n", l->dropped);
	if (f->distro_unknown)
		fprintf(out, "\nNative Docker installs could not be checked: no os-release and no "
			"package database under %s.\n", f->root[0] ? ESC(f->root, path) : "/");
	else if (n)
		fprintf(out, "\n%zu finding%s stand%s in Docker Desktop's way;"
			" `wsldock-agent conflicts --fix` removes what it can.\n",
			n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	else
		fprintf(out, "\nNo native Docker install conflicts with Docker Desktop.\n");
}

struct conflicts_snapshot *conflicts_snapshot_collect(const char *root)
{
	struct conflicts_snapshot *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	conflicts_collect(&c->facts, root, &c->diags);
	conflicts_decide(&c->facts, &c->findings);
	return c;
}

void conflicts_snapshot_free(struct conflicts_snapshot *c)
{
	if (!c)
		return;
	conflicts_facts_free(&c->facts);
	diag_free(&c->diags);
	free(c);
}

json_t *conflicts_report_json(const struct conflicts_snapshot *c)
{
	json_t *doc = c ? conflicts_json(&c->facts, &c->findings, &c->diags) : NULL;

	return doc ? doc : json_null();
}

void conflicts_report_text(FILE *out, const struct conflicts_snapshot *c)
{
	if (!c)
		return;
	fprintf(out, "\nConflicting Docker installs (wsldock-agent conflicts)\n");
	conflicts_text(out, &c->facts, &c->findings);
	for (size_t i = 0; i < c->diags.n; i++)
		fprintf(out, "  %s\n", c->diags.items[i]);
}
