/* Drift reports in text, JSON and Markdown. */
#include "report.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"
#include "yaml_doc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MASK "***"

static bool is_secret(const struct object_id *id)
{
	return !*id->group && !strcmp(id->kind, "Secret");
}

static bool is_secret_path(const char *path)
{
	return !strncmp(path, "data", 4) || !strncmp(path, "stringData", 10);
}

/* Replace a value with "***" (NULL stays NULL: absent is not a secret). */
static struct json_object *masked(struct json_object *v, const char *suffix)
{
	struct buf text = BUF_INIT;
	struct json_object *m;

	if (!v)
		return NULL;
	buf_adds(&text, MASK);
	buf_adds(&text, suffix);
	m = json_object_new_string(text.ptr);
	buf_release(&text);
	return m;
}

static struct json_object *masked_paths(const struct object_id *id, struct json_object *paths)
{
	struct json_object *out = json_object_new_array();
	size_t i, n = paths ? json_object_array_length(paths) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(paths, i), *e;
		const char *path = json_value_get_string(p, "path");

		if (!is_secret(id) || !is_secret_path(path)) {
			json_object_array_add(out, json_value_copy(p));
			continue;
		}
		e = json_object_new_object();
		json_object_object_add(e, "path", json_object_new_string(path));
		json_object_object_add(e, "live", masked(json_value_get(p, "live"), ""));
		json_object_object_add(e, "desired", masked(json_value_get(p, "desired"), ""));
		json_object_array_add(out, e);
	}
	return out;
}

static void copy_id(struct object_id *dst, const struct object_id *src)
{
	dst->group = xstrdup(src->group);
	dst->version = xstrdup(src->version);
	dst->kind = xstrdup(src->kind);
	dst->namespace = xstrdup(src->namespace);
	dst->name = xstrdup(src->name);
}

void report_add(struct report *r, const struct object_id *id, const char *file, size_t line,
                const struct drift *d, struct json_object *live)
{
	struct report_entry *e;

	r->entries = xgrow(r->entries, sizeof(*e), r->n + 1, &r->alloc);
	e = &r->entries[r->n++];
	memset(e, 0, sizeof(*e));
	copy_id(&e->id, id);
	e->file = xstrdup_or_null(file);
	e->line = line;
	e->state = d->state;
	e->live = json_object_get(live);
	e->predicted = json_object_get(d->predicted);
	e->paths = masked_paths(id, d->paths);
	e->unconfirmed = xstrdup_or_null(d->unconfirmed);
}

void report_add_pruned(struct report *r, const struct object_id *id, struct json_object *live)
{
	struct drift d = {.state = DRIFT_EXTRANEOUS};

	report_add(r, id, NULL, 0, &d, live);
}

void report_add_withheld(struct report *r, const struct object_id *id, const char *file,
                         size_t line, enum drift_state state, const char *withheld)
{
	struct drift d = {.state = state};

	report_add(r, id, file, line, &d, NULL);
	r->entries[r->n - 1].withheld = xstrdup(withheld);
}

void report_set_health(struct report *r, const char *state, const char *why)
{
	struct report_entry *e = &r->entries[r->n - 1];

	e->health = state;
	free(e->health_why);
	e->health_why = why ? xstrdup(why) : NULL;
}

void report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct report_entry *e = &r->entries[i];
		object_id_release(&e->id);
		free(e->file);
		json_object_put(e->live);
		json_object_put(e->predicted);
		json_object_put(e->paths);
		free(e->unconfirmed);
		free(e->withheld);
		free(e->health_why);
	}
	free(r->entries);
	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	for (i = 0; i < r->nhooks; i++)
		free(r->hooks[i]);
	free(r->hooks);
	free(r->warnings);
	*r = (struct report)REPORT_INIT;
}

size_t report_count(const struct report *r, size_t counts[DRIFT_STATE_COUNT])
{
	size_t i;

	memset(counts, 0, 4 * sizeof(counts[0]));
	for (i = 0; i < r->n; i++)
		counts[r->entries[i].state]++;
	return r->n - counts[DRIFT_IN_SYNC];
}

/* ---- text: a unified diff of YAML -------------------------------------- */

/*
 * What is shown of an object: no status, no metadata the server keeps for
 * itself (managedFields, uid, resourceVersion, ...), no
 * last-applied annotation (it holds a Secret's values in clear), and Secret
 * values masked, marked (before)/(after) where they change.
 */
static struct json_object *shown(const struct report_entry *e, struct json_object *obj,
                                 struct json_object *other, const char *side)
{
	struct json_object *copy, *meta, *annotations;
	static const char *const secret_maps[] = {"data", "stringData"};
	/* What the server keeps of its own, never in Git. */
	static const char *const server_set[] = {
	    "managedFields",     "uid",        "resourceVersion",
	    "creationTimestamp", "generation", "selfLink",
	};
	size_t i;

	if (!obj)
		return NULL;
	copy = json_value_copy(obj);
	meta = json_value_get(copy, "metadata");
	json_object_object_del(copy, "status");
	for (i = 0; i < ARRAY_SIZE(server_set); i++)
		json_object_object_del(meta, server_set[i]);
	if ((annotations = json_value_get(meta, "annotations"))) {
		json_object_object_del(annotations, LAST_APPLIED_ANNOTATION);
		if (!json_object_object_length(annotations))
			json_object_object_del(meta, "annotations");
	}
	if (!is_secret(&e->id))
		return copy;
	for (i = 0; i < ARRAY_SIZE(secret_maps); i++) {
		struct json_object *map = json_value_get(copy, secret_maps[i]);
		struct json_object *theirs = json_value_get(other, secret_maps[i]);
		if (!json_object_is_type(map, json_type_object))
			continue;
		json_object_object_foreach(map, key, value)
		{
			bool same = json_value_equal(value, json_value_get(theirs, key));
			json_object_object_add(map, key, masked(value, same ? "" : side));
		}
	}
	return copy;
}

struct lines {
	char **v;
	size_t n;
};

static void split_lines(struct lines *l, char *text)
{
	size_t alloc = 0;
	char *p = text, *nl;

	l->v = NULL;
	l->n = 0;
	while (*p) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		l->v = xgrow(l->v, sizeof(*l->v), l->n + 1, &alloc);
		l->v[l->n++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* One step of an edit script: ' ' same, '-' only in a, '+' only in b. */
struct edit {
	char op;
	size_t a, b; /* line numbers (0-based) in a and b */
};

/* Past this many cells the table would be too big: the diff is then every
 * live line removed and every predicted line added. */
#define MAX_DIFF_CELLS (4u << 20)

/* The shortest edit script by the longest common subsequence. */
static struct edit *edit_script(const struct lines *a, const struct lines *b, size_t *n)
{
	size_t i, j, k = 0, w = b->n + 1;
	struct edit *script = xcalloc(a->n + b->n + 1, sizeof(*script));
	unsigned *len;

	if ((a->n + 1) * w > MAX_DIFF_CELLS) {
		for (i = 0; i < a->n; i++)
			script[k++] = (struct edit){'-', i, 0};
		for (j = 0; j < b->n; j++)
			script[k++] = (struct edit){'+', a->n, j};
		*n = k;
		return script;
	}
	len = xcalloc((a->n + 1) * w, sizeof(*len));

	for (i = a->n; i-- > 0;)
		for (j = b->n; j-- > 0;)
			len[i * w + j] =
			    !strcmp(a->v[i], b->v[j])
			        ? len[(i + 1) * w + j + 1] + 1
			        : (len[(i + 1) * w + j] > len[i * w + j + 1] ? len[(i + 1) * w + j]
			                                                     : len[i * w + j + 1]);
	i = j = 0;
	while (i < a->n || j < b->n) {
		if (i < a->n && j < b->n && !strcmp(a->v[i], b->v[j]))
			script[k++] = (struct edit){' ', i++, j++};
		else if (i < a->n && (j == b->n || len[(i + 1) * w + j] >= len[i * w + j + 1]))
			script[k++] = (struct edit){'-', i++, j}; /* removals first, as diff -u */
		else
			script[k++] = (struct edit){'+', i, j++};
	}
	free(len);
	*n = k;
	return script;
}

static void add_line(struct buf *out, char op, const char *line, bool color)
{
	const char *on = !color ? "" : op == '-' ? "\033[31m" : op == '+' ? "\033[32m" : "";

	buf_addf(out, "%s%c%s%s\n", on, op, line, *on ? "\033[0m" : "");
}

/* Hunks of the edit script with `context` lines around each change. */
static void unified(struct buf *out, const struct lines *a, const struct lines *b,
                    const struct edit *s, size_t n, bool color)
{
	const size_t context = 3;
	size_t i = 0;

	while (i < n) {
		size_t start, end, k, a0, b0, na = 0, nb = 0;

		while (i < n && s[i].op == ' ')
			i++;
		if (i == n)
			break;
		start = i > context ? i - context : 0;
		end = i;
		/* Extend while the next change is within 2*context lines. */
		for (k = i; k < n; k++) {
			if (s[k].op != ' ')
				end = k;
			else if (k - end > 2 * context)
				break;
		}
		end = end + context + 1 < n ? end + context + 1 : n;
		a0 = s[start].a;
		b0 = s[start].b;
		for (k = start; k < end; k++) {
			na += s[k].op != '+';
			nb += s[k].op != '-';
		}
		buf_addf(out, "%s@@ -%zu,%zu +%zu,%zu @@%s\n", color ? "\033[36m" : "",
		         na ? a0 + 1 : a0, na, nb ? b0 + 1 : b0, nb, color ? "\033[0m" : "");
		for (k = start; k < end; k++)
			add_line(out, s[k].op, s[k].op == '+' ? b->v[s[k].b] : a->v[s[k].a], color);
		i = end;
	}
}

/* group.version.kind.namespace.name, each part printable. */
static void entry_name(struct buf *out, const struct report_entry *e)
{
	const char *parts[] = {e->id.group, e->id.version, e->id.kind, e->id.namespace, e->id.name};
	size_t i, start = out->len;

	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		if (!*parts[i])
			continue;
		if (out->len > start)
			buf_addch(out, '.');
		buf_add_printable(out, parts[i], NULL);
	}
}

int report_entry_diff(struct buf *out, const struct report_entry *e, bool color)
{
	struct json_object *before, *after;
	struct buf a = BUF_INIT, b = BUF_INIT, name = BUF_INIT;
	struct lines la, lb;
	struct edit *script;
	size_t n;
	int error = 0;

	before = shown(e, e->live, e->predicted, " (before)");
	after = e->state == DRIFT_EXTRANEOUS ? NULL : shown(e, e->predicted, e->live, " (after)");
	if ((before && yaml_emit(&a, before) < 0) || (after && yaml_emit(&b, after) < 0))
		error = -1;
	json_object_put(before);
	json_object_put(after);
	if (!error) {
		entry_name(&name, e);
		buf_addf(out,
		         "%sdiff -u -N live/%s predicted/%s\n--- live/%s\n+++ predicted/%s%s\n",
		         color ? "\033[1m" : "", name.ptr, name.ptr, name.ptr, name.ptr,
		         color ? "\033[0m" : "");
		split_lines(&la, a.ptr);
		split_lines(&lb, b.ptr);
		script = edit_script(&la, &lb, &n);
		unified(out, &la, &lb, script, n, color);
		free(script);
		free(la.v);
		free(lb.v);
	}
	buf_release(&a);
	buf_release(&b);
	buf_release(&name);
	return error;
}

int report_text(struct buf *out, const struct report *r, bool color)
{
	struct buf name = BUF_INIT;
	size_t i;

	for (i = 0; i < r->nhooks; i++)
		buf_addf(out, "# hook %s would run\n", r->hooks[i]);
	for (i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->entries[i];

		if (e->state == DRIFT_IN_SYNC)
			continue;
		if (e->unconfirmed || e->withheld) {
			buf_reset(&name);
			entry_name(&name, e);
			buf_addf(out, "# %s: %s%s\n", name.ptr,
			         e->withheld ? "" : "drift found locally; ",
			         e->withheld ? e->withheld : e->unconfirmed);
		}
		if (!e->withheld && report_entry_diff(out, e, color) < 0) {
			buf_release(&name);
			return -1;
		}
	}
	buf_release(&name);
	return 0;
}

/* ---- JSON and Markdown -------------------------------------------------- */

static struct json_object *entry_json(const struct report_entry *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "group", json_object_new_string(e->id.group));
	json_object_object_add(o, "version", json_object_new_string(e->id.version));
	json_object_object_add(o, "kind", json_object_new_string(e->id.kind));
	json_object_object_add(o, "namespace", json_object_new_string(e->id.namespace));
	json_object_object_add(o, "name", json_object_new_string(e->id.name));
	json_object_object_add(o, "file", e->file ? json_object_new_string(e->file) : NULL);
	json_object_object_add(o, "line", json_object_new_int64((int64_t)e->line));
	json_object_object_add(o, "state", json_object_new_string(drift_state_name(e->state)));
	json_object_object_add(o, "paths", json_object_get(e->paths));
	if (e->unconfirmed)
		json_object_object_add(o, "unconfirmed", json_object_new_string(e->unconfirmed));
	if (e->withheld)
		json_object_object_add(o, "withheld", json_object_new_string(e->withheld));
	if (e->wave)
		json_object_object_add(o, "wave", json_object_new_int64(e->wave));
	if (e->health)
		json_object_object_add(o, "health", json_object_new_string(e->health));
	if (e->health_why)
		json_object_object_add(o, "healthCause", json_object_new_string(e->health_why));
	return o;
}

struct json_object *report_json_doc(const struct report *r)
{
	struct json_object *doc = json_object_new_object(), *summary = json_object_new_object();
	struct json_object *objects = json_object_new_array();
	size_t counts[DRIFT_STATE_COUNT], i;

	report_count(r, counts);
	for (i = 0; i < 4; i++)
		json_object_object_add(summary, drift_state_name((enum drift_state)i),
		                       json_object_new_int64((int64_t)counts[i]));
	for (i = 0; i < r->n; i++)
		json_object_array_add(objects, entry_json(&r->entries[i]));
	json_object_object_add(doc, "summary", summary);
	json_object_object_add(doc, "objects", objects);
	if (r->nhooks) {
		struct json_object *hooks = json_object_new_array();

		for (i = 0; i < r->nhooks; i++)
			json_object_array_add(hooks, json_object_new_string(r->hooks[i]));
		json_object_object_add(doc, "hooks", hooks);
	}
	return doc;
}

int report_json(struct buf *out, const struct report *r)
{
	struct json_object *doc = report_json_doc(r);
	int error = json_value_write(out, doc);

	buf_addch(out, '\n');
	json_object_put(doc);
	return error;
}

/* A mention (@name) notifies no one with a zero-width space after its @. */
#define UNMENTION "@\u200b"

/* Text shown as Markdown outside code: in a table cell, a heading, a
 * warning or a <summary>. Control characters are escaped
 * (buf_add_printable), so that no line break ends the cell or the HTML
 * block; Markdown's own characters too, and HTML's; and a mention is
 * broken. */
static void cell(struct buf *out, const char *s)
{
	struct buf shown = BUF_INIT;
	const char *p;
	char one[2] = {0};

	buf_add_printable(&shown, s, NULL);
	for (p = shown.ptr; *p; p++) {
		if (*p == '|' || *p == '`' || *p == '*' || *p == '_' || *p == '[' || *p == '\\')
			buf_addf(out, "\\%c", *p);
		else if (*p == '@')
			buf_adds(out, UNMENTION);
		else
			one[0] = *p, buf_add_html(out, one);
	}
	buf_release(&shown);
}

/* A code span's text in a table cell: literal, so only a '|' is escaped,
 * a backtick (which would end it) replaced, control characters escaped,
 * and a mention broken all the same. */
static void code_cell(struct buf *out, const char *s)
{
	struct buf shown = BUF_INIT;
	const char *p;

	buf_add_printable(&shown, s, NULL);
	for (p = shown.ptr; *p; p++) {
		if (*p == '|')
			buf_adds(out, "\\|");
		else if (*p == '`')
			buf_addch(out, '\'');
		else if (*p == '@')
			buf_adds(out, UNMENTION);
		else
			buf_addch(out, *p);
	}
	buf_release(&shown);
}

static int cmp_entries(const void *x, const void *y)
{
	const struct report_entry *a = *(const struct report_entry *const *)x;
	const struct report_entry *b = *(const struct report_entry *const *)y;
	int c = strcmp(a->id.kind, b->id.kind);

	return c ? c : object_id_cmp(&a->id, &b->id);
}

/* A state as a preview words it: what applying the commit would do. */
static const char *preview_word(enum drift_state s)
{
	static const char *const words[DRIFT_STATE_COUNT] = {
	    [DRIFT_IN_SYNC] = "unchanged",
	    [DRIFT_DRIFTED] = "change",
	    [DRIFT_MISSING] = "create",
	    [DRIFT_EXTRANEOUS] = "prune",
	};
	return words[s];
}

void report_summary(struct buf *out, const struct report *r)
{
	size_t counts[DRIFT_STATE_COUNT];

	report_count(r, counts);
	if (r->preview)
		buf_addf(out, "would create %zu, change %zu, prune %zu, unchanged %zu",
		         counts[DRIFT_MISSING], counts[DRIFT_DRIFTED], counts[DRIFT_EXTRANEOUS],
		         counts[DRIFT_IN_SYNC]);
	else
		buf_addf(out, "%zu in sync, %zu drifted, %zu missing, %zu extraneous",
		         counts[DRIFT_IN_SYNC], counts[DRIFT_DRIFTED], counts[DRIFT_MISSING],
		         counts[DRIFT_EXTRANEOUS]);
}

/* Append a line (printf-style) to lines[*n]. */
static void append_line(char ***lines, size_t *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void append_line(char ***lines, size_t *n, const char *fmt, va_list ap)
{
	struct buf w = BUF_INIT;

	buf_vaddf(&w, fmt, ap);
	*lines = xrealloc(*lines, (*n + 1) * sizeof(**lines));
	(*lines)[(*n)++] = buf_detach(&w, NULL);
}

void report_warn(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append_line(&r->warnings, &r->nwarnings, fmt, ap);
	va_end(ap);
}

void report_hook(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append_line(&r->hooks, &r->nhooks, fmt, ap);
	va_end(ap);
}

void report_fence(struct buf *out, const char *info, const char *text)
{
	size_t longest = 2, run = 0, len = strlen(text), i;

	for (i = 0; i < len; i++) {
		run = text[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (i = 0; i <= longest; i++)
		buf_addch(out, '`');
	buf_addf(out, "%s\n%s%s", info, text, len && text[len - 1] == '\n' ? "" : "\n");
	for (i = 0; i <= longest; i++)
		buf_addch(out, '`');
	buf_addch(out, '\n');
}

/* The collapsed diff of each object of one kind that is not in sync. */
static int kind_details(struct buf *out, const struct report *r,
                        const struct report_entry *const *entries, size_t n)
{
	struct buf diff = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct report_entry *e = entries[i];

		if (e->state == DRIFT_IN_SYNC || e->withheld)
			continue;
		buf_reset(&diff);
		if (report_entry_diff(&diff, e, false) < 0) {
			buf_release(&diff);
			return -1;
		}
		buf_adds(out, "\n<details><summary>");
		cell(out, e->id.kind);
		buf_addch(out, ' ');
		if (*e->id.namespace) {
			cell(out, e->id.namespace);
			buf_addch(out, '/');
		}
		cell(out, e->id.name);
		buf_adds(out, ": ");
		buf_adds(out, r->preview ? preview_word(e->state) : drift_state_name(e->state));
		buf_adds(out, "</summary>\n\n");
		report_fence(out, "diff", diff.ptr);
		buf_adds(out, "\n</details>\n");
	}
	buf_release(&diff);
	return 0;
}

int report_markdown(struct buf *out, const struct report *r)
{
	const struct report_entry **sorted = xcalloc(r->n + 1, sizeof(*sorted));
	size_t i, j, first = 0;
	int error = 0;

	buf_adds(out, r->preview ? "### berth preview\n\n**" : "### berth drift report\n\n");
	report_summary(out, r);
	buf_adds(out, r->preview ? "**\n" : "\n");
	for (i = 0; i < r->nhooks; i++) {
		buf_adds(out, i ? ", `" : "\nHooks that would run: `");
		code_cell(out, r->hooks[i]);
		buf_adds(out, i + 1 < r->nhooks ? "`" : "`\n");
	}
	for (i = 0; i < r->nwarnings; i++) {
		buf_adds(out, i ? "> " : "\n> ");
		buf_adds(out, "**Warning:** ");
		cell(out, r->warnings[i]);
		buf_adds(out, "\n");
		if (i + 1 < r->nwarnings)
			buf_adds(out, ">\n");
	}
	for (i = 0; i < r->n; i++)
		sorted[i] = &r->entries[i];
	qsort(sorted, r->n, sizeof(*sorted), cmp_entries);
	for (i = 0; i < r->n && !error; i++) {
		const struct report_entry *e = sorted[i];
		size_t np = json_object_array_length(e->paths);

		if (i == 0 || strcmp(sorted[i - 1]->id.kind, e->id.kind)) {
			first = i;
			buf_adds(out, "\n#### ");
			cell(out, e->id.kind);
			buf_adds(out,
			         "\n\n| Namespace | Name | State | Changed |\n|---|---|---|---|\n");
		}
		buf_adds(out, "| ");
		cell(out, *e->id.namespace ? e->id.namespace : "(cluster)");
		buf_adds(out, " | ");
		cell(out, e->id.name);
		buf_addf(out, " | %s%s",
		         r->preview ? preview_word(e->state) : drift_state_name(e->state),
		         e->unconfirmed ? " (unconfirmed)" : "");
		if (e->wave)
			buf_addf(out, " (wave %ld)", e->wave);
		buf_adds(out, " | ");
		if (e->withheld) {
			buf_adds(out, "_");
			cell(out, e->withheld);
			buf_adds(out, "_");
		}
		for (j = 0; j < np; j++) {
			struct json_object *p = json_object_array_get_idx(e->paths, j);
			buf_adds(out, j ? ", `" : "`");
			code_cell(out, json_value_get_string(p, "path"));
			buf_addch(out, '`');
		}
		buf_adds(out, " |\n");
		if (!r->brief && (i + 1 == r->n || strcmp(sorted[i + 1]->id.kind, e->id.kind)))
			error = kind_details(out, r, sorted + first, i + 1 - first);
	}
	free(sorted);
	return error;
}

void report_comment(struct buf *out, const char *marker, struct report *r, const char *sha,
                    const char *refusal, size_t max)
{
	const size_t room = strlen(marker) + 200; /* the marker, the last line, the note */
	const size_t keep = max > room ? max - room : 0;
	static const char refused[] = "### berth preview\n\n**The commit is refused:**\n\n";
	struct buf md = BUF_INIT, cut = BUF_INIT;

	if (refusal) {
		buf_adds(&md, refused);
		report_fence(&md, "", refusal);
		if (md.len > keep) {
			/* Cut inside the fence, which must close: a shorter text
			 * never needs a longer fence. */
			buf_add(&cut, refusal,
			        utf8_fit(refusal, strlen(refusal),
			                 md.len - strlen(refusal) < keep
			                     ? keep - (md.len - strlen(refusal))
			                     : 0));
			buf_reset(&md);
			buf_adds(&md, refused);
			report_fence(&md, "", cut.ptr);
		}
	} else if (report_markdown(&md, r) == 0 && md.len > keep) {
		buf_reset(&md);
		r->brief = true;
		report_markdown(&md, r);
		buf_adds(&md, "\n_The diffs are left out: they would not fit in a comment; "
		              "`berth diff --ref` prints them._\n");
	}
	buf_reset(out);
	buf_addf(out, "%s\n", marker);
	if (md.len > keep) {
		buf_add(out, md.ptr, utf8_fit(md.ptr, md.len, keep));
		buf_adds(out, "\n\n_Cut: the report is longer than a comment may be._");
	} else {
		buf_add(out, md.ptr, md.len);
	}
	buf_addf(out, "\n\n<sub>berth preview of %.12s</sub>\n", sha);
	buf_release(&md);
	buf_release(&cut);
}
