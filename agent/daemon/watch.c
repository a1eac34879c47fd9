/* Watches of the collections berth run applied to, so that live drift
 * triggers a reconcile without waiting for the interval. */
#include "watch.h"

#include "name_index.h"

#include "../../diff/base/log.h"

#include "../../diff/base/clock.h"
#include "../../apply/discovery.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/digest.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* How long the server keeps a watch open before berth asks again. */
#define WATCH_TIMEOUT_S 300

/* Where a kind comes and goes: a change forgets the server's discovery. */
#define CRD_PATH "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

/* A source whose objects the watches follow. */
struct followed {
	char *name;
	/* Reconciling, between watcher_begin() and watcher_settle(): a change
	 * to its objects is held until then, and told unless berth made it. */
	bool busy;
	/* Since watcher_begin(): a change to its objects was told, or a watch
	 * of them broke (it may have missed one). */
	bool changed;
	bool complete; /* every object of its last plan is watched */
	double begun;  /* when the last watcher_begin() was (clock_now_ms) */
};

/* An object a source manages, as its watch last saw it. */
struct watched {
	char *name;
	struct followed *source;
	uint8_t fp[SHA256_SIZE]; /* of the object, less its status and bookkeeping */
	bool known;              /* fp is set: the object was seen, and is there */
	bool listed;             /* in the LIST under way */
	bool kept;               /* in the plan watcher_follow() is reading */
	/* The resourceVersion the source's last reconcile compared it at
	 * (NULL: none), and whether its watch's LIST, made since, found it
	 * at that version: nothing changed it between the two. */
	char *anchor;
	bool anchored;
	/* The resourceVersions berth's writes gave it (each ended by a NUL):
	 * the events they cause are no change. */
	struct buf ours;
	/* What its changes held while its source was busy were: "changed"
	 * or "deleted" (NULL: none), and the resourceVersion of each. */
	const char *held;
	struct buf held_rvs;
	/* The resourceVersion of each event of it while its source was busy;
	 * and whether the store is behind it: berth wrote it, and its watch
	 * has not shown that write yet (watcher_read then LISTs). */
	struct buf busy_rvs;
	bool awaiting;
};

/* An object of a watched collection, as its watch last saw it: the live
 * state a reconcile reads instead of a LIST (watcher_read). */
struct stored {
	char *name;
	struct json_object *obj; /* its watch thread's; copied out under w->lock */
};

/* One collection's watch, on its own thread and client. */
struct watch {
	struct watcher *w;
	char *path;         /* the collection's URL path */
	const char *plural; /* its last segment, for messages */
	struct kube_client *client;
	pthread_t thread;
	struct watched *objects; /* guarded by w->lock */
	size_t n, alloc;
	struct name_index index; /* of objects[0..indexed), by name: */
	size_t indexed;          /* watcher_follow() builds it */
	struct buf rv;           /* the resourceVersion to watch from */
	bool live;               /* LISTed, and watching since: no change can be missed */
	double since;            /* ... since when: the LIST's start (clock_now_ms) */
	/* Every object of the collection, sorted by name (guarded by
	 * w->lock), and those of the LIST under way (its thread's alone). */
	struct stored *store, *fresh;
	size_t nstore, store_alloc, nfresh, fresh_alloc;
	/* The watch of CRD_PATH: each change of a definition forgets the
	 * discovery berth keeps of the server. It keeps no store (definitions
	 * can be large; a source's are LISTed), only what it follows. */
	bool crds;
};

struct watcher {
	struct kube_client *orig;
	watch_notify_fn *notify;
	void *ctx;
	pthread_mutex_t lock;
	struct watch **watches;
	size_t n, alloc;
	struct followed **sources; /* each source ever followed */
	size_t nsources, sources_alloc;
	struct stop stop;
};

static void fingerprint(uint8_t out[SHA256_SIZE], struct json_object *obj)
{
	struct json_object *copy = json_value_copy(obj), *meta = json_value_get(copy, "metadata");
	const char *text;

	json_object_object_del(copy, "status");
	if (meta) {
		json_object_object_del(meta, "resourceVersion");
		json_object_object_del(meta, "managedFields");
		json_object_object_del(meta, "generation");
	}
	text = json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN);
	sha256(out, text, strlen(text));
	json_object_put(copy);
}

static const char *watched_name(const void *objects, size_t i)
{
	return ((const struct watched *)objects)[i].name;
}

/* The object `name` of `wt`, through its index (each watch may follow
 * thousands; a scan per event and per object followed grew with the square
 * of their number). */
static struct watched *find(struct watch *wt, const char *name)
{
	size_t i = name_index_find(&wt->index, wt->objects, wt->n, watched_name, name);

	return i < wt->n ? &wt->objects[i] : NULL;
}

/* Does the NUL-ended list `rvs` hold `rv`? */
static bool holds(const struct buf *rvs, const char *rv)
{
	const char *p;

	for (p = rvs->ptr; rv && p < rvs->ptr + rvs->len; p += strlen(p) + 1)
		if (!strcmp(p, rv))
			return true;
	return false;
}

/* Does the NUL-ended list `a` hold a version of list `b`? */
static bool seen_any(const struct buf *a, const struct buf *b)
{
	const char *p;

	for (p = b->ptr; p < b->ptr + b->len; p += strlen(p) + 1)
		if (holds(a, p))
			return true;
	return false;
}

static void tell(struct watch *wt, struct watched *o, const char *event)
{
	struct buf what = BUF_INIT;

	o->source->changed = true;
	buf_addf(&what, "%s/%s %s", wt->plural, o->name, event);
	wt->w->notify(o->source->name, what.ptr, wt->w->ctx);
	buf_release(&what);
}

/* Object `o` changed (`event`) at resourceVersion `rv`: tell its source,
 * unless berth's own write made the change, or hold it while the source
 * reconciles (its writes' versions are known only once they are done). */
static void changed(struct watch *wt, struct watched *o, const char *event, const char *rv)
{
	if (holds(&o->ours, rv))
		return;
	if (!o->source->busy) {
		tell(wt, o, event);
		return;
	}
	if (!o->held || !strcmp(event, "deleted"))
		o->held = event;
	/* An event without a version, or past this many, is surely not
	 * berth's: "" is no version a write is given. */
	if (!rv || o->held_rvs.len >= 1024)
		rv = "";
	if (!holds(&o->held_rvs, rv))
		buf_add(&o->held_rvs, rv, strlen(rv) + 1);
}

/* The watch of `wt` stopped: until it is LISTed again, a change to its
 * objects may be missed, so their sources count as changed. */
static void broken(struct watch *wt)
{
	size_t i;

	pthread_mutex_lock(&wt->w->lock);
	wt->live = false;
	for (i = 0; i < wt->n; i++)
		wt->objects[i].source->changed = true;
	pthread_mutex_unlock(&wt->w->lock);
}

/* `obj` as a LIST or an event shows it: tell of a change since last seen.
 * Called with w->lock held, after the store holds what the event says: a
 * reconcile the telling wakes reads the store. */
static void seen(struct watch *wt, const char *type, struct json_object *obj)
{
	struct watched *o;
	uint8_t fp[SHA256_SIZE];
	const char *rv = json_value_get_string(json_value_get(obj, "metadata"), "resourceVersion");

	o = find(wt, json_value_get_string(json_value_get(obj, "metadata"), "name"));
	if (!o)
		return;
	if (o->source->busy && rv && o->busy_rvs.len < 4096)
		buf_add(&o->busy_rvs, rv, strlen(rv) + 1);
	else if (o->awaiting && holds(&o->ours, rv))
		o->awaiting = false;
	if (!strcmp(type, "LISTED"))
		o->anchored = rv && o->anchor && !strcmp(rv, o->anchor);
	if (!strcmp(type, "DELETED")) {
		changed(wt, o, "deleted", rv);
		o->known = false;
		return;
	}
	/* ADDED and LISTED say what an object is. An object followed after
	 * its watch LISTed is not known yet: its first edit is told too. */
	fingerprint(fp, obj);
	if (o->known ? memcmp(fp, o->fp, sizeof(fp)) != 0 : !strcmp(type, "MODIFIED"))
		changed(wt, o, "changed", rv);
	memcpy(o->fp, fp, sizeof(fp));
	o->known = o->listed = true;
}

static int stored_order(const void *a, const void *b)
{
	return strcmp(((const struct stored *)a)->name, ((const struct stored *)b)->name);
}

static void stored_free(struct stored *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].name);
		json_object_put(s[i].obj);
	}
}

/* Keep what event `type` says of `obj` in the store. Called with w->lock
 * held. */
static void store(struct watch *wt, const char *type, struct json_object *obj)
{
	const char *name = json_value_get_string(json_value_get(obj, "metadata"), "name");
	size_t lo = 0, hi = wt->nstore, mid;
	int cmp = 1;

	if (!name)
		return;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (!(cmp = strcmp(name, wt->store[mid].name))) {
			lo = mid;
			break;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (cmp == 0) {
		json_object_put(wt->store[lo].obj);
		if (strcmp(type, "DELETED")) {
			wt->store[lo].obj = json_object_get(obj);
			return;
		}
		free(wt->store[lo].name);
		memmove(&wt->store[lo], &wt->store[lo + 1],
		        (wt->nstore - lo - 1) * sizeof(*wt->store));
		wt->nstore--;
		return;
	}
	if (!strcmp(type, "DELETED"))
		return;
	wt->store = xgrow(wt->store, sizeof(*wt->store), wt->nstore + 1, &wt->store_alloc);
	memmove(&wt->store[lo + 1], &wt->store[lo], (wt->nstore - lo) * sizeof(*wt->store));
	wt->store[lo] = (struct stored){xstrdup(name), json_object_get(obj)};
	wt->nstore++;
}

static int on_page(struct json_object *page, void *ctx)
{
	struct watch *wt = ctx;
	struct json_object *items = json_value_get(page, "items");
	size_t i;

	if (!wt->rv.len)
		buf_adds(
		    &wt->rv,
		    json_value_get_string(json_value_get(page, "metadata"), "resourceVersion")
		        ? json_value_get_string(json_value_get(page, "metadata"), "resourceVersion")
		        : "");
	for (i = 0; i < json_value_array_len(items); i++) {
		struct json_object *obj = json_object_array_get_idx(items, i);
		const char *name = json_value_get_string(json_value_get(obj, "metadata"), "name");

		pthread_mutex_lock(&wt->w->lock);
		seen(wt, "LISTED", obj);
		pthread_mutex_unlock(&wt->w->lock);
		if (!name || wt->crds)
			continue;
		wt->fresh = xgrow(wt->fresh, sizeof(*wt->fresh), wt->nfresh + 1, &wt->fresh_alloc);
		wt->fresh[wt->nfresh++] = (struct stored){xstrdup(name), json_object_get(obj)};
	}
	return 0;
}

/* LIST the collection: what changed, or went, while it was not watched. */
static int relist(struct watch *wt)
{
	struct buf path = BUF_INIT;
	size_t i;
	int error;

	pthread_mutex_lock(&wt->w->lock);
	for (i = 0; i < wt->n; i++)
		wt->objects[i].listed = false;
	pthread_mutex_unlock(&wt->w->lock);
	buf_reset(&wt->rv);
	buf_addf(&path, "%s?limit=500", wt->path);
	wt->nfresh = 0;
	error = kube_client_list_ahead(wt->client, path.ptr, on_page, wt);
	pthread_mutex_lock(&wt->w->lock);
	for (i = 0; error == 0 && i < wt->n; i++)
		if (wt->objects[i].known && !wt->objects[i].listed) {
			changed(wt, &wt->objects[i], "deleted", NULL);
			wt->objects[i].known = false;
		}
	/* The LIST is the store now; the old one is freed below, unlocked. */
	if (error == 0) {
		struct stored *old = wt->store, *hit;
		size_t nold = wt->nstore, aold = wt->store_alloc;

		if (wt->nfresh)
			qsort(wt->fresh, wt->nfresh, sizeof(*wt->fresh), stored_order);
		/* The LIST shows berth's write, or it may predate it. */
		for (i = 0; i < wt->n; i++)
			if (wt->objects[i].awaiting && wt->nfresh &&
			    (hit = bsearch(&(struct stored){.name = wt->objects[i].name}, wt->fresh,
			                   wt->nfresh, sizeof(*wt->fresh), stored_order)))
				wt->objects[i].awaiting = !holds(
				    &wt->objects[i].ours,
				    json_value_get_string(json_value_get(hit->obj, "metadata"),
				                          "resourceVersion"));
		wt->store = wt->fresh, wt->nstore = wt->nfresh, wt->store_alloc = wt->fresh_alloc;
		wt->fresh = old, wt->nfresh = nold, wt->fresh_alloc = aold;
	}
	pthread_mutex_unlock(&wt->w->lock);
	stored_free(wt->fresh, wt->nfresh);
	wt->nfresh = 0;
	buf_release(&path);
	return error;
}

static int on_event(struct json_object *event, void *ctx)
{
	struct watch *wt = ctx;
	const char *type = json_value_get_string(event, "type");
	struct json_object *obj = json_value_get(event, "object");
	const char *rv = json_value_get_string(json_value_get(obj, "metadata"), "resourceVersion");

	if (type && !strcmp(type, "ERROR")) {
		const char *message = json_value_get_string(obj, "message");

		berth_error_set("watch %s: %s", wt->path, message ? message : "an error event");
		return json_object_get_int(json_value_get(obj, "code")) == 410 ? BERTH_EGONE
		                                                               : BERTH_ERROR;
	}
	if (rv) {
		buf_reset(&wt->rv);
		buf_adds(&wt->rv, rv);
	}
	if (type && strcmp(type, "BOOKMARK") && wt->crds)
		discovery_cache_forget(wt->client);
	if (type && strcmp(type, "BOOKMARK")) {
		pthread_mutex_lock(&wt->w->lock);
		if (!wt->crds)
			store(wt, type, obj);
		seen(wt, type, obj);
		pthread_mutex_unlock(&wt->w->lock);
	}
	return 0;
}

static void *watch_loop(void *arg)
{
	struct watch *wt = arg;
	struct watcher *w = wt->w;
	struct buf path = BUF_INIT;
	bool listed = false;
	long backoff = 1000;
	int error;

	while (!stop_requested(&w->stop)) {
		double began = clock_now_ms();

		if (!listed && (error = relist(wt)) < 0)
			goto failed;
		if (!listed) {
			/* Its end, not its start: the server reads a LIST's
			 * state somewhere between the two (a retried GET may
			 * take long), and what changed before is not told. */
			pthread_mutex_lock(&w->lock);
			wt->live = true;
			wt->since = clock_now_ms();
			pthread_mutex_unlock(&w->lock);
		}
		listed = true;
		buf_reset(&path);
		buf_addf(&path, "%s?resourceVersion=%s", wt->path, wt->rv.ptr);
		error = kube_client_watch(wt->client, path.ptr, on_event, wt, WATCH_TIMEOUT_S);
		if (error == 0) {
			/* The server ended it: watch on from rv, but not in a
			 * loop if something in between ends every watch at once. */
			backoff = 1000;
			if (clock_now_ms() - began < 1000)
				clock_nap(1000, &w->stop);
			continue;
		}
	failed:
		listed = false;
		broken(wt);
		if (error == BERTH_EGONE)
			continue; /* too old: LIST again, at once */
		if (stop_requested(&w->stop))
			break;
		if (wt->crds && (error == BERTH_EFORBIDDEN || error == BERTH_ENOTFOUND)) {
			log_line("warn", "cannot watch", "collection", wt->path, "error",
			         berth_error_last(), "meaning",
			         "a kind added or removed is seen when discovery is read again: at "
			         "a kind it lacks, or after 10 minutes",
			         NULL);
			break;
		}
		log_line("warn", "watch failed", "collection", wt->path, "error",
		         berth_error_last(), NULL);
		clock_nap(backoff, &w->stop);
		backoff = backoff < 30000 ? backoff * 2 : 30000;
	}
	buf_release(&path);
	return NULL;
}

static void watched_release(struct watched *o)
{
	free(o->name);
	free(o->anchor);
	buf_release(&o->ours);
	buf_release(&o->held_rvs);
	buf_release(&o->busy_rvs);
}

static void watch_free(struct watch *wt)
{
	size_t i;

	for (i = 0; i < wt->n; i++)
		watched_release(&wt->objects[i]);
	stored_free(wt->store, wt->nstore);
	free(wt->store);
	stored_free(wt->fresh, wt->nfresh);
	free(wt->fresh);
	free(wt->objects);
	name_index_release(&wt->index);
	kube_client_free(wt->client);
	buf_release(&wt->rv);
	free(wt->path);
	free(wt);
}

/* The watch of collection `path`, or NULL. Called with w->lock held. */
static struct watch *watch_find(struct watcher *w, const char *path)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!strcmp(w->watches[i]->path, path))
			return w->watches[i];
	return NULL;
}

/* The watch of collection `path`, started if need be; NULL when it cannot
 * be (a warning says why). `crds`: it is the watch of CRD_PATH. Called
 * with w->lock held. */
static struct watch *watch_at(struct watcher *w, const char *path, bool crds)
{
	struct watch *wt = watch_find(w, path);

	if (wt)
		return wt;
	wt = xcalloc(1, sizeof(*wt));
	wt->w = w;
	wt->path = xstrdup(path);
	wt->crds = crds;
	wt->plural = strrchr(wt->path, '/') + 1;
	buf_init(&wt->rv);
	/* Ended by kube_client_interrupt(): a watch waits with no wakeup. */
	if (kube_client_dup(&wt->client, w->orig) == 0)
		kube_client_set_stop(wt->client, &w->stop, false);
	if (!wt->client || (errno = pthread_create(&wt->thread, NULL, watch_loop, wt))) {
		log_line("warn", "cannot watch", "collection", path, "error", berth_error_last(),
		         NULL);
		watch_free(wt);
		return NULL;
	}
	w->watches = xgrow(w->watches, sizeof(*w->watches), w->n + 1, &w->alloc);
	w->watches[w->n++] = wt;
	return wt;
}

void watcher_new(struct watcher **out, struct kube_client *orig, watch_notify_fn *notify, void *ctx)
{
	struct watcher *w = xcalloc(1, sizeof(*w));

	w->orig = orig;
	w->notify = notify;
	w->ctx = ctx;
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_lock(&w->lock);
	watch_at(w, CRD_PATH, true);
	pthread_mutex_unlock(&w->lock);
	*out = w;
}

void watcher_free(struct watcher *w)
{
	size_t i;

	if (!w)
		return;
	stop_request(&w->stop, 0);
	for (i = 0; i < w->n; i++)
		kube_client_interrupt(w->watches[i]->client);
	for (i = 0; i < w->n; i++) {
		pthread_join(w->watches[i]->thread, NULL);
		watch_free(w->watches[i]);
	}
	free(w->watches);
	for (i = 0; i < w->nsources; i++) {
		free(w->sources[i]->name);
		free(w->sources[i]);
	}
	free(w->sources);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* The record of `source`, made if need be. Called with w->lock held. */
static struct followed *followed_at(struct watcher *w, const char *source)
{
	struct followed *f;
	size_t i;

	for (i = 0; i < w->nsources; i++)
		if (!strcmp(w->sources[i]->name, source))
			return w->sources[i];
	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(source);
	f->changed = true; /* nothing is watched yet */
	w->sources = xgrow(w->sources, sizeof(*w->sources), w->nsources + 1, &w->sources_alloc);
	w->sources[w->nsources++] = f;
	return f;
}

/* The URL path of the collection of `plan`'s item `it`, whose identity
 * is `id`, as its watch names it. */
static void collection_of(struct buf *path, const struct sync_item *it, const struct object_id *id)
{
	buf_reset(path);
	api_resource_path(path, it->res, it->res->version, id->namespace, NULL);
}

/* `o`, followed from now on, was compared at o->anchor: when its live
 * watch's store has it at another version (or has it, or not, the other
 * way), it changed since, and the event that told so found it unfollowed.
 * Tell that change now. Called with w->lock held. */
static void moved_unseen(struct watch *wt, struct watched *o)
{
	const struct stored *hit = NULL;
	const char *rv = NULL;

	if (!wt->live || wt->crds)
		return;
	if (wt->nstore)
		hit = bsearch(&(struct stored){.name = o->name}, wt->store, wt->nstore,
		              sizeof(*wt->store), stored_order);
	if (hit)
		rv = json_value_get_string(json_value_get(hit->obj, "metadata"), "resourceVersion");
	if (!rv != !o->anchor || (rv && strcmp(rv, o->anchor)))
		changed(wt, o, hit ? "changed" : "deleted", rv);
}

void watcher_follow(struct watcher *w, const char *source, const struct sync_plan *plan)
{
	struct buf path = BUF_INIT;
	struct followed *f;
	size_t i, j, k;

	pthread_mutex_lock(&w->lock);
	f = followed_at(w, source);
	f->complete = true;
	for (i = 0; i < plan->n; i++) {
		const struct sync_item *it = &plan->items[i];
		struct object_id id = sync_item_id(it);
		struct watched *o;
		struct watch *wt;
		bool fresh = false;

		collection_of(&path, it, &id);
		if (it->awaits_crd || !(wt = watch_at(w, path.ptr, false))) {
			f->complete = false;
			continue;
		}
		/* New objects go after those indexed, indexed below: the plan
		 * names each object of a collection once. */
		if (!(o = find(wt, id.name))) {
			wt->objects =
			    xgrow(wt->objects, sizeof(*wt->objects), wt->n + 1, &wt->alloc);
			o = &wt->objects[wt->n++];
			memset(o, 0, sizeof(*o));
			o->name = xstrdup(id.name);
			buf_init(&o->ours);
			buf_init(&o->held_rvs);
			buf_init(&o->busy_rvs);
			fresh = true;
		}
		o->source = f;
		o->kept = true;
		free(o->anchor);
		o->anchor = xstrdup_or_null(it->read_rv);
		o->anchored = false;
		if (fresh && (it->read_rv || it->drift.state == DRIFT_MISSING))
			moved_unseen(wt, o);
	}
	/* The source's objects that left Git are no longer its. */
	for (i = 0; i < w->n; i++) {
		struct watch *wt = w->watches[i];
		size_t before = wt->n;

		for (j = k = 0; j < wt->n; j++) {
			struct watched *o = &wt->objects[j];

			if (!o->kept && o->source == f) {
				watched_release(o);
				continue;
			}
			o->kept = false;
			wt->objects[k++] = *o;
		}
		wt->n = k;
		/* Added to, or moved up: built again. */
		if (k != before || before != wt->indexed) {
			name_index_build(&wt->index, wt->objects, k, watched_name);
			wt->indexed = k;
		}
	}
	pthread_mutex_unlock(&w->lock);
	buf_release(&path);
}

void watcher_begin(struct watcher *w, const char *source)
{
	struct followed *f;

	pthread_mutex_lock(&w->lock);
	f = followed_at(w, source);
	f->busy = true;
	f->changed = false;
	f->begun = clock_now_ms();
	pthread_mutex_unlock(&w->lock);
}

/* Tell the change `o` held, unless berth's writes made all of it. Called
 * with w->lock held. */
static void release_held(struct watch *wt, struct watched *o)
{
	const char *p;

	for (p = o->held_rvs.ptr; o->held && p < o->held_rvs.ptr + o->held_rvs.len;
	     p += strlen(p) + 1)
		if (!holds(&o->ours, p)) {
			tell(wt, o, o->held);
			break;
		}
	o->held = NULL;
	buf_reset(&o->held_rvs);
}

void watcher_settle(struct watcher *w, const char *source, const struct sync_plan *plan)
{
	struct buf path = BUF_INIT;
	struct followed *f;
	size_t i, j;

	pthread_mutex_lock(&w->lock);
	f = followed_at(w, source);
	for (i = 0; plan && i < plan->n; i++) {
		const struct sync_item *it = &plan->items[i];
		struct object_id id = sync_item_id(it);
		struct watched *o;
		struct watch *wt;

		if (!it->written.len)
			continue;
		collection_of(&path, it, &id);
		if ((wt = watch_find(w, path.ptr)) && (o = find(wt, id.name))) {
			buf_reset(&o->ours);
			buf_add(&o->ours, it->written.ptr, it->written.len);
			o->awaiting = !seen_any(&o->busy_rvs, &o->ours);
		}
	}
	f->busy = false;
	for (i = 0; i < w->n; i++)
		for (j = 0; j < w->watches[i]->n; j++)
			if (w->watches[i]->objects[j].source == f) {
				release_held(w->watches[i], &w->watches[i]->objects[j]);
				buf_reset(&w->watches[i]->objects[j].busy_rvs);
			}
	pthread_mutex_unlock(&w->lock);
	buf_release(&path);
}

bool watcher_quiet(struct watcher *w, const char *source)
{
	struct followed *f = NULL;
	size_t i, j;
	bool quiet;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->nsources && !f; i++)
		if (!strcmp(w->sources[i]->name, source))
			f = w->sources[i];
	quiet = f && !f->changed && f->complete;
	/* Each watch of its objects must have LISTed before that reconcile
	 * read the cluster, as a change between the two would be missed; or
	 * after, finding each of them as the reconcile compared it. */
	for (i = 0; quiet && i < w->n; i++) {
		const struct watch *wt = w->watches[i];

		for (j = 0; (!wt->live || wt->since > f->begun) && quiet && j < wt->n; j++)
			quiet = wt->objects[j].source != f || (wt->live && wt->objects[j].anchored);
	}
	pthread_mutex_unlock(&w->lock);
	return quiet;
}

int watcher_read(void *ctx, const char *path, const char *const *names, size_t n,
                 int (*page)(struct json_object *page, void *arg), void *arg)
{
	struct watcher *w = ctx;
	const struct watch *wt;
	struct json_object *items = NULL, *p;
	size_t i;
	int error;

	pthread_mutex_lock(&w->lock);
	wt = watch_find(w, path);
	/* Behind a write of berth's: LIST, as its answer may not be in. */
	for (i = 0; wt && i < wt->n && !wt->objects[i].awaiting; i++)
		;
	if (wt && wt->live && !wt->crds && i == wt->n) {
		items = json_object_new_array_ext((int)n);
		for (i = 0; i < n; i++) {
			const struct stored *hit =
			    bsearch(&(struct stored){.name = (char *)names[i]}, wt->store,
			            wt->nstore, sizeof(*wt->store), stored_order);

			if (hit)
				json_object_array_add(items, json_value_copy(hit->obj));
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (!items)
		return BERTH_ENOTFOUND;
	p = json_object_new_object();
	json_object_object_add(p, "items", items);
	error = page(p, arg);
	json_object_put(p);
	return error;
}
