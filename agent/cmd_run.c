#include "builtin.h"
#include "config.h"
#include "target.h"

#include "../apply/clock.h"
#include "../diff/alloc.h"
#include "../diff/error.h"
#include "../diff/json.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Where berth run keeps the last commit it applied of each source. */
#define STATE_NAME "berth-state"

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

/* One log line: logfmt, or a JSON object with --log-format json. `fields`
 * (strings; taken) follow the time, level and message. */
static void log_fields(bool json, const char *level, const char *msg, struct json_object *fields)
{
	struct json_object *o = json_object_new_object();
	struct buf line = BUF_INIT;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	json_object_object_add(o, "time", json_object_new_string(now));
	json_object_object_add(o, "level", json_object_new_string(level));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	json_object_object_foreach(fields, k, v) json_object_object_add(o, k, json_object_get(v));
	json_object_put(fields);
	if (json) {
		buf_adds(&line, json_object_to_json_string_ext(
		                    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		json_object_object_foreach(o, key, val)
		{
			const char *s = json_object_get_string(val);

			buf_addf(&line, "%s%s=", line.len ? " " : "", key);
			if (*s && !s[strcspn(s, " \"=\\\n\t")]) {
				buf_adds(&line, s);
			} else {
				/* Quoted, as Go's strconv.Quote does for the common cases. */
				buf_addch(&line, '"');
				for (; *s; s++)
					if (*s == '"' || *s == '\\')
						buf_addf(&line, "\\%c", *s);
					else if (*s == '\n')
						buf_adds(&line, "\\n");
					else
						buf_addch(&line, *s);
				buf_addch(&line, '"');
			}
		}
	}
	fprintf(stderr, "%s\n", line.ptr);
	fflush(stderr);
	buf_release(&line);
	json_object_put(o);
}

/* log_fields() with "key", value pairs (strings), ending with NULL. */
static void log_line(bool json, const char *level, const char *msg, ...)
{
	struct json_object *fields = json_object_new_object();
	const char *k, *v;
	va_list ap;

	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *)))
		json_object_object_add(fields, k, json_object_new_string(v));
	va_end(ap);
	log_fields(json, level, msg, fields);
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
		data = json_get(cm, "data");
		*out = json_object_is_type(data, json_type_object) ? json_copy(data)
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

struct runner {
	struct kubeconfig_options kube;
	struct config config;
	struct kube_client *client; /* for the state */
	const char *state_ns;
	struct json_object *state;
	bool json;
};

static void add_count(struct json_object *fields, const char *key, size_t n)
{
	char v[24];

	snprintf(v, sizeof(v), "%zu", n);
	json_object_object_add(fields, key, json_object_new_string(v));
}

/* Fetch, check and compare one source; apply it when its commit is new, or
 * when the cluster drifted and its drift mode is correct. */
static int reconcile(struct runner *r, const struct source_config *s)
{
	struct target_options o = TARGET_OPTIONS_INIT;
	struct sync_options sync = SYNC_OPTIONS_INIT;
	struct target t = TARGET_INIT;
	struct prune_list prune = PRUNE_LIST_INIT;
	double start = clock_now_ms();
	size_t counts[6] = {0}, drifted = 0, pruned = 0, i;
	struct json_object *f = json_object_new_object();
	char secs[32];
	const char *last, *result = "in sync";
	bool apply;
	int error;

	o.kube = r->kube;
	o.git = s->git;
	o.path = s->path;
	o.namespace = s->namespace;
	o.password_file = s->password_file;
	o.password_env = s->password_env;
	o.quiet = true;
	sync.prune = s->prune;
	sync.stop = &stop_requested;
	if ((error = target_open(&t, &o, &sync)) < 0)
		goto out;
	for (i = 0; i < t.plan.n; i++)
		drifted += t.plan.items[i].drift.state != DRIFT_IN_SYNC;
	last = json_get_string(r->state, s->name);
	apply = !last || strcmp(last, t.commit.id) || (drifted && s->drift == DRIFT_MODE_CORRECT);
	if (!apply && drifted) {
		result = "drift reported";
		goto out;
	}
	if (sync.prune && (error = prune_find(&prune, t.client, t.discovery, &t.plan, &sync)) < 0)
		goto out;
	if (!apply && !prune.n)
		goto out;
	result = "applied";
	if ((error = sync_plan_apply(&t.plan, t.client, &sync)) == 0 && sync.prune)
		error = prune_apply(&prune, t.client, &sync);
	if (error == 0 && (error = state_write(r->client, r->state_ns, s->name, t.commit.id)) == 0)
		json_object_object_add(r->state, s->name, json_object_new_string(t.commit.id));
out:
	for (i = 0; i < t.plan.n; i++)
		counts[t.plan.items[i].action]++;
	for (i = 0; i < prune.n; i++)
		pruned += prune.items[i].pruned;
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
	log_fields(r->json,
	           error < 0           ? "error"
	           : drifted && !apply ? "warn"
	                               : "info",
	           error < 0 ? "reconcile failed" : result, f);
	prune_list_release(&prune);
	target_release(&t, &o);
	return error;
}

/* The next wait of a source: its interval, give or take its jitter. */
static double next_due(const struct source_config *s)
{
	double spread = (double)s->interval_ms * s->jitter_percent / 100.0;

	return clock_now_ms() + (double)s->interval_ms - spread +
	       2 * spread * ((double)rand() / RAND_MAX);
}

static int load_config(struct config *out, const char *path, bool json)
{
	struct diagnostics diags = DIAGNOSTICS_INIT;
	size_t i;
	int error = config_load(out, &diags, path);

	for (i = 0; i < diags.n; i++) {
		char where[32];

		snprintf(where, sizeof(where), "%zu:%zu", diags.items[i].line,
		         diags.items[i].column);
		log_line(json, "error", "bad config", "file", diags.items[i].file, "at", where,
		         "problem", diags.items[i].message, NULL);
	}
	if (error < 0 && !diags.n)
		log_line(json, "error", "bad config", "file", path, "problem", berth_error_last(),
		         NULL);
	diagnostics_release(&diags);
	return error;
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'C'},
	    {"kubeconfig", required_argument, NULL, 'k'},
	    {"context", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, '1'},
	    {"log-format", required_argument, NULL, 'L'},
	    {NULL, 0, NULL, 0},
	};
	struct runner r = {KUBECONFIG_OPTIONS_INIT, CONFIG_INIT, NULL, NULL, NULL, false};
	struct kubeconfig *kc = NULL;
	const char *config_path = NULL;
	double *due = NULL;
	bool once = false, failed = false;
	struct sigaction sa;
	size_t i;
	int opt, status = EXIT_ERROR;

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
			r.json = !strcmp(optarg, "json");
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
	if (load_config(&r.config, config_path, r.json) < 0)
		return EXIT_ERROR;
	if (kubeconfig_load(&kc, &r.kube) < 0 || kube_client_new(&r.client, kc, NULL) < 0) {
		log_line(r.json, "error", "cannot use the cluster", "error", berth_error_last(),
		         NULL);
		goto out;
	}
	r.state_ns = r.config.state_namespace ? r.config.state_namespace : kc->namespace;
	if (state_read(&r.state, r.client, r.state_ns) < 0) {
		log_line(r.json, "error", "cannot read the state", "configmap", STATE_NAME,
		         "namespace", r.state_ns, "error", berth_error_last(), NULL);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	srand((unsigned)time(NULL));
	due = xcalloc(r.config.n + 1, sizeof(*due));
	log_line(r.json, "info", "started", "config", config_path, "state", STATE_NAME, NULL);
	while (!stop_requested) {
		double wake;

		for (i = 0; i < r.config.n && !stop_requested; i++)
			if (due[i] <= clock_now_ms()) {
				failed |= reconcile(&r, &r.config.sources[i]) < 0;
				due[i] = next_due(&r.config.sources[i]);
			}
		if (once)
			break;
		if (reload_requested) {
			struct config fresh = CONFIG_INIT;

			reload_requested = 0;
			if (load_config(&fresh, config_path, r.json) == 0) {
				config_release(&r.config);
				r.config = fresh;
				free(due);
				due = xcalloc(r.config.n + 1, sizeof(*due));
				log_line(r.json, "info", "config reloaded", "config", config_path,
				         NULL);
			}
			continue;
		}
		for (wake = due[0], i = 1; i < r.config.n; i++)
			wake = due[i] < wake ? due[i] : wake;
		/* Short naps: a signal is noticed within a tenth of a second. */
		while (!stop_requested && !reload_requested && clock_now_ms() < wake)
			clock_sleep_ms(100);
	}
	log_line(r.json, "info", stop_requested ? "stopped" : "done", NULL);
	status = once && failed ? 1 : 0;
out:
	free(due);
	json_object_put(r.state);
	kube_client_free(r.client);
	kubeconfig_free(kc);
	config_release(&r.config);
	return status;
}
