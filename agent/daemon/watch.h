#ifndef BERTH_WATCH_H
#define BERTH_WATCH_H

#include "../../apply/kube_client.h"
#include "../../apply/sync.h"

/*
 * berth run's watches: one thread per collection (kind and namespace) that
 * a source manages objects in. Each LISTs the collection, then watches it
 * from the LIST's resourceVersion, and LISTs again when the server says
 * that version is gone (410). An edit to a managed object (anything but its
 * status and bookkeeping) or its deletion calls `notify` with the source
 * that manages it, so that drift is seen in seconds rather than at the
 * next interval.
 */
struct watcher;

typedef void watch_notify_fn(const char *source, const char *what, void *ctx);

/* Watches with copies of client `orig` (see kube_client_dup). `notify` is
 * called from the watches' threads. *out is owned by the caller. */
void watcher_new(struct watcher **out, struct kube_client *orig, watch_notify_fn *notify,
                 void *ctx);

/* Stop every watch and free. NULL is a no-op. */
void watcher_free(struct watcher *w);

/* After a reconcile of `source` compared `plan` with the cluster: watch
 * its objects, and no longer the source's objects that left it. */
void watcher_follow(struct watcher *w, const char *source, const struct sync_plan *plan);

/*
 * A reconcile of `source` begins: from now on, a change to its objects is
 * held until watcher_settle(), which tells it unless berth's writes made
 * it (the resourceVersions the server gave them, sync_item.written), so
 * that berth's own writes trigger no reconcile (no echo). Nothing is held
 * longer than the reconcile; a change berth did not make is told then.
 */
void watcher_begin(struct watcher *w, const char *source);
void watcher_settle(struct watcher *w, const char *source, const struct sync_plan *plan);

/* Has nothing changed in `source`'s objects since the last
 * watcher_begin(), as far as its watches can tell: every object of its
 * last plan watched by a watch that LISTed before that reconcile began and
 * has not broken since, and no change
 * told? The cluster is then as that reconcile left it. */
bool watcher_quiet(struct watcher *w, const char *source);

/*
 * The live state of collection `path`, as its watch keeps it, for
 * sync_options.live (`ctx`: the watcher): `page` gets a copy of each
 * object `names` (sorted) names that the collection holds, once, while
 * its watch is LISTed and unbroken;
 * else BERTH_ENOTFOUND, and the caller LISTs. The watch lags the server
 * by the time an event takes: a change it has not delivered yet is told
 * once it is, and reconciled then.
 */
int watcher_read(void *ctx, const char *path, const char *const *names, size_t n,
                 int (*page)(struct json_object *page, void *arg), void *arg);

#endif
