#ifndef BERTH_SYNC_PODS_H
#define BERTH_SYNC_PODS_H

/*
 * What a StatefulSet's pods say of a rollout that does not finish (for
 * sync_wait.c), and the opt-in recovery of one stuck on a broken pod.
 * Reads the pods (one LIST by the set's selector), and deletes a pod only
 * to recover; never a claim.
 */
#include "ready.h"
#include "sync_internal.h"

/* The recovery of one StatefulSet's rollout, across the steps of a wait. */
struct pod_recovery {
	bool on;          /* asked for (recoverStuckRollouts, or the annotation) */
	char *name, *uid; /* the pod deleted last, until it is made again */
	struct buf said;  /* each pod deleted, and why: "web-2 (...)", ", " between */
};

void pod_recovery_release(struct pod_recovery *r);

/*
 * Why StatefulSet `sts` (live, not ready) is not: its first pod not ready,
 * by ordinal, and the pod's cause, appended to `why` ("web-2
 * CrashLoopBackOff (restarted 5 times, last exit 1: Error)"; "web-1 not
 * made yet"). Returns that pod's health, PROGRESSING when none is worse or
 * the pods cannot be read.
 *
 * With r->on, a rollout stuck on broken pods of an old revision is
 * recovered: under OrderedReady and RollingUpdate, once the controller has
 * seen the new spec, the broken pod (Degraded or Failed) of the highest
 * ordinal that is not on status.updateRevision and was never Ready is
 * deleted by its uid, one at a time (the next once the last is made
 * again), each said on opts->progress. The controller makes it again on
 * the new revision; its claims stay.
 */
enum readiness sync_pods_explain(struct buf *why, struct kube_client *c, struct json_object *sts,
                                 struct pod_recovery *r, const struct sync_options *opts);

/* An OnDelete StatefulSet (live) with pods on its old revision: their
 * names after `why` (": web-0, web-1"), read with one LIST. */
void sync_pods_outdated(struct buf *why, struct kube_client *c, struct json_object *sts);

#endif
