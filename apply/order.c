/* The order of apply: StorageClass, volumes, claims, config, Services, and
 * only then workloads. */
#include "order.h"

#include "../diff/base/alloc.h"

#include <stdbool.h>
#include <string.h>

static const struct {
	const char *group, *kind;
	enum phase phase;
} kinds[] = {
    {"", "Namespace", PHASE_NAMESPACE},
    {"apiextensions.k8s.io", "CustomResourceDefinition", PHASE_CRD},
    {"storage.k8s.io", "StorageClass", PHASE_STORAGE_CLASS},
    {"", "PersistentVolume", PHASE_PERSISTENT_VOLUME},
    {"", "PersistentVolumeClaim", PHASE_PERSISTENT_VOLUME_CLAIM},
    {"", "ServiceAccount", PHASE_SERVICE_ACCOUNT},
    {"rbac.authorization.k8s.io", "ClusterRole", PHASE_RBAC},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", PHASE_RBAC},
    {"rbac.authorization.k8s.io", "Role", PHASE_RBAC},
    {"rbac.authorization.k8s.io", "RoleBinding", PHASE_RBAC},
    {"", "ConfigMap", PHASE_CONFIG},
    {"", "Secret", PHASE_CONFIG},
    {"", "Service", PHASE_SERVICE},
    {"apps", "Deployment", PHASE_WORKLOAD},
    {"apps", "StatefulSet", PHASE_WORKLOAD},
    {"apps", "DaemonSet", PHASE_WORKLOAD},
    {"apps", "ReplicaSet", PHASE_WORKLOAD},
    {"", "Pod", PHASE_WORKLOAD},
    {"", "ReplicationController", PHASE_WORKLOAD},
    {"batch", "Job", PHASE_WORKLOAD},
    {"batch", "CronJob", PHASE_WORKLOAD},
};

/* Groups whose kinds Kubernetes itself serves: anything else is custom. */
static bool builtin_group(const char *group)
{
	static const char *const suffixes[] = {".k8s.io", ".kubernetes.io"};
	static const char *const groups[] = {"", "apps", "batch", "autoscaling", "policy"};
	size_t i, n = strlen(group);

	for (i = 0; i < ARRAY_SIZE(groups); i++)
		if (!strcmp(group, groups[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t m = strlen(suffixes[i]);
		if (n >= m && !strcmp(group + n - m, suffixes[i]))
			return true;
	}
	return false;
}

enum phase phase_of(const char *group, const char *kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].group, group) && !strcmp(kinds[i].kind, kind))
			return kinds[i].phase;
	return builtin_group(group) ? PHASE_OTHER : PHASE_UNKNOWN;
}
