#ifndef BERTH_DRIFT_H
#define BERTH_DRIFT_H

#include "object.h"
#include "schema.h"

#include <json-c/json.h>

#define LAST_APPLIED_ANNOTATION "kubectl.kubernetes.io/last-applied-configuration"

/* Where an object stands against its manifest. */
enum drift_state {
	DRIFT_IN_SYNC,    /* the patch changes nothing but the annotation */
	DRIFT_DRIFTED,    /* the patch changes the object */
	DRIFT_MISSING,    /* in Git, not in the cluster */
	DRIFT_EXTRANEOUS, /* in the cluster (applied by berth), not in Git */
	DRIFT_STATE_COUNT,
};

const char *drift_state_name(enum drift_state state);

/*
 * The comparison of one object: what to send and what it would change.
 * Embedded by value; drift_release() frees the members.
 */
struct drift {
	enum drift_state state;
	struct json_object *patch;     /* what kubectl apply would send; NULL when missing */
	const char *patch_type;        /* its Content-Type */
	struct json_object *predicted; /* the live object after the patch (or desired) */
	struct json_object *paths;     /* [{path, live, desired}] for each changed field */
	/* For a drifted object: why the server could not confirm the drift with
	 * a dry run of the patch (the local verdict stands); NULL when it did
	 * or was not asked. Owned. */
	char *unconfirmed;
};

/*
 * `desired` with the last-applied annotation kubectl would give it: the
 * object itself, annotation removed, written as Go writes JSON, plus a
 * newline. *out is new; the caller owns it.
 */
int drift_modified(struct json_object **out, struct json_object *desired);

/* The last-applied configuration stored on `live`, parsed; *out is NULL
 * when there is none. Fails when the annotation is not valid JSON. */
int drift_original(struct json_object **out, struct json_object *live);

/*
 * Compare `desired` (a manifest, namespace filled in) with `live` (NULL when
 * the object does not exist). Computes kubectl's three-way patch (with the
 * live object's last-applied annotation as the original) and decides the
 * state: in sync when the patch, less the annotation update, is empty.
 * Secret stringData counts as in sync when live `data` decodes to it.
 * Fails when `desired` has no valid identity or the patch cannot be made.
 */
int drift_compute(struct drift *out, struct json_object *desired, struct json_object *live);

/*
 * drift_compute(), where `applied` (may be NULL) is what was last applied
 * to `live` by server-side apply (ssa_applied: the fields its manager owns,
 * with live's values). When `live` has no last-applied annotation, it is
 * the original of the three-way patch: a field it holds and `desired` no
 * longer has is drift, as a field the annotation held would be. Without
 * either, nothing is taken for removed: only a field `desired` sets and
 * `live` holds otherwise is drift. `applied` is only read.
 */
int drift_compute_applied(struct drift *out, struct json_object *desired, struct json_object *live,
                          struct json_object *applied);
void drift_release(struct drift *d);

/*
 * Does `answer`, the server's answer to a dry run of the patch, leave the
 * object as `live` holds it? Compared as JSON data, less what every write
 * changes: metadata.resourceVersion, managedFields and generation, and
 * status; the last-applied annotations are compared by their meaning (as
 * parsed JSON), not their text. A patch whose answer is the live object
 * changes nothing on the server: the drift was only local (a field the
 * server never stores, such as a Go bool `false` with omitempty).
 */
bool drift_answer_unchanged(struct json_object *answer, struct json_object *live);

/* Make `d` in sync: the server confirmed the patch changes nothing. */
void drift_settle(struct drift *d);

/*
 * Predict with the server's own answer to a dry run of the patch, which
 * holds its defaults: d->predicted becomes `answer` (less what every write
 * changes, taken from `live`), and d->paths the fields where it differs
 * from `live`. When only the last-applied annotation differs in meaning,
 * that is the one path, its values masked.
 */
void drift_take_answer(struct drift *d, struct json_object *live, struct json_object *answer);

#endif
