/* commonLabels, labels and commonAnnotations, with kustomize v5.5's field specs. */
#include "kustomize_transform.h"

#include "kustomize_fieldspec.h"

#include "base/alloc.h"

#include <stdlib.h>

#define APPS       "apps"
#define BATCH      "batch"
#define NETWORKING "networking.k8s.io"
#define AFFINITY   "spec/template/spec/affinity/"

/* builtinpluginconsts/commonlabels.go: the selectors (templates are below). */
static const struct kustomize_fieldspec selector_specs[] = {
    {NULL, "v1", "Service", "spec/selector", true, true},
    {NULL, "v1", "ReplicationController", "spec/selector", true, true},
    {NULL, NULL, "Deployment", "spec/selector/matchLabels", true, true},
    {APPS, NULL, "Deployment",
     AFFINITY "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/"
              "labelSelector/matchLabels",
     false, false},
    {APPS, NULL, "Deployment",
     AFFINITY
     "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
     false, false},
    {APPS, NULL, "Deployment",
     AFFINITY "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/"
              "labelSelector/matchLabels",
     false, false},
    {APPS, NULL, "Deployment",
     AFFINITY
     "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
     false, false},
    {APPS, NULL, "Deployment",
     "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false, false},
    {NULL, NULL, "ReplicaSet", "spec/selector/matchLabels", true, true},
    {NULL, NULL, "DaemonSet", "spec/selector/matchLabels", true, true},
    {APPS, NULL, "StatefulSet", "spec/selector/matchLabels", true, true},
    {APPS, NULL, "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true, true},
    {APPS, NULL, "StatefulSet",
     AFFINITY "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/"
              "labelSelector/matchLabels",
     false, false},
    {APPS, NULL, "StatefulSet",
     AFFINITY
     "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
     false, false},
    {APPS, NULL, "StatefulSet",
     AFFINITY "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/"
              "labelSelector/matchLabels",
     false, false},
    {APPS, NULL, "StatefulSet",
     AFFINITY
     "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
     false, false},
    {APPS, NULL, "StatefulSet",
     "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false, false},
    {BATCH, NULL, "Job", "spec/selector/matchLabels", false, true},
    {BATCH, NULL, "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false, true},
    {"policy", NULL, "PodDisruptionBudget", "spec/selector/matchLabels", false, true},
    {NETWORKING, NULL, "NetworkPolicy", "spec/podSelector/matchLabels", false, true},
    {NETWORKING, NULL, "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", false, true},
    {NETWORKING, NULL, "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", false, true},
    {NULL, NULL, NULL, NULL, false, false},
};

/* builtinpluginconsts/metadatalabels.go, but its first entry, metadata/labels. */
static const struct kustomize_fieldspec template_specs[] = {
    {NULL, "v1", "ReplicationController", "spec/template/metadata/labels", true, false},
    {NULL, NULL, "Deployment", "spec/template/metadata/labels", true, false},
    {NULL, NULL, "ReplicaSet", "spec/template/metadata/labels", true, false},
    {NULL, NULL, "DaemonSet", "spec/template/metadata/labels", true, false},
    {APPS, NULL, "StatefulSet", "spec/template/metadata/labels", true, false},
    {APPS, NULL, "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true, true},
    {BATCH, NULL, "Job", "spec/template/metadata/labels", true, false},
    {BATCH, NULL, "CronJob", "spec/jobTemplate/metadata/labels", true, false},
    {BATCH, NULL, "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true, false},
    {NULL, NULL, NULL, NULL, false, false},
};

static const struct kustomize_fieldspec metadata_labels_specs[] = {
    {NULL, NULL, NULL, "metadata/labels", true, false},
    {NULL, NULL, NULL, NULL, false, false},
};

/* builtinpluginconsts/commonannotations.go */
static const struct kustomize_fieldspec annotation_specs[] = {
    {NULL, NULL, NULL, "metadata/annotations", true, false},
    {NULL, "v1", "ReplicationController", "spec/template/metadata/annotations", true, false},
    {NULL, NULL, "Deployment", "spec/template/metadata/annotations", true, false},
    {NULL, NULL, "ReplicaSet", "spec/template/metadata/annotations", true, false},
    {NULL, NULL, "DaemonSet", "spec/template/metadata/annotations", true, false},
    {NULL, NULL, "StatefulSet", "spec/template/metadata/annotations", true, false},
    {BATCH, NULL, "Job", "spec/template/metadata/annotations", true, false},
    {BATCH, NULL, "CronJob", "spec/jobTemplate/metadata/annotations", true, false},
    {BATCH, NULL, "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true, false},
    {NULL, NULL, NULL, NULL, false, false},
};

struct set_map {
	struct json_object *map;
	bool changed;
};

static int set_map(struct json_object *parent, const char *key, void *arg)
{
	struct set_map *s = arg;

	return kustomize_fieldspec_set_map(&s->changed, parent, key, s->map);
}

/* The specs of `specs` that match r, setting the map; *selector_changed
 * when one marked a selector changed a value. */
static int apply_specs(bool *selector_changed, const struct kustomize_fieldspec *specs,
                       struct kustomize_resource *r, struct json_object *map)
{
	struct set_map s = {.map = map, .changed = false};

	for (; specs->path; specs++) {
		if (!kustomize_fieldspec_matches(specs, r))
			continue;
		s.changed = false;
		if (kustomize_fieldspec_apply(specs, r, set_map, &s))
			return -1;
		if (s.changed && specs->selector)
			*selector_changed = true;
	}
	return 0;
}

int kustomize_labels(struct kustomize_resources *rs, struct json_object *labels, bool selectors,
                     bool templates, const char *where)
{
	size_t i;

	if (kustomize_fieldspec_check_map(labels, "label"))
		return -1;
	if (!labels || !json_object_object_length(labels))
		return 0;
	for (i = 0; i < rs->n; i++) {
		struct kustomize_resource *r = &rs->items[i];
		bool changed = false;

		/* kustomize's includeSelectors takes the templates with it. */
		if (apply_specs(&changed, metadata_labels_specs, r, labels) ||
		    ((templates || selectors) &&
		     apply_specs(&changed, template_specs, r, labels)) ||
		    (selectors && apply_specs(&changed, selector_specs, r, labels)))
			return -1;
		if (changed && where) {
			free(r->selector_labels);
			r->selector_labels = xstrdup(where);
		}
	}
	return 0;
}

int kustomize_annotations(struct kustomize_resources *rs, struct json_object *annotations)
{
	bool changed = false;
	size_t i;

	if (kustomize_fieldspec_check_map(annotations, "annotation"))
		return -1;
	if (!annotations || !json_object_object_length(annotations))
		return 0;
	for (i = 0; i < rs->n; i++)
		if (apply_specs(&changed, annotation_specs, &rs->items[i], annotations))
			return -1;
	return 0;
}
