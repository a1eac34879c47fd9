#ifndef BERTH_LEASE_STORE_H
#define BERTH_LEASE_STORE_H

#include "lease.h"
#include "lease_plan.h"

#include <json-c/json.h>
#include <pthread.h>

/*
 * The leases' own parts (lease.h), shared by its two files: the state
 * both threads keep (struct leases), the store of the Leases as this
 * replica sees them, and its writes to them (lease_store.c); the ticks and
 * the loop's side are lease.c's. Nothing else includes this.
 */

#define LEASES_PATH "/apis/coordination.k8s.io/v1/namespaces/%s/leases"

/* A source, and whether this replica holds its Lease. */
struct owned {
	char *source, *key, *lease; /* its name, what it is hashed by, its Lease's name */
	bool held;
	double renewed_ms; /* when the last write that held it was sent */
	unsigned epoch;    /* when this replica took it last (a count of its takes) */
	bool busy;         /* reconciling: between lease_begin() and lease_end() */
	double retry_at;   /* a write of it failed: not tried again before */
	bool warned;       /* its failure is said, until a write of it goes through */
	struct stop *stop; /* the busy reconcile's */
};

/* A webhook to hand to a source's holder. */
struct forward {
	char *source, *ref, *delivery;
};

struct leases {
	char *id, *ns, *member; /* the member Lease's name */
	/* This process: the holderIdentity it writes, "<id>_<random>" (as
	 * client-go's "<host>_<uuid>"), so that two processes given one id
	 * never both count a Lease as theirs. */
	char *identity;
	struct scale_out t;
	struct metrics *metrics;
	lease_notify_fn *notify;
	void *notify_ctx;
	struct kube_client *client, *watch_client; /* the ticks', the watch's */
	pthread_t ticker, watcher, guarder;
	bool watching, ticking, guarding; /* the threads run */
	struct stop stop;                 /* the threads end */
	struct stop restart;              /* the watch LISTs again: it heard nothing for too long */

	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;  /* the ticker's: a change it must act on */
	pthread_cond_t guard; /* the guard's: it stops */
	bool poked;
	struct lease_record *records; /* the Leases, as last seen */
	size_t nrecords;
	double heard_ms; /* the last event of the watch */
	bool listed;     /* the watch has LISTed once: the store is whole */
	struct owned *sources;
	size_t n;
	double member_renewed_ms; /* when the last renewal of the member Lease was sent */
	bool member_warned;       /* the ticks' own: its failure is said */
	bool joined;
	unsigned takes; /* of any source, since the start */
	struct forward *forwards;
	size_t nforwards;
};

/* With l->lock held: wake the ticks; the Lease, or the source, named. */
void poke(struct leases *l);
struct lease_record *find_record(struct leases *l, const char *name);
struct owned *find_source(struct leases *l, const char *source);

/* With l->lock held: a Lease seen (a watch event, or the answer to a
 * write or a GET) is kept, and what it changes acted on: a member come or
 * gone, or a Lease freed, wakes the ticks; a webhook handed over on a
 * source this replica holds is told (LEASE_TRIGGER). One gone is dropped. */
void store_put(struct leases *l, struct json_object *obj, double now);
void store_drop(struct leases *l, const char *name);

/* The watch's thread: LIST the Leases, then watch them, again and again
 * until l->stop; l->restart LISTs again. */
void *lease_watch(void *arg);

/* GET Lease `name` into the store; BERTH_ENOTFOUND drops it. */
int refresh(struct leases *l, const char *name);

/* Write `body` (taken) to Lease `name` (POST when `create`), and keep what
 * the server answers. A 409 reads the Lease again and is BERTH_ECONFLICT. */
int put_lease(struct leases *l, const char *name, struct json_object *body, bool create);

/* Hold (holder: this replica) or give up (holder "") Lease `name`,
 * labelled `label`, for `duration_ms`. 0 when the server took it. The
 * write goes over the version last seen, and only when that version is
 * this replica's, free or expired: what the watch brought since the
 * decision counts (BERTH_ECONFLICT, and nothing written). */
int write_holder(struct leases *l, const char *name, const char *label, const char *holder,
                 long duration_ms);

/* Delete Lease `name`, at the version last seen (one renewed or taken
 * since is not deleted: 409). */
int delete_lease(struct leases *l, const char *name);

#endif
