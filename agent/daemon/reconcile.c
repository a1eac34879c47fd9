/* The reconcile of one source: fetch, check, compare, decide, then apply
 * or report, and say how it ended everywhere berth says it. */
#define _GNU_SOURCE /* fopencookie */
#include "reconcile.h"

#include "state.h"

#include "../source/plan_report.h"
#include "../source/target.h"

#include "../../apply/prune.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long loading one source's manifests may take: the limits of files,
 * bytes and objects bound it already; this bounds what they cannot. */
#define LOAD_TIMEOUT_MS 60000.0

/* A load's stops: SIGTERM, and when it must be done by. */
struct load_limit {
	struct stop *stop;
	double deadline;
};

/* Why a source's load must stop now (manifest_options.stop), or NULL. */
static const char *load_stop(void *ctx)
{
	const struct load_limit *l = ctx;

	if (stop_requested(l->stop))
		return "berth is stopping";
	if (clock_now_ms() > l->deadline)
		return "loading took longer than 60 s";
	return NULL;
}

void reconcile_log_warning(const char *message, void *ctx)
{
	log_line("warn", "warning", "source", ctx ? (const char *)ctx : "", "problem", message,
	         NULL);
}

/* A sync's progress lines (each write, each wait: "waiting for statefulset
 * ns/web: 1 of 2 pods updated"), as debug lines of its source. */
static ssize_t progress_write(void *ctx, const char *data, size_t n)
{
	const char *end = data + n, *nl;
	char *line;

	for (; data < end; data = nl + 1) {
		if (!(nl = memchr(data, '\n', (size_t)(end - data))))
			nl = end;
		if (nl > data) {
			line = xstrndup(data, (size_t)(nl - data));
			log_line("debug", "progress", "source", (const char *)ctx, "line", line,
			         NULL);
			free(line);
		}
	}
	return (ssize_t)n;
}

static FILE *progress_open(const char *source)
{
	FILE *f =
	    fopencookie((void *)source, "w", (cookie_io_functions_t){.write = progress_write});

	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

static const double reconcile_buckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
static const double fetch_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
static const struct metric_family reconcile_duration = {
    "berth_reconcile_duration_seconds",
    "How long reconciling a source took, by result: applied, in-sync, drift-reported, failed.",
    METRIC_HISTOGRAM, reconcile_buckets, ARRAY_SIZE(reconcile_buckets)};
static const struct metric_family last_success = {
    "berth_last_successful_reconcile_timestamp_seconds",
    "When a source last reconciled without an error, in seconds since the epoch.", METRIC_GAUGE,
    NULL, 0};
static const struct metric_family objects = {
    "berth_objects",
    "A source's objects by state after its last reconcile: in-sync, drifted, missing.",
    METRIC_GAUGE, NULL, 0};
static const struct metric_family git_fetch = {
    "berth_git_fetch_duration_seconds",
    "How long asking the remote where the ref points took, with the fetch when it moved, by "
    "result: unchanged, fetched, failed.",
    METRIC_HISTOGRAM, fetch_buckets, ARRAY_SIZE(fetch_buckets)};
static const struct metric_family api_requests = {
    "berth_api_requests_total",
    "Requests sent to the Kubernetes API, by verb (the HTTP method) and code (0: no answer).",
    METRIC_COUNTER, NULL, 0};
static const struct metric_family source_health = {
    "berth_source_health",
    "A source's health after its last reconcile that read its objects, the worst of theirs: 1 "
    "for its state (Ready, Progressing, Degraded, Failed), 0 for the others.",
    METRIC_GAUGE, NULL, 0};
static const struct metric_family object_health = {
    "berth_object_health",
    "A source's objects by kind and health after its last reconcile that read them.", METRIC_GAUGE,
    NULL, 0};
const struct metric_family *const reconcile_families[] = {
    &reconcile_duration, &last_success,  &objects,      &git_fetch,
    &api_requests,       &source_health, &object_health};
const size_t reconcile_nfamilies = ARRAY_SIZE(reconcile_families);

void reconcile_count_request(const char *method, long status, void *ctx)
{
	char code[16];

	snprintf(code, sizeof(code), "%ld", status);
	metrics_record(ctx, &api_requests, 1, "verb", method, "code", code, NULL);
}

/* How a reconcile ended: its log message, and its label in the metrics. */
enum result {
	RESULT_IN_SYNC,
	RESULT_APPLIED,
	RESULT_DRIFT_REPORTED,
	RESULT_FAILED,
	RESULT_HELD, /* a new commit, held until the sources it depends on are Ready */
	RESULT_COUNT,
};
static const char *const result_messages[RESULT_COUNT] = {"in sync", "applied", "drift reported",
                                                          "reconcile failed", "held"};
static const char *const result_labels[RESULT_COUNT] = {"in-sync", "applied", "drift-reported",
                                                        "failed", "held"};

/* A source's health after a reconcile: its worst object's, or what holds
 * it; `known` when the reconcile read its objects or held it. */
struct source_health {
	bool known;
	enum readiness state;
	struct buf cause;
};

/* The health of a source, and of its objects, in the metrics: each state
 * of each kind the plan holds. */
static void record_health(struct runner *r, const struct source_config *s,
                          const struct source_health *health, const struct sync_plan *plan)
{
	size_t i, j, n[READINESS_FAILED + 1];
	enum readiness h;

	for (h = READINESS_READY; h <= READINESS_FAILED; h++)
		metrics_record(r->metrics, &source_health, h == health->state ? 1 : 0, "source",
		               s->name, "state", readiness_name(h), NULL);
	for (i = 0; i < plan->n; i++) {
		const char *kind = plan->items[i].m->id.kind;

		/* Each kind once, at its first object. */
		for (j = 0; j < i && strcmp(plan->items[j].m->id.kind, kind); j++)
			;
		if (j < i)
			continue;
		memset(n, 0, sizeof(n));
		for (j = i; j < plan->n; j++)
			if (!strcmp(plan->items[j].m->id.kind, kind))
				n[plan->items[j].health]++;
		for (h = READINESS_READY; h <= READINESS_FAILED; h++)
			metrics_record(r->metrics, &object_health, (double)n[h], "source", s->name,
			               "kind", kind, "state", readiness_name(h), NULL);
	}
}

/* What a reconcile leaves in the metrics. */
static void record(struct runner *r, const struct source_config *s, const struct target *t,
                   bool compared, const struct source_health *health, const char *result, double ms,
                   int error)
{
	size_t n[DRIFT_MISSING + 1] = {0}, i;

	metrics_record(r->metrics, &reconcile_duration, ms / 1000, "source", s->name, "result",
	               result, NULL);
	if (t->fetch_ms > 0)
		metrics_record(r->metrics, &git_fetch, t->fetch_ms / 1000, "source", s->name,
		               "result",
		               !t->commit.id[0]    ? "failed"
		               : t->commit.fetched ? "fetched"
		                                   : "unchanged",
		               NULL);
	/* Health, after a wait that failed too. */
	if (health->known)
		record_health(r, s, health, &t->plan);
	if (error < 0)
		return;
	metrics_record(r->metrics, &last_success, (double)time(NULL), "source", s->name, NULL);
	if (!compared)
		return; /* the objects are as the last comparison counted them */
	for (i = 0; i < t->plan.n; i++) {
		const struct sync_item *it = &t->plan.items[i];
		bool written = it->action != SYNC_PENDING && it->action != SYNC_FAILED;

		if (written || it->drift.state <= DRIFT_MISSING)
			n[written ? DRIFT_IN_SYNC : it->drift.state]++;
	}
	for (i = DRIFT_IN_SYNC; i <= DRIFT_MISSING; i++)
		metrics_record(r->metrics, &objects, (double)n[i], "source", s->name, "state",
		               drift_state_name((enum drift_state)i), NULL);
}

static void add_count(struct json_object *fields, const char *key, size_t n)
{
	char v[24];

	snprintf(v, sizeof(v), "%zu", n);
	json_object_object_add(fields, key, json_object_new_string(v));
}

/* One "warning" line per warning of a source's manifests, at its place. */
static void log_warnings(const char *source, const struct diagnostics *warnings,
                         const char *checkout)
{
	size_t i;

	for (i = 0; i < warnings->n; i++) {
		const struct diagnostic *w = &warnings->items[i];
		const char *problem = w->message;
		char where[32];

		if (!strncmp(problem, "warning: ", 9))
			problem += 9;
		snprintf(where, sizeof(where), "%zu:%zu", w->line, w->column);
		log_line("warn", "warning", "source", source, "file", repo_path(w->file, checkout),
		         "at", where, "problem", problem, NULL);
	}
}

/* Queue the word on a commit of `s`, when it reports to a forge; none
 * when stopping, which says nothing of the commit. */
static void post_status(struct runner *r, const struct source_config *s, const char *sha,
                        enum status_state state, const char *description, bool settle)
{
	if (stop_requested(r->stop))
		return;
	reporter_post(r->reporter, &s->status, s->name,
	              r->config->cluster ? r->config->cluster : "default", sha, state, description,
	              settle);
}

/* Log a source's health when its state is not the one last said. */
static void say_health(struct runner *r, const struct source_config *s, enum readiness state,
                       const char *cause)
{
	struct json_object *last = json_value_get(r->health, s->name), *now;
	const char *was = json_value_get_string(last, "state");

	if (was && !strcmp(was, readiness_name(state)))
		return;
	log_line(state >= READINESS_DEGRADED ? "warn" : "info", "health changed", "source", s->name,
	         "state", readiness_name(state), "was", was ? was : "unknown", "cause", cause,
	         NULL);
	now = json_object_new_object();
	json_object_object_add(now, "state", json_object_new_string(readiness_name(state)));
	json_object_object_add(now, "cause", json_object_new_string(cause));
	json_object_object_add(r->health, s->name, now);
}

/* Is every source `s` depends on Ready, at the commit it applied last (not
 * one whose apply failed)? When not, `why` says which it waits for and
 * how that one stands: "waiting for db (Progressing: statefulset ns/db: 1
 * of 3 pods ready; db-1 Pending)". */
static bool dependencies_ready(struct runner *r, const struct source_config *s, struct buf *why)
{
	size_t k;

	for (k = 0; s->depends_on && s->depends_on[k]; k++) {
		const char *dep = s->depends_on[k];
		struct json_object *h = json_value_get(r->health, dep);
		const char *state = json_value_get_string(h, "state"),
		           *cause = json_value_get_string(h, "cause");

		if (state && !strcmp(state, "Ready") && json_value_get(r->state, dep) &&
		    !json_value_get(r->failed, dep))
			continue;
		buf_addf(why, "waiting for %s (", dep);
		if (json_value_get(r->failed, dep))
			buf_addf(why, "its commit %.7s failed",
			         json_value_get_string(r->failed, dep));
		else if (!state || !json_value_get(r->state, dep))
			buf_adds(why, "it has applied no commit yet");
		else
			buf_adds(why, state);
		if (cause && *cause && strcmp(state ? state : "", "Ready"))
			buf_addf(why, ": %s", cause);
		buf_addch(why, ')');
		return false;
	}
	return true;
}

bool reconcile_released(struct runner *r, const struct source_config *s)
{
	struct buf why = BUF_INIT;
	bool released = json_value_get(r->held, s->name) && dependencies_ready(r, s, &why);

	buf_release(&why);
	return released;
}

/* What the reconcile of `s` found, for its report page: the objects of its
 * plan when it got that far (`compared`), else the last ones stay. */
static void publish_report_page(struct runner *r, const struct source_config *s, struct target *t,
                                bool compared, const struct source_health *health,
                                enum result result, const char *error, double ms)
{
	struct report rep = REPORT_INIT;
	struct buf url = BUF_INIT;
	struct report_meta m = {.source = s->name,
	                        .result = result_labels[result],
	                        .error = error,
	                        .duration_ms = ms,
	                        .time = time(NULL)};
	size_t i;

	if (!r->reports)
		return;
	m.commit = t->commit.id[0] ? t->commit.id : NULL;
	if (m.commit && s->status.enabled) {
		forge_commit_url(&url, s->status.provider, s->status.base_url, s->status.repository,
		                 m.commit);
		m.commit_url = url.ptr;
	}
	if (health->known) {
		m.health = readiness_name(health->state);
		m.health_why = health->cause.len ? health->cause.ptr : NULL;
	}
	if (compared)
		plan_report_items(&rep, t);
	/* Files by their path in the repository, not in berth's cache. */
	for (i = 0; i < rep.n; i++) {
		char *file = rep.entries[i].file;

		if (file)
			memmove(file, repo_path(file, t->checkout),
			        strlen(repo_path(file, t->checkout)) + 1);
	}
	report_board_publish(r->reports, &m, compared ? &rep : NULL);
	report_release(&rep);
	buf_release(&url);
}

/* The commit status of a reconcile that ended as `result` after `action`. */
static void post_outcome(struct runner *r, const struct source_config *s, const struct target *t,
                         enum result result, enum reconcile_action action, size_t drifted,
                         size_t pruned, int error, const struct source_health *health,
                         struct buf *description)
{
	if (result == RESULT_FAILED && health->state >= READINESS_DEGRADED) {
		/* "degraded: statefulset db/web: ...; web-2 CrashLoopBackOff ..." */
		buf_reset(description);
		buf_addf(description, "%s: %s",
		         health->state == READINESS_FAILED ? "failed" : "degraded",
		         health->cause.ptr);
		post_status(r, s, t->commit.id, STATUS_FAILURE, description->ptr, false);
	} else if (result == RESULT_HELD) {
		/* "waiting for db (...)" */
		buf_reset(description);
		buf_adds(description, health->cause.ptr);
		post_status(r, s, t->commit.id, STATUS_PENDING, description->ptr, false);
	} else if (result == RESULT_FAILED) {
		plan_summary_error(description, &t->diags, t->checkout);
		post_status(r, s, t->commit.id, status_of_error(error), description->ptr, false);
	} else if (result == RESULT_DRIFT_REPORTED) {
		plan_summary_drift(description, &t->plan);
		post_status(r, s, t->commit.id, STATUS_FAILURE, description->ptr, false);
	} else if (action == RECONCILE_CORRECT) {
		buf_reset(description);
		buf_addf(description, "corrected drift in %zu object%s", drifted,
		         drifted == 1 ? "" : "s");
		post_status(r, s, t->commit.id, STATUS_SUCCESS, description->ptr, false);
	} else if (result == RESULT_APPLIED) {
		plan_summary_applied(description, &t->plan, pruned);
		post_status(r, s, t->commit.id, STATUS_SUCCESS, description->ptr, false);
	} else {
		plan_summary_in_sync(description, t->plan.n);
		post_status(r, s, t->commit.id, STATUS_SUCCESS, description->ptr, true);
	}
}

/* How many objects the full reconcile of record `settled` found in sync. */
static size_t settled_objects(struct json_object *settled)
{
	return (size_t)json_object_get_int64(json_value_get(settled, "objects"));
}

/* The log line of a reconcile: its source, commit, action and counts. */
static void log_outcome(const struct source_config *s, const struct target *t, enum result result,
                        const char *action, const char *why, const char *held, size_t drifted,
                        size_t pruned, bool partial, int error, double ms,
                        struct json_object *settled)
{
	struct json_object *f = json_object_new_object();
	size_t counts[SYNC_ACTION_COUNT];
	struct buf recovered = BUF_INIT;
	char secs[32];

	sync_plan_count(counts, &t->plan);
	json_object_object_add(f, "source", json_object_new_string(s->name));
	json_object_object_add(f, "commit", json_object_new_string(t->commit.id));
	if (action) {
		json_object_object_add(f, "action", json_object_new_string(action));
		json_object_object_add(f, "why", json_object_new_string(why));
	}
	if (error < 0) {
		json_object_object_add(f, "error", json_object_new_string(berth_error_last()));
	} else if (result == RESULT_HELD) {
		json_object_object_add(f, "waiting", json_object_new_string(held));
	} else if (settled) {
		/* At rest: as the last comparison found them. */
		add_count(f, "objects", settled_objects(settled));
		add_count(f, "drifted", 0);
	} else {
		add_count(f, "objects", t->plan.n);
		add_count(f, "drifted", drifted);
		add_count(f, "created", counts[SYNC_CREATED]);
		add_count(f, "configured", counts[SYNC_CONFIGURED]);
		add_count(f, "recreated", counts[SYNC_RECREATED]);
		add_count(f, "unchanged", counts[SYNC_UNCHANGED]);
		add_count(f, "pruned", pruned);
		/* The pods deleted to recover a stuck rollout, and why. */
		plan_summary_recovered(&recovered, &t->plan);
		if (recovered.len)
			json_object_object_add(f, "recovery",
			                       json_object_new_string(recovered.ptr));
		/* Loaded from the last commit's load and the files changed
		 * since; compared: those files' objects alone, or all. */
		if (t->delta) {
			add_count(f, "changed_files", t->nchanged);
			/* Their objects that are new or differ from the last
			 * commit's: what is checked and compared. */
			add_count(f, "changed_objects", t->nfresh);
			/* Of its kustomizations, how many were built again. */
			if (t->set.nbuilds)
				add_count(f, "built", t->nbuilt);
			json_object_object_add(f, "compared",
			                       json_object_new_string(partial ? "changed" : "all"));
		}
	}
	snprintf(secs, sizeof(secs), "%.3fs", ms / 1000);
	json_object_object_add(f, "duration", json_object_new_string(secs));
	log_fields(error < 0                         ? "error"
	           : result == RESULT_DRIFT_REPORTED ? "warn"
	                                             : "info",
	           result_messages[result], f);
	buf_release(&recovered);
}

/* What the last full reconcile of `s` left, for this one, of commit
 * `commit`, made due by `why` (decision.h). */
static struct rest_facts rest_facts(struct runner *r, const struct source_config *s,
                                    const char *commit, enum trigger_kind why)
{
	struct json_object *settled = json_value_get(r->settled, s->name);

	return (struct rest_facts){
	    .why = why,
	    .commit = commit,
	    .settled = json_value_get_string(settled, "commit"),
	    .failed = json_value_get_string(r->failed, s->name),
	    .age_ms = clock_now_ms() - json_object_get_double(json_value_get(settled, "at")),
	    .resync_ms = s->resync_ms,
	    .quiet = r->watcher && settled && watcher_quiet(r->watcher, s->name),
	};
}

/* The last load of source `name`, kept for its next commit (an empty one
 * at first). */
static struct target_memo *memo_of(struct runner *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nloaded; i++)
		if (!strcmp(r->loaded[i].source, name))
			return &r->loaded[i].memo;
	r->loaded = xrealloc(r->loaded, (r->nloaded + 1) * sizeof(*r->loaded));
	r->loaded[r->nloaded].source = xstrdup(name);
	r->loaded[r->nloaded].memo = (struct target_memo)TARGET_MEMO_INIT;
	return &r->loaded[r->nloaded++].memo;
}

void runner_forget_loads(struct runner *r)
{
	size_t i;

	for (i = 0; i < r->nloaded; i++) {
		free(r->loaded[i].source);
		target_memo_release(&r->loaded[i].memo);
	}
	free(r->loaded);
	r->loaded = NULL;
	r->nloaded = 0;
}

void runner_forget_source(struct runner *r, const char *name)
{
	struct sync_plan none = SYNC_PLAN_INIT;
	size_t i;

	json_object_object_del(r->settled, name);
	json_object_object_del(r->failed, name);
	json_object_object_del(r->health, name);
	json_object_object_del(r->held, name);
	for (i = 0; i < r->nloaded; i++)
		if (!strcmp(r->loaded[i].source, name)) {
			free(r->loaded[i].source);
			target_memo_release(&r->loaded[i].memo);
			r->loaded[i] = r->loaded[--r->nloaded];
			break;
		}
	if (r->watcher)
		watcher_follow(r->watcher, name, &none);
	metrics_forget(r->metrics, "source", name);
	report_board_forget(r->reports, name);
}

int runner_take_over(struct runner *r, const char *name)
{
	struct json_object *state = NULL, *commit;
	int error;

	runner_forget_source(r, name);
	if ((error = state_read(&state, r->client, r->state_ns)) < 0)
		return berth_error_prefix(error, "cannot read which commit '%s' is at", name);
	if ((commit = json_value_get(state, name)))
		json_object_object_add(r->state, name, json_object_get(commit));
	else
		json_object_object_del(r->state, name);
	json_object_put(state);
	return 0;
}

/* What a reconcile of `s`, begun at `start`, leaves for the next ones: its
 * objects in sync at its commit, or nothing to rest on. `partial`: it
 * compared only the objects of the files its commit changed. */
static void remember_settled(struct runner *r, const struct source_config *s,
                             const struct target *t, bool in_sync, bool partial, double start)
{
	struct json_object *rec;
	double at = start;

	if (!in_sync) {
		json_object_object_del(r->settled, s->name);
		return;
	}
	/* Only a changed file's objects were compared: the resync is due
	 * after the last reconcile that compared them all. */
	if (partial)
		at = json_object_get_double(
		    json_value_get(json_value_get(r->settled, s->name), "at"));
	rec = json_object_new_object();
	json_object_object_add(rec, "commit", json_object_new_string(t->commit.id));
	json_object_object_add(rec, "at", json_object_new_double(at));
	json_object_object_add(rec, "objects", json_object_new_int64((int64_t)t->plan.n));
	json_object_object_add(r->settled, s->name, rec);
}

/* Remember the commit whose apply failed, or forget it once one passed. */
static void remember_failure(struct runner *r, const char *source, const char *commit, bool failed)
{
	if (failed)
		json_object_object_add(r->failed, source, json_object_new_string(commit));
	else
		json_object_object_del(r->failed, source);
}

int reconcile(struct runner *r, const struct source_config *s, enum trigger_kind why)
{
	struct target_options o = TARGET_OPTIONS_INIT;
	struct sync_options sync = SYNC_OPTIONS_INIT;
	struct target t = TARGET_INIT;
	struct prune_list prune = PRUNE_LIST_INIT;
	struct reconcile_facts facts = {.why = why, .prunable = PRUNABLE_UNKNOWN};
	enum reconcile_action action = RECONCILE_NOTHING;
	enum result result = RESULT_IN_SYNC;
	struct buf description = BUF_INIT, reason = BUF_INIT, held = BUF_INIT;
	struct source_health health = {false, READINESS_READY, BUF_INIT};
	struct json_object *rest = NULL; /* at rest: the last full reconcile's record */
	struct rest_facts facts_rest;
	struct target_memo *memo = memo_of(r, s->name);
	double start = clock_now_ms();
	struct load_limit limit = {.stop = r->stop, .deadline = start + LOAD_TIMEOUT_MS};
	size_t pruned = 0, i;
	bool compared = false, decided = false, loaded = false, partial = false;
	int error;

	config_target_options(&o, s);
	o.git.warn = reconcile_log_warning;
	o.git.warn_ctx = (void *)s->name;
	o.kube = r->kube;
	o.client = &r->client_opts;
	o.stop = load_stop;
	o.stop_ctx = &limit;
	sync.prune = s->prune;
	sync.progress_deadline_ms = s->progress_deadline_ms;
	sync.recover_stuck = s->recover_stuck;
	/* Two sources of one agent would take an object from each other on
	 * every reconcile. */
	sync.others = r->config->owners;
	sync.nothers = r->config->n;
	sync.stop = r->stop;
	sync.warn = reconcile_log_warning;
	sync.warn_ctx = (void *)s->name;
	sync.verdicts = r->verdicts;
	/* The watches' store is the live state, where they vouch for it. */
	if (r->watcher) {
		sync.live = watcher_read;
		sync.live_ctx = r->watcher;
	}
	/* A line per object and wait, as debug lines: none to format else. */
	sync.progress = log_debug_enabled() ? progress_open(s->name) : NULL;
	o.memo = memo;
	if ((error = target_source(&t, &o)) < 0)
		goto out;
	facts_rest = rest_facts(r, s, t.commit.id, why);
	if (reconcile_at_rest(&facts_rest)) {
		rest = json_value_get(r->settled, s->name);
		buf_adds(&reason, "commit unchanged, and the watches saw no change (interval)");
		decided = true;
		goto out;
	}
	o.memo_in_sync = reconcile_known_in_sync(&facts_rest, memo->commit);
	if (r->watcher)
		watcher_begin(r->watcher, s->name);
	if ((error = target_open(&t, &o, &sync)) < 0)
		goto out;
	loaded = true;
	partial = t.delta && o.memo_in_sync;
	if ((error = state_refuse_managed(&t.set, r->state_ns)) < 0)
		goto out;
	if (r->watcher)
		watcher_follow(r->watcher, s->name, &t.plan);
	sync_plan_confirm(&t.plan, t.client, &sync);
	compared = true;
	facts.commit = t.commit.id;
	facts.applied = json_value_get_string(r->state, s->name);
	facts.failed = json_value_get_string(r->failed, s->name);
	facts.prunes = sync.prune;
	facts.drift = s->drift;
	facts.stopping = stop_requested(r->stop);
	for (i = 0; i < t.plan.n; i++)
		facts.drifted += t.plan.items[i].drift.state != DRIFT_IN_SYNC;
	if (reconcile_needs_prune(&facts)) {
		/* Known in sync but for the changed files: what left them. */
		if ((error = partial
		                 ? prune_find_gone(&prune, t.client, t.discovery, t.gone, t.ngone,
		                                   &t.plan, &sync)
		                 : prune_find(&prune, t.client, t.discovery, &t.plan, &sync)) < 0)
			goto out;
		facts.prunable = prune.n;
	}
	action = reconcile_decide(&facts);
	reconcile_explain(&reason, action, &facts);
	decided = true;
	if (action == RECONCILE_SKIP) {
		error = berth_error_set("stopped: berth is stopping, and nothing was written");
		goto out;
	}
	if (action == RECONCILE_REPORT)
		result = RESULT_DRIFT_REPORTED;
	if (!reconcile_writes(action))
		goto out;
	/* A new commit waits for the sources it depends on; drift of the
	 * commit applied is corrected at once. */
	if ((action == RECONCILE_APPLY || action == RECONCILE_RETRY) &&
	    !dependencies_ready(r, s, &held)) {
		result = RESULT_HELD;
		goto out;
	}
	result = RESULT_APPLIED;
	if (action == RECONCILE_APPLY || action == RECONCILE_RETRY) {
		buf_addf(&description, "applying %zu object%s", t.plan.n, t.plan.n == 1 ? "" : "s");
		post_status(r, s, t.commit.id, STATUS_PENDING, description.ptr, false);
	}
	/* Hooks run for a new commit, not for drift of one applied. */
	sync.commit = t.commit.id;
	sync.run_hooks = action == RECONCILE_APPLY || action == RECONCILE_RETRY;
	if ((error = sync_plan_apply(&t.plan, t.client, &sync)) == 0 && sync.prune)
		error = prune_apply(&prune, t.client, &sync);
	remember_failure(r, s->name, t.commit.id, error < 0);
	if (error == 0 && (error = state_write(r->client, r->state_ns, s->name, t.commit.id)) == 0)
		json_object_object_add(r->state, s->name, json_object_new_string(t.commit.id));
out:
	pruned = prune_list_pruned(&prune);
	if (error < 0)
		result = RESULT_FAILED;
	/* A held source is Progressing, waiting for its dependencies. */
	if (result == RESULT_HELD) {
		health.known = true;
		health.state = READINESS_PROGRESSING;
		buf_adds(&health.cause, held.ptr);
		json_object_object_add(r->held, s->name, json_object_new_string(held.ptr));
	} else if (compared) {
		health.known = true;
		health.state = plan_summary_health(&health.cause, &t.plan);
	}
	if (result != RESULT_HELD)
		json_object_object_del(r->held, s->name);
	if (rest) {
		/* The periodic check of the status, as after a comparison. */
		plan_summary_in_sync(&description, settled_objects(rest));
		post_status(r, s, t.commit.id, STATUS_SUCCESS, description.ptr, true);
	} else {
		if (r->watcher)
			watcher_settle(r->watcher, s->name, &t.plan);
		remember_settled(r, s, &t,
		                 compared && (result == RESULT_IN_SYNC || result == RESULT_APPLIED),
		                 partial, start);
		post_outcome(r, s, &t, result, action, facts.drifted, pruned, error, &health,
		             &description);
	}
	if (health.known)
		say_health(r, s, health.state, health.cause.ptr);
	publish_report_page(r, s, &t, compared, &health, result,
	                    result == RESULT_FAILED ? description.ptr : NULL,
	                    clock_now_ms() - start);
	/* What may yet be fine, said when the commit is applied or refused. */
	if (result == RESULT_APPLIED || result == RESULT_FAILED)
		log_warnings(s->name, &t.warnings, t.checkout);
	log_outcome(s, &t, result, decided ? reconcile_action_name(action) : NULL, reason.ptr,
	            held.ptr, facts.drifted, pruned, partial, error, clock_now_ms() - start, rest);
	record(r, s, &t, compared, &health, result_labels[result], clock_now_ms() - start, error);
	buf_release(&health.cause);
	buf_release(&held);
	buf_release(&description);
	buf_release(&reason);
	prune_list_release(&prune);
	/* The commit's load, for the next one; what a refused or failed load
	 * took from the last is gone, and the next loads whole. */
	if (loaded)
		target_memo_keep(memo, &t, o.namespace ? o.namespace : t.kc->namespace);
	target_release(&t);
	if (sync.progress)
		fclose(sync.progress);
	return error < 0 ? error : result == RESULT_HELD;
}
