/* Hooks: a Job or a Pod annotated berth.io/hook runs once per commit, at
 * its point of the sync, instead of being applied as a kept object. */
#include "sync_internal.h"

#include "ready.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/clock.h"
#include "../diff/base/digest.h"
#include "../diff/base/json_value.h"

#include <stdlib.h>
#include <string.h>

/* Runs of one hook kept in the cluster: the newest. */
#define HOOK_RUNS_KEPT 3
/* The labels of a run: whose source (a digest of its tracking annotation's
 * value, which is no label value), and which hook (its name in Git). */
#define HOOK_SOURCE_LABEL "berth.io/hook-source"
#define HOOK_NAME_LABEL   "berth.io/hook-name"
#define COMMIT_ANNOTATION "berth.io/commit"

static const char *const when_names[] = {"pre-sync", "post-sync", "sync-fail"};

const char *sync_hook_when_name(enum hook_when w)
{
	return when_names[w];
}

int sync_hook_of(enum hook_when *when, struct diagnostics *diags, const struct manifest *m)
{
	struct json_object *obj = NULL;
	const char *v;
	size_t i;
	int found = 0;

	if (!strstr(m->json, "\"" HOOK_ANNOTATION "\""))
		return 0;
	if (manifest_object(&obj, m) < 0)
		return 0;
	v = json_value_get_string(json_value_get(json_value_get(obj, "metadata"), "annotations"),
	                          HOOK_ANNOTATION);
	for (i = 0; v && i < sizeof(when_names) / sizeof(*when_names); i++)
		if (!strcmp(v, when_names[i])) {
			*when = (enum hook_when)i;
			found = 1;
		}
	if (v && (!found || !((!strcmp(m->id.group, "batch") && !strcmp(m->id.kind, "Job")) ||
	                      (!*m->id.group && !strcmp(m->id.kind, "Pod"))))) {
		struct buf kind = BUF_INIT;

		object_kind_lower(&kind, m->id.kind);
		diagnostics_add(
		    diags, m->file, m->line, m->column,
		    "%s '%s': metadata.annotations." HOOK_ANNOTATION
		    ": '%s' %s (use pre-sync, post-sync or sync-fail, on a Job or a Pod)",
		    kind.ptr, m->id.name, v, found ? "is for Jobs and Pods" : "is no hook");
		buf_release(&kind);
		found = -1;
	}
	json_object_put(obj);
	return found;
}

bool sync_plan_hook(struct sync_plan *plan, struct diagnostics *diags, const struct manifest *m,
                    const struct api_resource *res)
{
	enum hook_when when;
	int h = sync_hook_of(&when, diags, m);

	if (h > 0)
		plan->hooks[plan->nhooks++] = (struct sync_hook){m, res, when};
	return h != 0;
}

/* digest(s) as `n` hex digits. */
static void hex_digest(char *out, size_t n, const char *s)
{
	uint8_t d[SHA256_SIZE];
	size_t i;

	sha256(d, s, strlen(s));
	for (i = 0; i < n && i / 2 < SHA256_SIZE; i++)
		out[i] = "0123456789abcdef"[(d[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[i] = '\0';
}

/* The run of hook `h` for this commit: its object, named
 * <name>-<commit, 7 digits>, with the labels and annotations that say
 * whose it is. `name` gets its name. */
static struct json_object *run_object(struct buf *name, const struct sync_hook *h,
                                      const struct sync_options *opts)
{
	struct json_object *obj = NULL, *meta, *labels, *annotations;
	char suffix[8], source[17];
	size_t base = strlen(h->m->id.name);

	if (manifest_object(&obj, h->m) < 0)
		return NULL;
	if (opts->commit && strlen(opts->commit) >= 7)
		memcpy(suffix, opts->commit, 7), suffix[7] = '\0';
	else
		hex_digest(suffix, 7, h->m->json); /* no commit: the manifest's */
	hex_digest(source, 16, opts->source ? opts->source : "");
	/* A Job's name is a label value of its pods: 63 at most. */
	buf_reset(name);
	buf_addf(name, "%.*s-%s", (int)(base > 55 ? 55 : base), h->m->id.name, suffix);
	meta = json_value_get(obj, "metadata");
	json_object_object_add(meta, "name", json_object_new_string(name->ptr));
	if (!json_object_is_type((labels = json_value_get(meta, "labels")), json_type_object))
		json_object_object_add(meta, "labels", (labels = json_object_new_object()));
	json_object_object_add(labels, HOOK_SOURCE_LABEL, json_object_new_string(source));
	json_object_object_add(
	    labels, HOOK_NAME_LABEL,
	    json_object_new_string_len(h->m->id.name, base > 63 ? 63 : (int)base));
	annotations = json_value_get(meta, "annotations");
	json_object_object_add(annotations, SOURCE_ANNOTATION,
	                       json_object_new_string(opts->source ? opts->source : ""));
	json_object_object_add(annotations, COMMIT_ANNOTATION,
	                       json_object_new_string(opts->commit ? opts->commit : suffix));
	return obj;
}

/* How a run stands: a Job by its conditions, a Pod by its phase. */
static enum readiness run_state(struct buf *why, struct json_object *live)
{
	const char *phase = json_value_get_string(json_value_get(live, "status"), "phase");

	if (strcmp(json_value_get_string(live, "kind") ? json_value_get_string(live, "kind") : "",
	           "Pod"))
		return ready_check(why, live, false);
	if (phase && !strcmp(phase, "Succeeded"))
		return READINESS_READY;
	buf_addf(why, "phase %s", phase ? phase : "not set");
	return phase && !strcmp(phase, "Failed") ? READINESS_FAILED : READINESS_PROGRESSING;
}

/* DELETE `path`, its pods too (a Job's). */
static int delete_run(struct kube_client *c, const char *path)
{
	int error = kube_client_call(NULL, c, "DELETE", path, "application/json",
	                             "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
	                             "\"propagationPolicy\":\"Background\"}");

	return error == BERTH_ENOTFOUND ? 0 : error;
}

/* The runs of hook `h` beyond the newest HOOK_RUNS_KEPT, deleted. */
static void prune_runs(struct kube_client *c, const struct sync_hook *h,
                       const struct sync_options *opts)
{
	struct json_object *list = NULL, *items;
	struct buf path = BUF_INIT, one = BUF_INIT;
	char source[17];
	size_t i, j, n, newer;

	hex_digest(source, 16, opts->source ? opts->source : "");
	api_resource_path(&path, h->res, h->res->version, h->m->id.namespace, NULL);
	buf_addf(&path, "?labelSelector=" HOOK_SOURCE_LABEL "%%3D%s", source);
	if (kube_client_get_json(&list, c, path.ptr) < 0) {
		buf_release(&path);
		return; /* kept: said nowhere, done at the next run */
	}
	items = json_value_get(list, "items");
	n = json_value_array_len(items);
	for (i = 0; i < n; i++) {
		struct json_object *meta =
		    json_value_get(json_object_array_get_idx(items, i), "metadata");
		const char *hook =
		    json_value_get_string(json_value_get(meta, "labels"), HOOK_NAME_LABEL);
		const char *born = json_value_get_string(meta, "creationTimestamp");

		if (!hook || strncmp(hook, h->m->id.name, 63) || !born)
			continue;
		/* RFC 3339 times in UTC compare as text; a tie, by name. */
		for (j = newer = 0; j < n; j++) {
			struct json_object *m2 =
			    json_value_get(json_object_array_get_idx(items, j), "metadata");
			const char *h2 =
			    json_value_get_string(json_value_get(m2, "labels"), HOOK_NAME_LABEL);
			const char *b2 = json_value_get_string(m2, "creationTimestamp");
			int cmp = b2 ? strcmp(b2, born) : -1;

			newer += h2 && !strcmp(h2, hook) &&
			         (cmp > 0 ||
			          (cmp == 0 && strcmp(json_value_get_string(m2, "name"),
			                              json_value_get_string(meta, "name")) > 0));
		}
		if (newer < HOOK_RUNS_KEPT)
			continue;
		buf_reset(&one);
		api_resource_path(&one, h->res, h->res->version, h->m->id.namespace,
		                  json_value_get_string(meta, "name"));
		if (delete_run(c, one.ptr) == 0)
			sync_progress(opts, "hook %s run %s deleted: %zu newer runs kept\n", hook,
			              json_value_get_string(meta, "name"), newer);
	}
	json_object_put(list);
	buf_release(&path);
	buf_release(&one);
}

/* Run hook `h` once for this commit, and wait until it ends. */
static int run_hook(struct kube_client *c, const struct sync_hook *h,
                    const struct sync_options *opts)
{
	struct json_object *obj, *live = NULL;
	struct buf name = BUF_INIT, path = BUF_INIT, why = BUF_INIT;
	const char *policy;
	double start = clock_now_ms();
	enum readiness state = READINESS_PROGRESSING;
	int error;

	if (!(obj = run_object(&name, h, opts))) {
		buf_release(&name);
		return -1;
	}
	policy = json_value_get_string(
	    json_value_get(json_value_get(obj, "metadata"), "annotations"), HOOK_DELETE_ANNOTATION);
	api_resource_path(&path, h->res, h->res->version, h->m->id.namespace, NULL);
	error = kube_client_call(NULL, c, "POST", path.ptr, "application/json",
	                         json_object_to_json_string_ext(
	                             obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	/* This commit's run is there already: it is not run again. */
	if (error == BERTH_ECONFLICT)
		error = 0;
	else if (error == 0)
		sync_progress(opts, "hook %s %s/%s started\n", sync_hook_when_name(h->when),
		              h->m->id.namespace, name.ptr);
	buf_reset(&path);
	api_resource_path(&path, h->res, h->res->version, h->m->id.namespace, name.ptr);
	while (error == 0 && state == READINESS_PROGRESSING) {
		json_object_put(live);
		live = NULL;
		buf_reset(&why);
		if ((error = kube_client_get_json(&live, c, path.ptr)) < 0)
			break;
		if ((state = run_state(&why, live)) != READINESS_PROGRESSING)
			break;
		if (stop_requested(opts->stop))
			error = berth_error_set("stopped while hook %s ran", name.ptr);
		else if (clock_now_ms() - start >= (double)opts->timeout_ms)
			error = berth_error_set("timed out after %ld s: %s",
			                        opts->timeout_ms / 1000, why.ptr);
		else
			clock_nap(opts->poll_ms, opts->stop);
	}
	if (error == 0 && state == READINESS_FAILED)
		error = berth_error_set("%s", why.ptr);
	if (error == 0)
		sync_progress(opts, "hook %s %s/%s succeeded after %.1f s\n",
		              sync_hook_when_name(h->when), h->m->id.namespace, name.ptr,
		              (clock_now_ms() - start) / 1000);
	/* on-success (the default), always or never. */
	if ((error == 0 && (!policy || strcmp(policy, "never"))) ||
	    (state == READINESS_FAILED && policy && !strcmp(policy, "always")))
		delete_run(c, path.ptr);
	if (error < 0)
		berth_error_prefix(BERTH_ERROR, "hook %s %s/%s failed",
		                   sync_hook_when_name(h->when), h->m->id.namespace, name.ptr);
	else
		prune_runs(c, h, opts);
	json_object_put(obj);
	json_object_put(live);
	buf_release(&name);
	buf_release(&path);
	buf_release(&why);
	return error;
}

int sync_hooks_run(struct kube_client *c, const struct sync_plan *plan, enum hook_when when,
                   const struct sync_options *opts)
{
	size_t i;
	int error = 0;

	for (i = 0; i < plan->nhooks && !error; i++) {
		const struct sync_hook *h = &plan->hooks[i];

		if (h->when != when || !opts->run_hooks)
			continue;
		if (opts->dry_run) {
			sync_progress(opts, "hook %s %s/%s would run (none runs in a dry run)\n",
			              sync_hook_when_name(when), h->m->id.namespace, h->m->id.name);
			continue;
		}
		error = run_hook(c, h, opts);
	}
	return error;
}
