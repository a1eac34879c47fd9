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

/* After a reconcile of `source`: watch the objects of `plan`, and no
 * longer the source's objects that left it. */
void watcher_follow(struct watcher *w, const char *source, const struct sync_plan *plan);

#endif
