/* Waiting until a phase is ready, and saying what holds it up. */
#include "sync_internal.h"

#include "ready.h"
#include "sync_pods.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/clock.h"
#include "../diff/base/json_value.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* What was found of `item`: its health, and why it is not Ready. */
static void set_health(struct sync_item *item, enum readiness state, const struct buf *why)
{
	item->health = state;
	free(item->health_why);
	item->health_why = why->len ? xstrdup(why->ptr) : NULL;
}

void sync_item_health(struct sync_item *item, struct json_object *live)
{
	struct buf why = BUF_INIT;
	enum readiness state = READINESS_PROGRESSING;

	if (live)
		state = ready_check(&why, live, false);
	else
		buf_adds(&why, "it does not exist");
	set_health(item, state, &why);
	item->ready = state == READINESS_READY;
	buf_release(&why);
}

enum readiness sync_plan_health(const struct sync_plan *plan, size_t *worst)
{
	enum readiness r = READINESS_READY;
	size_t i, at = plan->n;

	for (i = 0; i < plan->n; i++)
		if (plan->items[i].health > r) {
			r = plan->items[i].health;
			at = i;
		}
	if (plan->hook_failed && r < READINESS_DEGRADED) {
		r = READINESS_DEGRADED;
		at = plan->n;
	}
	if (worst)
		*worst = at;
	return r;
}

/* Does the claim's StorageClass bind on first consumer? From Git, else live. */
static bool binds_on_first_consumer(struct kube_client *c, const struct sync_plan *plan,
                                    struct json_object *claim)
{
	const char *cls = json_value_get_string(json_value_get(claim, "spec"), "storageClassName");
	struct json_object *mode = cls ? sync_class_field(c, plan, cls, "volumeBindingMode") : NULL;
	bool wffc = json_object_is_type(mode, json_type_string) &&
	            !strcmp(json_object_get_string(mode), "WaitForFirstConsumer");

	json_object_put(mode);
	return wffc;
}

/* One object of a phase being waited on. */
struct wait {
	struct sync_item *item;
	enum readiness state;
	struct buf why, said; /* what it waits for, and what was last printed */
	/* Its own status's account of it ("1 of 3 pods ready"), and when that
	 * last changed: what makes no progress for the deadline is stuck. */
	struct buf progress, said_progress;
	double moved_at;
	struct pod_recovery recovery;
	int wffc; /* its class binds on first consumer; -1: not yet asked */
	/* Why its claim is Pending (explain), asked of the cluster at most
	 * every EXPLAIN_MS: when it was last asked, and the answer. */
	double explained_at;
	struct buf explained;
};

#define EXPLAIN_MS 5000.0

/* Bytes of an event's message said, at most. */
#define EVENT_MESSAGE_MAX 300

/* The newest event of `obj` (a claim), as " (Reason: message)" after
 * `out`: what the volume controller or the provisioner last said of it.
 * Nothing when there is none, or the events cannot be read. */
static void last_event(struct buf *out, struct kube_client *c, struct json_object *obj)
{
	struct json_object *meta = json_value_get(obj, "metadata"), *list = NULL, *items,
	                   *newest = NULL;
	const char *ns = json_value_get_string(meta, "namespace"),
	           *name = json_value_get_string(meta, "name"),
	           *kind = json_value_get_string(obj, "kind");
	struct buf path = BUF_INIT, selector = BUF_INIT, one = BUF_INIT;
	const char *reason, *message, *at, *best = "";
	size_t i;

	if (!ns || !name)
		return;
	buf_addf(&selector, "involvedObject.kind=%s,involvedObject.name=%s",
	         kind ? kind : "PersistentVolumeClaim", name);
	api_core_path(&path, ns, "events", NULL);
	buf_adds(&path, "?limit=100&fieldSelector=");
	api_query_value(&path, selector.ptr);
	if (kube_client_get_json(&list, c, path.ptr) == 0) {
		items = json_value_get(list, "items");
		for (i = 0; i < json_value_array_len(items); i++) {
			struct json_object *e = json_object_array_get_idx(items, i);

			at = json_value_get_string(e, "lastTimestamp");
			if (!at)
				at = json_value_get_string(json_value_get(e, "metadata"),
				                           "creationTimestamp");
			/* RFC 3339 times in UTC compare as text. */
			if (at && strcmp(at, best) >= 0) {
				best = at;
				newest = e;
			}
		}
	}
	reason = json_value_get_string(newest, "reason");
	message = json_value_get_string(newest, "message");
	if (reason && message) {
		buf_addf(&one, "%s: %.*s", reason, EVENT_MESSAGE_MAX, message);
		buf_adds(out, " (");
		buf_add_printable(out, one.ptr, NULL);
		buf_addch(out, ')');
	}
	json_object_put(list);
	buf_release(&path);
	buf_release(&selector);
	buf_release(&one);
}

/* Why `claim` is Pending (ready_claim_pending), with its class from Git or
 * the cluster, and its newest event. */
static void claim_waits_for(struct buf *out, struct kube_client *c, const struct sync_plan *plan,
                            struct json_object *claim)
{
	const char *name = json_value_get_string(json_value_get(claim, "spec"), "storageClassName");
	struct json_object *provisioner = NULL;
	struct claim_class cls = {0};

	if (name && *name) {
		provisioner = sync_class_field(c, plan, name, "provisioner");
		cls.provisioner = json_object_get_string(provisioner);
		cls.binds_on_first_consumer = binds_on_first_consumer(c, plan, claim);
	}
	ready_claim_pending(out, claim, name && *name ? &cls : NULL);
	if (out->len)
		last_event(out, c, claim);
	json_object_put(provisioner);
}

/* Why a StatefulSet's next pod cannot be ready when that is its claim:
 * "claim ns/www-web-1 Pending: ...", for the first Pending claim of the
 * first pod not ready. */
static void statefulset_claim_waits(struct buf *out, struct kube_client *c,
                                    const struct sync_plan *plan, struct json_object *sts)
{
	struct json_object *spec = json_value_get(sts, "spec"), *v;
	struct json_object *templates = json_value_get(spec, "volumeClaimTemplates");
	int64_t replicas = 1, ready = 0;
	const char *ns = json_value_get_string(json_value_get(sts, "metadata"), "namespace");
	const char *name = json_value_get_string(json_value_get(sts, "metadata"), "name");
	struct buf path = BUF_INIT, why = BUF_INIT;
	size_t i;

	if (json_object_is_type((v = json_value_get(spec, "replicas")), json_type_int))
		replicas = json_object_get_int64(v);
	if (json_object_is_type(
	        (v = json_value_get(json_value_get(sts, "status"), "readyReplicas")),
	        json_type_int))
		ready = json_object_get_int64(v);
	for (i = 0;
	     ns && name && ready < replicas && i < json_value_array_len(templates) && !out->len;
	     i++) {
		const char *tmpl = json_value_get_string(
		    json_value_get(json_object_array_get_idx(templates, i), "metadata"), "name");
		struct json_object *claim = NULL;

		buf_reset(&path);
		buf_reset(&why);
		sync_claim_path(&path, ns, tmpl ? tmpl : "", name, ready);
		if (tmpl && kube_client_get_json(&claim, c, path.ptr) == 0)
			claim_waits_for(&why, c, plan, claim);
		if (why.len)
			buf_addf(out, "claim %s/%s-%s-%lld Pending: %s", ns, tmpl, name,
			         (long long)ready, why.ptr);
		json_object_put(claim);
	}
	buf_release(&path);
	buf_release(&why);
}

/* What the first object a phase waits for, when it is a claim or a
 * StatefulSet, waits for beyond its own status: read again and asked of the
 * cluster at most every EXPLAIN_MS, into w->explained. */
static void explain(struct kube_client *c, const struct sync_plan *plan, struct wait *w)
{
	const struct object_id *id = &w->item->m->id;
	bool claim = !*id->group && !strcmp(id->kind, "PersistentVolumeClaim");
	bool sts = !strcmp(id->group, "apps") && !strcmp(id->kind, "StatefulSet");
	struct json_object *live = NULL;
	struct buf path = BUF_INIT, why = BUF_INIT;

	if ((!claim && !sts) || clock_now_ms() - w->explained_at < EXPLAIN_MS)
		return;
	w->explained_at = clock_now_ms();
	buf_reset(&w->explained);
	sync_item_path(&path, w->item, true);
	if (kube_client_get_json(&live, c, path.ptr) == 0 && claim)
		claim_waits_for(&why, c, plan, live);
	else if (live)
		statefulset_claim_waits(&why, c, plan, live);
	/* "phase Pending: ..."; "0 of 1 pods ready; claim ..." */
	if (why.len)
		buf_addf(&w->explained, "%s%s", claim ? ": " : "; ", why.ptr);
	json_object_put(live);
	buf_release(&path);
	buf_release(&why);
}

struct wait_group {
	struct kube_client *c;
	const struct sync_plan *plan;
	const struct sync_options *opts;
	struct wait **waits; /* sorted by name */
	size_t n;
};

/* A StatefulSet that is not ready: why, from its pods; as bad as its
 * worst pod. */
static void statefulset_pods(struct wait_group *g, struct wait *w, struct json_object *live)
{
	const char *type = json_value_get_string(
	    json_value_get(json_value_get(live, "spec"), "updateStrategy"), "type");
	struct buf pods = BUF_INIT;
	enum readiness r;

	if (strcmp(w->item->m->id.kind, "StatefulSet") || strcmp(w->item->m->id.group, "apps"))
		return;
	/* Ready under OnDelete, with pods left on the old revision (which
	 * ready_check() counts in `why`): which ones. */
	if (w->state == READINESS_READY && w->why.len && type && !strcmp(type, "OnDelete"))
		sync_pods_outdated(&w->why, g->c, live);
	if (w->state != READINESS_PROGRESSING)
		return;
	r = sync_pods_explain(&pods, g->c, live, &w->recovery, g->opts);
	if (pods.len)
		buf_addf(&w->why, "%s%s", w->why.len ? "; " : "", pods.ptr);
	if (r > w->state)
		w->state = r;
	buf_release(&pods);
}

static int cmp_wait_name(const void *key, const void *elem)
{
	return strcmp(key, (*(struct wait *const *)elem)->item->m->id.name);
}

/* Decide each waited-on object that a LIST page holds. */
static int wait_page(struct json_object *page, void *ctx)
{
	struct wait_group *g = ctx;
	struct json_object *items = json_value_get(page, "items");
	size_t i;

	for (i = 0; i < json_value_array_len(items); i++) {
		struct json_object *live = json_object_array_get_idx(items, i);
		const char *name = json_value_get_string(json_value_get(live, "metadata"), "name");
		struct wait **hit =
		    name ? bsearch(name, g->waits, g->n, sizeof(*g->waits), cmp_wait_name) : NULL;

		if (!hit)
			continue;
		sync_typed(live, (*hit)->item);
		/* The class of a claim cannot change: ask once. */
		if ((*hit)->wffc < 0)
			(*hit)->wffc = !strcmp((*hit)->item->m->id.kind, "PersistentVolumeClaim") &&
			               binds_on_first_consumer(g->c, g->plan, live);
		buf_reset(&(*hit)->why);
		(*hit)->state = ready_check(&(*hit)->why, live, (*hit)->wffc > 0);
		buf_reset(&(*hit)->progress);
		buf_adds(&(*hit)->progress, (*hit)->why.ptr);
		statefulset_pods(g, *hit, live);
	}
	return 0;
}

static int cmp_wait_list(const void *a, const void *b)
{
	return sync_cmp_list(&(*(struct wait *const *)a)->item, &(*(struct wait *const *)b)->item);
}

/* Read every waited-on object once: one LIST per kind and namespace. */
static int wait_poll(struct kube_client *c, const struct sync_plan *plan, struct wait **waits,
                     size_t n, const struct sync_options *opts)
{
	struct buf path = BUF_INIT;
	size_t i, j, k;
	int error = 0;

	for (i = 0; i < n && !error; i = j) {
		struct wait_group g = {c, plan, opts, waits + i, 0};

		for (j = i + 1; j < n && sync_same_list(waits[j]->item, waits[i]->item); j++)
			;
		g.n = j - i;
		for (k = i; k < j; k++) {
			buf_reset(&waits[k]->why);
			buf_adds(&waits[k]->why, "it does not exist");
			buf_reset(&waits[k]->progress);
			waits[k]->state = READINESS_PROGRESSING;
		}
		buf_reset(&path);
		sync_item_path(&path, waits[i]->item, false);
		buf_addf(&path, "?limit=%d", LIST_PAGE);
		if ((error = kube_client_list(c, path.ptr, wait_page, &g)) < 0)
			sync_blame(waits[i]->item, "cannot read it back");
	}
	buf_release(&path);
	return error;
}

/* Is the rollout of `item` to be recovered when it is stuck on broken
 * pods: a StatefulSet this sync wrote, which asks for it or whose source
 * does? */
static bool recovers(struct sync_item *item, const struct sync_options *opts)
{
	const char *asked;

	if (item->action != SYNC_CONFIGURED || strcmp(item->m->id.kind, "StatefulSet") ||
	    strcmp(item->m->id.group, "apps"))
		return false;
	asked = json_value_get_string(
	    json_value_get(json_value_get(sync_item_desired(item), "metadata"), "annotations"),
	    RECOVER_ANNOTATION);
	return opts->recover_stuck || (asked && !strcmp(asked, RECOVER_STUCK_ROLLOUT));
}

/*
 * Wait until every object of one phase is ready, within the phase's time,
 * polling with one LIST per kind and namespace. An object the write's
 * answer already showed ready is not waited on. Prints what each waits for
 * when it changes, and when it is ready.
 */
int sync_wait_phase(struct kube_client *c, struct sync_plan *plan, size_t from, size_t to,
                    const struct sync_options *opts)
{
	double start = clock_now_ms(), deadline = start + (double)opts->timeout_ms;
	struct wait *all = xcalloc(to - from + 1, sizeof(*all));
	struct wait **waits = xcalloc(to - from + 1, sizeof(*waits));
	struct buf what = BUF_INIT;
	size_t i, n = 0, pending;
	int error = 0;

	for (i = from; i < to; i++)
		if (!plan->items[i].ready) {
			struct wait *w = &all[n];

			w->item = &plan->items[i];
			w->wffc = -1;
			buf_init(&w->why);
			buf_init(&w->said);
			buf_init(&w->progress);
			buf_init(&w->said_progress);
			buf_init(&w->explained);
			w->moved_at = start;
			w->recovery.on = recovers(w->item, opts);
			buf_init(&w->recovery.said);
			waits[n++] = w;
		}
	qsort(waits, n, sizeof(*waits), cmp_wait_list);
	while (n && (error = wait_poll(c, plan, waits, n, opts)) == 0) {
		struct wait *first = NULL;

		for (i = 0; i < n && !first; i++)
			if (all[i].state != READINESS_READY) /* in plan order */
				first = &all[i];
		/* What holds up a phase that is slow: asked of the cluster for the
		 * first object only, and not before it has waited a while. */
		if (first && clock_now_ms() - start >= EXPLAIN_MS)
			explain(c, plan, first);
		for (i = pending = 0; i < n; i++) {
			struct wait *w = &all[i];

			buf_reset(&what);
			sync_describe(&what, w->item);
			if (w->state == READINESS_READY) {
				set_health(w->item, w->state, &w->why);
				/* The end of a wait that was said, or that has
				 * something to say (a partition, pods OnDelete
				 * leaves): said whatever the first read found. */
				if (w->said.len || w->why.len)
					sync_progress(opts, "%s ready after %.1f s%s%s\n", what.ptr,
					              (clock_now_ms() - start) / 1000,
					              w->why.len ? ": " : "", w->why.ptr);
				buf_reset(&w->said);
				continue;
			}
			buf_adds(&w->why, w->explained.ptr);
			set_health(w->item, w->state, &w->why);
			if (w->state == READINESS_FAILED) {
				error = berth_error_set("%s: Failed: %s", what.ptr, w->why.ptr);
				goto out;
			}
			if (strcmp(w->progress.ptr, w->said_progress.ptr)) {
				w->moved_at = clock_now_ms();
				buf_reset(&w->said_progress);
				buf_adds(&w->said_progress, w->progress.ptr);
			}
			if (clock_now_ms() - w->moved_at >= (double)opts->progress_deadline_ms) {
				w->item->health = READINESS_DEGRADED;
				error = berth_error_set("%s: Degraded: no progress for %ld s: %s",
				                        what.ptr, opts->progress_deadline_ms / 1000,
				                        w->why.ptr);
				goto out;
			}
			pending++;
			if (strcmp(w->said.ptr, w->why.ptr)) {
				sync_progress(opts, "waiting for %s: %s\n", what.ptr, w->why.ptr);
				buf_reset(&w->said);
				buf_adds(&w->said, w->why.ptr);
			}
		}
		if (!pending)
			break;
		if (stop_requested(opts->stop)) {
			error = berth_error_set("stopped while waiting for %s", first->why.ptr);
			break;
		}
		if (clock_now_ms() >= deadline) {
			buf_reset(&what);
			sync_describe(&what, first->item);
			buf_addf(&what, ": %s%s%s",
			         first->state == READINESS_DEGRADED ? readiness_name(first->state)
			                                            : "",
			         first->state == READINESS_DEGRADED ? ": " : "", first->why.ptr);
			if (pending > 1)
				buf_addf(&what, " (and %zu more objects not ready)", pending - 1);
			berth_error_set("timed out after %ld s: %s", opts->timeout_ms / 1000,
			                what.ptr);
			error = BERTH_ETIMEOUT;
			break;
		}
		clock_nap(opts->poll_ms, opts->stop);
	}
out:
	for (i = 0; i < n; i++) {
		buf_release(&all[i].why);
		buf_release(&all[i].said);
		buf_release(&all[i].progress);
		buf_release(&all[i].said_progress);
		buf_release(&all[i].explained);
		if (all[i].recovery.said.len) {
			free(all[i].item->recovered);
			all[i].item->recovered = xstrdup(all[i].recovery.said.ptr);
		}
		pod_recovery_release(&all[i].recovery);
	}
	free(all);
	free(waits);
	buf_release(&what);
	return error;
}
