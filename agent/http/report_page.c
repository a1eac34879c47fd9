/* berth run's drift report pages: rendered when a reconcile publishes,
 * served by the listener. */
#include "report_page.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/secret.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A source's last reconcile, with its pages' parts already rendered. */
struct entry {
	char *source, *commit, *result, *error, *commit_url, *health, *health_why;
	double duration_ms;
	time_t time;
	size_t counts[DRIFT_STATE_COUNT];
	/* The last comparison's report, rendered when first asked for:
	 * most reports are never read. */
	struct report rep;
	bool rendered;
	char *json; /* the report's document: {"summary", "objects"} */
	char *html; /* the report's sections */
};

struct report_board {
	pthread_mutex_t lock; /* guards what follows */
	struct entry *entries;
	size_t n;
	char *token_file;
	bool open;
	/* Lease mode: the sources kept, this replica, and who holds each. */
	char **names;
	size_t nnames;
	char *self;
	report_owner_fn *owner;
	void *owner_ctx;
};

/* The states in the order a person reads them. */
static const enum drift_state shown_order[] = {DRIFT_DRIFTED, DRIFT_MISSING, DRIFT_EXTRANEOUS,
                                               DRIFT_IN_SYNC};

static const char style[] =
    "<style>\n"
    ":root{color-scheme:light dark;--add:#e6ffec;--addfg:#055d20;--del:#ffebe9;--delfg:#8c1127;"
    "--line:#d0d7de;--muted:#57606a}\n"
    "@media (prefers-color-scheme:dark){:root{--add:#12361d;--addfg:#7ee2a8;--del:#44161a;"
    "--delfg:#ffa198;--line:#30363d;--muted:#8b949e}}\n"
    "body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:64rem;padding:1rem}\n"
    "h1{font-size:1.5rem;margin:.2rem 0;overflow-wrap:anywhere}h2{font-size:1.2rem;"
    "border-bottom:1px solid var(--line);padding-bottom:.2rem;margin-top:1.5rem}\n"
    "h3{font-size:1rem;margin:.8rem 0 .2rem;overflow-wrap:anywhere}\n"
    "code,pre{font:13px/1.45 ui-monospace,monospace}\n"
    "pre{overflow-x:auto;border:1px solid var(--line);border-radius:6px;padding:.5rem;margin:.3rem "
    "0}\n"
    ".diff span{display:block}.add{background:var(--add);color:var(--addfg)}"
    ".del{background:var(--del);color:var(--delfg)}.hunk{color:var(--muted)}\n"
    ".meta,.where,.crumbs,.note{color:var(--muted);margin:.2rem 0;overflow-wrap:anywhere}\n"
    "table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}"
    "td,th{border:1px solid var(--line);padding:.2rem .4rem;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}\n"
    ".error pre{background:var(--del);color:var(--delfg);white-space:pre-wrap}\n"
    "th{white-space:nowrap}\n"
    ".state{font-weight:600}.names{columns:18rem;padding-left:1.2rem}\n"
    "</style>\n";

void report_board_new(struct report_board **out)
{
	struct report_board *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->lock, NULL);
	*out = b;
}

static void entry_release(struct entry *e)
{
	free(e->source);
	free(e->commit);
	free(e->result);
	free(e->error);
	free(e->commit_url);
	free(e->health);
	free(e->health_why);
	free(e->json);
	free(e->html);
	report_release(&e->rep);
}

void report_board_free(struct report_board *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++)
		entry_release(&b->entries[i]);
	free(b->entries);
	free(b->token_file);
	for (i = 0; i < b->nnames; i++)
		free(b->names[i]);
	free(b->names);
	free(b->self);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

void report_board_access(struct report_board *b, const char *token_file, bool open)
{
	pthread_mutex_lock(&b->lock);
	free(b->token_file);
	b->token_file = xstrdup_or_null(token_file);
	b->open = open;
	pthread_mutex_unlock(&b->lock);
}

bool address_is_loopback(const char *address)
{
	const char *colon = strrchr(address, ':');
	size_t len = colon ? (size_t)(colon - address) : strlen(address);

	if (len >= 2 && address[0] == '[')
		return len == 5 && !strncmp(address, "[::1]", 5);
	return (len == 9 && !strncmp(address, "localhost", 9)) ||
	       (len >= 4 && !strncmp(address, "127.", 4));
}

/* Text from Git or the cluster as HTML: printable (buf_add_printable),
 * then escaped; with `lines`, its line breaks are kept. */
static void add_text(struct buf *out, const char *s, bool lines)
{
	struct buf line = BUF_INIT, shown = BUF_INIT;
	size_t len;

	do {
		len = lines ? strcspn(s, "\n") : strlen(s);
		buf_reset(&line);
		buf_add(&line, s, len);
		buf_reset(&shown);
		buf_add_printable(&shown, line.ptr, NULL);
		buf_add_html(out, shown.ptr);
		s += len;
		if (*s)
			buf_addch(out, *s++);
	} while (*s);
	buf_release(&line);
	buf_release(&shown);
}

static void object_title(struct buf *out, const struct report_entry *e)
{
	buf_adds(out, "<span class=\"kind\">");
	add_text(out, e->id.kind, false);
	buf_adds(out, "</span> ");
	if (*e->id.namespace) {
		add_text(out, e->id.namespace, false);
		buf_addch(out, '/');
	}
	add_text(out, e->id.name, false);
}

static void value_cell(struct buf *out, struct json_object *v)
{
	buf_adds(out, "<td>");
	if (v) {
		buf_adds(out, "<code>");
		buf_add_html(out, json_object_to_json_string_ext(
		                      v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		buf_adds(out, "</code>");
	} else {
		buf_adds(out, "<em>absent</em>");
	}
	buf_adds(out, "</td>");
}

/* A unified diff, each line in a span coloured by what it does. */
static void coloured_diff(struct buf *out, const char *diff)
{
	const char *line = diff, *nl;
	struct buf one = BUF_INIT;

	buf_adds(out, "<pre class=\"diff\">");
	for (; *line; line = nl ? nl + 1 : line + strlen(line)) {
		const char *cls = !strncmp(line, "@@", 2)                                ? "hunk"
		                  : !strncmp(line, "+++", 3) || !strncmp(line, "---", 3) ? "hunk"
		                  : *line == '+'                                         ? "add"
		                  : *line == '-'                                         ? "del"
		                                                                         : NULL;

		nl = strchr(line, '\n');
		buf_reset(&one);
		buf_add(&one, line, nl ? (size_t)(nl - line) : strlen(line));
		buf_addf(out, "<span%s%s%s>", cls ? " class=\"" : "", cls ? cls : "",
		         cls ? "\"" : "");
		buf_add_html(out, one.ptr);
		buf_adds(out, "</span>");
	}
	buf_adds(out, "</pre>\n");
	buf_release(&one);
}

/* One object not in sync: where it is, the paths that differ, its diff. */
static int object_article(struct buf *out, const struct report_entry *e)
{
	struct buf diff = BUF_INIT;
	size_t i, np = json_object_array_length(e->paths);

	buf_adds(out, "<article class=\"object\">\n<h3>");
	object_title(out, e);
	buf_adds(out, "</h3>\n");
	if (e->file) {
		buf_adds(out, "<p class=\"where\">");
		add_text(out, e->file, false);
		buf_addf(out, ":%zu</p>\n", e->line);
	}
	if (e->unconfirmed) {
		buf_adds(out, "<p class=\"note\">found locally; ");
		add_text(out, e->unconfirmed, false);
		buf_adds(out, "</p>\n");
	}
	if (np) {
		buf_adds(out, "<table class=\"paths\"><thead><tr><th>path</th><th>live</th>"
		              "<th>desired</th></tr></thead><tbody>\n");
		for (i = 0; i < np; i++) {
			struct json_object *p = json_object_array_get_idx(e->paths, i);

			buf_adds(out, "<tr><td><code class=\"path\">");
			add_text(out, json_value_get_string(p, "path"), false);
			buf_adds(out, "</code></td>");
			value_cell(out, json_value_get(p, "live"));
			value_cell(out, json_value_get(p, "desired"));
			buf_adds(out, "</tr>\n");
		}
		buf_adds(out, "</tbody></table>\n");
	}
	if (report_entry_diff(&diff, e, false) < 0) {
		buf_release(&diff);
		return -1;
	}
	coloured_diff(out, diff.ptr);
	buf_adds(out, "</article>\n");
	buf_release(&diff);
	return 0;
}

/* The report's sections: one per state, the objects in sync by name. */
static int render_sections(struct buf *out, const struct report *r)
{
	size_t counts[DRIFT_STATE_COUNT], s, i;

	report_count(r, counts);
	for (i = 0; i < r->nwarnings; i++) {
		buf_adds(out, i ? "<li>" : "<section id=\"warnings\"><h2>Warnings</h2><ul><li>");
		add_text(out, r->warnings[i], false);
		buf_adds(out, i + 1 < r->nwarnings ? "</li>" : "</li></ul></section>\n");
	}
	for (i = 0, s = 0; i < r->n; i++) {
		const struct report_entry *e = &r->entries[i];

		if (!e->health || !strcmp(e->health, "Ready"))
			continue;
		buf_adds(out, s++ ? "<li>" : "<section id=\"health\"><h2>Not ready</h2><ul><li>");
		buf_adds(out, "<span class=\"state\">");
		buf_add_html(out, e->health);
		buf_adds(out, "</span> ");
		object_title(out, e);
		if (e->health_why) {
			buf_adds(out, ": ");
			add_text(out, e->health_why, false);
		}
		buf_adds(out, "</li>");
	}
	if (s)
		buf_adds(out, "</ul></section>\n");
	for (s = 0; s < ARRAY_SIZE(shown_order); s++) {
		enum drift_state state = shown_order[s];

		if (!counts[state])
			continue;
		buf_addf(out, "<section id=\"%s\"><h2><span class=\"state\">%s</span> (%zu)</h2>\n",
		         drift_state_name(state), drift_state_name(state), counts[state]);
		if (state == DRIFT_IN_SYNC)
			buf_adds(out, "<ul class=\"names\">\n");
		for (i = 0; i < r->n; i++) {
			const struct report_entry *e = &r->entries[i];

			if (e->state != state)
				continue;
			if (state != DRIFT_IN_SYNC) {
				if (object_article(out, e) < 0)
					return -1;
				continue;
			}
			buf_adds(out, "<li>");
			object_title(out, e);
			buf_adds(out, "</li>\n");
		}
		buf_adds(out, state == DRIFT_IN_SYNC ? "</ul>\n</section>\n" : "</section>\n");
	}
	return 0;
}

static struct entry *find(struct report_board *b, const char *source)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->entries[i].source, source))
			return &b->entries[i];
	return NULL;
}

/* Render the entry's report, once. */
static void render(struct entry *e)
{
	struct buf json = BUF_INIT, html = BUF_INIT;

	if (e->rendered)
		return;
	e->rendered = true;
	free(e->json);
	free(e->html);
	e->json = e->html = NULL;
	if (report_json(&json, &e->rep) == 0 && render_sections(&html, &e->rep) == 0) {
		e->json = buf_detach(&json, NULL);
		e->html = buf_detach(&html, NULL);
	}
	buf_release(&json);
	buf_release(&html);
}

void report_board_publish(struct report_board *b, const struct report_meta *m, struct report *r)
{
	struct entry *e;

	pthread_mutex_lock(&b->lock);
	if (!(e = find(b, m->source))) {
		b->entries = xrealloc(b->entries, (b->n + 1) * sizeof(*b->entries));
		e = &b->entries[b->n++];
		memset(e, 0, sizeof(*e));
		e->source = xstrdup(m->source);
	}
	free(e->commit);
	free(e->result);
	free(e->error);
	free(e->commit_url);
	if (m->health) {
		free(e->health);
		free(e->health_why);
		e->health = xstrdup(m->health);
		e->health_why = xstrdup_or_null(m->health_why);
	}
	e->commit = xstrdup_or_null(m->commit);
	e->result = xstrdup_or_null(m->result);
	e->error = xstrdup_or_null(m->error);
	e->commit_url = xstrdup_or_null(m->commit_url);
	e->duration_ms = m->duration_ms;
	e->time = m->time;
	if (r) {
		report_count(r, e->counts);
		report_release(&e->rep);
		e->rep = *r;
		*r = (struct report)REPORT_INIT;
		e->rendered = false;
	}
	pthread_mutex_unlock(&b->lock);
}

void report_board_keep(struct report_board *b, const char *const *names, size_t n)
{
	size_t i, j, kept = 0;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n; i++) {
		for (j = 0; j < n && strcmp(names[j], b->entries[i].source); j++)
			;
		if (j < n)
			b->entries[kept++] = b->entries[i];
		else
			entry_release(&b->entries[i]);
	}
	b->n = kept;
	for (i = 0; i < b->nnames; i++)
		free(b->names[i]);
	b->names = xrealloc(b->names, (n + 1) * sizeof(*b->names));
	for (i = 0; i < n; i++)
		b->names[i] = xstrdup(names[i]);
	b->nnames = n;
	pthread_mutex_unlock(&b->lock);
}

void report_board_forget(struct report_board *b, const char *source)
{
	struct entry *e;

	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	if ((e = find(b, source))) {
		entry_release(e);
		*e = b->entries[--b->n];
	}
	pthread_mutex_unlock(&b->lock);
}

void report_board_owners(struct report_board *b, const char *self, report_owner_fn *fn, void *ctx)
{
	pthread_mutex_lock(&b->lock);
	free(b->self);
	b->self = xstrdup(self);
	b->owner = fn;
	b->owner_ctx = ctx;
	pthread_mutex_unlock(&b->lock);
}

/* In lease mode, a source kept that has no reconcile here: `stub`. */
static struct entry *kept(struct report_board *b, const char *source, struct entry *stub)
{
	size_t i;

	for (i = 0; b->owner && i < b->nnames; i++)
		if (!strcmp(b->names[i], source)) {
			memset(stub, 0, sizeof(*stub));
			stub->source = b->names[i];
			stub->rendered = true;
			return stub;
		}
	return NULL;
}

/* Who holds `source`, in lease mode, into `out`: "none" when no one. */
static void owner_of(struct buf *out, const struct report_board *b, const char *source)
{
	buf_reset(out);
	b->owner(b->owner_ctx, source, out);
	if (!out->len)
		buf_adds(out, "none");
}

/* ---- serving ----------------------------------------------------------- */

static void iso_time(char out[32], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The fields every answer gives of a source's last reconcile; in lease
 * mode, with the replica that holds it (`owner`). */
static struct json_object *meta_json(const struct entry *e, const char *owner)
{
	struct json_object *o = json_object_new_object();
	char when[32];

	iso_time(when, e->time);
	json_object_object_add(o, "source", json_object_new_string(e->source));
	json_object_object_add(o, "commit", e->commit ? json_object_new_string(e->commit) : NULL);
	json_object_object_add(o, "commitURL",
	                       e->commit_url ? json_object_new_string(e->commit_url) : NULL);
	json_object_object_add(o, "time", e->result ? json_object_new_string(when) : NULL);
	json_object_object_add(o, "result", e->result ? json_object_new_string(e->result) : NULL);
	json_object_object_add(o, "durationSeconds",
	                       json_object_new_double(e->duration_ms / 1000.0));
	json_object_object_add(o, "error", e->error ? json_object_new_string(e->error) : NULL);
	json_object_object_add(o, "health", e->health ? json_object_new_string(e->health) : NULL);
	if (e->health_why)
		json_object_object_add(o, "healthCause", json_object_new_string(e->health_why));
	if (owner)
		json_object_object_add(o, "owner", json_object_new_string(owner));
	return o;
}

/* "Degraded: statefulset db/web: web-2 CrashLoopBackOff ...", or "". */
static void health_line(struct buf *out, const struct entry *e)
{
	if (!e->health)
		return;
	buf_adds(out, "<span class=\"state\">");
	buf_add_html(out, e->health);
	buf_adds(out, "</span>");
	if (e->health_why) {
		buf_adds(out, ": ");
		add_text(out, e->health_why, false);
	}
}

static void counts_line(struct buf *out, const size_t counts[DRIFT_STATE_COUNT])
{
	buf_addf(out, "%zu in sync, %zu drifted, %zu missing, %zu extraneous",
	         counts[DRIFT_IN_SYNC], counts[DRIFT_DRIFTED], counts[DRIFT_MISSING],
	         counts[DRIFT_EXTRANEOUS]);
}

static void page_head(struct buf *out, const char *title)
{
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	              "<title>");
	buf_add_html(out, title);
	buf_adds(out, "</title>\n");
	buf_adds(out, style);
	buf_adds(out, "</head>\n<body>\n");
}

/* A source's name in a URL path. */
static void add_path_segment(struct buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			buf_addch(out, (char)c);
		else
			buf_addf(out, "%%%02X", c);
	}
}

/* The reconcile's line: result, time, duration and the commit, linked. */
static void reconcile_line(struct buf *out, const struct entry *e)
{
	char when[32];

	if (!e->result) {
		buf_adds(out, "none here");
		return;
	}
	iso_time(when, e->time);
	buf_adds(out, "<span class=\"result\">");
	buf_add_html(out, e->result ? e->result : "");
	buf_addf(out, "</span> at <time datetime=\"%s\">%s</time> in %.2f s", when, when,
	         e->duration_ms / 1000.0);
	if (!e->commit || !*e->commit)
		return;
	buf_adds(out, ", commit ");
	if (e->commit_url) {
		buf_adds(out, "<a href=\"");
		buf_add_html(out, e->commit_url);
		buf_adds(out, "\">");
	}
	buf_adds(out, "<code>");
	buf_add(out, e->commit, strlen(e->commit) < 12 ? strlen(e->commit) : 12);
	buf_adds(out, "</code>");
	if (e->commit_url)
		buf_adds(out, "</a>");
}

/* The index's sources: in lease mode every one kept (`stub` for one with
 * no reconcile here), else those that reconciled. */
static size_t rows(const struct report_board *b)
{
	return b->owner ? b->nnames : b->n;
}

static const struct entry *row(struct report_board *b, size_t i, struct entry *stub)
{
	const struct entry *e;

	if (!b->owner)
		return &b->entries[i];
	if ((e = find(b, b->names[i])))
		return e;
	memset(stub, 0, sizeof(*stub));
	stub->source = b->names[i];
	return stub;
}

static void index_html(struct buf *out, struct report_board *b)
{
	struct buf owner = BUF_INIT;
	struct entry stub;
	size_t i;

	page_head(out, "berth report");
	buf_adds(out, "<h1>berth report</h1>\n");
	if (b->owner) {
		buf_adds(out, "<p class=\"meta\">This replica: <code>");
		buf_add_html(out, b->self);
		buf_adds(out,
		         "</code>. Each source is reconciled, and reported, by its owner.</p>\n");
	}
	if (!rows(b))
		buf_adds(out, "<p>No source has reconciled yet.</p>\n");
	else
		buf_addf(out,
		         "<table class=\"sources\"><thead><tr><th>source</th>%s"
		         "<th>last reconcile</th><th>health</th><th>objects</th></tr></thead>"
		         "<tbody>\n",
		         b->owner ? "<th>owner</th>" : "");
	for (i = 0; i < rows(b); i++) {
		const struct entry *e = row(b, i, &stub);

		buf_adds(out, "<tr><td><a href=\"/report/");
		add_path_segment(out, e->source);
		buf_adds(out, "\">");
		buf_add_html(out, e->source);
		buf_adds(out, "</a></td><td>");
		if (b->owner) {
			owner_of(&owner, b, e->source);
			buf_add_html(out, owner.ptr);
			buf_adds(out, "</td><td>");
		}
		reconcile_line(out, e);
		buf_adds(out, "</td><td>");
		health_line(out, e);
		buf_adds(out, "</td><td>");
		counts_line(out, e->counts);
		buf_adds(out, "</td></tr>\n");
	}
	buf_adds(out, rows(b) ? "</tbody></table>\n</body>\n</html>\n" : "</body>\n</html>\n");
	buf_release(&owner);
}

static void source_html(struct buf *out, const struct entry *e, const char *owner)
{
	page_head(out, e->source);
	buf_adds(out,
	         "<header>\n<p class=\"crumbs\"><a href=\"/report\">berth report</a></p>\n<h1>");
	buf_add_html(out, e->source);
	buf_adds(out, "</h1>\n");
	if (owner) {
		buf_adds(out, "<p class=\"owner\">Owner: <code>");
		buf_add_html(out, owner);
		buf_adds(out, "</code></p>\n");
	}
	buf_adds(out, "<p class=\"meta\">");
	reconcile_line(out, e);
	buf_adds(out, "</p>\n<p class=\"summary\">");
	counts_line(out, e->counts);
	buf_adds(out, "</p>\n<p class=\"health\">");
	health_line(out, e);
	buf_adds(out, "</p>\n</header>\n");
	if (e->error) {
		buf_adds(out, "<section class=\"error\" id=\"error\"><h2>Last error</h2><pre>");
		add_text(out, e->error, true);
		buf_adds(out, "</pre></section>\n");
	}
	buf_adds(out, e->html ? e->html
	              : owner ? "<p>No report here: the owner reconciles this source, and "
	                        "its /report has its report.</p>\n"
	                      : "<p>No report yet: the source has not been compared.</p>\n");
	buf_adds(out, "</body>\n</html>\n");
}

static void json_answer(struct http_response *resp, struct json_object *doc)
{
	resp->content_type = "application/json";
	buf_adds(&resp->body, json_object_to_json_string_ext(
	                          doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_addch(&resp->body, '\n');
	json_object_put(doc);
}

static void index_json(struct http_response *resp, struct report_board *b)
{
	struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
	struct buf owner = BUF_INIT;
	struct entry stub;
	size_t i, s;

	for (i = 0; i < rows(b); i++) {
		const struct entry *e = row(b, i, &stub);
		struct json_object *o, *summary = json_object_new_object();

		if (b->owner)
			owner_of(&owner, b, e->source);
		o = meta_json(e, b->owner ? owner.ptr : NULL);
		for (s = 0; s < DRIFT_STATE_COUNT; s++)
			json_object_object_add(summary, drift_state_name((enum drift_state)s),
			                       json_object_new_int64((int64_t)e->counts[s]));
		json_object_object_add(o, "summary", summary);
		json_object_array_add(list, o);
	}
	json_object_object_add(doc, "sources", list);
	json_answer(resp, doc);
	buf_release(&owner);
}

static void source_json(struct http_response *resp, const struct entry *e, const char *owner)
{
	struct json_object *doc = meta_json(e, owner);
	struct json_object *report = e->json ? json_value_parse(e->json, strlen(e->json)) : NULL;

	json_object_object_add(doc, "summary", json_value_copy(json_value_get(report, "summary")));
	json_object_object_add(doc, "objects",
	                       report ? json_value_copy(json_value_get(report, "objects"))
	                              : json_object_new_array());
	json_object_put(report);
	json_answer(resp, doc);
}

/* Does the request carry the token of the board's token file? */
static bool authorized(const struct report_board *b, const struct http_request *req)
{
	const char *auth = http_request_header(req, "Authorization");
	struct buf token = BUF_INIT;
	bool ok = false;
	size_t i, len;
	unsigned char diff = 0;

	/* config_load() says why a token is refused. */
	if (secret_read(&token, b->token_file, NULL, "token") == 0) {
		if (auth && !strncasecmp(auth, "Bearer ", 7)) {
			auth += 7;
			len = strlen(auth);
			for (i = 0; i < token.len; i++)
				diff |= (unsigned char)(token.ptr[i] ^ (i < len ? auth[i] : 0));
			ok = !diff && len == token.len;
		}
	}
	buf_release_secret(&token);
	return ok;
}

/* The source named by the rest of the path, percent-decoded. */
static void decode_segment(struct buf *out, const char *s)
{
	unsigned v;

	for (; *s; s++) {
		if (*s == '%' && s[1] && s[2] && sscanf(s + 1, "%2x", &v) == 1) {
			buf_addch(out, (char)v);
			s += 2;
		} else {
			buf_addch(out, *s);
		}
	}
}

void report_board_serve(struct report_board *b, struct http_response *resp,
                        const struct http_request *req)
{
	const char *accept = http_request_header(req, "Accept");
	bool json = accept && strstr(accept, "application/json");
	struct buf name = BUF_INIT, owner = BUF_INIT;
	struct entry *e, stub;

	pthread_mutex_lock(&b->lock);
	if (!b->token_file && !b->open) {
		resp->status = 404;
		buf_adds(&resp->body, "not found: the report needs reportTokenFile when berth "
		                      "listens beyond loopback\n");
	} else if (b->token_file && !authorized(b, req)) {
		resp->status = 401;
		buf_adds(&resp->body, "the report needs the bearer token of reportTokenFile\n");
	} else if (!strcmp(req->path, "/report") || !strcmp(req->path, "/report/")) {
		if (json)
			index_json(resp, b);
		else
			index_html(&resp->body, b), resp->content_type = "text/html; charset=utf-8";
	} else if (decode_segment(&name, req->path + strlen("/report/")),
	           !(e = find(b, name.ptr)) && !(e = kept(b, name.ptr, &stub))) {
		resp->status = 404;
		buf_adds(&resp->body, "no such source\n");
	} else {
		if (b->owner)
			owner_of(&owner, b, e->source);
		render(e);
		if (json) {
			source_json(resp, e, b->owner ? owner.ptr : NULL);
		} else {
			resp->content_type = "text/html; charset=utf-8";
			source_html(&resp->body, e, b->owner ? owner.ptr : NULL);
		}
	}
	pthread_mutex_unlock(&b->lock);
	buf_release(&name);
	buf_release(&owner);
}
