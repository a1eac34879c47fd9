#ifndef BERTH_ORDER_H
#define BERTH_ORDER_H

/*
 * The phases a commit is applied in, after the order Argo CD and Helm use,
 * with storage first: a StatefulSet finds its class, volumes, claims,
 * configuration and headless Service in place. berth waits for every object
 * of a phase to be ready before it starts the next.
 */
enum phase {
	PHASE_NAMESPACE,
	PHASE_CRD,
	PHASE_STORAGE_CLASS,
	PHASE_PERSISTENT_VOLUME,
	PHASE_PERSISTENT_VOLUME_CLAIM,
	PHASE_SERVICE_ACCOUNT,
	PHASE_RBAC,
	PHASE_CONFIG, /* ConfigMap, Secret */
	PHASE_SERVICE,
	PHASE_WORKLOAD, /* Deployment, StatefulSet, DaemonSet, Job, ... */
	PHASE_OTHER,    /* kinds Kubernetes has that are none of the above */
	PHASE_UNKNOWN,  /* custom resources: last, after their CRD is Established */
	PHASE_COUNT
};

enum phase phase_of(const char *group, const char *kind);

#endif
