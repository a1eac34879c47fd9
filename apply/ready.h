#ifndef BERTH_READY_H
#define BERTH_READY_H

#include "../diff/base/buf.h"

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
 * ("1 of 3 pods ready"), and, ready, what a partition leaves out ("1 of 1
 * pods updated, ordinals 2 and up (partition 2)"). */
/* Is kind `kind` of `group` ready by more than existing (a rollout, a
 * phase, a condition that ready_check() reads)? */
bool ready_has_rule(const char *group, const char *kind);

enum readiness ready_check(struct buf *why, struct json_object *live, bool binds_on_first_consumer);

/* What the StorageClass of a claim says: its provisioner (NULL when the
 * class does not exist) and whether it binds on first consumer. */
struct claim_class {
	const char *provisioner;
	bool binds_on_first_consumer;
};

/*
 * Why `claim` is Pending, as far as its class (`cls`, NULL when the claim
 * names none) and its volume tell, into `out`: "waiting for provisioner 'x'
 * to make a volume of class 'fast'". Nothing when it is not Pending, or when
 * its class binds on first consumer (then its pod waits, not the claim).
 */
void ready_claim_pending(struct buf *out, struct json_object *claim, const struct claim_class *cls);

#endif
