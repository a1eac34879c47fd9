#ifndef BERTH_IMMUTABLE_H
#define BERTH_IMMUTABLE_H

#include "object.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * The fields the API server never changes once set (the reference's
 * section 7), by kind: a StatefulSet's spec but its replicas, template,
 * updateStrategy and the few newer fields; a Service's clusterIP; a
 * claim's spec but its storage request; a StorageClass's provisioner,
 * parameters, reclaimPolicy and volumeBindingMode.
 */

/* Is the field at `path` (a drift path: "spec.serviceName",
 * "spec.volumeClaimTemplates[0].spec") of an object of `id`'s kind one the
 * server will not change? */
bool immutable_field(const struct object_id *id, const char *path);

/* Does `patch` remove the field at `path` with a null? A path the patch only
 * leaves out is a server default the prediction lacks, not a change. */
bool immutable_patch_removes(struct json_object *patch, const char *path);

#endif
