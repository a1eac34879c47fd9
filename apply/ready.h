#ifndef BERTH_READY_H
#define BERTH_READY_H

#include "../diff/buf.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * When an object is ready, as kubectl rollout status and Argo CD decide it:
 *   - Namespace: Active; CustomResourceDefinition: Established;
 *   - PersistentVolume: Available or Bound (Failed fails);
 *   - PersistentVolumeClaim: Bound, or Pending when its class binds on first
 *     consumer (Lost fails);
 *   - StatefulSet: the controller has seen the spec, every replica is ready,
 *     and the rollout is done (partition-aware; OnDelete: ready pods);
 *   - Deployment, DaemonSet: seen, updated and available;
 *   - anything else: once it exists.
 */
enum readiness {
	READINESS_READY,
	READINESS_WAITING,
	READINESS_FAILED,
};

/* Decide for `live`; `why` gets what it waits for or why it failed
 * ("1 of 3 pods ready"). */
enum readiness ready_check(struct buf *why, struct json_object *live, bool binds_on_first_consumer);

#endif
