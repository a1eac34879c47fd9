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
 * an object moves to server-side apply, and removes the last-applied
 * annotation: field ownership is the server's now (kubectl 1.26+ keeps the
 * annotation, under a manager of its own; berth keeps none, for it alone
 * can exceed the 256 KiB the server allows all annotations). Without the
 * hand-over, a field later removed from Git would stay, owned by a manager
 * that no longer writes. The patch names live's resourceVersion, so a write
 * in between makes it fail with 409 Conflict. *out is NULL when there is
 * nothing to hand over or remove.
 */
void ssa_takeover_patch(struct json_object **out, struct json_object *live);

/*
 * What FIELD_MANAGER last applied to `live` with server-side apply: the
 * fields its Apply entry in metadata.managedFields owns (fieldsV1), with
 * live's values, the way the last-applied annotation holds what client-side
 * apply last applied. List items are picked by their keys ("k:{...}", kept
 * in the item), set members by value ("v:..."). A map owned whole comes out
 * empty, for the server or another writer may have filled it in: what is in
 * it is never taken for something Git removed. *out is NULL when there is
 * no such entry, or it is of another apiVersion than live; else a new
 * object, the caller's. `live` must carry that entry (kube_client keeps it).
 */
void ssa_applied(struct json_object **out, struct json_object *live);

/*
 * The object to apply server-side: `desired` without the last-applied
 * annotation, keys filled in (ssa_fill_keys). A new object, the caller's.
 */
void ssa_body(struct json_object **out, struct json_object *desired);

/*
 * Fill in, in an object to apply, the key fields of associative lists that
 * the server needs but cannot default during apply: a Service's
 * spec.ports[].protocol (TCP, the default it stores anyway), which
 * Kubernetes up to 1.21 otherwise refuses with "associative list with keys
 * has an element that omits key field".
 */
void ssa_fill_keys(struct json_object *obj);

#endif
