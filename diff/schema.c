/* How the built-in kinds' fields merge (patchStrategy, patchMergeKey), known
 * without a cluster, as the Kubernetes API types declare them. */
#include "schema.h"

#include "base/alloc.h"

#include <string.h>

#define END                                                                                        \
	{                                                                                          \
		NULL, NULL, 0, NULL, false                                                         \
	}

static const struct schema_type quantity_map = {"map[string]Quantity", NULL, true, true};
static const struct schema_type string_map = {"map[string]string", NULL, false, true};

static const struct schema_field label_selector_fields[] = {
    {"matchLabels", &string_map, 0, NULL, false},
    END,
};
static const struct schema_type label_selector = {"LabelSelector", label_selector_fields, false,
                                                  false};

static const struct schema_field object_meta_fields[] = {
    {"labels", &string_map, 0, NULL, false},
    {"annotations", &string_map, 0, NULL, false},
    {"ownerReferences", NULL, SCHEMA_MERGE, "uid", false},
    {"finalizers", NULL, SCHEMA_MERGE, NULL, false},
    END,
};
static const struct schema_type object_meta = {"ObjectMeta", object_meta_fields, false, false};

static const struct schema_field resource_requirements_fields[] = {
    {"limits", &quantity_map, 0, NULL, false},
    {"requests", &quantity_map, 0, NULL, false},
    END,
};
static const struct schema_type resource_requirements = {
    "ResourceRequirements", resource_requirements_fields, false, false};

static const struct schema_field container_fields[] = {
    {"ports", NULL, SCHEMA_MERGE, "containerPort", false},
    {"env", NULL, SCHEMA_MERGE, "name", false},
    {"volumeMounts", NULL, SCHEMA_MERGE, "mountPath", false},
    {"volumeDevices", NULL, SCHEMA_MERGE, "devicePath", false},
    {"resources", &resource_requirements, 0, NULL, false},
    END,
};
static const struct schema_type container = {"Container", container_fields, false, false};

static const struct schema_field empty_dir_fields[] = {
    {"sizeLimit", NULL, 0, NULL, true},
    END,
};
static const struct schema_type empty_dir = {"EmptyDirVolumeSource", empty_dir_fields, false,
                                             false};

static const struct schema_field volume_fields[] = {
    {"emptyDir", &empty_dir, 0, NULL, false},
    END,
};
static const struct schema_type volume = {"Volume", volume_fields, false, false};

static const struct schema_field pod_spec_fields[] = {
    {"containers", &container, SCHEMA_MERGE, "name", false},
    {"initContainers", &container, SCHEMA_MERGE, "name", false},
    {"ephemeralContainers", &container, SCHEMA_MERGE, "name", false},
    {"volumes", &volume, SCHEMA_MERGE | SCHEMA_RETAIN_KEYS, "name", false},
    {"imagePullSecrets", NULL, SCHEMA_MERGE, "name", false},
    {"hostAliases", NULL, SCHEMA_MERGE, "ip", false},
    {"topologySpreadConstraints", NULL, SCHEMA_MERGE, "topologyKey", false},
    {"overhead", &quantity_map, 0, NULL, false},
    {"nodeSelector", &string_map, 0, NULL, false},
    END,
};
static const struct schema_type pod_spec = {"PodSpec", pod_spec_fields, false, false};

static const struct schema_field pod_template_fields[] = {
    {"metadata", &object_meta, 0, NULL, false},
    {"spec", &pod_spec, 0, NULL, false},
    END,
};
static const struct schema_type pod_template = {"PodTemplateSpec", pod_template_fields, false,
                                                false};

/* Kinds whose spec holds a pod template. */
static const struct schema_field workload_spec_fields[] = {
    {"template", &pod_template, 0, NULL, false},
    {"selector", &label_selector, 0, NULL, false},
    END,
};
static const struct schema_type workload_spec = {"WorkloadSpec", workload_spec_fields, false,
                                                 false};

static const struct schema_field deployment_spec_fields[] = {
    {"template", &pod_template, 0, NULL, false},
    {"selector", &label_selector, 0, NULL, false},
    {"strategy", NULL, SCHEMA_RETAIN_KEYS, NULL, false},
    END,
};
static const struct schema_type deployment_spec = {"DeploymentSpec", deployment_spec_fields, false,
                                                   false};

static const struct schema_field pvc_spec_fields[] = {
    {"resources", &resource_requirements, 0, NULL, false},
    {"selector", &label_selector, 0, NULL, false},
    END,
};
static const struct schema_type pvc_spec = {"PersistentVolumeClaimSpec", pvc_spec_fields, false,
                                            false};

static const struct schema_field pvc_fields[] = {
    {"metadata", &object_meta, 0, NULL, false},
    {"spec", &pvc_spec, 0, NULL, false},
    END,
};
static const struct schema_type pvc = {"PersistentVolumeClaim", pvc_fields, false, false};

static const struct schema_field statefulset_spec_fields[] = {
    {"template", &pod_template, 0, NULL, false},
    {"selector", &label_selector, 0, NULL, false},
    /* Atomic: replaced whole, compared element by element. */
    {"volumeClaimTemplates", &pvc, 0, NULL, false},
    END,
};
static const struct schema_type statefulset_spec = {"StatefulSetSpec", statefulset_spec_fields,
                                                    false, false};

static const struct schema_field job_template_fields[] = {
    {"metadata", &object_meta, 0, NULL, false},
    {"spec", &workload_spec, 0, NULL, false},
    END,
};
static const struct schema_type job_template = {"JobTemplateSpec", job_template_fields, false,
                                                false};

static const struct schema_field cronjob_spec_fields[] = {
    {"jobTemplate", &job_template, 0, NULL, false},
    END,
};
static const struct schema_type cronjob_spec = {"CronJobSpec", cronjob_spec_fields, false, false};

static const struct schema_field service_spec_fields[] = {
    {"ports", NULL, SCHEMA_MERGE, "port", false},
    {"selector", &string_map, 0, NULL, false},
    END,
};
static const struct schema_type service_spec = {"ServiceSpec", service_spec_fields, false, false};

static const struct schema_field pv_spec_fields[] = {
    {"capacity", &quantity_map, 0, NULL, false},
    END,
};
static const struct schema_type pv_spec = {"PersistentVolumeSpec", pv_spec_fields, false, false};

static const struct schema_field quota_spec_fields[] = {
    {"hard", &quantity_map, 0, NULL, false},
    END,
};
static const struct schema_type quota_spec = {"ResourceQuotaSpec", quota_spec_fields, false, false};

static const struct schema_field limit_item_fields[] = {
    {"max", &quantity_map, 0, NULL, false},
    {"min", &quantity_map, 0, NULL, false},
    {"default", &quantity_map, 0, NULL, false},
    {"defaultRequest", &quantity_map, 0, NULL, false},
    {"maxLimitRequestRatio", &quantity_map, 0, NULL, false},
    END,
};
static const struct schema_type limit_item = {"LimitRangeItem", limit_item_fields, false, false};

static const struct schema_field limit_range_spec_fields[] = {
    {"limits", &limit_item, 0, NULL, false},
    END,
};
static const struct schema_type limit_range_spec = {"LimitRangeSpec", limit_range_spec_fields,
                                                    false, false};

/* The top of an object: metadata, and a spec of the given shape. */
#define OBJECT(var, spec_type)                                                                     \
	static const struct schema_field var##_fields[] = {                                        \
	    {"metadata", &object_meta, 0, NULL, false},                                            \
	    {"spec", spec_type, 0, NULL, false},                                                   \
	    END,                                                                                   \
	};                                                                                         \
	static const struct schema_type var = {#var, var##_fields, false, false}

OBJECT(plain_object, NULL);
OBJECT(pod, &pod_spec);
OBJECT(workload, &workload_spec);
OBJECT(deployment, &deployment_spec);
OBJECT(statefulset, &statefulset_spec);
OBJECT(cronjob, &cronjob_spec);
OBJECT(service, &service_spec);
OBJECT(persistent_volume, &pv_spec);
OBJECT(persistent_volume_claim, &pvc_spec);
OBJECT(resource_quota, &quota_spec);
OBJECT(limit_range, &limit_range_spec);

static const struct schema_field config_fields[] = {
    {"metadata", &object_meta, 0, NULL, false},
    {"data", &string_map, 0, NULL, false},
    {"binaryData", &string_map, 0, NULL, false},
    {"stringData", &string_map, 0, NULL, false},
    END,
};
static const struct schema_type config_object = {"ConfigMapOrSecret", config_fields, false, false};

static const struct schema_field storage_class_fields[] = {
    {"metadata", &object_meta, 0, NULL, false},
    {"parameters", &string_map, 0, NULL, false},
    END,
};
static const struct schema_type storage_class = {"StorageClass", storage_class_fields, false,
                                                 false};

static const struct schema_field pod_template_object_fields[] = {
    {"metadata", &object_meta, 0, NULL, false},
    {"template", &pod_template, 0, NULL, false},
    END,
};
static const struct schema_type pod_template_object = {"PodTemplate", pod_template_object_fields,
                                                       false, false};

static const struct schema_field service_account_fields[] = {
    {"metadata", &object_meta, 0, NULL, false},
    {"secrets", NULL, SCHEMA_MERGE, "name", false},
    END,
};
static const struct schema_type service_account = {"ServiceAccount", service_account_fields, false,
                                                   false};

/* The built-in kinds kubectl 1.20 knows, each with its shape. */
static const struct {
	const char *group, *kind;
	const struct schema_type *type;
} kinds[] = {
    {"", "ConfigMap", &config_object},
    {"", "Endpoints", &plain_object},
    {"", "Event", &plain_object},
    {"", "LimitRange", &limit_range},
    {"", "Namespace", &plain_object},
    {"", "Node", &plain_object},
    {"", "PersistentVolume", &persistent_volume},
    {"", "PersistentVolumeClaim", &persistent_volume_claim},
    {"", "Pod", &pod},
    {"", "PodTemplate", &pod_template_object},
    {"", "ReplicationController", &workload},
    {"", "ResourceQuota", &resource_quota},
    {"", "Secret", &config_object},
    {"", "Service", &service},
    {"", "ServiceAccount", &service_account},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration", &plain_object},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", &plain_object},
    {"apiextensions.k8s.io", "CustomResourceDefinition", &plain_object},
    {"apiregistration.k8s.io", "APIService", &plain_object},
    {"apps", "ControllerRevision", &plain_object},
    {"apps", "DaemonSet", &workload},
    {"apps", "Deployment", &deployment},
    {"apps", "ReplicaSet", &workload},
    {"apps", "StatefulSet", &statefulset},
    {"autoscaling", "HorizontalPodAutoscaler", &plain_object},
    {"batch", "CronJob", &cronjob},
    {"batch", "Job", &workload},
    {"certificates.k8s.io", "CertificateSigningRequest", &plain_object},
    {"coordination.k8s.io", "Lease", &plain_object},
    {"discovery.k8s.io", "EndpointSlice", &plain_object},
    {"events.k8s.io", "Event", &plain_object},
    {"networking.k8s.io", "Ingress", &plain_object},
    {"networking.k8s.io", "IngressClass", &plain_object},
    {"networking.k8s.io", "NetworkPolicy", &plain_object},
    {"node.k8s.io", "RuntimeClass", &plain_object},
    {"policy", "PodDisruptionBudget", &plain_object},
    {"policy", "PodSecurityPolicy", &plain_object},
    {"rbac.authorization.k8s.io", "ClusterRole", &plain_object},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", &plain_object},
    {"rbac.authorization.k8s.io", "Role", &plain_object},
    {"rbac.authorization.k8s.io", "RoleBinding", &plain_object},
    {"scheduling.k8s.io", "PriorityClass", &plain_object},
    {"storage.k8s.io", "CSIDriver", &plain_object},
    {"storage.k8s.io", "CSINode", &plain_object},
    {"storage.k8s.io", "StorageClass", &storage_class},
    {"storage.k8s.io", "VolumeAttachment", &plain_object},
};

const struct schema_type *schema_for_kind(const char *group, const char *kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].group, group) && !strcmp(kinds[i].kind, kind))
			return kinds[i].type;
	return NULL;
}

const struct schema_field *schema_field(const struct schema_type *type, const char *name)
{
	const struct schema_field *f;

	if (!type || !type->fields)
		return NULL;
	for (f = type->fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}
