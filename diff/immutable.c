/* The fields the API server never changes once set, by kind. */
#include "immutable.h"

#include "base/alloc.h"
#include "base/json_value.h"

#include <string.h>

/* Fields the server never changes once set, by kind: a path is immutable
 * when it starts with one of `fixed` and with none of `except`. */
static const struct {
	const char *group, *kind;
	const char *fixed[4];
	const char *except[8];
} immutable[] = {
    {"apps",
     "StatefulSet",
     {"spec."},
     {"spec.replicas", "spec.template", "spec.updateStrategy", "spec.minReadySeconds",
      "spec.persistentVolumeClaimRetentionPolicy", "spec.ordinals", "spec.revisionHistoryLimit"}},
    {"", "Service", {"spec.clusterIP"}, {NULL}},
    {"", "PersistentVolumeClaim", {"spec."}, {"spec.resources.requests"}},
    {"storage.k8s.io",
     "StorageClass",
     {"provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"},
     {NULL}},
};

static bool starts(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) &&
	       (prefix[n - 1] == '.' || path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

bool immutable_field(const struct object_id *id, const char *path)
{
	size_t i, j;
	bool fixed = false;

	for (i = 0; i < ARRAY_SIZE(immutable); i++) {
		if (strcmp(immutable[i].group, id->group) || strcmp(immutable[i].kind, id->kind))
			continue;
		for (j = 0; j < ARRAY_SIZE(immutable[i].fixed) && immutable[i].fixed[j]; j++)
			fixed |= starts(path, immutable[i].fixed[j]);
		for (j = 0; j < ARRAY_SIZE(immutable[i].except) && immutable[i].except[j]; j++)
			if (starts(path, immutable[i].except[j]))
				return false;
	}
	return fixed;
}

bool immutable_patch_removes(struct json_object *patch, const char *path)
{
	struct json_object *at = patch;
	bool present;

	while (*path && at) {
		at = json_value_path_step(at, &path, &present);
		if (!present)
			return false;
		if (!at)
			return !*path;
	}
	return false;
}
