#ifndef BERTH_READY_H
#define BERTH_READY_H

#include "../diff/base/buf.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * The health of an object, as kubectl rollout status, Argo CD and kstatus
 * decide it:
 *   - Namespace: Active;
 *   - CustomResourceDefinition: Established (NamesAccepted False fails);
 *   - PersistentVolume: Available or Bound (Failed fails);
 *   - PersistentVolumeClaim: Bound, or Pending when its class binds on first
 *     consumer (Lost fails);
 *   - StatefulSet: the controller has seen the spec, every replica is ready,
 *     and the rollout is done (partition-aware); OnDelete: the spec seen;
 *   - Deployment, DaemonSet: seen, updated and available; a Deployment
 *     past its progressDeadlineSeconds fails;
 *   - Job: Complete (its Failed condition fails);
 *   - Service: a LoadBalancer has an ingress;
 *   - a custom resource (kstatus): status.observedGeneration caught up,
 *     then its Ready condition, or Reconciling (waits) and Stalled (fails);
 *   - anything else: once it exists.
 * The order is the order of worse: a source is as healthy as its worst
 * object.
 */
enum readiness {
	READINESS_READY,
	READINESS_PROGRESSING, /* on its way; `why` says what it waits for */
	READINESS_DEGRADED,    /* not on its way: a cause that may yet clear */
	READINESS_FAILED,      /* it cannot become ready without a new commit */
};

/* "Ready", "Progressing", "Degraded", "Failed". */
const char *readiness_name(enum readiness r);

/* Decide for `live`; `why` gets what it waits for or why it failed
 * ("1 of 3 pods ready"), and, ready, what a partition leaves out ("1 of 1
 * pods updated, ordinals 2 and up (partition 2)"). */
/* Is kind `kind` of `group` ready by more than existing (a rollout, a
 * phase, a condition that ready_check() reads)? */
bool ready_has_rule(const char *group, const char *kind);

enum readiness ready_check(struct buf *why, struct json_object *live, bool binds_on_first_consumer);

/*
 * The health of one pod, and why it is not ready ("CrashLoopBackOff
 * (restarted 5 times, last exit 1: Error)", "ImagePullBackOff: ...",
 * "Pending: unschedulable: ...", "Init:CrashLoopBackOff ...", "container
 * db not ready (its readiness probe fails)"). An image that cannot be
 * pulled is Failed; a container that crashes, cannot be configured or
 * scheduled, or an init container that fails, Degraded.
 */
enum readiness ready_pod(struct buf *why, struct json_object *pod);

/* Was `pod` never Ready since it was started (its Ready condition is not
 * True, and has not changed since the pod started)? */
bool ready_pod_never_ready(struct json_object *pod);

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
