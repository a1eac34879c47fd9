#ifndef BERTH_REPORT_H
#define BERTH_REPORT_H

#include "base/buf.h"
#include "drift.h"
#include "object.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * Drift reports: what differs between Git and the cluster, for people (a
 * unified diff, a Markdown table for a pull request) and for programs (JSON).
 * Secret values never appear: data and stringData show as "***".
 */

/* One object of the report. The entry borrows nothing: it owns copies. */
struct report_entry {
	struct object_id id;
	char *file; /* where the manifest is; NULL for extraneous objects */
	size_t line;
	enum drift_state state;
	struct json_object *live;      /* NULL when missing */
	struct json_object *predicted; /* live after the patch; NULL when extraneous */
	struct json_object *paths;     /* [{path, live, desired}], values masked */
	char *unconfirmed;             /* drift the server did not confirm: why */
	char *withheld;                /* why nothing of it is shown (a preview of an object this
	                                * source does not manage); NULL: shown */
	/* Its health ("Ready", "Progressing", "Degraded", "Failed") and why
	 * it is not Ready; NULL: not known (nothing read of it). */
	const char *health;
	char *health_why;
	long wave; /* its berth.io/wave; 0: none */
};

struct report {
	struct report_entry *entries;
	size_t n, alloc;
	/* A preview of a commit not applied yet: the states are worded as what
	 * applying it would do (create, change, prune, unchanged). */
	bool preview;
	bool brief;      /* Markdown without the folded diffs, when they would not fit */
	char **warnings; /* what a person should know first, one line each */
	size_t nwarnings;
	char **hooks; /* the hooks that would run: "pre-sync job ns/migrate" */
	size_t nhooks;
};
#define REPORT_INIT                                                                                \
	{                                                                                          \
		.entries = NULL, .n = 0, .alloc = 0, .preview = false, .brief = false,             \
		.warnings = NULL, .nwarnings = 0, .hooks = NULL, .nhooks = 0                       \
	}

/*
 * Add an object. `id` is copied; `file` may be NULL; `d` is the drift of
 * the object (its predicted object and paths are taken by reference);
 * `live` may be NULL.
 */
void report_add(struct report *r, const struct object_id *id, const char *file, size_t line,
                const struct drift *d, struct json_object *live);
/* Add an object that left Git and that prune would delete (`live`, may be
 * NULL, is taken by reference). */
void report_add_pruned(struct report *r, const struct object_id *id, struct json_object *live);
/* Add an object of which nothing but its name and `state` may be shown,
 * and why (`withheld`, copied): its live content is not the reader's to
 * see. */
void report_add_withheld(struct report *r, const struct object_id *id, const char *file,
                         size_t line, enum drift_state state, const char *withheld);
/* Say the health of the object added last: `state` (a static string) and
 * why it is not Ready (NULL: nothing; copied). */
void report_set_health(struct report *r, const char *state, const char *why);
void report_release(struct report *r);

/* Counts by state; returns the number of objects not in sync. */
size_t report_count(const struct report *r, size_t counts[DRIFT_STATE_COUNT]);

/*
 * A unified diff of each object that is not in sync, its live YAML against
 * the predicted YAML, three lines of context, as `kubectl diff` prints it.
 * `color` adds ANSI colours (use it only on a terminal).
 */
int report_text(struct buf *out, const struct report *r, bool color);

/*
 * JSON: {"summary": {"in-sync": N, "drifted": N, "missing": N,
 * "extraneous": N}, "objects": [{"group", "version", "kind", "namespace",
 * "name", "file", "line", "state", "paths": [{"path", "live", "desired"}],
 * for drift the server did not confirm, "unconfirmed": why, for an
 * object not shown, "withheld": why, when it is known, "health" and
 * what is not Ready, "healthCause", and in a wave but 0, "wave"}]}
 */
int report_json(struct buf *out, const struct report *r);

/* The same document, to add to (the caller puts it). */
struct json_object *report_json_doc(const struct report *r);

/* The unified diff of one object not in sync, its live YAML against the
 * predicted, as report_text() prints each. */
int report_entry_diff(struct buf *out, const struct report_entry *e, bool color);

/* Add a warning (printf-style). */
void report_warn(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add a hook that would run (printf-style): the text says it ("hook
 * pre-sync job ns/migrate would run"), the JSON lists it ("hooks"), and
 * the Markdown after the summary. */
void report_hook(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The counts in a line: "3 in sync, 1 drifted, 0 missing, 0 extraneous",
 * or for a preview "would create 1, change 3, prune 0, unchanged 20". */
void report_summary(struct buf *out, const struct report *r);

/*
 * Markdown, fit to paste into a pull request: a heading, the summary line,
 * the warnings, then per kind a table of its objects and, for each one not
 * in sync, its diff in a collapsed <details>. Names and values are escaped:
 * no HTML, no Markdown, no mention and no control character from Git or
 * the cluster gets through.
 */
int report_markdown(struct buf *out, const struct report *r);

/*
 * Append `text` as a fenced code block of info string `info` (may be ""):
 * its fence is longer than any run of backticks in `text`, so nothing in
 * it can close the block. Every fence berth writes in Markdown is this
 * one.
 */
void report_fence(struct buf *out, const char *info, const char *text);

/*
 * The body of a pull request's comment: `marker` (the hidden line that
 * finds the comment again), then the Markdown report of `r` (without its
 * diffs, then cut, when it would not fit in `max` bytes; r->brief is set
 * then) or, when `refusal` is not NULL, that refusal in a fence; then the
 * commit `sha`. Whatever is cut is cut between two UTF-8 characters, and a
 * refusal inside its fence. Replaces what `out` held.
 */
void report_comment(struct buf *out, const char *marker, struct report *r, const char *sha,
                    const char *refusal, size_t max);

#endif
