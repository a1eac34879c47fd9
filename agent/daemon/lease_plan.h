#ifndef BERTH_LEASE_PLAN_H
#define BERTH_LEASE_PLAN_H

#include "config.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The pure half of the leases (lease.h): which replica a source goes to,
 * what a Lease object says, when it has expired, and the Lease to write.
 * No I/O, no clock: the times are given. Called by lease.c and the unit
 * tests.
 */

/* The label every Lease of berth carries: "member" or "source". */
#define LEASE_LABEL "berth.io/lease"
/* The annotation by which a replica hands a webhook to a source's owner:
 * {"ref": ..., "delivery": ..., "from": <replica id>}. */
#define LEASE_TRIGGER_KEY "berth.io/trigger"
/* The Lease names: berth-member-<replica id>, berth-source-<source>. */
#define LEASE_MEMBER_PREFIX "berth-member-"
#define LEASE_SOURCE_PREFIX "berth-source-"

/* A Lease as this replica last saw it. */
struct lease_record {
	char *name;
	char *holder;  /* spec.holderIdentity; NULL: none (free) */
	char *renewed; /* spec.renewTime as written: what a renewal changes */
	long duration_ms;
	long transitions; /* spec.leaseTransitions */
	char *trigger;    /* the LEASE_TRIGGER_KEY annotation; NULL: none */
	bool member;      /* its LEASE_LABEL is "member" */
	/* When this replica saw its holder or renewTime change, on its own
	 * clock (clock_now_ms): as client-go, expiry is judged from what was
	 * observed, never from another machine's clock. */
	double observed_ms;
	struct json_object *obj; /* the object (owned) */
};

/* What lease_record_set() found changed. */
#define LEASE_CHANGED_HOLDER  1u
#define LEASE_CHANGED_RENEW   2u
#define LEASE_CHANGED_TRIGGER 4u

/* Read Lease `obj` (copied) into `r`, seen at `now`; `r`
 * zeroed for one not seen before. Returns what changed (all of it for a
 * new one), or 0. */
unsigned lease_record_set(struct lease_record *r, struct json_object *obj, double now);
void lease_record_release(struct lease_record *r);

/* Held by nobody, or by `holder` no renewal of which was seen for its
 * duration, at `now`? */
bool lease_record_free(const struct lease_record *r, double now);

/* Rendezvous (highest random weight) hashing: the weight of `member` for
 * `key`, and the index of the member of `members` (n) that `key` goes to
 * (the highest weight; SIZE_MAX when n is 0). Adding or removing a member
 * moves only the keys that go to it, or went. */
uint64_t lease_weight(const char *member, const char *key);
size_t lease_assign(const char *const *members, size_t n, const char *key);

/* For each source of `c`, the key it is assigned by (keys[i], borrowed
 * from `c`): the name of the first source, in the config's order, of the
 * sources it is joined to by dependsOn, so that a source and those it
 * depends on have one owner, who knows their health. */
void lease_group_keys(const char **keys, const struct config *c);

/* A Lease's time, as the API writes it (MicroTime, UTC). */
void lease_time(char out[32], const struct timespec *ts);

/*
 * The Lease to write (a new object; the caller puts it): `prev` (NULL: a
 * new Lease `name` in `ns`, labelled `label`) held by `holder` ("" to
 * release it) for `duration_s`, renewed at `now`. A new holder's
 * acquireTime is `now`, and leaseTransitions counts it. `prev`'s
 * resourceVersion is kept: the server refuses the write (409) when the
 * Lease changed since.
 */
struct json_object *lease_body(const struct lease_record *prev, const char *name, const char *ns,
                               const char *label, const char *holder, long duration_s,
                               const char *now);

#endif
