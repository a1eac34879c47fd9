#ifndef BERTH_LEASE_H
#define BERTH_LEASE_H

#include "config.h"

#include "../../apply/kube_client.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/metrics.h"
#include "../../diff/base/stop.h"

#include <stdbool.h>

/*
 * Several replicas of berth run share the sources out on the Lease API
 * (coordination.k8s.io/v1), in one namespace, with nothing else between
 * them:
 *
 * - Each replica holds the Lease berth-member-<id>, renewed every retry
 *   period, as the holderIdentity "<id>_<random>" of its process. The
 *   members are the ids of the member Leases held and not expired; one
 *   left unrenewed for two durations is deleted, and a replica deletes its
 *   own when it stops.
 * - Each source goes to one member by rendezvous hashing of its name (of
 *   the first source it is joined to by dependsOn) over the members: a
 *   member that comes or goes moves only about 1/N of the sources.
 * - A replica reconciles a source only while it holds the source's Lease
 *   berth-source-<name>, renewed every sourceRenewInterval and given up
 *   when not renewed within sourceRenewDeadline, before it can expire for
 *   the others. It takes a Lease only when the source goes to it and the
 *   Lease is free or expired (as observed on its own clock, as client-go
 *   does), and gives one up that goes to another once its reconcile ends.
 *   Every write carries the resourceVersion it read: the server decides
 *   each race (409).
 * - A webhook for a source another replica holds is handed to it on the
 *   source's Lease (the annotation berth.io/trigger), which the holder
 *   watches.
 *
 * Three threads: the ticks renew, take and give up Leases (lease.c: each
 * request times out within the margin), the watch keeps the store of the
 * Leases (lease_store.c), and the guard, which does no I/O, gives up each
 * source not renewed within its deadline, on the monotonic clock. The
 * loop asks lease_begin() before each reconcile and hears of changes
 * through `notify`. Calls: lease_plan.h, lease_store.h,
 * apply/kube_client.h. Called by: loop.c.
 */
struct leases;

enum lease_event {
	LEASE_JOINED,   /* this replica's member Lease is held: it shares the work */
	LEASE_LEFT,     /* ... not renewed within its deadline */
	LEASE_ACQUIRED, /* `source` is this replica's now */
	LEASE_LOST,     /* `source` is not (given up, taken, or not renewed) */
	LEASE_TRIGGER,  /* a webhook for `source` came through its Lease: `detail` names it */
};

/* Told from the leases' threads; `source` and `detail` are borrowed. */
typedef void lease_notify_fn(enum lease_event ev, const char *source, const char *detail,
                             void *ctx);

struct lease_options {
	const char *id;        /* this replica's id (copied) */
	const char *namespace; /* where the Leases are (copied) */
	struct scale_out timing;
	struct metrics *metrics; /* berth_owned_sources, berth_lease_transitions_total */
	lease_notify_fn *notify;
	void *notify_ctx;
};

/* The metric families the leases record in. */
extern const struct metric_family lease_owned_family, lease_transitions_family;

/* Start sharing the sources of `c` (lease_follow) with clients to the
 * server of `kc`, with the options `client` (its timeouts are shortened
 * to fit the renew deadline). */
int lease_new(struct leases **out, const struct kubeconfig *kc,
              const struct kube_client_options *client, const struct lease_options *o,
              const struct config *c);

/* Give up every Lease held, at once (the next owners need not wait for
 * them to expire), and stop. Call once no reconcile runs. NULL: no-op. */
void lease_free(struct leases *l);

/* The sources of `c`, after a reload; a source gone is given up. */
void lease_follow(struct leases *l, const struct config *c);

/*
 * Before a reconcile of `source`: true when this replica holds its Lease,
 * renewed within the deadline. It is then busy until lease_end(): not given
 * up to another member meanwhile, but if its Lease is lost, `stop` is
 * raised with LEASE_STOP (its writes are abandoned). *epoch names this
 * replica's last take of it (never the same twice): when it changed,
 * another replica may have reconciled it meanwhile.
 */
bool lease_begin(struct leases *l, const char *source, struct stop *stop, unsigned *epoch);
void lease_end(struct leases *l, const char *source);

/* Why a stop raised by a lost Lease is raised (struct stop). */
#define LEASE_STOP STOP_ABANDON

/* Hand a webhook that moved `ref` of `source` (delivery `delivery`) to
 * the source's holder, through its Lease; when this replica holds it, it
 * is told here (LEASE_TRIGGER). `answer` gets what was done. */
void lease_forward(struct leases *l, const char *source, const char *ref, const char *delivery,
                   struct buf *answer);

/* The holder of `source`'s Lease as last seen, in `out` (empty: none). */
void lease_holder(struct leases *l, const char *source, struct buf *out);

#endif
