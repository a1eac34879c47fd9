/* berth run: the agent loop that reconciles each configured source on its
 * interval, on a webhook or a watched change, until SIGTERM. */
#define _GNU_SOURCE /* fopencookie */
#include "cli.h"
#include "../daemon/config.h"
#include "../http/listener.h"
#include "../../diff/base/log.h"
#include "../../diff/base/metrics.h"
#include "../source/plan_report.h"
#include "../daemon/preview.h"
#include "../http/report_page.h"
#include "../forge/status.h"
#include "../source/target.h"

#include "../../apply/prune.h"
#include "../daemon/wakeup.h"
#include "../daemon/watch.h"

#include "../../diff/base/clock.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/stop.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Where berth run keeps the last commit it applied of each source. */
#define STATE_NAME "berth-state"

/* Set by the signal handlers; the main loop blocks on `wake` until either
 * changes, a webhook comes, or a source is due. */
static struct stop stop = STOP_INIT;
static atomic_int reload_requested;
static struct wakeup wake = WAKEUP_INIT;

/* How long loading one source's manifests may take: the limits of files,
 * bytes and objects bound it already; this bounds what they cannot. */
#define LOAD_TIMEOUT_MS 60000.0
/* How long berth run --once waits for its commit statuses. */
#define STATUS_TIMEOUT_MS 30000.0

/* Why a source's load must stop now (manifest_options.stop): SIGTERM, or
 * its time is up. `ctx` is when it must be done by. */
static const char *load_stop(void *ctx)
{
	if (stop_requested(&stop))
		return "berth is stopping";
	if (clock_now_ms() > *(const double *)ctx)
		return "loading took longer than 60 s";
	return NULL;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		atomic_store(&reload_requested, 1);
	else
		stop_request(&stop, sig);
	wakeup_signal(&wake);
}

/* A warning of the client or of a sync, as a log line of its source (ctx),
 * or of no source (NULL). */
static void log_warning(const char *message, void *ctx)
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

/* The state: source name -> the last commit applied, from the ConfigMap. */
static int state_read(struct json_object **out, struct kube_client *c, const char *ns)
{
	struct json_object *cm = NULL, *data;
	struct buf path = BUF_INIT;
	int error;

	buf_addf(&path, "/api/v1/namespaces/%s/configmaps/" STATE_NAME, ns);
	error = kube_client_get_json(&cm, c, path.ptr);
	if (error == BERTH_ENOTFOUND) {
		*out = json_object_new_object();
		error = 0;
	} else if (error == 0) {
		data = json_value_get(cm, "data");
		*out = json_object_is_type(data, json_type_object) ? json_value_copy(data)
		                                                   : json_object_new_object();
	}
	json_object_put(cm);
	buf_release(&path);
	return error;
}

/* Record that `source` is at `commit`, creating the ConfigMap if need be. */
static int state_write(struct kube_client *c, const char *ns, const char *source,
                       const char *commit)
{
	struct json_object *body = json_object_new_object(), *data = json_object_new_object();
	struct buf path = BUF_INIT;
	int error;

	json_object_object_add(data, source, json_object_new_string(commit));
	json_object_object_add(body, "data", data);
	buf_addf(&path, "/api/v1/namespaces/%s/configmaps/" STATE_NAME, ns);
	error = kube_client_call(NULL, c, "PATCH", path.ptr, "application/merge-patch+json",
	                         json_object_to_json_string(body));
	if (error == BERTH_ENOTFOUND) {
		struct json_object *meta = json_object_new_object();

		json_object_object_add(meta, "name", json_object_new_string(STATE_NAME));
		json_object_object_add(body, "apiVersion", json_object_new_string("v1"));
		json_object_object_add(body, "kind", json_object_new_string("ConfigMap"));
		json_object_object_add(body, "metadata", meta);
		buf_reset(&path);
		buf_addf(&path, "/api/v1/namespaces/%s/configmaps", ns);
		error = kube_client_call(NULL, c, "POST", path.ptr, "application/json",
		                         json_object_to_json_string(body));
	}
	json_object_put(body);
	buf_release(&path);
	return error;
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
static const struct metric_family *const families[] = {
    &reconcile_duration,  &last_success,       &objects, &git_fetch, &api_requests,
    &status_posts_family, &status_queue_family};

struct runner {
	struct kubeconfig_options kube;
	struct kube_client_options client_opts; /* counting requests in `metrics` */
	struct config config;
	struct kube_client *client; /* for the state */
	const char *state_ns;
	struct json_object *state;
	struct metrics *metrics;
	struct listener *listener;
	struct watcher *watcher;
	struct verdicts *verdicts; /* the server's word on local drift, kept between reconciles */
	struct reporter *reporter; /* the commit statuses */
	struct report_board *reports; /* the drift report pages */
	struct previewer *previews;   /* of pull requests */
};

/* A watch saw a managed object change or go: reconcile its source now. */
static void on_change(const char *source, const char *what, void *ctx)
{
	struct runner *r = ctx;

	log_line("info", "object changed", "source", source, "object", what, NULL);
	listener_trigger(r->listener, source);
}

static void count_request(const char *method, long status, void *ctx)
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
	RESULT_COUNT,
};
static const char *const result_messages[RESULT_COUNT] = {"in sync", "applied", "drift reported",
                                                          "reconcile failed"};
static const char *const result_labels[RESULT_COUNT] = {"in-sync", "applied", "drift-reported",
                                                        "failed"};

/* What a reconcile leaves in the metrics. */
static void record(struct runner *r, const struct source_config *s, const struct target *t,
                   const char *result, double ms, int error)
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
	if (error < 0)
		return;
	metrics_record(r->metrics, &last_success, (double)time(NULL), "source", s->name, NULL);
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

/* A source may not manage berth run's own state: it would rewrite which
 * commit every source is at. */
static int refuse_state(const struct target *t, const char *state_ns)
{
	size_t i;

	for (i = 0; i < t->set.n; i++) {
		const struct manifest *m = &t->set.items[i];

		if (!*m->id.group && !strcmp(m->id.kind, "ConfigMap") &&
		    !strcmp(m->id.name, STATE_NAME) && !strcmp(m->id.namespace, state_ns))
			return berth_error_set(
			    "%s:%zu:%zu: configmap %s/" STATE_NAME
			    " is where berth run keeps the commit of each source; "
			    "no source may manage it",
			    m->file, m->line, m->column, state_ns);
	}
	return 0;
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
static void report(struct runner *r, const struct source_config *s, const char *sha,
                   enum status_state state, const char *description, bool settle)
{
	if (stop_requested(&stop))
		return;
	reporter_post(r->reporter, &s->status, s->name,
	              r->config.cluster ? r->config.cluster : "default", sha, state, description,
	              settle);
}

/* What the reconcile of `s` found, for its report page: the objects of its
 * plan when it got that far (`compared`), else the last ones stay. */
static void publish(struct runner *r, const struct source_config *s, struct target *t,
                    bool compared, enum result result, const char *error, double ms)
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

/* Fetch, check and compare one source; apply it when its commit is new, or
 * when the cluster drifted and its drift mode is correct. */
static int reconcile(struct runner *r, const struct source_config *s)
{
	struct target_options o = TARGET_OPTIONS_INIT;
	struct sync_options sync = SYNC_OPTIONS_INIT;
	struct target t = TARGET_INIT;
	struct prune_list prune = PRUNE_LIST_INIT;
	double start = clock_now_ms(), load_deadline = start + LOAD_TIMEOUT_MS;
	size_t counts[SYNC_ACTION_COUNT], drifted = 0, pruned = 0, i;
	struct json_object *f = json_object_new_object();
	char secs[32];
	enum result result = RESULT_IN_SYNC;
	struct buf description = BUF_INIT;
	const char *last = NULL;
	bool apply, fresh = false, compared = false;
	int error;

	config_target_options(&o, s);
	o.git.warn = log_warning;
	o.git.warn_ctx = (void *)s->name;
	o.kube = r->kube;
	o.client = &r->client_opts;
	o.stop = load_stop;
	o.stop_ctx = &load_deadline;
	sync.prune = s->prune;
	/* Two sources of one agent would take an object from each other on
	 * every reconcile. */
	sync.others = r->config.owners;
	sync.nothers = r->config.n;
	sync.stop = &stop;
	sync.warn = log_warning;
	sync.warn_ctx = (void *)s->name;
	sync.verdicts = r->verdicts;
	sync.progress = progress_open(s->name);
	if ((error = target_open(&t, &o, &sync)) < 0 || (error = refuse_state(&t, r->state_ns)) < 0)
		goto out;
	if (r->watcher)
		watcher_follow(r->watcher, s->name, &t.plan);
	sync_plan_confirm(&t.plan, t.client, &sync);
	compared = true;
	for (i = 0; i < t.plan.n; i++)
		drifted += t.plan.items[i].drift.state != DRIFT_IN_SYNC;
	last = json_value_get_string(r->state, s->name);
	apply = !last || strcmp(last, t.commit.id) || (drifted && s->drift == DRIFT_MODE_CORRECT);
	if (!apply && drifted) {
		result = RESULT_DRIFT_REPORTED;
		goto out;
	}
	if (sync.prune && (error = prune_find(&prune, t.client, t.discovery, &t.plan, &sync)) < 0)
		goto out;
	if (!apply && !prune.n)
		goto out;
	result = RESULT_APPLIED;
	fresh = !last || strcmp(last, t.commit.id);
	if (fresh) {
		buf_addf(&description, "applying %zu object%s", t.plan.n, t.plan.n == 1 ? "" : "s");
		report(r, s, t.commit.id, STATUS_PENDING, description.ptr, false);
	}
	if ((error = sync_plan_apply(&t.plan, t.client, &sync)) == 0 && sync.prune)
		error = prune_apply(&prune, t.client, &sync);
	if (error == 0 && (error = state_write(r->client, r->state_ns, s->name, t.commit.id)) == 0)
		json_object_object_add(r->state, s->name, json_object_new_string(t.commit.id));
out:
	sync_plan_count(counts, &t.plan);
	pruned = prune_list_pruned(&prune);
	snprintf(secs, sizeof(secs), "%.3fs", (clock_now_ms() - start) / 1000);
	json_object_object_add(f, "source", json_object_new_string(s->name));
	json_object_object_add(f, "commit", json_object_new_string(t.commit.id));
	if (error < 0) {
		json_object_object_add(f, "error", json_object_new_string(berth_error_last()));
	} else {
		add_count(f, "objects", t.plan.n);
		add_count(f, "drifted", drifted);
		add_count(f, "created", counts[SYNC_CREATED]);
		add_count(f, "configured", counts[SYNC_CONFIGURED]);
		add_count(f, "recreated", counts[SYNC_RECREATED]);
		add_count(f, "unchanged", counts[SYNC_UNCHANGED]);
		add_count(f, "pruned", pruned);
	}
	json_object_object_add(f, "duration", json_object_new_string(secs));
	if (error < 0)
		result = RESULT_FAILED;
	if (result == RESULT_FAILED) {
		plan_summary_error(&description, &t.diags, t.checkout);
		report(r, s, t.commit.id, status_of_error(error), description.ptr, false);
	} else if (result == RESULT_DRIFT_REPORTED) {
		plan_summary_drift(&description, &t.plan);
		report(r, s, t.commit.id, STATUS_FAILURE, description.ptr, false);
	} else if (result == RESULT_APPLIED && !fresh && drifted) {
		buf_reset(&description);
		buf_addf(&description, "corrected drift in %zu object%s", drifted,
		         drifted == 1 ? "" : "s");
		report(r, s, t.commit.id, STATUS_SUCCESS, description.ptr, false);
	} else if (result == RESULT_APPLIED) {
		plan_summary_applied(&description, &t.plan, pruned);
		report(r, s, t.commit.id, STATUS_SUCCESS, description.ptr, false);
	} else {
		plan_summary_in_sync(&description, &t.plan);
		report(r, s, t.commit.id, STATUS_SUCCESS, description.ptr, true);
	}
	publish(r, s, &t, compared, result, result == RESULT_FAILED ? description.ptr : NULL,
	        clock_now_ms() - start);
	buf_release(&description);
	/* What may yet be fine, said when the commit is applied or refused. */
	if (result == RESULT_APPLIED || result == RESULT_FAILED)
		log_warnings(s->name, &t.warnings, t.checkout);
	log_fields(error < 0                         ? "error"
	           : result == RESULT_DRIFT_REPORTED ? "warn"
	                                             : "info",
	           result_messages[result], f);
	record(r, s, &t, result_labels[result], clock_now_ms() - start, error);
	prune_list_release(&prune);
	target_release(&t, &o);
	if (sync.progress)
		fclose(sync.progress);
	return error;
}

/* The next wait of a source: its interval, give or take its jitter. */
static double next_due(const struct source_config *s)
{
	double spread = (double)s->interval_ms * s->jitter_percent / 100.0;

	return clock_now_ms() + (double)s->interval_ms - spread + 2 * spread * clock_jitter();
}

static int load_config(struct config *out, const char *path)
{
	struct diagnostics diags = DIAGNOSTICS_INIT;
	size_t i;
	int error = config_load(out, &diags, path);

	for (i = 0; i < diags.n; i++) {
		char where[32];

		snprintf(where, sizeof(where), "%zu:%zu", diags.items[i].line,
		         diags.items[i].column);
		log_line("error", "bad config", "file", diags.items[i].file, "at", where, "problem",
		         diags.items[i].message, NULL);
	}
	if (error < 0 && !diags.n)
		log_line("error", "bad config", "file", path, "problem", berth_error_last(), NULL);
	diagnostics_release(&diags);
	return error;
}

/* The sources of the running config that `fresh` drops leave the metrics
 * and the watches. */
static void forget_sources(struct runner *r, const struct config *fresh)
{
	struct sync_plan none = SYNC_PLAN_INIT;
	size_t i, j;

	for (i = 0; i < r->config.n; i++) {
		for (j = 0;
		     j < fresh->n && strcmp(fresh->sources[j].name, r->config.sources[i].name); j++)
			;
		if (j < fresh->n)
			continue;
		metrics_forget(r->metrics, "source", r->config.sources[i].name);
		if (r->watcher)
			watcher_follow(r->watcher, r->config.sources[i].name, &none);
	}
}

/* A pull request webhook: the previewer takes it from here. */
static void on_pull(void *ctx, const char *source, enum forge f, const struct webhook_pull *pr)
{
	previewer_request(ctx, source, f, pr);
}

/* Who may read the report pages: beyond loopback, only with the config's
 * reportTokenFile. Only the config's sources keep a page. */
static void report_access(struct runner *r)
{
	const char *address;
	const char **names;
	bool open;
	size_t i;

	if (!r->reports)
		return;
	address = listener_address(r->listener);
	open = address_is_loopback(address);
	report_board_access(r->reports, r->config.report_token_file, open);
	if (!open && !r->config.report_token_file)
		log_line("warn", "report closed", "listen", address, "reason",
		         "/report answers 404: berth listens beyond loopback, and the config "
		         "gives no reportTokenFile",
		         NULL);
	names = xcalloc(r->config.n + 1, sizeof(*names));
	for (i = 0; i < r->config.n; i++)
		names[i] = r->config.sources[i].name;
	report_board_keep(r->reports, names, r->config.n);
	free(names);
}

/* Make each source a webhook triggered due now; true when there was one. */
static bool take_triggers(struct runner *r, double *due)
{
	bool any = false;
	size_t i;

	for (i = 0; i < r->config.n; i++)
		if (listener_take_trigger(r->listener, i)) {
			due[i] = 0;
			any = true;
		}
	return any;
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'C'},
	    {"kubeconfig", required_argument, NULL, 'k'},
	    {"context", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, '1'},
	    {"log-format", required_argument, NULL, 'L'},
	    {"listen", required_argument, NULL, 'l'},
	    {"log-level", required_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct runner r = {.kube = KUBECONFIG_OPTIONS_INIT,
	                   .client_opts = KUBE_CLIENT_OPTIONS_INIT,
	                   .config = CONFIG_INIT};
	struct kubeconfig *kc = NULL;
	const char *config_path = NULL, *listen = NULL;
	double *due = NULL;
	bool once = false, failed = false;
	struct sigaction sa;
	size_t i;
	int opt, status = EXIT_ERROR;
	size_t left;
	char count[24];

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			config_path = optarg;
			break;
		case 'k':
			r.kube.path = optarg;
			break;
		case 'c':
			r.kube.context = optarg;
			break;
		case '1':
			once = true;
			break;
		case 'L':
			if (strcmp(optarg, "logfmt") && strcmp(optarg, "json"))
				return usage_error(
				    "run", "unknown log format '%s' (use logfmt or json)", optarg);
			log_set_json(!strcmp(optarg, "json"));
			break;
		case 'l':
			listen = optarg;
			break;
		case 'V':
			if (strcmp(optarg, "info") && strcmp(optarg, "debug"))
				return usage_error(
				    "run", "unknown log level '%s' (use info or debug)", optarg);
			log_set_debug(!strcmp(optarg, "debug"));
			break;
		case ':':
			return usage_error("run", "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("run", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (!config_path)
		return usage_error("run", "name the configuration with --config FILE");
	if (load_config(&r.config, config_path) < 0)
		return EXIT_ERROR;
	metrics_new(&r.metrics, families, ARRAY_SIZE(families));
	reporter_new(&r.reporter, r.metrics, NULL);
	verdicts_new(&r.verdicts, 1u << 16);
	r.client_opts.observe = count_request;
	r.client_opts.observe_ctx = r.metrics;
	r.client_opts.warn = log_warning;
	if (wakeup_open(&wake) < 0) {
		log_line("error", "cannot start", "error", berth_error_last(), NULL);
		goto out;
	}
	/* --once serves nothing and watches nothing, unless told to listen. */
	if (!once || listen) {
		report_board_new(&r.reports);
		if (listener_new(&r.listener, listen ? listen : "127.0.0.1:8080", r.metrics,
		                 r.reports, &wake) < 0) {
			log_line("error", "cannot listen", "error", berth_error_last(), NULL);
			goto out;
		}
		listener_follow(r.listener, &r.config);
		report_access(&r);
		previewer_new(&r.previews, &(struct previewer_options){.kube = r.kube,
		                                                       .client = &r.client_opts,
		                                                       .reporter = r.reporter});
		previewer_config(r.previews, config_path);
		listener_previews(r.listener, on_pull, r.previews);
	}
	if (kubeconfig_load(&kc, &r.kube) < 0 ||
	    kube_client_new(&r.client, kc, &r.client_opts) < 0) {
		log_line("error", "cannot use the cluster", "error", berth_error_last(), NULL);
		goto out;
	}
	if (!once)
		watcher_new(&r.watcher, r.client, on_change, &r);
	r.state_ns = r.config.state_namespace ? r.config.state_namespace : kc->namespace;
	if (state_read(&r.state, r.client, r.state_ns) < 0) {
		log_line("error", "cannot read the state", "configmap", STATE_NAME, "namespace",
		         r.state_ns, "error", berth_error_last(), NULL);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	kube_client_set_stop(r.client, &stop, false);
	due = xcalloc(r.config.n + 1, sizeof(*due));
	log_line("info", "started", "config", config_path, "state", STATE_NAME, "listen",
	         r.listener ? listener_address(r.listener) : "none", NULL);
	while (!stop_requested(&stop)) {
		double wake_at;

		for (i = 0; i < r.config.n && !stop_requested(&stop); i++)
			if (due[i] <= clock_now_ms()) {
				failed |= reconcile(&r, &r.config.sources[i]) < 0;
				if (r.listener)
					listener_reconciled(r.listener, i);
				due[i] = next_due(&r.config.sources[i]);
			}
		if (once)
			break;
		if (atomic_exchange(&reload_requested, 0)) {
			struct config fresh = CONFIG_INIT;

			if (load_config(&fresh, config_path) == 0) {
				forget_sources(&r, &fresh);
				config_release(&r.config);
				r.config = fresh;
				/* It pointed into the config just released. */
				r.state_ns = r.config.state_namespace ? r.config.state_namespace
				                                      : kc->namespace;
				listener_follow(r.listener, &r.config);
				report_access(&r);
				if (r.previews)
					previewer_config(r.previews, config_path);
				free(due);
				due = xcalloc(r.config.n + 1, sizeof(*due));
				log_line("info", "config reloaded", "config", config_path, NULL);
			}
			continue;
		}
		for (wake_at = due[0], i = 1; i < r.config.n; i++)
			wake_at = due[i] < wake_at ? due[i] : wake_at;
		/* Blocks until a source is due, or a signal or a webhook wakes it. */
		while (!stop_requested(&stop) && !atomic_load(&reload_requested) &&
		       !take_triggers(&r, due) && clock_now_ms() < wake_at)
			wakeup_wait(&wake, wake_at - clock_now_ms());
	}
	/* A preview under way is given up: what it would say is not known. */
	if (r.listener)
		listener_previews(r.listener, NULL, NULL);
	previewer_free(r.previews);
	r.previews = NULL;
	/* --once waits for its statuses, a while; a stopping agent, a moment. */
	left = reporter_drain(r.reporter, clock_now_ms() + (once ? STATUS_TIMEOUT_MS : 2000));
	if (left) {
		snprintf(count, sizeof(count), "%zu", left);
		log_line("warn", "statuses not sent", "count", count, NULL);
	}
	log_line("info", stop_requested(&stop) ? "stopped" : "done", NULL);
	status = once && failed ? 1 : 0;
out:
	free(due);
	if (r.listener)
		listener_previews(r.listener, NULL, NULL);
	previewer_free(r.previews);
	reporter_free(r.reporter);
	watcher_free(r.watcher);
	listener_free(r.listener);
	report_board_free(r.reports);
	metrics_free(r.metrics);
	verdicts_free(r.verdicts);
	json_object_put(r.state);
	kube_client_free(r.client);
	kubeconfig_free(kc);
	config_release(&r.config);
	wakeup_close(&wake);
	return status;
}
