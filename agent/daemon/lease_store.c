/* The Leases as this replica sees them (a watch, and the answers to its
 * writes), and its writes to them. */
#include "lease_store.h"

#include "lease_plan.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long the server keeps the watch of the Leases open. */
#define WATCH_TIMEOUT_S 300

void poke(struct leases *l)
{
	l->poked = true;
	pthread_cond_signal(&l->cond);
}

struct lease_record *find_record(struct leases *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->nrecords; i++)
		if (!strcmp(l->records[i].name, name))
			return &l->records[i];
	return NULL;
}

struct owned *find_source(struct leases *l, const char *source)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->sources[i].source, source))
			return &l->sources[i];
	return NULL;
}

static struct owned *source_of_lease(struct leases *l, const char *lease)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->sources[i].lease, lease))
			return &l->sources[i];
	return NULL;
}

void store_put(struct leases *l, struct json_object *obj, double now)
{
	const char *name = json_value_get_string(json_value_get(obj, "metadata"), "name");
	struct lease_record *r;
	struct owned *o;
	unsigned changed;

	if (!name)
		return;
	if (!(r = find_record(l, name))) {
		l->records = xrealloc(l->records, (l->nrecords + 1) * sizeof(*l->records));
		r = &l->records[l->nrecords++];
		memset(r, 0, sizeof(*r));
	}
	changed = lease_record_set(r, obj, now);
	/* A member come or gone, or a Lease freed: the shares may change. */
	if ((changed & LEASE_CHANGED_HOLDER) && (r->member || !r->holder))
		poke(l);
	o = source_of_lease(l, name);
	if (o && o->held && (changed & LEASE_CHANGED_TRIGGER) && r->trigger && r->holder &&
	    !strcmp(r->holder, l->identity)) {
		struct json_object *t = json_value_parse(r->trigger, strlen(r->trigger));
		const char *ref = json_value_get_string(t, "ref"),
		           *delivery = json_value_get_string(t, "delivery"),
		           *from = json_value_get_string(t, "from");
		struct buf what = BUF_INIT;

		buf_addf(&what, "push of %s (delivery %s, through %s)", ref ? ref : "?",
		         delivery ? delivery : "?", from ? from : "?");
		l->notify(LEASE_TRIGGER, o->source, what.ptr, l->notify_ctx);
		buf_release(&what);
		json_object_put(t);
	}
}

void store_drop(struct leases *l, const char *name)
{
	struct lease_record *r = name ? find_record(l, name) : NULL;

	if (!r)
		return;
	lease_record_release(r);
	*r = l->records[--l->nrecords];
	poke(l);
}

/* ---- The watch of the Leases. ---- */

static int on_event(struct json_object *ev, void *ctx)
{
	struct leases *l = ctx;
	const char *type = json_value_get_string(ev, "type");
	struct json_object *obj = json_value_get(ev, "object");

	if (type && !strcmp(type, "ERROR")) {
		const char *message = json_value_get_string(obj, "message");

		berth_error_set("watch leases: %s", message ? message : "an error event");
		return json_object_get_int(json_value_get(obj, "code")) == 410 ? BERTH_EGONE
		                                                               : BERTH_ERROR;
	}
	pthread_mutex_lock(&l->lock);
	l->heard_ms = clock_now_ms();
	if (type && !strcmp(type, "DELETED"))
		store_drop(l, json_value_get_string(json_value_get(obj, "metadata"), "name"));
	else if (type && strcmp(type, "BOOKMARK"))
		store_put(l, obj, l->heard_ms);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/* LIST the Leases: the store is what the server holds now. Its
 * resourceVersion, to watch from, goes to `rv`. */
static int relist(struct leases *l, struct buf *rv)
{
	struct json_object *list = NULL, *items;
	struct buf path = BUF_INIT;
	double now;
	size_t i, j;
	int error;

	buf_addf(&path, LEASES_PATH "?labelSelector=" LEASE_LABEL, l->ns);
	if ((error = kube_client_get_json(&list, l->watch_client, path.ptr)) < 0)
		goto out;
	items = json_value_get(list, "items");
	now = clock_now_ms();
	pthread_mutex_lock(&l->lock);
	l->heard_ms = now;
	if (!l->listed)
		poke(l);
	l->listed = true;
	for (i = 0; i < json_value_array_len(items); i++)
		store_put(l, json_object_array_get_idx(items, i), now);
	/* What the LIST lacks is gone. */
	for (j = 0; j < l->nrecords;) {
		for (i = 0; i < json_value_array_len(items); i++) {
			const char *name = json_value_get_string(
			    json_value_get(json_object_array_get_idx(items, i), "metadata"),
			    "name");

			if (name && !strcmp(l->records[j].name, name))
				break;
		}
		if (i == json_value_array_len(items))
			store_drop(l, l->records[j].name);
		else
			j++;
	}
	pthread_mutex_unlock(&l->lock);
	buf_reset(rv);
	buf_adds(rv,
	         json_value_get_string(json_value_get(list, "metadata"), "resourceVersion")
	             ? json_value_get_string(json_value_get(list, "metadata"), "resourceVersion")
	             : "0");
out:
	json_object_put(list);
	buf_release(&path);
	return error;
}

void *lease_watch(void *arg)
{
	struct leases *l = arg;
	struct buf rv = BUF_INIT, path = BUF_INIT;
	bool listed = false;
	long backoff = 500;
	int error = 0;

	while (!stop_requested(&l->stop)) {
		if (stop_requested(&l->restart)) {
			atomic_store(&l->restart.why, 0);
			listed = false;
		}
		if (!listed && (error = relist(l, &rv)) < 0)
			goto failed;
		listed = true;
		buf_reset(&path);
		buf_addf(&path, LEASES_PATH "?labelSelector=" LEASE_LABEL "&resourceVersion=%s",
		         l->ns, rv.ptr);
		error = kube_client_watch(l->watch_client, path.ptr, on_event, l, WATCH_TIMEOUT_S);
		if (error == 0) {
			backoff = 500;
			/* Ended by the server, or abandoned: LIST again either way. */
			listed = false;
			continue;
		}
	failed:
		listed = false;
		if (error == BERTH_EGONE || stop_requested(&l->stop))
			continue;
		log_line("warn", "watch failed", "collection", "leases", "error",
		         berth_error_last(), NULL);
		clock_nap(backoff, &l->stop);
		backoff = backoff < 8000 ? backoff * 2 : 8000;
	}
	buf_release(&rv);
	buf_release(&path);
	return NULL;
}

/* ---- Writes. ---- */

int refresh(struct leases *l, const char *name)
{
	struct json_object *obj = NULL;
	struct buf path = BUF_INIT;
	int error;

	buf_addf(&path, LEASES_PATH "/%s", l->ns, name);
	error = kube_client_get_json(&obj, l->client, path.ptr);
	pthread_mutex_lock(&l->lock);
	if (error == 0)
		store_put(l, obj, clock_now_ms());
	else if (error == BERTH_ENOTFOUND)
		store_drop(l, name);
	pthread_mutex_unlock(&l->lock);
	json_object_put(obj);
	buf_release(&path);
	return error;
}

int put_lease(struct leases *l, const char *name, struct json_object *body, bool create)
{
	struct json_object *answer = NULL;
	struct buf path = BUF_INIT;
	int error;

	buf_addf(&path, LEASES_PATH, l->ns);
	if (!create)
		buf_addf(&path, "/%s", name);
	error = kube_client_call(&answer, l->client, create ? "POST" : "PUT", path.ptr,
	                         "application/json", json_object_to_json_string(body));
	if (error == 0) {
		pthread_mutex_lock(&l->lock);
		store_put(l, answer, clock_now_ms());
		pthread_mutex_unlock(&l->lock);
	} else if (error == BERTH_ECONFLICT || error == BERTH_ENOTFOUND) {
		refresh(l, name);
		error = error == BERTH_ECONFLICT ? BERTH_ECONFLICT : error;
	}
	json_object_put(answer);
	json_object_put(body);
	buf_release(&path);
	return error;
}

int write_holder(struct leases *l, const char *name, const char *label, const char *holder,
                 long duration_ms)
{
	struct lease_record *r;
	struct json_object *body = NULL;
	char now[32];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	lease_time(now, &ts);
	pthread_mutex_lock(&l->lock);
	r = find_record(l, name);
	if (!r || !r->holder || !strcmp(r->holder, l->identity) ||
	    lease_record_free(r, clock_now_ms()))
		body = lease_body(r, name, l->ns, label, holder, duration_ms / 1000, now);
	pthread_mutex_unlock(&l->lock);
	if (!body)
		return berth_error_set("lease '%s' is held by another replica", name),
		       BERTH_ECONFLICT;
	return put_lease(l, name, body, !r);
}

int delete_lease(struct leases *l, const char *name)
{
	struct json_object *body = json_object_new_object(), *pre = json_object_new_object();
	struct lease_record *r;
	struct buf path = BUF_INIT;
	const char *rv;
	int error = 0;

	pthread_mutex_lock(&l->lock);
	r = find_record(l, name);
	rv =
	    r ? json_value_get_string(json_value_get(r->obj, "metadata"), "resourceVersion") : NULL;
	json_object_object_add(pre, "resourceVersion", json_object_new_string(rv ? rv : ""));
	pthread_mutex_unlock(&l->lock);
	json_object_object_add(body, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(body, "kind", json_object_new_string("DeleteOptions"));
	json_object_object_add(body, "preconditions", pre);
	buf_addf(&path, LEASES_PATH "/%s", l->ns, name);
	if (r)
		error = kube_client_call(NULL, l->client, "DELETE", path.ptr, "application/json",
		                         json_object_to_json_string(body));
	json_object_put(body);
	buf_release(&path);
	return error;
}
