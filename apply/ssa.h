#ifndef BERTH_SSA_H
#define BERTH_SSA_H

#include <json-c/json.h>

/* The field manager berth applies as with server-side apply. */
#define FIELD_MANAGER "berth"

/*
 * The JSON patch (RFC 6902) that hands the fields client-side apply wrote
 * in `live` (the Update entries of its managedFields by
 * kubectl-client-side-apply, by berth's own three-way patches and by
 * before-first-apply) to FIELD_MANAGER's Apply entry, as kubectl does when
 * an object moves to server-side apply. Without it, a field later removed
 * from Git would stay, owned by a manager that no longer writes. The patch
 * names live's resourceVersion, so a write in between makes it fail with
 * 409 Conflict. *out is NULL when there is nothing to hand over.
 */
void ssa_takeover_patch(struct json_object **out, struct json_object *live);

/*
 * Fill in, in an object to apply, the key fields of associative lists that
 * the server needs but cannot default during apply: a Service's
 * spec.ports[].protocol (TCP, the default it stores anyway), which
 * Kubernetes up to 1.21 otherwise refuses with "associative list with keys
 * has an element that omits key field".
 */
void ssa_fill_keys(struct json_object *obj);

#endif
