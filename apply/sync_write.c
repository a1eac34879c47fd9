/* Writing a plan: the commit's dry run, then each phase in parallel
 * through a pool of clients, waiting for each to be ready. */
#include "sync_internal.h"

#include "ready.h"
#include "ssa.h"

#include "parallel.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/clock.h"
#include "../diff/base/json_value.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void sync_progress(const struct sync_options *opts, const char *fmt, ...)
{
	va_list ap;

	if (!opts->progress)
		return;
	va_start(ap, fmt);
	vfprintf(opts->progress, fmt, ap);
	va_end(ap);
	fflush(opts->progress);
}

void sync_warn(const struct sync_options *opts, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (opts->warn)
		opts->warn(msg.ptr, opts->warn_ctx);
	else
		fprintf(stderr, "warning: %s\n", msg.ptr);
	buf_release(&msg);
}

/*
 * The clients of the threads that write in parallel, one per thread: a
 * client serves one thread at a time. The caller's own is one of them; the
 * copies connect when first used.
 */
struct pool {
	pthread_mutex_t lock;
	struct kube_client *orig;
	struct kube_client **idle; /* the clients no thread holds */
	size_t nidle;
};

static int pool_init(struct pool *p, struct kube_client *c, unsigned threads)
{
	int error = 0;

	pthread_mutex_init(&p->lock, NULL);
	p->orig = c;
	p->idle = xcalloc(threads, sizeof(*p->idle));
	for (p->nidle = 0; p->nidle + 1 < threads && !error; p->nidle++)
		error = kube_client_dup(&p->idle[p->nidle], c);
	p->idle[p->nidle++] = c; /* taken first */
	return error;
}

static struct kube_client *pool_take(struct pool *p)
{
	struct kube_client *c;

	pthread_mutex_lock(&p->lock);
	BERTH_ASSERT(p->nidle > 0);
	c = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	return c;
}

static void pool_give(struct pool *p, struct kube_client *c)
{
	pthread_mutex_lock(&p->lock);
	p->idle[p->nidle++] = c;
	pthread_mutex_unlock(&p->lock);
}

static void pool_release(struct pool *p)
{
	size_t i;

	for (i = 0; i < p->nidle; i++)
		if (p->idle[i] != p->orig)
			kube_client_free(p->idle[i]);
	free(p->idle);
	pthread_mutex_destroy(&p->lock);
}

/* One step of the sync, done to a range of items in parallel. */
struct step {
	struct sync_plan *plan;
	const struct sync_options *opts;
	struct pool pool;
	int (*fn)(struct kube_client *c, struct sync_item *item, struct step *s);
	bool keep_going;    /* try every item, even after one failed */
	atomic_size_t done; /* objects written, for the [n/N] count */
	/* The range being run, and what failed in it. */
	size_t from;
	size_t *order; /* the range's items, those to send first */
	char **errors; /* a message per item that failed */
	int *codes;
	atomic_bool failed_any;
	size_t failed;
};

/* An object in sync sends no request: it takes no client. */
static bool idle(const struct sync_item *item)
{
	return item->drift.state == DRIFT_IN_SYNC && !item->recreate;
}

static void step_one(size_t i, void *ctx)
{
	struct step *s = ctx;
	size_t k = s->order[i];
	struct sync_item *item = &s->plan->items[s->from + k];
	struct kube_client *c = NULL;
	int error;

	/* Not started: the first failure, or a stop, ends the sync. */
	if ((!s->keep_going && atomic_load(&s->failed_any)) || stop_requested(s->opts->stop))
		return;
	if (!idle(item))
		c = pool_take(&s->pool);
	if ((error = s->fn(c, item, s)) < 0) {
		s->errors[k] = xstrdup(berth_error_last());
		s->codes[k] = error;
		atomic_store(&s->failed_any, true);
	}
	if (c)
		pool_give(&s->pool, c);
}

/* Run s->fn on items [from, to): those that send a request first,
 * opts->parallel at a time, then those in sync, in the caller's thread (a
 * one-object commit among thousands is sent at once). On failure the
 * message holds each failed item's, in plan order, and the first one's
 * code is returned; s->failed counts them. */
static int step_run(struct step *s, size_t from, size_t to)
{
	struct buf all = BUF_INIT;
	size_t i, busy = 0, n;
	int error = 0;

	s->from = from;
	s->order = xcalloc(to - from + 1, sizeof(*s->order));
	for (i = 0; i < to - from; i++)
		if (!idle(&s->plan->items[from + i]))
			s->order[busy++] = i;
	for (i = 0, n = busy; i < to - from; i++)
		if (idle(&s->plan->items[from + i]))
			s->order[n++] = i;
	s->errors = xcalloc(to - from + 1, sizeof(*s->errors));
	s->codes = xcalloc(to - from + 1, sizeof(*s->codes));
	s->failed = 0;
	atomic_store(&s->failed_any, false);
	parallel_for(busy, s->opts->parallel, step_one, s);
	for (i = busy; i < to - from; i++)
		step_one(i, s);
	for (i = 0; i < to - from; i++) {
		if (!s->errors[i])
			continue;
		buf_addf(&all, "%s%s", s->failed++ ? "\n" : "", s->errors[i]);
		if (!error)
			error = s->codes[i];
		free(s->errors[i]);
	}
	if (error)
		berth_error_set("%s", all.ptr);
	else if (stop_requested(s->opts->stop))
		error = berth_error_set("stopped: the objects being written were finished, no "
		                        "other was started");
	free(s->order);
	free(s->errors);
	free(s->codes);
	buf_release(&all);
	return error;
}

/* The server stored a write of `item` (`answer`, its reply): keep the
 * resourceVersion it gave, so the event it causes is known as berth's. */
static void note_written(struct sync_item *item, struct json_object *answer)
{
	const char *rv =
	    json_value_get_string(json_value_get(answer, "metadata"), "resourceVersion");

	if (rv && strlen(rv) < 64 && item->written.len < 1024)
		buf_add(&item->written, rv, strlen(rv) + 1);
}

/* Hand the fields client-side apply wrote to berth's server-side apply
 * (ssa_takeover_patch), so that the apply that follows owns them. */
static int take_over(struct kube_client *c, struct sync_item *item)
{
	struct buf path = BUF_INIT;
	struct json_object *live = NULL, *patch = NULL, *answer = NULL;
	int error;

	sync_item_path(&path, item, true);
	if ((error = kube_client_get_owned(&live, c, path.ptr)) == 0)
		ssa_takeover_patch(&patch, live);
	if (patch && (error = kube_client_call(
	                  &answer, c, "PATCH", path.ptr, "application/json-patch+json",
	                  json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN))) == 0)
		note_written(item, answer);
	json_object_put(answer);
	json_object_put(patch);
	json_object_put(live);
	buf_release(&path);
	return error;
}

/* Is namespace `ns` created by this plan (so it does not exist yet)? */
static bool created_namespace(const struct sync_plan *plan, const char *ns)
{
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (!*plan->items[i].m->id.group &&
		    !strcmp(plan->items[i].m->id.kind, "Namespace") &&
		    !strcmp(plan->items[i].m->id.name, ns) &&
		    plan->items[i].drift.state == DRIFT_MISSING)
			return true;
	return false;
}

/* Why the server cannot check the item's write before the commit's earlier
 * phases are written; NULL when it can. */
static const char *unverifiable(const struct sync_plan *plan, const struct sync_item *item)
{
	if (item->awaits_crd)
		return "its CustomResourceDefinition is created by this commit";
	if (item->res->namespaced && created_namespace(plan, item->m->id.namespace))
		return "its namespace is created by this commit";
	return NULL;
}

/* The server says the item's patch changes nothing: it is in sync, and its
 * live object is not needed any more. */
static void settle(struct sync_item *item)
{
	drift_settle(&item->drift);
	json_object_put(item->live);
	item->live = NULL;
}

/* Send the item's create or patch once: with server-side apply, the whole
 * manifest as berth's applied configuration. The server's answer tells
 * whether the object is ready already. */
static int write_once(struct kube_client *c, struct sync_item *item,
                      const struct sync_options *opts)
{
	struct buf path = BUF_INIT, why = BUF_INIT;
	struct json_object *body = NULL, *written = NULL;
	const char *method, *type;
	int error = 0;

	if (opts->server_side) {
		method = "PATCH";
		type = "application/apply-patch+yaml";
		ssa_body(&body, sync_item_desired(item));
		json_object_put(item->desired);
		item->desired = NULL;
		sync_item_path(&path, item, true);
		buf_adds(&path, "?fieldManager=" FIELD_MANAGER "&force=true");
		if (!error && !opts->dry_run && item->drift.state != DRIFT_MISSING)
			error = take_over(c, item);
	} else if (item->drift.state == DRIFT_MISSING) {
		method = "POST";
		type = "application/json";
		body = json_object_get(sync_item_predicted(item));
		sync_item_path(&path, item, false);
	} else {
		method = "PATCH";
		type = item->drift.patch_type;
		body = json_object_get(item->drift.patch);
		sync_item_path(&path, item, true);
	}
	if (opts->dry_run)
		buf_adds(&path, strchr(path.ptr, '?') ? "&dryRun=All" : "?dryRun=All");
	/* JSON is YAML, as long as "/" is not escaped: YAML has no "\/". */
	if (!error)
		error = kube_client_call(
		    &written, c, method, path.ptr, type,
		    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
		                                             JSON_C_TO_STRING_NOSLASHESCAPE));
	if (error == 0 && !opts->dry_run) {
		sync_item_health(item, written);
		note_written(item, written);
	} else {
		item->ready = error == 0 && ready_check(&why, written, false) == READINESS_READY;
	}
	/* A dry run's answer is what the write would leave: when it is the
	 * live object, the drift was only local, and there is nothing to
	 * write. */
	if (error == 0 && opts->dry_run) {
		item->dry_run_ok = item->confirmed = true;
		/* An annotation to remove is not in the dry run's answer. */
		if (item->drift.state == DRIFT_DRIFTED && !item->migrate &&
		    drift_answer_unchanged(written, item->live))
			settle(item);
		else if (item->drift.state == DRIFT_DRIFTED && written)
			drift_take_answer(&item->drift, item->live, written);
	}
	json_object_put(written);
	json_object_put(body);
	buf_release(&path);
	buf_release(&why);
	return error;
}

/* The URL of claim <tmpl>-<statefulset>-<ordinal>, which the StatefulSet
 * controller makes for each pod. */
void sync_claim_path(struct buf *out, const char *ns, const char *tmpl, const char *sts,
                     int64_t ordinal)
{
	struct buf name = BUF_INIT;

	buf_addf(&name, "%s-%s-%lld", tmpl, sts, (long long)ordinal);
	api_core_path(out, ns, "persistentvolumeclaims", name.ptr);
	buf_release(&name);
}

/* Patch each existing claim of the StatefulSet made from `tmpl` to `size`:
 * <template>-<statefulset>-<ordinal>, for every pod and any left beyond. */
static int grow_claims(struct kube_client *c, const struct sync_item *item, const char *tmpl,
                       const char *size, const struct sync_options *opts)
{
	struct json_object *replicas =
	    json_value_get(json_value_get(item->live, "spec"), "replicas");
	int64_t want =
	    json_object_is_type(replicas, json_type_int) ? json_object_get_int64(replicas) : 1;
	struct buf path = BUF_INIT, body = BUF_INIT;
	int64_t n;
	int error = 0;

	buf_addf(&body, "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"%s\"}}}}", size);
	for (n = 0;; n++) {
		buf_reset(&path);
		sync_claim_path(&path, item->m->id.namespace, tmpl, item->m->id.name, n);
		if (opts->dry_run)
			buf_adds(&path, "?dryRun=All");
		error = kube_client_call(NULL, c, "PATCH", path.ptr, "application/merge-patch+json",
		                         body.ptr);
		if (error == BERTH_ENOTFOUND && n >= want) {
			error = 0;
			break;
		}
		if (error == BERTH_ENOTFOUND)
			continue;
		if (error < 0)
			break;
		sync_progress(opts, "persistentvolumeclaim %s/%s-%s-%lld resized to %s%s\n",
		              item->m->id.namespace, tmpl, item->m->id.name, (long long)n, size,
		              opts->dry_run ? " (server dry run)" : "");
	}
	buf_release(&path);
	buf_release(&body);
	return error;
}

/* Change a StatefulSet's immutable fields without losing a pod's data: grow
 * its claims if asked, delete it with its pods and claims orphaned, wait
 * until it is gone, and create it again; it adopts the running pods. */
static int recreate(struct kube_client *c, struct sync_item *item, const struct sync_options *opts)
{
	struct buf path = BUF_INIT, body = BUF_INIT;
	double deadline = clock_now_ms() + (double)opts->timeout_ms;
	size_t i;
	int error = 0;

	for (i = 0; i < json_value_array_len(item->grow) && !error; i++) {
		struct json_object *g = json_object_array_get_idx(item->grow, i);
		error = grow_claims(c, item, json_value_get_string(g, "template"),
		                    json_value_get_string(g, "storage"), opts);
	}
	if (error < 0)
		goto out;
	sync_item_path(&path, item, true);
	buf_addf(&body,
	         "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":"
	         "\"Orphan\",\"preconditions\":{\"uid\":\"%s\"}%s}",
	         item->uid, opts->dry_run ? ",\"dryRun\":[\"All\"]" : "");
	if ((error = kube_client_call(NULL, c, "DELETE", path.ptr, "application/json", body.ptr)) <
	        0 ||
	    opts->dry_run)
		goto out;
	while ((error = kube_client_get_json(NULL, c, path.ptr)) == 0) {
		if (clock_now_ms() >= deadline) {
			berth_error_set("timed out after %ld s waiting for it to be deleted",
			                opts->timeout_ms / 1000);
			error = BERTH_ETIMEOUT;
			goto out;
		}
		clock_nap(opts->poll_ms, opts->stop);
	}
	if (error != BERTH_ENOTFOUND)
		goto out;
	drift_release(&item->drift);
	if ((error = sync_compare(item, NULL)) == 0)
		error = write_once(c, item, opts);
out:
	buf_release(&path);
	buf_release(&body);
	return error;
}

/* Create or patch; on a conflict, read the object again, compare again and
 * retry, a bounded number of times. Prints "[n/total] kind/name created",
 * n counting the objects written so far. A create whose answer was lost
 * (the server went away after storing it) comes back 409 AlreadyExists
 * when the client retries it; the object read back is then Git's, and it
 * counts as created, not unchanged. */
static int write_item(struct kube_client *c, struct sync_item *item, struct step *s)
{
	const struct sync_options *opts = s->opts;
	struct buf path = BUF_INIT, name = BUF_INIT;
	enum drift_state state = item->drift.state, planned = state;
	/* A dry run cannot write what needs the commit's earlier phases. */
	const char *unchecked = opts->dry_run ? unverifiable(s->plan, item) : NULL;
	unsigned tries;
	int error = 0;

	for (tries = 0; state != DRIFT_IN_SYNC && !unchecked; tries++) {
		struct json_object *live = NULL;

		item->sent = item->sent || !opts->dry_run;
		if (item->recreate) {
			error = recreate(c, item, opts);
			break;
		}
		if ((error = write_once(c, item, opts)) != BERTH_ECONFLICT ||
		    tries >= MAX_CONFLICTS)
			break;
		buf_reset(&path);
		sync_item_path(&path, item, true);
		error = kube_client_get_json(&live, c, path.ptr);
		if (error < 0 && error != BERTH_ENOTFOUND)
			break;
		drift_release(&item->drift);
		error = sync_compare(item, error == BERTH_ENOTFOUND ? NULL : live);
		json_object_put(live);
		if (error < 0)
			break;
		state = item->drift.state;
	}
	/* A dry run that changes nothing settled it (write_once). */
	if (!error && item->drift.state == DRIFT_IN_SYNC)
		state = DRIFT_IN_SYNC;
	sync_item_name(&name, item);
	if (error < 0) {
		item->action = SYNC_FAILED;
		sync_blame(item, NULL);
	} else {
		bool answer_lost = planned == DRIFT_MISSING && state == DRIFT_IN_SYNC;

		item->action = item->recreate                          ? SYNC_RECREATED
		               : state == DRIFT_MISSING || answer_lost ? SYNC_CREATED
		               : state == DRIFT_IN_SYNC                ? SYNC_UNCHANGED
		                                                       : SYNC_CONFIGURED;
		sync_progress(opts, "[%zu/%zu] %s %s%s%s%s\n", atomic_fetch_add(&s->done, 1) + 1,
		              s->plan->n, name.ptr,
		              item->action == SYNC_UNCHANGED   ? "unchanged"
		              : item->action == SYNC_CREATED   ? "created"
		              : item->action == SYNC_RECREATED ? "recreated (pods and claims kept)"
		                                               : "configured",
		              !opts->dry_run || item->action == SYNC_UNCHANGED ? ""
		              : unchecked ? " (dry run; the server cannot check it: "
		                          : " (server dry run)",
		              unchecked ? unchecked : "", unchecked ? ")" : "");
		/* Written: what was read and predicted is not needed any more. */
		json_object_put(item->drift.predicted);
		item->drift.predicted = NULL;
		json_object_put(item->live);
		item->live = NULL;
	}
	buf_release(&path);
	buf_release(&name);
	return error;
}

/*
 * Let the server check every write of the commit (dryRun=All) before the
 * first real one: a manifest it rejects (422, 403, ...) then changes
 * nothing. Writes into a namespace the commit creates cannot be checked
 * this way (the namespace does not exist yet) and are left to the write.
 * Every rejection is reported, each naming its file and object.
 */
static int dry_run_one(struct kube_client *c, struct sync_item *item, struct step *s)
{
	struct sync_options dry = *s->opts;
	int error;

	dry.dry_run = true;
	if (item->drift.state == DRIFT_IN_SYNC || item->recreate || item->dry_run_ok ||
	    unverifiable(s->plan, item))
		return 0;
	error = write_once(c, item, &dry);
	/* An object to create is predicted again when written, not held until then. */
	if (item->drift.state == DRIFT_MISSING) {
		json_object_put(item->drift.predicted);
		item->drift.predicted = NULL;
	}
	if (error < 0) {
		item->action = SYNC_FAILED;
		sync_blame(item, NULL);
	}
	return error;
}

/* Ask the server about one object's local drift: a dry run of its write.
 * A refusal is not an error here: the local verdict stands, saying why. */
static int confirm_one(struct kube_client *c, struct sync_item *item, struct step *s)
{
	struct sync_options dry = *s->opts;

	dry.dry_run = true;
	if (item->drift.state != DRIFT_DRIFTED || item->recreate || item->confirmed)
		return 0;
	atomic_fetch_add(&s->done, 1);
	if (write_once(c, item, &dry) < 0) {
		struct buf why = BUF_INIT;

		buf_addf(&why, "the server did not confirm it: %s", berth_error_last());
		free(item->drift.unconfirmed);
		item->drift.unconfirmed = buf_detach(&why, NULL);
	}
	return 0;
}

size_t sync_plan_confirm(struct sync_plan *plan, struct kube_client *c,
                         const struct sync_options *opts)
{
	struct step s = {.plan = plan, .opts = opts, .fn = confirm_one, .keep_going = true};
	size_t i, n = 0;
	bool drifted;

	for (i = 0; i < plan->n; i++) {
		struct sync_item *item = &plan->items[i];

		if (item->drift.state != DRIFT_DRIFTED || item->recreate || item->confirmed)
			continue;
		if (item->keyed && opts->verdicts &&
		    verdicts_find(&drifted, opts->verdicts, item->key)) {
			item->confirmed = true;
			if (!drifted)
				settle(item);
			continue;
		}
		n++;
	}
	if (!n)
		return 0;
	if (pool_init(&s.pool, c, opts->parallel ? opts->parallel : 1) == 0)
		step_run(&s, 0, plan->n);
	pool_release(&s.pool);
	for (i = 0; i < plan->n && opts->verdicts; i++) {
		struct sync_item *item = &plan->items[i];

		if (item->keyed && item->dry_run_ok)
			verdicts_remember(opts->verdicts, item->key,
			                  item->drift.state == DRIFT_DRIFTED);
	}
	return atomic_load(&s.done);
}

/* The bytes of an object's annotations, keys and values, as the server
 * counts them against ANNOTATIONS_MAX. */
static size_t annotations_size(struct json_object *obj)
{
	struct json_object *annotations =
	    json_value_get(json_value_get(obj, "metadata"), "annotations");
	size_t n = 0;

	if (!json_object_is_type(annotations, json_type_object))
		return 0;
	json_object_object_foreach(annotations, key, value)
	{
		n += strlen(key) + (json_object_is_type(value, json_type_string)
		                        ? json_object_get_string_len(value)
		                        : 0);
	}
	return n;
}

/* Order: wave, then phase, then the order of the manifests. */
static int cmp_phase(const void *a, const void *b)
{
	const struct sync_item *x = a, *y = b;

	if (x->wave != y->wave)
		return x->wave < y->wave ? -1 : 1;
	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	return x->m < y->m ? -1 : x->m > y->m;
}

void sync_plan_order(struct sync_item *items, size_t n)
{
	size_t i;

	/* A wave that is not an integer is refused by the checks. */
	for (i = 0; i < n; i++) {
		items[i].phase = phase_of(items[i].m->id.group, items[i].m->id.kind);
		manifest_wave(&items[i].wave, items[i].m);
	}
	qsort(items, n, sizeof(*items), cmp_phase);
}

/*
 * Client-side apply keeps the whole object in its last-applied annotation,
 * and the server allows an object's annotations 256 KiB in all: an object
 * to write over that (a large CustomResourceDefinition) is refused, every
 * one named, before anything is sent. Server-side apply keeps no such
 * annotation.
 */
static int check_annotations(struct sync_plan *plan, const struct sync_options *opts)
{
	struct buf all = BUF_INIT;
	size_t i, n = 0, size;
	int error = 0;

	for (i = 0; i < plan->n && !opts->server_side; i++) {
		struct sync_item *item = &plan->items[i];

		if (item->drift.state == DRIFT_MISSING) {
			size = annotations_size(sync_item_predicted(item));
			/* Predicted again when written, not held until then. */
			json_object_put(item->drift.predicted);
			item->drift.predicted = NULL;
		} else if (item->drift.state == DRIFT_DRIFTED) {
			size = annotations_size(item->drift.predicted);
		} else {
			continue;
		}
		if (size <= ANNOTATIONS_MAX)
			continue;
		berth_error_set(
		    "with the last-applied configuration client-side apply keeps, its "
		    "annotations would be %zu bytes, over the %d bytes the server allows: "
		    "sync it with --server-side, which keeps none",
		    size, ANNOTATIONS_MAX);
		sync_blame(item, NULL);
		buf_addf(&all, "%s%s", n++ ? "\n" : "", berth_error_last());
	}
	if (n)
		error =
		    berth_error_set("%s\n%zu object%s too large for client-side apply; nothing was "
		                    "changed",
		                    all.ptr, n, n == 1 ? " is" : "s are");
	buf_release(&all);
	return error;
}

int sync_plan_apply(struct sync_plan *plan, struct kube_client *c, const struct sync_options *opts)
{
	struct step s = {.plan = plan, .opts = opts};
	/* Sorted by wave: any but 0 is at one end. */
	bool waves = plan->n && (plan->items[0].wave || plan->items[plan->n - 1].wave);
	size_t i, j;
	int error;

	if ((error = check_annotations(plan, opts)) < 0)
		return error;
	if ((error = pool_init(&s.pool, c, opts->parallel ? opts->parallel : 1)) < 0) {
		pool_release(&s.pool);
		return error;
	}
	if (!opts->dry_run) {
		s.fn = dry_run_one;
		s.keep_going = true;
		if ((error = step_run(&s, 0, plan->n)) < 0) {
			char *all = xstrdup(berth_error_last());

			berth_error_set("%s\n%zu object%s the server refuses; nothing was changed",
			                all, s.failed, s.failed == 1 ? "" : "s");
			free(all);
		}
		s.keep_going = false;
	}
	/* What the server refuses stops the sync before its hooks. */
	if (error < 0) {
		pool_release(&s.pool);
		return error;
	}
	error = sync_hooks_run(c, plan, HOOK_PRE_SYNC, opts);
	/* Wave by wave, each in its phases. */
	for (i = 0; i < plan->n && !error; i = j) {
		for (j = i; j < plan->n && plan->items[j].phase == plan->items[i].phase &&
		            plan->items[j].wave == plan->items[i].wave;
		     j++)
			;
		if (waves && (i == 0 || plan->items[i].wave != plan->items[i - 1].wave))
			sync_progress(opts, "wave %ld\n", plan->items[i].wave);
		s.fn = write_item;
		/* Custom resources of a CRD in the commit need it Established. */
		if ((error = step_run(&s, i, j)) == 0 && !opts->dry_run &&
		    (opts->wait || (plan->items[i].phase == PHASE_CRD && plan->ndefined)))
			error = sync_wait_phase(c, plan, i, j, opts);
	}
	pool_release(&s.pool);
	/* Applied and ready, and a post-sync hook failed: Degraded. */
	if (!error && (error = sync_hooks_run(c, plan, HOOK_POST_SYNC, opts)) < 0)
		plan->hook_failed = xstrdup(berth_error_last());
	if (error < 0) {
		/* The sync's error stays the error; a sync-fail hook's is said. */
		char *why = xstrdup(berth_error_last());

		if (sync_hooks_run(c, plan, HOOK_SYNC_FAIL, opts) < 0)
			sync_warn(opts, "%s", berth_error_last());
		berth_error_set("%s", why);
		free(why);
	}
	return error;
}
